//! A chunk's triangles and lines as Bevy meshes and materials.

use bevy::asset::RenderAssetUsages;
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

pub fn lines_mesh(l: &Lines) -> Mesh {
    Mesh::new(PrimitiveTopology::LineList, usages())
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, l.positions.iter().copied().map(world).collect::<Vec<_>>())
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, l.colors.clone())
}

/// Depth biases (in units of the depth buffer's precision at the
/// fragment, about 2⁻²³ of its depth: 10⁴ is ~0.1 % of the distance) that
/// keep what lies on the ground in front of the ground it was draped on,
/// lines over fills.
pub const FILL_DEPTH_BIAS: f32 = 10_000.0;
pub const LINE_DEPTH_BIAS: f32 = 20_000.0;

/// What each part of a chunk is drawn with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Solids,
    Fills,
    Lines,
}

pub fn material(part: Part) -> StandardMaterial {
    match part {
        Part::Solids => StandardMaterial {
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
        Part::Lines => StandardMaterial {
            base_color: Color::WHITE,
            unlit: true,
            depth_bias: LINE_DEPTH_BIAS,
            ..default()
        },
    }
}
