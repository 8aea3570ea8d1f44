//! The map under devices far outside the scene's ground: a patch of the
//! WGS 84 ellipsoid (height 0) around the scene, with a hole where the
//! scene's own ground is, so that a gauge 25 km away stands on the map and
//! not in the sky. Devices outside the ground are set on that surface.

use bevy::camera::primitives::Aabb;
use bevy::prelude::*;
use sontinh_feeds::FeedClient;
use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_layers::{ActiveScene, FloatingOrigin, GeoPosition, LayerRoot, mesh_from_part};
use sontinh_procgen::MeshData;

use crate::{FeedMarkers, FeedView};

/// The map's colour: a muted land green, lighter than the scene's ground
/// so that the edge of the surveyed area shows.
pub const MAP_COLOR: [f32; 4] = [0.42, 0.52, 0.36, 1.0];

/// A device this far outside the ground stands on the map, m.
pub const OUTSIDE_MARGIN_M: f64 = 50.0;

/// The scene's ground seen from above: the east–north rectangle its
/// layers cover, scene ENU metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroundRect {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

impl GroundRect {
    pub fn contains(&self, p: [f64; 2], margin: f64) -> bool {
        p[0] >= self.min[0] - margin && p[0] <= self.max[0] + margin && p[1] >= self.min[1] - margin && p[1] <= self.max[1] + margin
    }

    fn grow(self, other: GroundRect) -> GroundRect {
        GroundRect {
            min: [self.min[0].min(other.min[0]), self.min[1].min(other.min[1])],
            max: [self.max[0].max(other.max[0]), self.max[1].max(other.max[1])],
        }
    }
}

/// Whether a device at scene ENU `enu` stands outside the known ground.
fn outside(ground: Option<GroundRect>, enu: [f64; 3]) -> bool {
    ground.is_some_and(|g| !g.contains([enu[0], enu[1]], OUTSIDE_MARGIN_M))
}

/// Where a device at `position` (lon, lat, h) is drawn: where it is, or,
/// outside the ground, on the map below it (height 0).
pub fn standing_position(frame: &EnuFrame, position: [f64; 3], ground: Option<GroundRect>) -> [f64; 3] {
    let enu = frame.geodetic_to_enu(Geodetic::new(position[0], position[1], position[2]));
    if outside(ground, enu) { frame.geodetic_to_enu(Geodetic::new(position[0], position[1], 0.0)) } else { enu }
}

/// Coordinates along one axis: the hole's edges exactly, a few steps
/// across it, and steps growing by a third outward to `radius`.
fn axis(lo: f64, hi: f64, radius: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let first = ((hi - lo) / 4.0).max(50.0);
    let mut step = first;
    let mut x = lo;
    while x > -radius {
        x = (x - step).max(-radius);
        out.push(x);
        step *= 1.33;
    }
    out.reverse();
    for k in 0..=4 {
        out.push(lo + (hi - lo) * k as f64 / 4.0);
    }
    let (mut x, mut step) = (hi, first);
    while x < radius {
        x = (x + step).min(radius);
        out.push(x);
        step *= 1.33;
    }
    out.dedup();
    out
}

/// The ellipsoid (height 0) over the square of half-side `radius` around
/// the origin, in scene ENU, with the `hole` left open (no cell whose
/// centre is inside it).
pub fn map_surface(frame: &EnuFrame, hole: Option<GroundRect>, radius: f64) -> MeshData {
    let hole_or_point = hole.unwrap_or(GroundRect { min: [0.0; 2], max: [0.0; 2] });
    let xs = axis(hole_or_point.min[0], hole_or_point.max[0], radius);
    let ys = axis(hole_or_point.min[1], hole_or_point.max[1], radius);
    let mut mesh = MeshData::default();
    for &y in &ys {
        for &x in &xs {
            let on_plane = frame.enu_to_geodetic([x, y, 0.0]);
            let p = frame.geodetic_to_enu(Geodetic::new(on_plane.lon_deg, on_plane.lat_deg, 0.0));
            // The ellipsoid's normal, in ENU: straight up at the point's latitude and longitude.
            let up = frame.geodetic_to_enu(Geodetic::new(on_plane.lon_deg, on_plane.lat_deg, 1.0));
            mesh.positions.push([p[0] as f32, p[1] as f32, p[2] as f32]);
            mesh.normals.push([(up[0] - p[0]) as f32, (up[1] - p[1]) as f32, (up[2] - p[2]) as f32]);
            mesh.colors.push(MAP_COLOR);
        }
    }
    let nx = xs.len();
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let centre = [(xs[i] + xs[i + 1]) / 2.0, (ys[j] + ys[j + 1]) / 2.0];
            if hole.is_some_and(|h| h.contains(centre, 0.0)) {
                continue;
            }
            let (a, b) = ((j * nx + i) as u32, (j * nx + i + 1) as u32);
            let (c, d) = (((j + 1) * nx + i + 1) as u32, ((j + 1) * nx + i) as u32);
            mesh.indices.extend_from_slice(&[a, b, c, a, c, d]);
        }
    }
    mesh
}

/// The map as drawn: its entity, the hole and radius it was built for.
#[derive(Resource, Default, Debug)]
pub struct MapGround {
    pub entity: Option<Entity>,
    pub built_for: Option<(Option<GroundRect>, f64)>,
    /// The union of the scene layers' meshes seen from above.
    pub ground: Option<GroundRect>,
    /// Devices standing on the map rather than at their own height.
    pub on_map: usize,
    placed_for: Option<((u64, u64), Option<GroundRect>)>,
}

/// Grows the known ground with each new mesh under a scene layer.
pub(crate) fn measure_ground(
    added: Query<(Entity, &Aabb, &GlobalTransform), Added<Aabb>>,
    parents: Query<&ChildOf>,
    roots: Query<(), With<LayerRoot>>,
    origin: Res<FloatingOrigin>,
    mut map: ResMut<MapGround>,
) {
    for (entity, aabb, global) in &added {
        if !parents.iter_ancestors(entity).any(|a| roots.contains(a)) {
            continue;
        }
        let (centre, half) = (Vec3::from(aabb.center), Vec3::from(aabb.half_extents));
        let mut rect: Option<GroundRect> = None;
        for corner in [-1.0f32, 1.0].into_iter().flat_map(|sx| [-1.0f32, 1.0].map(move |sz| Vec3::new(sx, 0.0, sz))) {
            let world = global.transform_point(centre + half * corner);
            let enu = origin.to_enu(world);
            let r = GroundRect { min: [enu[0], enu[1]], max: [enu[0], enu[1]] };
            rect = Some(rect.map_or(r, |k| k.grow(r)));
        }
        if let Some(r) = rect {
            map.ground = Some(map.ground.map_or(r, |g| g.grow(r)));
        }
    }
}

/// Sets devices outside the ground on the map, and draws the map out past
/// the farthest of them.
#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub(crate) fn place_on_map(
    mut commands: Commands,
    view: Res<FeedView>,
    scene: Option<Res<ActiveScene>>,
    markers: Res<FeedMarkers>,
    mut map: ResMut<MapGround>,
    mut positions: Query<&mut GeoPosition>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let Some(scene) = scene else { return };
    let client = view.lock();
    let key = (markers.version, map.ground);
    if map.placed_for == Some(key) || markers.devices.len() != client.devices().len() {
        return;
    }
    map.placed_for = Some(key);
    let frame = &scene.0.frame;
    let (on_map, radius) = place_devices(&client, frame, map.ground, &markers, &mut positions);
    map.on_map = on_map;
    let wanted = (on_map > 0).then_some((map.ground, radius));
    if wanted == map.built_for {
        return;
    }
    if let Some(e) = map.entity.take() {
        commands.entity(e).despawn();
    }
    map.built_for = wanted;
    if wanted.is_none() {
        return;
    }
    let mesh = map_surface(frame, map.ground, radius);
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        perceptual_roughness: 0.95,
        ..default()
    });
    let entity = commands
        .spawn((
            Name::new("map under far devices"),
            Mesh3d(meshes.add(mesh_from_part(&mesh))),
            MeshMaterial3d(material),
            Transform::IDENTITY,
            GeoPosition([0.0; 3]),
        ))
        .id();
    map.entity = Some(entity);
}

/// Moves each device's marker to where it stands; the number on the map
/// and the radius the map must reach.
fn place_devices(client: &FeedClient, frame: &EnuFrame, ground: Option<GroundRect>, markers: &FeedMarkers, positions: &mut Query<&mut GeoPosition>) -> (usize, f64) {
    let mut on_map = 0;
    let mut farthest: f64 = 0.0;
    for (device, marker) in client.devices().iter().zip(&markers.devices) {
        let standing = standing_position(frame, device.position, ground);
        // On the map a device's height is 0; its east and north are its own.
        if outside(ground, standing) {
            on_map += 1;
            farthest = farthest.max(standing[0].abs()).max(standing[1].abs());
        }
        if let Ok(mut p) = positions.get_mut(marker.root)
            && p.0 != standing
        {
            p.0 = standing;
        }
    }
    (on_map, (farthest * 1.25 + 2_000.0).min(MAX_MAP_RADIUS_M))
}

/// The map reaches at most this far: a province, not a continent, m.
pub const MAX_MAP_RADIUS_M: f64 = 300_000.0;

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn citadel() -> EnuFrame {
        EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0))
    }

    #[test]
    fn a_gauge_25_km_away_stands_on_the_ellipsoid_below_the_horizon_plane() {
        let frame = citadel();
        let ground = Some(GroundRect { min: [-1600.0; 2], max: [1600.0; 2] });
        // Hiền Lương, about 25 km north-west, reported 12 m up.
        let far = [107.0505, 17.0, 12.0];
        let p = standing_position(&frame, far, ground);
        let d = p[0].hypot(p[1]);
        assert!(d > 25_000.0 && d < 35_000.0, "{d}");
        // On the ellipsoid the ground falls away by about d²/2R below the tangent plane
        // (R: the mean radius of WGS 84, 6,371 km).
        assert_abs_diff_eq!(p[2], -d * d / (2.0 * 6_371_000.0), epsilon = 0.02 * d * d / (2.0 * 6_371_000.0));
        // Inside the ground a device keeps its own height.
        let near = frame.enu_to_geodetic([100.0, 200.0, 7.0]);
        let q = standing_position(&frame, [near.lon_deg, near.lat_deg, near.height_m], ground);
        assert_abs_diff_eq!(q[2], 7.0, epsilon = 1e-6);
        // Without known ground nothing moves.
        assert_abs_diff_eq!(standing_position(&frame, far, None)[2], frame.geodetic_to_enu(Geodetic::new(far[0], far[1], far[2]))[2], epsilon = 1e-9);
    }

    #[test]
    fn the_map_leaves_the_ground_open_and_reaches_the_radius() {
        let frame = citadel();
        let hole = GroundRect { min: [-1600.0, -1600.0], max: [1600.0, 1200.0] };
        let mesh = map_surface(&frame, Some(hole), 30_000.0);
        assert!(!mesh.indices.is_empty());
        // No triangle has its centre inside the hole.
        for t in mesh.indices.chunks(3) {
            let c = t.iter().fold([0.0f64; 2], |acc, &i| {
                let p = mesh.positions[i as usize];
                [acc[0] + f64::from(p[0]) / 3.0, acc[1] + f64::from(p[1]) / 3.0]
            });
            assert!(!hole.contains(c, -1.0), "a triangle at {c:?} covers the ground");
        }
        // The corners reach the radius (the ENU plane's square, projected on the ellipsoid).
        let reach = mesh.positions.iter().map(|p| f64::from(p[0].abs().max(p[1].abs()))).fold(0.0, f64::max);
        assert_abs_diff_eq!(reach, 30_000.0, epsilon = 30.0);
        // Every vertex lies on the ellipsoid: its height is 0.
        for p in mesh.positions.iter().step_by(7) {
            let g = frame.enu_to_geodetic([f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]);
            assert_abs_diff_eq!(g.height_m, 0.0, epsilon = 0.01);
        }
    }
}
