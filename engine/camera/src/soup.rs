//! The scene's triangles around the walker, in world space, bucketed over the
//! ground plane so that a walker's short ray probes test a handful of
//! triangles instead of every mesh of the scene.

use bevy::math::{Vec2, Vec3};

/// Where a probe met a surface: how far along the ray, and the surface's
/// unit normal turned to face the ray's origin (meshes of tiles and models
/// are not reliably wound, and a wall blocks from either side).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProbeHit {
    pub distance: f32,
    pub normal: Vec3,
}

/// Triangles in a square of the xz-plane, bucketed in square cells.
#[derive(Clone, Debug)]
pub struct TriangleSoup {
    triangles: Vec<[Vec3; 3]>,
    min: Vec2,
    cell: f32,
    n: usize,
    cells: Vec<Vec<u32>>,
}

impl TriangleSoup {
    /// An empty soup over the square `centre` ± `half` (x, z), cells of `cell` metres.
    pub fn new(centre: Vec2, half: f32, cell: f32) -> Self {
        let half = half.max(0.5);
        let cell = cell.clamp(0.1, half * 2.0);
        let n = ((2.0 * half / cell).ceil() as usize).clamp(1, 512);
        Self {
            triangles: Vec::new(),
            min: centre - Vec2::splat(half),
            cell,
            n,
            cells: vec![Vec::new(); n * n],
        }
    }

    /// The square's centre (x, z).
    pub fn centre(&self) -> Vec2 {
        self.min + Vec2::splat(self.cell * self.n as f32 / 2.0)
    }

    /// Whether `xz` lies at least `margin` metres inside the square.
    pub fn covers(&self, xz: Vec2, margin: f32) -> bool {
        let size = self.cell * self.n as f32;
        let local = xz - self.min;
        local.min_element() >= margin && local.max_element() <= size - margin
    }

    pub fn len(&self) -> usize {
        self.triangles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.triangles.is_empty()
    }

    fn cell_range(&self, lo: Vec2, hi: Vec2) -> Option<(usize, usize, usize, usize)> {
        let a = ((lo - self.min) / self.cell).floor();
        let b = ((hi - self.min) / self.cell).floor();
        let last = self.n as f32 - 1.0;
        if b.x < 0.0 || b.y < 0.0 || a.x > last || a.y > last {
            return None;
        }
        let clamp = |v: f32| v.clamp(0.0, last) as usize;
        Some((clamp(a.x), clamp(b.x), clamp(a.y), clamp(b.y)))
    }

    /// Adds a world-space triangle if it reaches into the square; triangles
    /// without area (point-cloud quads, degenerate strips) are left out.
    pub fn add(&mut self, t: [Vec3; 3]) {
        if !t.iter().all(|p| p.is_finite()) || (t[1] - t[0]).cross(t[2] - t[0]).length_squared() < 1e-12 {
            return;
        }
        let xz = |p: Vec3| Vec2::new(p.x, p.z);
        let lo = xz(t[0]).min(xz(t[1])).min(xz(t[2]));
        let hi = xz(t[0]).max(xz(t[1])).max(xz(t[2]));
        let Some((x0, x1, z0, z1)) = self.cell_range(lo, hi) else {
            return;
        };
        let index = self.triangles.len() as u32;
        self.triangles.push(t);
        for z in z0..=z1 {
            for x in x0..=x1 {
                self.cells[z * self.n + x].push(index);
            }
        }
    }

    /// The nearest surface along the ray from `origin` in unit direction
    /// `dir`, within `max` metres; both faces of every triangle count.
    pub fn cast(&self, origin: Vec3, dir: Vec3, max: f32) -> Option<ProbeHit> {
        let end = origin + dir * max;
        let lo = Vec2::new(origin.x.min(end.x), origin.z.min(end.z));
        let hi = Vec2::new(origin.x.max(end.x), origin.z.max(end.z));
        let (x0, x1, z0, z1) = self.cell_range(lo, hi)?;
        let mut best: Option<ProbeHit> = None;
        for z in z0..=z1 {
            for x in x0..=x1 {
                for &i in &self.cells[z * self.n + x] {
                    let t = &self.triangles[i as usize];
                    if let Some(d) = ray_triangle(origin, dir, t)
                        && d <= max
                        && best.is_none_or(|b| d < b.distance)
                    {
                        let n = (t[1] - t[0]).cross(t[2] - t[0]).normalize_or_zero();
                        let normal = if n.dot(dir) > 0.0 { -n } else { n };
                        best = Some(ProbeHit { distance: d, normal });
                    }
                }
            }
        }
        best
    }
}

/// Möller–Trumbore, both faces; edges are inclusive (a ray along a shared
/// edge of a terrain grid must not fall between its two triangles).
pub fn ray_triangle(origin: Vec3, dir: Vec3, t: &[Vec3; 3]) -> Option<f32> {
    const EDGE: f32 = 1e-5;
    let e1 = t[1] - t[0];
    let e2 = t[2] - t[0];
    let p = dir.cross(e2);
    let det = e1.dot(p);
    if det.abs() < 1e-12 {
        return None;
    }
    let inv = 1.0 / det;
    let s = origin - t[0];
    let u = s.dot(p) * inv;
    if !(-EDGE..=1.0 + EDGE).contains(&u) {
        return None;
    }
    let q = s.cross(e1);
    let v = dir.dot(q) * inv;
    if v < -EDGE || u + v > 1.0 + EDGE {
        return None;
    }
    let d = e2.dot(q) * inv;
    (d >= 0.0).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_floor(soup: &mut TriangleSoup, y: f32, half: f32) {
        let [a, b, c, d] = [
            Vec3::new(-half, y, -half),
            Vec3::new(half, y, -half),
            Vec3::new(half, y, half),
            Vec3::new(-half, y, half),
        ];
        soup.add([a, b, c]);
        soup.add([a, c, d]);
    }

    #[test]
    fn a_ray_meets_the_floor_at_its_exact_distance_with_the_normal_towards_it() {
        let mut soup = TriangleSoup::new(Vec2::ZERO, 10.0, 1.0);
        square_floor(&mut soup, 2.0, 50.0);
        let down = soup.cast(Vec3::new(3.3, 7.0, -4.1), Vec3::NEG_Y, 100.0).unwrap();
        assert!((down.distance - 5.0).abs() < 1e-5);
        assert!(down.normal.distance(Vec3::Y) < 1e-6);
        // From below the same floor faces down.
        let up = soup.cast(Vec3::new(3.3, -1.0, -4.1), Vec3::Y, 100.0).unwrap();
        assert!((up.distance - 3.0).abs() < 1e-5);
        assert!(up.normal.distance(Vec3::NEG_Y) < 1e-6);
        assert!(soup.cast(Vec3::new(3.3, 7.0, -4.1), Vec3::NEG_Y, 4.9).is_none(), "beyond max");
        assert!(soup.cast(Vec3::new(0.0, 7.0, 0.0), Vec3::Y, 100.0).is_none(), "behind the origin");
    }

    #[test]
    fn the_shared_diagonal_of_two_triangles_is_never_a_gap() {
        let mut soup = TriangleSoup::new(Vec2::ZERO, 10.0, 1.0);
        square_floor(&mut soup, 0.0, 4.0);
        // The diagonal runs from (−4, −4) to (4, 4).
        for k in -30..=30 {
            let x = k as f32 * 0.13;
            assert!(soup.cast(Vec3::new(x, 1.0, x), Vec3::NEG_Y, 2.0).is_some(), "gap at {x}");
        }
    }

    #[test]
    fn triangles_outside_the_square_or_without_area_are_left_out() {
        let mut soup = TriangleSoup::new(Vec2::new(100.0, 100.0), 5.0, 1.0);
        square_floor(&mut soup, 0.0, 4.0);
        assert!(soup.is_empty());
        soup.add([Vec3::new(100.0, 0.0, 100.0); 3]);
        assert!(soup.is_empty());
        assert!(soup.covers(Vec2::new(103.0, 97.0), 1.0));
        assert!(!soup.covers(Vec2::new(104.5, 100.0), 1.0));
    }
}
