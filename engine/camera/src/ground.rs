//! What a walker stands on and bumps into, gathered from the scene: the
//! triangles of every visible mesh around it (terrain, models, 3D tiles,
//! generated content), kept in a [`TriangleSoup`] that is rebuilt when the
//! walker nears its edge or the meshes under it change, and the points of
//! point clouds under it (any component that is [`WalkablePoints`]).

use std::any::TypeId;
use std::collections::HashMap;

use bevy::camera::primitives::Aabb;
use bevy::mesh::{Indices, PrimitiveTopology, VertexAttributeValues};
use bevy::prelude::*;

use crate::rig::{CameraRig, NavigationMode};
use crate::soup::{ProbeHit, TriangleSoup};

/// Half the side of the square of triangles kept around the walker, m.
const SOUP_HALF: f32 = 16.0;
const SOUP_CELL: f32 = 1.0;
/// The square is rebuilt around the walker when it comes this close to its edge.
const SOUP_MARGIN: f32 = 8.0;
/// Points gathered around the walker for its ground, m (a frame's walk included).
const POINTS_REACH: f32 = 3.0;

/// The scene's triangles around the walker.
#[derive(Resource, Default)]
pub struct WalkGeometry {
    soup: Option<TriangleSoup>,
    /// The meshes the soup was made of: entity, asset, placement.
    made_of: Vec<(Entity, AssetId<Mesh>, [u32; 12])>,
}

impl WalkGeometry {
    pub fn cast(&self, origin: Vec3, dir: Vec3, max: f32) -> Option<ProbeHit> {
        self.soup.as_ref()?.cast(origin, dir, max)
    }

    /// Triangles held (for tests and diagnostics).
    pub fn triangles(&self) -> usize {
        self.soup.as_ref().map_or(0, TriangleSoup::len)
    }
}

/// A component holding points a walker can stand on (a point cloud's
/// node), in its entity's local frame. Register it with [`walk_on_points`].
pub trait WalkablePoints: Component {
    fn local_points(&self) -> &[Vec3];
}

/// World-space points near the walker, per kind of [`WalkablePoints`].
#[derive(Resource, Default)]
pub struct NearbyGroundPoints(HashMap<TypeId, Vec<Vec3>>);

impl NearbyGroundPoints {
    pub fn iter(&self) -> impl Iterator<Item = Vec3> + '_ {
        self.0.values().flat_map(|v| v.iter().copied())
    }
}

/// Lets walkers stand on the points of every visible `T`.
pub fn walk_on_points<T: WalkablePoints>(app: &mut App) {
    app.init_resource::<NearbyGroundPoints>()
        .add_systems(Update, gather_points::<T>.before(crate::CameraSystems));
}

fn walking_eye(rigs: &Query<&CameraRig>) -> Option<Vec3> {
    rigs.iter()
        .find(|r| r.mode == NavigationMode::Walk && r.flight.is_none())
        .map(|r| r.walk.position)
}

/// World bounds (min, max) of a local box under a transform.
fn world_bounds(min: Vec3, max: Vec3, transform: &GlobalTransform) -> (Vec3, Vec3) {
    let affine = transform.affine();
    let centre = affine.transform_point3((min + max) / 2.0);
    let half = (max - min) / 2.0;
    let m = affine.matrix3;
    let extent = Vec3::new(
        m.row(0).abs().dot(half.into()),
        m.row(1).abs().dot(half.into()),
        m.row(2).abs().dot(half.into()),
    );
    (centre - extent, centre + extent)
}

fn overlaps_xz(bounds: (Vec3, Vec3), centre: Vec2, half: f32) -> bool {
    bounds.0.x <= centre.x + half && bounds.1.x >= centre.x - half && bounds.0.z <= centre.y + half && bounds.1.z >= centre.y - half
}

fn gather_points<T: WalkablePoints>(
    rigs: Query<&CameraRig>,
    nodes: Query<(Entity, Ref<T>, &GlobalTransform, &InheritedVisibility)>,
    mut bounds: Local<HashMap<Entity, (Vec3, Vec3)>>,
    mut out: ResMut<NearbyGroundPoints>,
) {
    let key = TypeId::of::<T>();
    let Some(eye) = walking_eye(&rigs) else {
        if out.0.get(&key).is_some_and(|v| !v.is_empty()) {
            out.0.remove(&key);
        }
        return;
    };
    bounds.retain(|e, _| nodes.contains(*e));
    let centre = Vec2::new(eye.x, eye.z);
    let mut near = Vec::new();
    for (entity, points, transform, visible) in &nodes {
        if !visible.get() {
            continue;
        }
        if points.is_changed() || !bounds.contains_key(&entity) {
            let local = points.local_points();
            let lo = local.iter().copied().fold(Vec3::splat(f32::INFINITY), Vec3::min);
            let hi = local.iter().copied().fold(Vec3::splat(f32::NEG_INFINITY), Vec3::max);
            bounds.insert(entity, (lo, hi));
        }
        let Some(&(lo, hi)) = bounds.get(&entity) else { continue };
        if lo.x > hi.x || !overlaps_xz(world_bounds(lo, hi, transform), centre, POINTS_REACH) {
            continue;
        }
        near.extend(
            points
                .local_points()
                .iter()
                .map(|p| transform.transform_point(*p))
                .filter(|p| (p.x - centre.x).abs() <= POINTS_REACH && (p.z - centre.y).abs() <= POINTS_REACH),
        );
    }
    out.0.insert(key, near);
}

/// Calls `f` with every triangle of a triangle-list mesh, in world space.
/// Meshes whose data lives only on the GPU (point clouds) have none here.
fn for_each_triangle(mesh: &Mesh, transform: &GlobalTransform, mut f: impl FnMut([Vec3; 3])) {
    if mesh.primitive_topology() != PrimitiveTopology::TriangleList {
        return;
    }
    let Ok(VertexAttributeValues::Float32x3(positions)) = mesh.try_attribute(Mesh::ATTRIBUTE_POSITION) else {
        return;
    };
    let affine = transform.affine();
    let world: Vec<Vec3> = positions.iter().map(|p| affine.transform_point3(Vec3::from_array(*p))).collect();
    let corner = |i: usize| world.get(i).copied();
    let mut emit = |a: usize, b: usize, c: usize| {
        if let (Some(a), Some(b), Some(c)) = (corner(a), corner(b), corner(c)) {
            f([a, b, c]);
        }
    };
    match mesh.try_indices_option() {
        Ok(Some(Indices::U16(i))) => i.chunks_exact(3).for_each(|t| emit(t[0] as usize, t[1] as usize, t[2] as usize)),
        Ok(Some(Indices::U32(i))) => i.chunks_exact(3).for_each(|t| emit(t[0] as usize, t[1] as usize, t[2] as usize)),
        Ok(None) => (0..world.len() / 3).for_each(|t| emit(3 * t, 3 * t + 1, 3 * t + 2)),
        Err(_) => {}
    }
}

/// Keeps the soup around the walking camera up to date.
pub(crate) fn update_walk_geometry(
    rigs: Query<&CameraRig>,
    meshes: Res<Assets<Mesh>>,
    mut changed: MessageReader<AssetEvent<Mesh>>,
    candidates: Query<(Entity, &Mesh3d, &GlobalTransform, &InheritedVisibility, Option<&Aabb>)>,
    mut geometry: ResMut<WalkGeometry>,
) {
    let changed: Vec<AssetId<Mesh>> = changed
        .read()
        .filter_map(|e| match e {
            AssetEvent::Modified { id } | AssetEvent::Added { id } | AssetEvent::LoadedWithDependencies { id } => Some(*id),
            _ => None,
        })
        .collect();
    let Some(eye) = walking_eye(&rigs) else {
        if geometry.soup.is_some() {
            *geometry = WalkGeometry::default();
        }
        return;
    };
    let here = Vec2::new(eye.x, eye.z);
    let centre = match &geometry.soup {
        Some(soup) if soup.covers(here, SOUP_MARGIN) => soup.centre(),
        _ => here,
    };
    let mut made_of: Vec<(Entity, AssetId<Mesh>, [u32; 12])> = candidates
        .iter()
        .filter(|(_, mesh, transform, visible, aabb)| {
            visible.get()
                && aabb.is_none_or(|b| overlaps_xz(world_bounds(b.min().into(), b.max().into(), transform), centre, SOUP_HALF))
                // Meshes whose data went to the GPU only (point clouds' quads) have no
                // triangles here: leaving them out keeps streaming nodes from
                // rebuilding the soup.
                && meshes.get(mesh.id()).is_some_and(|m| m.try_attribute(Mesh::ATTRIBUTE_POSITION).is_ok())
        })
        .map(|(entity, mesh, transform, _, _)| (entity, mesh.id(), transform.affine().to_cols_array().map(f32::to_bits)))
        .collect();
    made_of.sort_by_key(|(e, _, _)| *e);
    let stale = geometry.soup.as_ref().is_none_or(|s| s.centre() != centre)
        || made_of != geometry.made_of
        || made_of.iter().any(|(_, id, _)| changed.contains(id));
    if !stale {
        return;
    }
    let mut soup = TriangleSoup::new(centre, SOUP_HALF, SOUP_CELL);
    for (entity, id, _) in &made_of {
        let (Ok((_, _, transform, _, _)), Some(mesh)) = (candidates.get(*entity), meshes.get(*id)) else {
            continue;
        };
        for_each_triangle(mesh, transform, |t| soup.add(t));
    }
    geometry.soup = Some(soup);
    geometry.made_of = made_of;
}
