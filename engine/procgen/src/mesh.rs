/// What a part is made of; the renderer picks a material per surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Surface {
    /// Opaque, coloured per vertex (ground, brick, stone, roofs, trees).
    Solid,
    /// Water: coloured per vertex, shiny, may be translucent.
    Water,
}

/// An oriented rectangle in the xy-plane: `center`, the unit direction
/// `along` its length, and its `length` × `width`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    pub center: [f32; 2],
    pub along: [f32; 2],
    pub length: f32,
    pub width: f32,
}

impl Footprint {
    /// Corners counter-clockwise seen from above.
    pub fn corners(&self) -> [[f32; 2]; 4] {
        let [c, a] = [self.center, self.along];
        let (ax, ay) = (a[0] * self.length / 2.0, a[1] * self.length / 2.0);
        let (bx, by) = (-a[1] * self.width / 2.0, a[0] * self.width / 2.0);
        [
            [c[0] - ax - bx, c[1] - ay - by],
            [c[0] + ax - bx, c[1] + ay - by],
            [c[0] + ax + bx, c[1] + ay + by],
            [c[0] - ax + bx, c[1] - ay + by],
        ]
    }
}

/// An indexed triangle mesh with per-vertex normals and linear RGBA colours.
/// Triangles wind counter-clockwise seen from their front (outside) face.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
}

/// A named piece of generated content.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub name: &'static str,
    pub surface: Surface,
    pub mesh: MeshData,
}

impl MeshData {
    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    /// Axis-aligned bounds, or `None` for an empty mesh.
    pub fn bounds(&self) -> Option<([f32; 3], [f32; 3])> {
        let first = *self.positions.first()?;
        Some(self.positions.iter().fold((first, first), |(mut lo, mut hi), p| {
            for i in 0..3 {
                lo[i] = lo[i].min(p[i]);
                hi[i] = hi[i].max(p[i]);
            }
            (lo, hi)
        }))
    }

    fn push_vertex(&mut self, p: [f32; 3], n: [f32; 3], color: [f32; 4]) -> u32 {
        let index = self.positions.len() as u32;
        self.positions.push(p);
        self.normals.push(n);
        self.colors.push(color);
        index
    }

    /// A flat quad with corners counter-clockwise seen from the front.
    pub fn push_quad(&mut self, corners: [[f32; 3]; 4], color: [f32; 4]) {
        let n = normal(corners[0], corners[1], corners[2]);
        let base = self.positions.len() as u32;
        for c in corners {
            self.push_vertex(c, n, color);
        }
        self.indices
            .extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// A flat triangle, counter-clockwise seen from the front.
    pub fn push_triangle(&mut self, corners: [[f32; 3]; 3], color: [f32; 4]) {
        let n = normal(corners[0], corners[1], corners[2]);
        for c in corners {
            let i = self.push_vertex(c, n, color);
            self.indices.push(i);
        }
    }

    /// A box over `footprint` from `z0` up to `z1`: top and four sides (the
    /// bottom is never seen).
    pub fn push_box(&mut self, footprint: &Footprint, z0: f32, z1: f32, color: [f32; 4]) {
        self.push_prism(&footprint.corners(), z0, z1, color);
    }

    /// A vertical prism over a convex footprint given counter-clockwise seen
    /// from above: top face and side walls.
    pub fn push_prism(&mut self, footprint: &[[f32; 2]], z0: f32, z1: f32, color: [f32; 4]) {
        let n = footprint.len();
        if n < 3 {
            return;
        }
        let top_color = shade(color, 1.0);
        let base = self.positions.len() as u32;
        for p in footprint {
            self.push_vertex([p[0], p[1], z1], [0.0, 0.0, 1.0], top_color);
        }
        for i in 1..(n as u32 - 1) {
            self.indices.extend_from_slice(&[base, base + i, base + i + 1]);
        }
        for i in 0..n {
            let a = footprint[i];
            let b = footprint[(i + 1) % n];
            // Sides a little darker so that edges read in flat light.
            self.push_quad(
                [[a[0], a[1], z0], [b[0], b[1], z0], [b[0], b[1], z1], [a[0], a[1], z1]],
                shade(color, 0.85),
            );
        }
    }

    /// A four-sided pyramid roof over `footprint`.
    pub fn push_pyramid(&mut self, footprint: &Footprint, z0: f32, apex_z: f32, color: [f32; 4]) {
        let f = footprint.corners().map(|[x, y]| [x, y, z0]);
        let apex = [footprint.center[0], footprint.center[1], apex_z];
        for i in 0..4 {
            self.push_triangle([f[i], f[(i + 1) % 4], apex], color);
        }
    }

    pub fn append(&mut self, other: &MeshData) {
        let base = self.positions.len() as u32;
        self.positions.extend_from_slice(&other.positions);
        self.normals.extend_from_slice(&other.normals);
        self.colors.extend_from_slice(&other.colors);
        self.indices.extend(other.indices.iter().map(|i| i + base));
    }
}

pub(crate) fn shade(c: [f32; 4], k: f32) -> [f32; 4] {
    [c[0] * k, c[1] * k, c[2] * k, c[3]]
}

fn normal(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len > 0.0 {
        [n[0] / len, n[1] / len, n[2] / len]
    } else {
        [0.0, 0.0, 1.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_has_outward_normals() {
        let mut m = MeshData::default();
        m.push_box(
            &Footprint {
                center: [0.0, 0.0],
                along: [1.0, 0.0],
                length: 4.0,
                width: 2.0,
            },
            0.0,
            3.0,
            [1.0; 4],
        );
        let (lo, hi) = m.bounds().unwrap();
        assert_eq!(lo, [-2.0, -1.0, 0.0]);
        assert_eq!(hi, [2.0, 1.0, 3.0]);
        // Every face normal points away from the box centre.
        for (p, n) in m.positions.iter().zip(&m.normals) {
            let to_vertex = [p[0], p[1], p[2] - 1.5];
            let dot = to_vertex[0] * n[0] + to_vertex[1] * n[1] + to_vertex[2] * n[2];
            assert!(dot > 0.0, "normal {n:?} at {p:?} points inwards");
        }
        assert_eq!(m.triangle_count(), 2 + 4 * 2);
    }
}
