#![allow(clippy::expect_used)] // test helpers: failing loudly is the point

//! Helpers shared by the command's integration tests.

use std::path::{Path, PathBuf};

/// A conversion cache fresh for this run of the tests: never one that an
/// older converter filled.
pub fn fresh_cache() -> &'static Path {
    static CACHE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-conversion-cache", module_path!()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a fresh conversion cache folder");
        dir
    })
}
