//! Scene files: one site of the twin described as data.
//!
//! A scene is a TOML file (the format is documented in `scenes/README.md`).
//! [`load`] reads and validates one; every problem is reported as a
//! [`SceneError`] naming the file, the line and what was expected, and all
//! problems of a file are reported together.

mod error;
mod model;
mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use error::{SceneError, SceneErrors};
pub use model::*;

/// Scene files are small; anything larger is not a scene.
pub const MAX_SCENE_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where paths starting with `shared:` point: `$SONTINH_SHARED_DATA` if set,
/// else the nearest `shared/data` folder beside the scene's folder or one of
/// its parents (`../shared/data` beside the repository for `scenes/`).
pub fn shared_data_dir(scene_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("SONTINH_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let absolute = std::path::absolute(scene_dir).unwrap_or_else(|_| scene_dir.to_owned());
    if let Some(found) = absolute.ancestors().map(|a| a.join("shared").join("data")).find(|d| d.is_dir()) {
        return found;
    }
    // scenes/<file> → <repo>/../shared/data, named in the error when absent.
    scene_dir.join("..").join("..").join("shared").join("data")
}

/// A file of the shared data (`relative` inside it), found from `from` as
/// [`shared_data_dir`] does; an error that says where it was looked for
/// when it is absent.
pub fn shared_file(from: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = shared_data_dir(from).join(relative);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("shared test data missing: {} (set SONTINH_SHARED_DATA)", path.display()))
    }
}

/// Reads and validates a scene file.
pub fn load(path: &Path) -> Result<Scene, SceneErrors> {
    let file_error = |message: String| SceneErrors::single(SceneError::file(path, message));
    let metadata = std::fs::metadata(path).map_err(|e| file_error(format!("cannot read the scene file: {e}")))?;
    if !metadata.is_file() {
        return Err(file_error("is not a file".to_owned()));
    }
    if metadata.len() > MAX_SCENE_FILE_BYTES {
        return Err(file_error(format!(
            "is {} bytes; scene files are at most {MAX_SCENE_FILE_BYTES} bytes",
            metadata.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| file_error(format!("cannot read the scene file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        file_error(format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, path, &FileResolver::new(base_dir))
}

/// Parses scene text. `path` names the file in errors; `resolver` turns the
/// layers' paths into files and checks that they exist.
pub fn parse(text: &str, path: &Path, resolver: &dyn PathResolver) -> Result<Scene, SceneErrors> {
    let raw: raw::RawScene = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        SceneErrors::single(SceneError::at(path, text, offset, e.message().trim_end().to_owned()))
    })?;
    validate::validate(raw, text, path, resolver)
}

/// Resolves the paths a scene names. Native builds check the file system;
/// the browser build resolves against the server instead.
pub trait PathResolver {
    /// Returns the resolved path, or why it cannot be used.
    fn resolve(&self, path: &str) -> Result<PathBuf, String>;
}

/// Resolves paths relative to the scene's folder and checks they exist;
/// `shared:` paths resolve in [`shared_data_dir`].
#[derive(Clone, Debug)]
pub struct FileResolver {
    base_dir: PathBuf,
}

impl FileResolver {
    pub fn new(base_dir: PathBuf) -> Self {
        Self { base_dir }
    }
}

impl PathResolver for FileResolver {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        let resolved = if let Some(rest) = path.strip_prefix("shared:") {
            let shared = shared_data_dir(&self.base_dir);
            if !shared.is_dir() {
                return Err(format!(
                    "the shared data folder {} is absent (set SONTINH_SHARED_DATA to its location)",
                    shared.display()
                ));
            }
            shared.join(rest.trim_start_matches('/'))
        } else {
            self.base_dir.join(path)
        };
        match std::fs::metadata(&resolved) {
            Ok(_) => Ok(resolved),
            Err(e) => Err(format!("{}: {e}", resolved.display())),
        }
    }
}

#[cfg(test)]
mod tests;
