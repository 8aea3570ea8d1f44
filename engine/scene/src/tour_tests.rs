//! `[[tour]]` stops (bookmark, pose or path; narration with captions; the
//! hotspots, layers and point-cloud settings they want) and `[[hotspot]]`s.

use approx::assert_abs_diff_eq;

use super::tests::parse_str;
use super::*;

const BASE: &str = r#"format = 1
[site]
id = "toured"
name = { vi = "Tham quan", en = "Toured" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "citadel"
kind = "procedural"
generator = "quang-tri-citadel"
name = { vi = "Thành", en = "Citadel" }
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]

[[hotspot]]
id = "gate"
crs = "EPSG:4326"
position = [107.194, 16.747, 12.0]
title = { vi = "Cổng", en = "Gate" }
article.vi = "Cổng *Nam*."
article.en = """The *south* gate.

- an arch
- a tower
"""
bookmark = "home"
"#;

fn stop(body: &str) -> String {
    format!(
        "{BASE}\n[[tour]]\nid = \"t\"\nname = {{ vi = \"Dạo\", en = \"Walk\" }}\n[[tour.stop]]\ntext = {{ vi = \"Một\", en = \"One\" }}\n{body}\n"
    )
}

/// The refusal that says `expected`, with its line.
fn error_saying(text: &str, expected: &str) -> (usize, String) {
    let errors = parse_str(text).expect_err("the scene is refused");
    let e = errors
        .0
        .iter()
        .find(|e| e.to_string().contains(expected))
        .unwrap_or_else(|| panic!("no error says {expected:?}: {errors}"));
    (e.line().unwrap_or(0), e.to_string())
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("needle is in the text") + 1
}

#[test]
fn a_hotspot_placed_in_wgs84_lands_above_the_origin_with_its_article() {
    let scene = parse_str(&stop("bookmark = \"home\"\nhotspots = [\"gate\"]")).expect("scene parses");
    let h = &scene.hotspots[0];
    // The origin itself, 12 m up: exactly (0, 0, 12) in the scene's ENU frame.
    assert_abs_diff_eq!(h.enu[0], 0.0, epsilon = 1e-6);
    assert_abs_diff_eq!(h.enu[1], 0.0, epsilon = 1e-6);
    assert_abs_diff_eq!(h.enu[2], 12.0, epsilon = 1e-6);
    assert_eq!(h.bookmark, Some(0));
    let article = markdown::parse_markdown(&h.article.en).expect("article parses");
    assert_eq!(article.plain_text(), "The south gate.\nan arch\na tower");
    assert_eq!(scene.tours[0].stops[0].hotspots, vec![0]);
}

#[test]
fn a_stop_takes_a_bookmark_a_pose_or_a_path() {
    let scene = parse_str(&stop("eye = [10.0, 20.0, 30.0]\ntarget = [0.0, 0.0, 5.0]\nfov_deg = 60.0")).unwrap();
    assert_eq!(
        scene.tours[0].stops[0].camera,
        StopCamera::Pose(View {
            eye: [10.0, 20.0, 30.0],
            target: [0.0, 0.0, 5.0],
            fov_deg: 60.0
        })
    );
    let scene = parse_str(&stop(
        "path = [{ eye = [0.0, -300.0, 20.0], target = [0.0, 0.0, 5.0] }, { eye = [300.0, 0.0, 20.0], target = [0.0, 0.0, 5.0], fov_deg = 30.0 }]\npath_seconds = 12.0",
    ))
    .unwrap();
    let s = &scene.tours[0].stops[0];
    let StopCamera::Path { waypoints, seconds } = &s.camera else {
        panic!("a path stop: {:?}", s.camera)
    };
    assert_eq!(*seconds, 12.0);
    assert_eq!(waypoints.len(), 2);
    assert_eq!(waypoints[0].fov_deg, 45.0);
    // The stop rests at the path's last waypoint.
    assert_eq!(s.view(&scene.bookmarks).unwrap().eye, [300.0, 0.0, 20.0]);
    assert_eq!(s.view(&scene.bookmarks).unwrap().fov_deg, 30.0);
}

#[test]
fn camera_mistakes_name_their_line() {
    for (body, needle, expected) in [
        ("seconds = 3.0", "[[tour.stop]]", "give exactly one of"),
        ("bookmark = \"home\"\neye = [1.0, 2.0, 3.0]", "[[tour.stop]]", "give exactly one of"),
        ("bookmark = \"nowhere\"", "nowhere", "does not have"),
        ("eye = [1.0, 2.0, 3.0]", "[[tour.stop]]", "needs both `eye` and `target`"),
        (
            "path = [{ eye = [0.0, 1.0, 2.0], target = [0.0, 0.0, 0.0] }]\npath_seconds = 4.0",
            "path =",
            "at least two waypoints",
        ),
        (
            "path = [{ eye = [0.0, 1.0, 2.0], target = [0.0, 0.0, 0.0] }, { eye = [5.0, 1.0, 2.0], target = [0.0, 0.0, 0.0] }]",
            "path =",
            "needs `path_seconds`",
        ),
        ("bookmark = \"home\"\npath_seconds = 4.0", "[[tour.stop]]", "goes with a `path`"),
    ] {
        let text = stop(body);
        let (line, message) = error_saying(&text, expected);
        assert_eq!(line, line_of(&text, needle), "{body}: {message}");
    }
}

#[test]
fn narration_needs_captions_and_files_that_exist() {
    let text = stop("bookmark = \"home\"\naudio = { vi = \"a.vi.ogg\", en = \"a.en.ogg\" }");
    let (line, _) = error_saying(&text, "needs `captions`");
    assert_eq!(line, line_of(&text, "audio ="));

    let ok =
        stop("bookmark = \"home\"\naudio = { vi = \"a.vi.ogg\", en = \"a.en.ogg\" }\ncaptions = { vi = \"a.vi.vtt\", en = \"a.en.vtt\" }");
    let scene = parse_str(&ok).expect("with captions, the stop parses");
    let narration = scene.tours[0].stops[0].narration.as_ref().expect("narration");
    assert_eq!(narration.captions.get(Lang::En), &std::path::PathBuf::from("a.en.vtt"));
    assert_eq!(narration.written.get(Lang::Vi).0, "a.vi.ogg");

    // Files the resolver cannot find are reported with the line naming them:
    // the viewer still shows the scene, `scene check` fails.
    let nowhere = std::env::temp_dir().join(format!("sontinh-no-such-folder-{}", std::process::id()));
    let scene = parse(&ok, &nowhere.join("s.toml"), &FileResolver::new(nowhere.clone())).expect("the scene still loads");
    let missing: Vec<String> = scene.missing_files.iter().map(|e| e.to_string()).collect();
    assert_eq!(missing.len(), 4, "{missing:?}");
    assert!(missing[0].contains(&format!(":{}:", line_of(&ok, "audio ="))), "{missing:?}");
    assert!(missing[0].contains("audio (vi) not found"), "{missing:?}");
    assert!(missing[3].contains("captions (en) not found"), "{missing:?}");
}

#[test]
fn markdown_outside_the_subset_is_refused_with_its_line() {
    let text = format!(
        "{BASE}\n[[tour]]\nid = \"t\"\nname = {{ vi = \"Dạo\", en = \"Walk\" }}\n[[tour.stop]]\nbookmark = \"home\"\ntext.vi = \"Một\"\ntext.en = \"# A heading\"\n"
    );
    let (line, _) = error_saying(&text, "(en): a heading (#) is not supported");
    assert_eq!(line, line_of(&text, "text.vi"));
}

#[test]
fn layers_point_clouds_and_hotspots_of_a_stop_are_checked() {
    let scene = parse_str(&stop(
        "bookmark = \"home\"\nlayers = [{ id = \"citadel\", visible = true, opacity = 0.5 }]\npoint_cloud = { color = \"classification\", point_size = 3.0 }",
    ))
    .unwrap();
    let s = &scene.tours[0].stops[0];
    assert_eq!(
        s.layers,
        vec![StopLayer {
            layer: 0,
            visible: Some(true),
            opacity: Some(0.5)
        }]
    );
    assert_eq!(
        s.point_cloud,
        Some(StopPointCloud {
            color: Some(PointColor::Classification),
            point_size: Some(3.0)
        })
    );
    for (body, needle, expected) in [
        (
            "bookmark = \"home\"\nlayers = [{ id = \"roads\", visible = false }]",
            "roads",
            "sets layer \"roads\"",
        ),
        (
            "bookmark = \"home\"\nlayers = [{ id = \"citadel\" }]",
            "layers =",
            "neither `visible` nor `opacity`",
        ),
        (
            "bookmark = \"home\"\nlayers = [{ id = \"citadel\", opacity = 1.5 }]",
            "layers =",
            "opacity is 1.5",
        ),
        (
            "bookmark = \"home\"\npoint_cloud = { color = \"heat\" }",
            "point_cloud",
            "unknown point colour \"heat\"",
        ),
        ("bookmark = \"home\"\nhotspots = [\"well\"]", "hotspots", "hotspot \"well\""),
    ] {
        let text = stop(body);
        let (line, message) = error_saying(&text, expected);
        assert_eq!(line, line_of(&text, needle), "{body}: {message}");
    }
}

#[test]
fn hotspot_mistakes_name_their_line() {
    let text = BASE
        .replace("bookmark = \"home\"\n\"", "x")
        .replace("[[hotspot]]\nid = \"gate\"", "[[hotspot]]\nid = \"Gate!\"");
    let (line, _) = error_saying(&text, "hotspot id \"Gate!\" is not valid");
    assert_eq!(line, line_of(&text, "Gate!"));
    let text = BASE
        .replace("bookmark = \"home\"\n\"\"\"", "")
        .replacen("bookmark = \"home\"\n", "bookmark = \"away\"\n", 1);
    let text = format!(
        "{text}\n[[tour]]\nid = \"t\"\nname = {{ vi = \"a\", en = \"b\" }}\n[[tour.stop]]\nbookmark = \"home\"\ntext = {{ vi = \"a\", en = \"b\" }}\n"
    );
    let (line, _) = error_saying(&text, "hotspot \"gate\" names bookmark \"away\"");
    assert_eq!(line, line_of(&text, "\"away\""));
}
