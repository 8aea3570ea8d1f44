//! One decoded COPC node as plain columns, and the byte form those columns
//! take between threads: the browser decodes nodes in Web Workers, which
//! hand back bytes, never Rust values. [`NodeDecoder`] is the worker's side:
//! a file opened from the ranges the page already fetched (its header,
//! records and hierarchy), decoding one node's compressed chunk at a time.

use std::path::Path;

use las::PointData;

use crate::copc::NodeEntry;
use crate::ranged::PartialFile;
use crate::{PointCloudError, PointCloudFile};

/// Decoded points of one node, in file coordinates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecodedNode {
    pub xyz: Vec<[f64; 3]>,
    pub rgb: Option<Vec<[u16; 3]>>,
    pub intensity: Vec<u16>,
    pub class: Vec<u8>,
    pub return_number: Vec<u8>,
}

/// Bytes per point in [`DecodedNode::to_bytes`]: xyz, then intensity, class
/// and return number; plus 6 with colour.
const POINT_BYTES: usize = 3 * 8 + 2 + 1 + 1;
const RGB_BYTES: usize = 3 * 2;
/// Point count (u32) and a colour flag (u8).
const HEADER_BYTES: usize = 5;

impl DecodedNode {
    pub fn from_point_data(points: &PointData) -> DecodedNode {
        DecodedNode {
            xyz: points.x().zip(points.y()).zip(points.z()).map(|((x, y), z)| [x, y, z]).collect(),
            rgb: points.rgb().map(|c| c.map(|(r, g, b)| [r, g, b]).collect()),
            intensity: points.intensity().collect(),
            class: points.classification().collect(),
            return_number: points.return_number().collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.xyz.len()
    }

    pub fn is_empty(&self) -> bool {
        self.xyz.is_empty()
    }

    /// Little-endian columns: count, colour flag, x y z (f64), then
    /// intensity (u16), class (u8), return number (u8), then r g b (u16)
    /// when there is colour. Columns of unequal length are cut to the
    /// shortest (a decoder never gives such, but the byte form must not lie).
    pub fn to_bytes(&self) -> Vec<u8> {
        let rgb = self.rgb.as_deref();
        let n = [self.xyz.len(), self.intensity.len(), self.class.len(), self.return_number.len()]
            .into_iter()
            .chain(rgb.map(<[_]>::len))
            .min()
            .unwrap_or(0)
            .min(u32::MAX as usize);
        let per_point = POINT_BYTES + if rgb.is_some() { RGB_BYTES } else { 0 };
        let mut out = Vec::with_capacity(HEADER_BYTES + n * per_point);
        out.extend_from_slice(&(n as u32).to_le_bytes());
        out.push(u8::from(rgb.is_some()));
        for p in &self.xyz[..n] {
            for v in p {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for v in &self.intensity[..n] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.class[..n]);
        out.extend_from_slice(&self.return_number[..n]);
        if let Some(rgb) = rgb {
            for c in &rgb[..n] {
                for v in c {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        out
    }

    /// Reads [`DecodedNode::to_bytes`]'s form back, checking every length
    /// against the bytes there are before allocating.
    pub fn from_bytes(bytes: &[u8]) -> Result<DecodedNode, String> {
        let head = bytes.get(..HEADER_BYTES).ok_or("decoded node: fewer than 5 bytes")?;
        let n = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let has_rgb = match head[4] {
            0 => false,
            1 => true,
            other => return Err(format!("decoded node: colour flag {other}, expected 0 or 1")),
        };
        let per_point = POINT_BYTES + if has_rgb { RGB_BYTES } else { 0 };
        let expected = n.checked_mul(per_point).and_then(|b| b.checked_add(HEADER_BYTES)).ok_or("decoded node: point count overflows")?;
        if bytes.len() != expected {
            return Err(format!("decoded node: {} bytes for {n} points, expected {expected}", bytes.len()));
        }
        let mut rest = &bytes[HEADER_BYTES..];
        let mut take = |len: usize| {
            let (a, b) = rest.split_at(len);
            rest = b;
            a
        };
        let xyz = take(n * 24)
            .chunks_exact(24)
            .map(|p| [0, 8, 16].map(|o| f64::from_le_bytes(p[o..o + 8].try_into().unwrap_or([0; 8]))))
            .collect();
        let intensity = take(n * 2).chunks_exact(2).map(|v| u16::from_le_bytes([v[0], v[1]])).collect();
        let class = take(n).to_vec();
        let return_number = take(n).to_vec();
        let rgb = has_rgb.then(|| {
            take(n * 6)
                .chunks_exact(6)
                .map(|c| [u16::from_le_bytes([c[0], c[1]]), u16::from_le_bytes([c[2], c[3]]), u16::from_le_bytes([c[4], c[5]])])
                .collect()
        });
        Ok(DecodedNode {
            xyz,
            rgb,
            intensity,
            class,
            return_number,
        })
    }
}

/// A COPC file opened from its fetched index (header, records, hierarchy:
/// [`PartialFile::to_bytes`]), decoding nodes' compressed chunks. What a
/// Web Worker holds per file.
pub struct NodeDecoder {
    file: PointCloudFile,
}

impl NodeDecoder {
    /// Opens the file from its index image; `location` only names it in errors.
    pub fn open(index: &[u8], location: &Path) -> Result<NodeDecoder, PointCloudError> {
        let partial = PartialFile::from_bytes(index).map_err(|e| PointCloudError::invalid(location, e))?;
        let file = PointCloudFile::from_fetched(partial, location)?;
        if file.copc.is_none() {
            return Err(PointCloudError::invalid(location, "not a COPC file: its nodes cannot be decoded one by one"));
        }
        Ok(NodeDecoder { file })
    }

    /// Decodes one node from its compressed chunk (the `byte_size` bytes at
    /// `offset` of its hierarchy entry).
    pub fn decode(&self, entry: NodeEntry, chunk: Vec<u8>) -> Result<DecodedNode, PointCloudError> {
        if entry.point_count == 0 {
            return Ok(DecodedNode::default());
        }
        let known = self
            .file
            .copc
            .as_ref()
            .is_some_and(|(_, hierarchy)| hierarchy.nodes.values().any(|e| *e == entry));
        if !known {
            return Err(PointCloudError::invalid(
                &self.file.path,
                format!("no node at offset {} of {} bytes in its hierarchy", entry.offset, entry.byte_size),
            ));
        }
        Ok(DecodedNode::from_point_data(&self.file.decode_node_chunk(entry, chunk)?))
    }
}
