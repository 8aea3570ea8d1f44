#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Tile sets written by tools/make_basemap_tiles.py (pmtiles, sqlite3, Pillow, mercantile).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes a tile set into `out` and returns the script's manifest.
pub fn make_tiles(out: &Path, args: &[&str]) -> serde_json::Value {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the project's Python environment is missing: run tools/setup-debian.sh (it installs pmtiles, Pillow and mercantile)"
    );
    let o = Command::new(python)
        .arg(repo().join("tools/make_basemap_tiles.py"))
        .arg(args[0])
        .arg(out)
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tools/make_basemap_tiles.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A file read by ranges, counting the bytes asked for.
pub struct FileRanges {
    pub path: PathBuf,
    pub bytes_read: AtomicU64,
}

impl FileRanges {
    pub fn new(path: PathBuf) -> FileRanges {
        FileRanges {
            path,
            bytes_read: AtomicU64::new(0),
        }
    }
}

impl sontinh_basemap::RangeSource for FileRanges {
    fn read_range(&self, offset: u64, len: u64) -> Result<Vec<u8>, String> {
        let mut f = std::fs::File::open(&self.path).map_err(|e| e.to_string())?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
        let mut out = vec![0; len as usize];
        f.read_exact(&mut out)
            .map_err(|e| format!("{}: bytes {offset}+{len}: {e}", self.path.display()))?;
        self.bytes_read.fetch_add(len, Ordering::Relaxed);
        Ok(out)
    }
    fn file_len(&self) -> Result<u64, String> {
        Ok(std::fs::metadata(&self.path).map_err(|e| e.to_string())?.len())
    }
}
