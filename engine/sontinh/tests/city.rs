#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! `sontinh city info` on the shared Delft and Zürich models, with the
//! counts the data README states (read from the files with Python when the
//! data was added), and on bad files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A city model of the shared folder, found by the project's one rule (`sontinh_scene::shared_data_dir`).
fn shared_city(name: &str) -> PathBuf {
    let dir = sontinh_scene::shared_data_dir(&repo()).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("city").join(name);
    assert!(
        file.is_file(),
        "the shared test data is absent: {} (set SONTINH_SHARED_DATA)",
        file.display()
    );
    file
}

fn sontinh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the sontinh binary runs")
}

fn info_json(file: &Path) -> serde_json::Value {
    let o = sontinh(&["city", "info", file.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn city_info_on_delft() {
    let info = info_json(&shared_city("delft.city.json"));
    assert_eq!(info["version"], "2.0");
    assert_eq!(info["epsg"], 7415);
    assert_eq!(info["crs"], "EPSG:28992");
    assert_eq!(info["vertical_epsg"], 5709);
    assert_eq!(info["object_count"], 570);
    for (kind, n) in [
        ("Building", 160),
        ("Road", 143),
        ("PlantCover", 126),
        ("LandUse", 81),
        ("GenericCityObject", 54),
        ("Bridge", 3),
        ("WaterBody", 3),
    ] {
        assert_eq!(info["object_types"][kind], n, "{kind}");
    }
    assert_eq!(info["lods"], serde_json::json!(["1"]));
    assert_eq!(info["vertex_count"], 18_262);
    // The README's extent: x 84616.468–85140.839, y 447422.999–447750.636, z −0.452–16.846.
    let b: Vec<f64> = info["bounds"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let readme = [84616.468, 447422.999, -0.452, 85140.839, 447750.636, 16.846];
    for (ours, theirs) in b.iter().zip(readme) {
        assert!((ours - theirs).abs() < 1e-6, "{b:?} vs {readme:?}");
    }
    // Delft lies near 4.36 E, 52.01 N.
    let w = &info["bounds_wgs84"];
    assert!(
        (w[0].as_f64().unwrap() - 4.36).abs() < 0.02 && (w[1].as_f64().unwrap() - 52.01).abs() < 0.02,
        "{w}"
    );
}

#[test]
fn city_info_on_zurich() {
    let file = shared_city("zurich_subset_lod2.city.json");
    let info = info_json(&file);
    assert_eq!(info["version"], "1.1");
    assert_eq!(info["crs"], "EPSG:2056");
    assert_eq!(info["object_types"]["Building"], 49);
    assert_eq!(info["object_types"]["BuildingPart"], 161);
    assert_eq!(info["vertex_count"], 3_670);
    assert_eq!(info["lods"], serde_json::json!(["2"]));
    for class in ["Roof", "Wall", "Ground"] {
        assert!(
            info["triangles_by_class"][class].as_u64().unwrap() > 0,
            "{class}: {}",
            info["triangles_by_class"]
        );
    }
    let o = sontinh(&["city", "info", file.to_str().unwrap()]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("BuildingPart: 161") && text.contains("EPSG:2056"), "{text}");
}

#[test]
fn city_info_refuses_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.city.json");
    std::fs::write(
        &bad,
        r#"{"type":"CityJSON","version":"2.0","transform":{"scale":[1,1,1],"translate":[0,0,0]},"vertices":[[0,0,0]],
           "CityObjects":{"house":{"type":"Building","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2]]]}]}}}"#,
    )
    .unwrap();
    let o = sontinh(&["city", "info", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.city.json") && err.contains("\"house\"") && err.contains("vertex index 1 is out of range"),
        "{err}"
    );
    let o = sontinh(&["city", "info", dir.path().join("absent.city.json").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("absent.city.json"));
}
