#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test module: failing loudly is the point

//! The plugin in an app without a window or GPU: a layer read from a file
//! is built in the background, drawn as chunk entities, picked through the
//! camera's ray, and rebuilt with a filter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::camera::{ComputedCameraValues, RenderTargetInfo};
use bevy::ecs::system::RunSystemOnce;
use bevy::picking::mesh_picking::ray_cast::MeshRayCast;
use bevy::prelude::*;
use sontinh_camera::FloatingOrigin;
use sontinh_layers::{ActiveScene, LayerState, LayerStates, LayerStatus, SceneMaterial};
use sontinh_scene::{FeatureFilter, FilterTest};

use super::*;

const WIDTH: f32 = 800.0;
const HEIGHT: f32 = 600.0;

/// Two 10 m squares 40 m apart east of the origin (lon/lat from the
/// scene's frame), 6 m and 12 m tall.
fn write_layer(dir: &std::path::Path, frame: &sontinh_geo::EnuFrame) {
    let square = |e: f64| {
        let ring: Vec<String> = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]
            .iter()
            .map(|(de, dn)| {
                let g = frame.enu_to_geodetic([e + de, -5.0 + dn, 0.0]);
                format!("[{:.10}, {:.10}]", g.lon_deg, g.lat_deg)
            })
            .collect();
        format!("[[{}]]", ring.join(", "))
    };
    let text = format!(
        r#"{{"type": "FeatureCollection", "features": [
        {{"type": "Feature", "properties": {{"name": "low", "height": 6}}, "geometry": {{"type": "Polygon", "coordinates": {}}}}},
        {{"type": "Feature", "properties": {{"name": "tall", "height": 12}}, "geometry": {{"type": "Polygon", "coordinates": {}}}}}]}}"#,
        square(-25.0),
        square(15.0)
    );
    std::fs::write(dir.join("houses.geojson"), text).expect("writes the layer");
}

fn app(dir: &std::path::Path) -> App {
    let text = r##"
format = 1
[site]
id = "houses"
name = { vi = "Nhà", en = "Houses" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "houses"
kind = "vector"
path = "houses.geojson"
name = { vi = "Nhà", en = "Houses" }
[layer.style]
extrude_attribute = "height"
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]
"##;
    let path = dir.join("houses.toml");
    std::fs::write(&path, text).expect("writes the scene");
    write_layer(dir, &sontinh_geo::EnuFrame::new(sontinh_geo::Geodetic::new(107.194, 16.747, 0.0)));
    let scene = sontinh_scene::load(&path).expect("the scene loads");
    let layer = &scene.layers[0];
    let states = LayerStates::for_scene(
        scene.source.clone(),
        vec![LayerState {
            id: layer.id.clone(),
            name: layer.name.clone(),
            kind: layer.kind,
            status: LayerStatus::Loading(0.0),
            visible: true,
            opacity: 1.0,
        }],
    );
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin::default(),
        bevy::mesh::MeshPlugin,
        TransformPlugin,
        bevy::camera::visibility::VisibilityPlugin,
        bevy::input::InputPlugin,
        bevy::gizmos::GizmoPlugin,
    ))
    .init_asset::<SceneMaterial>()
    .add_plugins(sontinh_camera::FloatingOriginPlugin)
    .init_resource::<sontinh_camera::PointerCaptured>()
    .insert_resource(states)
    .insert_resource(ActiveScene(Arc::new(scene)))
    .add_plugins(VectorViewPlugin);
    let projection = PerspectiveProjection {
        fov: 0.8,
        aspect_ratio: WIDTH / HEIGHT,
        near: 0.1,
        ..default()
    };
    let camera = Camera {
        computed: ComputedCameraValues {
            clip_from_view: Mat4::perspective_infinite_reverse_rh(projection.fov, projection.aspect_ratio, projection.near),
            target_info: Some(RenderTargetInfo {
                physical_size: UVec2::new(WIDTH as u32, HEIGHT as u32),
                scale_factor: 1.0,
            }),
            old_viewport_size: None,
            old_sub_camera_view: None,
        },
        ..default()
    };
    // From the south and above (world: x east, y up, z south).
    app.world_mut().spawn((
        Camera3d::default(),
        camera,
        Projection::Perspective(projection),
        Transform::from_xyz(0.0, 60.0, 90.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    app
}

/// Updates until the layer is ready (or fails), with a deadline.
fn until_ready(app: &mut App) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        app.update();
        let status = app.world().resource::<LayerStates>().layers[0].status.clone();
        match status {
            LayerStatus::Ready if !app.world().resource::<VectorLayers>().layers.is_empty() => break,
            LayerStatus::Failed(why) => panic!("the layer failed: {why}"),
            other => assert!(Instant::now() < deadline, "the layer was not built within a minute: {other:?}"),
        }
        std::thread::yield_now();
    }
    // Placed by the floating origin, transforms propagated.
    app.update();
    app.update();
}

fn pick(app: &mut App, world: Vec3) -> Option<(usize, sontinh_vector_mesh::FeatureInfo)> {
    app.world_mut()
        .run_system_once(
            move |cameras: Query<(&Camera, &GlobalTransform)>,
                  mut ray_cast: MeshRayCast,
                  chunks: Query<(&FeatureChunk, &InheritedVisibility, &GlobalTransform)>,
                  shown: Res<VectorLayers>,
                  origin: Res<FloatingOrigin>| {
                let (camera, transform) = cameras.single().ok()?;
                let at = camera.world_to_viewport(transform, world).ok()?;
                feature_at(at, (camera, transform), &mut ray_cast, &chunks, &shown, &origin)
            },
        )
        .expect("the system runs")
}

fn world_of(app: &App, enu: [f64; 3]) -> Vec3 {
    app.world().resource::<FloatingOrigin>().to_world(enu)
}

#[test]
fn a_layer_is_built_drawn_picked_and_filtered() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut app = app(dir.path());
    until_ready(&mut app);
    let solids = app
        .world_mut()
        .query::<&FeatureChunk>()
        .iter(app.world())
        .filter(|c| c.part == Part::Solids)
        .count();
    assert_eq!(solids, 1, "the two houses are one chunk's solids");
    // The tall house's roof (12 m, centre 20 m east) and the low one's wall.
    let tall = world_of(&app, [20.0, 0.0, 12.0]);
    let (_, feature) = pick(&mut app, tall).expect("the tall roof is picked");
    let mut attributes = feature.attributes.clone();
    attributes.sort();
    assert_eq!(
        attributes,
        vec![("height".to_owned(), "12".to_owned()), ("name".to_owned(), "tall".to_owned())]
    );
    let low_wall = world_of(&app, [-20.0, -5.0, 3.0]);
    let (_, feature) = pick(&mut app, low_wall).expect("the low wall is picked");
    assert!(feature.attributes.contains(&("name".to_owned(), "low".to_owned())), "{feature:?}");
    // Over the gap between them only the ground (nothing of this layer).
    let gap = world_of(&app, [0.0, 0.0, 0.5]);
    assert!(pick(&mut app, gap).is_none());

    // Filtered to houses of 10 m and more: the low one goes.
    app.world_mut().write_message(VectorAction::SetFilter {
        layer_index: 0,
        filter: Some(FeatureFilter {
            attribute: "height".into(),
            test: FilterTest::Range {
                min: Some(10.0),
                max: None,
            },
        }),
    });
    // Until the layer shown is the one built with the filter.
    let deadline = Instant::now() + Duration::from_secs(60);
    while app
        .world()
        .resource::<VectorLayers>()
        .layers
        .first()
        .is_none_or(|l| l.filter.is_none())
    {
        assert!(Instant::now() < deadline, "the filtered layer was not built within a minute");
        app.update();
        std::thread::yield_now();
    }
    until_ready(&mut app);
    let shown = app.world().resource::<VectorLayers>();
    assert_eq!(shown.layers[0].built.features.len(), 1);
    assert_eq!(shown.layers[0].built.filtered_out, 1);
    assert!(pick(&mut app, low_wall).is_none(), "the filtered house is gone");
    assert!(pick(&mut app, tall).is_some());
}

#[test]
fn a_missing_file_fails_the_layer_with_its_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut app = app(dir.path());
    std::fs::remove_file(dir.path().join("houses.geojson")).expect("removes the layer");
    let deadline = Instant::now() + Duration::from_secs(60);
    let why = loop {
        app.update();
        if let LayerStatus::Failed(why) = &app.world().resource::<LayerStates>().layers[0].status {
            break why.clone();
        }
        assert!(Instant::now() < deadline, "the layer neither failed nor loaded");
        std::thread::yield_now();
    };
    assert!(why.contains("houses.geojson"), "{why}");
}
