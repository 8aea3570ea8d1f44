//! Vector layers: GeoJSON, ESRI Shapefile (`.shp` with its `.shx`, `.dbf`
//! and `.prj`), GeoPackage and FlatGeobuf, read into `geo` geometries
//! (`geo_types`, the types the `geo` crate works on) with their attributes
//! and their coordinate reference system.
//!
//! Every reader checks the layout of what it reads before it builds
//! anything from it (counts against the bytes left, offsets inside the
//! file, checked arithmetic), so a damaged or forged file is an error that
//! names the file and what was wrong, never a panic or a huge allocation.
//! The raw formats' readers (`geojson`, `shapefile` + `dbase`, FlatGeobuf's
//! FlatBuffers schema, SQLite + the GeoPackage binary header + WKB) stay in
//! their modules; what leaves the crate is [`VectorData`].
//!
//! GeoPackage needs SQLite (through `rusqlite`, the same `libsqlite3-sys`
//! sqlx links): native only. The other formats build for wasm32 too.

mod crs;
mod fgb;
mod geojson_read;
#[cfg(not(target_arch = "wasm32"))]
mod gpkg;
mod info;
mod shp;
pub mod wkb;

use std::path::{Path, PathBuf};

pub use geo_types;
pub use geo_types::Geometry;
pub use info::{AttributeInfo, Bounds, LayerInfo, bounds_of, for_each_coord, geometry_type_name};
pub use sontinh_geo::Crs;

/// The format a layer was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    GeoJson,
    Shapefile,
    GeoPackage,
    FlatGeobuf,
}

impl Driver {
    /// The name GDAL gives the format.
    pub fn name(self) -> &'static str {
        match self {
            Driver::GeoJson => "GeoJSON",
            Driver::Shapefile => "ESRI Shapefile",
            Driver::GeoPackage => "GPKG",
            Driver::FlatGeobuf => "FlatGeobuf",
        }
    }
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Value {
    /// The value's type as `info` names it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
        }
    }

    /// The text, for a text value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// One feature: its geometry and its attributes in the layer's column order.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    pub geometry: Geometry<f64>,
    pub properties: Vec<(String, Value)>,
}

impl Feature {
    /// The attribute called `name`.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties.iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }
}

/// A vector layer as read.
#[derive(Clone, Debug)]
pub struct VectorData {
    pub driver: Driver,
    /// The layer's coordinate reference system, where the file names one the
    /// project knows (an EPSG code, or a WKT the project recognises).
    pub crs: Option<Crs>,
    /// The system as the file wrote it (WKT or a name), kept when it could
    /// not be turned into a [`Crs`] and for reports.
    pub crs_definition: Option<String>,
    /// Features without geometry are left out; `skipped` counts them.
    pub features: Vec<Feature>,
    /// Features the file holds without a geometry (empty or null).
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a vector format sontinh reads ({reason})")]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{path}: {what}")]
    Malformed { path: PathBuf, what: String },
    #[error("{path}: {what} is not supported")]
    Unsupported { path: PathBuf, what: String },
    #[error("{path}: the shapefile's {part} file {missing} is missing")]
    MissingPart {
        path: PathBuf,
        part: &'static str,
        missing: PathBuf,
    },
}

impl VectorError {
    pub(crate) fn malformed(path: &Path, what: impl Into<String>) -> Self {
        VectorError::Malformed {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }
    pub(crate) fn unsupported(path: &Path, what: impl Into<String>) -> Self {
        VectorError::Unsupported {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        VectorError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Reads a vector file, choosing the reader by its first bytes (FlatGeobuf,
/// SQLite/GeoPackage, a shapefile's file code) and else by its extension
/// (`.geojson`, `.json`).
pub fn read(path: impl AsRef<Path>) -> Result<VectorData, VectorError> {
    let path = path.as_ref();
    match detect(path)? {
        Driver::GeoJson => {
            let bytes = std::fs::read(path).map_err(|e| VectorError::io(path, e))?;
            geojson_read::read(path, &bytes)
        }
        Driver::Shapefile => shp::read(path),
        Driver::FlatGeobuf => {
            let bytes = std::fs::read(path).map_err(|e| VectorError::io(path, e))?;
            fgb::read(path, &bytes)
        }
        #[cfg(not(target_arch = "wasm32"))]
        Driver::GeoPackage => gpkg::read(path),
        #[cfg(target_arch = "wasm32")]
        Driver::GeoPackage => Err(VectorError::unsupported(path, "GeoPackage in the browser build")),
    }
}

/// Reads a GeoJSON, FlatGeobuf or shapefile from bytes already in memory
/// (`name` is used in errors and to tell the format; a shapefile needs its
/// parts: give the `.shp` bytes here and use [`read_shapefile_bytes`]).
pub fn read_bytes(name: &Path, bytes: &[u8]) -> Result<VectorData, VectorError> {
    if bytes.starts_with(fgb::MAGIC_START) {
        return fgb::read(name, bytes);
    }
    if bytes.starts_with(SQLITE_MAGIC) {
        return Err(VectorError::unsupported(name, "a GeoPackage from memory (read it from a file)"));
    }
    geojson_read::read(name, bytes)
}

/// Reads a shapefile from its parts' bytes (`.shp`, `.shx`, `.dbf`, and the
/// `.prj`'s text when there is one).
pub fn read_shapefile_bytes(name: &Path, shp: &[u8], shx: &[u8], dbf: &[u8], prj: Option<&str>) -> Result<VectorData, VectorError> {
    shp::read_parts(name, shp, shx, dbf, prj)
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

fn detect(path: &Path) -> Result<Driver, VectorError> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| VectorError::io(path, e))?;
    let mut filled = 0;
    while filled < head.len() {
        let n = file.read(&mut head[filled..]).map_err(|e| VectorError::io(path, e))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let head = &head[..filled];
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if head.starts_with(fgb::MAGIC_START) {
        return Ok(Driver::FlatGeobuf);
    }
    if head.starts_with(SQLITE_MAGIC) {
        return Ok(Driver::GeoPackage);
    }
    if head.starts_with(&[0x00, 0x00, 0x27, 0x0a]) {
        return Ok(Driver::Shapefile);
    }
    match ext.as_str() {
        "geojson" | "json" => Ok(Driver::GeoJson),
        "shp" => Err(VectorError::malformed(
            path,
            "a .shp file that does not start with the shapefile code 9994",
        )),
        "gpkg" => Err(VectorError::malformed(
            path,
            "a .gpkg file that is not an SQLite database (no \"SQLite format 3\" header)",
        )),
        "fgb" => Err(VectorError::malformed(path, "a .fgb file without the FlatGeobuf magic bytes")),
        _ => {
            let first = head
                .iter()
                .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
            if first == Some(&b'{') {
                Ok(Driver::GeoJson)
            } else {
                Err(VectorError::UnknownFormat {
                    path: path.to_path_buf(),
                    reason: "expected GeoJSON, a shapefile, GeoPackage or FlatGeobuf".to_owned(),
                })
            }
        }
    }
}
