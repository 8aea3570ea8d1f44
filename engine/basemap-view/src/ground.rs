//! The ground a base map lies on where the scene has a terrain layer: the
//! DEM that layer draws, sampled at longitude and latitude (bilinear, in
//! the DEM's own CRS, as `sontinh-terrain` places it), so that tiles follow
//! the terrain instead of cutting through it at height 0.

use sontinh_geo::{Crs, Transformer};
use sontinh_raster::GeoRaster;
use sontinh_scene::{LayerKind, LayerSource, Scene};

pub struct Ground {
    /// The terrain layer's index in the scene.
    pub layer: usize,
    raster: GeoRaster,
    to_dem: Transformer,
    /// The DEM's cell size in metres (along its x axis), for the patch's grid.
    pub cell_m: f64,
}

impl Ground {
    /// The first terrain layer's DEM, read through the layers' fetch (disk natively, the site in the browser);
    /// `None` when the scene has no terrain layer with a file.
    pub async fn of_scene(scene: &Scene) -> Result<Option<Ground>, String> {
        let Some((layer, path)) = scene.layers.iter().enumerate().find_map(|(i, l)| match (&l.kind, &l.source) {
            (LayerKind::Terrain, LayerSource::File(p)) => Some((i, p.clone())),
            _ => None,
        }) else {
            return Ok(None);
        };
        let bytes = sontinh_layers::file_bytes(&path).await?;
        let raster = sontinh_raster::read_bytes(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let epsg = raster.crs.ok_or_else(|| format!("{}: the DEM names no CRS", path.display()))?;
        let crs = Crs::from_epsg(epsg.code).ok_or_else(|| format!("{}: EPSG:{} is not in the bundled table", path.display(), epsg.code))?;
        let to_dem = Transformer::new(Crs::Wgs84, crs).map_err(|e| format!("{}: {e}", path.display()))?;
        let unit = if crs.is_geographic() { 111_320.0 } else { crs.linear_unit_m() };
        let cell_m = (raster.transform.pixel_width.abs() * unit).max(0.01);
        Ok(Some(Ground {
            layer,
            raster,
            to_dem,
            cell_m,
        }))
    }

    /// Bytes the DEM holds in memory.
    pub fn bytes(&self) -> u64 {
        (self.raster.values.len() * std::mem::size_of::<f64>()) as u64
    }

    /// The DEM's height at a point, or `None` off the DEM or over nodata.
    pub fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64> {
        let p = self.to_dem.transform([lon_deg, lat_deg, 0.0]).ok()?;
        let h = self.raster.sample(p[0], p[1]);
        (h.is_finite() && self.raster.nodata.is_none_or(|n| (h - n).abs() > 1e-6)).then_some(h)
    }
}
