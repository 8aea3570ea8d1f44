#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The shared Delft (CityJSON 2.0, LoD1, EPSG:7415) and Zürich (CityJSON
//! 1.1, LoD2 with semantic surfaces, EPSG:2056) models, against figures
//! computed independently in Python (`.venv`): object counts by type and
//! polygons by semantic type read with the `json` module, polygon areas by
//! Newell's formula, and every vertex taken to WGS 84 and to the scene's
//! ENU frame by pyproj (PROJ's EPSG database picking the transformation;
//! heights pass through, as in the twin, then PROJ's WGS 84 geocentric
//! conversion and the ENU rotation).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sontinh_city::{CityModel, SurfaceClass};
use sontinh_geo::{EnuFrame, Geodetic};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared_city(name: &str) -> PathBuf {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    let file = dir.join("city").join(name);
    assert!(
        file.is_file(),
        "the shared test data is absent: {} (set SONTINH_SHARED_DATA)",
        file.display()
    );
    file
}

const REFERENCE: &str = r#"
import json, sys
import numpy as np
from pyproj import CRS, Transformer

path, lon0, lat0, h0 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
d = json.load(open(path))
types = {}
for o in d["CityObjects"].values():
    types[o["type"]] = types.get(o["type"], 0) + 1
s, t = d["transform"]["scale"], d["transform"]["translate"]
v = np.array(d["vertices"], dtype=float) * np.array(s) + np.array(t)

def newell(ring):
    p = v[ring] - v[ring[0]]
    q = np.roll(p, -1, axis=0)
    return 0.5 * np.array([
        np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
        np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
        np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
    ])

polygons, areas, zero_area = {}, {}, [0]
def surfaces(b, values, depth, sem):
    for i, x in enumerate(b):
        val = None if values is None else values[i]
        if depth == 0:
            kind = "none" if val is None else sem[val]["type"]
            polygons[kind] = polygons.get(kind, 0) + 1
            n = newell(x[0])
            # Holes wind the other way: their vector areas subtract.
            for hole in x[1:]:
                n = n + newell(hole)
            areas[kind] = areas.get(kind, 0.0) + float(np.linalg.norm(n))
            # Vertices on a millimetre grid: a real polygon has at least 5e-7 m², a collinear one rounding's 1e-17.
            zero_area[0] += float(np.linalg.norm(newell(x[0]))) < 1e-12
        else:
            surfaces(x, val, depth - 1, sem)

levels = {"MultiSurface": 0, "CompositeSurface": 0, "Solid": 1, "MultiSolid": 2, "CompositeSolid": 2}
for o in d["CityObjects"].values():
    for g in o.get("geometry", []):
        sem = g.get("semantics")
        surfaces(g["boundaries"], sem["values"] if sem else None, levels[g["type"]], sem["surfaces"] if sem else [])

crs = CRS.from_user_input(d["metadata"]["referenceSystem"])
horizontal = crs.sub_crs_list[0] if crs.is_compound else crs
to_wgs84 = Transformer.from_crs(horizontal, "EPSG:4326", always_xy=True)
# The height takes part in the datum shift, as in sontinh_geo, and passes through.
lon, lat, _ = to_wgs84.transform(v[:, 0], v[:, 1], v[:, 2])
to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
x, y, z = to_ecef.transform(lon, lat, v[:, 2])
ox, oy, oz = to_ecef.transform(lon0, lat0, h0)
sl, cl = np.sin(np.radians(lat0)), np.cos(np.radians(lat0))
so, co = np.sin(np.radians(lon0)), np.cos(np.radians(lon0))
dx, dy, dz = x - ox, y - oy, z - oz
e = -so * dx + co * dy
n = -sl * co * dx - sl * so * dy + cl * dz
u = cl * co * dx + cl * so * dy + sl * dz
print(json.dumps({
    "types": types,
    "zero_area": zero_area[0],
    "polygons": polygons,
    "areas": areas,
    "horizontal_epsg": horizontal.to_epsg(),
    "bounds": [*v.min(axis=0).tolist(), *v.max(axis=0).tolist()],
    "wgs84": [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())],
    "enu": [float(e.min()), float(n.min()), float(u.min()), float(e.max()), float(n.max()), float(u.max())],
}))
"#;

fn reference(file: &Path, origin: Geodetic) -> serde_json::Value {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the project's Python environment is missing: run tools/setup-debian.sh (it installs pyproj)"
    );
    let out = Command::new(python)
        .arg("-c")
        .arg(REFERENCE)
        .arg(file)
        .args([origin.lon_deg, origin.lat_deg, origin.height_m].map(|x| x.to_string()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Python reference failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Triangle areas by class.
fn areas(model: &CityModel) -> BTreeMap<SurfaceClass, f64> {
    let mut out = BTreeMap::new();
    for o in &model.objects {
        for g in &o.geometries {
            for (t, tri) in g.triangles.iter().enumerate() {
                let [a, b, c] = tri.map(|i| model.positions[i as usize]);
                let (u, v) = ([b[0] - a[0], b[1] - a[1], b[2] - a[2]], [c[0] - a[0], c[1] - a[1], c[2] - a[2]]);
                let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
                *out.entry(g.triangle_class(t)).or_insert(0.0) += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            }
        }
    }
    out
}

fn check(name: &str, origin: Geodetic, horizontal_epsg: u16) -> CityModel {
    let file = shared_city(name);
    let model = CityModel::read(&file).unwrap();
    let r = reference(&file, origin);
    let info = model.info();

    // Objects by type: the json module's count.
    let types: BTreeMap<String, usize> = r["types"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as usize))
        .collect();
    assert_eq!(info.object_types, types, "{name}: objects by type");
    assert_eq!(r["horizontal_epsg"], horizontal_epsg);
    assert_eq!(model.crs.as_ref().unwrap().horizontal, sontinh_geo::Crs::Epsg(horizontal_epsg));

    // Polygons by semantic type, and their areas against the triangles'.
    let class_of = |kind: &str| match kind {
        "none" => SurfaceClass::Unclassified,
        other => SurfaceClass::from_type(other),
    };
    let mut polygons = BTreeMap::new();
    let mut expected_areas = BTreeMap::new();
    for (kind, n) in r["polygons"].as_object().unwrap() {
        *polygons.entry(class_of(kind)).or_insert(0) += n.as_u64().unwrap() as usize;
        *expected_areas.entry(class_of(kind)).or_insert(0.0) += r["areas"][kind].as_f64().unwrap();
    }
    assert_eq!(info.surfaces_by_class, polygons, "{name}: polygons by semantic class");
    assert_eq!(
        info.degenerate_polygons as u64,
        r["zero_area"].as_u64().unwrap(),
        "{name}: polygons with no area"
    );
    let ours = areas(&model);
    for (class, expected) in &expected_areas {
        let got = ours.get(class).copied().unwrap_or(0.0);
        assert!(
            (got - expected).abs() <= 1e-6 * expected.max(1.0),
            "{name}: {class:?} area {got} m² from triangles, {expected} m² by Newell's formula"
        );
    }

    // Bounds in the file's CRS (the vertices, transform applied), in WGS 84 and in the scene frame.
    let bounds = info.bounds.unwrap();
    let expected = numbers(&r["bounds"]);
    for k in 0..3 {
        assert!(
            (bounds.min[k] - expected[k]).abs() < 1e-6 && (bounds.max[k] - expected[k + 3]).abs() < 1e-6,
            "{name}: {bounds:?} vs {expected:?}"
        );
    }
    let wgs84 = info.bounds_wgs84.unwrap().unwrap();
    let expected = numbers(&r["wgs84"]);
    let ours = [wgs84.min[0], wgs84.min[1], wgs84.max[0], wgs84.max[1]];
    for (o, e) in ours.iter().zip(&expected) {
        // 1e-7° is about 1 cm: the datum shifts agree to a few millimetres.
        assert!((o - e).abs() < 1e-7, "{name}: WGS 84 bounds {ours:?} vs pyproj's {expected:?}");
    }
    let frame = EnuFrame::new(origin);
    let placed = model.positions_in(&frame).unwrap();
    let mut enu = [
        f64::INFINITY,
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in &placed {
        for k in 0..3 {
            enu[k] = enu[k].min(p[k]);
            enu[k + 3] = enu[k + 3].max(p[k]);
        }
    }
    let expected = numbers(&r["enu"]);
    let worst = enu.iter().zip(&expected).map(|(o, e)| (o - e).abs()).fold(0.0, f64::max);
    eprintln!("{name}: scene-frame bounds within {worst:.4} m of pyproj's");
    for (o, e) in enu.iter().zip(&expected) {
        assert!((o - e).abs() < 0.01, "{name}: scene-frame bounds {enu:?} vs pyproj's {expected:?}");
    }
    model
}

#[test]
fn delft_lod1() {
    let model = check("delft.city.json", Geodetic::new(4.3655, 52.0115, 0.0), 28992);
    let info = model.info();
    assert_eq!(model.version, "2.0");
    assert_eq!(model.crs.as_ref().unwrap().code, 7415);
    assert_eq!(model.crs.as_ref().unwrap().vertical, Some(5709));
    assert_eq!(info.lods, ["1"]);
    assert_eq!(info.vertex_count, 18_262, "the data README's count");
    let building = model.objects.iter().find(|o| o.kind == "Building").unwrap();
    assert!(
        building.attributes.contains_key("lokaalid"),
        "Dutch attributes: {:?}",
        building.attributes.keys()
    );
    assert!(building.triangle_count() > 0);
}

#[test]
fn zurich_lod2_semantics() {
    let model = check("zurich_subset_lod2.city.json", Geodetic::new(8.54, 47.37, 400.0), 2056);
    let info = model.info();
    assert_eq!(model.version, "1.1");
    assert_eq!(info.lods, ["2"]);
    assert_eq!(info.vertex_count, 3_670, "the data README's count");
    for class in [SurfaceClass::Roof, SurfaceClass::Wall, SurfaceClass::Ground] {
        assert!(
            info.triangles_by_class.get(&class).copied().unwrap_or(0) > 0,
            "{class:?} triangles: {:?}",
            info.triangles_by_class
        );
    }
    // Buildings hold their parts: every part's parent is a Building that lists it.
    for part in model.objects.iter().filter(|o| o.kind == "BuildingPart") {
        let parent = model.object(&part.parents[0]).unwrap();
        assert_eq!(parent.kind, "Building");
        assert!(parent.children.contains(&part.id));
    }
}
