#![allow(clippy::expect_used, clippy::panic, dead_code)] // test helpers: failing loudly is the point; each test file uses some

//! The minimal app the tour tests play in (no window, no GPU), and the
//! camera's view read back from it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bevy::audio::AudioSource;
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use sontinh_camera::{CameraRig, FloatingOrigin, PointerCaptured, Pose};
use sontinh_layers::{ActiveScene, LayerStates};
use sontinh_measure_view::MeasureAction;
use sontinh_scene::{Scene, View};
use sontinh_tour_view::TourViewPlugin;

/// The tests' frame: 60 Hz.
pub const FRAME: f64 = 1.0 / 60.0;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tour plugin over `scene`, a camera at `camera` with a vertical field
/// of view of `fov` radians, time advancing a frame per update.
pub fn app(scene: Scene, camera: Pose, fov: f32) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, TourViewPlugin))
        .init_asset::<AudioSource>()
        .init_resource::<LayerStates>()
        .init_resource::<FloatingOrigin>()
        .init_resource::<PointerCaptured>()
        .add_message::<MeasureAction>()
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(FRAME)))
        .insert_resource(ActiveScene(Arc::new(scene)));
    app.world_mut().spawn((
        CameraRig::from_pose(camera),
        Projection::Perspective(PerspectiveProjection { fov, ..default() }),
    ));
    app.update();
    app
}

/// The camera's view in scene ENU, as the rig holds it.
pub fn camera_view(app: &mut App) -> View {
    let origin = *app.world().resource::<FloatingOrigin>();
    let mut q = app.world_mut().query::<(&CameraRig, &Projection)>();
    let (rig, projection) = q.single(app.world()).expect("one camera");
    let pose = rig.pose();
    let Projection::Perspective(p) = projection else {
        panic!("perspective")
    };
    View {
        eye: origin.to_enu(pose.eye),
        target: origin.to_enu(pose.target),
        fov_deg: f64::from(p.fov.to_degrees()),
    }
}
