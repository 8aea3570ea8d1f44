//! What a site serves: a fixed table from address to file, made when the
//! server starts. Only addresses in the table exist; nothing is looked up
//! on disk from a request's path, so no request can reach another file.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sontinh_pointcloud::PointCloudFile;
use sontinh_pointcloud::convert::{Progress, cached_conversion};
use sontinh_scene::{FileResolver, LayerKind, LayerSource, PathResolver, site_path};

use crate::references::referenced_files;

/// Bundle files are served with their pre-compressed variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The page and the wasm bundle: revalidated on every load.
    Bundle,
    /// A scene file.
    Scene,
    /// A file a scene references (and the files those reference).
    Data,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SiteFile {
    pub path: PathBuf,
    pub kind: FileKind,
}

/// Where plain LAS/LAZ layers are converted to COPC, and who hears of it.
pub struct Conversion<'a> {
    pub cache_dir: PathBuf,
    pub progress: &'a dyn Progress,
}

impl Conversion<'_> {
    /// The file to serve for a point cloud layer: the file itself when it
    /// is COPC, else its cached COPC conversion.
    fn as_copc(&self, path: &Path) -> Result<PathBuf, String> {
        let file = PointCloudFile::open(path).map_err(|e| e.to_string())?;
        if file.copc.is_some() {
            return Ok(path.to_path_buf());
        }
        cached_conversion(path, &self.cache_dir, self.progress).map_err(|e| format!("converting it to COPC for the browser: {e}"))
    }
}

/// The table of a site.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    files: BTreeMap<String, SiteFile>,
    /// The scene addresses, in the order given.
    pub scenes: Vec<String>,
    /// The flood results folders' addresses.
    pub floods: Vec<String>,
}

/// A scene's resolver that remembers every path it resolved, with the path
/// as the scene wrote it (which gives the address).
struct RecordingResolver {
    inner: FileResolver,
    seen: RefCell<Vec<(String, PathBuf)>>,
}

impl PathResolver for RecordingResolver {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        let resolved = self.inner.resolve(path)?;
        self.seen.borrow_mut().push((path.to_owned(), resolved.clone()));
        Ok(resolved)
    }
}

impl Catalog {
    pub fn get(&self, address: &str) -> Option<&SiteFile> {
        self.files.get(address)
    }

    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The table for `scenes` (served at `/scenes/<file name>`, with the
    /// files they reference) and the bundle folder (served at `/`; `None`
    /// serves data only). Every scene must check; every file must be a
    /// regular file (a link is refused, so nothing outside its folder is
    /// reached through one).
    ///
    /// A point cloud layer whose file is plain LAS/LAZ is served as COPC:
    /// converted now (once; kept in the viewer's conversion cache) and its
    /// address given the converted file, since the browser streams COPC
    /// by ranges and never converts.
    pub fn build(scenes: &[PathBuf], bundle: Option<&Path>) -> Result<Catalog, String> {
        let conversion = Conversion {
            cache_dir: sontinh_pointcloud::convert::default_cache_dir(),
            progress: &sontinh_pointcloud::convert::Silent,
        };
        Catalog::build_converting(scenes, bundle, &conversion)
    }

    /// [`Catalog::build`] with the conversion cache and progress given.
    pub fn build_converting(scenes: &[PathBuf], bundle: Option<&Path>, conversion: &Conversion) -> Result<Catalog, String> {
        let mut catalog = Catalog::default();
        if let Some(dir) = bundle {
            catalog.add_bundle(dir)?;
        }
        for scene in scenes {
            catalog.add_scene(scene, conversion)?;
        }
        Ok(catalog)
    }

    fn insert(&mut self, address: String, path: PathBuf, kind: FileKind) -> Result<(), String> {
        let metadata = std::fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if metadata.file_type().is_symlink() {
            return Err(format!("{}: is a link; the site serves regular files only", path.display()));
        }
        if !metadata.is_file() {
            return Err(format!("{}: is not a regular file", path.display()));
        }
        if let Some(existing) = self.files.get(&address)
            && existing.path != path
        {
            return Err(format!(
                "{address} would serve both {} and {}: give the scenes distinct file names",
                existing.path.display(),
                path.display()
            ));
        }
        self.files.insert(address, SiteFile { path, kind });
        Ok(())
    }

    fn add_bundle(&mut self, dir: &Path) -> Result<(), String> {
        if !dir.join("index.html").is_file() {
            return Err(format!("{}: no index.html; build the browser bundle first (tools/build-web.sh)", dir.display()));
        }
        self.add_bundle_folder(dir, "/", 0)
    }

    fn add_bundle_folder(&mut self, dir: &Path, address: &str, depth: u32) -> Result<(), String> {
        // The bundle is one level of back-end folders; anything deeper is not ours.
        if depth > 1 {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            let file_type = entry.file_type().map_err(|e| format!("{}: {e}", entry.path().display()))?;
            if file_type.is_dir() {
                self.add_bundle_folder(&entry.path(), &format!("{address}{name}/"), depth + 1)?;
            } else if file_type.is_file() && !name.ends_with(".br") && !name.ends_with(".gz") {
                // Compressed variants are found beside their file by the server.
                self.insert(format!("{address}{name}"), entry.path(), FileKind::Bundle)?;
            }
        }
        Ok(())
    }

    fn add_scene(&mut self, scene: &Path, conversion: &Conversion) -> Result<(), String> {
        let name = scene
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: not a scene file name", scene.display()))?;
        let address = format!("/scenes/{name}");
        let base = scene.parent().map(Path::to_path_buf).unwrap_or_default();
        let resolver = RecordingResolver {
            inner: FileResolver::new(base),
            seen: RefCell::default(),
        };
        let text = std::fs::read_to_string(scene).map_err(|e| format!("{}: {e}", scene.display()))?;
        let parsed = sontinh_scene::parse(&text, scene, &resolver).map_err(|e| e.to_string())?;
        let clouds: Vec<&Path> = parsed
            .layers
            .iter()
            .filter(|layer| layer.kind == LayerKind::PointCloud)
            .filter_map(|layer| match &layer.source {
                LayerSource::File(path) => Some(path.as_path()),
                _ => None,
            })
            .collect();
        self.insert(address.clone(), scene.to_path_buf(), FileKind::Scene)?;
        for (written, resolved) in resolver.seen.into_inner() {
            let file_address = site_path(&address, &written).map_err(|e| format!("{}: {e}", scene.display()))?;
            let served = if clouds.contains(&resolved.as_path()) { conversion.as_copc(&resolved)? } else { resolved };
            self.add_data(file_address, served)?;
        }
        self.scenes.push(address);
        Ok(())
    }

    /// A flood run's output folder (`sontinh flood run -o DIR`), served at
    /// `/floods/<folder name>/` for a page's `flood=` address: the terrain and
    /// result rasters, places, summary, and the snapshots its index names.
    /// Returns the address.
    pub fn add_flood_results(&mut self, dir: &Path) -> Result<String, String> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) && !n.starts_with('.'))
            .ok_or_else(|| format!("{}: give the flood results folder a plain name (letters, digits, . _ -)", dir.display()))?;
        let address = format!("/floods/{name}");
        if !dir.join("terrain.tif").is_file() {
            return Err(format!("{}: no terrain.tif; give the output folder of `sontinh flood run`", dir.display()));
        }
        for file in ["terrain.tif", "max_depth.tif", "arrival_time.tif", "places.csv", "summary.json", "extent.geojson", "gauges.csv"] {
            let path = dir.join(file);
            if path.exists() {
                self.insert(format!("{address}/{file}"), path, FileKind::Data)?;
            }
        }
        let index = dir.join(sontinh_flood::outputs::SNAPSHOT_INDEX);
        if index.exists() {
            let text = std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
            let snapshots = sontinh_flood::outputs::parse_snapshot_index(&text).map_err(|e| format!("{}: {e}", dir.display()))?;
            self.insert(format!("{address}/{}", sontinh_flood::outputs::SNAPSHOT_INDEX), index, FileKind::Data)?;
            for (_, file) in snapshots {
                self.insert(format!("{address}/snapshots/{file}"), dir.join("snapshots").join(&file), FileKind::Data)?;
            }
        }
        self.floods.push(address.clone());
        Ok(address)
    }

    /// A data file and, through it, every file it references.
    fn add_data(&mut self, address: String, path: PathBuf) -> Result<(), String> {
        let mut pending = vec![(address, path)];
        while let Some((address, path)) = pending.pop() {
            if self.files.contains_key(&address) {
                continue;
            }
            self.insert(address.clone(), path.clone(), FileKind::Data)?;
            let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
            for written in referenced_files(&path)? {
                let child = site_path(&address, &written).map_err(|e| format!("{}: {e}", path.display()))?;
                pending.push((child, folder.join(&written)));
            }
        }
        Ok(())
    }
}
