//! The twin's camera: orbit / pan / zoom around a focus point, a first-person
//! walk mode that follows the ground and stops at walls, and smooth flights
//! to bookmarks.
//!
//! The navigation maths lives in [`rig`] and [`walk`] as plain functions;
//! the systems here only read input, gather the scene's geometry around a
//! walker ([`ground`]) and write transforms. UI crates tell the camera when
//! the pointer belongs to them through [`PointerCaptured`], and feed an
//! on-screen joystick through [`WalkJoystick`].

pub mod ground;
pub mod origin;
pub mod rig;
pub mod soup;
pub mod walk;

use bevy::input::gestures::PinchGesture;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::input::touch::Touches;
use bevy::prelude::*;

use walk::ground_from_points;

pub use ground::{NearbyGroundPoints, WalkGeometry, WalkablePoints, walk_on_points};
pub use origin::{
    FloatingOrigin, FloatingOriginPlugin, FloatingOriginSystems, GeoPosition, RECENTRE_DISTANCE_M, enu_to_world, world_to_enu,
};
pub use rig::{CameraRig, EYE_HEIGHT, Flight, NavigationMode, OrbitState, Pose, WalkState};
pub use walk::{WALKER, WalkBody, WalkParams, place_on_ground, walk_step};

/// Adds the camera systems. Spawn a [`CameraRig`] on a `Camera3d` to control it.
pub struct SceneCameraPlugin;

impl Plugin for SceneCameraPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<FloatingOriginPlugin>() {
            app.add_plugins(FloatingOriginPlugin);
        }
        app.init_resource::<PointerCaptured>()
            .init_resource::<ToolHasPointer>()
            .init_resource::<WalkJoystick>()
            .init_resource::<WalkGeometry>()
            .init_resource::<NearbyGroundPoints>()
            .add_message::<FlyTo>()
            .add_message::<SetNavigationMode>()
            .add_message::<AssetEvent<Mesh>>()
            .add_systems(
                Update,
                (
                    start_flights,
                    switch_mode,
                    orbit_input.run_if(|c: Res<PointerCaptured>, t: Res<ToolHasPointer>| !c.0 && !t.0),
                    walk_input,
                    ground::update_walk_geometry,
                    walk_against_scene,
                    advance_flights,
                    apply_rig,
                )
                    .chain()
                    .in_set(CameraSystems),
            );
    }
}

/// The camera's systems, so that others can order around them.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CameraSystems;

/// Set by the UI while the pointer or keyboard is over or used by a panel,
/// so that dragging a slider never turns the camera.
#[derive(Resource, Default, Debug)]
pub struct PointerCaptured(pub bool);

/// Set by a tool of the scene (a measurement's vertex being dragged) while
/// the pointer's drag is its own, so that it does not also turn the camera.
#[derive(Resource, Default, Debug)]
pub struct ToolHasPointer(pub bool);

/// Fly the camera smoothly to a view given in scene ENU metres (f64): the
/// floating origin moves to the destination first, so that a bookmark
/// thousands of kilometres away is reached exactly.
#[derive(Message, Debug, Clone)]
pub struct FlyTo {
    pub eye: [f64; 3],
    pub target: [f64; 3],
    /// Vertical field of view to end with, radians.
    pub fov: Option<f32>,
}

/// Switch between orbiting and walking.
#[derive(Message, Debug, Clone, Copy)]
pub struct SetNavigationMode(pub NavigationMode);

/// An on-screen joystick's deflection while walking (touch screens): x to
/// the right, y forward, its length up to 1 the share of walking speed.
/// The UI writes it while the stick is held and sets it back to zero.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct WalkJoystick(pub Vec2);

/// Walking speed, m/s; Shift runs.
pub const WALK_SPEED: f32 = 4.0;
pub const RUN_SPEED: f32 = 12.0;

fn start_flights(
    mut events: MessageReader<FlyTo>,
    mut origin: ResMut<FloatingOrigin>,
    mut rigs: Query<(&mut CameraRig, &mut Transform, &Projection)>,
) {
    for event in events.read() {
        let (moved, shift) = origin::recentred_at(&origin, event.eye);
        *origin = moved;
        let pose = Pose {
            eye: origin.to_world(event.eye),
            target: origin.to_world(event.target),
        };
        for (mut rig, mut transform, projection) in &mut rigs {
            transform.translation -= shift;
            rig.shift(shift);
            let fov = match projection {
                Projection::Perspective(p) => p.fov,
                _ => rig::DEFAULT_FOV,
            };
            rig.fly_to(pose, fov, event.fov.unwrap_or(fov));
        }
    }
}

fn switch_mode(
    mut events: MessageReader<SetNavigationMode>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    captured: Res<PointerCaptured>,
    mut rigs: Query<&mut CameraRig>,
) {
    let mut wanted: Option<NavigationMode> = events.read().last().map(|e| e.0);
    if let Some(keys) = keys
        && !captured.0
        && keys.just_pressed(KeyCode::KeyF)
    {
        // F toggles first-person walking.
        wanted = rigs.iter().next().map(|r| match r.mode {
            NavigationMode::Orbit => NavigationMode::Walk,
            NavigationMode::Walk => NavigationMode::Orbit,
        });
    }
    if let Some(mode) = wanted {
        for mut rig in &mut rigs {
            rig.set_mode(mode);
        }
    }
}

fn window_height(windows: &Query<&Window>) -> f32 {
    windows.iter().next().map(|w| w.height()).unwrap_or(720.0).max(1.0)
}

#[allow(clippy::too_many_arguments)]
fn orbit_input(
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    motion: Option<Res<AccumulatedMouseMotion>>,
    scroll: Option<Res<AccumulatedMouseScroll>>,
    mut pinch: MessageReader<PinchGesture>,
    touches: Option<Res<Touches>>,
    windows: Query<&Window>,
    time: Res<Time>,
    mut rigs: Query<(&mut CameraRig, &Projection)>,
) {
    let viewport_h = window_height(&windows);
    let pinch_total: f32 = pinch.read().map(|p| p.0).sum();
    for (mut rig, projection) in &mut rigs {
        if rig.mode != NavigationMode::Orbit {
            continue;
        }
        let fov = match projection {
            Projection::Perspective(p) => p.fov,
            _ => rig::DEFAULT_FOV,
        };
        let mut moved = false;
        if let (Some(mouse), Some(motion)) = (&mouse, &motion) {
            let delta = motion.delta;
            let shift = keys
                .as_ref()
                .is_some_and(|k| k.pressed(KeyCode::ShiftLeft) || k.pressed(KeyCode::ShiftRight));
            if delta != Vec2::ZERO {
                if mouse.pressed(MouseButton::Right) || mouse.pressed(MouseButton::Middle) || (shift && mouse.pressed(MouseButton::Left)) {
                    rig.orbit.pan(delta, viewport_h, fov);
                    moved = true;
                } else if mouse.pressed(MouseButton::Left) {
                    rig.orbit.rotate(delta);
                    moved = true;
                }
            }
        }
        if let Some(scroll) = &scroll {
            let lines = match scroll.unit {
                MouseScrollUnit::Line => scroll.delta.y,
                MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
            };
            if lines != 0.0 {
                rig.orbit.zoom(lines);
                moved = true;
            }
        }
        if pinch_total != 0.0 {
            rig.orbit.zoom(pinch_total * 10.0);
            moved = true;
        }
        if let Some(touches) = &touches {
            let active: Vec<_> = touches.iter().collect();
            match active.as_slice() {
                [one] => {
                    rig.orbit.rotate(one.delta());
                    moved |= one.delta() != Vec2::ZERO;
                }
                [a, b, ..] => {
                    let before = a.previous_position().distance(b.previous_position());
                    let after = a.position().distance(b.position());
                    if before > 1.0 && after > 1.0 {
                        rig.orbit.zoom((after / before).ln() * 8.0);
                    }
                    rig.orbit.pan((a.delta() + b.delta()) / 2.0, viewport_h, fov);
                    moved = true;
                }
                [] => {}
            }
        }
        // Keyboard: arrows orbit, PageUp/PageDown zoom.
        if let Some(keys) = &keys {
            let dt = time.delta_secs();
            let mut turn = Vec2::ZERO;
            if keys.pressed(KeyCode::ArrowLeft) {
                turn.x -= 300.0 * dt;
            }
            if keys.pressed(KeyCode::ArrowRight) {
                turn.x += 300.0 * dt;
            }
            if keys.pressed(KeyCode::ArrowUp) {
                turn.y -= 200.0 * dt;
            }
            if keys.pressed(KeyCode::ArrowDown) {
                turn.y += 200.0 * dt;
            }
            if turn != Vec2::ZERO {
                rig.orbit.rotate(turn);
                moved = true;
            }
            if keys.pressed(KeyCode::PageUp) {
                rig.orbit.zoom(4.0 * dt);
                moved = true;
            }
            if keys.pressed(KeyCode::PageDown) {
                rig.orbit.zoom(-4.0 * dt);
                moved = true;
            }
        }
        if moved {
            // Any manual move cancels a flight in progress.
            rig.flight = None;
        }
    }
}

fn walk_input(
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    motion: Option<Res<AccumulatedMouseMotion>>,
    touches: Option<Res<Touches>>,
    (captured, tool, joystick): (Res<PointerCaptured>, Res<ToolHasPointer>, Res<WalkJoystick>),
    time: Res<Time>,
    mut rigs: Query<&mut CameraRig>,
) {
    let dt = time.delta_secs();
    // The joystick is drawn by the UI, which holds the pointer while it is
    // used: it counts even then; the pointer and keys only when free.
    let free = !captured.0 && !tool.0;
    for mut rig in &mut rigs {
        if rig.mode != NavigationMode::Walk {
            continue;
        }
        if free
            && let (Some(mouse), Some(motion)) = (&mouse, &motion)
            && mouse.pressed(MouseButton::Left)
        {
            rig.walk.look(motion.delta);
        }
        let mut step = Vec2::ZERO;
        let mut run = false;
        if free && let Some(keys) = &keys {
            let pairs = [
                (KeyCode::KeyW, Vec2::Y),
                (KeyCode::ArrowUp, Vec2::Y),
                (KeyCode::KeyS, -Vec2::Y),
                (KeyCode::ArrowDown, -Vec2::Y),
                (KeyCode::KeyD, Vec2::X),
                (KeyCode::ArrowRight, Vec2::X),
                (KeyCode::KeyA, -Vec2::X),
                (KeyCode::ArrowLeft, -Vec2::X),
            ];
            for (key, dir) in pairs {
                if keys.pressed(key) {
                    step += dir;
                }
            }
            step = step.normalize_or_zero();
            run = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
        }
        if free && let Some(touches) = &touches {
            let active: Vec<_> = touches.iter().collect();
            match active.as_slice() {
                // One finger looks around; two fingers walk forward (spread) or back.
                [one] => rig.walk.look(one.delta()),
                [a, b, ..] => {
                    let before = a.previous_position().distance(b.previous_position());
                    let after = a.position().distance(b.position());
                    step.y += (after - before) * 0.2;
                }
                [] => {}
            }
        }
        step += joystick.0.clamp_length_max(1.0);
        if step != Vec2::ZERO {
            rig.walk.step(step, dt, if run { RUN_SPEED } else { WALK_SPEED });
            rig.flight = None;
        }
    }
}

/// In walk mode, moves the eye by the input's wish against the scene: at
/// standing height over the ground (meshes and point clouds), stopped by
/// walls, up steps and ramps, down drops (see [`walk::walk_step`]).
fn walk_against_scene(time: Res<Time>, geometry: Res<WalkGeometry>, points: Res<NearbyGroundPoints>, mut rigs: Query<&mut CameraRig>) {
    let probe = |origin: Vec3, dir: Vec3, max: f32| {
        let mesh = geometry.cast(origin, dir, max);
        if dir.y > -0.999 {
            return mesh;
        }
        // Straight down: a point cloud's ground counts where it is higher.
        let cloud = ground_from_points(points.iter(), origin, walk::POINT_GROUND_RADIUS, max).map(|g| walk::ProbeHit {
            distance: origin.y - g,
            normal: Vec3::Y,
        });
        match (mesh, cloud) {
            (Some(m), Some(c)) => Some(if c.distance < m.distance { c } else { m }),
            (m, c) => m.or(c),
        }
    };
    for mut rig in &mut rigs {
        if rig.mode != NavigationMode::Walk || rig.flight.is_some() {
            continue;
        }
        if !rig.walk.placed {
            // Until the scene under the walker has loaded, there is nothing to stand on.
            if let Some(eye) = walk::place_on_ground(rig.walk.position, &WALKER, &probe) {
                rig.walk.position = eye;
                rig.walk.placed = true;
            }
        }
        let body = WalkBody {
            eye: rig.walk.position,
            fall_speed: rig.walk.fall_speed,
        };
        let next = walk_step(body, rig.walk.pending, time.delta_secs(), &WALKER, &probe);
        if next != body || rig.walk.pending != Vec3::ZERO {
            rig.walk.position = next.eye;
            rig.walk.fall_speed = next.fall_speed;
            rig.walk.pending = Vec3::ZERO;
        }
    }
}

fn advance_flights(time: Res<Time>, mut rigs: Query<(&mut CameraRig, &mut Projection)>) {
    for (mut rig, mut projection) in &mut rigs {
        if let Some(fov) = rig.advance_flight(time.delta_secs())
            && let Projection::Perspective(p) = projection.as_mut()
        {
            p.fov = fov;
        }
    }
}

fn apply_rig(mut rigs: Query<(&CameraRig, &mut Transform), Changed<CameraRig>>) {
    for (rig, mut transform) in &mut rigs {
        let pose = rig.pose();
        *transform = Transform::from_translation(pose.eye).looking_at(pose.target, Vec3::Y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::time::TimeUpdateStrategy;
    use std::time::Duration;

    fn app_with_camera(pose: Pose) -> (App, Entity) {
        let mut app = App::new();
        // Assets and meshes: walking ray-casts against the scene's meshes.
        app.add_plugins((
            MinimalPlugins,
            bevy::input::InputPlugin,
            bevy::asset::AssetPlugin::default(),
            bevy::mesh::MeshPlugin,
            SceneCameraPlugin,
        ))
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(100)));
        let camera = app
            .world_mut()
            .spawn((
                CameraRig::from_pose(pose),
                Projection::Perspective(PerspectiveProjection::default()),
                Transform::default(),
            ))
            .id();
        (app, camera)
    }

    #[test]
    fn camera_takes_the_rig_pose() {
        let pose = Pose {
            eye: Vec3::new(100.0, 50.0, 100.0),
            target: Vec3::ZERO,
        };
        let (mut app, camera) = app_with_camera(pose);
        app.update();
        let t = app.world().get::<Transform>(camera).unwrap();
        assert!(t.translation.distance(pose.eye) < 1e-3);
        assert!(t.forward().dot((pose.target - pose.eye).normalize()) > 0.9999);
    }

    #[test]
    fn fly_to_arrives_at_the_bookmark() {
        let (mut app, camera) = app_with_camera(Pose {
            eye: Vec3::new(0.0, 100.0, 300.0),
            target: Vec3::ZERO,
        });
        let goal = Pose {
            eye: Vec3::new(-500.0, 40.0, 200.0),
            target: Vec3::new(-400.0, 0.0, 0.0),
        };
        app.update();
        app.world_mut().write_message(FlyTo {
            eye: world_to_enu(goal.eye),
            target: world_to_enu(goal.target),
            fov: Some(0.6),
        });
        // 100 ms a frame; a flight lasts at most a few seconds.
        for _ in 0..60 {
            app.update();
        }
        // The world's zero moved to the destination: compare in scene ENU.
        let t = app.world().get::<Transform>(camera).unwrap();
        let origin = app.world().resource::<FloatingOrigin>();
        let arrived = origin.to_enu(t.translation);
        let wanted = world_to_enu(goal.eye);
        assert!((0..3).all(|k| (arrived[k] - wanted[k]).abs() < 1e-2), "{arrived:?}");
        let Projection::Perspective(p) = app.world().get::<Projection>(camera).unwrap() else {
            panic!("perspective expected");
        };
        assert!((p.fov - 0.6).abs() < 1e-4);
    }

    #[test]
    fn pointer_captured_by_ui_leaves_the_camera_alone() {
        let pose = Pose {
            eye: Vec3::new(0.0, 100.0, 300.0),
            target: Vec3::ZERO,
        };
        let drag = |captured: bool| {
            let (mut app, camera) = app_with_camera(pose);
            app.update();
            app.world_mut().resource_mut::<PointerCaptured>().0 = captured;
            app.world_mut().resource_mut::<ButtonInput<MouseButton>>().press(MouseButton::Left);
            app.world_mut().write_message(bevy::input::mouse::MouseMotion {
                delta: Vec2::new(200.0, 0.0),
            });
            app.update();
            app.world().get::<Transform>(camera).unwrap().translation
        };
        assert!(drag(true).distance(pose.eye) < 1e-3, "camera moved under a panel");
        assert!(drag(false).distance(pose.eye) > 10.0, "a free drag orbits the camera");
    }

    /// A walking camera at `eye` looking east (+x).
    fn walker_at(eye: Vec3) -> (App, Entity) {
        let pose = Pose {
            eye,
            target: eye + Vec3::X,
        };
        let (mut app, camera) = app_with_camera(pose);
        let mut rig = app.world_mut().get_mut::<CameraRig>(camera).unwrap();
        rig.mode = NavigationMode::Walk;
        rig.walk = WalkState::from_pose(pose);
        (app, camera)
    }

    fn spawn_box(app: &mut App, centre: Vec3, size: Vec3) {
        let mesh = app
            .world_mut()
            .resource_mut::<Assets<Mesh>>()
            .add(Mesh::from(Cuboid::from_size(size)));
        // Placed and shown by hand: these tests run without the transform
        // and visibility plugins.
        app.world_mut().spawn((
            Mesh3d(mesh),
            GlobalTransform::from_translation(centre),
            InheritedVisibility::VISIBLE,
        ));
    }

    #[test]
    fn walking_with_w_stops_at_a_mesh_wall_at_eye_height() {
        let (mut app, camera) = walker_at(Vec3::new(0.0, 1.7, 0.0));
        // Floor top at y = 0; wall's west face at x = 10.
        spawn_box(&mut app, Vec3::new(0.0, -0.5, 0.0), Vec3::new(100.0, 1.0, 100.0));
        spawn_box(&mut app, Vec3::new(10.5, 1.5, 0.0), Vec3::new(1.0, 3.0, 40.0));
        app.update();
        app.world_mut().resource_mut::<ButtonInput<KeyCode>>().press(KeyCode::KeyW);
        // 4 m/s, 100 ms a frame: 10 m in 25 frames; 40 frames push on.
        let mut furthest = f32::MIN;
        for _ in 0..40 {
            app.update();
            furthest = furthest.max(app.world().get::<Transform>(camera).unwrap().translation.x);
        }
        let eye = app.world().get::<Transform>(camera).unwrap().translation;
        assert!((eye.x - (10.0 - WALKER.radius)).abs() < 1e-3, "{eye}");
        assert!(furthest <= 10.0 - WALKER.radius + 1e-3);
        assert!((eye.y - EYE_HEIGHT).abs() < 1e-4, "{eye}");
    }

    #[derive(Component)]
    struct TestPoints(Vec<Vec3>);

    impl WalkablePoints for TestPoints {
        fn local_points(&self) -> &[Vec3] {
            &self.0
        }
    }

    #[test]
    fn a_walker_lands_on_a_point_cloud_and_the_joystick_walks_it() {
        let (mut app, camera) = walker_at(Vec3::new(0.0, 8.0, 0.0));
        walk_on_points::<TestPoints>(&mut app);
        // A 20 × 20 m patch of points every 0.25 m, 3 m up (a node whose
        // frame is 1 m below its parent's: local y = 4).
        let grid: Vec<Vec3> = (0..80 * 80)
            .map(|k| Vec3::new((k % 80) as f32 * 0.25 - 10.0, 4.0, (k / 80) as f32 * 0.25 - 10.0))
            .collect();
        app.world_mut().spawn((
            TestPoints(grid),
            GlobalTransform::from_translation(Vec3::new(0.0, -1.0, 0.0)),
            InheritedVisibility::VISIBLE,
        ));
        for _ in 0..30 {
            app.update();
        }
        let eye = app.world().get::<Transform>(camera).unwrap().translation;
        assert!((eye.y - (3.0 + EYE_HEIGHT)).abs() < 1e-4, "landed: {eye}");
        // Half the stick forward for a second: 2 m east at 4 m/s.
        app.world_mut().resource_mut::<WalkJoystick>().0 = Vec2::new(0.0, 0.5);
        for _ in 0..10 {
            app.update();
        }
        app.world_mut().resource_mut::<WalkJoystick>().0 = Vec2::ZERO;
        app.update();
        let moved = app.world().get::<Transform>(camera).unwrap().translation;
        assert!((moved - Vec3::new(2.0, 3.0 + EYE_HEIGHT, 0.0)).length() < 1e-3, "{moved}");
    }

    #[test]
    fn switching_to_walk_with_the_focus_under_the_ground_stands_on_the_ground() {
        // A bookmark's target at height 0 under ground whose top is at 4 m.
        let (mut app, camera) = app_with_camera(Pose {
            eye: Vec3::new(0.0, 300.0, 300.0),
            target: Vec3::new(5.0, 0.0, -5.0),
        });
        spawn_box(&mut app, Vec3::new(0.0, 3.5, 0.0), Vec3::new(100.0, 1.0, 100.0));
        app.update();
        app.world_mut().write_message(SetNavigationMode(NavigationMode::Walk));
        app.update();
        app.update();
        let eye = app.world().get::<Transform>(camera).unwrap().translation;
        assert!((eye - Vec3::new(5.0, 4.0 + EYE_HEIGHT, -5.0)).length() < 1e-4, "{eye}");
    }
}
