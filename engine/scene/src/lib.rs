//! Scene files: one site of the twin described as data.
//!
//! A scene is a TOML file (the format is documented in `scenes/README.md`).
//! [`load`] reads and validates one; every problem is reported as a
//! [`SceneError`] naming the file, the line and what was expected, and all
//! problems of a file are reported together.

mod edit;
mod edit_tours;
mod error;
mod layer_style;
pub mod markdown;
mod model;
mod raw;
mod site;
mod validate;

use std::path::{Path, PathBuf};

pub use edit::{EditError, with_measurements};
pub use edit_tours::{
    Coords, HotspotDraft, StopDraft, TourEditError, add_hotspot, add_stop, check_id, check_markdown, move_stop, remove_stop,
    set_hotspot_texts, set_stop_texts, show_hotspot_at_stop,
};
pub use error::{SceneError, SceneErrors};
pub use model::*;
pub use site::{SHARED_SITE_PREFIX, SiteResolver, site_path};

/// Scene files are small; anything larger is not a scene.
pub const MAX_SCENE_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The environment variable naming the shared data folder.
pub const SHARED_DATA_VARIABLE: &str = "SONTINH_SHARED_DATA";

/// The repository checkout this crate was built from (`engine/scene/../..`).
fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// Where paths starting with `shared:` point, for a scene in `scene_dir`
/// (any path works: tests pass their crate's folder). One rule:
///
/// 1. `$SONTINH_SHARED_DATA`, when set and not empty;
/// 2. else, when `scene_dir` lies inside the repository checkout this
///    program was built from, `shared/data` beside that checkout
///    (`<repository>/../shared/data`);
/// 3. else an error saying so: a scene elsewhere has no shared folder
///    beside the repository, and the variable must name it.
///
/// The folder is not checked to exist; [`shared_file`] and
/// [`FileResolver`] say so when it does not.
pub fn shared_data_dir(scene_dir: &Path) -> Result<PathBuf, String> {
    shared_data_dir_by_rule(std::env::var_os(SHARED_DATA_VARIABLE).as_deref(), &repository_root(), scene_dir)
}

/// [`shared_data_dir`] with its inputs explicit: the variable's value and the
/// repository checkout.
pub fn shared_data_dir_by_rule(variable: Option<&std::ffi::OsStr>, repository: &Path, scene_dir: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = variable.filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let repository = normalized(repository);
    let scene_dir = normalized(scene_dir);
    match repository.parent() {
        Some(beside) if scene_dir.starts_with(&repository) => Ok(beside.join("shared").join("data")),
        _ => Err(format!(
            "{} is outside the repository {}, so no shared data folder lies beside it; set {SHARED_DATA_VARIABLE} to the shared data folder",
            scene_dir.display(),
            repository.display()
        )),
    }
}

/// `path` absolute, with `.` and `..` resolved (and links, where it exists).
fn normalized(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A file of the shared data (`relative` inside it), found from `from` as
/// [`shared_data_dir`] does; an error that says where it was looked for
/// when it is absent.
pub fn shared_file(from: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = shared_data_dir(from)?.join(relative);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("shared test data missing: {} (set {SHARED_DATA_VARIABLE})", path.display()))
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
/// `shared:` paths resolve in [`shared_data_dir`], or in the folder given
/// to [`FileResolver::with_shared_dir`].
#[derive(Clone, Debug)]
pub struct FileResolver {
    base_dir: PathBuf,
    shared_dir: Option<PathBuf>,
}

impl FileResolver {
    pub fn new(base_dir: PathBuf) -> Self {
        Self {
            base_dir,
            shared_dir: None,
        }
    }

    /// `shared:` paths resolve in `shared_dir` instead of by the rule of
    /// [`shared_data_dir`].
    pub fn with_shared_dir(base_dir: PathBuf, shared_dir: PathBuf) -> Self {
        Self {
            base_dir,
            shared_dir: Some(shared_dir),
        }
    }
}

impl PathResolver for FileResolver {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        let resolved = if let Some(rest) = path.strip_prefix("shared:") {
            let shared = match &self.shared_dir {
                Some(dir) => dir.clone(),
                None => shared_data_dir(&self.base_dir)?,
            };
            if !shared.is_dir() {
                return Err(format!(
                    "the shared data folder {} is absent (set {SHARED_DATA_VARIABLE} to its location)",
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

#[cfg(test)]
mod measurement_tests;

#[cfg(test)]
mod layer_style_tests;

#[cfg(test)]
mod tour_tests;

#[cfg(test)]
mod edit_tours_tests;
