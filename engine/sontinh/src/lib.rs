//! The `sontinh` application: command line, windowed viewer and headless renderer.

pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod city;
#[cfg(not(target_arch = "wasm32"))]
pub mod dem;
#[cfg(not(target_arch = "wasm32"))]
pub mod feeds;
#[cfg(not(target_arch = "wasm32"))]
pub mod flood;
pub mod headless;
#[cfg(not(target_arch = "wasm32"))]
pub mod measure;
#[cfg(not(target_arch = "wasm32"))]
pub mod pc;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
#[cfg(not(target_arch = "wasm32"))]
pub mod vector;
pub mod viewer;
pub mod web;
pub mod web_tour;

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

/// The default scene's text, compiled into the binary.
pub const DEFAULT_SCENE_TEXT: &str = include_str!("../../../scenes/quang-tri-citadel.toml");

/// The default scene compiled into the binary, for the browser build where
/// there is no file system. Its layers are all generated, so no file is read.
pub fn embedded_default_scene() -> Result<sontinh_scene::Scene, sontinh_scene::SceneErrors> {
    struct NoFiles;
    impl sontinh_scene::PathResolver for NoFiles {
        fn resolve(&self, path: &str) -> Result<PathBuf, String> {
            Err(format!("{path}: files cannot be read by the embedded scene"))
        }
    }
    sontinh_scene::parse(
        DEFAULT_SCENE_TEXT,
        Path::new(DEFAULT_SCENE),
        &NoFiles,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_default_scene_parses() {
        let scene = super::embedded_default_scene().unwrap();
        assert_eq!(scene.id, "quang-tri-citadel");
    }
}
