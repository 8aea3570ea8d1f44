//! The `sontinh` application: command line, windowed viewer and headless renderer.

pub mod cli;
pub mod headless;
pub mod viewer;

use std::path::{Path, PathBuf};

/// The default scene, relative to the repository root.
pub const DEFAULT_SCENE: &str = "scenes/quang-tri-citadel.toml";

/// Finds the default scene from the working directory, else from where this
/// crate was built (so that `cargo run` works from any folder of the checkout).
pub fn default_scene_path() -> PathBuf {
    let here = PathBuf::from(DEFAULT_SCENE);
    if here.is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEFAULT_SCENE)
}
