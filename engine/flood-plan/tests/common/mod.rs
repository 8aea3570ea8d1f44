//! A small synthetic town written into a temporary folder: a DEM in UTM
//! 48N (40 × 40 cells of 10 m) whose ground rises 0.25 m per column from
//! west to east, seven square buildings, a road and two communes, and a
//! scene that floods it. With water at 3.0 m over the west, the depth in
//! column c is 3 − 0.25 c where that is positive (columns 0 to 11): the
//! numbers the tests check are worked out from that by hand. A run's west
//! edge rises slowly from 0 to 3.0 m over 1.5 h (2 m/h), so that the
//! water reaches ground z at about z / 2 hours and stands level at 3.0 m.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test fixture: failing loudly is the point

use std::path::{Path, PathBuf};

use sontinh_geo::{Crs, Transformer};
use sontinh_raster::{Epsg, GeoRaster, GeoTransform};

pub struct Town {
    pub dir: tempfile::TempDir,
    /// The DEM's north-west corner, UTM 48N metres.
    pub x0: f64,
    pub y0: f64,
}

/// A building's square: columns c..=c+1, rows r..=r+1, 2 m inside the cells' outer edges
/// (it holds those four centres and no other).
pub fn building_utm(t: &Town, c: usize, r: usize) -> [[f64; 2]; 4] {
    let (x, y) = (t.x0 + 10.0 * c as f64, t.y0 - 10.0 * r as f64);
    [[x + 2.0, y - 18.0], [x + 18.0, y - 18.0], [x + 18.0, y - 2.0], [x + 2.0, y - 2.0]]
}

/// (id, first column, first row, commune) of the two-by-two buildings.
pub const BUILDINGS: [(&str, usize, usize, Option<&str>); 6] = [
    ("B1", 2, 5, Some("Bắc")),
    ("B3", 10, 5, Some("Bắc")),
    ("B4", 14, 5, Some("Bắc")),
    ("B2", 6, 30, Some("Nam")),
    ("B5", 20, 30, Some("Nam")),
    ("B7", 34, 10, None),
];

fn polygon(ring: &[[f64; 2]]) -> serde_json::Value {
    let mut ring = ring.to_vec();
    ring.push(ring[0]);
    serde_json::json!({ "type": "Polygon", "coordinates": [ring] })
}

fn feature(properties: serde_json::Value, geometry: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "type": "Feature", "properties": properties, "geometry": geometry })
}

fn collection(features: Vec<serde_json::Value>) -> String {
    serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string()
}

/// The town with `impact` as the scenario's `[flood_scenario.impact]` table's body.
pub fn town(impact: &str) -> (Town, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let to_utm = Transformer::new(Crs::Wgs84, Crs::Utm48N).unwrap();
    let [ox, oy, _] = to_utm.transform([107.194, 16.747, 0.0]).unwrap();
    let (x0, y0) = ((ox / 10.0).floor() * 10.0 - 200.0, (oy / 10.0).floor() * 10.0 + 200.0);
    let t = Town { dir, x0, y0 };
    let dem = GeoRaster {
        width: 40,
        height: 40,
        values: (0..1600).map(|i| 0.25 * (i % 40) as f64).collect(),
        transform: GeoTransform {
            origin_x: x0,
            origin_y: y0,
            pixel_width: 10.0,
            pixel_height: -10.0,
        },
        crs: Some(Epsg {
            code: 32648,
            geographic: false,
        }),
        nodata: None,
        sample_type: "float32",
    };
    sontinh_raster::write_geotiff(&t.dir.path().join("dem.tif"), &dem).unwrap();

    // Buildings in UTM (the layer's `crs` says so), one of them 3 m across
    // inside the cell of column 5, row 32 (it holds no cell centre).
    let mut buildings: Vec<serde_json::Value> = BUILDINGS
        .iter()
        .map(|(id, c, r, _)| {
            feature(
                serde_json::json!({ "id": id, "name": format!("Nhà {id}") }),
                polygon(&building_utm(&t, *c, *r)),
            )
        })
        .collect();
    let (sx, sy) = (x0 + 51.0, y0 - 329.0);
    buildings.push(feature(
        serde_json::json!({ "id": "B6", "name": "Nhà B6" }),
        polygon(&[[sx, sy], [sx + 3.0, sy], [sx + 3.0, sy + 3.0], [sx, sy + 3.0]]),
    ));
    std::fs::write(t.dir.path().join("buildings.geojson"), collection(buildings)).unwrap();

    // A road along row 25 from x0 + 65 to x0 + 255: 190 m, two segments (100 m and 90 m).
    let road = serde_json::json!({ "type": "LineString", "coordinates": [[x0 + 65.0, y0 - 255.0], [x0 + 255.0, y0 - 255.0]] });
    std::fs::write(
        t.dir.path().join("roads.geojson"),
        collection(vec![feature(serde_json::json!({ "name": "Đường 1" }), road)]),
    )
    .unwrap();

    // Two communes in WGS 84 over the west 300 m: north (rows 0–19) and south (rows 20–39).
    let to_wgs84 = Transformer::new(Crs::Utm48N, Crs::Wgs84).unwrap();
    let lonlat = |x: f64, y: f64| {
        let [lon, lat, _] = to_wgs84.transform([x, y, 0.0]).unwrap();
        [lon, lat]
    };
    let commune = |name: &str, top: f64, bottom: f64| {
        let ring = [
            lonlat(x0, bottom),
            lonlat(x0 + 300.0, bottom),
            lonlat(x0 + 300.0, top),
            lonlat(x0, top),
        ];
        feature(serde_json::json!({ "ten_xa": name }), polygon(&ring))
    };
    std::fs::write(
        t.dir.path().join("communes.geojson"),
        collection(vec![commune("Bắc", y0, y0 - 200.0), commune("Nam", y0 - 200.0, y0 - 400.0)]),
    )
    .unwrap();

    // A wall over B1's footprint and one over columns 3–4 of the same rows: six cells under them.
    let walls = vec![
        feature(serde_json::json!({}), polygon(&building_utm(&t, 2, 5))),
        feature(serde_json::json!({}), polygon(&building_utm(&t, 3, 5))),
    ];
    std::fs::write(t.dir.path().join("walls.geojson"), collection(walls)).unwrap();

    let scene = format!(
        r#"format = 1
[site]
id = "town"
name = {{ vi = "Thị trấn", en = "Town" }}
description = {{ vi = "", en = "" }}
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "ground"
kind = "terrain"
path = "dem.tif"
name = {{ vi = "Nền", en = "Ground" }}
[[layer]]
id = "buildings"
kind = "vector"
path = "buildings.geojson"
crs = "EPSG:32648"
name = {{ vi = "Nhà", en = "Buildings" }}
[[layer]]
id = "roads"
kind = "vector"
path = "roads.geojson"
crs = "EPSG:32648"
name = {{ vi = "Đường", en = "Roads" }}
[[layer]]
id = "communes"
kind = "vector"
path = "communes.geojson"
name = {{ vi = "Xã", en = "Communes" }}
[[layer]]
id = "walls"
kind = "vector"
path = "walls.geojson"
crs = "EPSG:32648"
name = {{ vi = "Tường", en = "Walls" }}
[[bookmark]]
id = "overview"
name = {{ vi = "Toàn cảnh", en = "Overview" }}
eye = [0.0, -500.0, 400.0]
target = [0.0, 0.0, 0.0]
[[flood_scenario]]
id = "west"
name = {{ vi = "Tây", en = "West" }}
terrain_layer = "ground"
duration_hours = 2.0
output_interval_minutes = 30.0
[flood_scenario.boundaries]
west = {{ kind = "stage", stage = [[0.0, 0.0], [1.5, 3.0], [3.0, 3.0]] }}
[[flood_scenario.gauge]]
id = "g"
name = {{ vi = "Trạm", en = "Gauge" }}
crs = "EPSG:32648"
position = [{gx}, {gy}]
[flood_scenario.impact]
{impact}
"#,
        gx = x0 + 5.0,
        gy = y0 - 205.0,
    );
    let path = t.dir.path().join("town.toml");
    std::fs::write(&path, scene).unwrap();
    (t, path)
}

pub fn load(path: &Path) -> sontinh_scene::Scene {
    sontinh_scene::load(path).unwrap_or_else(|e| panic!("{e}"))
}

pub fn file<'a>(files: &'a [sontinh_flood_plan::OutputFile], name: &str) -> &'a [u8] {
    &files
        .iter()
        .rev()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .bytes
}

pub fn summary(files: &[sontinh_flood_plan::OutputFile]) -> serde_json::Value {
    serde_json::from_slice(file(files, "summary.json")).unwrap()
}

/// impact.csv's rows by id: (max depth, arrival hours or None, area).
pub fn csv_rows(files: &[sontinh_flood_plan::OutputFile]) -> Vec<(String, f64, Option<f64>, String)> {
    let text = std::str::from_utf8(file(files, "impact.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("layer,id,kind,name,area,max_depth_m,arrival_h,length_m,lon,lat"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let unquote = |s: &str| s.trim_matches('"').to_owned();
            (
                unquote(cells[1]),
                cells[5].parse().unwrap(),
                cells[6].parse().ok(),
                unquote(cells[4]),
            )
        })
        .collect()
}
