use std::path::Path;
use std::time::Duration;

use approx::assert_abs_diff_eq;
use bevy::asset::AssetPlugin;
use sontinh_scene::{LayerSource, Placement};

use super::*;

fn citadel_scene() -> Scene {
    sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap()
}

fn app_with(scene: Scene) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, SceneLayersPlugin))
        .init_asset::<StandardMaterial>()
        .insert_resource(ActiveScene(Arc::new(scene)));
    app
}

/// Runs frames until every layer settled (they load on background tasks),
/// polling with a deadline.
fn update_until_settled(app: &mut App) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        app.update();
        if app.world().resource::<LayerStates>().all_settled() {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "layers did not settle within 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn enu_and_world_round_trip() {
    let enu = [120.5, -250.25, 9.0];
    let w = enu_to_world(enu);
    assert_eq!(w, Vec3::new(120.5, 9.0, 250.25));
    assert_eq!(world_to_enu(w), enu);
}

#[test]
fn placement_heading_turns_north_to_east() {
    let t = placement_transform(&Placement {
        enu: [10.0, 20.0, 3.0],
        heading_deg: 90.0,
        scale: 2.0,
        ..Placement::default()
    });
    // The layer's north axis (world −z) points east (world +x) after a 90° heading.
    let north = t.rotation * Vec3::NEG_Z;
    assert_abs_diff_eq!(north.x, 1.0, epsilon = 1e-6);
    assert_eq!(t.translation, Vec3::new(10.0, 3.0, -20.0));
    assert_eq!(t.scale, Vec3::splat(2.0));
}

#[test]
fn the_citadel_layer_loads_in_the_background() {
    let mut app = app_with(citadel_scene());
    app.update();
    assert!(matches!(
        app.world().resource::<LayerStates>().layers[0].status,
        LayerStatus::Loading(_)
    ));
    update_until_settled(&mut app);
    let states = app.world().resource::<LayerStates>();
    assert_eq!(states.layers[0].status, LayerStatus::Ready);
    assert_eq!(states.progress(), 1.0);
    let meshes = app.world_mut().query::<&Mesh3d>().iter(app.world()).count();
    assert_eq!(meshes, 7, "ground, walls, gates, memorial, trees, river, moat");
}

#[test]
fn a_broken_layer_is_reported_and_the_others_still_load() {
    let mut scene = citadel_scene();
    let mut broken = scene.layers[0].clone();
    broken.id = "scan".into();
    broken.kind = LayerKind::PointCloud;
    broken.source = LayerSource::File("relic.copc.laz".into());
    scene.layers.insert(0, broken);
    let mut app = app_with(scene);
    update_until_settled(&mut app);
    let states = app.world().resource::<LayerStates>();
    let failures: Vec<_> = states.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "scan");
    assert!(failures[0].1.contains("relic.copc.laz"), "{}", failures[0].1);
    assert_eq!(states.layers[1].status, LayerStatus::Ready);
}

#[test]
fn hiding_and_fading_a_layer_reaches_its_entities() {
    let mut app = app_with(citadel_scene());
    update_until_settled(&mut app);
    app.update();
    {
        let mut states = app.world_mut().resource_mut::<LayerStates>();
        states.layers[0].visible = false;
        states.layers[0].opacity = 0.5;
    }
    app.update();
    let visibility = *app.world_mut().query::<(&LayerRoot, &Visibility)>().single(app.world()).unwrap().1;
    assert_eq!(visibility, Visibility::Hidden);
    let handles: Vec<Handle<StandardMaterial>> = app
        .world_mut()
        .query::<&MeshMaterial3d<StandardMaterial>>()
        .iter(app.world())
        .map(|m| m.0.clone())
        .collect();
    let materials = app.world().resource::<Assets<StandardMaterial>>();
    for h in handles {
        let m = materials.get(&h).unwrap();
        assert!(m.base_color.alpha() <= 0.5 + 1e-6);
        assert!(matches!(m.alpha_mode, AlphaMode::Blend));
    }
}
