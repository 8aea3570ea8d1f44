//! One decoded COPC node as plain columns, and the byte form those columns
//! take between threads: the browser decodes nodes in Web Workers, which
//! hand back bytes, never Rust values. [`NodeDecoder`] is the worker's side:
//! a file opened from the ranges the page already fetched (its header,
//! records and hierarchy), decoding one node's compressed chunk at a time.

use std::path::Path;

use las::PointData;
use sontinh_wire::{Reader, Writer};

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
        let mut w = Writer::with_capacity(HEADER_BYTES + n * per_point);
        w.len(n);
        w.u8(u8::from(rgb.is_some()));
        w.f64s(self.xyz[..n].as_flattened());
        w.u16s(&self.intensity[..n]);
        w.bytes(&self.class[..n]);
        w.bytes(&self.return_number[..n]);
        if let Some(rgb) = rgb {
            w.u16s(rgb[..n].as_flattened());
        }
        w.into_bytes()
    }

    /// Reads [`DecodedNode::to_bytes`]'s form back, checking the length
    /// against the point count before allocating.
    pub fn from_bytes(bytes: &[u8]) -> Result<DecodedNode, String> {
        let mut r = Reader::new(bytes, "decoded node");
        let n = r.len("its point count")?;
        let has_rgb = match r.u8("its colour flag")? {
            0 => false,
            1 => true,
            other => return Err(r.error(format_args!("colour flag {other}, expected 0 or 1"))),
        };
        let per_point = POINT_BYTES + if has_rgb { RGB_BYTES } else { 0 };
        let expected = n.checked_mul(per_point).and_then(|b| b.checked_add(HEADER_BYTES));
        if expected != Some(bytes.len()) {
            return Err(r.error(format_args!("{} bytes for {n} points, expected {}", bytes.len(), expected.map_or("more".to_owned(), |e| e.to_string()))));
        }
        let xyz = r.f64_arrays::<3>(n, "coordinates")?;
        let intensity = r.u16s(n, "intensities")?;
        let class = r.take(n, "classes")?.to_vec();
        let return_number = r.take(n, "return numbers")?.to_vec();
        let rgb = if has_rgb { Some(r.u16_arrays::<3>(n, "colours")?) } else { None };
        r.finish("its points")?;
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
