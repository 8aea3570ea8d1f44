use std::path::{Path, PathBuf};

use approx::assert_abs_diff_eq;

use super::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Resolves every path to itself, as if it existed.
struct AcceptAll;
impl PathResolver for AcceptAll {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        Ok(PathBuf::from(path))
    }
}

pub(crate) fn parse_str(text: &str) -> Result<Scene, SceneErrors> {
    parse(text, Path::new("test.toml"), &AcceptAll)
}

const MINIMAL: &str = r#"
format = 1
[site]
id = "minimal"
name = { vi = "Tối thiểu", en = "Minimal" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]
"#;

#[test]
fn default_scene_loads() {
    let scene = load(&repo().join("scenes/quang-tri-citadel.toml")).unwrap();
    assert_eq!(scene.id, "quang-tri-citadel");
    assert!(scene.reconstruction, "the default scene must say it is a reconstruction");
    assert_eq!(scene.name.get(Lang::Vi), "Thành cổ Quảng Trị");
    assert_abs_diff_eq!(scene.origin.lat_deg, 16.747, epsilon = 1e-9);
    assert_abs_diff_eq!(scene.origin.lon_deg, 107.194, epsilon = 1e-9);
    assert_eq!(scene.default_bookmark().id, "overview");
    assert_eq!(scene.layers.len(), 1);
    assert_eq!(scene.layers[0].source, LayerSource::Generator(Generator::QuangTriCitadel));
    // The issue asks the Citadel's tour for at least six stops and six hotspots.
    assert!(scene.tours[0].stops.len() >= 6, "{} stops", scene.tours[0].stops.len());
    assert!(scene.hotspots.len() >= 6, "{} hotspots", scene.hotspots.len());
    assert_eq!(scene.flood_scenarios[0].terrain_layer, "citadel");
    // A stop draws the west-to-east gate distance: 500 m between the gates' roofs.
    let shown: Vec<usize> = scene.tours[0].stops.iter().flat_map(|s| s.measurements.clone()).collect();
    assert_eq!(shown.len(), 1);
    let m = &scene.measurements[shown[0]];
    assert_eq!((m.id.as_str(), m.tool), ("west-east-gates", MeasureTool::Distance));
    assert_abs_diff_eq!(m.points[1][0] - m.points[0][0], 500.0);
}

#[test]
fn typo_names_file_line_and_expected_keys() {
    let path = repo().join("tests/scenes/typo-in-key.toml");
    let errors = load(&path).unwrap_err();
    assert_eq!(errors.0.len(), 1);
    let e = &errors.0[0];
    assert_eq!(e.line(), Some(18), "{e}");
    let message = e.to_string();
    assert!(message.contains("typo-in-key.toml:18:"), "{message}");
    assert!(message.contains("positon"), "{message}");
    assert!(message.contains("expected"), "{message}");
}

#[test]
fn every_bad_value_is_reported_with_its_line() {
    let path = repo().join("tests/scenes/bad-values.toml");
    let errors = load(&path).unwrap_err();
    let lines: Vec<(Option<usize>, String)> = errors.iter().map(|e| (e.line(), e.message.clone())).collect();
    let has = |line: usize, needle: &str| lines.iter().any(|(l, m)| *l == Some(line) && m.contains(needle));
    assert!(has(16, "file not found"), "{lines:?}");
    assert!(has(18, "EPSG:99999"), "{lines:?}");
    assert!(has(19, "opacity is 1.5"), "{lines:?}");
    assert!(has(22, "used twice"), "{lines:?}");
    assert!(has(23, "unknown layer kind \"hologram\""), "{lines:?}");
    assert!(has(31, "fov_deg is 200"), "{lines:?}");
    assert_eq!(errors.0.len(), 6, "{lines:?}");
}

#[test]
fn syntax_errors_name_the_line() {
    let text = MINIMAL.replace("target = [0.0, 0.0, 0.0]", "target = [0.0, 0.0,");
    let e = parse_str(&text).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert!(e.0[0].line().is_some());
}

#[test]
fn wrong_types_and_missing_sections_are_errors() {
    let e = parse_str(&MINIMAL.replace("format = 1", "format = \"one\"")).unwrap_err();
    assert!(e.to_string().contains("test.toml:2:"), "{e}");
    let e = parse_str(&MINIMAL.replace("[origin]", "[origen]")).unwrap_err();
    assert!(e.to_string().contains("origen"), "{e}");
    let e = parse_str(&MINIMAL.replace("format = 1", "format = 2")).unwrap_err();
    assert!(e.to_string().contains("expected format = 1"), "{e}");
    let no_bookmark = MINIMAL.split("[[bookmark]]").next().unwrap();
    let e = parse_str(no_bookmark).unwrap_err();
    assert!(e.to_string().contains("no [[bookmark]]"), "{e}");
}

#[test]
fn origin_out_of_range_is_an_error() {
    let e = parse_str(&MINIMAL.replace("[107.194, 16.747, 0.0]", "[107.194, 96.0, 0.0]")).unwrap_err();
    assert!(e.to_string().contains("test.toml:9:"), "{e}");
}

#[test]
fn placements_and_bookmarks_in_other_crs_land_in_enu() {
    let text = format!(
        r#"{MINIMAL}
[[layer]]
id = "statue"
kind = "mesh"
path = "statue.glb"
name = {{ vi = "Tượng", en = "Statue" }}
[layer.placement]
crs = "EPSG:32648"
position = [733995.5334, 1852858.0956, 10.0]
heading_deg = 90.0
scale = 2.0

[[bookmark]]
id = "utm"
name = {{ vi = "UTM", en = "UTM" }}
crs = "EPSG:4326"
eye = [107.194, 16.746, 100.0]
target = [107.194, 16.747, 0.0]
"#
    );
    let scene = parse_str(&text).unwrap();
    let p = scene.layers[0].placement;
    // 100 m east of the origin in UTM is ~100 m east in ENU (UTM grid
    // convergence at 107.19° E, zone centre 105° E, rotates it slightly).
    let distance = (p.enu[0].powi(2) + p.enu[1].powi(2)).sqrt();
    assert_abs_diff_eq!(distance, 100.0 / 0.9996 * 1.0, epsilon = 0.5);
    assert!(p.enu[0] > 99.0, "{:?}", p.enu);
    assert_abs_diff_eq!(p.enu[2], 10.0, epsilon = 0.01);
    assert_eq!(p.scale, 2.0);
    let b = scene.bookmark("utm").unwrap();
    assert!(b.eye[1] < -110.0 && b.eye[1] > -111.5, "{:?}", b.eye);
    assert_abs_diff_eq!(b.target[0], 0.0, epsilon = 1e-6);
}

#[test]
fn feeds_and_tours_are_checked() {
    let text = format!(
        r#"{MINIMAL}
[feeds]
gateway = "http://localhost:8080"

[[tour]]
id = "t"
name = {{ vi = "Tham quan", en = "Tour" }}
[[tour.stop]]
bookmark = "nowhere"
text = {{ vi = "", en = "" }}
"#
    );
    let e = parse_str(&text).unwrap_err();
    let s = e.to_string();
    assert!(s.contains("not a WebSocket URL"), "{s}");
    assert!(s.contains("bookmark \"nowhere\""), "{s}");
    assert!(s.contains("no valid [[tour.stop]]"), "{s}");
}

#[test]
fn missing_and_non_utf8_files_are_errors() {
    let e = load(Path::new("/nonexistent/scene.toml")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/scene.toml: cannot read"), "{e}");
    let dir = std::env::temp_dir().join(format!("sontinh-scene-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("binary.toml");
    std::fs::write(&file, [0x66, 0x6f, 0xff, 0xfe, 0x00]).unwrap();
    let e = load(&file).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shared_paths_without_the_shared_folder_say_so() {
    let dir = std::env::temp_dir().join(format!("sontinh-shared-test-{}", std::process::id()));
    let absent = dir.join("no-shared-data");
    let resolver = FileResolver::with_shared_dir(dir.join("scenes"), absent.clone());
    let e = resolver.resolve("shared:models/x.glb").unwrap_err();
    assert_eq!(
        e,
        format!(
            "the shared data folder {} is absent (set SONTINH_SHARED_DATA to its location)",
            absent.display()
        )
    );
    // Present: resolved inside it; a missing file in it names the file.
    let shared = dir.join("shared-data");
    std::fs::create_dir_all(shared.join("models")).unwrap();
    std::fs::write(shared.join("models/x.glb"), b"glTF").unwrap();
    let resolver = FileResolver::with_shared_dir(dir.join("scenes"), shared.clone());
    assert_eq!(resolver.resolve("shared:models/x.glb").unwrap(), shared.join("models/x.glb"));
    assert_eq!(resolver.resolve("shared:/models/x.glb").unwrap(), shared.join("models/x.glb"));
    let e = resolver.resolve("shared:models/y.glb").unwrap_err();
    assert!(e.starts_with(&format!("{}:", shared.join("models/y.glb").display())), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The one rule for the shared folder, with explicit inputs: the variable,
/// else `shared/data` beside the repository for scenes inside it, else an
/// error naming the variable.
#[test]
fn the_shared_folder_follows_one_rule() {
    let top = std::env::temp_dir().join(format!("sontinh-shared-rule-{}", std::process::id()));
    let repository = top.join("checkout");
    std::fs::create_dir_all(repository.join("scenes")).unwrap();
    let beside = top.join("shared").join("data");
    let variable = std::ffi::OsStr::new("/somewhere/else");

    // The variable wins wherever the scene is; an empty one counts as unset.
    assert_eq!(
        shared_data_dir_by_rule(Some(variable), &repository, Path::new("/elsewhere/scenes")).unwrap(),
        PathBuf::from("/somewhere/else")
    );
    assert_eq!(
        shared_data_dir_by_rule(Some(std::ffi::OsStr::new("")), &repository, &repository.join("scenes")).unwrap(),
        beside
    );
    // Inside the checkout, at any depth, existing or not, with `..` inside it.
    for scene_dir in [
        repository.join("scenes"),
        repository.join("tests/scenes/deeper"),
        repository.join("scenes/../tests"),
        repository.clone(),
    ] {
        assert_eq!(shared_data_dir_by_rule(None, &repository, &scene_dir).unwrap(), beside, "{}", scene_dir.display());
    }
    // Outside it, including a sibling whose name starts the same and a path
    // that leaves the checkout through `..`: no folder, and the error says why.
    for scene_dir in [top.join("checkout-other/scenes"), repository.join("../scenes"), PathBuf::from("/")] {
        let e = shared_data_dir_by_rule(None, &repository, &scene_dir).unwrap_err();
        assert!(
            e.contains("is outside the repository") && e.contains("set SONTINH_SHARED_DATA"),
            "{}: {e}",
            scene_dir.display()
        );
    }
    // No ancestor search: a shared/data folder above the scene is not used.
    std::fs::create_dir_all(top.join("elsewhere/shared/data")).unwrap();
    assert!(shared_data_dir_by_rule(None, &repository, &top.join("elsewhere/scenes")).is_err());
    std::fs::remove_dir_all(&top).unwrap();
}

/// This checkout's scenes get `../shared/data` beside the repository.
#[test]
fn the_repository_scenes_get_the_folder_beside_the_repository() {
    let expected = std::fs::canonicalize(repo()).unwrap().parent().unwrap().join("shared/data");
    assert_eq!(shared_data_dir_by_rule(None, &repository_root(), &repo().join("scenes")).unwrap(), expected);
}

#[test]
fn a_missing_layer_file_keeps_the_scene_but_is_reported() {
    let scene = load(&repo().join("tests/scenes/missing-layer-file.toml")).unwrap();
    assert_eq!(scene.layers.len(), 2);
    assert_eq!(scene.missing_files.len(), 1);
    assert_eq!(scene.missing_files[0].line(), Some(23));
    assert!(matches!(&scene.layers[1].source, LayerSource::Missing { path, .. } if path == "no-such-survey.copc.laz"));
}

#[test]
fn river_reaches_are_read_in_any_crs_and_checked() {
    let text = format!(
        r#"{MINIMAL}
[feeds]
gateway = "ws://127.0.0.1:8787/ws"
[[feeds.reach]]
river = "Thạch Hãn"
name = {{ vi = "Sông Thạch Hãn", en = "Thạch Hãn river" }}
path = [[-560.0, -1800.0], [-700.0, -900.0]]
width_m = 220.0
[[feeds.reach]]
river = "Hiếu"
name = {{ vi = "Sông Hiếu", en = "Hiếu river" }}
crs = "EPSG:4326"
path = [[107.194, 16.747], [107.194, 16.757]]
width_m = 150.0
"#
    );
    let scene = parse_str(&text).unwrap();
    let reaches = &scene.feeds.unwrap().reaches;
    assert_eq!(reaches.len(), 2);
    assert_eq!(reaches[0].path[1], [-700.0, -900.0]);
    // 0.01° of latitude north of a point near the origin: about 1.1 km.
    let north = reaches[1].path[1][1] - reaches[1].path[0][1];
    assert!((north - 1106.0).abs() < 10.0, "{north}");

    let bad = format!(
        r#"{MINIMAL}
[feeds]
gateway = "ws://127.0.0.1:8787/ws"
[[feeds.reach]]
river = "Thạch Hãn"
name = {{ vi = "a", en = "a" }}
path = [[0.0, 0.0]]
width_m = -3.0
"#
    );
    let e = parse_str(&bad).unwrap_err().to_string();
    assert!(e.contains("at least two points") && e.contains("width_m is -3"), "{e}");
}

#[test]
fn terrain_layers_take_a_drape_and_other_layers_do_not() {
    let terrain = format!(
        r#"{MINIMAL}
[[layer]]
id = "ground"
kind = "terrain"
path = "dem.tif"
name = {{ vi = "Địa hình", en = "Terrain" }}
[layer.drape]
path = "photo.jpg"
crs = "EPSG:32648"
"#
    );
    let scene = parse_str(&terrain).unwrap();
    let drape = scene.layers[0].drape.as_ref().unwrap();
    assert_eq!(drape.crs, Some(sontinh_geo::Crs::Utm48N));
    assert!(matches!(&drape.source, LayerSource::File(p) if p.ends_with("photo.jpg")));

    let e = parse_str(&terrain.replace("kind = \"terrain\"", "kind = \"mesh\"")).unwrap_err().to_string();
    assert!(e.contains("only terrain layers take a `drape`") && e.contains("test.toml:"), "{e}");
    let e = parse_str(&terrain.replace("EPSG:32648", "EPSG:99999")).unwrap_err().to_string();
    assert!(e.contains("EPSG:99999"), "{e}");
    let e = parse_str(&terrain.replace("crs = \"EPSG:32648\"", "colour = \"red\"")).unwrap_err().to_string();
    assert!(e.contains("colour"), "{e}");
}

/// A scenario's scheme: a preset and its own values, each checked with
/// its line; none given is the solver's own.
#[test]
fn flood_schemes_are_read_and_checked() {
    let scenario = |scheme: &str| {
        format!(
            r#"{MINIMAL}
[[layer]]
id = "citadel"
kind = "procedural"
generator = "quang-tri-citadel"
name = {{ vi = "Thành", en = "Citadel" }}
[[flood_scenario]]
id = "s"
name = {{ vi = "Lũ", en = "Flood" }}
terrain_layer = "citadel"
duration_hours = 1.0
{scheme}
"#
        )
    };
    let plain = parse_str(&scenario("")).unwrap();
    assert_eq!(plain.flood_scenarios[0].scheme, FloodScheme::default());
    let scene = parse_str(&scenario("[flood_scenario.scheme]\npreset = \"lisflood-fp\"\ntheta = 0.9\nfroude_limit = 0.0")).unwrap();
    let scheme = &scene.flood_scenarios[0].scheme;
    assert_eq!((scheme.preset, scheme.theta, scheme.froude_limit, scheme.alpha), (SchemePreset::LisfloodFp, Some(0.9), Some(0.0), None));
    let e = parse_str(&scenario("[flood_scenario.scheme]\npreset = \"hec-ras\"\ntheta = 1.5\nalpha = 2.0")).unwrap_err();
    let found: Vec<(Option<usize>, String)> = e.iter().map(|e| (e.line(), e.message.clone())).collect();
    let line_of = |key: &str| scenario("[flood_scenario.scheme]\npreset = \"hec-ras\"\ntheta = 1.5\nalpha = 2.0").lines().position(|l| l.starts_with(key)).map(|i| i + 1);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.contains(&(line_of("preset"), "unknown scheme preset \"hec-ras\": expected sontinh or lisflood-fp".into())), "{found:?}");
    assert!(found.contains(&(line_of("theta"), "theta is 1.5: expected a number from 0.5 to 1".into())), "{found:?}");
    assert!(found.iter().any(|(l, m)| *l == line_of("alpha") && m.starts_with("alpha is 2")), "{found:?}");
    let e = parse_str(&scenario("[flood_scenario.scheme]\ntheta_ = 1.0")).unwrap_err().to_string();
    assert!(e.contains("theta_"), "{e}");
}
