//! A floating origin: the Bevy world (f32) is kept centred on the camera,
//! and georeferenced entities carry their f64 scene position
//! ([`GeoPosition`]), so that content far from the scene's origin (a
//! province across, or at ECEF magnitudes) is drawn from small numbers,
//! without jitter or z-fighting.
//!
//! [`FloatingOrigin`] is the scene-ENU position of the world's zero. When
//! the camera strays more than [`RECENTRE_DISTANCE_M`] from it, the origin
//! moves to the camera: every [`GeoPosition`] entity is placed again from
//! its f64 position, and the camera rig (orbit focus, walker, flights) is
//! shifted by the same amount, so the picture does not change.

use bevy::prelude::*;

use crate::CameraRig;

/// Scene ENU (x east, y north, z up, f64 metres) to Bevy world axes (x east,
/// y up, z south, f32), relative to the world's zero: a proper rotation, so
/// winding and handedness are kept.
pub fn enu_to_world(enu: [f64; 3]) -> Vec3 {
    Vec3::new(enu[0] as f32, enu[2] as f32, -enu[1] as f32)
}

/// Inverse of [`enu_to_world`].
pub fn world_to_enu(p: Vec3) -> [f64; 3] {
    [f64::from(p.x), f64::from(-p.z), f64::from(p.y)]
}

/// How far the camera may stray from the world's zero before it is moved:
/// within 1 km, f32 positions resolve 0.06 mm.
pub const RECENTRE_DISTANCE_M: f32 = 1000.0;

/// Where the Bevy world's zero lies, in scene ENU metres (f64).
#[derive(Resource, Default, Clone, Copy, Debug, PartialEq)]
pub struct FloatingOrigin {
    pub enu: [f64; 3],
}

impl FloatingOrigin {
    /// An origin at `enu`, to whole metres.
    pub fn at(enu: [f64; 3]) -> Self {
        FloatingOrigin { enu: enu.map(f64::round) }
    }

    /// World position of a scene ENU position.
    pub fn to_world(&self, enu: [f64; 3]) -> Vec3 {
        enu_to_world([enu[0] - self.enu[0], enu[1] - self.enu[1], enu[2] - self.enu[2]])
    }

    /// Scene ENU position of a world position.
    pub fn to_enu(&self, world: Vec3) -> [f64; 3] {
        let local = world_to_enu(world);
        [local[0] + self.enu[0], local[1] + self.enu[1], local[2] + self.enu[2]]
    }
}

/// A top-level entity's position in scene ENU metres: its translation is
/// kept at this position relative to the [`FloatingOrigin`].
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct GeoPosition(pub [f64; 3]);

/// The floating origin's systems run here, after the camera has moved and
/// before transforms propagate.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct FloatingOriginSystems;

/// Keeps the world centred on the camera (added by the camera and layer plugins).
pub struct FloatingOriginPlugin;

impl Plugin for FloatingOriginPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FloatingOrigin>().add_systems(
            PostUpdate,
            (recentre_on_camera, place_geo_entities)
                .chain()
                .in_set(FloatingOriginSystems)
                .before(bevy::transform::TransformSystems::Propagate),
        );
    }
}

/// The shift that brings a camera at `camera` (world) back to the world's
/// zero, if it strayed too far: whole metres, so that repeated shifts add
/// no rounding to the origin.
pub fn recentring_shift(camera: Vec3) -> Option<Vec3> {
    (camera.length() > RECENTRE_DISTANCE_M).then(|| camera.round())
}

/// The origin moved to `enu` (whole metres), and the world shift that
/// goes with it (subtract it from world positions kept elsewhere).
pub fn recentred_at(origin: &FloatingOrigin, enu: [f64; 3]) -> (FloatingOrigin, Vec3) {
    let moved = FloatingOrigin::at(enu);
    (moved, origin.to_world(moved.enu))
}

fn recentre_on_camera(mut origin: ResMut<FloatingOrigin>, mut cameras: Query<(&mut Transform, Option<&mut CameraRig>), With<Camera3d>>) {
    let Some((mut transform, rig)) = cameras.iter_mut().next() else { return };
    let Some(shift) = recentring_shift(transform.translation) else { return };
    let moved = world_to_enu(shift);
    origin.enu = [origin.enu[0] + moved[0], origin.enu[1] + moved[1], origin.enu[2] + moved[2]];
    transform.translation -= shift;
    if let Some(mut rig) = rig {
        rig.shift(shift);
    }
}

fn place_geo_entities(origin: Res<FloatingOrigin>, mut placed: Query<(Ref<GeoPosition>, &mut Transform), Without<ChildOf>>) {
    let moved = origin.is_changed();
    for (position, mut transform) in &mut placed {
        if moved || position.is_changed() {
            transform.translation = origin.to_world(position.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, TransformPlugin, FloatingOriginPlugin));
        app
    }

    #[test]
    fn the_world_follows_the_camera_and_the_view_is_unchanged() {
        let mut app = app();
        // A model 6,000 km from the scene origin (ECEF magnitude), the camera 3 m from it.
        let far = [4_000_000.0, -4_400_000.123_4, 1_500.5];
        let model = app.world_mut().spawn((GeoPosition(far), Transform::default())).id();
        let eye = [far[0] + 3.0, far[1] - 0.25, far[2] + 1.0];
        let start = FloatingOrigin::default().to_world(eye);
        let focus = FloatingOrigin::default().to_world(far);
        let rig = CameraRig::from_pose(crate::Pose { eye: start, target: focus });
        let camera = app.world_mut().spawn((Camera3d::default(), Transform::from_translation(start), rig)).id();
        app.update();

        let origin = *app.world().resource::<FloatingOrigin>();
        let camera_at = app.world().get::<GlobalTransform>(camera).unwrap().translation();
        let model_at = app.world().get::<GlobalTransform>(model).unwrap().translation();
        assert!(camera_at.length() < RECENTRE_DISTANCE_M, "{camera_at}");
        // The model sits where f64 says, relative to the camera, to a tenth of a millimetre;
        // in a world zeroed at the scene origin, f32 would have rounded it by up to 25 cm.
        // (The camera itself started from an f32 position, rounded there: measure from where it is.)
        let camera_enu = origin.to_enu(camera_at);
        let expected = enu_to_world([far[0] - camera_enu[0], far[1] - camera_enu[1], far[2] - camera_enu[2]]);
        assert!((model_at - camera_at - expected).length() < 1e-4, "{} {}", model_at - camera_at, expected);
        // The camera's ENU position is kept, and the rig moved with it.
        assert!((0..3).all(|k| (camera_enu[k] - eye[k]).abs() < 0.5), "{camera_enu:?}");
        let rig = app.world().get::<CameraRig>(camera).unwrap();
        let shift = start - camera_at;
        assert!((rig.orbit.focus - (focus - shift)).length() < 1e-3, "{} {}", rig.orbit.focus, focus - shift);
    }

    #[test]
    fn near_the_origin_nothing_moves() {
        let mut app = app();
        let thing = app.world_mut().spawn((GeoPosition([10.0, 20.0, 5.0]), Transform::default())).id();
        app.world_mut().spawn((Camera3d::default(), Transform::from_xyz(100.0, 50.0, 0.0)));
        app.update();
        assert_eq!(*app.world().resource::<FloatingOrigin>(), FloatingOrigin::default());
        assert_eq!(app.world().get::<Transform>(thing).unwrap().translation, Vec3::new(10.0, 5.0, -20.0));
        assert_eq!(recentring_shift(Vec3::new(999.0, 0.0, 0.0)), None);
        assert_eq!(recentring_shift(Vec3::new(1000.4, 0.0, 2.6)), Some(Vec3::new(1000.0, 0.0, 3.0)));
    }
}
