//! A ground under scenes that have none of their own (3D Tiles, city
//! models, point clouds, generated content beyond its edge), so that nothing
//! floats in an empty sky: a disc 60 km across on the WGS 84 ellipsoid at
//! the height of the scene's origin (the scene's stated ground level),
//! following the Earth's curvature, coloured like lowland, fading into the
//! haze. It lies [`GROUND_BELOW_M`] under that height so that a model's own
//! ground there wins without depth fighting. Scenes with a terrain or a base
//! map layer have a ground already and get none. Sections cut it as they
//! cut every layer.

use bevy::light::NotShadowCaster;
use bevy::prelude::*;
use sontinh_geo::EnuFrame;
use sontinh_procgen::MeshData;
use sontinh_scene::{LayerKind, Scene};

use crate::{ActiveScene, GeoPosition, SceneMaterial, mesh_from_part, scene_material};

/// How far under the origin's height the ground lies, metres.
pub const GROUND_BELOW_M: f64 = 0.5;
/// The ground's radius, metres: past the fog at any view the scenes give.
pub const GROUND_RADIUS_M: f64 = 60_000.0;
const SEGMENTS: usize = 96;
/// Ring radii grow by this factor outwards from the first ring's.
const RING_GROWTH: f64 = 1.3;
const FIRST_RING_M: f64 = 25.0;
const LAND: [f32; 4] = [0.27, 0.34, 0.18, 1.0];

/// The ground entity of the active scene.
#[derive(Component)]
pub struct EllipsoidGround;

pub(crate) struct EllipsoidGroundPlugin;

impl Plugin for EllipsoidGroundPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, place_ground);
    }
}

/// Whether `scene` needs the ellipsoid ground: it has no terrain, no base
/// map and no point cloud (a LiDAR scan's ground points are surveyed ground;
/// a disc at the origin's height would cut through them).
pub fn needs_ground(scene: &Scene) -> bool {
    !scene.layers.iter().any(|l| matches!(l.kind, LayerKind::Terrain | LayerKind::Basemap | LayerKind::PointCloud))
}

fn place_ground(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    grounds: Query<Entity, With<EllipsoidGround>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SceneMaterial>>,
) {
    let Some(scene) = scene.filter(|s| s.is_changed()) else { return };
    for e in &grounds {
        commands.entity(e).despawn();
    }
    if !needs_ground(&scene.0) {
        return;
    }
    let data = ellipsoid_ground(scene.0.frame, scene.0.origin.height_m - GROUND_BELOW_M, GROUND_RADIUS_M);
    commands.spawn((
        Name::new("ellipsoid ground"),
        EllipsoidGround,
        Mesh3d(meshes.add(mesh_from_part(&data))),
        MeshMaterial3d(materials.add(scene_material(StandardMaterial {
            base_color: Color::WHITE,
            perceptual_roughness: 1.0,
            reflectance: 0.2,
            ..default()
        }))),
        NotShadowCaster,
        Transform::default(),
        GeoPosition([0.0; 3]),
    ));
}

/// The ground's mesh in `frame`'s ENU (metres from its origin): rings out
/// to `radius_m`, every vertex on the ellipsoid at `height_m` (so at the
/// origin it lies `frame`'s origin height − `height_m` below zero, and it
/// drops away with the curvature: about 7.8 m at 10 km), normals the
/// ellipsoid's up there.
pub fn ellipsoid_ground(frame: EnuFrame, height_m: f64, radius_m: f64) -> MeshData {
    let mut radii = vec![0.0, FIRST_RING_M];
    while *radii.last().unwrap_or(&radius_m) < radius_m {
        let next = (radii[radii.len() - 1] * RING_GROWTH).min(radius_m);
        radii.push(next);
    }
    let mut mesh = MeshData::default();
    let on_ground = |x: f64, y: f64| {
        let mut g = frame.enu_to_geodetic([x, y, 0.0]);
        g.height_m = height_m;
        let p = frame.geodetic_to_enu(g);
        g.height_m += 1.0;
        let q = frame.geodetic_to_enu(g);
        (p, [q[0] - p[0], q[1] - p[1], q[2] - p[2]])
    };
    for (k, &r) in radii.iter().enumerate() {
        let count = if k == 0 { 1 } else { SEGMENTS };
        for s in 0..count {
            let a = s as f64 / SEGMENTS as f64 * std::f64::consts::TAU;
            let (p, n) = on_ground(r * a.cos(), r * a.sin());
            mesh.positions.push(p.map(|v| v as f32));
            mesh.normals.push(n.map(|v| v as f32));
            // Fields a few hundred metres across, in slightly varying greens.
            let field = ((p[0] / 530.0).sin() * (p[1] / 410.0).cos() * 0.5 + 0.5) as f32;
            let k = 0.9 + 0.15 * field;
            mesh.colors.push([LAND[0] * k, LAND[1] * k, LAND[2] * (0.95 + 0.1 * field), 1.0]);
        }
    }
    // The centre's fan, then quads between rings, counter-clockwise from above.
    let ring = |k: usize, s: usize| (1 + (k - 1) * SEGMENTS + s % SEGMENTS) as u32;
    for s in 0..SEGMENTS {
        mesh.indices.extend_from_slice(&[0, ring(1, s), ring(1, s + 1)]);
    }
    for k in 1..radii.len() - 1 {
        for s in 0..SEGMENTS {
            let (a, b, c, d) = (ring(k, s), ring(k, s + 1), ring(k + 1, s + 1), ring(k + 1, s));
            mesh.indices.extend_from_slice(&[a, d, c, a, c, b]);
        }
    }
    mesh
}

#[cfg(test)]
mod tests {
    use super::*;
    use sontinh_geo::Geodetic;

    /// WGS 84 to ECEF by the textbook formula, independently of sontinh-geo.
    fn ecef(lon: f64, lat: f64, h: f64) -> [f64; 3] {
        let (a, f) = (6_378_137.0, 1.0 / 298.257_223_563);
        let e2 = f * (2.0 - f);
        let (lon, lat) = (lon.to_radians(), lat.to_radians());
        let n = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        [(n + h) * lat.cos() * lon.cos(), (n + h) * lat.cos() * lon.sin(), (n * (1.0 - e2) + h) * lat.sin()]
    }

    /// ECEF to the ENU frame at (lon0, lat0, h0).
    fn enu(origin: (f64, f64, f64), p: [f64; 3]) -> [f64; 3] {
        let o = ecef(origin.0, origin.1, origin.2);
        let d = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
        let (lon, lat) = (origin.0.to_radians(), origin.1.to_radians());
        [
            -lon.sin() * d[0] + lon.cos() * d[1],
            -lat.sin() * lon.cos() * d[0] - lat.sin() * lon.sin() * d[1] + lat.cos() * d[2],
            lat.cos() * lon.cos() * d[0] + lat.cos() * lon.sin() * d[1] + lat.sin() * d[2],
        ]
    }

    #[test]
    fn the_ground_lies_on_the_ellipsoid_at_the_origins_height() {
        // Zürich's scene: origin 430 m above the ellipsoid.
        let origin = (8.525015, 47.360202, 430.0);
        let frame = EnuFrame::new(Geodetic::new(origin.0, origin.1, origin.2));
        let height = origin.2 - GROUND_BELOW_M;
        let mesh = ellipsoid_ground(frame, height, GROUND_RADIUS_M);
        // Under the origin: the stated depth below it.
        let centre = mesh.positions[0];
        assert!(centre[0].abs() < 1e-3 && centre[1].abs() < 1e-3);
        assert!((f64::from(centre[2]) + GROUND_BELOW_M).abs() < 1e-3, "{centre:?}");
        // Every vertex is where the exact formula puts the ellipsoid at that height.
        let mut worst = 0.0f64;
        for p in &mesh.positions {
            let g = frame.enu_to_geodetic([f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]);
            let exact = enu(origin, ecef(g.lon_deg, g.lat_deg, height));
            let d = (0..3).map(|k| (exact[k] - f64::from(p[k])).abs()).fold(0.0, f64::max);
            worst = worst.max(d);
            assert!((g.height_m - height).abs() < 0.01, "{p:?} at {} m", g.height_m);
        }
        assert!(worst < 0.02, "{worst} m from the exact ellipsoid");
        // Curvature: 10 km out it has dropped d²/2R ≈ 7.8 m.
        let far = mesh.positions.iter().find(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - 10_000.0).abs() < 3000.0).expect("a vertex near 10 km");
        let r = f64::from((far[0] * far[0] + far[1] * far[1]).sqrt());
        let drop = -f64::from(far[2]) - GROUND_BELOW_M;
        assert!((drop - r * r / (2.0 * 6_371_000.0)).abs() < 0.1 * drop, "{drop} m at {r} m");
        // It reaches its radius, and every triangle faces up.
        let reach = mesh.positions.iter().map(|p| f64::from((p[0] * p[0] + p[1] * p[1]).sqrt())).fold(0.0, f64::max);
        assert!(reach > GROUND_RADIUS_M * 0.99);
        for t in mesh.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| mesh.positions[t[k] as usize]);
            let cross_z = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            assert!(cross_z > 0.0, "a triangle faces down");
        }
        assert!(mesh.triangle_count() < 6000, "{} triangles", mesh.triangle_count());
    }
}
