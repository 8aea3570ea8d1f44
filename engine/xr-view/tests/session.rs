#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! XR sessions in a minimal app (no window, no GPU): the page's frames as
//! an emulated headset would send them, and what the viewer makes of them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use approx::assert_relative_eq;
use bevy::camera::CameraProjection;
use bevy::camera::primitives::MeshAabb;
use bevy::math::{DQuat, DVec3};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use sontinh_camera::{CameraRig, FloatingOrigin, Pose};
use sontinh_layers::ActiveScene;
use sontinh_tour_view::{ActiveTour, OpenArticle, TourAction};
use sontinh_xr_view::{RightEye, TeleportOutcome, XrCommand, XrInbox, XrProjection, XrSession, XrViewPlugin};

const FLOOR_Y: f32 = 4.0;

/// A frame as the page writes it: the head at `head` (reference space),
/// eyes 64 mm apart, a 90° square frustum per eye side by side on an
/// 800×400 canvas, and the given controllers and hit.
fn frame_json(head: [f64; 3], inputs: &str, hit: Option<[f64; 3]>) -> String {
    let proj = Mat4::perspective_rh_gl(std::f32::consts::FRAC_PI_2, 1.0, 0.1, 100.0).to_cols_array();
    let view = |eye: &str, dx: f64, x: u32| {
        format!(
            r#"{{"eye":"{eye}","vp":[{x},0,400,400],"p":[{},{},{}],"q":[0,0,0,1],"proj":{:?}}}"#,
            head[0] + dx,
            head[1],
            head[2],
            proj
        )
    };
    let hit = hit.map_or("null".to_owned(), |h| {
        format!(r#"{{"p":[{},{},{}],"q":[0,0,0,1]}}"#, h[0], h[1], h[2])
    });
    format!(
        r#"{{"t":0,"canvas":[800,400],"viewer":{{"p":[{},{},{}],"q":[0,0,0,1]}},"views":[{},{}],"inputs":[{inputs}],"hit":{hit}}}"#,
        head[0],
        head[1],
        head[2],
        view("left", -0.032, 0),
        view("right", 0.032, 400)
    )
}

/// The right controller at `p` (reference space) pointing along `q`, its
/// thumbstick at (sx, sy) and `selects` select events since the last frame.
fn right_controller(p: [f64; 3], q: DQuat, stick: [f32; 2], selects: u32) -> String {
    format!(
        r#"{{"hand":"right","mode":"tracked-pointer","ray":{{"p":[{},{},{}],"q":[{},{},{},{}]}},"buttons":[[false,0],[false,0],[false,0],[false,0],[false,0],[false,0]],"axes":[0,0,{},{}],"select":{selects}}}"#,
        p[0], p[1], p[2], q.x, q.y, q.z, q.w, stick[0], stick[1]
    )
}

/// A box of `size` centred at `centre` (world), ray-castable without the
/// render plugins.
fn spawn_box(app: &mut App, centre: Vec3, size: Vec3) {
    let mesh = Mesh::from(Cuboid::from_size(size));
    let aabb = mesh.compute_aabb().expect("a box has bounds");
    let handle = app.world_mut().resource_mut::<Assets<Mesh>>().add(mesh);
    let transform = Transform::from_translation(centre);
    app.world_mut().spawn((
        Mesh3d(handle),
        transform,
        GlobalTransform::from(transform),
        aabb,
        InheritedVisibility::VISIBLE,
        ViewVisibility::default(),
    ));
}

/// The app: a floor at y = 4 m, the camera standing 1.7 m over it at
/// z = 10 looking north (-z).
fn app() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, XrViewPlugin))
        .init_resource::<FloatingOrigin>()
        .init_resource::<OpenArticle>()
        .add_message::<TourAction>()
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 60.0)));
    spawn_box(&mut app, Vec3::new(0.0, FLOOR_Y - 0.5, 0.0), Vec3::new(200.0, 1.0, 200.0));
    let pose = Pose {
        eye: Vec3::new(0.0, FLOOR_Y + 1.7, 10.0),
        target: Vec3::new(0.0, FLOOR_Y + 1.7, 0.0),
    };
    app.world_mut().spawn((
        CameraRig::from_pose(pose),
        Camera::default(),
        Projection::Perspective(PerspectiveProjection::default()),
        Transform::default(),
    ));
    app.update();
    app
}

fn send(app: &App, command: XrCommand) {
    app.world().resource::<XrInbox>().send(command);
}

fn frame(app: &mut App, json: &str) {
    send(
        app,
        XrCommand::Frame(Box::new(sontinh_xr::parse_frame(json).expect("a valid frame"))),
    );
    app.update();
}

fn scene_camera(app: &mut App) -> (Camera, Transform, Projection) {
    let mut q = app
        .world_mut()
        .query_filtered::<(&Camera, &Transform, &Projection), With<CameraRig>>();
    let (c, t, p) = q.single(app.world()).expect("the scene camera");
    (c.clone(), *t, p.clone())
}

fn right_eye(app: &mut App) -> Option<(Camera, Transform, Projection)> {
    let mut q = app
        .world_mut()
        .query_filtered::<(&Camera, &Transform, &Projection), With<RightEye>>();
    q.single(app.world()).ok().map(|(c, t, p)| (c.clone(), *t, p.clone()))
}

fn session(app: &App) -> &XrSession {
    app.world().resource::<XrSession>()
}

#[test]
fn each_eye_is_drawn_from_its_xr_pose_into_its_half_of_the_canvas() {
    let mut app = app();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Vr));
    frame(&mut app, &frame_json([0.0, 1.6, 0.0], "", None));
    frame(&mut app, &frame_json([0.0, 1.6, 0.0], "", None));
    // The user stands on the floor under the camera (z = 10), facing north.
    let (left_camera, left, projection) = scene_camera(&mut app);
    let (right_camera, right, _) = right_eye(&mut app).expect("a right eye camera");
    assert_relative_eq!(left.translation.x, -0.032, epsilon = 1e-5);
    assert_relative_eq!(left.translation.y, FLOOR_Y + 1.6, epsilon = 1e-5);
    assert_relative_eq!(left.translation.z, 10.0, epsilon = 1e-5);
    assert_relative_eq!(right.translation.x, 0.032, epsilon = 1e-5);
    assert_relative_eq!(right.translation.distance(left.translation), 0.064, epsilon = 1e-5);
    let (lv, rv) = (
        left_camera.viewport.expect("left viewport"),
        right_camera.viewport.expect("right viewport"),
    );
    assert_eq!((lv.physical_position, lv.physical_size), (UVec2::new(0, 0), UVec2::new(400, 400)));
    assert_eq!((rv.physical_position, rv.physical_size), (UVec2::new(400, 0), UVec2::new(400, 400)));
    assert_eq!(right_camera.order, 1);
    // The eye's projection is the XR system's frustum in Bevy's reverse-Z
    // infinite form: glam's own for a symmetric 90° square frustum.
    let Projection::Custom(custom) = projection else {
        panic!("a custom projection")
    };
    let xr = custom.get::<XrProjection>().expect("the XR projection");
    let expected = Mat4::perspective_infinite_reverse_rh(std::f32::consts::FRAC_PI_2, 1.0, 0.05);
    let got = xr.get_clip_from_view();
    for (a, b) in got.to_cols_array().iter().zip(expected.to_cols_array()) {
        assert_relative_eq!(*a, b, epsilon = 1e-5);
    }
}

#[test]
fn moving_the_head_moves_the_eyes_by_as_much() {
    let mut app = app();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Vr));
    frame(&mut app, &frame_json([0.0, 1.6, 0.0], "", None));
    let before = scene_camera(&mut app).1.translation;
    frame(&mut app, &frame_json([0.5, 1.6, -0.5], "", None));
    let after = scene_camera(&mut app).1.translation;
    assert_relative_eq!(after.x - before.x, 0.5, epsilon = 1e-5);
    assert_relative_eq!(after.z - before.z, -0.5, epsilon = 1e-5);
}

/// Where a projectile launched at `speed` along `pitch` (radians below the
/// horizontal) from `height` over a floor lands, horizontally: the closed
/// form of y0 + v sin θ t − g t²/2 = 0.
fn projectile_range(speed: f64, pitch_down: f64, height: f64, gravity: f64) -> f64 {
    let (vx, vy) = (speed * pitch_down.cos(), -speed * pitch_down.sin());
    let t = (vy + (vy * vy + 2.0 * gravity * height).sqrt()) / gravity;
    vx * t
}

#[test]
fn a_teleport_lands_where_the_arc_meets_the_floor_and_a_wall_refuses_it() {
    let mut app = app();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Vr));
    let head = [0.0, 1.6, 0.0];
    frame(&mut app, &frame_json(head, "", None));
    // The controller at hip height, pointing north and 20° down.
    let pitch = 20f64.to_radians();
    let down = DQuat::from_rotation_x(-pitch);
    let hand = [0.0, 1.0, 0.0];
    frame(&mut app, &frame_json(head, &right_controller(hand, down, [0.0, -1.0], 0), None));
    assert!(session(&app).aiming.is_some(), "the stick pushed forward aims");
    frame(&mut app, &frame_json(head, &right_controller(hand, down, [0.0, 0.0], 0), None));
    for _ in 0..40 {
        frame(&mut app, &frame_json(head, "", None));
    }
    let Some(TeleportOutcome::Landed { floor_enu }) = session(&app).last_teleport.clone() else {
        panic!("the teleport landed: {:?}", session(&app).last_teleport)
    };
    let range = projectile_range(10.0, pitch, 1.0, 9.81);
    // ENU north is render -z; the user stood at z = 10.
    assert_relative_eq!(floor_enu[1], -10.0 + range, epsilon = 0.35);
    assert_relative_eq!(floor_enu[2], f64::from(FLOOR_Y), epsilon = 1e-3);
    let eye = scene_camera(&mut app).1.translation;
    assert_relative_eq!(f64::from(eye.z), -floor_enu[1], epsilon = 1e-3);
    assert_relative_eq!(eye.y, FLOOR_Y + 1.6, epsilon = 1e-3);

    // A wall 3 m ahead, 6 m high: aimed at, the teleport is refused.
    let wall_z = eye.z - 3.0;
    spawn_box(&mut app, Vec3::new(0.0, FLOOR_Y + 3.0, wall_z - 0.5), Vec3::new(50.0, 6.0, 1.0));
    let level = DQuat::IDENTITY;
    frame(&mut app, &frame_json(head, &right_controller(hand, level, [0.0, -1.0], 0), None));
    frame(&mut app, &frame_json(head, &right_controller(hand, level, [0.0, 0.0], 0), None));
    let outcome = session(&app).last_teleport.clone();
    assert!(matches!(outcome, Some(TeleportOutcome::Refused(_))), "a wall refuses: {outcome:?}");
    for _ in 0..40 {
        frame(&mut app, &frame_json(head, "", None));
    }
    assert_relative_eq!(scene_camera(&mut app).1.translation.z, eye.z, epsilon = 1e-4);
}

#[test]
fn a_select_pointing_at_a_hotspot_opens_its_article() {
    let mut app = app();
    let scene =
        sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).expect("the Citadel scene");
    let (index, hotspot) = scene
        .hotspots
        .iter()
        .enumerate()
        .nth(1)
        .map(|(i, h)| (i, h.clone()))
        .expect("hotspots");
    app.insert_resource(ActiveScene(Arc::new(scene))).init_resource::<ActiveTour>();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Vr));
    let head = [0.0, 1.6, 0.0];
    frame(&mut app, &frame_json(head, "", None));
    // Point from the hand at the hotspot: its render position into the reference space.
    let placement = session(&app).placement.expect("placed");
    let target = placement.point_from_render(DVec3::new(hotspot.enu[0], hotspot.enu[2], -hotspot.enu[1]));
    let hand = DVec3::new(0.2, 1.2, -0.2);
    let q = DQuat::from_rotation_arc(DVec3::NEG_Z, (target - hand).normalize());
    frame(
        &mut app,
        &frame_json(head, &right_controller(hand.to_array(), q, [0.0, 0.0], 1), None),
    );
    assert_eq!(app.world().resource::<OpenArticle>().0, Some(index));
    // Pointing 5° away opens nothing.
    app.world_mut().resource_mut::<OpenArticle>().0 = None;
    let off = DQuat::from_rotation_y(5f64.to_radians()) * q;
    frame(
        &mut app,
        &frame_json(head, &right_controller(hand.to_array(), off, [0.0, 0.0], 1), None),
    );
    assert_eq!(app.world().resource::<OpenArticle>().0, None);
}

#[test]
fn ending_the_session_gives_the_page_its_camera_back_where_the_user_was() {
    let mut app = app();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Vr));
    frame(&mut app, &frame_json([1.0, 1.6, -2.0], "", None));
    send(&app, XrCommand::End);
    app.update();
    app.update();
    assert!(right_eye(&mut app).is_none(), "the right eye is gone");
    let (camera, transform, projection) = scene_camera(&mut app);
    assert!(camera.viewport.is_none());
    assert!(matches!(projection, Projection::Perspective(_)));
    assert_relative_eq!(transform.translation.x, 1.0, epsilon = 1e-4);
    assert_relative_eq!(transform.translation.y, FLOOR_Y + 1.6, epsilon = 1e-4);
    assert_relative_eq!(transform.translation.z, 8.0, epsilon = 1e-4);
    assert!(!session(&app).active());
}

#[test]
fn in_ar_a_select_sets_the_model_down_on_the_hit_point() {
    let mut app = app();
    app.init_resource::<sontinh_layers::Section>();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Ar));
    let hit = [0.3, 0.0, -1.2];
    frame(&mut app, &frame_json([0.0, 1.5, 0.0], "", Some(hit)));
    let ar = session(&app).ar.clone().expect("an AR model");
    assert!(!ar.placed, "the model follows the hit until a select");
    let screen_tap = r#"{"hand":"none","mode":"screen","ray":{"p":[0,1.5,0],"q":[0,0,0,1]},"select":1}"#;
    frame(&mut app, &frame_json([0.0, 1.5, 0.0], screen_tap, Some(hit)));
    let ar = session(&app).ar.clone().expect("an AR model");
    assert!(ar.placed);
    assert_eq!(ar.anchor, DVec3::from_array(hit));
    // The model's base point is drawn at the anchor.
    let placement = session(&app).placement.expect("placed");
    let at = placement.point_from_render(ar.base);
    assert_relative_eq!(at.distance(DVec3::from_array(hit)), 0.0, epsilon = 1e-9);
    // A later hit elsewhere does not move a placed model.
    frame(&mut app, &frame_json([0.0, 1.5, 0.0], "", Some([1.0, 0.0, -2.0])));
    assert_eq!(session(&app).ar.clone().expect("model").anchor, DVec3::from_array(hit));
    // The model is cut out of the land around it: a box of the view's
    // distance (10 m here) around the ground under its focus, given back after.
    let clip = app
        .world()
        .resource::<sontinh_layers::Section>()
        .clip_box
        .expect("a clip box in AR");
    assert_relative_eq!(clip.center[1], 0.0, epsilon = 1e-6);
    assert_relative_eq!(clip.center[2], f64::from(FLOOR_Y), epsilon = 1e-4);
    assert_relative_eq!(clip.half_extent[0], 5.0, epsilon = 1e-6);
    send(&app, XrCommand::End);
    app.update();
    assert!(app.world().resource::<sontinh_layers::Section>().clip_box.is_none());
}

/// A screen touch (phone AR): a ray from `from` through the floor point `at`.
fn screen_touch(from: [f64; 3], at: DVec3) -> String {
    let q = DQuat::from_rotation_arc(DVec3::NEG_Z, (at - DVec3::from_array(from)).normalize());
    format!(
        r#"{{"hand":"none","mode":"screen","ray":{{"p":[{},{},{}],"q":[{},{},{},{}]}},"select":0}}"#,
        from[0], from[1], from[2], q.x, q.y, q.z, q.w
    )
}

#[test]
fn in_ar_two_fingers_spread_scale_the_model_and_turned_turn_it() {
    let mut app = app();
    app.init_resource::<sontinh_layers::Section>();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::Ar));
    let head = [0.0, 1.5, 0.0];
    let anchor = DVec3::new(0.3, 0.0, -1.2);
    let tap = r#"{"hand":"none","mode":"screen","ray":{"p":[0,1.5,0],"q":[0,0,0,1]},"select":1}"#;
    frame(&mut app, &frame_json(head, "", Some(anchor.to_array())));
    frame(&mut app, &frame_json(head, tap, Some(anchor.to_array())));
    assert!(session(&app).ar.clone().expect("an AR model").placed);
    // Where a model point 1 render metre east of its base shows in the room.
    let east_of_base = |app: &App| {
        let s = session(app);
        let base = s.ar.clone().expect("the model").base;
        s.placement.expect("placed").point_from_render(base + DVec3::X) - anchor
    };
    let before = east_of_base(&app);
    let two = |a: DVec3, b: DVec3| format!("{},{}", screen_touch(head, anchor + a), screen_touch(head, anchor + b));
    // Two fingers 0.2 m apart along the room's x, then 0.4 m apart: twice the size.
    frame(
        &mut app,
        &frame_json(head, &two(DVec3::new(-0.1, 0.0, 0.0), DVec3::new(0.1, 0.0, 0.0)), None),
    );
    frame(
        &mut app,
        &frame_json(head, &two(DVec3::new(-0.2, 0.0, 0.0), DVec3::new(0.2, 0.0, 0.0)), None),
    );
    let spread = east_of_base(&app);
    assert_relative_eq!(spread.length(), 2.0 * before.length(), max_relative = 1e-6);
    assert_relative_eq!(spread.normalize().dot(before.normalize()), 1.0, epsilon = 1e-9);
    // The pair turned a quarter counter-clockwise seen from above (+x to -z):
    // the model turns with it, the same size, and the anchor stays put.
    frame(
        &mut app,
        &frame_json(head, &two(DVec3::new(0.0, 0.0, 0.2), DVec3::new(0.0, 0.0, -0.2)), None),
    );
    let turned = east_of_base(&app);
    assert_relative_eq!(turned.length(), spread.length(), max_relative = 1e-6);
    let expected = DQuat::from_rotation_y(std::f64::consts::FRAC_PI_2) * spread;
    assert_relative_eq!((turned - expected).length(), 0.0, epsilon = 1e-9);
    assert_eq!(session(&app).ar.clone().expect("the model").anchor, anchor);
    // Fingers lifted: the next pair starts a new gesture (no jump).
    frame(&mut app, &frame_json(head, "", None));
    frame(
        &mut app,
        &frame_json(head, &two(DVec3::new(-0.3, 0.0, 0.0), DVec3::new(0.3, 0.0, 0.0)), None),
    );
    assert_relative_eq!((east_of_base(&app) - turned).length(), 0.0, epsilon = 1e-9);
}

#[test]
fn in_the_magic_window_turning_the_phone_left_turns_the_view_left() {
    let mut app = app();
    send(&app, XrCommand::Begin(sontinh_xr::XrMode::MagicWindow));
    let orientation =
        |alpha: f64| format!(r#"{{"t":0,"canvas":[400,800],"orientation":{{"alpha":{alpha},"beta":90,"gamma":0,"screen":0}}}}"#);
    frame(&mut app, &orientation(0.0));
    let forward = |app: &mut App| scene_camera(app).1.rotation * Vec3::NEG_Z;
    let start = forward(&mut app);
    assert_relative_eq!(start.z, -1.0, epsilon = 1e-4);
    // Alpha grows counter-clockwise seen from above (W3C): the view turns to the west.
    frame(&mut app, &orientation(90.0));
    let turned = forward(&mut app);
    assert_relative_eq!(turned.x, -1.0, epsilon = 1e-4);
    assert!(right_eye(&mut app).is_none(), "the magic window is one view");
}
