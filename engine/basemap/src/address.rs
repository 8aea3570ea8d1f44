//! Tile addresses of XYZ and WMTS (RESTful, GoogleMapsCompatible) services.

use crate::tile::TileId;

/// How a service names its tiles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TileTemplate {
    /// `{z}`, `{x}`, `{y}` (OSM and most tile servers); `{-y}` is the TMS row.
    Xyz(String),
    /// `{TileMatrix}`, `{TileRow}`, `{TileCol}` in the Web Mercator quad
    /// matrix set, whose matrix n is zoom n and whose rows run south as XYZ's y do.
    Wmts(String),
}

impl TileTemplate {
    /// The address of one tile.
    pub fn address(&self, tile: TileId) -> String {
        match self {
            TileTemplate::Xyz(t) => t
                .replace("{z}", &tile.z.to_string())
                .replace("{x}", &tile.x.to_string())
                .replace("{-y}", &tile.tms_row().to_string())
                .replace("{y}", &tile.y.to_string()),
            TileTemplate::Wmts(t) => t
                .replace("{TileMatrix}", &tile.z.to_string())
                .replace("{TileRow}", &tile.y.to_string())
                .replace("{TileCol}", &tile.x.to_string()),
        }
    }
}
