//! Tile content: b3dm (a glb with feature and batch tables), pnts (points
//! with their feature table) and glb, each checked against its own lengths.

use std::path::Path;

use serde::Deserialize;
use sontinh_mesh::Model;

use crate::TilesError;

/// Points of a pnts tile, in tile coordinates (RTC centre applied).
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    pub positions: Vec<[f64; 3]>,
    /// RGBA; white when the tile has no colours.
    pub colors: Vec<[u8; 4]>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// A mesh in tile coordinates (Z up), moved by the RTC centre when there is one.
    Model {
        model: Box<Model>,
        rtc_center: [f64; 3],
        /// Batch table property names (b3dm), for picking and styling.
        batch_properties: Vec<String>,
        batch_length: usize,
    },
    Points(Points),
}

impl Content {
    /// Memory the decoded content takes once drawn: vertices (position,
    /// normal, texture coordinate: 32 bytes), indices, RGBA textures;
    /// points at 28 bytes (position and linear colour). What the memory
    /// budget counts.
    pub fn decoded_bytes(&self) -> usize {
        match self {
            Content::Model { model, .. } => {
                model.primitives.iter().map(|p| p.positions.len() * 32 + p.indices.len() * 4).sum::<usize>()
                    + model.textures.iter().map(|t| t.rgba.len()).sum::<usize>()
            }
            Content::Points(points) => points.positions.len() * 28,
        }
    }
}

fn err(path: &Path, why: impl Into<String>) -> TilesError {
    TilesError::Content {
        path: path.display().to_string(),
        why: why.into(),
    }
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    bytes.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// The header's four table length fields, in order.
const TABLE_FIELDS: [&str; 4] = ["featureTableJSONByteLength", "featureTableBinaryByteLength", "batchTableJSONByteLength", "batchTableBinaryByteLength"];

/// The four table lengths after a 28-byte b3dm/pnts header, checked against the file.
fn tables(path: &Path, bytes: &[u8], magic: &[u8; 4]) -> Result<[usize; 4], TilesError> {
    if bytes.len() < 28 || &bytes[0..4] != magic {
        return Err(err(path, format!("not a {} tile (bad magic or header)", String::from_utf8_lossy(magic))));
    }
    // Sums in u64: four u32 lengths wrap a 32-bit usize (wasm32).
    let word = |at: usize| u64::from(u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]));
    let declared = word(8);
    let file_len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if declared > file_len {
        return Err(err(path, format!("truncated: the header's byteLength is {declared}, the file has {file_len} bytes")));
    }
    let mut end = 28u64;
    let mut t = [0usize; 4];
    for (k, field) in TABLE_FIELDS.iter().enumerate() {
        let length = word(12 + 4 * k);
        end += length;
        if end > declared {
            return Err(err(path, format!("{field} {length} runs past the tile's byteLength of {declared} bytes")));
        }
        // Within the file, so it fits a usize.
        t[k] = usize::try_from(length).map_err(|_| err(path, format!("{field} {length} does not fit in memory")))?;
    }
    Ok(t)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct FeatureTable {
    #[serde(default)]
    rtc_center: Option<[f64; 3]>,
    #[serde(default)]
    batch_length: Option<usize>,
    #[serde(default)]
    points_length: Option<usize>,
    #[serde(default)]
    position: Option<Ref>,
    #[serde(default)]
    position_quantized: Option<Ref>,
    #[serde(default)]
    quantized_volume_offset: Option<[f64; 3]>,
    #[serde(default)]
    quantized_volume_scale: Option<[f64; 3]>,
    #[serde(default)]
    rgb: Option<Ref>,
    #[serde(default)]
    rgba: Option<Ref>,
    #[serde(default)]
    constant_rgba: Option<[u8; 4]>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct Ref {
    byte_offset: usize,
}

/// Points at most per tile, against absurd headers.
pub const MAX_POINTS: usize = 50_000_000;

/// Reads a tile's content file from disk.
pub fn read_content(path: &Path) -> Result<Content, TilesError> {
    read_content_from(&crate::FileSource, path)
}

/// Reads a tile's content from `source`.
pub fn read_content_from(source: &dyn crate::TileSource, path: &Path) -> Result<Content, TilesError> {
    let bytes = source.read(path).map_err(|e| err(path, e))?;
    match bytes.get(0..4) {
        Some(b"b3dm") => read_b3dm(path, &bytes),
        Some(b"pnts") => read_pnts(path, &bytes),
        Some(b"glTF") => Ok(Content::Model {
            model: Box::new(sontinh_mesh::read_glb(&bytes).map_err(|e| err(path, e.to_string()))?),
            rtc_center: [0.0; 3],
            batch_properties: Vec::new(),
            batch_length: 0,
        }),
        Some(b"i3dm") | Some(b"cmpt") => Err(err(path, "instanced (i3dm) and composite (cmpt) tiles are not read by this version")),
        _ => Err(err(path, "unknown tile content (expected b3dm, pnts or glb)")),
    }
}

fn read_b3dm(path: &Path, bytes: &[u8]) -> Result<Content, TilesError> {
    let [ft_json, ft_bin, bt_json, bt_bin] = tables(path, bytes, b"b3dm")?;
    let feature: FeatureTable = if ft_json > 0 {
        serde_json::from_slice(&bytes[28..28 + ft_json]).map_err(|e| err(path, format!("feature table: {e}")))?
    } else {
        FeatureTable::default()
    };
    let bt_start = 28 + ft_json + ft_bin;
    let batch_properties: Vec<String> = if bt_json > 0 {
        let v: serde_json::Value = serde_json::from_slice(&bytes[bt_start..bt_start + bt_json]).map_err(|e| err(path, format!("batch table: {e}")))?;
        v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    } else {
        Vec::new()
    };
    let glb = &bytes[bt_start + bt_json + bt_bin..u32_at(bytes, 8)];
    let model = sontinh_mesh::read_glb(glb).map_err(|e| err(path, format!("embedded glb: {e}")))?;
    Ok(Content::Model {
        model: Box::new(model),
        rtc_center: feature.rtc_center.unwrap_or([0.0; 3]),
        batch_properties,
        batch_length: feature.batch_length.unwrap_or(0),
    })
}

fn read_pnts(path: &Path, bytes: &[u8]) -> Result<Content, TilesError> {
    let [ft_json, ft_bin, _, _] = tables(path, bytes, b"pnts")?;
    let feature: FeatureTable = serde_json::from_slice(&bytes[28..28 + ft_json]).map_err(|e| err(path, format!("feature table: {e}")))?;
    let n = feature.points_length.ok_or_else(|| err(path, "no POINTS_LENGTH"))?;
    if n > MAX_POINTS {
        return Err(err(path, format!("POINTS_LENGTH {n} is more than {MAX_POINTS}")));
    }
    let binary = &bytes[28 + ft_json..28 + ft_json + ft_bin];
    let slice = |r: Ref, size: usize, what: &str| -> Result<&[u8], TilesError> {
        binary
            .get(r.byte_offset..r.byte_offset.saturating_add(n.saturating_mul(size)))
            .ok_or_else(|| err(path, format!("{what} of {n} points runs past the feature table")))
    };
    let rtc = feature.rtc_center.unwrap_or([0.0; 3]);
    let positions: Vec<[f64; 3]> = if let Some(r) = feature.position {
        slice(r, 12, "POSITION")?
            .chunks_exact(12)
            .map(|c| {
                let f = |k: usize| f64::from(f32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]));
                [f(0) + rtc[0], f(4) + rtc[1], f(8) + rtc[2]]
            })
            .collect()
    } else if let Some(r) = feature.position_quantized {
        let (offset, scale) = match (feature.quantized_volume_offset, feature.quantized_volume_scale) {
            (Some(o), Some(s)) => (o, s),
            _ => return Err(err(path, "POSITION_QUANTIZED needs QUANTIZED_VOLUME_OFFSET and _SCALE")),
        };
        slice(r, 6, "POSITION_QUANTIZED")?
            .chunks_exact(6)
            .map(|c| {
                let q = |k: usize| f64::from(u16::from_le_bytes([c[k], c[k + 1]])) / 65535.0;
                [0, 1, 2].map(|a| offset[a] + q(2 * a) * scale[a] + rtc[a])
            })
            .collect()
    } else {
        return Err(err(path, "no POSITION or POSITION_QUANTIZED"));
    };
    let colors: Vec<[u8; 4]> = if let Some(r) = feature.rgba {
        slice(r, 4, "RGBA")?.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
    } else if let Some(r) = feature.rgb {
        slice(r, 3, "RGB")?.chunks_exact(3).map(|c| [c[0], c[1], c[2], 255]).collect()
    } else {
        vec![feature.constant_rgba.unwrap_or([255, 255, 255, 255]); n]
    };
    Ok(Content::Points(Points { positions, colors }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 28-byte header and `padding` zero bytes, with the given table lengths.
    fn header(magic: &[u8; 4], lengths: [u32; 4], padding: usize) -> Vec<u8> {
        let mut out = magic.to_vec();
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&((28 + padding) as u32).to_le_bytes());
        for l in lengths {
            out.extend_from_slice(&l.to_le_bytes());
        }
        out.resize(28 + padding, 0);
        out
    }

    fn message(e: TilesError) -> String {
        match e {
            TilesError::Content { why, .. } => why,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn b3dm_with_a_table_length_near_u32_max_is_an_error_naming_the_field() {
        let path = Path::new("forged.b3dm");
        let e = read_b3dm(path, &header(b"b3dm", [u32::MAX - 3, 0, 0, 0], 12)).unwrap_err();
        assert_eq!(message(e), "featureTableJSONByteLength 4294967292 runs past the tile's byteLength of 40 bytes");
        // Each length fits alone; together they pass u32::MAX (and a 32-bit usize).
        let e = read_b3dm(path, &header(b"b3dm", [4, 4, 4, u32::MAX], 12)).unwrap_err();
        assert_eq!(message(e), "batchTableBinaryByteLength 4294967295 runs past the tile's byteLength of 40 bytes");
    }

    #[test]
    fn pnts_with_a_table_length_near_u32_max_is_an_error_naming_the_field() {
        let e = read_pnts(Path::new("forged.pnts"), &header(b"pnts", [8, u32::MAX, 0, 0], 12)).unwrap_err();
        assert_eq!(message(e), "featureTableBinaryByteLength 4294967295 runs past the tile's byteLength of 40 bytes");
    }

    #[test]
    fn tile_tables_that_fit_are_returned() {
        let bytes = header(b"b3dm", [4, 4, 0, 4], 12);
        assert_eq!(tables(Path::new("t.b3dm"), &bytes, b"b3dm").unwrap(), [4, 4, 0, 4]);
    }
}
