//! Coordinate reference systems used by the twin and local east-north-up frames.
//!
//! Everything is f64. Geographic positions are [`Geodetic`] (degrees, metres);
//! projected positions are `[easting, northing, height]` in metres.
//! Heights pass through CRS changes unchanged: scenes give heights above the
//! local vertical datum, and the VN-2000 ↔ WGS84 shift is a horizontal change
//! for the twin's purposes (the 7-parameter shift moves the ellipsoidal height
//! by about 12 m, which would only mislead a height readout).

mod crs;
mod enu;
mod wkt;

pub use crs::{Crs, CrsError, Transformer, to_wgs84};
pub use enu::{EnuFrame, WGS84_A, WGS84_F, ecef_to_geodetic, geodetic_to_ecef};
pub use wkt::WktCrs;

/// A position on the WGS84 ellipsoid (or on VN-2000's, when a function says so):
/// longitude and latitude in degrees, height in metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geodetic {
    pub lon_deg: f64,
    pub lat_deg: f64,
    pub height_m: f64,
}

impl Geodetic {
    pub const fn new(lon_deg: f64, lat_deg: f64, height_m: f64) -> Self {
        Self {
            lon_deg,
            lat_deg,
            height_m,
        }
    }

    /// `true` when latitude and longitude are finite and within their ranges.
    pub fn is_valid(&self) -> bool {
        self.lon_deg.is_finite()
            && self.lat_deg.is_finite()
            && self.height_m.is_finite()
            && (-180.0..=180.0).contains(&self.lon_deg)
            && (-90.0..=90.0).contains(&self.lat_deg)
    }
}
