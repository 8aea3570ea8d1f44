//! Hotspots' markers: where each shown hotspot is on the screen and whether
//! something of the scene stands between it and the eye (the UI dims it then).
//! During a tour the stop's hotspots are shown; otherwise all of the scene's.

use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use sontinh_camera::{CameraRig, FloatingOrigin};
use sontinh_layers::ActiveScene;

use crate::ActiveTour;

/// At most this many markers, nearest first: a view stays readable.
pub const MAX_MARKERS: usize = 48;

/// A hotspot's marker on the screen.
#[derive(Clone, Debug, PartialEq)]
pub struct HotspotMarker {
    /// Index into the scene's hotspots.
    pub index: usize,
    /// Logical pixels from the window's top-left.
    pub screen: Vec2,
    pub distance_m: f32,
    /// Something of the scene is in front of it.
    pub occluded: bool,
}

#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct HotspotMarkers(pub Vec<HotspotMarker>);

/// The hotspot whose article is open (index into the scene's hotspots).
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenArticle(pub Option<usize>);

/// The hotspots to show: the stop's during a tour, else all.
pub fn shown_hotspots(scene: &sontinh_scene::Scene, active: &ActiveTour) -> Vec<usize> {
    match active.0.as_ref().and_then(|p| {
        let stop = p.player.sample()?.stop;
        scene.tours.get(p.tour)?.stops.get(stop)
    }) {
        Some(stop) => stop.hotspots.clone(),
        None => (0..scene.hotspots.len()).collect(),
    }
}

/// Whether a hit at `hit_m` along the ray hides a point `distance_m` away:
/// the marker stands on its surface, so a hit within a metre of it does not.
pub fn hides(hit_m: Option<f32>, distance_m: f32) -> bool {
    hit_m.is_some_and(|h| h < distance_m - 1.0)
}

pub(crate) fn place_markers(
    scene: Option<Res<ActiveScene>>,
    active: Res<ActiveTour>,
    origin: Res<FloatingOrigin>,
    cameras: Query<(&Camera, &GlobalTransform), With<CameraRig>>,
    mut ray_cast: MeshRayCast,
    mut markers: ResMut<HotspotMarkers>,
) {
    let mut out = Vec::new();
    if let (Some(scene), Ok((camera, camera_transform))) = (scene, cameras.single()) {
        let eye = camera_transform.translation();
        let mut candidates: Vec<(usize, Vec3, f32)> = shown_hotspots(&scene.0, &active)
            .into_iter()
            .filter_map(|i| {
                let world = origin.to_world(scene.0.hotspots.get(i)?.enu);
                Some((i, world, world.distance(eye)))
            })
            .collect();
        candidates.sort_by(|a, b| a.2.total_cmp(&b.2));
        for (index, world, distance_m) in candidates.into_iter().take(MAX_MARKERS) {
            let Ok(screen) = camera.world_to_viewport(camera_transform, world) else {
                continue;
            };
            let occluded = match Dir3::new(world - eye) {
                Ok(direction) => {
                    let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Visible);
                    let hit = ray_cast
                        .cast_ray(Ray3d::new(eye, direction), &settings)
                        .first()
                        .map(|(_, h)| h.distance);
                    hides(hit, distance_m)
                }
                Err(_) => false,
            };
            out.push(HotspotMarker {
                index,
                screen,
                distance_m,
                occluded,
            });
        }
    }
    if markers.0 != out {
        markers.0 = out;
    }
}
