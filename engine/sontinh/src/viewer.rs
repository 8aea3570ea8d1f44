//! The windowed viewer, and what it shares with the headless renderer so
//! that both show the same picture from a bookmark.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bevy::prelude::*;
use sontinh_camera::{CameraRig, SceneCameraPlugin};
use sontinh_flood_view::{FloodOverlayPlugin, FloodResults};
use sontinh_layers::{ActiveScene, EnvironmentPlugin, SceneLayersPlugin};
use sontinh_pointcloud_view::PointCloudViewPlugin;
use sontinh_scene::{Bookmark, Scene};
use sontinh_ui::{ViewerUiPlugin, bookmark_view};

/// `true` when a window can be opened (an X11 display; Wayland sessions
/// provide one through XWayland).
pub fn display_available() -> bool {
    cfg!(target_arch = "wasm32") || std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
}

/// The plugins that put a scene on screen, shared by viewer and renderer;
/// `flood` is the output folder of a flood run to draw over it.
pub fn add_scene_plugins(app: &mut App, scene: Scene, flood: Option<PathBuf>) {
    app.add_plugins((EnvironmentPlugin, SceneLayersPlugin, SceneCameraPlugin, FloodOverlayPlugin, PointCloudViewPlugin))
        .insert_resource(ActiveScene(Arc::new(scene)));
    if let Some(dir) = flood {
        app.insert_resource(FloodResults(dir));
    }
}

/// The scene camera looking from `bookmark`, without a render target.
pub fn scene_camera(bookmark: &Bookmark) -> impl Bundle {
    let (pose, fov) = bookmark_view(bookmark);
    (
        Name::new("scene camera"),
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection {
            fov,
            near: 0.5,
            far: 60_000.0,
            ..default()
        }),
        Transform::from_translation(pose.eye).looking_at(pose.target, Vec3::Y),
        CameraRig::from_pose(pose),
        sontinh_layers::site_fog(),
    )
}

/// Opens the viewer window on `scene`; returns when it is closed.
pub fn run(scene: Scene, flood: Option<PathBuf>) -> ExitCode {
    let title = format!("Sơn Tinh — {} / {}", scene.name.vi, scene.name.en);
    let bookmark = scene.default_bookmark().clone();
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            fit_canvas_to_parent: true,
            ..default()
        }),
        ..default()
    }));
    let planner = flood.is_some();
    add_scene_plugins(&mut app, scene, flood);
    app.add_plugins(ViewerUiPlugin).add_systems(Startup, move |mut commands: Commands| {
        commands.spawn(scene_camera(&bookmark));
    });
    if planner {
        // Flood results are the planner's view.
        app.insert_resource(sontinh_ui::UserMode::Planner);
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}
