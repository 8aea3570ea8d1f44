//! COPC: the info VLR, the octree hierarchy (checked against the file), and
//! decoding one node's LAZ chunk.

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek, SeekFrom};

use laz::record::{LayeredPointRecordDecompressor, RecordDecompressor};

use crate::layout::Layout;

/// An octree node: level and integer position at that level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct NodeKey {
    pub level: i32,
    pub x: i32,
    pub y: i32,
    pub z: i32,
}

impl NodeKey {
    pub const ROOT: NodeKey = NodeKey { level: 0, x: 0, y: 0, z: 0 };

    pub fn child(self, index: u8) -> NodeKey {
        NodeKey {
            level: self.level + 1,
            x: 2 * self.x + i32::from(index & 1),
            y: 2 * self.y + i32::from((index >> 1) & 1),
            z: 2 * self.z + i32::from((index >> 2) & 1),
        }
    }

    pub fn parent(self) -> Option<NodeKey> {
        (self.level > 0).then(|| NodeKey {
            level: self.level - 1,
            x: self.x >> 1,
            y: self.y >> 1,
            z: self.z >> 1,
        })
    }
}

/// The cube of the whole octree, from the info VLR.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct CopcInfo {
    pub center: [f64; 3],
    pub halfsize: f64,
    pub spacing: f64,
    pub root_hierarchy_offset: u64,
    pub root_hierarchy_size: u64,
    pub gps_time_range: [f64; 2],
}

impl CopcInfo {
    pub fn parse(data: &[u8]) -> Result<CopcInfo, String> {
        if data.len() < 160 {
            return Err(format!("the COPC info VLR has {} bytes, expected 160", data.len()));
        }
        let f = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[8 * i..8 * i + 8]);
            b
        };
        let info = CopcInfo {
            center: [f64::from_le_bytes(f(0)), f64::from_le_bytes(f(1)), f64::from_le_bytes(f(2))],
            halfsize: f64::from_le_bytes(f(3)),
            spacing: f64::from_le_bytes(f(4)),
            root_hierarchy_offset: u64::from_le_bytes(f(5)),
            root_hierarchy_size: u64::from_le_bytes(f(6)),
            gps_time_range: [f64::from_le_bytes(f(7)), f64::from_le_bytes(f(8))],
        };
        if !(info.halfsize.is_finite() && info.halfsize > 0.0) || info.center.iter().any(|c| !c.is_finite()) {
            return Err(format!("the COPC info VLR has an invalid cube (centre {:?}, half size {})", info.center, info.halfsize));
        }
        Ok(info)
    }

    /// Bounds of a node: min and max corners.
    pub fn node_bounds(&self, key: NodeKey) -> ([f64; 3], [f64; 3]) {
        let size = 2.0 * self.halfsize / f64::from(1u32 << key.level.clamp(0, 30));
        let min = [
            self.center[0] - self.halfsize + f64::from(key.x) * size,
            self.center[1] - self.halfsize + f64::from(key.y) * size,
            self.center[2] - self.halfsize + f64::from(key.z) * size,
        ];
        (min, [min[0] + size, min[1] + size, min[2] + size])
    }
}

/// Where a node's compressed points are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NodeEntry {
    pub offset: u64,
    pub byte_size: u64,
    pub point_count: u64,
}

/// The whole hierarchy, every page read and every entry checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Hierarchy {
    pub nodes: HashMap<NodeKey, NodeEntry>,
}

impl Hierarchy {
    pub fn read<R: Read + Seek>(src: &mut R, info: &CopcInfo, layout: &Layout) -> Result<Hierarchy, String> {
        let mut nodes = HashMap::new();
        let mut pages = vec![(info.root_hierarchy_offset, info.root_hierarchy_size)];
        let mut pages_read = 0usize;
        let mut total_points: u64 = 0;
        while let Some((offset, size)) = pages.pop() {
            pages_read += 1;
            if pages_read > 1_000_000 {
                return Err("the COPC hierarchy has more than a million pages (a cycle?)".to_owned());
            }
            if !size.is_multiple_of(32) || offset.checked_add(size).is_none_or(|end| end > layout.file_len) {
                return Err(format!("COPC hierarchy page at byte {offset} of {size} bytes lies outside the file or is not made of 32-byte entries"));
            }
            let mut page = vec![0u8; usize::try_from(size).map_err(|e| e.to_string())?];
            src.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
            src.read_exact(&mut page).map_err(|e| format!("reading the COPC hierarchy page at byte {offset}: {e}"))?;
            for entry in page.chunks_exact(32) {
                let i32_at = |o: usize| i32::from_le_bytes([entry[o], entry[o + 1], entry[o + 2], entry[o + 3]]);
                let key = NodeKey {
                    level: i32_at(0),
                    x: i32_at(4),
                    y: i32_at(8),
                    z: i32_at(12),
                };
                let mut b = [0u8; 8];
                b.copy_from_slice(&entry[16..24]);
                let entry_offset = u64::from_le_bytes(b);
                let byte_size = i32_at(24);
                let point_count = i32_at(28);
                let span = 1i64 << key.level.clamp(0, 40);
                if !(0..=40).contains(&key.level) || [key.x, key.y, key.z].iter().any(|&c| c < 0 || i64::from(c) >= span) {
                    return Err(format!("COPC hierarchy entry {key:?} is not a node of the octree"));
                }
                if point_count == -1 {
                    if nodes.contains_key(&key) || byte_size < 0 {
                        return Err(format!("COPC hierarchy page entry {key:?} is repeated or has a negative size"));
                    }
                    pages.push((entry_offset, byte_size as u64));
                    continue;
                }
                if point_count < 0 || byte_size < 0 {
                    return Err(format!("COPC hierarchy entry {key:?} has a negative point count or size"));
                }
                let entry_value = NodeEntry {
                    offset: entry_offset,
                    byte_size: byte_size as u64,
                    point_count: point_count as u64,
                };
                if entry_value.point_count > 0 {
                    // offset is a file-supplied u64: near u64::MAX, offset + byteSize wraps.
                    let end = entry_value.offset.checked_add(entry_value.byte_size).ok_or_else(|| {
                        format!(
                            "COPC node {key:?}: offset {} + byteSize {} overflows a 64-bit file position",
                            entry_value.offset, entry_value.byte_size
                        )
                    })?;
                    if entry_value.offset < layout.offset_to_point_data || end > layout.file_len {
                        return Err(format!("COPC node {key:?} points at bytes {}..{end} outside the point data", entry_value.offset));
                    }
                }
                // A sum of file-supplied counts: checked, never wrapped.
                total_points = total_points
                    .checked_add(entry_value.point_count)
                    .ok_or_else(|| "the COPC nodes' pointCount sum overflows".to_owned())?;
                if nodes.insert(key, entry_value).is_some() {
                    return Err(format!("COPC hierarchy lists node {key:?} twice"));
                }
            }
        }
        if total_points > layout.point_count {
            return Err(format!("the COPC nodes hold {total_points} points, more than the header's {}", layout.point_count));
        }
        Ok(Hierarchy { nodes })
    }

    pub fn depth(&self) -> i32 {
        self.nodes.keys().map(|k| k.level).max().unwrap_or(0) + 1
    }
}

/// Decompresses one node's chunk into raw point records.
pub fn decode_node<R: Read + Seek>(src: &mut R, entry: NodeEntry, laz_vlr: &laz::LazVlr, record_length: u16) -> Result<Vec<u8>, String> {
    decoded_len(entry, record_length)?;
    let mut compressed = vec![0u8; usize::try_from(entry.byte_size).map_err(|e| e.to_string())?];
    src.seek(SeekFrom::Start(entry.offset)).map_err(|e| e.to_string())?;
    src.read_exact(&mut compressed).map_err(|e| format!("reading the node at byte {}: {e}", entry.offset))?;
    decode_chunk(compressed, entry, laz_vlr, record_length)
}

/// Bytes of a node's decoded records. A LAZ chunk cannot hold more points
/// than a generous bound of its size; checking it keeps a forged point
/// count from sizing the allocation.
fn decoded_len(entry: NodeEntry, record_length: u16) -> Result<u64, String> {
    entry
        .point_count
        .checked_mul(u64::from(record_length))
        .filter(|&n| n <= entry.byte_size.saturating_mul(1000).max(1 << 20))
        .ok_or_else(|| format!("node at byte {} claims {} points in {} bytes", entry.offset, entry.point_count, entry.byte_size))
}

/// Decompresses one node's chunk, already read, into raw point records.
pub fn decode_chunk(compressed: Vec<u8>, entry: NodeEntry, laz_vlr: &laz::LazVlr, record_length: u16) -> Result<Vec<u8>, String> {
    let bytes_out = decoded_len(entry, record_length)?;
    if compressed.len() as u64 != entry.byte_size {
        return Err(format!(
            "the node at byte {} has {} bytes, its hierarchy entry says {}",
            entry.offset,
            compressed.len(),
            entry.byte_size
        ));
    }
    let mut out = vec![0u8; usize::try_from(bytes_out).map_err(|e| e.to_string())?];
    let mut decompressor = LayeredPointRecordDecompressor::new(Cursor::new(compressed));
    decompressor
        .set_fields_from(laz_vlr.items())
        .map_err(|e| format!("the LAZ VLR's items cannot be decoded: {e}"))?;
    decompressor
        .decompress_many(&mut out)
        .map_err(|e| format!("corrupt LAZ chunk of the node at byte {}: {e}", entry.offset))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout for a file of `file_len` bytes whose points start at byte 400.
    fn layout(file_len: u64) -> Layout {
        Layout {
            version: (1, 4),
            header_size: 375,
            offset_to_point_data: 400,
            point_format: 6,
            compressed: true,
            record_length: 30,
            point_count: 10,
            points_by_return: Vec::new(),
            global_encoding: 0,
            system_identifier: String::new(),
            generating_software: String::new(),
            creation: (0, 0),
            scale: [0.01; 3],
            offset: [0.0; 3],
            min: [0.0; 3],
            max: [1.0; 3],
            vlrs: Vec::new(),
            evlrs: Vec::new(),
            file_len,
        }
    }

    /// One 32-byte hierarchy entry.
    fn entry(key: NodeKey, offset: u64, byte_size: i32, point_count: i32) -> Vec<u8> {
        let mut out = Vec::new();
        for v in [key.level, key.x, key.y, key.z] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&byte_size.to_le_bytes());
        out.extend_from_slice(&point_count.to_le_bytes());
        out
    }

    fn info(root_hierarchy_size: u64) -> CopcInfo {
        CopcInfo {
            center: [0.0; 3],
            halfsize: 1.0,
            spacing: 0.1,
            root_hierarchy_offset: 0,
            root_hierarchy_size,
            gps_time_range: [0.0; 2],
        }
    }

    #[test]
    fn hierarchy_entry_with_offset_near_u64_max_is_an_error_naming_byte_size() {
        let mut file = entry(NodeKey::ROOT, u64::MAX - 10, 100, 5);
        file.resize(1000, 0);
        let err = Hierarchy::read(&mut Cursor::new(&file), &info(32), &layout(1000)).unwrap_err();
        assert_eq!(
            err,
            format!("COPC node {:?}: offset {} + byteSize 100 overflows a 64-bit file position", NodeKey::ROOT, u64::MAX - 10)
        );
    }

    #[test]
    fn hierarchy_entry_inside_the_file_is_read() {
        let mut file = entry(NodeKey::ROOT, 400, 100, 5);
        file.resize(1000, 0);
        let hierarchy = Hierarchy::read(&mut Cursor::new(&file), &info(32), &layout(1000)).unwrap();
        let expected = NodeEntry {
            offset: 400,
            byte_size: 100,
            point_count: 5,
        };
        assert_eq!(hierarchy.nodes, HashMap::from([(NodeKey::ROOT, expected)]));
    }
}
