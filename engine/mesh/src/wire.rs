//! A [`Model`] as bytes: how a decoded model crosses from a Web Worker
//! (which decoded the GLB, Draco and textures included) to the page's main
//! thread, which only uploads it. Little-endian; every count is checked
//! against the bytes there are before anything is allocated.

use crate::{Material, Model, Primitive, Texture};

/// "SMdl", then the format's version: a worker and a page of different
/// builds refuse each other's bytes instead of misreading them.
const MAGIC: [u8; 4] = *b"SMdl";
const VERSION: u32 = 1;
/// A texture index of "none".
const NO_TEXTURE: u32 = u32::MAX;

impl Model {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.byte_size_hint());
        out.extend_from_slice(&MAGIC);
        put_u32(&mut out, VERSION);
        put_u32(&mut out, len32(self.primitives.len()));
        put_u32(&mut out, len32(self.textures.len()));
        put_f32s(&mut out, &self.min);
        put_f32s(&mut out, &self.max);
        for t in &self.textures {
            put_u32(&mut out, t.width);
            put_u32(&mut out, t.height);
            put_u32(&mut out, len32(t.rgba.len()));
            out.extend_from_slice(&t.rgba);
        }
        for p in &self.primitives {
            let m = &p.material;
            put_f32s(&mut out, &m.base_color);
            put_f32s(&mut out, &[m.metallic, m.roughness]);
            for index in [m.base_color_texture, m.normal_texture, m.occlusion_texture] {
                put_u32(&mut out, index.and_then(|i| u32::try_from(i).ok()).unwrap_or(NO_TEXTURE));
            }
            out.push(u8::from(m.double_sided));
            put_u32(&mut out, len32(p.positions.len()));
            put_u32(&mut out, len32(p.normals.len()));
            put_u32(&mut out, len32(p.uvs.len()));
            put_u32(&mut out, len32(p.indices.len()));
            p.positions.iter().for_each(|v| put_f32s(&mut out, v));
            p.normals.iter().for_each(|v| put_f32s(&mut out, v));
            p.uvs.iter().for_each(|v| put_f32s(&mut out, v));
            p.indices.iter().for_each(|i| put_u32(&mut out, *i));
        }
        out
    }

    /// Reads [`Model::to_bytes`]'s form back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, String> {
        let mut r = Reader { rest: bytes };
        if r.take(4, "the magic")? != MAGIC {
            return Err("decoded model: not a model's bytes (bad magic)".to_owned());
        }
        let version = r.u32("the version")?;
        if version != VERSION {
            return Err(format!("decoded model: format version {version}, this build reads {VERSION}"));
        }
        let primitive_count = r.u32("the primitive count")? as usize;
        let texture_count = r.u32("the texture count")? as usize;
        let min = r.f32s::<3>("the bounds")?;
        let max = r.f32s::<3>("the bounds")?;
        // Counts are checked against what the remaining bytes can hold (a
        // texture takes at least 12 bytes, a primitive at least 57).
        r.room_for(texture_count, 12, "textures")?;
        let mut textures = Vec::with_capacity(texture_count);
        for i in 0..texture_count {
            let width = r.u32("a texture's width")?;
            let height = r.u32("a texture's height")?;
            let len = r.u32("a texture's size")? as usize;
            let expected = (width as usize).checked_mul(height as usize).and_then(|n| n.checked_mul(4));
            if expected != Some(len) {
                return Err(format!("decoded model: texture {i} is {width}x{height} but holds {len} bytes"));
            }
            textures.push(Texture { width, height, rgba: r.take(len, "a texture's pixels")?.to_vec() });
        }
        r.room_for(primitive_count, 57, "primitives")?;
        let mut primitives = Vec::with_capacity(primitive_count);
        for k in 0..primitive_count {
            let base_color = r.f32s::<4>("a material")?;
            let [metallic, roughness] = r.f32s::<2>("a material")?;
            let mut texture_index = || -> Result<Option<usize>, String> {
                let i = r.u32("a material's texture")?;
                match i {
                    NO_TEXTURE => Ok(None),
                    i if (i as usize) < texture_count => Ok(Some(i as usize)),
                    i => Err(format!("decoded model: primitive {k} names texture {i} of {texture_count}")),
                }
            };
            let base_color_texture = texture_index()?;
            let normal_texture = texture_index()?;
            let occlusion_texture = texture_index()?;
            let double_sided = match r.take(1, "a material")?[0] {
                0 => false,
                1 => true,
                other => return Err(format!("decoded model: primitive {k}: double-sided flag {other}")),
            };
            let [n_positions, n_normals, n_uvs, n_indices] = [0; 4].map(|_| r.u32("a primitive's sizes").map(|n| n as usize));
            let (n_positions, n_normals, n_uvs, n_indices) = (n_positions?, n_normals?, n_uvs?, n_indices?);
            r.room_for(n_positions, 12, "positions")?;
            let positions = (0..n_positions).map(|_| r.f32s::<3>("positions")).collect::<Result<_, _>>()?;
            r.room_for(n_normals, 12, "normals")?;
            let normals = (0..n_normals).map(|_| r.f32s::<3>("normals")).collect::<Result<_, _>>()?;
            r.room_for(n_uvs, 8, "texture coordinates")?;
            let uvs = (0..n_uvs).map(|_| r.f32s::<2>("texture coordinates")).collect::<Result<_, _>>()?;
            r.room_for(n_indices, 4, "indices")?;
            let indices: Vec<u32> = (0..n_indices).map(|_| r.u32("indices")).collect::<Result<_, _>>()?;
            if let Some(bad) = indices.iter().find(|i| **i as usize >= n_positions) {
                return Err(format!("decoded model: primitive {k} has index {bad} of {n_positions} vertices"));
            }
            primitives.push(Primitive {
                positions,
                normals,
                uvs,
                indices,
                material: Material {
                    base_color,
                    metallic,
                    roughness,
                    base_color_texture,
                    normal_texture,
                    occlusion_texture,
                    double_sided,
                },
            });
        }
        if !r.rest.is_empty() {
            return Err(format!("decoded model: {} bytes after its last primitive", r.rest.len()));
        }
        Ok(Model { primitives, textures, min, max })
    }

    fn byte_size_hint(&self) -> usize {
        let textures: usize = self.textures.iter().map(|t| 12 + t.rgba.len()).sum();
        let primitives: usize = self
            .primitives
            .iter()
            .map(|p| 57 + 12 * p.positions.len() + 12 * p.normals.len() + 8 * p.uvs.len() + 4 * p.indices.len())
            .sum();
        40 + textures + primitives
    }
}

/// Lengths beyond u32 do not occur in a model a worker decoded (its
/// buffers would not fit a browser's memory); clamped, the reader then
/// refuses the bytes rather than misreading them.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_f32s(out: &mut Vec<u8>, values: &[f32]) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!("decoded model: cut short in {what} ({} bytes left, {n} needed)", self.rest.len()));
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32s<const N: usize>(&mut self, what: &str) -> Result<[f32; N], String> {
        let b = self.take(4 * N, what)?;
        Ok(std::array::from_fn(|i| f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])))
    }

    /// Refuses a count whose items, at `min_bytes` each, cannot be there.
    fn room_for(&self, count: usize, min_bytes: usize, what: &str) -> Result<(), String> {
        match count.checked_mul(min_bytes) {
            Some(n) if n <= self.rest.len() => Ok(()),
            _ => Err(format!("decoded model: {count} {what} cannot fit in the {} bytes left", self.rest.len())),
        }
    }
}
