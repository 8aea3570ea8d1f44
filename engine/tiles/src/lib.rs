//! OGC 3D Tiles as plain data, and which tiles to draw from where.
//!
//! [`load_tileset`] reads a `tileset.json` (1.0 or 1.1) into one flat tree:
//! transforms accumulated, external tilesets inlined (a cycle is an error),
//! implicit tiling (quadtree or octree, from its subtree files) expanded into
//! explicit tiles. [`read_content`] decodes a tile's b3dm, pnts or glb.
//! [`select`] walks the tree by screen-space error, honouring refinement and
//! viewer request volumes.

mod content;
mod implicit;
mod placed;
mod residency;
mod select;
mod source;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use content::{Content, Points, read_content, read_content_from};
pub use placed::{PlacedTile, TileRequest, place};
pub use source::{FileSource, TileSource, normalise, resolve};
pub use residency::{FramePlan, Residency};
pub use select::{Frustum, View, select};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TilesError {
    #[error("{path}: {why}")]
    File { path: String, why: String },
    #[error("{path}: tileset cycle: {chain}")]
    Cycle { path: String, chain: String },
    #[error("{path}: {why}")]
    Content { path: String, why: String },
}

fn file_error(path: &Path, why: impl Into<String>) -> TilesError {
    TilesError::File {
        path: path.display().to_string(),
        why: why.into(),
    }
}

/// A bounding volume in its tile's coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Volume {
    /// Centre, then three half-axis vectors.
    Box([f64; 12]),
    /// West, south, east, north (radians), minimum and maximum height (m) on WGS 84.
    Region([f64; 6]),
    /// Centre and radius.
    Sphere([f64; 4]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refine {
    Add,
    Replace,
}

/// One tile, with everything inherited already applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    /// Tile to tileset (world) coordinates, column-major 4×4.
    pub transform: [f64; 16],
    pub volume: Volume,
    pub request_volume: Option<Volume>,
    pub geometric_error: f64,
    pub refine: Refine,
    pub content: Option<PathBuf>,
    pub children: Vec<usize>,
    pub parent: Option<usize>,
    /// World bounding sphere (centre, radius) of `volume`.
    pub sphere: ([f64; 3], f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tileset {
    pub version: String,
    pub tiles: Vec<Tile>,
    /// Tileset files read (the root and every external one).
    pub files: Vec<PathBuf>,
}

pub const IDENTITY: [f64; 16] = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0];

pub fn multiply(a: &[f64; 16], b: &[f64; 16]) -> [f64; 16] {
    let mut out = [0.0; 16];
    for c in 0..4 {
        for r in 0..4 {
            out[c * 4 + r] = (0..4).map(|k| a[k * 4 + r] * b[c * 4 + k]).sum();
        }
    }
    out
}

pub fn transform_point(m: &[f64; 16], p: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|r| m[r] * p[0] + m[4 + r] * p[1] + m[8 + r] * p[2] + m[12 + r])
}

fn max_scale(m: &[f64; 16]) -> f64 {
    (0..3).map(|c| (m[c * 4].powi(2) + m[c * 4 + 1].powi(2) + m[c * 4 + 2].powi(2)).sqrt()).fold(0.0, f64::max)
}

/// WGS 84 geodetic (radians, metres) to ECEF.
pub fn geodetic_to_ecef(lon: f64, lat: f64, h: f64) -> [f64; 3] {
    const A: f64 = 6_378_137.0;
    const E2: f64 = 6.694_379_990_14e-3;
    let n = A / (1.0 - E2 * lat.sin().powi(2)).sqrt();
    [(n + h) * lat.cos() * lon.cos(), (n + h) * lat.cos() * lon.sin(), (n * (1.0 - E2) + h) * lat.sin()]
}

/// The world bounding sphere of a volume under `transform` (regions are already in ECEF).
pub fn bounding_sphere(volume: &Volume, transform: &[f64; 16]) -> ([f64; 3], f64) {
    match volume {
        Volume::Box(b) => {
            let centre = transform_point(transform, [b[0], b[1], b[2]]);
            let half = (0..3).map(|k| b[3 + 3 * k].powi(2) + b[4 + 3 * k].powi(2) + b[5 + 3 * k].powi(2)).sum::<f64>().sqrt();
            (centre, half * max_scale(transform))
        }
        Volume::Sphere(s) => (transform_point(transform, [s[0], s[1], s[2]]), s[3] * max_scale(transform)),
        Volume::Region(r) => {
            let mut corners = Vec::new();
            for lon in [r[0], r[2], (r[0] + r[2]) / 2.0] {
                for lat in [r[1], r[3], (r[1] + r[3]) / 2.0] {
                    for h in [r[4], r[5]] {
                        corners.push(geodetic_to_ecef(lon, lat, h));
                    }
                }
            }
            let n = corners.len() as f64;
            let centre = [0, 1, 2].map(|k| corners.iter().map(|c| c[k]).sum::<f64>() / n);
            let radius = corners.iter().map(|c| distance(*c, centre)).fold(0.0, f64::max);
            (centre, radius)
        }
    }
}

pub fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[derive(Deserialize)]
struct RawTileset {
    asset: RawAsset,
    root: RawTile,
}

#[derive(Deserialize)]
struct RawAsset {
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTile {
    bounding_volume: RawVolume,
    #[serde(default)]
    viewer_request_volume: Option<RawVolume>,
    geometric_error: f64,
    #[serde(default)]
    refine: Option<String>,
    #[serde(default)]
    transform: Option<Vec<f64>>,
    #[serde(default)]
    content: Option<RawContent>,
    /// 1.1: several contents; the first is drawn.
    #[serde(default)]
    contents: Option<Vec<RawContent>>,
    #[serde(default)]
    children: Vec<RawTile>,
    #[serde(default)]
    implicit_tiling: Option<implicit::RawImplicit>,
}

#[derive(Deserialize)]
struct RawContent {
    /// 1.0 files sometimes say `url`.
    #[serde(alias = "url")]
    uri: String,
}

#[derive(Deserialize)]
struct RawVolume {
    #[serde(rename = "box")]
    bx: Option<Vec<f64>>,
    region: Option<Vec<f64>>,
    sphere: Option<Vec<f64>>,
}

fn volume(raw: &RawVolume, path: &Path) -> Result<Volume, TilesError> {
    let finite = |v: &Vec<f64>| v.iter().all(|x| x.is_finite());
    match (&raw.bx, &raw.region, &raw.sphere) {
        (Some(b), _, _) if b.len() == 12 && finite(b) => Ok(Volume::Box(b.as_slice().try_into().map_err(|_| file_error(path, "bad box"))?)),
        (_, Some(r), _) if r.len() == 6 && finite(r) => Ok(Volume::Region(r.as_slice().try_into().map_err(|_| file_error(path, "bad region"))?)),
        (_, _, Some(s)) if s.len() == 4 && finite(s) && s[3] >= 0.0 => Ok(Volume::Sphere(s.as_slice().try_into().map_err(|_| file_error(path, "bad sphere"))?)),
        _ => Err(file_error(path, "a bounding volume needs a box (12 numbers), a region (6) or a sphere (4)")),
    }
}

/// Tiles at most, against runaway implicit trees.
pub const MAX_TILES: usize = 1_000_000;

struct Builder<'s> {
    source: &'s dyn TileSource,
    tiles: Vec<Tile>,
    files: Vec<PathBuf>,
    /// External tilesets on the current path, for cycle detection.
    open: Vec<PathBuf>,
}

/// Reads a tileset on disk and every external tileset it refers to.
pub fn load_tileset(path: &Path) -> Result<Tileset, TilesError> {
    load_tileset_from(&FileSource, path)
}

/// Reads a tileset and every external tileset it refers to from `source`.
pub fn load_tileset_from(source: &dyn TileSource, path: &Path) -> Result<Tileset, TilesError> {
    let path = &normalise(path);
    let mut b = Builder {
        source,
        tiles: Vec::new(),
        files: Vec::new(),
        open: Vec::new(),
    };
    let version = b.read_file(path, IDENTITY, None, Refine::Replace)?;
    Ok(Tileset {
        version,
        tiles: b.tiles,
        files: b.files,
    })
}

impl Builder<'_> {
    /// Reads one tileset file; its root becomes a child of `parent`.
    fn read_file(&mut self, path: &Path, transform: [f64; 16], parent: Option<usize>, refine: Refine) -> Result<String, TilesError> {
        let canonical = normalise(path);
        if self.open.contains(&canonical) {
            let chain: Vec<String> = self.open.iter().chain(std::iter::once(&canonical)).map(|p| p.display().to_string()).collect();
            return Err(TilesError::Cycle {
                path: path.display().to_string(),
                chain: chain.join(" → "),
            });
        }
        let bytes = self.source.read(path).map_err(|e| file_error(path, e))?;
        let raw: RawTileset = serde_json::from_slice(&bytes).map_err(|e| file_error(path, format!("not a 3D Tiles tileset: {e}")))?;
        if !(raw.asset.version.starts_with("1.")) {
            return Err(file_error(path, format!("3D Tiles version {} is not read (1.0 and 1.1 are)", raw.asset.version)));
        }
        self.open.push(canonical.clone());
        self.files.push(canonical);
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let result = self.add_tile(&raw.root, &base, path, transform, parent, refine);
        self.open.pop();
        result.map(|_| raw.asset.version)
    }

    fn add_tile(&mut self, raw: &RawTile, base: &Path, file: &Path, parent_transform: [f64; 16], parent: Option<usize>, parent_refine: Refine) -> Result<usize, TilesError> {
        if self.tiles.len() >= MAX_TILES {
            return Err(file_error(file, format!("more than {MAX_TILES} tiles")));
        }
        let transform = match &raw.transform {
            Some(m) if m.len() == 16 && m.iter().all(|x| x.is_finite()) => {
                let m: [f64; 16] = m.as_slice().try_into().map_err(|_| file_error(file, "bad transform"))?;
                multiply(&parent_transform, &m)
            }
            Some(_) => return Err(file_error(file, "a transform needs 16 finite numbers")),
            None => parent_transform,
        };
        let refine = match raw.refine.as_deref() {
            Some("ADD") => Refine::Add,
            Some("REPLACE") => Refine::Replace,
            Some(other) => return Err(file_error(file, format!("refine \"{other}\": expected ADD or REPLACE"))),
            None => parent_refine,
        };
        if !(raw.geometric_error.is_finite() && raw.geometric_error >= 0.0) {
            return Err(file_error(file, "geometricError must be a number ≥ 0"));
        }
        let v = volume(&raw.bounding_volume, file)?;
        let request_volume = raw.viewer_request_volume.as_ref().map(|r| volume(r, file)).transpose()?;
        let uri = raw.content.as_ref().or(raw.contents.as_ref().and_then(|c| c.first())).map(|c| c.uri.clone());
        let index = self.tiles.len();
        self.tiles.push(Tile {
            transform,
            volume: v,
            request_volume,
            geometric_error: raw.geometric_error,
            refine,
            content: None,
            children: Vec::new(),
            parent,
            sphere: bounding_sphere(&v, &transform),
        });
        if let Some(p) = parent {
            self.tiles[p].children.push(index);
        }
        if let Some(implicit) = &raw.implicit_tiling {
            let template = uri.ok_or_else(|| file_error(file, "implicit tiling without a content template"))?;
            implicit::expand(self, implicit, index, &template, base, file)?;
        } else if let Some(uri) = uri {
            let target = resolve(base, &uri);
            if target.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
                // An external tileset: its root hangs under this tile.
                self.read_file(&target, transform, Some(index), refine)?;
            } else {
                self.tiles[index].content = Some(target);
            }
        }
        for child in &raw.children {
            self.add_tile(child, base, file, transform, Some(index), refine)?;
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests;
