//! MBTiles 1.3 (github.com/mapbox/mbtiles-spec): an SQLite file with a
//! `metadata` table (name/value: format, bounds, minzoom, maxzoom,
//! attribution) and a `tiles` table (zoom_level, tile_column, tile_row with
//! rows counted from the south, TMS, tile_data). Read-only; native only.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::BasemapError;
use crate::pmtiles::MAX_TILE_BYTES;
use crate::tile::{MAX_ZOOM, TileId};

/// What the metadata table says (absent keys are `None`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MbTilesInfo {
    pub name: Option<String>,
    /// `png`, `jpg`, `webp`, `pbf`…
    pub format: Option<String>,
    /// West, south, east, north in degrees.
    pub bounds: Option<[f64; 4]>,
    pub min_zoom: Option<u8>,
    pub max_zoom: Option<u8>,
    pub attribution: Option<String>,
}

/// An open MBTiles file. SQLite connections are not `Sync`: the lock lets
/// the viewer's background loads share one.
pub struct MbTiles {
    path: PathBuf,
    db: Mutex<Connection>,
    pub info: MbTilesInfo,
}

impl std::fmt::Debug for MbTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbTiles")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish()
    }
}

fn bad(path: &Path, why: impl std::fmt::Display) -> BasemapError {
    BasemapError::MbTiles(format!("{}: {why}", path.display()))
}

impl MbTiles {
    pub fn open(path: &Path) -> Result<MbTiles, BasemapError> {
        if !path.is_file() {
            return Err(bad(path, "no such file"));
        }
        let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| bad(path, format!("cannot be opened as SQLite: {e}")))?;
        let has = |table: &str| -> Result<bool, BasemapError> {
            db.query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = ?1 AND type IN ('table', 'view')",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| bad(path, format!("not an SQLite database ({e})")))
        };
        for table in ["metadata", "tiles"] {
            if !has(table)? {
                return Err(bad(path, format!("not an MBTiles file: it has no `{table}` table")));
            }
        }
        let mut info = MbTilesInfo::default();
        {
            let mut rows = db
                .prepare("SELECT name, value FROM metadata")
                .map_err(|e| bad(path, format!("metadata: {e}")))?;
            let pairs = rows
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(|e| bad(path, format!("metadata: {e}")))?;
            for pair in pairs {
                let (name, value) = pair.map_err(|e| bad(path, format!("metadata: {e}")))?;
                let zoom = |v: &str| -> Result<u8, BasemapError> {
                    v.trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|z| *z <= MAX_ZOOM)
                        .ok_or_else(|| bad(path, format!("metadata {name} = \"{v}\" is not a zoom 0–{MAX_ZOOM}")))
                };
                match name.as_str() {
                    "name" => info.name = Some(value),
                    "format" => info.format = Some(value),
                    "attribution" => info.attribution = Some(value),
                    "minzoom" => info.min_zoom = Some(zoom(&value)?),
                    "maxzoom" => info.max_zoom = Some(zoom(&value)?),
                    "bounds" => {
                        let parts: Vec<f64> = value.split(',').filter_map(|p| p.trim().parse().ok()).collect();
                        let b: [f64; 4] = parts
                            .try_into()
                            .ok()
                            .filter(|b: &[f64; 4]| b.iter().all(|v| v.is_finite()) && b[0] <= b[2] && b[1] <= b[3])
                            .ok_or_else(|| bad(path, format!("metadata bounds = \"{value}\" is not west,south,east,north")))?;
                        info.bounds = Some(b);
                    }
                    _ => {}
                }
            }
        }
        if let Some(f) = &info.format
            && !matches!(f.as_str(), "png" | "jpg" | "jpeg" | "webp")
        {
            return Err(bad(path, format!("tiles of format \"{f}\" are not raster images (png or jpg)")));
        }
        Ok(MbTiles {
            path: path.to_path_buf(),
            db: Mutex::new(db),
            info,
        })
    }

    /// A tile's bytes (`None` when the file has none there).
    pub fn tile(&self, tile: TileId) -> Result<Option<Vec<u8>>, BasemapError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let row = db
            .query_row(
                "SELECT length(tile_data), tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                [i64::from(tile.z), i64::from(tile.x), i64::from(tile.tms_row())],
                |r| {
                    let len: i64 = r.get(0)?;
                    // Size first: a huge blob is refused before it is copied out.
                    if len < 0 || len as u64 > MAX_TILE_BYTES {
                        return Ok(Err(len));
                    }
                    Ok(Ok(r.get::<_, Vec<u8>>(1)?))
                },
            )
            .optional()
            .map_err(|e| bad(&self.path, format!("tile {tile}: {e}")))?;
        match row {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes)),
            Some(Err(len)) => Err(bad(&self.path, format!("tile {tile} is {len} bytes, more than {MAX_TILE_BYTES}"))),
        }
    }
}
