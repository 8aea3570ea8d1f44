//! `KHR_draco_mesh_compression`: a primitive whose geometry lives in one
//! Draco bitstream (a buffer view), with glTF attribute semantics mapped to
//! Draco attribute ids by the extension object.

use draco_core::{DataType, DecoderBuffer, FaceIndex, MeshDecoder, PointAttribute, PointIndex};

use crate::MeshError;

pub(crate) const EXTENSION: &str = "KHR_draco_mesh_compression";

/// Geometry decoded from a Draco primitive, still in glTF axes.
pub(crate) struct DracoGeometry {
    pub positions: Vec<[f32; 3]>,
    pub normals: Option<Vec<[f32; 3]>>,
    pub uvs: Option<Vec<[f32; 2]>>,
    pub indices: Vec<u32>,
}

/// The bufferView and attribute ids of a primitive's Draco extension object.
pub(crate) struct DracoRef {
    pub buffer_view: usize,
    pub position: u32,
    pub normal: Option<u32>,
    pub texcoord: Option<u32>,
}

pub(crate) fn parse_extension(value: &serde_json::Value, mesh: usize) -> Result<DracoRef, MeshError> {
    let bad = |why: &str| MeshError::Invalid(format!("mesh {mesh}: {EXTENSION}: {why}"));
    let buffer_view = value.get("bufferView").and_then(|v| v.as_u64()).ok_or_else(|| bad("no bufferView"))? as usize;
    let attributes = value.get("attributes").and_then(|v| v.as_object()).ok_or_else(|| bad("no attributes"))?;
    let id = |name: &str| -> Result<Option<u32>, MeshError> {
        match attributes.get(name) {
            None => Ok(None),
            Some(v) => v.as_u64().and_then(|n| u32::try_from(n).ok()).map(Some).ok_or_else(|| bad(&format!("attribute {name} is not an id"))),
        }
    };
    Ok(DracoRef {
        buffer_view,
        position: id("POSITION")?.ok_or_else(|| bad("no POSITION attribute"))?,
        normal: id("NORMAL")?,
        texcoord: id("TEXCOORD_0")?,
    })
}

/// Decodes one Draco bitstream into triangles.
pub(crate) fn decode(bytes: &[u8], reference: &DracoRef, mesh_index: usize) -> Result<DracoGeometry, MeshError> {
    let bad = |why: String| MeshError::Invalid(format!("mesh {mesh_index}: Draco: {why}"));
    let mut mesh = draco_core::Mesh::new();
    MeshDecoder::new().decode(&mut DecoderBuffer::new(bytes), &mut mesh).map_err(|e| bad(e.to_string()))?;
    let points = mesh.num_points();
    let attribute = |id: u32| mesh.attribute_by_unique_id(id).ok_or_else(|| bad(format!("attribute id {id} is not in the bitstream")));
    let positions = read_floats::<3>(attribute(reference.position)?, points).map_err(|e| bad(format!("POSITION: {e}")))?;
    let normals = match reference.normal {
        Some(id) => Some(read_floats::<3>(attribute(id)?, points).map_err(|e| bad(format!("NORMAL: {e}")))?),
        None => None,
    };
    let uvs = match reference.texcoord {
        Some(id) => Some(read_floats::<2>(attribute(id)?, points).map_err(|e| bad(format!("TEXCOORD_0: {e}")))?),
        None => None,
    };
    let mut indices = Vec::with_capacity(mesh.num_faces() * 3);
    for f in 0..mesh.num_faces() {
        let face = mesh.face(FaceIndex(f as u32));
        for PointIndex(p) in face {
            if p as usize >= points {
                return Err(bad(format!("face {f} names point {p} of {points}")));
            }
            indices.push(p);
        }
    }
    Ok(DracoGeometry { positions, normals, uvs, indices })
}

/// Each point's value of a float attribute with N components.
fn read_floats<const N: usize>(attribute: &PointAttribute, points: usize) -> Result<Vec<[f32; N]>, String> {
    if attribute.data_type() != DataType::Float32 {
        return Err(format!("decoded as {:?}, only float32 is read", attribute.data_type()));
    }
    if (attribute.num_components() as usize) < N {
        return Err(format!("{} components, {N} needed", attribute.num_components()));
    }
    let data = attribute.buffer().data();
    let stride = usize::try_from(attribute.byte_stride()).map_err(|_| "negative stride".to_owned())?;
    let mut out = Vec::with_capacity(points);
    for p in 0..points {
        let value = attribute.mapped_index(PointIndex(p as u32)).0 as usize;
        // A decoded attribute owns its buffer: values start at byte 0.
        let start = value * stride;
        let bytes = data.get(start..start + 4 * N).ok_or_else(|| format!("point {p} reads past the decoded values"))?;
        out.push(std::array::from_fn(|k| f32::from_le_bytes([bytes[4 * k], bytes[4 * k + 1], bytes[4 * k + 2], bytes[4 * k + 3]])));
    }
    Ok(out)
}
