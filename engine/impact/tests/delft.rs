#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! The Delft CityJSON model (shared `city/delft.city.json`: 160 LoD1
//! buildings, 143 roads, in EPSG:7415, Dutch RD New with NAP heights)
//! placed on a flood grid in UTM 31N: every building becomes one
//! footprint whose area is its lowest horizontal faces' (the ground, or
//! the roof of a solid the file gives no ground face, as some here), computed
//! independently in Python from the file by the shoelace formula in RD New
//! metres; UTM's scale there differs from RD New's by less than 0.02 %.

use std::path::Path;
use std::process::Command;

use geo::Area;
use sontinh_geo::Crs;
use sontinh_impact::{FeatureKind, read};

const REFERENCE: &str = r#"
import json, sys
d = json.load(open(sys.argv[1]))
s, t = d["transform"]["scale"], d["transform"]["translate"]
v = [[a * s[i] + t[i] for i, a in enumerate(p)] for p in d["vertices"]]
def area(ring):
    pts = [v[i] for i in ring]
    return abs(sum(pts[k][0] * pts[(k + 1) % len(pts)][1] - pts[(k + 1) % len(pts)][0] * pts[k][1] for k in range(len(pts)))) / 2
out = {}
for oid, o in d["CityObjects"].items():
    if o["type"] != "Building":
        continue
    total = 0.0
    for g in o.get("geometry", []):
        faces = [f for shell in g["boundaries"] for f in shell] if g["type"] == "Solid" else g["boundaries"]
        flat = [f for f in faces if max(v[i][2] for r in f for i in r) - min(v[i][2] for r in f for i in r) < 1e-6]
        low = min(v[f[0][0]][2] for f in flat)
        for f in flat:
            if abs(v[f[0][0]][2] - low) < 1e-6:
                total += area(f[0]) - sum(area(h) for h in f[1:])
    out[oid] = total
print(json.dumps(out))
"#;

#[test]
fn delft_buildings_are_their_lowest_faces_on_a_utm_grid() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = sontinh_scene::shared_data_dir(&repo.join("tests/scenes")).unwrap_or_else(|e| panic!("{e}"));
    let model = shared.join("city/delft.city.json");
    assert!(
        model.is_file(),
        "{} is missing: the shared test data (see shared/data/README.md)",
        model.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let scene_text = format!(
        r#"format = 1
[site]
id = "delft"
name = {{ vi = "Delft", en = "Delft" }}
description = {{ vi = "", en = "" }}
[origin]
crs = "EPSG:4326"
position = [4.3593, 52.0107, 0.0]
[[layer]]
id = "city"
kind = "city"
path = {path:?}
name = {{ vi = "Đô thị", en = "City" }}
[[bookmark]]
id = "overview"
name = {{ vi = "Toàn cảnh", en = "Overview" }}
eye = [0.0, -500.0, 400.0]
target = [0.0, 0.0, 0.0]
"#,
        path = model.display().to_string()
    );
    std::fs::write(dir.path().join("delft.toml"), scene_text).unwrap();
    let scene = sontinh_scene::load(&dir.path().join("delft.toml")).unwrap_or_else(|e| panic!("{e}"));
    let utm31 = Crs::from_epsg(32631).unwrap();
    let features = read::layer_features(&scene, "city", utm31, &|p: &Path| std::fs::read(p).map_err(|e| e.to_string())).unwrap();
    let buildings: Vec<_> = features.iter().filter(|f| f.kind == FeatureKind::Building).collect();
    assert_eq!(buildings.len(), 160);
    assert!(
        features.iter().filter(|f| f.kind == FeatureKind::Road).count() > 100,
        "most of the 143 roads have surfaces"
    );

    let python = repo.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the project's Python environment is missing: run tools/setup-debian.sh"
    );
    let out = Command::new(python).arg("-c").arg(REFERENCE).arg(&model).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reference: std::collections::HashMap<String, f64> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reference.len(), 160);
    let mut worst = 0.0f64;
    for b in &buildings {
        let expected = reference[&b.id];
        let got = b.geometry.unsigned_area();
        worst = worst.max((got - expected).abs() / expected);
        assert!(
            (got - expected).abs() <= expected * 2e-3 + 0.01,
            "{}: {got:.3} m² here, {expected:.3} m² by its lowest faces",
            b.id
        );
    }
    assert!(worst > 0.0, "areas in another projection cannot agree exactly");
}
