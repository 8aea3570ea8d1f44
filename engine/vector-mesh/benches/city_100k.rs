//! Time to make 100,000 generated LoD1 buildings drawable: footprints of
//! 8–20 m, turned at random, on a 30 m grid over 9.5 × 9.5 km around the
//! Citadel, extruded by a height attribute of 4–40 m (the same layout as
//! `tools/make_synthetic_city.py`, whose scene the viewer's frame time is
//! measured on). Prints the median build time, the chunks, triangles and
//! the vertex data's size.
//!
//! cargo bench -p sontinh-vector-mesh --bench city_100k [-- ROUNDS]

use std::time::Instant;

use sontinh_geo::{Crs, EnuFrame, Geodetic};
use sontinh_scene::{Elevation, VectorStyle};
use sontinh_vector::geo_types::{Coord, Geometry, LineString, Polygon};
use sontinh_vector::{Driver, Feature, Value, VectorData};
use sontinh_vector_mesh::{Ellipsoid, build_vector};

/// A small deterministic generator (xorshift), so every run builds the same city.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn city(frame: &EnuFrame, count: usize) -> VectorData {
    let side = (count as f64).sqrt().ceil() as usize;
    let mut rng = Rng(0x5eed_c17a_de11);
    let half = side as f64 * 30.0 / 2.0;
    let features = (0..count)
        .map(|i| {
            let (e0, n0) = ((i % side) as f64 * 30.0 - half, (i / side) as f64 * 30.0 - half);
            let (w, d, turn) = (8.0 + 12.0 * rng.next(), 8.0 + 12.0 * rng.next(), rng.next() * std::f64::consts::PI);
            let corners = [
                (-w / 2.0, -d / 2.0),
                (w / 2.0, -d / 2.0),
                (w / 2.0, d / 2.0),
                (-w / 2.0, d / 2.0),
                (-w / 2.0, -d / 2.0),
            ];
            let ring: Vec<Coord<f64>> = corners
                .iter()
                .map(|(x, y)| {
                    let (e, n) = (e0 + x * turn.cos() - y * turn.sin(), n0 + x * turn.sin() + y * turn.cos());
                    let g = frame.enu_to_geodetic([e, n, 0.0]);
                    Coord {
                        x: g.lon_deg,
                        y: g.lat_deg,
                    }
                })
                .collect();
            Feature {
                geometry: Geometry::Polygon(Polygon::new(LineString::new(ring), vec![])),
                properties: vec![("height".to_owned(), Value::Float(4.0 + 36.0 * rng.next()))],
            }
        })
        .collect();
    VectorData {
        driver: Driver::GeoJson,
        crs: Some(Crs::Wgs84),
        crs_definition: None,
        features,
        skipped: 0,
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .filter(|a| a != "--bench")
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let data = city(&frame, 100_000);
    let style = VectorStyle {
        elevation: Elevation::Extruded {
            attribute: Some("height".into()),
            default_m: 10.0,
        },
        ..VectorStyle::default()
    };
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..rounds {
        let start = Instant::now();
        let built = match build_vector(&data, None, &style, &frame, &Ellipsoid, &mut |_| {}) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some(built);
    }
    times.sort_by(f64::total_cmp);
    let Some(built) = last else { return };
    let vertices: usize = built
        .chunks
        .iter()
        .map(|c| c.solids.positions.len() + c.fills.positions.len() + c.lines.positions.len())
        .sum();
    // Position, normal, colour per vertex and one index, as the viewer uploads them.
    let bytes = vertices * (12 + 12 + 16 + 4);
    println!(
        "100,000 extruded buildings: build p50 {:.0} ms (min {:.0}, max {:.0}) over {rounds} rounds; {} chunks, {} triangles, {} vertices, {:.0} MiB of vertex data",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        built.chunks.len(),
        built.triangle_count(),
        vertices,
        bytes as f64 / (1024.0 * 1024.0)
    );
}
