//! The twin's camera: orbit / pan / zoom around a focus point, a first-person
//! walk mode that follows the ground, and smooth flights to bookmarks.
//!
//! The navigation maths lives in [`rig`] as plain functions; the systems here
//! only read input and write transforms. UI crates tell the camera when the
//! pointer belongs to them through [`PointerCaptured`].

pub mod origin;
pub mod rig;

use bevy::input::gestures::PinchGesture;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::input::touch::Touches;
use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;

pub use origin::{FloatingOrigin, FloatingOriginPlugin, FloatingOriginSystems, GeoPosition, RECENTRE_DISTANCE_M, enu_to_world, world_to_enu};
pub use rig::{CameraRig, Flight, NavigationMode, OrbitState, Pose, WalkState};

/// Adds the camera systems. Spawn a [`CameraRig`] on a `Camera3d` to control it.
pub struct SceneCameraPlugin;

impl Plugin for SceneCameraPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<FloatingOriginPlugin>() {
            app.add_plugins(FloatingOriginPlugin);
        }
        app.init_resource::<PointerCaptured>()
            .init_resource::<ToolHasPointer>()
            .add_message::<FlyTo>()
            .add_message::<SetNavigationMode>()
            .add_systems(
                Update,
                (
                    start_flights,
                    switch_mode,
                    (orbit_input, walk_input).run_if(|c: Res<PointerCaptured>, t: Res<ToolHasPointer>| !c.0 && !t.0),
                    follow_ground,
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

fn start_flights(mut events: MessageReader<FlyTo>, mut origin: ResMut<FloatingOrigin>, mut rigs: Query<(&mut CameraRig, &mut Transform, &Projection)>) {
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
    time: Res<Time>,
    mut rigs: Query<&mut CameraRig>,
) {
    let dt = time.delta_secs();
    for mut rig in &mut rigs {
        if rig.mode != NavigationMode::Walk {
            continue;
        }
        if let (Some(mouse), Some(motion)) = (&mouse, &motion)
            && mouse.pressed(MouseButton::Left)
        {
            rig.walk.look(motion.delta);
        }
        let mut step = Vec3::ZERO;
        let mut run = false;
        if let Some(keys) = &keys {
            let pairs = [
                (KeyCode::KeyW, Vec3::Z),
                (KeyCode::ArrowUp, Vec3::Z),
                (KeyCode::KeyS, -Vec3::Z),
                (KeyCode::ArrowDown, -Vec3::Z),
                (KeyCode::KeyD, Vec3::X),
                (KeyCode::ArrowRight, Vec3::X),
                (KeyCode::KeyA, -Vec3::X),
                (KeyCode::ArrowLeft, -Vec3::X),
                (KeyCode::KeyE, Vec3::Y),
                (KeyCode::KeyQ, -Vec3::Y),
            ];
            for (key, dir) in pairs {
                if keys.pressed(key) {
                    step += dir;
                }
            }
            run = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
        }
        if let Some(touches) = &touches {
            let active: Vec<_> = touches.iter().collect();
            match active.as_slice() {
                // One finger looks around; two fingers walk forward (spread) or back.
                [one] => rig.walk.look(one.delta()),
                [a, b, ..] => {
                    let before = a.previous_position().distance(b.previous_position());
                    let after = a.position().distance(b.position());
                    step.z += (after - before) * 0.2;
                }
                [] => {}
            }
        }
        if step != Vec3::ZERO {
            rig.walk.step(step, dt, if run { 12.0 } else { 4.0 });
            rig.flight = None;
        }
    }
}

/// In walk mode, keep the eye at standing height above whatever is below it.
fn follow_ground(mut ray_cast: MeshRayCast, mut rigs: Query<&mut CameraRig>) {
    for mut rig in &mut rigs {
        if rig.mode != NavigationMode::Walk || rig.flight.is_some() {
            continue;
        }
        let probe = Ray3d::new(rig.walk.position + Vec3::Y * 50.0, Dir3::NEG_Y);
        let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Visible);
        if let Some((_, hit)) = ray_cast.cast_ray(probe, &settings).first() {
            rig.walk.stand_on(hit.point.y);
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
}
