//! Where a base map layer's tiles come from, read off the main thread:
//! PMTiles by byte ranges (`sontinh_layers::file_range`: the disk natively,
//! HTTP range requests in the browser), MBTiles through SQLite (native
//! only), XYZ and WMTS services by HTTP.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sontinh_basemap::{Locate, PmTiles, TileId, TileImage, TileTemplate, decode_tile};
use sontinh_scene::{BasemapSource, Layer, LayerSource};

/// An opened source.
pub enum TileSource {
    PmTiles {
        path: PathBuf,
        file: Mutex<PmTiles>,
    },
    #[cfg(not(target_arch = "wasm32"))]
    MbTiles(sontinh_basemap::MbTiles),
    Service(TileTemplate),
}

impl TileSource {
    /// The zooms the source has tiles for, where it says.
    pub fn zooms(&self) -> Option<(u8, u8)> {
        match self {
            TileSource::PmTiles { file, .. } => {
                let file = file.lock().unwrap_or_else(|e| e.into_inner());
                Some((file.header.min_zoom, file.header.max_zoom))
            }
            #[cfg(not(target_arch = "wasm32"))]
            TileSource::MbTiles(m) => m.info.min_zoom.zip(m.info.max_zoom),
            TileSource::Service(_) => None,
        }
    }
}

/// Opens a base map layer's source (reads a PMTiles file's header and root directory, opens an MBTiles database).
pub async fn open(layer: &Layer) -> Result<TileSource, String> {
    let Some(basemap) = &layer.basemap else {
        return Err(format!("layer \"{}\" is not a base map", layer.id));
    };
    match (&basemap.source, &layer.source) {
        (BasemapSource::Xyz(t), _) => Ok(TileSource::Service(TileTemplate::Xyz(t.clone()))),
        (BasemapSource::Wmts(t), _) => Ok(TileSource::Service(TileTemplate::Wmts(t.clone()))),
        (BasemapSource::File(_), LayerSource::Missing { reason, .. }) => Err(reason.clone()),
        (BasemapSource::File(p), source) => {
            let path = match source {
                LayerSource::File(resolved) => resolved.clone(),
                _ => p.clone(),
            };
            let is_mbtiles = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("mbtiles"));
            if is_mbtiles {
                open_mbtiles(&path)
            } else {
                open_pmtiles(path).await
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn open_mbtiles(path: &Path) -> Result<TileSource, String> {
    sontinh_basemap::MbTiles::open(path)
        .map(TileSource::MbTiles)
        .map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
fn open_mbtiles(path: &Path) -> Result<TileSource, String> {
    Err(format!(
        "{}: MBTiles (SQLite) is read by the native viewer only; in the browser use a PMTiles copy (`pmtiles convert`) or serve it as XYZ tiles",
        path.display()
    ))
}

async fn open_pmtiles(path: PathBuf) -> Result<TileSource, String> {
    let named = |e: sontinh_basemap::BasemapError| format!("{}: {e}", path.display());
    // One request for the header and (by the specification) the root
    // directory; a shorter file's range ends at its end, and the file's
    // length comes with it.
    let (first, len) = sontinh_layers::file_range(&path, 0, sontinh_basemap::FIRST_READ).await?;
    let header = sontinh_basemap::Header::parse(&first, len).map_err(named)?;
    let (root_at, root_len) = PmTiles::root_range(&header);
    let file = if root_at.saturating_add(root_len) <= first.len() as u64 {
        PmTiles::open(&first, len, None)
    } else {
        let (root, _) = sontinh_layers::file_range(&path, root_at, root_len).await?;
        PmTiles::open(&first, len, Some(&root))
    }
    .map_err(named)?;
    Ok(TileSource::PmTiles {
        path,
        file: Mutex::new(file),
    })
}

/// One tile decoded (`Ok(None)`: the source has no such tile).
pub async fn load_tile(source: Arc<TileSource>, tile: TileId) -> Result<Option<TileImage>, String> {
    let bytes = match &*source {
        TileSource::PmTiles { path, file } => pmtiles_tile(path, file, tile).await?,
        #[cfg(not(target_arch = "wasm32"))]
        TileSource::MbTiles(m) => m.tile(tile).map_err(|e| e.to_string())?,
        TileSource::Service(template) => service_tile(&template.address(tile)).await?,
    };
    bytes.map(|b| decode_tile(tile, &b).map_err(|e| e.to_string())).transpose()
}

async fn pmtiles_tile(path: &Path, file: &Mutex<PmTiles>, tile: TileId) -> Result<Option<Vec<u8>>, String> {
    let named = |e: sontinh_basemap::BasemapError| format!("{}: {e}", path.display());
    // Root, leaves, tile: a few rounds at most (the reader bounds the depth).
    for _ in 0..6 {
        // The lock is never held across a read: other tiles go on meanwhile.
        let step = file.lock().unwrap_or_else(|e| e.into_inner()).locate(tile).map_err(named)?;
        match step {
            Locate::Missing => return Ok(None),
            Locate::Tile { offset, length } => {
                let (stored, _) = sontinh_layers::file_range(path, offset, length).await?;
                if stored.len() as u64 != length {
                    return Err(format!("{}: tile {tile}: {} bytes read of {length}", path.display(), stored.len()));
                }
                return file
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .tile_content(stored)
                    .map(Some)
                    .map_err(named);
            }
            Locate::NeedLeaf { offset, length } => {
                let (leaf, _) = sontinh_layers::file_range(path, offset, length).await?;
                file.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .add_leaf(offset, &leaf)
                    .map_err(named)?;
            }
        }
    }
    Err(format!("{}: tile {tile}: its directories did not lead to it", path.display()))
}

/// Largest tile a service may send.
#[cfg(not(target_arch = "wasm32"))]
const MAX_SERVICE_TILE_BYTES: u64 = 16 << 20;

/// A service's tile: `None` when it answers 404 or 204 (no tile there, as tile servers say).
#[cfg(not(target_arch = "wasm32"))]
async fn service_tile(url: &str) -> Result<Option<Vec<u8>>, String> {
    if url.starts_with("https://") {
        return Err(format!(
            "{url}: this native build fetches tiles over plain HTTP only (no TLS); serve the tiles through `sontinh serve` or a local proxy"
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| format!("{url}: {e}"))?;
    let status = response.status().as_u16();
    if status == 404 || status == 204 {
        return Ok(None);
    }
    if status != 200 {
        return Err(format!("{url}: the service answered {status}"));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_SERVICE_TILE_BYTES)
        .read_to_vec()
        .map(Some)
        .map_err(|e| format!("{url}: {e}"))
}

#[cfg(target_arch = "wasm32")]
async fn service_tile(url: &str) -> Result<Option<Vec<u8>>, String> {
    match sontinh_layers::file_bytes(Path::new(url)).await {
        Ok(bytes) => Ok(Some(bytes)),
        // The page's fetch names the status; 404 is "no tile there".
        Err(e) if e.contains("answered 404") || e.contains("answered 204") => Ok(None),
        Err(e) => Err(e),
    }
}
