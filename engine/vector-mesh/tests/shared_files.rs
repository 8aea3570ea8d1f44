#![allow(clippy::panic, clippy::expect_used)] // a test file: failing loudly is the point

//! The shared data's province boundary and city models, made drawable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use approx::assert_relative_eq;
use geo::GeodesicArea;
use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_scene::VectorStyle;
use sontinh_vector_mesh::{Ellipsoid, build_city, build_vector};

fn shared(file: &str) -> PathBuf {
    let dir = sontinh_scene::shared_data_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(file);
    assert!(
        path.is_file(),
        "the shared test data is absent: {} (set SONTINH_SHARED_DATA)",
        path.display()
    );
    path
}

#[test]
fn quang_tri_province_draped_on_the_ellipsoid() {
    let data = sontinh_vector::read(shared("vector/quang_tri_province_geoBoundaries_ADM1.geojson")).expect("reads");
    // The Citadel, the scenes' origin for the province.
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let built = build_vector(&data, None, &VectorStyle::default(), &frame, &Ellipsoid, &mut |_| {}).expect("builds");
    assert_eq!(built.features.len(), 1);
    // Every drawn vertex on the ellipsoid, within the data README's stated bounds.
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    let mut fill_area = 0.0;
    for chunk in &built.chunks {
        let world = |p: [f32; 3]| [0, 1, 2].map(|k| chunk.origin[k] + f64::from(p[k]));
        for p in chunk.lines.positions.iter().chain(&chunk.fills.positions) {
            let g = frame.enu_to_geodetic(world(*p));
            assert!(g.height_m.abs() < 0.01, "a vertex {} m off the ellipsoid", g.height_m);
            lo = [lo[0].min(g.lon_deg), lo[1].min(g.lat_deg)];
            hi = [hi[0].max(g.lon_deg), hi[1].max(g.lat_deg)];
        }
        for t in chunk.fills.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| world(chunk.fills.positions[t[k] as usize]));
            let (u, v) = ([b[0] - a[0], b[1] - a[1]], [c[0] - a[0], c[1] - a[1]]);
            fill_area += (u[0] * v[1] - u[1] * v[0]).abs() / 2.0;
        }
    }
    for (got, stated) in lo.iter().chain(&hi).zip([106.520, 16.303, 107.389, 17.164]) {
        assert!(
            (got - stated).abs() < 0.001,
            "bounds {lo:?}–{hi:?} against 106.520–107.389 E, 16.303–17.164 N"
        );
    }
    // The fill's area against the geodesic area of the same polygon
    // (Karney's algorithm in the `geo` crate); the ENU plane shrinks
    // distances away from the origin by under 0.1 % at 60 km.
    let geodesic: f64 = data.features.iter().map(|f| f.geometry.geodesic_area_unsigned()).sum();
    assert_relative_eq!(fill_area, geodesic, max_relative = 0.002);
    assert!(geodesic > 4.0e9 && geodesic < 5.0e9, "Quảng Trị is about 4,700 km²: {geodesic}");
}

#[test]
fn delft_and_zurich_city_models_by_type() {
    let delft = sontinh_city::CityModel::read(&shared("city/delft.city.json")).expect("reads");
    let g = delft
        .to_wgs84()
        .expect("a CRS")
        .to_geodetic([84878.0, 447586.0, 0.0])
        .expect("transforms");
    let frame = EnuFrame::new(Geodetic::new(g.lon_deg, g.lat_deg, 0.0));
    let built = build_city(&delft, &VectorStyle::default(), &frame, &mut |_| {}).expect("builds");
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &built.features {
        *kinds.entry(f.kind.as_str()).or_default() += 1;
    }
    // The data README's counts: every object of the file is drawn.
    let expected = BTreeMap::from([
        ("Bridge", 3),
        ("Building", 160),
        ("GenericCityObject", 54),
        ("LandUse", 81),
        ("PlantCover", 126),
        ("Road", 143),
        ("WaterBody", 3),
    ]);
    assert_eq!(kinds, expected);
    let triangles: usize = delft.objects.iter().map(|o| o.triangle_count()).sum();
    assert_eq!(built.triangle_count(), triangles);
    // The README's heights: −0.452 to 16.846 m (NAP), kept as they are.
    let top = built.features.iter().map(|f| f.max[2]).fold(f64::NEG_INFINITY, f64::max);
    assert!((top - 16.846).abs() < 0.05, "highest point {top}");

    let zurich = sontinh_city::CityModel::read(&shared("city/zurich_subset_lod2.city.json")).expect("reads");
    let g = zurich
        .to_wgs84()
        .expect("a CRS")
        .to_geodetic([2682812.0, 1248058.0, 0.0])
        .expect("transforms");
    let frame = EnuFrame::new(Geodetic::new(g.lon_deg, g.lat_deg, 0.0));
    let built = build_city(&zurich, &VectorStyle::default(), &frame, &mut |_| {}).expect("builds");
    // 161 building parts carry the LoD2 surfaces; their 49 buildings only group them.
    let parts = built.features.iter().filter(|f| f.kind == "BuildingPart").count();
    assert_eq!(parts, 161);
    assert!(
        built
            .features
            .iter()
            .all(|f| f.attributes.first().is_some_and(|(k, v)| k == "LoD" && v == "2"))
    );
    // Roofs are drawn tile-red, walls plaster: both appear.
    let colours: std::collections::HashSet<[u32; 3]> = built
        .chunks
        .iter()
        .flat_map(|c| c.solids.colors.iter())
        .map(|c| [c[0].to_bits(), c[1].to_bits(), c[2].to_bits()])
        .collect();
    let roof = sontinh_vector_mesh::style::to_linear(sontinh_vector_mesh::semantic_color(
        sontinh_city::SurfaceClass::Roof,
        "BuildingPart",
    ));
    let wall = sontinh_vector_mesh::style::to_linear(sontinh_vector_mesh::semantic_color(
        sontinh_city::SurfaceClass::Wall,
        "BuildingPart",
    ));
    assert!(colours.contains(&[roof[0].to_bits(), roof[1].to_bits(), roof[2].to_bits()]));
    assert!(colours.contains(&[wall[0].to_bits(), wall[1].to_bits(), wall[2].to_bits()]));
}
