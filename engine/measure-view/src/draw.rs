//! Measurements drawn in the scene with gizmos, over everything (a
//! measurement stays readable behind what it measures): lines, vertices,
//! a polygon's closing edge, a height's vertical and horizontal legs, and
//! where the pointer would place the next vertex (its shape says what it
//! snapped to).

use bevy::prelude::*;
use sontinh_layers::FloatingOrigin;
use sontinh_scene::MeasureTool;

use crate::Measuring;
use crate::snap::SnapKind;

#[derive(Default, Reflect, GizmoConfigGroup)]
pub struct MeasureGizmos;

pub(crate) fn configure_gizmos(mut store: ResMut<GizmoConfigStore>) {
    let (config, _) = store.config_mut::<MeasureGizmos>();
    config.line.width = 3.0;
    // Drawn in front of the geometry they measure: a line 1 km away stands
    // as if 1 m from the eye. Not -1 ("always in front"): with Bevy's
    // infinite reverse-Z its depth rounds past the near plane and parts of
    // the lines vanish (seen on lavapipe and in the browser).
    config.depth_bias = MEASURE_DEPTH_BIAS;
}

pub const MEASURE_DEPTH_BIAS: f32 = -0.75;

const PLACING: Color = Color::srgb(1.0, 0.85, 0.1);
const KEPT: Color = Color::srgb(0.2, 0.9, 1.0);
const SELECTED: Color = Color::srgb(1.0, 0.3, 0.2);

fn draw_one(gizmos: &mut Gizmos<MeasureGizmos>, tool: MeasureTool, points: &[Vec3], color: Color, selected: Option<usize>, eye: Vec3) {
    let marker = |p: Vec3| (p.distance(eye) * 0.008).max(0.02);
    for (i, p) in points.iter().enumerate() {
        let c = if Some(i) == selected { SELECTED } else { color };
        gizmos.sphere(Isometry3d::from_translation(*p), marker(*p), c);
    }
    match tool {
        MeasureTool::Height if points.len() == 2 => {
            let (a, b) = (points[0], points[1]);
            let (low, high) = if a.y <= b.y { (a, b) } else { (b, a) };
            let corner = Vec3::new(high.x, low.y, high.z);
            gizmos.line(low, corner, color.with_alpha(0.6));
            gizmos.line(corner, high, color);
            gizmos.line(a, b, color.with_alpha(0.4));
        }
        _ => {
            for w in points.windows(2) {
                gizmos.line(w[0], w[1], color);
            }
            if tool.is_polygon() && points.len() >= 3 {
                gizmos.line(points[points.len() - 1], points[0], color.with_alpha(0.7));
            }
        }
    }
}

pub(crate) fn draw_measurements(
    measuring: Res<Measuring>,
    origin: Res<FloatingOrigin>,
    cameras: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    mut gizmos: Gizmos<MeasureGizmos>,
) {
    let eye = cameras.iter().find(|(c, _)| c.is_active).map_or(Vec3::ZERO, |(_, t)| t.translation());
    for (kept, _) in measuring.kept.iter().zip(&measuring.shown).filter(|(_, shown)| **shown) {
        let world: Vec<Vec3> = kept.points.iter().map(|p| origin.to_world(*p)).collect();
        draw_one(&mut gizmos, kept.tool, &world, KEPT, None, eye);
    }
    if let Some(editor) = &measuring.editor {
        let world: Vec<Vec3> = editor.points().iter().map(|p| origin.to_world(*p)).collect();
        draw_one(&mut gizmos, editor.tool(), &world, PLACING, measuring.selected_vertex, eye);
        if let Some(hover) = measuring.hover {
            let size = (hover.world.distance(eye) * 0.012).max(0.03);
            let at = Isometry3d::from_translation(hover.world);
            match hover.kind {
                SnapKind::OwnVertex(_) => {
                    gizmos.sphere(at, size * 1.4, SELECTED);
                }
                SnapKind::MeshVertex | SnapKind::CloudPoint => gizmos.cube(Transform::from_translation(hover.world).with_scale(Vec3::splat(size * 1.6)), Color::WHITE),
                SnapKind::MeshEdge => gizmos.cube(Transform::from_translation(hover.world).with_rotation(Quat::from_rotation_y(std::f32::consts::FRAC_PI_4)).with_scale(Vec3::splat(size * 1.4)), Color::WHITE),
                SnapKind::Surface => {
                    gizmos.sphere(at, size, Color::WHITE);
                }
            }
            if let (Some(last), false) = (world.last(), editor.is_full()) {
                gizmos.line(*last, hover.world, PLACING.with_alpha(0.5));
            }
        }
    }
}
