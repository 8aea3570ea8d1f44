#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use approx::assert_relative_eq;
use glam::Mat4;

fn proj_json() -> String {
    let m = Mat4::perspective_rh_gl(1.6, 1.0, 0.1, 1000.0).to_cols_array();
    let numbers: Vec<String> = m.iter().map(|v| format!("{v}")).collect();
    format!("[{}]", numbers.join(","))
}

fn headset_frame() -> String {
    let proj = proj_json();
    format!(
        r#"{{"t": 1234.5, "canvas": [2000, 1000],
            "viewer": {{"p": [0, 1.6, 0], "q": [0, 0, 0, 1]}},
            "views": [
              {{"eye": "left", "vp": [0, 0, 1000, 1000], "p": [-0.032, 1.6, 0], "q": [0, 0, 0, 1], "proj": {proj}}},
              {{"eye": "right", "vp": [1000, 0, 1000, 1000], "p": [0.032, 1.6, 0], "q": [0, 0, 0, 1], "proj": {proj}}}
            ],
            "inputs": [{{"hand": "right", "mode": "tracked-pointer",
                         "ray": {{"p": [0.2, 1.2, -0.3], "q": [0, 0, 0, 2]}},
                         "grip": {{"p": [0.2, 1.2, -0.3], "q": [0, 0, 0, 1]}},
                         "buttons": [[true, 1.0], [false, 0.25]], "axes": [0, 0, 0.1, -0.9],
                         "select": 1, "squeeze": 0, "hand_tracked": false, "profile": "ignored"}}],
            "hit": null,
            "orientation": null,
            "unknown_key": [1, 2, 3]}}"#
    )
}

#[test]
fn a_headset_frame_is_read() {
    let frame = parse_frame(&headset_frame()).unwrap();
    assert_eq!(frame.time_ms, 1234.5);
    assert_eq!(frame.canvas, [2000, 1000]);
    assert_eq!(frame.viewer.unwrap().position, DVec3::new(0.0, 1.6, 0.0));
    assert_eq!(frame.views.len(), 2);
    assert_eq!(frame.views[0].eye, Eye::Left);
    assert_eq!(frame.views[1].eye, Eye::Right);
    assert_eq!(frame.views[1].viewport, [1000, 0, 1000, 1000]);
    let f = Frustum::from_gl_projection(&frame.views[0].projection).unwrap();
    assert_relative_eq!(f.vertical_fov(), 1.6, epsilon = 1e-6);
    let input = &frame.inputs[0];
    assert_eq!(input.handedness, Handedness::Right);
    assert_eq!(input.mode, TargetRayMode::TrackedPointer);
    // A quaternion of norm 2 is normalised.
    assert_relative_eq!(input.ray.orientation.w, 1.0);
    assert_eq!(input.buttons, vec![(true, 1.0), (false, 0.25)]);
    assert_eq!(input.axes, vec![0.0, 0.0, 0.1, -0.9]);
    assert_eq!((input.selects, input.squeezes, input.hand_tracked), (1, 0, false));
    assert!(input.grip.is_some());
    assert_eq!(frame.hit, None);
    assert_eq!(frame.orientation, None);
}

#[test]
fn a_magic_window_frame_needs_only_the_canvas() {
    let frame = parse_frame(r#"{"canvas": [390, 844], "orientation": {"alpha": 10, "beta": 80}}"#).unwrap();
    assert_eq!(frame.time_ms, 0.0);
    assert!(frame.views.is_empty() && frame.inputs.is_empty() && frame.viewer.is_none());
    let o = frame.orientation.unwrap();
    assert_eq!((o.alpha_deg, o.beta_deg, o.gamma_deg, o.screen_deg), (10.0, 80.0, 0.0, 0.0));
    let frame = parse_frame(r#"{"canvas": [390, 844], "hit": {"p": [0, -1.2, -2], "q": [0, 0, 0, 1]}}"#).unwrap();
    assert_eq!(frame.hit.unwrap().position, DVec3::new(0.0, -1.2, -2.0));
}

fn error_of(json: &str) -> String {
    parse_frame(json).unwrap_err()
}

#[test]
fn bad_frames_are_refused_naming_the_field() {
    assert!(error_of(&" ".repeat(MAX_FRAME_BYTES + 1)).contains("limit"));
    assert!(error_of("{not json").contains("not valid frame JSON"));
    assert!(error_of(r#"{"canvas": [1, 1], "t": 1e999}"#).contains("not valid frame JSON"));
    assert!(error_of(r#"{"canvas": "big"}"#).contains("not valid frame JSON"));
    assert!(error_of(r#"{}"#).contains("canvas: missing"));
    assert!(error_of(r#"{"canvas": [0, 10]}"#).contains("canvas: width 0"));
    assert!(error_of(r#"{"canvas": [10, 16385]}"#).contains("canvas: height 16385"));
    assert!(error_of(r#"{"canvas": [10]}"#).contains("canvas: 1 numbers"));
    let pose = r#""p": [0, 0, 0], "q": [0, 0, 0, 1]"#;
    assert!(error_of(r#"{"canvas": [10, 10], "viewer": {"p": [0, 0, 0], "q": [0, 0, 0, 0.4]}}"#).contains("viewer.q"));
    assert!(error_of(r#"{"canvas": [10, 10], "viewer": {"p": [0, 0], "q": [0, 0, 0, 1]}}"#).contains("viewer.p: 2 numbers"));
    assert!(error_of(r#"{"canvas": [10, 10], "hit": {"p": [0, 0, 0]}}"#).contains("hit.q: missing"));
    let proj = proj_json();
    let view = |eye: &str, vp: &str, proj: &str| format!(r#"{{"eye": "{eye}", "vp": {vp}, {pose}, "proj": {proj}}}"#);
    let with_views = |views: Vec<String>| format!(r#"{{"canvas": [100, 50], "views": [{}]}}"#, views.join(","));
    assert!(parse_frame(&with_views(vec![view("none", "[0, 0, 100, 50]", &proj)])).is_ok());
    assert!(error_of(&with_views(vec![view("middle", "[0, 0, 100, 50]", &proj)])).contains("views[0].eye"));
    assert!(error_of(&with_views(vec![view("left", "[1, 0, 100, 50]", &proj)])).contains("views[0].vp"));
    assert!(error_of(&with_views(vec![view("left", "[0, 0, 0, 50]", &proj)])).contains("views[0].vp"));
    assert!(error_of(&with_views(vec![view("left", "[4294967295, 0, 1, 50]", &proj)])).contains("views[0].vp"));
    assert!(error_of(&with_views(vec![view("left", "[0, 0, 100, 50]", "[1, 2]")])).contains("views[0].proj: 2 numbers"));
    let ortho: Vec<String> = Mat4::orthographic_rh_gl(-1.0, 1.0, -1.0, 1.0, 0.1, 10.0)
        .to_cols_array()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let ortho = format!("[{}]", ortho.join(","));
    assert!(
        error_of(&with_views(vec![view("left", "[0, 0, 100, 50]", &ortho)]))
            .contains("views[0].proj: projection matrix is not a perspective")
    );
    let huge = proj.replacen('[', "[1e300,", 1).replacen(",0,", ",", 1);
    assert!(error_of(&with_views(vec![view("left", "[0, 0, 100, 50]", &huge)])).contains("views[0].proj[0]"));
    let five = vec![view("left", "[0, 0, 100, 50]", &proj); 5];
    assert!(error_of(&with_views(five)).contains("views: 5 views"));
    let input = |extra: &str| format!(r#"{{"canvas": [10, 10], "inputs": [{{"mode": "screen", "ray": {{{pose}}}{extra}}}]}}"#);
    assert!(parse_frame(&input("")).is_ok());
    assert!(error_of(&input(r#", "hand": "both""#)).contains("inputs[0].hand"));
    assert!(
        error_of(r#"{"canvas": [10, 10], "inputs": [{"mode": "wand", "ray": {"p": [0,0,0], "q": [0,0,0,1]}}]}"#).contains("inputs[0].mode")
    );
    assert!(error_of(r#"{"canvas": [10, 10], "inputs": [{"ray": {"p": [0,0,0], "q": [0,0,0,1]}}]}"#).contains("inputs[0].mode: missing"));
    assert!(error_of(r#"{"canvas": [10, 10], "inputs": [{"mode": "gaze"}]}"#).contains("inputs[0].ray: missing"));
    assert!(error_of(&input(r#", "grip": {"p": [0,0,0], "q": [0,0,0,3]}"#)).contains("inputs[0].grip.q"));
    let many = |n: usize, item: &str| vec![item; n].join(",");
    assert!(error_of(&input(&format!(r#", "buttons": [{}]"#, many(33, "[false, 0]")))).contains("inputs[0].buttons: 33"));
    assert!(error_of(&input(&format!(r#", "axes": [{}]"#, many(17, "0")))).contains("inputs[0].axes: 17"));
    assert!(error_of(&input(r#", "axes": [0, 1e300]"#)).contains("inputs[0].axes[1]"));
    let nine = format!(
        r#"{{"canvas": [10, 10], "inputs": [{}]}}"#,
        many(9, &format!(r#"{{"mode": "screen", "ray": {{{pose}}}}}"#))
    );
    assert!(error_of(&nine).contains("inputs: 9 input sources"));
}

#[test]
fn modes_round_trip_and_unknown_ones_are_listed() {
    for mode in [XrMode::Vr, XrMode::Ar, XrMode::MagicWindow, XrMode::Cardboard] {
        assert_eq!(XrMode::parse(mode.id()), Ok(mode));
    }
    let error = XrMode::parse("mr").unwrap_err();
    for id in ["vr", "ar", "magic", "cardboard"] {
        assert!(error.contains(id), "{error}");
    }
    assert!(XrMode::Vr.is_immersive() && XrMode::Ar.is_immersive());
    assert!(!XrMode::MagicWindow.is_immersive() && !XrMode::Cardboard.is_immersive());
    assert!(XrMode::Vr.is_stereo() && XrMode::Cardboard.is_stereo());
    assert!(!XrMode::Ar.is_stereo() && !XrMode::MagicWindow.is_stereo());
}
