//! Opening a COPC file by byte ranges (HTTP range requests in the browser):
//! only its header, records and hierarchy pages are fetched, never the whole
//! file; each node's points are then one more range (its
//! [`crate::copc::NodeEntry`], decoded by [`PointCloudFile::decode_node_chunk`]).
//!
//! The readers stay synchronous: they run over a [`PartialFile`] holding the
//! ranges fetched so far. A read of bytes not yet there fails for that round
//! and notes the range; [`open_by_ranges`] fetches what was noted and reads
//! again, until the readers need nothing more.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use sontinh_wire::{Reader, Writer};

use crate::{PointCloudError, PointCloudFile};

/// Bytes fetched at least per missing read: a header's records, an EVLR's
/// hierarchy page, are each a few small reads close together.
pub const MIN_FETCH: u64 = 16 * 1024;

/// Rounds of fetching at most: header, records, EVLRs, then one per level
/// of hierarchy pages (COPC writers keep them few).
pub const MAX_ROUNDS: usize = 32;

/// A file of known length of which some ranges are known.
#[derive(Debug)]
pub struct PartialFile {
    len: u64,
    known: BTreeMap<u64, Vec<u8>>,
    missing: Vec<(u64, u64)>,
    position: u64,
}

impl PartialFile {
    pub fn new(len: u64) -> PartialFile {
        PartialFile {
            len,
            known: BTreeMap::new(),
            missing: Vec::new(),
            position: 0,
        }
    }

    /// Adds the bytes starting at `start` (clipped to the file's length).
    pub fn insert(&mut self, start: u64, mut bytes: Vec<u8>) {
        let room = usize::try_from(self.len.saturating_sub(start)).unwrap_or(usize::MAX);
        bytes.truncate(room);
        if !bytes.is_empty() {
            self.known.insert(start, bytes);
        }
    }

    /// The ranges (start, length) reads asked for and did not find since
    /// the last call, merged where they touch.
    pub fn take_missing(&mut self) -> Vec<(u64, u64)> {
        let mut ranges = std::mem::take(&mut self.missing);
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (start, len) in ranges {
            match merged.last_mut() {
                Some((s, l)) if start <= *s + *l => *l = (*l).max(start + len - *s),
                _ => merged.push((start, len)),
            }
        }
        merged
    }

    /// Total bytes known.
    pub fn known_bytes(&self) -> u64 {
        self.known.values().map(|b| b.len() as u64).sum()
    }

    /// The file's length and every known range, as bytes (little-endian:
    /// length u64, range count u32, then start u64, size u32 and the bytes
    /// of each): how the page hands a file's fetched index to a worker.
    pub fn to_bytes(&self) -> Vec<u8> {
        let ranges: Vec<(&u64, &Vec<u8>)> = self.known.iter().filter(|(_, b)| b.len() <= u32::MAX as usize).collect();
        let mut w = Writer::with_capacity(12 + ranges.iter().map(|(_, b)| 12 + b.len()).sum::<usize>());
        w.u64(self.len);
        w.len(ranges.len());
        for (start, bytes) in ranges {
            w.u64(*start);
            w.len(bytes.len());
            w.bytes(bytes);
        }
        w.into_bytes()
    }

    /// Reads [`PartialFile::to_bytes`]'s form back; every size is checked
    /// against the bytes there are.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartialFile, String> {
        let mut r = Reader::new(bytes, "fetched index");
        let len = r.u64("the file length")?;
        let count = r.u32("the range count")?;
        let mut partial = PartialFile::new(len);
        for i in 0..count {
            let start = r.u64("a range start")?;
            let size = r.u32("a range size")?;
            let data = r.take(size as usize, "a range's bytes")?;
            if start.checked_add(u64::from(size)).is_none_or(|end| end > len) {
                return Err(r.error(format_args!("range {i} ({start} + {size}) runs past the file's {len} bytes")));
            }
            partial.insert(start, data.to_vec());
        }
        r.finish(&format!("its {count} ranges"))?;
        Ok(partial)
    }

    fn chunk_at(&self, position: u64) -> Option<&[u8]> {
        self.known.range(..=position).rev().find_map(|(start, bytes)| {
            let offset = usize::try_from(position - start).ok()?;
            bytes.get(offset..).filter(|rest| !rest.is_empty())
        })
    }
}

impl Read for PartialFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.position >= self.len {
            return Ok(0);
        }
        if let Some(chunk) = self.chunk_at(self.position) {
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            self.position += n as u64;
            return Ok(n);
        }
        let want = (buf.len() as u64).max(MIN_FETCH).min(self.len - self.position);
        self.missing.push((self.position, want));
        Err(std::io::Error::other(format!("bytes {}..{} not fetched yet", self.position, self.position + want)))
    }
}

impl Seek for PartialFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = target.ok_or_else(|| std::io::Error::other("seek before the start of the file"))?;
        Ok(self.position)
    }
}

/// What fetching a range gave: the bytes, and the whole file's length.
pub type FetchedRange = Result<(Vec<u8>, u64), String>;

/// Opens the COPC (or LAS/LAZ) file at `location` reading only the ranges
/// its readers ask for. `fetch(start, len)` returns those bytes (fewer at
/// the end of the file) and the file's length. The result's
/// [`PartialFile`] holds every byte fetched, to count them.
pub async fn open_by_ranges<F, Fut>(location: &Path, mut fetch: F) -> Result<(PointCloudFile, PartialFile), PointCloudError>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: Future<Output = FetchedRange>,
{
    let invalid = |message: String| PointCloudError::invalid(location, message);
    let (first, len) = fetch(0, MIN_FETCH).await.map_err(invalid)?;
    let mut partial = PartialFile::new(len);
    partial.insert(0, first);
    for _ in 0..MAX_ROUNDS {
        partial.position = 0;
        let result = PointCloudFile::read_from(&mut partial, len, location);
        let missing = partial.take_missing();
        if missing.is_empty() {
            return result.map(|file| (file, partial));
        }
        for (start, want) in missing {
            let (bytes, _) = fetch(start, want).await.map_err(invalid)?;
            if bytes.is_empty() {
                return Err(invalid(format!("the server gave no bytes at {start} of a file of {len}")));
            }
            partial.insert(start, bytes);
        }
    }
    Err(invalid(format!("its header and hierarchy still needed more bytes after {MAX_ROUNDS} rounds of fetching")))
}

impl PointCloudFile {
    /// Opens a file from ranges fetched before (by [`open_by_ranges`]): an
    /// error, not a fetch, when its readers need a byte that is not there.
    pub fn from_fetched(mut partial: PartialFile, location: &Path) -> Result<PointCloudFile, PointCloudError> {
        let len = partial.len;
        partial.position = 0;
        let file = PointCloudFile::read_from(&mut partial, len, location);
        let missing = partial.take_missing();
        if let Some((start, want)) = missing.first() {
            return Err(PointCloudError::invalid(location, format!("the fetched index lacks bytes {start}..{}", start + want)));
        }
        file
    }
}
