#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The readers against an independent one: GDAL (through the project's
//! Python environment, pyogrio) writes Shapefile, GeoPackage and FlatGeobuf
//! copies of the same GeoJSON and measures them; `sontinh-vector` reads all
//! four and must find the same features, vertices, areas, bounds and CRS.

use std::path::{Path, PathBuf};
use std::process::Command;

use geo::Area;
use sontinh_vector::{Crs, Driver, Value, VectorData, VectorError, bounds_of, for_each_coord, geometry_type_name};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$SONTINH_SHARED_DATA`, else `../shared/data` beside the repository.
fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    assert!(
        dir.is_dir(),
        "shared test data missing: {} (set SONTINH_SHARED_DATA)",
        dir.display()
    );
    dir
}

/// Writes `SRC` as OUT/copy.shp, OUT/copy.gpkg and OUT/copy.fgb with GDAL
/// (the layer type given, "" for the source's), then prints what GDAL reads
/// back from each: feature count, CRS, total bounds, and per-feature
/// envelopes in file order (`read_bounds`).
const WRITER: &str = r#"
import json, sys
import pyogrio, pyogrio.raw as raw
src, out, shp_type = sys.argv[1], sys.argv[2], sys.argv[3]
meta, fids, geometry, fields = raw.read(src)
paths = {"GeoJSON": src}
for driver, ext in [("ESRI Shapefile", "shp"), ("GPKG", "gpkg"), ("FlatGeobuf", "fgb")]:
    if driver == "ESRI Shapefile" and not shp_type:
        continue
    path = f"{out}/copy.{ext}"
    gtype = shp_type if driver == "ESRI Shapefile" else meta["geometry_type"]
    raw.write(path, geometry, fields, fields=meta["fields"], driver=driver, geometry_type=gtype, crs=meta["crs"], encoding="UTF-8" if driver == "ESRI Shapefile" else None)
    paths[driver] = path
report = {}
for driver, path in paths.items():
    info = pyogrio.read_info(path, force_total_bounds=True)
    _, bounds = pyogrio.read_bounds(path)
    report[driver] = {
        "path": path,
        "features": int(info["features"]),
        "crs": info["crs"],
        "total_bounds": [float(v) for v in info["total_bounds"]],
        "bounds": [[float(v) for v in bounds[:, i]] for i in range(bounds.shape[1])],
    }
print(json.dumps(report))
"#;

fn gdal_copies(src: &Path, out: &Path, shapefile_type: &str) -> serde_json::Value {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the project's Python environment is missing: run tools/setup-debian.sh (it installs pyogrio)"
    );
    let o = Command::new(python)
        .arg("-c")
        .arg(WRITER)
        .arg(src)
        .arg(out)
        .arg(shapefile_type)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "GDAL (pyogrio) could not write the copies: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn vertices(g: &geo::Geometry<f64>) -> usize {
    let mut n = 0;
    for_each_coord(g, &mut |_| n += 1);
    n
}

fn name(data: &VectorData, i: usize) -> String {
    data.features[i]
        .property("shapeName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The feature whose `name` is `name` (FlatGeobuf's order is its index's).
fn by_name<'a>(data: &'a VectorData, name: &str) -> &'a sontinh_vector::Feature {
    let found: Vec<_> = data
        .features
        .iter()
        .filter(|f| f.property("name").and_then(Value::as_str) == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "{:?}: {name}", data.driver);
    found[0]
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9, "{what}: {a} vs {b}");
}

fn check_bounds(b: sontinh_vector::Bounds, gdal: &serde_json::Value, what: &str) {
    let g: Vec<f64> = gdal.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    close(b.min_x, g[0], what);
    close(b.min_y, g[1], what);
    close(b.max_x, g[2], what);
    close(b.max_y, g[3], what);
}

/// Reads every copy and checks it against the GeoJSON read by sontinh-vector
/// and against what GDAL measured in that copy.
fn check_copies(report: &serde_json::Value, expected_count: usize) -> Vec<VectorData> {
    let reference = sontinh_vector::read(report["GeoJSON"]["path"].as_str().unwrap()).unwrap();
    assert_eq!(reference.driver, Driver::GeoJson);
    assert_eq!(reference.features.len(), expected_count);
    let mut all = Vec::new();
    for (driver, kind) in [
        ("GeoJSON", Driver::GeoJson),
        ("ESRI Shapefile", Driver::Shapefile),
        ("GPKG", Driver::GeoPackage),
        ("FlatGeobuf", Driver::FlatGeobuf),
    ] {
        let gdal = &report[driver];
        if gdal.is_null() {
            continue;
        }
        let path = gdal["path"].as_str().unwrap();
        let data = sontinh_vector::read(path).unwrap_or_else(|e| panic!("{driver}: {e}"));
        assert_eq!(data.driver, kind);
        assert_eq!(gdal["crs"], "EPSG:4326", "GDAL's reading of {driver}");
        assert_eq!(data.crs, Some(Crs::Wgs84), "{driver}: CRS (definition {:?})", data.crs_definition);
        assert_eq!(data.features.len(), expected_count, "{driver}");
        assert_eq!(gdal["features"].as_u64(), Some(expected_count as u64), "{driver}");
        check_bounds(data.bounds().unwrap(), &gdal["total_bounds"], &format!("{driver} total bounds"));
        check_bounds(
            data.bounds_wgs84().unwrap().unwrap(),
            &gdal["total_bounds"],
            &format!("{driver} WGS 84 bounds"),
        );
        let gdal_bounds = gdal["bounds"].as_array().unwrap();
        assert_eq!(gdal_bounds.len(), expected_count);
        for (i, ours) in data.features.iter().enumerate() {
            let what = format!("{driver} feature {i}");
            // FlatGeobuf's spatial index orders features along a Hilbert
            // curve: the GeoJSON's feature is found by its key.
            let key = ours
                .property("shapeID")
                .or_else(|| ours.property("name"))
                .unwrap_or_else(|| panic!("{what}: no key"));
            let theirs = reference
                .features
                .iter()
                .find(|f| f.property("shapeID").or_else(|| f.property("name")) == Some(key))
                .unwrap_or_else(|| panic!("{what}: {key:?} not in the GeoJSON"));
            assert_eq!(ours.properties.len(), theirs.properties.len(), "{what}");
            for (key, value) in &theirs.properties {
                assert_eq!(ours.property(key), Some(value), "{what}: {key}");
            }
            assert_eq!(vertices(&ours.geometry), vertices(&theirs.geometry), "{what}: vertices");
            close(
                ours.geometry.unsigned_area(),
                theirs.geometry.unsigned_area(),
                &format!("{what}: area"),
            );
            check_bounds(
                bounds_of(&ours.geometry).unwrap(),
                &gdal_bounds[i],
                &format!("{what}: bounds against GDAL's"),
            );
        }
        all.push(data);
    }
    all
}

#[test]
fn geoboundaries_provinces_in_four_formats() {
    let src = shared_data().join("vector/geoBoundaries-VNM-ADM1.geojson");
    let dir = tempfile::tempdir().unwrap();
    let report = gdal_copies(&src, dir.path(), "MultiPolygon");
    let layers = check_copies(&report, 64);
    assert_eq!(layers.len(), 4);
    // Quảng Trị by name in every copy: the same feature, within the bounds
    // the data's README states for the province (106.520–107.389 E, 16.303–17.164 N).
    for data in &layers {
        let gdal_bounds = report[data.driver.name()]["bounds"].as_array().unwrap();
        let found: Vec<usize> = (0..data.features.len()).filter(|&i| name(data, i) == "Quảng Trị").collect();
        assert_eq!(found.len(), 1, "{:?}: Quảng Trị once", data.driver);
        let i = found[0];
        assert_eq!(data.features[i].property("shapeISO"), Some(&Value::Text("VN-25".to_owned())));
        let b = bounds_of(&data.features[i].geometry).unwrap();
        check_bounds(b, &gdal_bounds[i], "Quảng Trị against GDAL");
        assert!((b.min_x - 106.520).abs() < 0.0006 && (b.max_x - 107.389).abs() < 0.0006, "{b:?}");
        assert!((b.min_y - 16.303).abs() < 0.0006 && (b.max_y - 17.164).abs() < 0.0006, "{b:?}");
        // The single-province file is the same outline (its README: 300 vertices).
        let single = sontinh_vector::read(shared_data().join("vector/quang_tri_province_geoBoundaries_ADM1.geojson")).unwrap();
        assert_eq!(single.features.len(), 1);
        assert_eq!(vertices(&single.features[0].geometry), 300);
        close(
            bounds_of(&single.features[0].geometry).unwrap().min_x,
            b.min_x,
            "single-province file",
        );
    }
    // The same 64 names in every format.
    let names = |data: &VectorData| {
        let mut names: Vec<String> = (0..data.features.len()).map(|i| name(data, i)).collect();
        names.sort();
        names
    };
    for data in &layers[1..] {
        assert_eq!(names(data), names(&layers[0]), "{:?}", data.driver);
    }
    assert_eq!(names(&layers[0]).iter().filter(|n| !n.is_empty()).count(), 64);
}

const SHAPES: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"name": "yard with a pond", "rank": 1, "share": 0.25, "open": true},
  "geometry": {"type": "Polygon", "coordinates": [
    [[107.19, 16.74], [107.20, 16.74], [107.20, 16.75], [107.19, 16.75], [107.19, 16.74]],
    [[107.192, 16.742], [107.192, 16.746], [107.196, 16.746], [107.196, 16.742], [107.192, 16.742]]]}},
 {"type": "Feature", "properties": {"name": "two islands", "rank": 2, "share": 1.5, "open": false},
  "geometry": {"type": "MultiPolygon", "coordinates": [
    [[[107.0, 17.0], [107.01, 17.0], [107.01, 17.01], [107.0, 17.01], [107.0, 17.0]],
     [[107.002, 17.002], [107.002, 17.004], [107.004, 17.004], [107.004, 17.002], [107.002, 17.002]]],
    [[[107.05, 17.0], [107.06, 17.0], [107.055, 17.01], [107.05, 17.0]]]]}}
]}"#;

const MIXED: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"name": "gauge"}, "geometry": {"type": "Point", "coordinates": [107.194, 16.747]}},
 {"type": "Feature", "properties": {"name": "road"}, "geometry": {"type": "LineString", "coordinates": [[107.0, 16.8], [107.1, 16.85], [107.2, 16.8]]}},
 {"type": "Feature", "properties": {"name": "lights"}, "geometry": {"type": "MultiPoint", "coordinates": [[107.1, 16.7], [107.11, 16.71]]}},
 {"type": "Feature", "properties": {"name": "banks"}, "geometry": {"type": "MultiLineString", "coordinates": [[[107.0, 16.0], [107.1, 16.1]], [[107.0, 16.2], [107.1, 16.3], [107.2, 16.3]]]}},
 {"type": "Feature", "properties": {"name": "pond"}, "geometry": {"type": "Polygon", "coordinates": [[[107.3, 16.3], [107.4, 16.3], [107.4, 16.4], [107.3, 16.3]]]}}
]}"#;

#[test]
fn holes_and_multi_geometries_in_four_formats() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shapes.geojson");
    std::fs::write(&src, SHAPES).unwrap();
    let report = gdal_copies(&src, dir.path(), "MultiPolygon");
    let layers = check_copies(&report, 2);
    for data in &layers {
        let holes: Vec<usize> = ["yard with a pond", "two islands"]
            .iter()
            .map(|n| match &by_name(data, n).geometry {
                geo::Geometry::Polygon(p) => p.interiors().len(),
                geo::Geometry::MultiPolygon(m) => m.0.iter().map(|p| p.interiors().len()).sum(),
                _ => usize::MAX,
            })
            .collect();
        assert_eq!(holes, [1, 1], "{:?}", data.driver);
        assert_eq!(
            geometry_type_name(&by_name(data, "two islands").geometry),
            "MultiPolygon",
            "{:?}",
            data.driver
        );
        assert_eq!(
            by_name(data, "two islands").property("open"),
            Some(&Value::Bool(false)),
            "{:?}",
            data.driver
        );
        let f = by_name(data, "yard with a pond");
        assert_eq!(f.property("rank"), Some(&Value::Int(1)), "{:?}", data.driver);
        assert_eq!(f.property("share"), Some(&Value::Float(0.25)), "{:?}", data.driver);
        // The hole is cut out: 0.01² − 0.004² square degrees.
        close(f.geometry.unsigned_area(), 0.0001 - 0.000016, "yard area");
    }
}

#[test]
fn points_and_lines_in_geopackage_and_flatgeobuf() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("mixed.geojson");
    std::fs::write(&src, MIXED).unwrap();
    let report = gdal_copies(&src, dir.path(), "");
    let layers = check_copies(&report, 5);
    assert_eq!(layers.len(), 3);
    for data in &layers {
        let types: Vec<&str> = ["gauge", "road", "lights", "banks", "pond"]
            .iter()
            .map(|n| geometry_type_name(&by_name(data, n).geometry))
            .collect();
        assert_eq!(
            types,
            ["Point", "LineString", "MultiPoint", "MultiLineString", "Polygon"],
            "{:?}",
            data.driver
        );
        let info = data.info();
        assert_eq!(info.vertex_count, 1 + 3 + 2 + 5 + 4);
    }
}

fn err_text(r: Result<VectorData, VectorError>) -> String {
    match r {
        Ok(data) => panic!("read {} features from a bad file", data.features.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_files_give_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shapes.geojson");
    std::fs::write(&src, SHAPES).unwrap();
    gdal_copies(&src, dir.path(), "MultiPolygon");
    let shp = dir.path().join("copy.shp");
    let bytes = std::fs::read(&shp).unwrap();

    // Truncated .shp: the header's length is more than the file.
    let cut = dir.path().join("cut.shp");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    for ext in ["shx", "dbf", "prj"] {
        std::fs::copy(dir.path().join(format!("copy.{ext}")), dir.path().join(format!("cut.{ext}"))).unwrap();
    }
    let e = err_text(sontinh_vector::read(&cut));
    assert!(e.contains("cut.shp") && e.contains("truncated"), "{e}");

    // A record whose point count is forged past its content.
    let mut forged = bytes.clone();
    forged[100 + 8 + 40..100 + 8 + 44].copy_from_slice(&i32::MAX.to_le_bytes());
    let forged_path = dir.path().join("forged.shp");
    std::fs::write(&forged_path, &forged).unwrap();
    for ext in ["shx", "dbf"] {
        std::fs::copy(dir.path().join(format!("copy.{ext}")), dir.path().join(format!("forged.{ext}"))).unwrap();
    }
    let e = err_text(sontinh_vector::read(&forged_path));
    assert!(e.contains("forged.shp") && e.contains("record 0"), "{e}");

    // No .shx beside the .shp.
    let lone = dir.path().join("lone.shp");
    std::fs::write(&lone, &bytes).unwrap();
    let e = err_text(sontinh_vector::read(&lone));
    assert!(e.contains("lone.shp") && e.contains("index") && e.contains("lone.shx"), "{e}");

    // Garbage with a .gpkg name, and an SQLite file that is no GeoPackage.
    let garbage = dir.path().join("garbage.gpkg");
    std::fs::write(&garbage, b"this is not a database at all, just words").unwrap();
    let e = err_text(sontinh_vector::read(&garbage));
    assert!(e.contains("garbage.gpkg") && e.contains("not an SQLite database"), "{e}");
    let mut fake = b"SQLite format 3\0".to_vec();
    fake.extend(std::iter::repeat_n(0xA5u8, 4096));
    let fake_path = dir.path().join("fake.gpkg");
    std::fs::write(&fake_path, &fake).unwrap();
    let e = err_text(sontinh_vector::read(&fake_path));
    assert!(e.contains("fake.gpkg") && e.contains("GeoPackage"), "{e}");

    // A FlatGeobuf cut inside a feature.
    let fgb = std::fs::read(dir.path().join("copy.fgb")).unwrap();
    let cut_fgb = dir.path().join("cut.fgb");
    std::fs::write(&cut_fgb, &fgb[..fgb.len() - 7]).unwrap();
    let e = err_text(sontinh_vector::read(&cut_fgb));
    assert!(e.contains("cut.fgb") && e.contains("FlatGeobuf"), "{e}");

    // A FlatGeobuf whose header size is forged.
    let mut forged_fgb = fgb.clone();
    forged_fgb[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let forged_fgb_path = dir.path().join("forged.fgb");
    std::fs::write(&forged_fgb_path, &forged_fgb).unwrap();
    let e = err_text(sontinh_vector::read(&forged_fgb_path));
    assert!(e.contains("forged.fgb") && e.contains("header size"), "{e}");

    // Broken GeoJSON.
    let broken = dir.path().join("broken.geojson");
    std::fs::write(&broken, &SHAPES[..SHAPES.len() / 2]).unwrap();
    let e = err_text(sontinh_vector::read(&broken));
    assert!(e.contains("broken.geojson") && e.contains("not GeoJSON"), "{e}");
}

/// Every prefix of every copy is an error or a read, never a panic.
#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shapes.geojson");
    std::fs::write(&src, SHAPES).unwrap();
    gdal_copies(&src, dir.path(), "MultiPolygon");
    for ext in ["fgb", "shp", "gpkg"] {
        let bytes = std::fs::read(dir.path().join(format!("copy.{ext}"))).unwrap();
        let step = (bytes.len() / 200).max(1);
        for len in (0..bytes.len()).step_by(step) {
            let path = dir.path().join(format!("t.{ext}"));
            std::fs::write(&path, &bytes[..len]).unwrap();
            if ext == "shp" {
                for part in ["shx", "dbf"] {
                    std::fs::copy(dir.path().join(format!("copy.{part}")), dir.path().join(format!("t.{part}"))).unwrap();
                }
            }
            let _ = sontinh_vector::read(&path);
        }
    }
}
