//! A chunk's triangles and lines as Bevy meshes and materials.

use bevy::asset::RenderAssetUsages;
use bevy::gizmos::GizmoAsset;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use sontinh_vector_mesh::{Lines, Triangles};

/// ENU (east, north, up) to Bevy's axes (x east, y up, z south).
fn world(p: [f32; 3]) -> [f32; 3] {
    [p[0], p[2], -p[1]]
}

/// Kept in main-world memory too: picking casts rays against them.
fn usages() -> RenderAssetUsages {
    RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD
}

pub fn triangles_mesh(t: &Triangles) -> Mesh {
    Mesh::new(PrimitiveTopology::TriangleList, usages())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, t.positions.iter().copied().map(world).collect::<Vec<_>>())
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, t.normals.iter().copied().map(world).collect::<Vec<_>>())
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, t.colors.clone())
        .with_inserted_indices(Indices::U32(t.indices.clone()))
}

/// Lines as a retained gizmo, their colours' alpha times `alpha`.
pub fn lines_gizmo(l: &Lines, alpha: f32) -> GizmoAsset {
    let mut gizmo = GizmoAsset::new();
    for (pair, c) in l.positions.chunks_exact(2).zip(l.colors.chunks_exact(2)) {
        let colour = Color::LinearRgba(LinearRgba::new(c[0][0], c[0][1], c[0][2], c[0][3] * alpha));
        gizmo.line(Vec3::from_array(world(pair[0])), Vec3::from_array(world(pair[1])), colour);
    }
    gizmo
}

/// Lines are this wide on screen, px.
pub const LINE_WIDTH_PX: f32 = 2.0;

/// How far in front of the ground draped lines are drawn: a share of their
/// depth (Bevy's gizmo bias: −1 is always in front). Enough to stay over
/// the ground they were draped on between its samples, little enough to
/// hide behind hills and buildings.
pub const LINE_GIZMO_DEPTH_BIAS: f32 = -0.02;

/// The depth bias of fills (in units of the depth buffer's precision at
/// the fragment, about 2⁻²³ of its depth: 10⁴ is ~0.1 % of the distance)
/// that keeps them in front of the ground they were draped on.
pub const FILL_DEPTH_BIAS: f32 = 10_000.0;

/// What each part of a chunk is drawn with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Solids,
    /// The solids that face up, drawn instead of them beyond [`FAR_LOD_M`].
    Tops,
    Fills,
    /// Drawn as a retained gizmo, not a mesh.
    Lines,
}

/// Beyond this distance from the camera a chunk of buildings draws only
/// their roofs (an extruded city's walls are four fifths of its triangles
/// and a few pixels tall from there), m.
pub const FAR_LOD_M: f32 = 1500.0;

pub fn material(part: Part) -> StandardMaterial {
    match part {
        Part::Solids | Part::Tops => StandardMaterial {
            base_color: Color::WHITE,
            perceptual_roughness: 0.85,
            reflectance: 0.25,
            ..default()
        },
        Part::Fills => StandardMaterial {
            base_color: Color::WHITE,
            alpha_mode: AlphaMode::Blend,
            unlit: true,
            depth_bias: FILL_DEPTH_BIAS,
            double_sided: true,
            cull_mode: None,
            ..default()
        },
        Part::Lines => StandardMaterial { unlit: true, ..default() },
    }
}
