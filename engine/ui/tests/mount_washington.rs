#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The viewer's coordinate readout over the SRTM terrain: the highest point
//! found by casting rays at the loaded terrain (its finest chunks) reads as
//! Mount Washington, 44.2708 N, 71.3033 W, about 1,908 m in SRTM.

use std::path::Path;
use std::sync::Arc;

use bevy::ecs::system::RunSystemOnce;
use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use sontinh_layers::{ActiveScene, LayerStates, LayerStatus, SceneLayersPlugin, TerrainChunk, enu_to_world, world_to_enu};

#[test]
fn the_readout_over_the_srtm_summit_is_mount_washington() {
    let scene = sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/mount-washington.toml")).unwrap();
    assert!(scene.missing_files.is_empty(), "shared test data missing: {:?}", scene.missing_files);
    let frame = scene.frame;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin::default(),
        bevy::mesh::MeshPlugin,
        TransformPlugin,
        bevy::camera::visibility::VisibilityPlugin,
        SceneLayersPlugin,
    ))
        .init_asset::<StandardMaterial>()
        .insert_resource(ActiveScene(Arc::new(scene)));
    // Terrain loads on background tasks: poll the frames until the terrain
    // layer settled, with a deadline, and fail if it never did. (The
    // scene's graticule is a vector layer, drawn by a plugin not added here.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let terrain_status = |app: &App| app.world().resource::<LayerStates>().layers.iter().find(|l| l.id == "srtm").map(|l| l.status.clone());
    loop {
        app.update();
        if terrain_status(&app).is_some_and(|s| !matches!(s, LayerStatus::Loading(_))) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the terrain layer did not load within 120 s");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(terrain_status(&app), Some(LayerStatus::Ready));
    // Bounds and transforms of the new chunks.
    app.update();
    app.update();

    // Rays straight down every 30 m over 1.2 km around the summit, against the finest chunks.
    let highest = app
        .world_mut()
        .run_system_once(move |mut ray_cast: MeshRayCast, chunks: Query<&TerrainChunk>| {
            let finest = |e: Entity| chunks.get(e).is_ok_and(|c| c.level == 0);
            let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Any).with_filter(&finest);
            let mut best: Option<[f64; 3]> = None;
            for i in -20..=20 {
                for j in -20..=20 {
                    let from = enu_to_world([f64::from(i) * 30.0, f64::from(j) * 30.0, 5000.0]);
                    let ray = Ray3d::new(from, Dir3::NEG_Y);
                    if let Some((_, hit)) = ray_cast.cast_ray(ray, &settings).first() {
                        let enu = world_to_enu(hit.point);
                        if best.is_none_or(|b| enu[2] > b[2]) {
                            best = Some(enu);
                        }
                    }
                }
            }
            best
        })
        .unwrap()
        .expect("the rays hit the terrain");
    let to_vn2000 = sontinh_ui::vn2000_transformer().unwrap();
    let r = sontinh_ui::readout(&frame, &to_vn2000, highest);
    let g = r.geodetic;
    assert!((g.lat_deg - 44.2708).abs() < 0.0015 && (g.lon_deg + 71.3033).abs() < 0.0015, "{g:?}");
    assert!((g.height_m - 1908.0).abs() < 15.0, "{g:?}");
}
