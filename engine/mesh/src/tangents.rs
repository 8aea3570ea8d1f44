//! Tangents for normal-mapped primitives (MikkTSpace, the convention glTF
//! normal maps are baked in). Computed where the model is decoded (a worker
//! in the browser, the task pool natively), not where it is drawn.

use crate::{Model, Primitive};

struct Geometry<'a> {
    primitive: &'a Primitive,
    tangents: Vec<[f32; 4]>,
}

impl Geometry<'_> {
    fn vertex(&self, face: usize, vert: usize) -> usize {
        self.primitive.indices[face * 3 + vert] as usize
    }
}

impl bevy_mikktspace::Geometry for Geometry<'_> {
    fn num_faces(&self) -> usize {
        self.primitive.indices.len() / 3
    }

    fn num_vertices_of_face(&self, _face: usize) -> usize {
        3
    }

    fn position(&self, face: usize, vert: usize) -> [f32; 3] {
        self.primitive.positions[self.vertex(face, vert)]
    }

    fn normal(&self, face: usize, vert: usize) -> [f32; 3] {
        self.primitive.normals[self.vertex(face, vert)]
    }

    fn tex_coord(&self, face: usize, vert: usize) -> [f32; 2] {
        self.primitive.uvs[self.vertex(face, vert)]
    }

    fn set_tangent(&mut self, tangent: Option<bevy_mikktspace::TangentSpace>, face: usize, vert: usize) {
        let k = self.vertex(face, vert);
        self.tangents[k] = tangent.unwrap_or_default().tangent_encoded();
    }
}

/// A primitive's tangents (xyz, and w the bitangent's sign for a
/// right-handed frame), or `None` when it cannot have them: no texture
/// coordinates or normals for every vertex, or an index out of range.
pub fn tangents(primitive: &Primitive) -> Option<Vec<[f32; 4]>> {
    let n = primitive.positions.len();
    if n == 0 || primitive.normals.len() != n || primitive.uvs.len() != n || primitive.indices.iter().any(|i| *i as usize >= n) {
        return None;
    }
    let mut geometry = Geometry { primitive, tangents: vec![[0.0; 4]; n] };
    bevy_mikktspace::generate_tangents(&mut geometry).ok()?;
    // MikkTSpace encodes a left-handed bitangent sign; glTF's is right-handed.
    for t in &mut geometry.tangents {
        t[3] = -t[3];
    }
    Some(geometry.tangents)
}

impl Model {
    /// Tangents for every primitive whose material has a normal map (and
    /// none for the others); a primitive that cannot have them is drawn
    /// without its normal map.
    pub fn add_tangents(&mut self) {
        for p in &mut self.primitives {
            p.tangents = match p.material.normal_texture {
                Some(_) => tangents(p).unwrap_or_default(),
                None => Vec::new(),
            };
        }
    }
}
