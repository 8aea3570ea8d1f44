//! The ground a base map lies on where the scene has a terrain layer: the
//! DEM that layer draws, sampled at longitude and latitude (bilinear, in
//! the DEM's own CRS, as `sontinh-terrain` places it), so that tiles follow
//! the terrain instead of cutting through it at height 0.

use sontinh_scene::{LayerKind, LayerSource, Scene};
use sontinh_terrain::DemHeights;

pub struct Ground {
    /// The terrain layer's index in the scene.
    pub layer: usize,
    dem: DemHeights,
    /// The DEM's cell size in metres (along its x axis), for the patch's grid.
    pub cell_m: f64,
}

impl Ground {
    /// The first terrain layer's DEM, read through the layers' fetch (disk natively, the site in the browser);
    /// `None` when the scene has no terrain layer with a file.
    pub async fn of_scene(scene: &Scene) -> Result<Option<Ground>, String> {
        let Some((layer, path, crs)) = scene.layers.iter().enumerate().find_map(|(i, l)| match (&l.kind, &l.source) {
            (LayerKind::Terrain, LayerSource::File(p)) => Some((i, p.clone(), l.crs)),
            _ => None,
        }) else {
            return Ok(None);
        };
        let bytes = sontinh_layers::file_bytes(&path).await?;
        let raster = sontinh_raster::read_bytes(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let dem = DemHeights::new(raster, crs).map_err(|e| format!("{}: {e}", path.display()))?;
        let cell_m = dem.cell_m();
        Ok(Some(Ground { layer, dem, cell_m }))
    }

    /// Bytes the DEM holds in memory.
    pub fn bytes(&self) -> u64 {
        self.dem.bytes()
    }

    /// The DEM's height at a point, or `None` off the DEM or over nodata.
    pub fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64> {
        self.dem.height(lon_deg, lat_deg)
    }
}
