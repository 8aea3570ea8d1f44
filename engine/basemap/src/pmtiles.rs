//! PMTiles v3 (github.com/protomaps/PMTiles, spec/v3/spec.md): a 127-byte
//! header, a root directory of varint-coded entries (tile id deltas, run
//! lengths, lengths, offsets) that may point into leaf directories, and the
//! tile data, all addressed by byte ranges so that a browser reads only what
//! it draws. Every offset and length is checked against the section it
//! points into and the file's length before anything is read or reserved.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use crate::BasemapError;
use crate::tile::{MAX_ZOOM, TileId, pmtiles_id};

pub const HEADER_LEN: usize = 127;
/// The specification keeps the header and root directory in the first 16 KiB.
pub const FIRST_READ: u64 = 16_384;
/// Largest directory accepted once decompressed (a leaf of the planet's
/// basemap is a few hundred KiB).
pub const MAX_DIRECTORY_BYTES: u64 = 16 << 20;
/// Largest tile accepted (raster tiles are tens of KiB).
pub const MAX_TILE_BYTES: u64 = 16 << 20;
/// Leaf directories cached per file before the oldest are dropped.
const MAX_CACHED_LEAVES: usize = 64;
/// Root, then leaves: the specification's writers nest at most a few levels.
const MAX_DEPTH: usize = 4;

fn bad(why: impl Into<String>) -> BasemapError {
    BasemapError::PmTiles(why.into())
}

/// Bytes of a file by range: a file on disk, or HTTP range requests.
pub trait RangeSource {
    /// Exactly `len` bytes from `offset` (the readers never ask past the file's end).
    fn read_range(&self, offset: u64, len: u64) -> Result<Vec<u8>, String>;
    fn file_len(&self) -> Result<u64, String>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Unknown,
    None,
    Gzip,
    Brotli,
    Zstd,
}

impl Compression {
    fn from_byte(b: u8) -> Result<Compression, BasemapError> {
        Ok(match b {
            0 => Compression::Unknown,
            1 => Compression::None,
            2 => Compression::Gzip,
            3 => Compression::Brotli,
            4 => Compression::Zstd,
            other => return Err(bad(format!("unknown compression {other}"))),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileType {
    Unknown,
    Mvt,
    Png,
    Jpeg,
    Webp,
    Avif,
    Other(u8),
}

/// The fixed header.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub root_offset: u64,
    pub root_length: u64,
    pub metadata_offset: u64,
    pub metadata_length: u64,
    pub leaf_offset: u64,
    pub leaf_length: u64,
    pub data_offset: u64,
    pub data_length: u64,
    pub addressed_tiles: u64,
    pub internal_compression: Compression,
    pub tile_compression: Compression,
    pub tile_type: TileType,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    i32::from_le_bytes(w)
}

/// Checks that `offset..offset+len` lies within `0..limit`, naming `what`.
fn within(what: &str, offset: u64, len: u64, limit: u64) -> Result<(), BasemapError> {
    match offset.checked_add(len) {
        Some(end) if end <= limit => Ok(()),
        _ => Err(bad(format!("the {what} (bytes {offset}, {len} long) runs past {limit} bytes"))),
    }
}

impl Header {
    /// Reads the header from the file's first bytes, checking every section against the file's length.
    pub fn parse(bytes: &[u8], file_len: u64) -> Result<Header, BasemapError> {
        if bytes.len() < HEADER_LEN || file_len < HEADER_LEN as u64 {
            return Err(bad(format!("the file is {file_len} bytes long, shorter than the 127-byte header")));
        }
        if &bytes[0..7] != b"PMTiles" {
            return Err(bad("not a PMTiles file (no \"PMTiles\" magic)"));
        }
        if bytes[7] != 3 {
            return Err(bad(format!("version {} (only version 3 is read)", bytes[7])));
        }
        let tile_type = match bytes[99] {
            0 => TileType::Unknown,
            1 => TileType::Mvt,
            2 => TileType::Png,
            3 => TileType::Jpeg,
            4 => TileType::Webp,
            5 => TileType::Avif,
            other => TileType::Other(other),
        };
        let e7 = |at| f64::from(i32_at(bytes, at)) / 1e7;
        let h = Header {
            root_offset: u64_at(bytes, 8),
            root_length: u64_at(bytes, 16),
            metadata_offset: u64_at(bytes, 24),
            metadata_length: u64_at(bytes, 32),
            leaf_offset: u64_at(bytes, 40),
            leaf_length: u64_at(bytes, 48),
            data_offset: u64_at(bytes, 56),
            data_length: u64_at(bytes, 64),
            addressed_tiles: u64_at(bytes, 72),
            internal_compression: Compression::from_byte(bytes[97])?,
            tile_compression: Compression::from_byte(bytes[98])?,
            tile_type,
            min_zoom: bytes[100],
            max_zoom: bytes[101],
            bounds: [e7(102), e7(106), e7(110), e7(114)],
        };
        within("root directory", h.root_offset, h.root_length, file_len)?;
        within("metadata", h.metadata_offset, h.metadata_length, file_len)?;
        within("leaf directories", h.leaf_offset, h.leaf_length, file_len)?;
        within("tile data", h.data_offset, h.data_length, file_len)?;
        if h.root_length == 0 || h.root_length > MAX_DIRECTORY_BYTES {
            return Err(bad(format!("a root directory of {} bytes", h.root_length)));
        }
        if h.min_zoom > h.max_zoom {
            return Err(bad(format!("min zoom {} above max zoom {}", h.min_zoom, h.max_zoom)));
        }
        Ok(h)
    }
}

/// One directory entry: a run of tiles (`run_length` > 0) sharing one
/// content, or (`run_length` 0) a leaf directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub tile_id: u64,
    pub offset: u64,
    pub length: u64,
    pub run_length: u64,
}

struct Varints<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Varints<'_> {
    fn next(&mut self) -> Result<u64, BasemapError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(bad("a directory ends inside a number"));
            };
            self.at += 1;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(bad("a directory number overflows 64 bits"));
            }
            value |= part << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad("a directory number is longer than 10 bytes"))
    }
}

/// Inflates `bytes` as the header's internal compression says, refusing more than `limit` bytes out.
fn decompress(bytes: &[u8], compression: Compression, limit: u64, what: &str) -> Result<Vec<u8>, BasemapError> {
    match compression {
        Compression::None => Ok(bytes.to_vec()),
        Compression::Gzip => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(bytes)
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("the {what} cannot be decompressed (gzip): {e}")))?;
            if out.len() as u64 > limit {
                return Err(bad(format!("the {what} decompresses to more than {limit} bytes")));
            }
            Ok(out)
        }
        other => Err(bad(format!(
            "the {what} is compressed with {other:?}, which this build does not read (gzip or none)"
        ))),
    }
}

/// Decodes one (decompressed) directory.
pub fn parse_directory(bytes: &[u8]) -> Result<Vec<DirEntry>, BasemapError> {
    let mut v = Varints { bytes, at: 0 };
    let n = v.next()?;
    // Each entry takes at least four bytes (one per column).
    if n.checked_mul(4).is_none_or(|need| need > bytes.len() as u64) {
        return Err(bad(format!("a directory claims {n} entries in {} bytes", bytes.len())));
    }
    let n = n as usize;
    let mut entries = vec![
        DirEntry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last.checked_add(v.next()?).ok_or_else(|| bad("directory tile ids overflow"))?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length = v.next()?;
    }
    for e in entries.iter_mut() {
        e.length = v.next()?;
        if e.length == 0 {
            return Err(bad(format!("the entry of tile id {} has length 0", e.tile_id)));
        }
    }
    for i in 0..n {
        let raw = v.next()?;
        entries[i].offset = if raw == 0 {
            let prev = i
                .checked_sub(1)
                .map(|p| entries[p])
                .ok_or_else(|| bad("the first directory entry follows no other"))?;
            prev.offset
                .checked_add(prev.length)
                .ok_or_else(|| bad("directory offsets overflow"))?
        } else {
            raw - 1
        };
    }
    Ok(entries)
}

/// Where a tile is, or what must be read first to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locate {
    /// The tile's bytes (absolute range in the file).
    Tile { offset: u64, length: u64 },
    /// The file has no such tile.
    Missing,
    /// Read this leaf directory (absolute range) and hand it to [`PmTiles::add_leaf`].
    NeedLeaf { offset: u64, length: u64 },
}

/// An opened PMTiles file: its header, root directory and the leaves read so far.
#[derive(Clone, Debug)]
pub struct PmTiles {
    pub header: Header,
    pub file_len: u64,
    root: Arc<Vec<DirEntry>>,
    leaves: HashMap<u64, Arc<Vec<DirEntry>>>,
}

impl PmTiles {
    /// How many bytes to read first: the header and, by the specification, the root directory.
    pub fn first_read(file_len: u64) -> u64 {
        FIRST_READ.min(file_len)
    }

    /// Opens the file from its first bytes (at least the header, and the root
    /// directory when it lies in them: otherwise `root` must be that range's bytes).
    pub fn open(first: &[u8], file_len: u64, root: Option<&[u8]>) -> Result<PmTiles, BasemapError> {
        let header = Header::parse(first, file_len)?;
        let (start, len) = PmTiles::root_range(&header);
        let raw = match root {
            Some(r) if r.len() as u64 == len => r,
            Some(r) => return Err(bad(format!("the root directory read is {} bytes, the header says {len}", r.len()))),
            None => usize::try_from(start)
                .ok()
                .zip(usize::try_from(len).ok())
                .and_then(|(s, l)| first.get(s..s.checked_add(l)?))
                .ok_or_else(|| bad("the root directory lies beyond the first bytes read"))?,
        };
        let root = decompress(raw, header.internal_compression, MAX_DIRECTORY_BYTES, "root directory")?;
        let root = parse_directory(&root)?;
        Ok(PmTiles {
            header,
            file_len,
            root: Arc::new(root),
            leaves: HashMap::new(),
        })
    }

    /// The absolute range of the root directory.
    pub fn root_range(header: &Header) -> (u64, u64) {
        (header.root_offset, header.root_length)
    }

    /// Where `tile` is, with the leaves read so far.
    pub fn locate(&self, tile: TileId) -> Result<Locate, BasemapError> {
        if tile.z > MAX_ZOOM || tile.z < self.header.min_zoom || tile.z > self.header.max_zoom {
            return Ok(Locate::Missing);
        }
        let id = pmtiles_id(tile);
        let mut dir = self.root.clone();
        for _ in 0..MAX_DEPTH {
            // The last entry whose id is not above the tile's.
            let i = dir.partition_point(|e| e.tile_id <= id);
            let Some(entry) = i.checked_sub(1).and_then(|i| dir.get(i)).copied() else {
                return Ok(Locate::Missing);
            };
            if entry.run_length > 0 {
                if id - entry.tile_id >= entry.run_length {
                    return Ok(Locate::Missing);
                }
                within("tile data entry", entry.offset, entry.length, self.header.data_length)?;
                if entry.length > MAX_TILE_BYTES {
                    return Err(bad(format!("tile {tile} is {} bytes, more than {MAX_TILE_BYTES}", entry.length)));
                }
                return Ok(Locate::Tile {
                    offset: self.header.data_offset + entry.offset,
                    length: entry.length,
                });
            }
            within("leaf directory entry", entry.offset, entry.length, self.header.leaf_length)?;
            let offset = self.header.leaf_offset + entry.offset;
            match self.leaves.get(&offset) {
                Some(leaf) => dir = leaf.clone(),
                None => {
                    return Ok(Locate::NeedLeaf {
                        offset,
                        length: entry.length,
                    });
                }
            }
        }
        Err(bad(format!("tile {tile}: leaf directories nest deeper than {MAX_DEPTH} levels")))
    }

    /// Keeps a leaf directory read at `offset` (as [`Locate::NeedLeaf`] asked).
    pub fn add_leaf(&mut self, offset: u64, bytes: &[u8]) -> Result<(), BasemapError> {
        if bytes.len() as u64 > MAX_DIRECTORY_BYTES {
            return Err(bad(format!("a leaf directory of {} bytes", bytes.len())));
        }
        let leaf = decompress(bytes, self.header.internal_compression, MAX_DIRECTORY_BYTES, "leaf directory")?;
        let leaf = parse_directory(&leaf)?;
        if self.leaves.len() >= MAX_CACHED_LEAVES {
            self.leaves.clear();
        }
        self.leaves.insert(offset, Arc::new(leaf));
        Ok(())
    }

    /// A tile's stored bytes made plain (vector tiles are often gzipped; raster tiles rarely are).
    pub fn tile_content(&self, stored: Vec<u8>) -> Result<Vec<u8>, BasemapError> {
        match self.header.tile_compression {
            Compression::None | Compression::Unknown => Ok(stored),
            c => decompress(&stored, c, MAX_TILE_BYTES, "tile"),
        }
    }
}

/// Reads `source`'s first bytes and opens it.
pub fn open_source(source: &dyn RangeSource) -> Result<PmTiles, BasemapError> {
    let len = source.file_len().map_err(BasemapError::Read)?;
    let first = source.read_range(0, PmTiles::first_read(len)).map_err(BasemapError::Read)?;
    let header = Header::parse(&first, len)?;
    let (start, size) = PmTiles::root_range(&header);
    if start.saturating_add(size) <= first.len() as u64 {
        PmTiles::open(&first, len, None)
    } else {
        let root = source.read_range(start, size).map_err(BasemapError::Read)?;
        PmTiles::open(&first, len, Some(&root))
    }
}

/// A tile's plain bytes, reading leaf directories as needed; `None` when the file has no such tile.
pub fn read_tile(source: &dyn RangeSource, file: &mut PmTiles, tile: TileId) -> Result<Option<Vec<u8>>, BasemapError> {
    for _ in 0..=MAX_DEPTH {
        match file.locate(tile)? {
            Locate::Missing => return Ok(None),
            Locate::Tile { offset, length } => {
                let stored = source.read_range(offset, length).map_err(BasemapError::Read)?;
                if stored.len() as u64 != length {
                    return Err(bad(format!("tile {tile}: {} bytes read of {length}", stored.len())));
                }
                return file.tile_content(stored).map(Some);
            }
            Locate::NeedLeaf { offset, length } => {
                let bytes = source.read_range(offset, length).map_err(BasemapError::Read)?;
                file.add_leaf(offset, &bytes)?;
            }
        }
    }
    Err(bad(format!("tile {tile}: leaf directories nest deeper than {MAX_DEPTH} levels")))
}
