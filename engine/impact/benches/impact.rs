//! Time to assess a flood's impact on a town of 100 000 buildings: a
//! 10 km square grid of 5 m cells (2000 × 2000, four million cells, the
//! size of a district run), buildings 8–20 m across scattered over it
//! (a fixed pseudo-random sequence), 2 000 roads of 1 km cut into 100 m
//! segments, 20 communes. Timed: placing the features on the grid
//! (`ImpactSet::new`: cells under each footprint, the commune of each
//! centroid), assessing a depth raster (`assess`), writing `impact.csv`
//! and `impact.geojson`, raising every footprint as an obstacle, and
//! taking 500 000 vertices from WGS 84 to UTM (what reading a layer adds),
//! and reading the buildings from a GeoJSON file in WGS 84 through a scene
//! (`read::layer_features`: parsing, the CRS change, roads cut).
//!
//! cargo bench -p sontinh-impact --bench impact [-- ROUNDS]

use std::time::Instant;

use geo::{Geometry, LineString, Polygon};
use sontinh_geo::{Crs, Transformer};
use sontinh_impact::{Areas, Feature, FeatureKind, Grid, ImpactSet, output, raise_obstacles};

/// A fixed pseudo-random sequence (64-bit LCG), so every run times the same town.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    ))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed().as_secs_f64());
    }
    match last {
        Some(value) => (median(times), value),
        None => {
            eprintln!("no rounds");
            std::process::exit(1);
        }
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .filter(|a| a != "--bench")
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    // UTM 48N around Quảng Trị town.
    let (ox, oy) = (720_000.0, 1_860_000.0);
    let grid = Grid {
        nx: 2000,
        ny: 2000,
        origin_x: ox,
        origin_y: oy,
        cell: 5.0,
    };
    let side = 10_000.0;
    let mut rng = Lcg(7);
    let mut features = Vec::with_capacity(120_000);
    for i in 0..100_000 {
        let (x, y) = (ox + rng.next() * (side - 20.0), oy - side + rng.next() * (side - 20.0));
        let (w, h) = (8.0 + rng.next() * 12.0, 8.0 + rng.next() * 12.0);
        features.push(Feature {
            layer: "buildings".into(),
            id: i.to_string(),
            name: None,
            kind: FeatureKind::Building,
            geometry: rect(x, y, x + w, y + h),
        });
    }
    for i in 0..2_000 {
        let (x, y) = (ox + rng.next() * (side - 1000.0), oy - side + rng.next() * side);
        for k in 0..10 {
            let x = x + 100.0 * k as f64;
            let line = LineString::from(vec![(x, y), (x + 100.0, y)]);
            features.push(Feature {
                layer: "roads".into(),
                id: format!("{i}:{}", k + 1),
                name: None,
                kind: FeatureKind::Road,
                geometry: Geometry::LineString(line),
            });
        }
    }
    let communes: Vec<(String, Geometry<f64>)> = (0..20)
        .map(|k| {
            let (c, r) = ((k % 5) as f64, (k / 5) as f64);
            (
                format!("Xã {k}"),
                rect(ox + c * 2000.0, oy - (r + 1.0) * 2500.0, ox + (c + 1.0) * 2000.0, oy - r * 2500.0),
            )
        })
        .collect();
    // Water deepest in the west, 3 m falling to 0 at 6 km, arriving from the west at 1 km/h.
    let (mut depth, mut arrival) = (vec![0.0; grid.cells()], vec![f64::NAN; grid.cells()]);
    for r in 0..grid.ny {
        for c in 0..grid.nx {
            let x = (c as f64 + 0.5) * grid.cell;
            let d = (3.0 - x / 2000.0).max(0.0);
            depth[r * grid.nx + c] = d;
            if d > 0.0 {
                arrival[r * grid.nx + c] = x / 1000.0;
            }
        }
    }
    println!(
        "{} buildings, {} road segments, 20 communes; grid {} × {} cells of {} m",
        100_000,
        features.len() - 100_000,
        grid.nx,
        grid.ny,
        grid.cell
    );

    let (placing, set) = time(rounds, || {
        ImpactSet::new(grid, features.clone(), Some(Areas::new("communes", communes.clone())))
    });
    let (assessing, assessment) = time(rounds, || match set.assess(&depth, Some(&arrival), 0.05) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    });
    let fail = |e: String| -> usize {
        eprintln!("{e}");
        std::process::exit(1);
    };
    let (writing_csv, csv_bytes) = time(rounds, || {
        output::csv(&set, &assessment, Crs::Utm48N).map_or_else(fail, |t| t.len())
    });
    let (writing_json, json_bytes) = time(rounds, || {
        output::geojson(&set, &assessment, Crs::Utm48N).map_or_else(fail, |t| t.len())
    });
    let bytes = csv_bytes + json_bytes;
    let buildings: Vec<Feature> = set.features.iter().filter(|f| f.kind == FeatureKind::Building).cloned().collect();
    let (raising, raised) = time(rounds, || {
        let (mut z, mut water) = (vec![0.0; grid.cells()], vec![0.0; grid.cells()]);
        raise_obstacles(&grid, &buildings, 20.0, &mut z, &mut water).unwrap_or(0)
    });
    let to_utm = match Transformer::new(Crs::Wgs84, Crs::Utm48N) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (transforming, _) = time(rounds, || {
        (0..500_000)
            .filter_map(|i| {
                to_utm
                    .transform([107.1 + (i % 1000) as f64 * 1e-4, 16.7 + (i / 1000) as f64 * 1e-4, 0.0])
                    .ok()
            })
            .count()
    });

    let (_dir, scene) = buildings_layer(&set);
    let files = |p: &std::path::Path| std::fs::read(p).map_err(|e| e.to_string());
    let (reading, read_count) = time(rounds.min(3), || {
        match sontinh_impact::read::layer_features(&scene, "buildings", Crs::Utm48N, &files) {
            Ok(features) => features.len(),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    });

    let t = &assessment.total;
    println!(
        "reached: {} of {} buildings, {} of {} road segments; {} cells raised by the buildings as obstacles; outputs {:.1} MB",
        t.buildings_reached,
        t.buildings,
        t.road_segments_reached,
        t.road_segments,
        raised,
        bytes as f64 / 1e6
    );
    println!("median of {rounds} rounds:");
    println!("  placing on the grid (cells, communes)   {:8.1} ms", placing * 1e3);
    println!("  assessing a depth raster                {:8.1} ms", assessing * 1e3);
    println!("  impact.csv                              {:8.1} ms", writing_csv * 1e3);
    println!("  impact.geojson                          {:8.1} ms", writing_json * 1e3);
    println!("  raising every footprint as an obstacle  {:8.1} ms", raising * 1e3);
    println!("  500 000 vertices WGS 84 → UTM           {:8.1} ms", transforming * 1e3);
    println!(
        "  reading the {read_count} buildings from GeoJSON (WGS 84) onto the grid {:8.1} ms",
        reading * 1e3
    );
}

/// The town's buildings written as a WGS 84 GeoJSON layer of a scene (in a
/// folder that lives as long as the returned guard).
fn buildings_layer(set: &ImpactSet) -> (tempfile::TempDir, sontinh_scene::Scene) {
    let fail = |e: String| -> ! {
        eprintln!("{e}");
        std::process::exit(1);
    };
    let Ok(dir) = tempfile::tempdir() else {
        fail("no temporary folder".into())
    };
    let buildings: Vec<Feature> = set.features.iter().filter(|f| f.kind == FeatureKind::Building).cloned().collect();
    let one = ImpactSet::new(set.grid, buildings, None);
    let all = one.assess(&vec![1.0; set.grid.cells()], None, 0.0).unwrap_or_else(|e| fail(e));
    let text = output::geojson(&one, &all, Crs::Utm48N).unwrap_or_else(|e| fail(e));
    let scene = r#"format = 1
[site]
id = "bench"
name = { vi = "B", en = "B" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.1, 16.75, 0.0]
[[layer]]
id = "buildings"
kind = "vector"
path = "buildings.geojson"
name = { vi = "Nhà", en = "Buildings" }
[[bookmark]]
id = "o"
name = { vi = "O", en = "O" }
eye = [0.0, -500.0, 400.0]
target = [0.0, 0.0, 0.0]
"#;
    if std::fs::write(dir.path().join("buildings.geojson"), text).is_err() || std::fs::write(dir.path().join("b.toml"), scene).is_err() {
        fail("cannot write the bench's files".into());
    }
    let scene = sontinh_scene::load(&dir.path().join("b.toml")).unwrap_or_else(|e| fail(e.to_string()));
    (dir, scene)
}
