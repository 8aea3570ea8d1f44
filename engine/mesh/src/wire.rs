//! A [`Model`] as bytes: how a decoded model crosses from a Web Worker
//! (which decoded the GLB, Draco and textures included) to the page's main
//! thread, which only uploads it. Little-endian, every count checked
//! ([`sontinh_wire`]).

use sontinh_wire::{Reader, Writer};

use crate::{Material, Model, Primitive, Texture};

/// "SMdl", then the format's version: a worker and a page of different
/// builds refuse each other's bytes instead of misreading them.
const MAGIC: [u8; 4] = *b"SMdl";
const VERSION: u32 = 2;
/// A texture index of "none".
const NO_TEXTURE: u32 = u32::MAX;
/// Least bytes of a texture (its three sizes) and of a primitive (material
/// and five counts).
const TEXTURE_MIN_BYTES: usize = 12;
const PRIMITIVE_MIN_BYTES: usize = 61;

impl Model {
    pub fn to_bytes(&self) -> Vec<u8> {
        let textures: usize = self.textures.iter().map(|t| TEXTURE_MIN_BYTES + t.rgba.len()).sum();
        let primitives: usize = self
            .primitives
            .iter()
            .map(|p| PRIMITIVE_MIN_BYTES + 12 * (p.positions.len() + p.normals.len()) + 8 * p.uvs.len() + 16 * p.tangents.len() + 4 * p.indices.len())
            .sum();
        let mut w = Writer::with_capacity(40 + textures + primitives);
        w.bytes(&MAGIC);
        w.u32(VERSION);
        w.len(self.primitives.len());
        w.len(self.textures.len());
        w.f32s(&self.min);
        w.f32s(&self.max);
        for t in &self.textures {
            w.u32(t.width);
            w.u32(t.height);
            w.len(t.rgba.len());
            w.bytes(&t.rgba);
        }
        for p in &self.primitives {
            let m = &p.material;
            w.f32s(&m.base_color);
            w.f32s(&[m.metallic, m.roughness]);
            for index in [m.base_color_texture, m.normal_texture, m.occlusion_texture] {
                w.u32(index.and_then(|i| u32::try_from(i).ok()).unwrap_or(NO_TEXTURE));
            }
            w.u8(u8::from(m.double_sided));
            for n in [p.positions.len(), p.normals.len(), p.uvs.len(), p.tangents.len(), p.indices.len()] {
                w.len(n);
            }
            w.f32s(p.positions.as_flattened());
            w.f32s(p.normals.as_flattened());
            w.f32s(p.uvs.as_flattened());
            w.f32s(p.tangents.as_flattened());
            w.u32s(&p.indices);
        }
        w.into_bytes()
    }

    /// Reads [`Model::to_bytes`]'s form back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, String> {
        let mut r = Reader::new(bytes, "decoded model");
        if r.take(4, "the magic")? != MAGIC {
            return Err(r.error("not a model's bytes (bad magic)"));
        }
        let version = r.u32("the version")?;
        if version != VERSION {
            return Err(r.error(format_args!("format version {version}, this build reads {VERSION}")));
        }
        let primitive_count = r.len("the primitive count")?;
        let texture_count = r.len("the texture count")?;
        let min = r.f32s::<3>("the bounds")?;
        let max = r.f32s::<3>("the bounds")?;
        r.room_for(texture_count, TEXTURE_MIN_BYTES, "textures")?;
        let mut textures = Vec::with_capacity(texture_count);
        for i in 0..texture_count {
            let width = r.u32("a texture's width")?;
            let height = r.u32("a texture's height")?;
            let len = r.len("a texture's size")?;
            let expected = (width as usize).checked_mul(height as usize).and_then(|n| n.checked_mul(4));
            if expected != Some(len) {
                return Err(r.error(format_args!("texture {i} is {width}x{height} but holds {len} bytes")));
            }
            textures.push(Texture { width, height, rgba: r.take(len, "a texture's pixels")?.to_vec() });
        }
        r.room_for(primitive_count, PRIMITIVE_MIN_BYTES, "primitives")?;
        let mut primitives = Vec::with_capacity(primitive_count);
        for k in 0..primitive_count {
            let base_color = r.f32s::<4>("a material")?;
            let [metallic, roughness] = r.f32s::<2>("a material")?;
            let mut textures_named = [None; 3];
            for slot in &mut textures_named {
                *slot = match r.u32("a material's texture")? {
                    NO_TEXTURE => None,
                    i if (i as usize) < texture_count => Some(i as usize),
                    i => return Err(r.error(format_args!("primitive {k} names texture {i} of {texture_count}"))),
                };
            }
            let [base_color_texture, normal_texture, occlusion_texture] = textures_named;
            let double_sided = match r.u8("a material")? {
                0 => false,
                1 => true,
                other => return Err(r.error(format_args!("primitive {k}: double-sided flag {other}"))),
            };
            let (n_positions, n_normals) = (r.len("a primitive's sizes")?, r.len("a primitive's sizes")?);
            let (n_uvs, n_tangents) = (r.len("a primitive's sizes")?, r.len("a primitive's sizes")?);
            let n_indices = r.len("a primitive's sizes")?;
            let positions = r.f32_arrays::<3>(n_positions, "positions")?;
            let normals = r.f32_arrays::<3>(n_normals, "normals")?;
            let uvs = r.f32_arrays::<2>(n_uvs, "texture coordinates")?;
            let tangents = r.f32_arrays::<4>(n_tangents, "tangents")?;
            if !tangents.is_empty() && n_tangents != n_positions {
                return Err(r.error(format_args!("primitive {k} has {n_tangents} tangents for {n_positions} vertices")));
            }
            let indices = r.u32s(n_indices, "indices")?;
            if let Some(bad) = indices.iter().find(|i| **i as usize >= n_positions) {
                return Err(r.error(format_args!("primitive {k} has index {bad} of {n_positions} vertices")));
            }
            primitives.push(Primitive {
                positions,
                normals,
                uvs,
                tangents,
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
        r.finish("its last primitive")?;
        Ok(Model { primitives, textures, min, max })
    }
}
