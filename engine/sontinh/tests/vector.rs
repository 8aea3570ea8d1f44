#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! `sontinh vector info` on the shared geoBoundaries files, with GDAL's
//! figures for them as the reference, and on a bad file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared folder by the project's one rule (`sontinh_scene::shared_data_dir`).
fn shared_data() -> PathBuf {
    let dir = sontinh_scene::shared_data_dir(&repo()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dir.is_dir(),
        "the shared test data is absent: {} (set SONTINH_SHARED_DATA)",
        dir.display()
    );
    dir
}

fn sontinh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the sontinh binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn bounds(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn vector_info_on_the_provinces() {
    let file = shared_data().join("vector/geoBoundaries-VNM-ADM1.geojson");
    let o = sontinh(&["vector", "info", file.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["driver"], "GeoJSON");
    assert_eq!(info["crs"], "EPSG:4326");
    assert_eq!(info["feature_count"], 64);
    let counted: u64 = info["geometry_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 64);
    // GDAL 3 (pyogrio.read_info(..., force_total_bounds=True)) reports these total bounds.
    let gdal = [102.14588283092797, 8.43995762984082, 114.99696468067555, 23.39097449667571];
    for (ours, theirs) in bounds(&info["bounds"]).iter().zip(gdal) {
        assert!((ours - theirs).abs() < 1e-12, "{ours} vs GDAL's {theirs}");
    }
    assert_eq!(bounds(&info["bounds_wgs84"]), bounds(&info["bounds"]));
    let names: Vec<&str> = info["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for name in ["shapeName", "shapeISO", "shapeID", "shapeGroup", "shapeType"] {
        assert!(names.contains(&name), "{names:?}");
    }

    // The single-province file in text: the README's bounds (106.520–107.389 E, 16.303–17.164 N) and 300 vertices.
    let file = shared_data().join("vector/quang_tri_province_geoBoundaries_ADM1.geojson");
    let o = sontinh(&["vector", "info", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("driver: GeoJSON"), "{text}");
    assert!(text.contains("features: 1"), "{text}");
    assert!(text.contains("vertices: 300"), "{text}");
    assert!(text.contains("geometry types: Polygon 1"), "{text}");
    assert!(text.contains("shapeName: text"), "{text}");
    let line = text.lines().find(|l| l.starts_with("bounds (WGS 84 lon/lat):")).unwrap();
    let numbers: Vec<f64> = line
        .split_once(':')
        .unwrap()
        .1
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let stated = [106.520, 16.303, 107.389, 17.164];
    assert_eq!(numbers.len(), 4, "{line}");
    for (ours, stated) in numbers.iter().zip(stated) {
        assert!((ours - stated).abs() < 0.0006, "{line}");
    }
}

#[test]
fn vector_info_names_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gpkg");
    std::fs::write(&bad, b"not a database").unwrap();
    let o = sontinh(&["vector", "info", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.gpkg") && stderr(&o).contains("SQLite"), "{}", stderr(&o));
    let lone = dir.path().join("lone.shp");
    let mut shp = vec![0u8, 0, 0x27, 0x0a];
    shp.resize(100, 0);
    std::fs::write(&lone, &shp).unwrap();
    let o = sontinh(&["vector", "info", lone.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lone.shx"), "{}", stderr(&o));
}
