#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! The measuring tools in an App, through the pointer's path (a screen
//! position, the camera's ray, the mesh ray cast, snapping): on a box of
//! known size the figures are exact, snapping lands on its corners and
//! edges, taps by touch place vertices, undo takes them back, and kept
//! measurements export.

use std::path::Path;
use std::sync::Arc;

use bevy::camera::{ComputedCameraValues, RenderTargetInfo};
use bevy::input::touch::{TouchInput, TouchPhase};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use sontinh_layers::{ActiveScene, LayerRoot};
use sontinh_measure::Figures;
use sontinh_measure_view::{MeasureAction, MeasurePlugin, Measuring, SnapKind};
use sontinh_scene::{MeasureTool, Text};

const SCENE: &str = r#"
format = 1
[site]
id = "box"
name = { vi = "Hộp", en = "Box" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "box"
kind = "mesh"
name = { vi = "Hộp", en = "Box" }
path = "box.glb"
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]
"#;

struct AcceptAll;
impl sontinh_scene::PathResolver for AcceptAll {
    fn resolve(&self, path: &str) -> Result<std::path::PathBuf, String> {
        Ok(path.into())
    }
}

const SIZE: Vec3 = Vec3::new(4.0, 2.0, 3.0);
const WIDTH: f32 = 800.0;
const HEIGHT: f32 = 600.0;

/// A 4 m (east) × 3 m (north) × 2 m (up) box standing on the origin,
/// watched from the south-east and above.
fn app() -> App {
    let scene = sontinh_scene::parse(SCENE, Path::new("box.toml"), &AcceptAll).unwrap();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, TransformPlugin, bevy::camera::visibility::VisibilityPlugin, bevy::input::InputPlugin, bevy::gizmos::GizmoPlugin))
        .add_plugins(sontinh_camera::FloatingOriginPlugin)
        .init_resource::<sontinh_camera::PointerCaptured>()
        .init_resource::<sontinh_camera::ToolHasPointer>()
        .add_plugins(MeasurePlugin)
        .insert_resource(ActiveScene(Arc::new(scene)));
    let mesh = app.world_mut().resource_mut::<Assets<Mesh>>().add(Cuboid::new(SIZE.x, SIZE.y, SIZE.z));
    // World is east, up, south: the box's base sits on the ground plane y = 0.
    app.world_mut().spawn((LayerRoot { index: 0 }, Transform::default(), Visibility::default())).with_children(|root| {
        root.spawn((Mesh3d(mesh), Transform::from_xyz(0.0, SIZE.y / 2.0, 0.0)));
    });
    app.world_mut().spawn((Window { resolution: bevy::window::WindowResolution::new(WIDTH as u32, HEIGHT as u32), ..default() }, PrimaryWindow));
    let projection = PerspectiveProjection { fov: 0.8, aspect_ratio: WIDTH / HEIGHT, near: 0.1, ..default() };
    let camera = Camera {
        computed: ComputedCameraValues {
            clip_from_view: Mat4::perspective_infinite_reverse_rh(projection.fov, projection.aspect_ratio, projection.near),
            target_info: Some(RenderTargetInfo { physical_size: UVec2::new(WIDTH as u32, HEIGHT as u32), scale_factor: 1.0 }),
            old_viewport_size: None,
            old_sub_camera_view: None,
        },
        ..default()
    };
    app.world_mut().spawn((Camera3d::default(), camera, Projection::Perspective(projection), Transform::from_xyz(6.0, 9.0, 10.0).looking_at(Vec3::new(0.0, 1.0, 0.0), Vec3::Y)));
    app.update();
    app.update();
    app
}

fn screen_of(app: &mut App, world: Vec3) -> Vec2 {
    let mut q = app.world_mut().query::<(&Camera, &GlobalTransform)>();
    let (camera, transform) = q.single(app.world()).unwrap();
    camera.world_to_viewport(transform, world).unwrap()
}

fn act(app: &mut App, action: MeasureAction) {
    app.world_mut().write_message(action);
    app.update();
}

fn figures(app: &App) -> Figures {
    match &app.world().resource::<Measuring>().figures {
        Some(Ok(f)) => f.clone(),
        other => panic!("no figures: {other:?}; refused: {:?}", app.world().resource::<Measuring>().refused),
    }
}

/// Corners of the box in the world (east, up, south).
fn corner(east: f32, up: f32, south: f32) -> Vec3 {
    Vec3::new(east * SIZE.x / 2.0, up * SIZE.y, south * SIZE.z / 2.0)
}

/// Clicks the top face's four corners, each 3 px inside the face (off its
/// diagonal: the edge two triangles share, where a ray test may miss both).
fn top_corners(app: &mut App) {
    let corners = [corner(-1.0, 1.0, 1.0), corner(1.0, 1.0, 1.0), corner(1.0, 1.0, -1.0), corner(-1.0, 1.0, -1.0)];
    for k in 0..4 {
        let (c, next, previous) = (corners[k], corners[(k + 1) % 4], corners[(k + 3) % 4]);
        let at = screen_of(app, c);
        let inside = screen_of(app, c + (next - c) * 0.1 + (previous - c) * 0.03);
        act(app, MeasureAction::AddAtScreen(at + (inside - at).normalize() * 3.0));
    }
}

#[test]
fn clicks_near_corners_snap_onto_them_and_measure_the_box_exactly() {
    let mut app = app();
    act(&mut app, MeasureAction::Start(MeasureTool::Distance));
    // A few pixels off each corner of the top's near edge: the snap puts the vertices on the corners.
    for c in [corner(-1.0, 1.0, 1.0), corner(1.0, 1.0, 1.0)] {
        let at = screen_of(&mut app, c) + Vec2::new(3.0, -2.0);
        act(&mut app, MeasureAction::AddAtScreen(at));
    }
    let Figures::Distance(line) = figures(&app) else { panic!() };
    assert!((line.horizontal_m - 4.0).abs() < 1e-3, "{line:?}");
    assert!(line.height_difference_m.abs() < 1e-3, "{line:?}");

    act(&mut app, MeasureAction::Start(MeasureTool::Height));
    // Inside the front face, a few pixels from its corners (below the bottom corner there is nothing to hit).
    for (c, off) in [(corner(1.0, 0.0, 1.0), Vec2::new(-3.0, -3.0)), (corner(1.0, 1.0, 1.0), Vec2::new(-3.0, 3.0))] {
        let at = screen_of(&mut app, c) + off;
        act(&mut app, MeasureAction::AddAtScreen(at));
    }
    let Figures::Height { difference_m, horizontal_m, .. } = figures(&app) else { panic!() };
    assert!((difference_m - 2.0).abs() < 1e-3 && horizontal_m < 1e-3, "{difference_m} {horizontal_m}");

    // The top face: 12 m², on a surface as flat as the horizontal.
    act(&mut app, MeasureAction::Start(MeasureTool::Area));
    top_corners(&mut app);
    let Figures::Area { polygon, surface: Some(surface), .. } = figures(&app) else { panic!() };
    assert!((polygon.horizontal_m2 - 12.0).abs() < 0.01 && (polygon.perimeter_m - 14.0).abs() < 1e-3, "{polygon:?}");
    assert!((surface.surface_m2 - surface.horizontal_m2).abs() < 1e-3, "{surface:?}");

    // The box's volume above the ground's level (0 m): cut = 12 m² × 2 m over the top's outline.
    act(&mut app, MeasureAction::Start(MeasureTool::Volume));
    act(&mut app, MeasureAction::SetReference(sontinh_measure_view::VolumeChoice::Level(0.0)));
    top_corners(&mut app);
    let Figures::Volume { volume, .. } = figures(&app) else { panic!() };
    assert!((volume.cut_m3 - 24.0).abs() < 24.0 * 0.02 && volume.fill_m3 < 1e-6, "{volume:?}");
}

#[test]
fn near_an_edge_the_vertex_lands_on_it_and_undo_takes_it_back() {
    let mut app = app();
    act(&mut app, MeasureAction::Start(MeasureTool::Distance));
    let mid = corner(0.3, 1.0, 1.0);
    let at = screen_of(&mut app, mid) + Vec2::new(0.0, 4.0);
    act(&mut app, MeasureAction::AddAtScreen(at));
    let m = app.world().resource::<Measuring>();
    let p = m.editor.as_ref().unwrap().points()[0];
    // On the top's near edge: 2 m up, 1.5 m south of the centre (ENU north −1.5).
    assert!((p[2] - 2.0).abs() < 1e-3 && (p[1] + 1.5).abs() < 1e-3, "{p:?}");
    act(&mut app, MeasureAction::Undo);
    assert!(app.world().resource::<Measuring>().editor.as_ref().unwrap().points().is_empty());
    act(&mut app, MeasureAction::Redo);
    assert_eq!(app.world().resource::<Measuring>().editor.as_ref().unwrap().points().len(), 1);
}

fn touch(app: &mut App, phase: TouchPhase, position: Vec2) {
    let window = app.world_mut().query_filtered::<Entity, With<PrimaryWindow>>().single(app.world()).unwrap();
    app.world_mut().write_message(TouchInput { phase, position, window, force: None, id: 7 });
    app.update();
}

#[test]
fn a_tap_places_a_vertex_and_a_drag_on_it_moves_it() {
    let mut app = app();
    act(&mut app, MeasureAction::Start(MeasureTool::Distance));
    let a = screen_of(&mut app, corner(-1.0, 1.0, 1.0)) + Vec2::new(2.0, 1.0);
    touch(&mut app, TouchPhase::Started, a);
    touch(&mut app, TouchPhase::Ended, a);
    let hover = app.world().resource::<Measuring>().hover;
    let points = app.world().resource::<Measuring>().editor.as_ref().unwrap().points().to_vec();
    assert_eq!(points.len(), 1, "the tap placed a vertex (hover {hover:?})");
    assert!((points[0][0] + 2.0).abs() < 1e-3 && (points[0][2] - 2.0).abs() < 1e-3, "{points:?}");

    // Finger down on that vertex, slide to the far corner of the edge, lift.
    touch(&mut app, TouchPhase::Started, a);
    assert_eq!(app.world().resource::<Measuring>().hover.map(|h| h.kind), Some(SnapKind::OwnVertex(0)));
    assert!(app.world().resource::<sontinh_camera::ToolHasPointer>().0, "the drag is the tool's, not the camera's");
    let b = screen_of(&mut app, corner(1.0, 1.0, 1.0)) + Vec2::new(-2.0, 1.0);
    for k in 1..=4 {
        touch(&mut app, TouchPhase::Moved, a.lerp(b, k as f32 / 4.0));
    }
    touch(&mut app, TouchPhase::Ended, b);
    let m = app.world().resource::<Measuring>();
    let points = m.editor.as_ref().unwrap().points().to_vec();
    assert_eq!(points.len(), 1, "moved, not added: {points:?}");
    assert!((points[0][0] - 2.0).abs() < 1e-3, "{points:?}");
    assert!(!app.world().resource::<sontinh_camera::ToolHasPointer>().0);
    act(&mut app, MeasureAction::Undo);
    let points = app.world().resource::<Measuring>().editor.as_ref().unwrap().points().to_vec();
    assert!((points[0][0] + 2.0).abs() < 1e-3, "the drag undone in one step: {points:?}");
}

#[test]
fn kept_measurements_are_listed_and_exported() {
    let mut app = app();
    act(&mut app, MeasureAction::Start(MeasureTool::Distance));
    act(&mut app, MeasureAction::AddAt([-2.0, -1.5, 2.0]));
    act(&mut app, MeasureAction::AddAt([2.0, -1.5, 2.0]));
    act(&mut app, MeasureAction::Keep { name: Text { vi: "Mép trên".into(), en: "Top edge".into() } });
    let m = app.world().resource::<Measuring>();
    assert!(m.editor.is_none() && m.unsaved);
    assert_eq!((m.kept.len(), m.kept[0].id.as_str(), m.shown[0]), (1, "distance-1", true));
    app.update();
    act(&mut app, MeasureAction::ExportGeoJson);
    let outcome = app.world().resource::<sontinh_measure_view::FileOutcome>().get().unwrap().unwrap();
    let text = std::fs::read_to_string(&outcome).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = &v["features"][0];
    assert_eq!(f["properties"]["name_en"], "Top edge");
    assert!((f["properties"]["horizontal_m"].as_f64().unwrap() - 4.0).abs() < 1e-3, "{f}");
    assert_eq!(f["geometry"]["type"], "LineString");
}

#[test]
fn measurements_draw_in_front_of_what_they_measure() {
    let app = app();
    let store = app.world().resource::<bevy::gizmos::config::GizmoConfigStore>();
    let (config, _) = store.config::<sontinh_measure_view::MeasureGizmos>();
    // In front of geometry, short of -1, where Bevy's lines lose parts of themselves.
    assert!(config.depth_bias < -0.5 && config.depth_bias > -0.99, "{}", config.depth_bias);
}
