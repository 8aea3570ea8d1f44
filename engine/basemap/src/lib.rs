//! Base maps: raster tiles of the Web Mercator pyramid from MBTiles and
//! PMTiles files and from XYZ and WMTS services, chosen for a view by
//! screen-space error and decoded into RGBA. No I/O of its own: PMTiles is
//! read through byte ranges ([`RangeSource`], or the step-by-step
//! [`PmTiles::locate`] for an async fetcher), MBTiles through SQLite (native
//! only), services by whoever fetches the addresses [`TileTemplate`] makes.

mod address;
mod decode;
#[cfg(not(target_arch = "wasm32"))]
mod mbtiles;
mod pmtiles;
mod select;
mod tile;

pub use address::TileTemplate;
pub use decode::{MAX_TILE_SIDE, TileImage, decode_tile};
#[cfg(not(target_arch = "wasm32"))]
pub use mbtiles::{MbTiles, MbTilesInfo};
pub use pmtiles::{
    Compression, DirEntry, FIRST_READ, HEADER_LEN, Header, Locate, MAX_DIRECTORY_BYTES, MAX_TILE_BYTES, PmTiles, RangeSource, TileType,
    open_source, parse_directory, read_tile,
};
pub use select::{SelectedTile, TileView, select_tiles};
pub use tile::{LonLatBounds, MAX_LATITUDE_DEG, MAX_ZOOM, TileId, lon_lat_to_tile, pmtiles_id, tile_at, tile_size_m, tile_to_lon_lat};

/// What went wrong with a base map, naming the file or tile.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum BasemapError {
    #[error("{0}")]
    BadTile(String),
    /// A PMTiles file's bytes disagree with its own header or directories.
    #[error("PMTiles: {0}")]
    PmTiles(String),
    #[error("MBTiles: {0}")]
    MbTiles(String),
    /// Reading bytes failed (the source's own message).
    #[error("{0}")]
    Read(String),
    #[error("tile {0}: {1}")]
    Decode(String, String),
}
