//! Web Mercator tiles (EPSG:3857, the "slippy map" scheme of OSM, XYZ,
//! WMTS GoogleMapsCompatible, MBTiles and PMTiles): z/x/y with x east from
//! 180° W and y south from about 85.05° N.

use std::f64::consts::PI;

use crate::BasemapError;

/// The deepest zoom any reader or address accepts (PMTiles' tile ids fit 64 bits to zoom 31;
/// nothing the viewer draws needs more than the scene format's 24).
pub const MAX_ZOOM: u8 = 24;

/// Latitude where Web Mercator's square world ends: atan(sinh(π)).
pub const MAX_LATITUDE_DEG: f64 = 85.051_128_779_806_59;

/// One tile of the Web Mercator pyramid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// A tile's extent in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LonLatBounds {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl TileId {
    /// A tile, checked: zoom at most [`MAX_ZOOM`], x and y below 2^z.
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileId, BasemapError> {
        if z > MAX_ZOOM {
            return Err(BasemapError::BadTile(format!("zoom {z} is deeper than {MAX_ZOOM}")));
        }
        let n = 1u32 << z;
        if x >= n || y >= n {
            return Err(BasemapError::BadTile(format!("{z}/{x}/{y}: x and y must be below {n} at zoom {z}")));
        }
        Ok(TileId { z, x, y })
    }

    /// The tile's row counted from the south, as MBTiles (TMS) stores it.
    pub fn tms_row(self) -> u32 {
        // Saturating: the fields are public, so a tile may not have come through `new`.
        let last = (1u64 << self.z.min(MAX_ZOOM)) - 1;
        last.saturating_sub(u64::from(self.y)) as u32
    }

    /// The tile one zoom up that contains this one (`None` at zoom 0).
    pub fn parent(self) -> Option<TileId> {
        (self.z > 0).then(|| TileId {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The four tiles one zoom down (`None` at [`MAX_ZOOM`]).
    pub fn children(self) -> Option<[TileId; 4]> {
        (self.z < MAX_ZOOM).then(|| {
            let (z, x, y) = (self.z + 1, self.x.saturating_mul(2), self.y.saturating_mul(2));
            let (x1, y1) = (x.saturating_add(1), y.saturating_add(1));
            [
                TileId { z, x, y },
                TileId { z, x: x1, y },
                TileId { z, x, y: y1 },
                TileId { z, x: x1, y: y1 },
            ]
        })
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn is_within(self, other: TileId) -> bool {
        let Some(d) = self.z.checked_sub(other.z).map(u32::from) else {
            return false;
        };
        self.x.checked_shr(d).unwrap_or(0) == other.x && self.y.checked_shr(d).unwrap_or(0) == other.y
    }

    pub fn bounds(self) -> LonLatBounds {
        let (west, north) = tile_to_lon_lat(self.z, self.x as f64, self.y as f64);
        let (east, south) = tile_to_lon_lat(self.z, self.x as f64 + 1.0, self.y as f64 + 1.0);
        LonLatBounds { west, south, east, north }
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Fractional tile coordinates of a point at zoom `z` (the OSM wiki's
/// formulas); latitude is clamped to Web Mercator's square.
pub fn lon_lat_to_tile(lon_deg: f64, lat_deg: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z.min(MAX_ZOOM));
    let lat = lat_deg.clamp(-MAX_LATITUDE_DEG, MAX_LATITUDE_DEG).to_radians();
    let x = (lon_deg + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n;
    (x, y)
}

/// The tile holding a point at zoom `z` (edges belong to the tile east and south of them).
pub fn tile_at(lon_deg: f64, lat_deg: f64, z: u8) -> TileId {
    let z = z.min(MAX_ZOOM);
    let last = f64::from((1u32 << z) - 1);
    let (x, y) = lon_lat_to_tile(lon_deg, lat_deg, z);
    TileId {
        z,
        x: x.floor().clamp(0.0, last) as u32,
        y: y.floor().clamp(0.0, last) as u32,
    }
}

/// Longitude and latitude of fractional tile coordinates at zoom `z`.
pub fn tile_to_lon_lat(z: u8, x: f64, y: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z.min(MAX_ZOOM));
    let lon = x / n * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    (lon, lat)
}

/// The PMTiles v3 tile id: tiles of all lower zooms first, then the
/// position along the zoom's Hilbert curve (the specification's reference
/// `zxyToTileId`, in signed arithmetic as it is written there).
pub fn pmtiles_id(tile: TileId) -> u64 {
    // Zoom 31 is the deepest a 64-bit id holds (the tile's own checks refuse deeper ones first).
    let z = u32::from(tile.z.min(31));
    let mut acc = (((1i64 << (2 * z)) - 1) / 3) as u64;
    let (mut x, mut y) = (i64::from(tile.x), i64::from(tile.y));
    for a in (0..z).rev() {
        let s = 1i64 << a;
        let rx = s & x;
        let ry = s & y;
        acc += (((3 * rx) ^ ry) << a) as u64;
        if ry == 0 {
            if rx != 0 {
                x = s - 1 - x;
                y = s - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
    }
    acc
}

/// Metres of ground per tile side at latitude `lat_deg` (the equator's
/// circumference shrunk by cos φ).
pub fn tile_size_m(z: u8, lat_deg: f64) -> f64 {
    2.0 * PI * sontinh_geo::WGS84_A * lat_deg.to_radians().cos() / f64::from(1u32 << z.min(MAX_ZOOM))
}
