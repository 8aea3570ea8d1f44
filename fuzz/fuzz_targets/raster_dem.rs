//! DEM files of arbitrary bytes, read as the terrain layers read them: a
//! GeoTIFF (any sample type, tiled or striped, compressed) and, when the
//! input starts with N or S, an SRTM `.hgt` named by the input's first
//! seven bytes and holding the rest. An error or a raster whose samples
//! fill its size, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// One scratch folder per process (the readers take paths):
/// `$SONTINH_FUZZ_SCRATCH` (tools/fuzz.sh puts it in the target folder),
/// else the system's temporary folder.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::var_os("SONTINH_FUZZ_SCRATCH").map_or_else(std::env::temp_dir, PathBuf::from);
        let dir = base.join(format!("sontinh-fuzz-raster-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

/// Bytes of a 3″ SRTM tile.
const HGT_3: usize = 1201 * 1201 * 2;

fn check(path: &std::path::Path) {
    if let Ok(raster) = sontinh_raster::read(path) {
        assert_eq!(raster.values.len(), raster.width * raster.height);
        let _ = raster.stats();
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let tif = dir.join("fuzz.tif");
    if std::fs::write(&tif, data).is_ok() {
        check(&tif);
    }
    if matches!(data.first(), Some(b'N' | b'S')) {
        let split = data.len().min(7);
        let name: String = String::from_utf8_lossy(&data[..split])
            .chars()
            .map(|c| if c.is_alphanumeric() || c == '-' || c == '+' { c } else { '_' })
            .collect();
        let hgt = dir.join(format!("{name}.hgt"));
        // Two bytes after the name are one sample repeated over a whole 3″
        // tile (so that the fuzzer rarely pays for 2.9 MB); other sizes
        // are written as they are.
        let samples = &data[split..];
        let body: Vec<u8> = if samples.len() == 2 {
            samples.iter().copied().cycle().take(HGT_3).collect()
        } else {
            samples.to_vec()
        };
        if std::fs::write(&hgt, &body).is_ok() {
            check(&hgt);
        }
        let _ = std::fs::remove_file(&hgt);
    }
});
