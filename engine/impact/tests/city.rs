#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! A CityJSON model's buildings and roads as the flood sees them: a
//! building is its ground surfaces with its parts' (10 × 10 m and an annex
//! of 4 × 5 m: 120 m²), a road its traffic areas (30 × 6 m: 180 m²), walls
//! and roofs left out; other objects are not features. Areas by hand.

use geo::{Area, BoundingRect};
use sontinh_geo::Crs;
use sontinh_impact::{FeatureKind, read};

/// A box's eight vertices (bottom first, counter-clockwise from above) and
/// its six surfaces: ground (wound downwards), roof, four walls.
fn solid(first: usize) -> serde_json::Value {
    let v = |i: usize| first + i;
    serde_json::json!({
        "type": "Solid", "lod": "1",
        "boundaries": [[
            [[v(0), v(3), v(2), v(1)]], [[v(4), v(5), v(6), v(7)]],
            [[v(0), v(1), v(5), v(4)]], [[v(1), v(2), v(6), v(5)]], [[v(2), v(3), v(7), v(6)]], [[v(3), v(0), v(4), v(7)]]
        ]],
        "semantics": { "surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}], "values": [[0, 1, 2, 2, 2, 2]] }
    })
}

fn box_vertices(x0: i64, y0: i64, x1: i64, y1: i64, h: i64) -> Vec<[i64; 3]> {
    let ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    ring.iter()
        .map(|p| [p[0], p[1], 0])
        .chain(ring.iter().map(|p| [p[0], p[1], h]))
        .collect()
}

#[test]
fn city_buildings_are_their_ground_with_their_parts_and_roads_their_traffic_areas() {
    let dir = tempfile::tempdir().unwrap();
    let (x0, y0) = (720_000.0, 1_852_000.0);
    // Millimetre integers, as CityJSON's transform has them.
    let mut vertices = box_vertices(0, 0, 10_000, 10_000, 6_000);
    vertices.extend(box_vertices(10_000, 0, 14_000, 5_000, 3_000));
    vertices.extend([[0, -8_000, 0], [30_000, -8_000, 0], [30_000, -2_000, 0], [0, -2_000, 0]]);
    let model = serde_json::json!({
        "type": "CityJSON", "version": "2.0",
        "transform": { "scale": [0.001, 0.001, 0.001], "translate": [x0, y0, 0.0] },
        "metadata": { "referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/32648" },
        "CityObjects": {
            "house": { "type": "Building", "attributes": { "name": "Nhà văn hoá" }, "children": ["annex"], "geometry": [solid(0)] },
            "annex": { "type": "BuildingPart", "parents": ["house"], "geometry": [solid(8)] },
            "street": { "type": "Road", "geometry": [{
                "type": "MultiSurface", "lod": "2", "boundaries": [[[16, 17, 18, 19]]],
                "semantics": { "surfaces": [{"type": "TrafficArea"}], "values": [0] }
            }] },
            "tree": { "type": "SolitaryVegetationObject", "geometry": [{ "type": "MultiPoint", "lod": "1", "boundaries": [16] }] }
        },
        "vertices": vertices
    });
    std::fs::write(dir.path().join("town.city.json"), model.to_string()).unwrap();
    std::fs::write(
        dir.path().join("town.toml"),
        r#"format = 1
[site]
id = "town"
name = { vi = "Thị trấn", en = "Town" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "city"
kind = "city"
path = "town.city.json"
name = { vi = "Đô thị", en = "City" }
[[bookmark]]
id = "overview"
name = { vi = "Toàn cảnh", en = "Overview" }
eye = [0.0, -500.0, 400.0]
target = [0.0, 0.0, 0.0]
"#,
    )
    .unwrap();
    let scene = sontinh_scene::load(&dir.path().join("town.toml")).unwrap_or_else(|e| panic!("{e}"));
    let features = read::layer_features(&scene, "city", Crs::Utm48N, &|p: &std::path::Path| {
        std::fs::read(p).map_err(|e| e.to_string())
    })
    .unwrap();
    let summary: Vec<(&str, FeatureKind, Option<&str>)> = features.iter().map(|f| (f.id.as_str(), f.kind, f.name.as_deref())).collect();
    assert_eq!(
        summary,
        vec![
            ("house", FeatureKind::Building, Some("Nhà văn hoá")),
            ("street", FeatureKind::Road, None)
        ]
    );
    let house = &features[0].geometry;
    assert!((house.unsigned_area() - 120.0).abs() < 1e-3, "{}", house.unsigned_area());
    let b = house.bounding_rect().unwrap();
    assert!(
        (b.min().x - x0).abs() < 1e-6
            && (b.max().x - (x0 + 14.0)).abs() < 1e-6
            && (b.min().y - y0).abs() < 1e-6
            && (b.max().y - (y0 + 10.0)).abs() < 1e-6,
        "{b:?}"
    );
    assert!((features[1].geometry.unsigned_area() - 180.0).abs() < 1e-3);
}
