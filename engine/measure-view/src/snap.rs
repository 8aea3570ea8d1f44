//! Where a picked position snaps: to a vertex of the measurement itself, to
//! a cloud's point, to a vertex or an edge of the triangle under the
//! cursor, else the surface itself. Plain functions over screen positions,
//! so that the tolerance is what the user sees (pixels), at any distance.

use bevy::math::{Vec2, Vec3};

/// How far from the cursor (pixels) a vertex still catches it.
pub const VERTEX_PX: f32 = 12.0;
/// How far from the cursor (pixels) an edge still catches it.
pub const EDGE_PX: f32 = 7.0;

/// What the position snapped to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SnapKind {
    /// One of the measurement's own vertices (to close a polygon, or to move it).
    OwnVertex(usize),
    /// A point of a point cloud.
    CloudPoint,
    /// A vertex of a mesh, tile or terrain triangle.
    MeshVertex,
    /// The nearest point of a triangle's edge.
    MeshEdge,
    /// The surface where the ray met it.
    Surface,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    pub kind: SnapKind,
    /// World position (render space).
    pub world: Vec3,
}

/// The closest point to `p` on the segment `a`–`b` (2D).
pub fn closest_on_segment(p: Vec2, a: Vec2, b: Vec2) -> (Vec2, f32) {
    let ab = b - a;
    let t = if ab.length_squared() > 0.0 { ((p - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0) } else { 0.0 };
    (a + ab * t, t)
}

/// What was under the cursor, in world space, with the screen projection
/// the snapping measures in.
pub struct Candidates<'a> {
    pub cursor: Vec2,
    /// The nearer of the mesh hit and the cloud point, with the mesh's triangle when it won.
    pub surface: Option<Vec3>,
    pub triangle: Option<[Vec3; 3]>,
    pub cloud_point: bool,
    /// The measurement's own vertices, world space.
    pub own: &'a [Vec3],
    /// World to screen (pixels); `None` behind the camera.
    pub to_screen: &'a dyn Fn(Vec3) -> Option<Vec2>,
}

/// The snap for these candidates: own vertices first, then a cloud point
/// as it is, then the triangle's vertices, then its edges, then the surface.
pub fn snap(c: &Candidates) -> Option<Snap> {
    let near = |w: Vec3, px: f32| (c.to_screen)(w).map(|s| s.distance(c.cursor)).filter(|d| *d <= px);
    let own = c
        .own
        .iter()
        .enumerate()
        .filter_map(|(i, w)| near(*w, VERTEX_PX).map(|d| (i, *w, d)))
        .min_by(|a, b| a.2.total_cmp(&b.2));
    if let Some((i, w, _)) = own {
        return Some(Snap { kind: SnapKind::OwnVertex(i), world: w });
    }
    let surface = c.surface?;
    if c.cloud_point {
        return Some(Snap { kind: SnapKind::CloudPoint, world: surface });
    }
    if let Some(tri) = c.triangle {
        let vertex = tri.iter().filter_map(|w| near(*w, VERTEX_PX).map(|d| (*w, d))).min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((w, _)) = vertex {
            return Some(Snap { kind: SnapKind::MeshVertex, world: w });
        }
        let mut best: Option<(Vec3, f32)> = None;
        for k in 0..3 {
            let (a, b) = (tri[k], tri[(k + 1) % 3]);
            let (Some(sa), Some(sb)) = ((c.to_screen)(a), (c.to_screen)(b)) else { continue };
            let (on_screen, t) = closest_on_segment(c.cursor, sa, sb);
            let d = on_screen.distance(c.cursor);
            // The screen fraction along the edge is close enough to the world
            // one over a single triangle's length for snapping.
            if d <= EDGE_PX && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((a.lerp(b, t), d));
            }
        }
        if let Some((w, _)) = best {
            return Some(Snap { kind: SnapKind::MeshEdge, world: w });
        }
    }
    Some(Snap { kind: SnapKind::Surface, world: surface })
}

/// How a press and its release read: a tap places a vertex, a drag turns
/// the camera (or moves the vertex it started on). Only the movement
/// counts, not the time held: a slow frame (a phone, software rendering)
/// may put a quick tap's press and release a second apart.
pub fn is_tap(press: Vec2, release: Vec2) -> bool {
    press.distance(release) <= 6.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A camera looking down -Z: screen = world xy × 100 px, y flipped, centred at 500,500.
    fn screen(w: Vec3) -> Option<Vec2> {
        Some(Vec2::new(500.0 + w.x * 100.0, 500.0 - w.y * 100.0))
    }

    fn candidates<'a>(cursor: Vec2, own: &'a [Vec3], triangle: Option<[Vec3; 3]>, cloud: bool) -> Candidates<'a> {
        Candidates { cursor, surface: Some(Vec3::new((cursor.x - 500.0) / 100.0, (500.0 - cursor.y) / 100.0, 0.0)), triangle, cloud_point: cloud, own, to_screen: &screen }
    }

    const TRI: [Vec3; 3] = [Vec3::new(0.0, 0.0, 0.0), Vec3::new(2.0, 0.0, 0.0), Vec3::new(0.0, 2.0, 0.0)];

    #[test]
    fn a_vertex_within_its_pixels_wins_over_the_surface() {
        // 10 px right of the triangle's first corner (500, 500).
        let s = snap(&candidates(Vec2::new(510.0, 497.0), &[], Some(TRI), false)).unwrap();
        assert_eq!(s, Snap { kind: SnapKind::MeshVertex, world: TRI[0] });
    }

    #[test]
    fn near_an_edge_the_position_slides_onto_it() {
        // Over the bottom edge (y = 0) at x = 1, 5 px above it.
        let s = snap(&candidates(Vec2::new(600.0, 495.0), &[], Some(TRI), false)).unwrap();
        assert_eq!(s.kind, SnapKind::MeshEdge);
        assert!((s.world - Vec3::new(1.0, 0.0, 0.0)).length() < 1e-5, "{s:?}");
    }

    #[test]
    fn far_from_corners_and_edges_it_stays_on_the_surface() {
        let s = snap(&candidates(Vec2::new(550.0, 450.0), &[], Some(TRI), false)).unwrap();
        assert_eq!(s.kind, SnapKind::Surface);
        assert!((s.world - Vec3::new(0.5, 0.5, 0.0)).length() < 1e-5);
    }

    #[test]
    fn own_vertices_come_first_and_clouds_keep_their_point() {
        let own = [Vec3::new(0.05, 0.0, 0.0)];
        let s = snap(&candidates(Vec2::new(503.0, 500.0), &own, Some(TRI), false)).unwrap();
        assert_eq!(s.kind, SnapKind::OwnVertex(0));
        let s = snap(&candidates(Vec2::new(510.0, 497.0), &[], None, true)).unwrap();
        assert_eq!(s.kind, SnapKind::CloudPoint);
        assert!(snap(&Candidates { surface: None, ..candidates(Vec2::ZERO, &[], None, false) }).is_none());
    }

    #[test]
    fn taps_are_still() {
        assert!(is_tap(Vec2::new(10.0, 10.0), Vec2::new(13.0, 12.0)));
        assert!(!is_tap(Vec2::new(10.0, 10.0), Vec2::new(40.0, 10.0)));
    }
}
