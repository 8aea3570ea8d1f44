//! `[[measurement]]` tables: parsing, errors by line, and writing them back
//! into a file without losing its comments.

use approx::assert_abs_diff_eq;

use super::tests::parse_str;
use super::*;

const BASE: &str = r#"# A scene curators measure in.
format = 1
[site]
id = "measured"
name = { vi = "Đo", en = "Measured" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]

# The wall's height, measured by the curator on the scan.
[[measurement]]
id = "wall-height"   # kept by id
name = { vi = "Chiều cao tường", en = "Wall height" }
tool = "height"
points = [[10.0, 0.0, 0.0], [10.0, 0.0, 4.5]]

[[tour]]
id = "walk"
name = { vi = "Dạo", en = "Walk" }
[[tour.stop]]
bookmark = "home"
text = { vi = "Tường", en = "The wall" }
measurements = ["wall-height"]
"#;

#[test]
fn measurements_parse_in_local_and_geographic_coordinates() {
    let text = format!(
        "{BASE}\n[[measurement]]\nid = \"at-origin\"\nname = {{ vi = \"Gốc\", en = \"Origin\" }}\ntool = \"distance\"\ncrs = \"EPSG:4326\"\npoints = [[107.194, 16.747, 5.0], [107.194, 16.747, 7.0]]\n"
    );
    let scene = parse_str(&text).expect("scene parses");
    assert_eq!(scene.measurements.len(), 2);
    let wall = &scene.measurements[0];
    assert_eq!((wall.id.as_str(), wall.tool), ("wall-height", MeasureTool::Height));
    assert_eq!(wall.points, vec![[10.0, 0.0, 0.0], [10.0, 0.0, 4.5]]);
    // The origin itself, 5 m and 7 m up: straight above the frame's centre.
    let origin = &scene.measurements[1];
    for (p, h) in origin.points.iter().zip([5.0, 7.0]) {
        assert_abs_diff_eq!(p[0], 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(p[1], 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(p[2], h, epsilon = 1e-6);
    }
    assert_eq!(scene.tours[0].stops[0].measurements, vec![0]);
}

#[test]
fn bad_measurements_are_named_with_their_line() {
    let text = BASE
        .replace("tool = \"height\"", "tool = \"tape\"")
        .replace("measurements = [\"wall-height\"]", "measurements = [\"nowhere\"]");
    let errors = parse_str(&text).expect_err("bad tool and unknown measurement").to_string();
    assert!(errors.contains("test.toml:20") && errors.contains("unknown measurement tool \"tape\""), "{errors}");
    assert!(errors.contains("test.toml:29") && errors.contains("shows measurement \"nowhere\""), "{errors}");

    let three = BASE.replace("[[10.0, 0.0, 0.0], [10.0, 0.0, 4.5]]", "[[10.0, 0.0, 0.0], [10.0, 0.0, 4.5], [1.0, 1.0, 1.0]]");
    let errors = parse_str(&three).expect_err("three points for a height").to_string();
    assert!(errors.contains("test.toml:21") && errors.contains("a height measurement takes 2 points; 3 given"), "{errors}");

    let level = BASE.replace("tool = \"height\"", "tool = \"height\"\nlevel_m = 3.0");
    let errors = parse_str(&level).expect_err("a level on a height").to_string();
    assert!(errors.contains("level_m belongs to volume measurements only"), "{errors}");
}

#[test]
fn saving_measurements_keeps_comments_and_round_trips() {
    let scene = parse_str(BASE).expect("scene parses");
    let mut wall = scene.measurements[0].clone();
    wall.points[1][2] = 5.25;
    let area = Measurement {
        id: "courtyard".into(),
        name: Text { vi: "Sân".into(), en: "Courtyard".into() },
        tool: MeasureTool::Volume,
        points: vec![[0.0, 0.0, 1.0], [20.0, 0.0, 1.0], [20.0, 30.0, 1.5], [123.4567, -89.1234, 2.0]],
        level_m: Some(1.25),
        line: 0,
    };
    let saved = with_measurements(BASE, &scene.frame, &[wall.clone(), area.clone()]).expect("saved");
    for comment in ["# A scene curators measure in.", "# The wall's height, measured by the curator on the scan.", "# kept by id"] {
        assert!(saved.contains(comment), "lost {comment:?}:\n{saved}");
    }
    let again = parse_str(&saved).unwrap_or_else(|e| panic!("saved scene parses: {e}\n{saved}"));
    assert_eq!(again.measurements.len(), 2);
    assert_eq!(again.measurements[0].points, wall.points, "local points stay local and exact");
    let back = &again.measurements[1];
    assert_eq!((back.tool, back.level_m), (MeasureTool::Volume, Some(1.25)));
    for (a, b) in back.points.iter().zip(&area.points) {
        for axis in 0..3 {
            assert_abs_diff_eq!(a[axis], b[axis], epsilon = 2e-4);
        }
    }
    assert!(saved.contains("crs = \"EPSG:4326\""), "new measurements are written in WGS84:\n{saved}");
    assert_eq!(again.tours[0].stops[0].measurements, vec![0]);
}

#[test]
fn a_measurement_a_tour_shows_is_not_removed() {
    let scene = parse_str(BASE).expect("scene parses");
    let err = with_measurements(BASE, &scene.frame, &[]).expect_err("the tour still shows it");
    assert_eq!(err, EditError::StillShown { id: "wall-height".into(), tour: "walk".into(), stop: 1 });
    let without_tour = &BASE[..BASE.find("[[tour]]").unwrap_or(BASE.len())];
    let saved = with_measurements(without_tour, &scene.frame, &[]).expect("removed");
    assert!(!saved.contains("[[measurement]]") && saved.contains("[[bookmark]]"), "{saved}");
}
