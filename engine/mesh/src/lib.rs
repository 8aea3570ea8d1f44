//! A glTF 2.0 binary (GLB) model as plain data: triangles with normals and
//! texture coordinates in ENU axes (glTF's +Y up becomes up, its +Z becomes
//! south), node transforms applied, PBR material factors and decoded
//! textures (base colour, normal, occlusion), and the model's bounds.
//!
//! The container is checked before the glTF parser sees it (magic, version,
//! chunk lengths against the file), and every accessor is bounds-checked by
//! the parser's validation, so a broken file is an error naming the problem.

use std::collections::HashMap;

use gltf::json::validation::Validate;

mod draco;
mod wire;
mod obj;
mod tangents;
mod top;

pub use obj::{read_obj, read_obj_with};
pub use tangents::tangents;
pub use top::{Pose, TopSurface, bounds_of, placed_bounds};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MeshError {
    #[error("not a GLB file: the first bytes are not \"glTF\"")]
    BadMagic,
    #[error("GLB version {0}: only version 2 is read")]
    Version(u32),
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("requires the glTF extension {0}, which this version cannot decode (export the model without it)")]
    UnsupportedExtension(String),
    #[error("invalid glTF: {0}")]
    Invalid(String),
    #[error("texture {index}: {why}")]
    Texture { index: usize, why: String },
    #[error("the model has no triangles")]
    Empty,
    #[error("{0}")]
    Io(String),
    #[error("\"{0}\" files are not a mesh format this version reads (.glb, .obj)")]
    UnknownFormat(String),
}

/// A decoded texture, RGBA8.
#[derive(Clone, Debug, PartialEq)]
pub struct Texture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Material {
    pub base_color: [f32; 4],
    pub metallic: f32,
    pub roughness: f32,
    /// Indices into [`Model::textures`].
    pub base_color_texture: Option<usize>,
    pub normal_texture: Option<usize>,
    pub occlusion_texture: Option<usize>,
    pub double_sided: bool,
}

/// Triangles sharing one material, in ENU metres of the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Primitive {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    /// Per vertex, for a normal-mapped material ([`Model::add_tangents`]);
    /// empty otherwise.
    pub tangents: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
    pub material: Material,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub primitives: Vec<Primitive>,
    pub textures: Vec<Texture>,
    /// Bounds of every vertex, ENU.
    pub min: [f32; 3],
    pub max: [f32; 3],
}

impl Model {
    pub fn triangle_count(&self) -> usize {
        self.primitives.iter().map(|p| p.indices.len() / 3).sum()
    }

    /// The centre of the bounds' base: where a model stands.
    pub fn base_centre(&self) -> [f32; 3] {
        [(self.min[0] + self.max[0]) / 2.0, (self.min[1] + self.max[1]) / 2.0, self.min[2]]
    }
}

/// Extensions whose absence only loses looks, never geometry.
const TOLERATED: &[&str] = &["KHR_materials_emissive_strength", "KHR_texture_transform", "KHR_materials_unlit"];

/// Required extensions this crate decodes itself.
const DECODED: &[&str] = &[draco::EXTENSION, KTX2_EXTENSION];

/// Textures as KTX2 files with Basis Universal payloads.
const KTX2_EXTENSION: &str = "KHR_texture_basisu";

/// Largest texture side read, in texels (what GPUs sample): at most 1 GiB
/// of RGBA8 for one texture.
pub const MAX_TEXTURE_SIDE: u32 = 16_384;

/// Refuses texture sizes past the cap before anything is allocated for them.
fn check_texture_size(width: u32, height: u32, fields: (&str, &str)) -> Result<(), String> {
    for (value, field) in [(width, fields.0), (height, fields.1)] {
        if value == 0 || value > MAX_TEXTURE_SIDE {
            return Err(format!("{field} {value} is outside 1 to {MAX_TEXTURE_SIDE} texels"));
        }
    }
    Ok(())
}

/// Decodes a KTX2 texture (Basis Universal UASTC or ETC1S) to RGBA8.
pub fn decode_ktx2(bytes: &[u8]) -> Result<Texture, String> {
    // The header's size is checked first: the transcoder sizes its output by it.
    let word = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(pixel_width), Some(pixel_height)) = (word(20), word(24)) else {
        return Err(format!("KTX2 texture of {} bytes is shorter than its header", bytes.len()));
    };
    check_texture_size(pixel_width, pixel_height.max(1), ("KTX2 pixelWidth", "KTX2 pixelHeight"))?;
    let transcoder = basisu::Transcoder::new(bytes).map_err(|e| format!("not a readable KTX2 Basis Universal texture: {e:?}"))?;
    let (width, height) = transcoder.base_dimensions();
    check_texture_size(width, height, ("KTX2 width", "KTX2 height"))?;
    let rgba = transcoder
        .transcode(0, basisu::TargetFormat::Rgba32, basisu::DecodeFlags::NONE)
        .map_err(|e| format!("KTX2 texture cannot be transcoded: {e:?}"))?;
    if u64::try_from(rgba.len()).ok() != Some(u64::from(width) * u64::from(height) * 4) {
        return Err(format!("KTX2 texture gave {} bytes for {width} × {height} texels", rgba.len()));
    }
    Ok(Texture { width, height, rgba })
}

/// Decodes an image file's bytes to RGBA8: KTX2 (Basis Universal), PNG or JPEG.
pub(crate) fn decode_texture(bytes: &[u8]) -> Result<Texture, String> {
    if is_ktx2(bytes) {
        return decode_ktx2(bytes);
    }
    let rgba = image::load_from_memory(bytes).map_err(|e| e.to_string())?.to_rgba8();
    Ok(Texture {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Whether bytes start with the KTX2 identifier.
fn is_ktx2(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB])
}

/// Checks the GLB container: header, then JSON and BIN chunk lengths.
fn check_container(bytes: &[u8]) -> Result<(), MeshError> {
    if bytes.len() < 12 || &bytes[0..4] != b"glTF" {
        return Err(if bytes.len() >= 4 && &bytes[0..4] != b"glTF" { MeshError::BadMagic } else { MeshError::Truncated(format!("{} bytes, a GLB header has 12", bytes.len())) });
    }
    let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(4);
    if version != 2 {
        return Err(MeshError::Version(version));
    }
    // In u64: on 32-bit targets (wasm32) position + chunkLength wraps usize.
    let file_len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let declared = u64::from(word(8));
    if declared < 12 {
        // gltf subtracts the header's 12 bytes from it unchecked.
        return Err(MeshError::Truncated(format!("the header's length {declared} is less than the 12-byte header")));
    }
    if declared > file_len {
        return Err(MeshError::Truncated(format!("the header's length {declared} is more than the file's {file_len} bytes")));
    }
    let mut at = 12u64;
    while at + 8 <= declared {
        // at + 8 <= declared <= bytes.len(), so the word lies in the file.
        let length = u64::from(word(at as usize));
        let end = at + 8 + length;
        if end > declared {
            return Err(MeshError::Truncated(format!(
                "the chunk at byte {at} has chunkLength {length}, past the header's length of {declared} bytes"
            )));
        }
        at = end;
    }
    Ok(())
}

/// Reads a mesh file by its extension (errors name other files the mesh
/// refers to, not the mesh file itself, which the caller knows): binary glTF (`.glb`) or Wavefront
/// OBJ with its MTL (`.obj`).
pub fn read_file(path: &std::path::Path) -> Result<Model, MeshError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("glb") => {
            let bytes = std::fs::read(path).map_err(|e| MeshError::Io(e.to_string()))?;
            read_glb(&bytes)
        }
        Some("obj") => read_obj(path),
        other => Err(MeshError::UnknownFormat(other.unwrap_or_default().to_owned())),
    }
}

/// Per-vertex normals from the triangles around each vertex, weighted by
/// area: for files that carry none.
pub(crate) fn smooth_normals(positions: &[[f32; 3]], indices: &[u32]) -> Vec<[f32; 3]> {
    let mut sums = vec![[0.0f32; 3]; positions.len()];
    for t in indices.chunks_exact(3) {
        let [a, b, c] = [0, 1, 2].map(|k| positions[t[k] as usize]);
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
        for &i in t {
            for k in 0..3 {
                sums[i as usize][k] += n[k];
            }
        }
    }
    sums.into_iter()
        .map(|n| {
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            if len > 0.0 { n.map(|c| c / len) } else { [0.0, 0.0, 1.0] }
        })
        .collect()
}

/// Bounds of every vertex.
pub(crate) fn bounds(primitives: &[Primitive]) -> ([f32; 3], [f32; 3]) {
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    for p in primitives.iter().flat_map(|p| &p.positions) {
        for k in 0..3 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    (min, max)
}

/// glTF (+X right, +Y up, +Z toward the viewer) to ENU.
fn to_enu(p: [f32; 3]) -> [f32; 3] {
    [p[0], -p[2], p[1]]
}

fn transform_point(m: &[[f32; 4]; 4], p: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|r| m[0][r] * p[0] + m[1][r] * p[1] + m[2][r] * p[2] + m[3][r])
}

fn transform_normal(m: &[[f32; 4]; 4], n: [f32; 3]) -> [f32; 3] {
    // Fine for rotation and uniform scale, which is what scans carry.
    let v = [0, 1, 2].map(|r| m[0][r] * n[0] + m[1][r] * n[1] + m[2][r] * n[2]);
    let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
    v.map(|c| c / len)
}

fn multiply(a: &[[f32; 4]; 4], b: &[[f32; 4]; 4]) -> [[f32; 4]; 4] {
    let mut out = [[0.0; 4]; 4];
    for (c, column) in out.iter_mut().enumerate() {
        for (r, cell) in column.iter_mut().enumerate() {
            *cell = (0..4).map(|k| a[k][r] * b[c][k]).sum();
        }
    }
    out
}

/// An accessor's elements must lie inside its buffer view, and the view inside its buffer.
fn check_accessor(accessor: &gltf::Accessor<'_>, buffers: &[gltf::buffer::Data]) -> Result<(), MeshError> {
    let Some(view) = accessor.view() else {
        return Err(MeshError::Invalid(format!("accessor {} has no buffer view (sparse-only accessors are not read)", accessor.index())));
    };
    let buffer_len = buffers.get(view.buffer().index()).map_or(0, |b| b.0.len());
    view_range(&view, buffer_len).map_err(MeshError::Invalid)?;
    // gltf's reader takes the sparse path, unchecked, whenever there is one.
    if accessor.sparse().is_some() {
        return Err(MeshError::Invalid(format!("accessor {} is sparse (sparse accessors are not read)", accessor.index())));
    }
    // gltf's reader computes count - 1.
    if accessor.count() == 0 {
        return Err(MeshError::Invalid(format!("accessor {} has count 0", accessor.index())));
    }
    // File-supplied sizes: every step checked, so a forged one is an error, never a wrap.
    let element = accessor.size();
    let stride = view.stride().unwrap_or(element);
    if stride < element {
        // gltf's reader would read each element from a stride-long slice.
        return Err(MeshError::Invalid(format!(
            "accessor {}: buffer view {} has byteStride {stride}, less than its {element}-byte elements",
            accessor.index(),
            view.index()
        )));
    }
    let needed = match accessor.count().checked_sub(1) {
        None => Some(0),
        Some(last) => last.checked_mul(stride).and_then(|n| n.checked_add(accessor.offset())).and_then(|n| n.checked_add(element)),
    };
    match needed {
        Some(needed) if needed <= view.length() => Ok(()),
        Some(needed) => Err(MeshError::Invalid(format!(
            "accessor {} needs {needed} bytes of buffer view {}, which has {}",
            accessor.index(),
            view.index(),
            view.length()
        ))),
        None => Err(MeshError::Invalid(format!(
            "accessor {}: byteOffset {} + (count {} - 1) × byteStride {stride} + {element} overflows",
            accessor.index(),
            accessor.offset(),
            accessor.count()
        ))),
    }
}

/// The bytes a buffer view covers, checked against its buffer of `buffer_len` bytes.
fn view_range(view: &gltf::buffer::View<'_>, buffer_len: usize) -> Result<std::ops::Range<usize>, String> {
    let (offset, length) = (view.offset(), view.length());
    match offset.checked_add(length) {
        Some(end) if end <= buffer_len => Ok(offset..end),
        Some(end) => Err(format!("buffer view {} ends at byte {end}, past its buffer of {buffer_len} bytes", view.index())),
        None => Err(format!("buffer view {}: byteOffset {offset} + byteLength {length} overflows", view.index())),
    }
}

type Attributes = (Vec<[f32; 3]>, Vec<[f32; 3]>, Vec<[f32; 2]>, Vec<u32>);

/// Positions, normals, texture coordinates and indices of a primitive stored
/// in plain accessors, in glTF axes.
fn read_plain(primitive: &gltf::Primitive<'_>, buffers: &[gltf::buffer::Data], mesh: usize) -> Result<Attributes, MeshError> {
    for (_, accessor) in primitive.attributes() {
        check_accessor(&accessor, buffers)?;
    }
    if let Some(accessor) = primitive.indices() {
        check_accessor(&accessor, buffers)?;
    }
    check_layout(primitive, mesh)?;
    let reader = primitive.reader(|b| buffers.get(b.index()).map(|d| &d.0[..]));
    let positions: Vec<[f32; 3]> = reader
        .read_positions()
        .ok_or_else(|| MeshError::Invalid(format!("mesh {mesh}: a primitive has no readable POSITION")))?
        .collect();
    let uvs = match reader.read_tex_coords(0) {
        Some(t) => t.into_f32().collect(),
        None => vec![[0.0, 0.0]; positions.len()],
    };
    let indices: Vec<u32> = match reader.read_indices() {
        Some(i) => i.into_u32().collect(),
        None => (0..positions.len() as u32).collect(),
    };
    if let Some(bad) = indices.iter().find(|&&i| i as usize >= positions.len()) {
        return Err(MeshError::Invalid(format!("mesh {mesh}: index {bad} past {} vertices", positions.len())));
    }
    let normals = match reader.read_normals() {
        Some(n) => n.collect(),
        None => smooth_normals(&positions, &indices),
    };
    Ok((positions, normals, uvs, indices))
}

/// The accessors read_plain reads must have the component types and
/// dimensions gltf's reader expects of them: it has no arm for others
/// (`unreachable!`) or reads them with the wrong element size.
fn check_layout(primitive: &gltf::Primitive<'_>, mesh: usize) -> Result<(), MeshError> {
    use gltf::accessor::{DataType, Dimensions};
    use gltf::mesh::Semantic;
    let float = &[DataType::F32][..];
    let expected = [
        ("indices", primitive.indices(), &[DataType::U8, DataType::U16, DataType::U32][..], Dimensions::Scalar),
        ("POSITION", primitive.get(&Semantic::Positions), float, Dimensions::Vec3),
        ("NORMAL", primitive.get(&Semantic::Normals), float, Dimensions::Vec3),
        ("TEXCOORD_0", primitive.get(&Semantic::TexCoords(0)), &[DataType::U8, DataType::U16, DataType::F32][..], Dimensions::Vec2),
    ];
    for (what, accessor, types, dimensions) in expected {
        let Some(accessor) = accessor else { continue };
        let (data_type, found) = (accessor.data_type(), accessor.dimensions());
        if !types.contains(&data_type) || found != dimensions {
            let names = |t: &[DataType]| t.iter().map(|t| t.as_gl_enum().to_string()).collect::<Vec<_>>().join(" or ");
            return Err(MeshError::Invalid(format!(
                "mesh {mesh}: the {what} accessor {} has componentType {} type {}; {what} must be componentType {} type {}",
                accessor.index(),
                data_type.as_gl_enum(),
                format!("{found:?}").to_uppercase(),
                names(types),
                format!("{dimensions:?}").to_uppercase()
            )));
        }
    }
    Ok(())
}

/// Positions, normals, texture coordinates and indices of a Draco primitive
/// (indices checked by the decoder), in glTF axes.
fn read_draco(extension: &serde_json::Value, document: &gltf::Document, buffers: &[gltf::buffer::Data], mesh: usize) -> Result<Attributes, MeshError> {
    let reference = draco::parse_extension(extension, mesh)?;
    let view = document
        .views()
        .nth(reference.buffer_view)
        .ok_or_else(|| MeshError::Invalid(format!("mesh {mesh}: Draco buffer view {} does not exist", reference.buffer_view)))?;
    let buffer = buffers.get(view.buffer().index()).map_or(&[][..], |b| &b.0[..]);
    let range = view_range(&view, buffer.len()).map_err(|e| MeshError::Invalid(format!("mesh {mesh}: Draco {e}")))?;
    let bytes = &buffer[range];
    let geometry = draco::decode(bytes, &reference, mesh)?;
    let count = geometry.positions.len();
    let normals = geometry.normals.unwrap_or_else(|| smooth_normals(&geometry.positions, &geometry.indices));
    Ok((geometry.positions, normals, geometry.uvs.unwrap_or_else(|| vec![[0.0, 0.0]; count]), geometry.indices))
}

/// gltf-json's validation indexes the accessor list with a primitive's
/// attribute, index and morph-target numbers unchecked (a panic on a forged
/// file): check them first.
fn check_primitive_accessors(root: &gltf::json::Root) -> Result<(), MeshError> {
    let count = root.accessors.len();
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, primitive) in mesh.primitives.iter().enumerate() {
            let targets = primitive.targets.iter().flatten().flat_map(|t| [t.positions, t.normals, t.tangents]).flatten();
            let used = primitive.attributes.values().copied().chain(primitive.indices).chain(targets);
            if let Some(bad) = used.map(|a| a.value()).find(|&a| a >= count) {
                return Err(MeshError::Invalid(format!(
                    "meshes[{m}].primitives[{p}] names accessor {bad}, but the file has {count}"
                )));
            }
        }
    }
    Ok(())
}

/// Reads a GLB file's bytes.
pub fn read_glb(bytes: &[u8]) -> Result<Model, MeshError> {
    check_container(bytes)?;
    let gltf = gltf::Gltf::from_slice_without_validation(bytes).map_err(|e| MeshError::Invalid(e.to_string()))?;
    for ext in gltf.extensions_required() {
        if !TOLERATED.contains(&ext) && !DECODED.contains(&ext) {
            return Err(MeshError::UnsupportedExtension(ext.to_owned()));
        }
    }
    // The parser's validation, less its refusal of the extensions decoded here.
    let root = gltf.document.as_json();
    check_primitive_accessors(root)?;
    let uses_draco = root.extensions_used.iter().any(|e| e == draco::EXTENSION);
    let mut problems = Vec::new();
    root.validate(root, gltf::json::Path::new, &mut |path, error| {
        let path = path().to_string();
        let decoded_here = path.starts_with("extensionsRequired") && matches!(error, gltf::json::validation::Error::Unsupported);
        // Draco primitives' accessors carry no buffer view; plain primitives
        // are checked for one when read (check_accessor).
        let draco_accessor = uses_draco && path.starts_with("accessors[") && path.ends_with("].bufferView") && matches!(error, gltf::json::validation::Error::Missing);
        if !decoded_here && !draco_accessor {
            problems.push(format!("{path}: {error}"));
        }
    });
    if !problems.is_empty() {
        return Err(MeshError::Invalid(problems.join("; ")));
    }
    let gltf::Gltf { document, blob } = gltf;
    let buffers = gltf::import_buffers(&document, None, blob).map_err(|e| MeshError::Invalid(e.to_string()))?;
    // Textures: decoded once each, by image index.
    let mut textures = Vec::new();
    let mut texture_of_image: HashMap<usize, usize> = HashMap::new();
    let mut texture = |index: usize, tex: gltf::Texture<'_>| -> Result<usize, MeshError> {
        // The KTX2 image when the texture has one (KHR_texture_basisu), else its plain image.
        let basisu_source = tex.extension_value(KTX2_EXTENSION).and_then(|e| e.get("source")).and_then(|s| s.as_u64());
        let image = match basisu_source {
            Some(i) => document.images().nth(i as usize),
            None => tex.source(),
        }
        .ok_or_else(|| MeshError::Texture { index, why: format!("texture {} names no image", tex.index()) })?;
        if let Some(&t) = texture_of_image.get(&image.index()) {
            return Ok(t);
        }
        // gltf's Image::source unwraps a view's mimeType, and a uri when there is no view.
        let json = document.as_json().images.get(image.index());
        match json.map(|j| (j.buffer_view.is_some(), j.mime_type.is_some(), j.uri.is_some())) {
            Some((true, true, _) | (false, _, true)) => {}
            Some((true, false, _)) => return Err(MeshError::Texture { index, why: format!("image {} has a bufferView but no mimeType", image.index()) }),
            Some((false, _, false)) | None => return Err(MeshError::Texture { index, why: format!("image {} has neither a bufferView nor a uri", image.index()) }),
        }
        let data: &[u8] = match image.source() {
            gltf::image::Source::View { view, .. } => {
                let buffer = buffers.get(view.buffer().index()).ok_or_else(|| MeshError::Texture { index, why: "buffer missing".into() })?;
                let range = view_range(&view, buffer.0.len()).map_err(|e| MeshError::Texture { index, why: format!("image {}: {e}", image.index()) })?;
                &buffer.0[range]
            }
            gltf::image::Source::Uri { .. } => return Err(MeshError::Texture { index, why: "external image files are not read from a GLB".into() }),
        };
        let decoded = decode_texture(data).map_err(|why| MeshError::Texture { index, why })?;
        textures.push(decoded);
        texture_of_image.insert(image.index(), textures.len() - 1);
        Ok(textures.len() - 1)
    };

    let mut primitives = Vec::new();
    let scene = document.default_scene().or_else(|| document.scenes().next()).ok_or(MeshError::Empty)?;
    let identity = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
    let mut stack: Vec<(gltf::Node<'_>, [[f32; 4]; 4])> = scene.nodes().map(|n| (n, identity)).collect();
    let mut visited = 0usize;
    while let Some((node, parent)) = stack.pop() {
        visited += 1;
        if visited > 100_000 {
            return Err(MeshError::Invalid("the node hierarchy does not end (a cycle?)".into()));
        }
        let world = multiply(&parent, &node.transform().matrix());
        for child in node.children() {
            stack.push((child, world));
        }
        let Some(mesh) = node.mesh() else { continue };
        for primitive in mesh.primitives() {
            if primitive.mode() != gltf::mesh::Mode::Triangles {
                continue;
            }
            let (positions, normals, uvs, indices) = match primitive.extension_value(draco::EXTENSION) {
                Some(extension) => read_draco(extension, &document, &buffers, mesh.index())?,
                None => read_plain(&primitive, &buffers, mesh.index())?,
            };
            let positions: Vec<[f32; 3]> = positions.into_iter().map(|p| to_enu(transform_point(&world, p))).collect();
            let normals: Vec<[f32; 3]> = normals.into_iter().map(|n| to_enu(transform_normal(&world, n))).collect();
            if normals.len() != positions.len() || uvs.len() != positions.len() {
                return Err(MeshError::Invalid(format!("mesh {}: attribute counts differ", mesh.index())));
            }
            let m = primitive.material();
            let pbr = m.pbr_metallic_roughness();
            let material = Material {
                base_color: pbr.base_color_factor(),
                metallic: pbr.metallic_factor(),
                roughness: pbr.roughness_factor(),
                base_color_texture: pbr.base_color_texture().map(|t| texture(0, t.texture())).transpose()?,
                normal_texture: m.normal_texture().map(|t| texture(1, t.texture())).transpose()?,
                occlusion_texture: m.occlusion_texture().map(|t| texture(2, t.texture())).transpose()?,
                double_sided: m.double_sided(),
            };
            primitives.push(Primitive {
                positions,
                normals,
                uvs,
                tangents: Vec::new(),
                indices,
                material,
            });
        }
    }
    if primitives.iter().all(|p| p.indices.is_empty()) {
        return Err(MeshError::Empty);
    }
    let (min, max) = bounds(&primitives);
    let mut model = Model { primitives, textures, min, max };
    model.add_tangents();
    Ok(model)
}

#[cfg(test)]
mod tests;
