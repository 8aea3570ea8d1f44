//! Plain data to Bevy: meshes in world axes (x east, y up, z south; see
//! `sontinh_camera::enu_to_world`) and layer placements.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use sontinh_procgen::MeshData;
use sontinh_camera::enu_to_world;
use sontinh_scene::Placement;

fn enu_vec(v: [f32; 3]) -> [f32; 3] {
    [v[0], v[2], -v[1]]
}

/// A Bevy mesh from generated ENU mesh data; kept in the main world too so
/// that ray casts (cursor readout, walking) can hit it.
pub fn mesh_from_part(data: &MeshData) -> Mesh {
    let positions: Vec<[f32; 3]> = data.positions.iter().copied().map(enu_vec).collect();
    let normals: Vec<[f32; 3]> = data.normals.iter().copied().map(enu_vec).collect();
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, data.colors.clone())
    .with_inserted_indices(Indices::U32(data.indices.clone()))
}

/// The transform of a layer's root: ENU position, then heading (clockwise
/// from north), pitch (nose up), roll (right wing down), then scale.
pub fn placement_transform(p: &Placement) -> Transform {
    // In world space, up is +y and the layer's forward (north) is −z.
    let heading = Quat::from_rotation_y(-(p.heading_deg as f32).to_radians());
    let pitch = Quat::from_rotation_x((p.pitch_deg as f32).to_radians());
    let roll = Quat::from_rotation_z(-(p.roll_deg as f32).to_radians());
    Transform {
        translation: enu_to_world(p.enu),
        rotation: heading * pitch * roll,
        scale: Vec3::splat(p.scale as f32),
    }
}
