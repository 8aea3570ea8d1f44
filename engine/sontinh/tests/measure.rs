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
    let cases: [(&[&str], &str); 7] = [
        (&["measure", "distance", "scenes/relic-gallery.toml", "--points", "1,x"], "point 1 \"1,x\""),
        (&["measure", "distance", "scenes/relic-gallery.toml", "--points", "-71.6,44.4"], "at least 2 points"),
        (&["measure", "distance", "scenes/relic-gallery.toml", "--crs", "EPSG:99999", "--points", "1,2", "3,4"], "--crs EPSG:99999"),
        // Outside the generated Citadel's 3.2 km square: nothing there.
        (&["measure", "area", "scenes/quang-tri-citadel.toml", "--points", "107.0,16.5", "107.01,16.5", "107.01,16.51"], "give its height"),
        (&["measure", "profile", "scenes/relic-gallery.toml", "--points", "-71.6,44.4", "--spacing", "5"], "give --points last"),
        (&["measure", "bounds", "scenes/relic-gallery.toml", "--layer", "nowhere"], "the scene has no such layer"),
        (&["measure", "bounds", "scenes/relic-gallery.toml", "--layer", "srtm"], "bounds are given for model and generated layers"),
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

/// A GLB written here by hand: a square pyramid, base 20 m × 20 m on its
/// origin, apex 10 m up (glTF axes: y up, z south).
fn pyramid_glb() -> Vec<u8> {
    // ENU (e, n, u) → glTF (e, u, −n).
    let enu: [[f32; 3]; 5] = [[-10.0, -10.0, 0.0], [10.0, -10.0, 0.0], [10.0, 10.0, 0.0], [-10.0, 10.0, 0.0], [0.0, 0.0, 10.0]];
    let indices: [u32; 18] = [0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4, 0, 2, 1, 0, 3, 2];
    let mut bin = Vec::new();
    for p in enu {
        for v in [p[0], p[2], -p[1]] {
            bin.extend_from_slice(&v.to_le_bytes());
        }
    }
    for i in indices {
        bin.extend_from_slice(&i.to_le_bytes());
    }
    let json = format!(
        r#"{{"asset":{{"version":"2.0"}},"buffers":[{{"byteLength":{}}}],"bufferViews":[{{"buffer":0,"byteOffset":0,"byteLength":60}},{{"buffer":0,"byteOffset":60,"byteLength":72}}],"accessors":[{{"bufferView":0,"componentType":5126,"count":5,"type":"VEC3","min":[-10,0,-10],"max":[10,10,10]}},{{"bufferView":1,"componentType":5125,"count":18,"type":"SCALAR"}}],"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"indices":1}}]}}],"nodes":[{{"mesh":0}}],"scenes":[{{"nodes":[0]}}],"scene":0}}"#,
        bin.len()
    );
    let mut json = json.into_bytes();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&((12 + 8 + json.len() + 8 + bin.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// A scene at `origin` with one mesh layer `id` from `path`, its placement table's lines after it.
fn mesh_scene(dir: &Path, origin: [f64; 2], id: &str, path: &Path, placement: &str) -> PathBuf {
    let scene = dir.join("scene.toml");
    std::fs::write(
        &scene,
        format!(
            "format = 1\n[site]\nid = \"measure-test\"\nname = {{ vi = \"Thử đo\", en = \"Measure test\" }}\ndescription = {{ vi = \"\", en = \"\" }}\n[origin]\ncrs = \"EPSG:4326\"\nposition = [{}, {}, 0.0]\n[[layer]]\nid = \"{id}\"\nkind = \"mesh\"\npath = \"{}\"\nname = {{ vi = \"Mô hình\", en = \"Model\" }}\n[layer.placement]\n{placement}\n[[bookmark]]\nid = \"above\"\nname = {{ vi = \"Trên cao\", en = \"Above\" }}\neye = [0.0, -30.0, 30.0]\ntarget = [0.0, 0.0, 0.0]\nfov_deg = 50.0\n",
            origin[0],
            origin[1],
            path.display()
        ),
    )
    .unwrap();
    scene
}

fn lon_lat(g: sontinh_geo::Geodetic) -> String {
    format!("{:.12},{:.12}", g.lon_deg, g.lat_deg)
}

/// A pyramid placed 5 m up, turned 30° clockwise and doubled: a profile
/// east–west across it gives, at every sample, the pyramid's exact height
/// there (its faces' planes, from the placement as the scene file defines
/// it), and nothing off its base; a point at its apex is at 25 m.
#[test]
fn a_profile_across_a_placed_pyramid_gives_its_exact_heights() {
    let dir = tempfile::tempdir().unwrap();
    let glb = dir.path().join("pyramid.glb");
    std::fs::write(&glb, pyramid_glb()).unwrap();
    let origin = [107.194, 16.747];
    let scene = mesh_scene(dir.path(), origin, "pyramid", &glb, "position = [0.0, 0.0, 5.0]\nheading_deg = 30.0\nscale = 2.0");
    let frame = sontinh_geo::EnuFrame::new(sontinh_geo::Geodetic::new(origin[0], origin[1], 0.0));
    // Off the pyramid the ends have no surface: their heights are given.
    let (a, b) = (lon_lat(frame.enu_to_geodetic([-30.0, 3.0, 0.0])) + ",0", lon_lat(frame.enu_to_geodetic([30.0, 3.0, 0.0])) + ",0");
    let profile = json_of(&sontinh(&["measure", "profile", scene.to_str().unwrap(), "--spacing", "0.25", "--json", "--points", &a, &b]));
    assert_eq!(profile["layers"], serde_json::json!(["pyramid"]));
    let (sin, cos) = 30f64.to_radians().sin_cos();
    let (mut on, mut off) = (0, 0);
    for s in profile["samples"].as_array().unwrap() {
        let (lon, lat) = (s["lon"].as_f64().unwrap(), s["lat"].as_f64().unwrap());
        // The model's own east and north: heading turns its north to (sin, cos), its east to (cos, −sin); scale 2.
        let reach = |enu: [f64; 3]| {
            let x = (enu[0] * cos - enu[1] * sin) / 2.0;
            let y = (enu[0] * sin + enu[1] * cos) / 2.0;
            x.abs().max(y.abs())
        };
        match s["heights"]["pyramid"].as_f64() {
            Some(h) => {
                // The point given, in the scene's frame (the ellipsoid's normal there is not quite ENU's up).
                let enu = frame.geodetic_to_enu(sontinh_geo::Geodetic::new(lon, lat, h));
                assert!(reach(enu) <= 10.0 + 1e-6, "{s}: a height off the base ({} m from the axis)", reach(enu));
                let exact = 5.0 + 2.0 * (10.0 - reach(enu));
                assert!((enu[2] - exact).abs() < 1e-6, "{s}: up {} m, exact {exact} m", enu[2]);
                on += 1;
            }
            None => {
                let base = frame.geodetic_to_enu(sontinh_geo::Geodetic::new(lon, lat, 5.0));
                assert!(reach(base) >= 10.0 - 1e-6, "{s}: no height {} m from the axis", reach(base));
                off += 1;
            }
        }
    }
    assert!(on > 150 && off > 40, "{on} samples on the pyramid, {off} off it");
    let apex = json_of(&sontinh(&["measure", "point", scene.to_str().unwrap(), "--json", "--points", &lon_lat(frame.enu_to_geodetic([0.0, 0.0, 0.0]))]));
    assert!((apex["points"][0]["height_m"].as_f64().unwrap() - 25.0).abs() < 1e-6, "{apex}");
}

/// The Smithsonian scan at 100 m up by its own origin: the shared README's
/// bounding box, (−0.243, −0.431, 16.786)–(0.133, 0.010, 17.072) m in glTF
/// axes (x east, y up, z south), is its box in the scene's frame to the
/// millimetre, 0.376 m east × 0.286 m north × 0.441 m up; a point at its
/// middle stands on it, between its lowest and highest vertex.
#[test]
fn the_smithsonian_scans_bounds_and_a_point_on_it_agree_with_the_shared_readme() {
    let dir = tempfile::tempdir().unwrap();
    let glb = shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb");
    let origin = [-71.3033, 44.2708];
    let scene = mesh_scene(dir.path(), origin, "scan", &glb, "position = [0.0, 0.0, 100.0]");
    let (readme_min, readme_max) = ([-0.243, -0.431, 16.786], [0.133, 0.010, 17.072]);
    let min = [readme_min[0], -readme_max[2], readme_min[1] + 100.0];
    let max = [readme_max[0], -readme_min[2], readme_max[1] + 100.0];
    let bounds = json_of(&sontinh(&["measure", "bounds", scene.to_str().unwrap(), "--layer", "scan", "--json"]));
    for i in 0..3 {
        assert!((bounds["min"][i].as_f64().unwrap() - min[i]).abs() < 1e-3, "{bounds}");
        assert!((bounds["max"][i].as_f64().unwrap() - max[i]).abs() < 1e-3, "{bounds}");
    }
    for (i, size) in [0.376, 0.286, 0.441].into_iter().enumerate() {
        assert!((bounds["size_m"][i].as_f64().unwrap() - size).abs() < 1e-3, "{bounds}");
    }
    let text = sontinh(&["measure", "bounds", scene.to_str().unwrap(), "--layer", "scan"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("0.376 × 0.286 × 0.441 m"), "{}", String::from_utf8_lossy(&text.stdout));
    let frame = sontinh_geo::EnuFrame::new(sontinh_geo::Geodetic::new(origin[0], origin[1], 0.0));
    let middle = frame.enu_to_geodetic([(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0, 0.0]);
    let point = json_of(&sontinh(&["measure", "point", scene.to_str().unwrap(), "--json", "--points", &lon_lat(middle)]));
    let h = point["points"][0]["height_m"].as_f64().unwrap();
    assert!(h > min[2] && h < max[2], "{h} m outside {}..{} m", min[2], max[2]);
    println!("bounds {bounds}; height at the middle {h:.4} m");
}

/// The generated Citadel is a surface too: a point on the east curtain
/// wall (x 250 m, away from the gate) is on its top, the wall walk's
/// height of the generator's landmarks, in the scene's frame; a profile lists the layer.
#[test]
fn a_point_on_the_citadels_wall_is_on_its_top() {
    let frame = sontinh_geo::EnuFrame::new(sontinh_geo::Geodetic::new(107.194, 16.747, 0.0));
    let wall = frame.enu_to_geodetic([250.0, 100.0, 0.0]);
    let point = json_of(&sontinh(&["measure", "point", "scenes/quang-tri-citadel.toml", "--json", "--points", &lon_lat(wall)]));
    let h = point["points"][0]["height_m"].as_f64().unwrap();
    let wall_top = sontinh_procgen::citadel::landmarks(&sontinh_procgen::citadel::Layout::default()).wall_top_m;
    let top = frame.enu_to_geodetic([250.0, 100.0, f64::from(wall_top)]).height_m;
    assert!((h - top).abs() < 1e-4, "{h} m, the wall's top {top} m");
}

/// The pose the command places models with is the viewer's layer
/// transform (`sontinh_layers::placement_transform`, in f32 and render
/// axes), with the base anchor's shift under it.
#[test]
fn the_commands_placement_is_the_viewers() {
    use bevy::math::Vec3;
    let placements = [(0.0, 0.0, 0.0, 1.0), (20.0, 0.0, 0.0, 10.0), (-75.0, 12.0, -30.0, 0.5), (200.0, -45.0, 170.0, 3.0)];
    for (heading, pitch, roll, scale) in placements {
        let placement = sontinh_scene::Placement { enu: [3.0, -4.0, 12.5], heading_deg: heading, pitch_deg: pitch, roll_deg: roll, scale, ..Default::default() };
        let shift = [0.25, -1.5, 0.75];
        let pose = sontinh::measure::pose(&placement, shift);
        let transform = sontinh_layers::placement_transform(&placement);
        for v in [[1.0f64, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.3, -2.0, 4.0]] {
            let ours = pose.apply(v);
            let local = [v[0] - shift[0], v[1] - shift[1], v[2] - shift[2]];
            let world = transform.transform_point(Vec3::new(local[0] as f32, local[2] as f32, -local[1] as f32));
            let viewer = [world.x as f64, -world.z as f64, world.y as f64];
            for i in 0..3 {
                assert!((ours[i] - viewer[i]).abs() < 1e-4, "{placement:?} {v:?}: {ours:?} vs {viewer:?}");
            }
        }
    }
}
