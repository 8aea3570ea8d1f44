//! A DEM as the ground's height at a longitude and latitude: sampled
//! (bilinear) in the DEM's own CRS, as the terrain is placed. One piece for
//! everything that stands on the terrain: measurements, draped vector
//! layers, base map tiles.

use sontinh_geo::{Crs, Transformer};
use sontinh_raster::GeoRaster;

/// A DEM read, with the transform from WGS 84 into its CRS.
pub struct DemHeights {
    raster: GeoRaster,
    // Boxed: a transformer is over a kilobyte, the rest a few words.
    to_dem: Box<Transformer>,
    crs: Crs,
}

impl DemHeights {
    /// `raster` in `crs` (a layer's override), else in the CRS it names;
    /// errors name neither, the caller says which DEM.
    pub fn new(raster: GeoRaster, crs: Option<Crs>) -> Result<DemHeights, String> {
        let crs = match (crs, raster.crs) {
            (Some(crs), _) => crs,
            (None, Some(epsg)) => Crs::from_epsg(epsg.code).ok_or_else(|| format!("EPSG:{} is not a system the twin knows", epsg.code))?,
            (None, None) => return Err("the DEM declares no CRS; give the layer a crs".to_owned()),
        };
        let to_dem = Box::new(Transformer::new(Crs::Wgs84, crs).map_err(|e| e.to_string())?);
        Ok(DemHeights { raster, to_dem, crs })
    }

    /// The height at a point, or `None` off the DEM or over nodata.
    pub fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64> {
        let p = self.to_dem.transform([lon_deg, lat_deg, 0.0]).ok()?;
        let h = self.raster.sample(p[0], p[1]);
        (h.is_finite() && self.raster.nodata.is_none_or(|n| (h - n).abs() > 1e-6)).then_some(h)
    }

    /// The DEM's cell size in metres (along its x axis).
    pub fn cell_m(&self) -> f64 {
        let unit = if self.crs.is_geographic() {
            111_320.0
        } else {
            self.crs.linear_unit_m()
        };
        (self.raster.transform.pixel_width.abs() * unit).max(0.01)
    }

    /// Bytes the DEM holds in memory.
    pub fn bytes(&self) -> u64 {
        (self.raster.values.len() * std::mem::size_of::<f64>()) as u64
    }
}
