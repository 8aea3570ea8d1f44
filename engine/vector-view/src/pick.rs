//! A tap or click on a feature: its triangle under the pointer (solids and
//! fills), else the nearest drawn line within a few pixels.

use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use sontinh_camera::{FloatingOrigin, PointerCaptured};
use sontinh_measure_view::Measuring;

use sontinh_vector_mesh::TriangleSet;

use crate::{FeatureChunk, Part, Picked, PickedFeature, VectorLayers};

/// A press that moves further than this is a drag (the camera's), not a tap.
const TAP_SLOP_PX: f32 = 6.0;
/// Lines are picked within this distance of the pointer.
const LINE_TOLERANCE_PX: f32 = 6.0;

/// Distance from `p` to the segment `a`–`b`, in the same units.
pub fn distance_to_segment(p: Vec2, a: Vec2, b: Vec2) -> f32 {
    let ab = b - a;
    let t = if ab.length_squared() > 0.0 {
        ((p - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    p.distance(a + ab * t)
}

/// The feature under viewport position `at`: the nearest solid or fill
/// triangle hit, else the nearest line within tolerance.
pub fn feature_at(
    at: Vec2,
    camera: (&Camera, &GlobalTransform),
    ray_cast: &mut MeshRayCast,
    chunks: &Query<(&FeatureChunk, &InheritedVisibility, &GlobalTransform)>,
    shown: &VectorLayers,
    origin: &FloatingOrigin,
) -> Option<(usize, sontinh_vector_mesh::FeatureInfo)> {
    let (cam, cam_transform) = camera;
    let ray = cam.viewport_to_world(cam_transform, at).ok()?;
    let filter = |e: Entity| chunks.get(e).is_ok_and(|(c, v, _)| c.part != Part::Lines && v.get());
    let settings = MeshRayCastSettings::default()
        .with_visibility(RayCastVisibility::Visible)
        .with_filter(&filter);
    if let Some((entity, hit)) = ray_cast.cast_ray(ray, &settings).first()
        && let Ok((chunk, _, _)) = chunks.get(*entity)
        && let Some(layer) = shown.get(chunk.layer_index)
        && let Some(set) = match chunk.part {
            Part::Solids => Some(TriangleSet::Solids),
            Part::Tops => Some(TriangleSet::Tops),
            Part::Fills => Some(TriangleSet::Fills),
            Part::Lines => None,
        }
        && let Some(feature) = hit
            .triangle_index
            .and_then(|t| layer.built.feature_of_triangle(chunk.chunk as usize, set, t))
    {
        return Some((chunk.layer_index, feature.clone()));
    }
    let mut best: Option<(f32, usize, u32)> = None;
    for (chunk, visible, transform) in chunks {
        if chunk.part != Part::Lines || !visible.get() {
            continue;
        }
        let Some(layer) = shown.get(chunk.layer_index) else { continue };
        let Some(c) = layer.built.chunks.get(chunk.chunk as usize) else {
            continue;
        };
        let place = transform.translation();
        let screen = |p: [f32; 3]| cam.world_to_viewport(cam_transform, place + Vec3::new(p[0], p[2], -p[1])).ok();
        for (pair, feature) in c.lines.positions.chunks_exact(2).zip(&c.lines.segment_feature) {
            let (Some(a), Some(b)) = (screen(pair[0]), screen(pair[1])) else {
                continue;
            };
            let d = distance_to_segment(at, a, b);
            if d <= LINE_TOLERANCE_PX && best.is_none_or(|(bd, _, _)| d < bd) {
                best = Some((d, chunk.layer_index, *feature));
            }
        }
    }
    let _ = origin;
    let (_, layer_index, feature) = best?;
    let info = shown.get(layer_index)?.built.features.get(feature as usize)?.clone();
    Some((layer_index, info))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn pick_on_tap(
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    captured: Option<Res<PointerCaptured>>,
    measuring: Option<Res<Measuring>>,
    mut press: Local<Option<Vec2>>,
    mut ray_cast: MeshRayCast,
    chunks: Query<(&FeatureChunk, &InheritedVisibility, &GlobalTransform)>,
    shown: Res<VectorLayers>,
    origin: Res<FloatingOrigin>,
    scene: Option<Res<sontinh_layers::ActiveScene>>,
    mut picked: ResMut<PickedFeature>,
) {
    if shown.layers.is_empty() || measuring.as_ref().is_some_and(|m| m.editor.is_some()) {
        *press = None;
        return;
    }
    let Ok(window) = windows.single() else { return };
    let pointer = window.cursor_position();
    let touch_down = touches.as_ref().and_then(|t| t.iter_just_pressed().next().map(|t| t.position()));
    let touch_up = touches.as_ref().and_then(|t| t.iter_just_released().next().map(|t| t.position()));
    let fingers = touches.as_ref().map_or(0, |t| t.iter().count());
    let down = mouse
        .as_ref()
        .is_some_and(|m| m.just_pressed(MouseButton::Left))
        .then_some(pointer)
        .flatten()
        .or(touch_down);
    let up = mouse
        .as_ref()
        .is_some_and(|m| m.just_released(MouseButton::Left))
        .then_some(pointer)
        .flatten()
        .or(touch_up);
    if let Some(at) = down
        && !captured.as_ref().is_some_and(|c| c.0)
        && fingers <= 1
    {
        *press = Some(at);
    }
    if fingers > 1 {
        *press = None;
    }
    let Some(at) = up else { return };
    let Some(start) = press.take() else { return };
    if start.distance(at) > TAP_SLOP_PX {
        return;
    }
    let Some(camera) = cameras.iter().find(|(c, _)| c.is_active) else {
        return;
    };
    let hit = feature_at(at, camera, &mut ray_cast, &chunks, &shown, &origin);
    picked.0 = hit.map(|(layer_index, feature)| Picked {
        layer_index,
        layer_name: scene
            .as_ref()
            .and_then(|s| s.0.layers.get(layer_index))
            .map(|l| l.name.clone())
            .unwrap_or_default(),
        feature,
    });
}
