#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! The impact and extent files as QGIS sees them: GDAL (through pyogrio
//! in the project's Python environment) must read impact.geojson and
//! extent.geojson as EPSG:4326 with the features reached, each where
//! pyproj (PROJ) puts the town's UTM footprints, and impact.csv's rows.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use sontinh_flood_plan::{disk_files, inundate};

const READER: &str = r#"
import json, sys
import pyogrio, pyogrio.raw, pyproj
folder, corners = sys.argv[1], json.loads(sys.argv[2])
out = {}
for name in ["impact.geojson", "impact.csv", "extent.geojson"]:
    path = folder + "/" + name
    info = pyogrio.read_info(path)
    meta, fids, geometry, fields = pyogrio.raw.read(path, read_geometry=False)
    names = list(meta["fields"])
    entry = {"crs": info["crs"], "count": int(info["features"]), "fields": {n: [None if v is None else str(v) for v in fields[i].tolist()] for i, n in enumerate(names)}}
    if name.endswith(".geojson"):
        fids, bounds = pyogrio.read_bounds(path)
        entry["bounds"] = [list(map(float, b)) for b in bounds.T]
    out[name] = entry
to_wgs84 = pyproj.Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)
out["pyproj"] = {k: [list(to_wgs84.transform(x, y)) for x, y in v] for k, v in corners.items()}
print(json.dumps(out))
"#;

#[test]
fn gdal_reads_the_impact_and_extent_as_wgs84_where_pyproj_puts_the_town() {
    let (town, path) = town("layers = [\"buildings\", \"roads\"]\nareas = \"communes\"\narea_name = \"ten_xa\"");
    let scene = load(&path);
    let (files, _) = inundate(&scene, None, &[("g".into(), 3.0)], &disk_files).unwrap();
    let out = tempfile::tempdir().unwrap();
    for f in &files {
        std::fs::write(out.path().join(&f.name), &f.bytes).unwrap();
    }
    // UTM corners PROJ takes to WGS 84: B1's footprint, and the flooded
    // columns 0–11 over the whole grid (x0..x0 + 120, y0 − 400..y0).
    let b1 = building_utm(&town, 2, 5);
    let corners = serde_json::json!({
        "B1": b1,
        "extent": [[town.x0, town.y0 - 400.0], [town.x0 + 120.0, town.y0 - 400.0], [town.x0 + 120.0, town.y0], [town.x0, town.y0]],
    });

    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        python.is_file(),
        "the project's Python environment is missing: run tools/setup-debian.sh (it installs pyogrio and pyproj)"
    );
    let run = Command::new(python)
        .arg("-c")
        .arg(READER)
        .arg(out.path())
        .arg(corners.to_string())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "GDAL could not read the outputs: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();

    let impact = &read["impact.geojson"];
    assert_eq!(impact["crs"], "EPSG:4326");
    assert_eq!(
        read["impact.csv"]["crs"],
        serde_json::Value::Null,
        "a CSV has no CRS; its lon/lat columns are WGS 84"
    );
    let mut ids: Vec<&str> = impact["fields"]["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut csv_ids: Vec<&str> = read["impact.csv"]["fields"]["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    ids.sort_unstable();
    csv_ids.sort_unstable();
    assert_eq!(ids, vec!["1:1", "B1", "B2", "B3", "B6"]);
    assert_eq!(csv_ids, ids, "the CSV lists the same features");

    // B1's bounds as GDAL reads them against PROJ's corners (1e-7° is about a centimetre).
    let bounds_of = |points: &serde_json::Value| {
        let p: Vec<[f64; 2]> = points
            .as_array()
            .unwrap()
            .iter()
            .map(|c| [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()])
            .collect();
        let fold = |i: usize, f: fn(f64, f64) -> f64| p.iter().map(|c| c[i]).reduce(f).unwrap();
        [fold(0, f64::min), fold(1, f64::min), fold(0, f64::max), fold(1, f64::max)]
    };
    let close = |a: &[f64], b: &[f64], what: &str| {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 2e-7, "{what}: GDAL {a:?}, PROJ {b:?}");
        }
    };
    let b1_row = impact["fields"]["id"].as_array().unwrap().iter().position(|v| v == "B1").unwrap();
    let gdal_b1: Vec<f64> = impact["bounds"][b1_row]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    close(&gdal_b1, &bounds_of(&read["pyproj"]["B1"]), "B1");

    let extent = &read["extent.geojson"];
    assert_eq!(extent["crs"], "EPSG:4326");
    assert_eq!(extent["count"], 1);
    let gdal_extent: Vec<f64> = extent["bounds"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    close(&gdal_extent, &bounds_of(&read["pyproj"]["extent"]), "extent");
}
