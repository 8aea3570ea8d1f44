//! Where a tileset's files come from. Everything in this crate reads
//! through a [`TileSource`]: the folder a scene names today
//! ([`FileSource`]), an HTTP server for the browser build later, without
//! touching the parsing or the traversal.

use std::path::{Component, Path, PathBuf};

/// Reads the bytes of a tileset's files: tileset JSON, subtrees, contents.
/// Locations are paths as the tileset names them, joined to the root's
/// folder and normalised (`a/b/../c` is `a/c`).
pub trait TileSource: Send + Sync {
    fn read(&self, location: &Path) -> Result<Vec<u8>, String>;
}

/// Files on disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileSource;

impl TileSource for FileSource {
    fn read(&self, location: &Path) -> Result<Vec<u8>, String> {
        std::fs::read(location).map_err(|e| e.to_string())
    }
}

/// `relative` resolved against the folder `base`, lexically: the same
/// rules for a file path and a URL path, and a stable name for cycle checks.
pub fn resolve(base: &Path, relative: &str) -> PathBuf {
    // Query strings and fragments name no file.
    let relative = relative.split(['?', '#']).next().unwrap_or(relative);
    normalise(&base.join(relative))
}

/// Removes `.` and folds `..` into its parent, without touching the disk.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // Above the root stays at the root.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_resolved_lexically() {
        assert_eq!(resolve(Path::new("/data/city"), "../tiles/a.b3dm?v=2"), PathBuf::from("/data/tiles/a.b3dm"));
        assert_eq!(resolve(Path::new("data"), "./x/./y.json"), PathBuf::from("data/x/y.json"));
        assert_eq!(normalise(Path::new("../a/../../b")), PathBuf::from("../../b"));
    }
}
