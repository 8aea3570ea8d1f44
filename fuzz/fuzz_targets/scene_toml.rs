//! Scene TOML of arbitrary bytes (the text `sontinh_scene::load` reads):
//! an error naming a line inside the text, or a scene, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use sontinh_scene::PathResolver;

/// Every layer path resolves (the file system is not touched), so that
/// validation goes on past the paths.
struct AnyPath;

impl PathResolver for AnyPath {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        if path.contains("missing") {
            Err(format!("{path}: not found"))
        } else {
            Ok(PathBuf::from(path))
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = sontinh_scene::parse(text, Path::new("fuzz.toml"), &AnyPath) {
        let lines = text.lines().count().max(1) + 1;
        for error in errors.iter() {
            if let Some(line) = error.line() {
                assert!(line >= 1 && line <= lines, "line {line} of a {lines}-line text");
            }
        }
        assert!(!errors.to_string().is_empty());
    }
});
