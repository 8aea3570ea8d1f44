//! A triangle mesh seen from above, in f64: where it is placed in a scene's
//! east-north-up frame ([`Pose`], the viewer's layer placement), its
//! bounds there, and the height of its highest triangle on a vertical line
//! ([`TopSurface::height`]: a uniform grid over the triangles' footprints,
//! then the exact barycentric height of each triangle the line meets).

use crate::Model;

/// Where a model's own ENU frame sits in a scene's ENU frame: the model
/// point `anchor` goes to `position`, the model turned by heading
/// (clockwise from north), pitch (nose up) and roll (right wing down), in
/// that order of application from the outside in (roll first on the
/// model), and scaled. The same transform as the viewer's layer root
/// (`sontinh_layers::placement_transform` with the anchor's shift under it),
/// in f64.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// The model point placed at `position`: zero, or the centre of the
    /// base of its bounds ([`Model::base_centre`]) for scans placed by it.
    pub anchor: [f64; 3],
    /// East, north, up in the scene's frame, metres.
    pub position: [f64; 3],
    pub heading_deg: f64,
    pub pitch_deg: f64,
    pub roll_deg: f64,
    pub scale: f64,
}

impl Default for Pose {
    fn default() -> Self {
        Self {
            anchor: [0.0; 3],
            position: [0.0; 3],
            heading_deg: 0.0,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            scale: 1.0,
        }
    }
}

impl Pose {
    /// A model point (ENU metres of the model) in the scene's frame.
    pub fn apply(&self, p: [f64; 3]) -> [f64; 3] {
        let [e, n, u] = [0, 1, 2].map(|i| (p[i] - self.anchor[i]) * self.scale);
        // Roll: about the north axis, the east (right) wing going down.
        let (sr, cr) = self.roll_deg.to_radians().sin_cos();
        let (e, u) = (e * cr + u * sr, -e * sr + u * cr);
        // Pitch: about the east axis, the nose (north) going up.
        let (sp, cp) = self.pitch_deg.to_radians().sin_cos();
        let (n, u) = (n * cp - u * sp, n * sp + u * cp);
        // Heading: about the up axis, clockwise seen from above.
        let (sh, ch) = self.heading_deg.to_radians().sin_cos();
        let (e, n) = (e * ch + n * sh, -e * sh + n * ch);
        [e + self.position[0], n + self.position[1], u + self.position[2]]
    }
}

/// The axis-aligned bounds of a model's vertices placed by `pose`, in the
/// scene's frame: `None` for a model without vertices.
pub fn placed_bounds(model: &Model, pose: &Pose) -> Option<([f64; 3], [f64; 3])> {
    bounds_of(model.primitives.iter().flat_map(|p| p.positions.iter()).map(|v| pose.apply(v.map(f64::from))))
}

/// The axis-aligned bounds of points: `None` for none.
pub fn bounds_of(points: impl Iterator<Item = [f64; 3]>) -> Option<([f64; 3], [f64; 3])> {
    let mut bounds: Option<([f64; 3], [f64; 3])> = None;
    for p in points {
        let (lo, hi) = bounds.get_or_insert((p, p));
        for i in 0..3 {
            lo[i] = lo[i].min(p[i]);
            hi[i] = hi[i].max(p[i]);
        }
    }
    bounds
}

/// Largest number of grid cells (memory: four bytes each, plus the lists).
const MAX_CELLS: usize = 1 << 22;

/// Relative tolerance of the inside test: a line through a shared edge or
/// vertex meets the triangles on both sides.
const INSIDE_TOLERANCE: f64 = 1e-9;

/// Triangles in a scene's frame, indexed by their footprints for vertical
/// lines: the highest surface at any east, north position in microseconds
/// for hundreds of thousands of triangles.
#[derive(Clone, Debug, Default)]
pub struct TopSurface {
    vertices: Vec<[f64; 3]>,
    /// Triangles whose footprint is not a line (vertical faces have no top).
    triangles: Vec<[u32; 3]>,
    bounds: Option<([f64; 3], [f64; 3])>,
    origin: [f64; 2],
    cell_m: f64,
    columns: usize,
    rows: usize,
    /// Cell `i`'s triangles are `items[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    items: Vec<u32>,
}

/// Twice the signed area of the footprint of `a, b, c`.
fn cross(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

impl TopSurface {
    /// From vertices in the scene's frame and a triangle list (three indices
    /// each; triangles naming a vertex that is not there are left out).
    pub fn new(vertices: Vec<[f64; 3]>, indices: &[u32]) -> Self {
        let bounds = bounds_of(vertices.iter().copied());
        let Some((lo, hi)) = bounds else { return Self::default() };
        let reach = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(f64::MIN_POSITIVE);
        let count = vertices.len();
        let triangles: Vec<[u32; 3]> = indices
            .chunks_exact(3)
            .map(|t| [t[0], t[1], t[2]])
            .filter(|t| t.iter().all(|&i| (i as usize) < count))
            .filter(|t| {
                let [a, b, c] = t.map(|i| vertices[i as usize]);
                cross(a, b, c).abs() > 1e-12 * reach * reach
            })
            .collect();
        // About one triangle per cell for a mesh spread evenly over its footprint.
        let width = (hi[0] - lo[0]).max(1e-9);
        let height = (hi[1] - lo[1]).max(1e-9);
        let target = triangles.len().clamp(1, MAX_CELLS) as f64;
        let mut cell_m = (width * height / target).sqrt().max(reach * 1e-6);
        while ((width / cell_m).floor() + 1.0) * ((height / cell_m).floor() + 1.0) > MAX_CELLS as f64 {
            cell_m *= 1.25;
        }
        let columns = (width / cell_m).floor() as usize + 1;
        let rows = (height / cell_m).floor() as usize + 1;
        let mut surface = Self {
            vertices,
            triangles,
            bounds,
            origin: [lo[0], lo[1]],
            cell_m,
            columns,
            rows,
            starts: vec![0; columns * rows + 1],
            items: Vec::new(),
        };
        // Two passes: count the triangles per cell, then place them.
        for t in 0..surface.triangles.len() {
            let (c0, c1, r0, r1) = surface.cells_of(t);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    surface.starts[r * columns + c + 1] += 1;
                }
            }
        }
        for i in 0..columns * rows {
            surface.starts[i + 1] += surface.starts[i];
        }
        let mut next: Vec<u32> = surface.starts[..columns * rows].to_vec();
        surface.items = vec![0; surface.starts[columns * rows] as usize];
        for t in 0..surface.triangles.len() {
            let (c0, c1, r0, r1) = surface.cells_of(t);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    let slot = &mut next[r * columns + c];
                    surface.items[*slot as usize] = t as u32;
                    *slot += 1;
                }
            }
        }
        surface
    }

    /// A model's triangles placed by `pose`.
    pub fn from_model(model: &Model, pose: &Pose) -> Self {
        let mut vertices = Vec::new();
        let mut indices = Vec::new();
        for p in &model.primitives {
            let base = vertices.len() as u32;
            vertices.extend(p.positions.iter().map(|v| pose.apply(v.map(f64::from))));
            indices.extend(p.indices.iter().map(|i| base.saturating_add(*i)));
        }
        Self::new(vertices, &indices)
    }

    /// The cell's column or row of a coordinate, clamped to the grid.
    fn cell(&self, v: f64, origin: f64, cells: usize) -> usize {
        (((v - origin) / self.cell_m).floor().max(0.0) as usize).min(cells - 1)
    }

    /// Columns and rows of the cells under triangle `t`'s footprint.
    fn cells_of(&self, t: usize) -> (usize, usize, usize, usize) {
        let [a, b, c] = self.triangles[t].map(|i| self.vertices[i as usize]);
        let (x0, x1) = (a[0].min(b[0]).min(c[0]), a[0].max(b[0]).max(c[0]));
        let (y0, y1) = (a[1].min(b[1]).min(c[1]), a[1].max(b[1]).max(c[1]));
        (
            self.cell(x0, self.origin[0], self.columns),
            self.cell(x1, self.origin[0], self.columns),
            self.cell(y0, self.origin[1], self.rows),
            self.cell(y1, self.origin[1], self.rows),
        )
    }

    /// Triangles with a top (footprints that are not lines).
    pub fn triangle_count(&self) -> usize {
        self.triangles.len()
    }

    /// Bounds of every vertex in the scene's frame; `None` when empty.
    pub fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        self.bounds
    }

    /// The height of the highest triangle that the vertical line through
    /// (`east`, `north`) meets, `None` where it meets none.
    pub fn height(&self, east: f64, north: f64) -> Option<f64> {
        let (lo, hi) = self.bounds?;
        let slack = INSIDE_TOLERANCE * (hi[0] - lo[0]).max(hi[1] - lo[1]);
        if !(east >= lo[0] - slack && east <= hi[0] + slack && north >= lo[1] - slack && north <= hi[1] + slack) {
            return None;
        }
        let cell = self.cell(north, self.origin[1], self.rows) * self.columns + self.cell(east, self.origin[0], self.columns);
        let items = &self.items[self.starts[cell] as usize..self.starts[cell + 1] as usize];
        let p = [east, north, 0.0];
        let mut best: Option<f64> = None;
        for &t in items {
            let [a, b, c] = self.triangles[t as usize].map(|i| self.vertices[i as usize]);
            let area = cross(a, b, c);
            let (wa, wb, wc) = (cross(b, c, p) / area, cross(c, a, p) / area, cross(a, b, p) / area);
            if wa < -INSIDE_TOLERANCE || wb < -INSIDE_TOLERANCE || wc < -INSIDE_TOLERANCE {
                continue;
            }
            let z = (wa * a[2] + wb * b[2] + wc * c[2]) / (wa + wb + wc);
            if best.is_none_or(|h| z > h) {
                best = Some(z);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A square pyramid: base 2a × 2a at height 0 centred on the origin, apex at h.
    fn pyramid(a: f64, h: f64) -> (Vec<[f64; 3]>, Vec<u32>) {
        let vertices = vec![[-a, -a, 0.0], [a, -a, 0.0], [a, a, 0.0], [-a, a, 0.0], [0.0, 0.0, h]];
        let indices = vec![0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4, 0, 2, 1, 0, 3, 2];
        (vertices, indices)
    }

    #[test]
    fn the_pyramids_top_is_its_exact_height_everywhere_and_nothing_outside() {
        let (v, i) = pyramid(10.0, 5.0);
        let s = TopSurface::new(v, &i);
        assert_eq!(s.triangle_count(), 6);
        for k in 0..=200 {
            for m in 0..=20 {
                let (x, y) = (-10.0 + 0.1 * k as f64, -10.0 + 1.0 * m as f64);
                let exact = 5.0 * (1.0 - x.abs().max(y.abs()) / 10.0);
                let got = s.height(x, y).unwrap_or_else(|| panic!("no surface at {x}, {y}"));
                assert!((got - exact).abs() < 1e-12, "{x}, {y}: {got} vs {exact}");
            }
        }
        assert_eq!(s.height(10.01, 0.0), None);
        assert_eq!(s.height(0.0, -10.5), None);
    }

    /// Vertical faces have no top; a box's lid is its height.
    #[test]
    fn a_boxs_walls_are_left_out_and_its_lid_counts() {
        let v = vec![[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0], [2.0, 0.0, 3.0], [2.0, 1.0, 3.0], [0.0, 1.0, 3.0]];
        #[rustfmt::skip]
        let i = [0, 2, 1, 0, 3, 2, 4, 5, 6, 4, 6, 7, 0, 1, 5, 0, 5, 4, 1, 2, 6, 1, 6, 5, 2, 3, 7, 2, 7, 6, 3, 0, 4, 3, 4, 7];
        let s = TopSurface::new(v, &i);
        assert_eq!(s.triangle_count(), 4);
        assert_eq!(s.height(1.0, 0.5), Some(3.0));
        assert_eq!(s.height(2.0, 1.0), Some(3.0));
        assert_eq!(s.bounds(), Some(([0.0; 3], [2.0, 1.0, 3.0])));
    }

    /// Many small triangles: the grid answers as a scan of all of them does.
    #[test]
    fn the_grid_answers_as_a_scan_of_every_triangle() {
        let n = 60;
        let mut v = Vec::new();
        let mut i = Vec::new();
        let z = |x: f64, y: f64| (x * 0.3).sin() * 2.0 + (y * 0.17).cos();
        for r in 0..=n {
            for c in 0..=n {
                let (x, y) = (c as f64 * 0.7, r as f64 * 0.45);
                v.push([x, y, z(x, y)]);
            }
        }
        for r in 0..n {
            for c in 0..n {
                let k = (r * (n + 1) + c) as u32;
                let up = k + n as u32 + 1;
                i.extend_from_slice(&[k, k + 1, up + 1, k, up + 1, up]);
            }
        }
        let s = TopSurface::new(v.clone(), &i);
        let scan = |x: f64, y: f64| {
            let p = [x, y, 0.0];
            i.chunks(3)
                .filter_map(|t| {
                    let [a, b, c] = [v[t[0] as usize], v[t[1] as usize], v[t[2] as usize]];
                    let area = cross(a, b, c);
                    let w = [cross(b, c, p) / area, cross(c, a, p) / area, cross(a, b, p) / area];
                    w.iter().all(|w| *w >= -1e-9).then(|| w[0] * a[2] + w[1] * b[2] + w[2] * c[2])
                })
                .fold(None, |m: Option<f64>, z| Some(m.map_or(z, |m| m.max(z))))
        };
        let mut state = 12345u64;
        for _ in 0..2000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let x = (state >> 11) as f64 / (1u64 << 53) as f64 * 45.0 - 1.0;
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let y = (state >> 11) as f64 / (1u64 << 53) as f64 * 29.0 - 1.0;
            match (s.height(x, y), scan(x, y)) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{x}, {y}: {a} vs {b}"),
                (a, b) => assert_eq!(a, b, "{x}, {y}"),
            }
        }
    }

    /// Heading turns clockwise from north, pitch raises the nose, roll
    /// lowers the right wing; the anchor goes to the position; scale grows.
    #[test]
    fn the_pose_turns_as_its_angles_say() {
        let close = |a: [f64; 3], b: [f64; 3]| (0..3).all(|i| (a[i] - b[i]).abs() < 1e-12);
        let heading = Pose { heading_deg: 90.0, ..Pose::default() };
        assert!(close(heading.apply([0.0, 1.0, 0.0]), [1.0, 0.0, 0.0]), "north turns east");
        let pitch = Pose { pitch_deg: 90.0, ..Pose::default() };
        assert!(close(pitch.apply([0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]), "the nose rises");
        let roll = Pose { roll_deg: 90.0, ..Pose::default() };
        assert!(close(roll.apply([1.0, 0.0, 0.0]), [0.0, 0.0, -1.0]), "the right wing goes down");
        let moved = Pose { anchor: [1.0, 2.0, 3.0], position: [10.0, 20.0, 30.0], scale: 2.0, ..Pose::default() };
        assert!(close(moved.apply([1.0, 2.0, 3.0]), [10.0, 20.0, 30.0]));
        assert!(close(moved.apply([2.0, 2.0, 3.0]), [12.0, 20.0, 30.0]));
    }
}
