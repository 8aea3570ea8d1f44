#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! `sontinh measure` against independent figures: DEM heights read with
//! rasterio (GDAL), distances and VN-2000 coordinates with pyproj (PROJ),
//! through `tools/measure_reference.py` in the project's Python environment.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared(path: &str) -> PathBuf {
    let dir = std::env::var_os("SONTINH_SHARED_DATA").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared/data"));
    let file = dir.join(path);
    assert!(file.is_file(), "the shared test data is absent: {} (set SONTINH_SHARED_DATA)", file.display());
    file
}

fn sontinh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sontinh")).args(args).current_dir(repo()).output().expect("the sontinh binary runs")
}

fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

/// The reference script's answers to `request`.
fn reference(dem: &Path, request: serde_json::Value) -> serde_json::Value {
    let python = repo().join(".venv/bin/python");
    assert!(python.is_file(), "the project's Python environment is missing: run tools/setup-debian.sh (it installs rasterio and pyproj)");
    let mut child = Command::new(python)
        .arg(repo().join("tools/measure_reference.py"))
        .arg(dem)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the reference script failed (tools/setup-debian.sh installs rasterio and pyproj): {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An 11 km profile across the SRTM tile of the relic gallery: each
/// sample's height lies within the heights of the cells around it as
/// rasterio reads them, and the line's length is pyproj's geodesic.
#[test]
fn a_profile_across_the_srtm_tile_agrees_with_rasterio_and_pyproj() {
    let (a, b) = ("-71.70,44.30", "-71.60,44.37");
    let profile = json_of(&sontinh(&["measure", "profile", "scenes/relic-gallery.toml", "--spacing", "90", "--json", "--points", a, b]));
    let samples = profile["samples"].as_array().unwrap();
    assert!(samples.len() > 100, "{} samples", samples.len());
    let positions: Vec<[f64; 2]> = samples.iter().map(|s| [s["lon"].as_f64().unwrap(), s["lat"].as_f64().unwrap()]).collect();
    let answers = reference(
        &shared("dem/N44W072.hgt"),
        serde_json::json!({ "samples": positions, "geodesic": [-71.70, 44.30, -71.60, 44.37] }),
    );
    let mut farthest_from_nearest: f64 = 0.0;
    for (sample, cells) in samples.iter().zip(answers["samples"].as_array().unwrap()) {
        let ours = sample["heights"]["srtm"].as_f64().expect("the tile covers the line");
        let (nearest, lo, hi) = (cells[0].as_f64().unwrap(), cells[1].as_f64().unwrap(), cells[2].as_f64().unwrap());
        assert!(ours >= lo - 1e-6 && ours <= hi + 1e-6, "{sample}: {ours} outside rasterio's {lo}..{hi}");
        farthest_from_nearest = farthest_from_nearest.max((ours - nearest).abs());
    }
    let geodesic = answers["geodesic_m"].as_f64().unwrap();
    let last = samples.last().unwrap()["distance_m"].as_f64().unwrap();
    assert!((last - geodesic).abs() < 1e-3, "profile length {last} m, pyproj {geodesic} m");
    let distance = json_of(&sontinh(&["measure", "distance", "scenes/relic-gallery.toml", "--json", "--points", a, b]));
    assert!((distance["horizontal_m"].as_f64().unwrap() - geodesic).abs() < 1e-3, "{distance}");
    println!("{} samples; largest difference from the nearest cell {farthest_from_nearest:.2} m", samples.len());
}

/// A point at the Citadel in the VN-2000 Quảng Trị zone, as PROJ's EPSG
/// pipeline and the provincial projection give it.
#[test]
fn a_points_vn2000_coordinates_agree_with_pyproj() {
    let point = json_of(&sontinh(&["measure", "point", "scenes/quang-tri-citadel.toml", "--json", "--points", "107.194,16.747,5"]));
    let p = &point["points"][0];
    let answers = reference(&shared("dem/N44W072.hgt"), serde_json::json!({ "vn2000": [[107.194, 16.747]] }));
    let expected = &answers["vn2000"][0];
    for (ours, theirs) in [(&p["vn2000_quang_tri"]["easting"], &expected[0]), (&p["vn2000_quang_tri"]["northing"], &expected[1])] {
        assert!((ours.as_f64().unwrap() - theirs.as_f64().unwrap()).abs() < 0.01, "{point} vs {answers}");
    }
    assert_eq!(p["utm"]["crs"], "EPSG:32648");
    assert_eq!(p["height_m"], 5.0);
}

#[test]
fn measure_reports_bad_input_by_name() {
    let cases: [(&[&str], &str); 5] = [
        (&["measure", "distance", "scenes/relic-gallery.toml", "--points", "1,x"], "point 1 \"1,x\""),
        (&["measure", "distance", "scenes/relic-gallery.toml", "--points", "-71.6,44.4"], "at least 2 points"),
        (&["measure", "distance", "scenes/relic-gallery.toml", "--crs", "EPSG:99999", "--points", "1,2", "3,4"], "--crs EPSG:99999"),
        (&["measure", "area", "scenes/quang-tri-citadel.toml", "--points", "107.19,16.74", "107.2,16.74", "107.2,16.75"], "give its height"),
        (&["measure", "profile", "scenes/relic-gallery.toml", "--points", "-71.6,44.4", "--spacing", "5"], "give --points last"),
    ];
    for (args, expected) in cases {
        let o = sontinh(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A flood folder written by rasterio: ground at 5 m, water 2 m deep over
/// 500 m × 500 m of a 1 km grid of 10 m cells (UTM 48N at the Citadel).
/// Its water volume is 500 000 m³ of grid metres (the bilinear surface
/// between cell centres keeps each cell's volume when the polygon takes the
/// whole wet area and its edge), measured on the ground: divided by UTM's
/// areal scale there, as pyproj gives it.
#[test]
fn the_water_of_a_flood_folder_written_by_rasterio_has_its_exact_volume() {
    let dir = tempfile::tempdir().unwrap();
    let python = repo().join(".venv/bin/python");
    assert!(python.is_file(), "the project's Python environment is missing: run tools/setup-debian.sh (it installs rasterio)");
    let script = r#"
import sys, numpy, rasterio
from rasterio.transform import from_origin
out = sys.argv[1]
transform = from_origin(733400.0, 1853400.0, 10.0, 10.0)
def write(name, values):
    with rasterio.open(f"{out}/{name}", "w", driver="GTiff", width=100, height=100, count=1, dtype="float32", crs="EPSG:32648", transform=transform) as ds:
        ds.write(values.astype("float32"), 1)
write("terrain.tif", numpy.full((100, 100), 5.0))
depth = numpy.zeros((100, 100))
depth[25:75, 25:75] = 2.0
write("max_depth.tif", depth)
# UTM's areal scale at the wet square's centre: its 10 m cells are grid metres.
import pyproj
centre = pyproj.Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(733900.0, 1852900.0)
print(pyproj.Proj("EPSG:32648").get_factors(*centre).areal_scale)
"#;
    let o = Command::new(python).arg("-c").arg(script).arg(dir.path()).output().unwrap();
    assert!(o.status.success(), "rasterio could not write the flood folder: {}", String::from_utf8_lossy(&o.stderr));
    // The square 733500..734300 E, 1852500..1853300 N (the wet 733650..734150 and its edges), in UTM.
    let square = ["733500,1852500,5", "734300,1852500,5", "734300,1853300,5", "733500,1853300,5"];
    let mut args = vec!["measure", "volume", "scenes/quang-tri-citadel.toml", "--crs", "EPSG:32648", "--spacing", "2", "--json", "--flood", dir.path().to_str().unwrap(), "--points"];
    args.extend(square);
    let areal_scale: f64 = String::from_utf8_lossy(&o.stdout).trim().parse().expect("pyproj's areal scale");
    let v = json_of(&sontinh(&args));
    let water = v["water_m3"].as_f64().unwrap();
    // 500 000 m³ in grid metres; on the ground, less by UTM's areal scale (about 1.0005 here).
    let exact = 500_000.0 / areal_scale;
    assert!((water - exact).abs() < 1e-4 * exact, "{water} m³, exact {exact} m³: {v}");
    assert_eq!(v["cells_without_surface"], 0, "{v}");
    println!("water {water:.1} m³ (exact {exact:.1} m³, areal scale {areal_scale:.6})");
}
