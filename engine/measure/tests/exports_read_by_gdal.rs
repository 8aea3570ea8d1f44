#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! The measurements' GeoJSON and CSV as another reader sees them: GDAL
//! (through pyogrio in the project's Python environment), the library QGIS
//! opens files with. The CRS, geometry types, every vertex with its height
//! and the figures must come back as written.

use std::path::{Path, PathBuf};
use std::process::Command;

use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_measure::*;

const READER: &str = r#"
import json, math, struct, sys
import pyogrio, pyogrio.raw

def points(wkb):
    order = '<' if wkb[0] == 1 else '>'
    kind = struct.unpack(order + 'I', wkb[1:5])[0]
    has_z = bool(kind & 0x80000000) or (kind // 1000) in (1, 3)
    base = (kind & 0xFFFF) % 1000
    dims = 3 if has_z else 2
    at = 5
    def read(n):
        nonlocal at
        out = [list(struct.unpack(order + 'd' * dims, wkb[at + k * 8 * dims: at + (k + 1) * 8 * dims])) for k in range(n)]
        at += n * 8 * dims
        return out
    def count():
        nonlocal at
        n = struct.unpack(order + 'I', wkb[at:at + 4])[0]
        at += 4
        return n
    if base == 1:
        return {"type": "Point", "z": has_z, "coordinates": read(1)}
    if base == 2:
        return {"type": "LineString", "z": has_z, "coordinates": read(count())}
    if base == 3:
        rings = [read(count()) for _ in range(count())]
        return {"type": "Polygon", "z": has_z, "coordinates": rings[0]}
    return {"type": "kind %d" % kind}

def cell(v):
    if v is None or isinstance(v, str):
        return v
    v = float(v)
    return None if math.isnan(v) else v

out = {}
for path in sys.argv[1:]:
    info = pyogrio.read_info(path)
    meta, fids, geometry, fields = pyogrio.raw.read(path)
    names = list(meta["fields"])
    out[path] = {
        "crs": info["crs"],
        "geometries": [points(bytes(g)) for g in geometry],
        "fields": {n: [cell(v) for v in fields[i].tolist()] for i, n in enumerate(names)},
    }
print(json.dumps(out))
"#;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn gdal_reads_the_exports_with_their_crs_heights_and_figures() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let at = |e: f64, n: f64, u: f64| frame.enu_to_geodetic([e, n, u]);
    let wall = [at(0.0, 0.0, 1.0), at(0.0, 0.0, 5.5)];
    let yard = [at(0.0, 0.0, 2.0), at(0.0, 40.0, 2.5), at(30.0, 40.0, 3.0), at(30.0, 0.0, 2.0)];
    let ground = |_: Geodetic| Some(4.0);
    let inputs = |tool, points| Inputs { tool, points, ground: Some(&ground), layers: &[], reference: VolumeReference::Level(Some(2.0)), cell_budget: 1_200, profile_samples: 10 };
    let wall_figures = figures(&inputs(MeasureTool::Height, &wall)).unwrap();
    let yard_figures = figures(&inputs(MeasureTool::Volume, &yard)).unwrap();
    let items = [
        Exported { id: "wall", name_vi: "Tường", name_en: "Wall", tool: MeasureTool::Height, points: &wall, figures: Some(&wall_figures) },
        Exported { id: "yard", name_vi: "Sân", name_en: "Yard", tool: MeasureTool::Volume, points: &yard, figures: Some(&yard_figures) },
    ];
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("measurements.geojson");
    let csv_path = dir.path().join("measurements.csv");
    std::fs::write(&json_path, geojson(&items)).unwrap();
    std::fs::write(&csv_path, csv(&items)).unwrap();

    let python = repo().join(".venv/bin/python");
    assert!(python.is_file(), "the project's Python environment is missing: run tools/setup-debian.sh (it installs pyogrio)");
    let out = Command::new(python).arg("-c").arg(READER).arg(&json_path).arg(&csv_path).output().unwrap();
    assert!(out.status.success(), "GDAL could not read the exports (tools/setup-debian.sh installs pyogrio): {}", String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let cut = |f: &Figures| f.summary().into_iter().find(|(k, _)| *k == "cut_m3").unwrap().1;
    for (path, crs) in [(&json_path, Some("EPSG:4326")), (&csv_path, None)] {
        let file = &read[path.to_str().unwrap()];
        assert_eq!(file["crs"].as_str(), crs, "{path:?}");
        let geometries = file["geometries"].as_array().unwrap();
        assert_eq!(geometries.len(), 2, "{path:?}");
        let expected = [("LineString", &wall[..], 2), ("Polygon", &yard[..], 5)];
        for (g, (kind, points, count)) in geometries.iter().zip(expected) {
            assert_eq!(g["type"], kind, "{path:?}");
            assert_eq!(g["z"], true, "{path:?}: heights kept");
            let coords = g["coordinates"].as_array().unwrap();
            assert_eq!(coords.len(), count, "{path:?}");
            // Every vertex given is among those read (a ring may be reversed to run counter-clockwise).
            for p in points {
                assert!(
                    coords.iter().any(|c| {
                        (c[0].as_f64().unwrap() - p.lon_deg).abs() < 2e-9 && (c[1].as_f64().unwrap() - p.lat_deg).abs() < 2e-9 && (c[2].as_f64().unwrap() - p.height_m).abs() < 2e-4
                    }),
                    "{path:?}: {p:?} not in {coords:?}"
                );
            }
        }
        let fields = &file["fields"];
        assert_eq!(fields["id"], serde_json::json!(["wall", "yard"]), "{path:?}");
        let difference = fields["height_difference_m"][0].as_f64().or_else(|| fields["height_difference_m"][0].as_str().and_then(|s| s.parse().ok())).unwrap();
        assert!((difference - 4.5).abs() < 1e-3, "{path:?}: {difference}");
        let read_cut = fields["cut_m3"][1].as_f64().or_else(|| fields["cut_m3"][1].as_str().and_then(|s| s.parse().ok())).unwrap();
        assert!((read_cut - cut(&yard_figures)).abs() < 1e-6, "{path:?}: {read_cut}");
        // Ground at 4 m over a level of 2 m: 2 m of cut over the yard's 1 200 m².
        assert!((read_cut - 2_400.0).abs() < 2_400.0 * 0.03, "{path:?}: {read_cut}");
    }
}
