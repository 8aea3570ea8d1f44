//! 3D Tiles content (b3dm, pnts, glb) of arbitrary bytes: an error naming
//! the tile, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sontinh_tiles::{TileSource, read_content_from};

struct Bytes<'a>(&'a [u8]);

impl TileSource for Bytes<'_> {
    fn read(&self, _: &Path) -> Result<Vec<u8>, String> {
        Ok(self.0.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = read_content_from(&Bytes(data), Path::new("fuzz.b3dm"));
});
