//! The simulation grid: north-up, square cells, in the UTM zone of the
//! scene's origin (48N for Quảng Trị), from a DEM file or the generated
//! Citadel, with the scenario's breaches cut into it.

use std::path::Path;

use rayon::prelude::*;
use sontinh_flood::Raster;
use sontinh_geo::{Crs, Transformer};
use sontinh_procgen::citadel;
use sontinh_raster::{Epsg, GeoRaster, GeoTransform};
use sontinh_scene::{FloodScenario, Generator, LayerSource, Scene};

/// A file's bytes by path: from disk, or the files a page fetched.
pub type Files<'a> = &'a dyn Fn(&Path) -> Result<Vec<u8>, String>;

#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// The grid's CRS and its EPSG code.
    pub utm: Crs,
    pub epsg: u16,
    pub nx: usize,
    pub ny: usize,
    pub cell: f64,
    pub transform: GeoTransform,
    /// Ground elevation per cell, m.
    pub z: Vec<f64>,
    /// Water at the start (the Citadel's moat), m.
    pub initial_depth: Vec<f64>,
}

/// The UTM zone (WGS 84) of the scene's origin: the flood grid's CRS.
pub fn utm_zone(scene: &Scene) -> Result<(Crs, u16), String> {
    let o = scene.origin;
    let zone = (((o.lon_deg + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u16 + 1;
    let epsg = if o.lat_deg >= 0.0 { 32600 + zone } else { 32700 + zone };
    let crs = Crs::from_epsg(epsg).ok_or_else(|| format!("no definition for EPSG:{epsg}"))?;
    Ok((crs, epsg))
}

/// A scene ENU position (east, north) in the grid's UTM metres.
pub fn enu_to_utm(scene: &Scene, to_utm: &Transformer, enu: [f64; 2]) -> Result<(f64, f64), String> {
    let g = scene.frame.enu_to_geodetic([enu[0], enu[1], 0.0]);
    let [x, y, _] = to_utm.transform([g.lon_deg, g.lat_deg, 0.0]).map_err(|e| e.to_string())?;
    Ok((x, y))
}

impl Domain {
    /// The grid of `scenario` over its terrain layer, breaches applied;
    /// a DEM is read through `files`.
    pub fn new(scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer, files: Files) -> Result<Domain, String> {
        let layer = scene
            .layers
            .iter()
            .find(|l| l.id == scenario.terrain_layer)
            .ok_or_else(|| format!("terrain layer \"{}\" is not in the scene", scenario.terrain_layer))?;
        let mut domain = match &layer.source {
            LayerSource::Generator(Generator::QuangTriCitadel) => procedural_domain(scene, scenario, to_utm)?,
            LayerSource::File(path) => {
                let bytes = files(path)?;
                let dem = sontinh_raster::read_bytes(path, &bytes).map_err(|e| e.to_string())?;
                dem_domain(&dem, path, scene, scenario, to_utm)?
            }
            LayerSource::Missing { reason, .. } => return Err(reason.clone()),
            LayerSource::Service(url) => return Err(format!("a flood cannot run on a tile service ({url})")),
        };
        domain.apply_breaches(scene, scenario, to_utm)?;
        Ok(domain)
    }

    /// The cell holding a scene ENU position, if inside the grid.
    pub fn cell_of(&self, scene: &Scene, to_utm: &Transformer, enu: [f64; 2]) -> Result<Option<(usize, usize)>, String> {
        let (x, y) = enu_to_utm(scene, to_utm, enu)?;
        let (c, r) = self.transform.to_pixel(x, y);
        Ok((c >= 0.0 && r >= 0.0 && (c as usize) < self.nx && (r as usize) < self.ny).then_some((c as usize, r as usize)))
    }

    /// One value per cell on this grid, in its UTM zone.
    pub fn raster(&self, values: Vec<f64>) -> GeoRaster {
        GeoRaster {
            width: self.nx,
            height: self.ny,
            values,
            transform: self.transform,
            crs: Some(Epsg {
                code: self.epsg,
                geographic: false,
            }),
            nodata: None,
            sample_type: "float32",
        }
    }

    /// [`Domain::raster`] as GeoTIFF bytes (`name` names it in errors).
    pub fn geotiff(&self, name: &str, values: Vec<f64>) -> Result<Vec<u8>, String> {
        sontinh_raster::geotiff_bytes(Path::new(name), &self.raster(values)).map_err(|e| e.to_string())
    }

    /// The solver's terrain raster.
    pub fn terrain(&self) -> Result<Raster, String> {
        Raster::new(self.nx, self.ny, self.cell, self.z.clone()).map_err(|e| e.to_string())
    }

    /// Sets the ground along each breach (or wall) segment to its elevation.
    fn apply_breaches(&mut self, scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<(), String> {
        for breach in &scenario.breaches {
            let (a, b) = (enu_to_utm(scene, to_utm, breach.from)?, enu_to_utm(scene, to_utm, breach.to)?);
            let mut touched = 0;
            for r in 0..self.ny {
                for c in 0..self.nx {
                    let p = self.transform.pixel_centre(c, r);
                    if segment_distance(p, a, b) <= breach.width_m / 2.0 {
                        let i = r * self.nx + c;
                        let was_wet = self.initial_depth[i] > 0.0;
                        let surface = self.z[i] + self.initial_depth[i];
                        self.z[i] = breach.elevation_m;
                        self.initial_depth[i] = if was_wet { (surface - breach.elevation_m).max(0.0) } else { 0.0 };
                        touched += 1;
                    }
                }
            }
            if touched == 0 {
                return Err(format!("breach \"{}\" touches no cell of the simulated area", breach.name.en));
            }
        }
        Ok(())
    }
}

// The scene refuses the grids the solver would: one cap for both.
const _: () = assert!(Raster::MAX_CELLS == sontinh_scene::MAX_FLOOD_CELLS);

/// The scenario's square grid centred on the scene origin, in UTM.
fn scenario_grid(scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<(usize, GeoTransform), String> {
    let o = scene.origin;
    let [e0, n0, _] = to_utm.transform([o.lon_deg, o.lat_deg, 0.0]).map_err(|e| e.to_string())?;
    let cell = scenario.cell_size_m;
    // Capped before the n × n arrays are allocated (the scene check caps it too).
    let n = Raster::square_side(scenario.extent_m, cell).map_err(|e| e.to_string())?;
    let transform = GeoTransform {
        origin_x: e0 - n as f64 * cell / 2.0,
        origin_y: n0 + n as f64 * cell / 2.0,
        pixel_width: cell,
        pixel_height: -cell,
    };
    Ok((n, transform))
}

/// Samples the citadel reconstruction on the UTM grid centred on the origin.
fn procedural_domain(scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<Domain, String> {
    let o = scene.origin;
    let (utm, epsg) = utm_zone(scene)?;
    let cell = scenario.cell_size_m;
    let (n, transform) = scenario_grid(scene, scenario, to_utm)?;
    let layout = citadel::Layout::default();
    let mut z = vec![0.0; n * n];
    let mut depth = vec![0.0; n * n];
    z.par_chunks_mut(n)
        .zip(depth.par_chunks_mut(n))
        .enumerate()
        .try_for_each(|(r, (z_row, d_row))| {
            let from_utm = Transformer::new(utm, Crs::Wgs84).map_err(|e| e.to_string())?;
            for c in 0..n {
                let (x, y) = transform.pixel_centre(c, r);
                let g = from_utm.to_geodetic([x, y, 0.0]).map_err(|e| e.to_string())?;
                let enu = scene.frame.geodetic_to_enu(g);
                let p = [enu[0] as f32, enu[1] as f32];
                // Walls are part of the terrain the water meets; gates stay open.
                let ground = f64::from(layout.wall_top(p, cell as f32 / 2.0).unwrap_or_else(|| layout.ground_height(p))) + o.height_m;
                z_row[c] = ground;
                d_row[c] = layout
                    .water_level(p)
                    .map(|l| (f64::from(l) + o.height_m - ground).max(0.0))
                    .unwrap_or(0.0);
            }
            Ok::<(), String>(())
        })?;
    Ok(Domain {
        utm,
        epsg,
        nx: n,
        ny: n,
        cell,
        transform,
        z,
        initial_depth: depth,
    })
}

/// A DEM: used as it is when it is already a square-celled, north-up grid
/// in the scene's UTM zone; otherwise (any other CRS, such as SRTM's
/// longitude/latitude) resampled bilinearly onto the scenario's UTM grid
/// around the scene origin.
fn dem_domain(dem: &GeoRaster, path: &Path, scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<Domain, String> {
    let (utm, epsg) = utm_zone(scene)?;
    let Some(dem_epsg) = dem.crs else {
        return Err(format!("{}: the DEM declares no CRS, so it cannot be placed", path.display()));
    };
    let t = dem.transform;
    let square = (t.pixel_width + t.pixel_height).abs() <= 1e-9 * t.pixel_width.abs() && t.pixel_width > 0.0;
    // Nodata cells become high ground that water cannot enter.
    let top = dem
        .stats()
        .map(|s| s.max)
        .ok_or_else(|| format!("{}: no valid elevation", path.display()))?;
    let wall = |v: f64| if v.is_finite() { v } else { top + 1000.0 };
    if dem_epsg.code == epsg && square {
        let cells = dem.width.checked_mul(dem.height).filter(|c| *c <= Raster::MAX_CELLS).ok_or_else(|| {
            format!("{}: {} × {} cells, more than the {} a flood grid may have", path.display(), dem.width, dem.height, Raster::MAX_CELLS)
        })?;
        return Ok(Domain {
            utm,
            epsg,
            nx: dem.width,
            ny: dem.height,
            cell: t.pixel_width,
            transform: t,
            z: dem.values.iter().map(|v| wall(*v)).collect(),
            initial_depth: vec![0.0; cells],
        });
    }
    let source = Crs::from_epsg(dem_epsg.code)
        .ok_or_else(|| format!("{}: EPSG:{} is not in the EPSG table, so the DEM cannot be reprojected", path.display(), dem_epsg.code))?;
    let (n, transform) = scenario_grid(scene, scenario, to_utm)?;
    let mut z = vec![0.0; n * n];
    z.par_chunks_mut(n).enumerate().try_for_each(|(r, row)| {
        let to_dem = Transformer::new(utm, source).map_err(|e| e.to_string())?;
        for (c, value) in row.iter_mut().enumerate() {
            let (x, y) = transform.pixel_centre(c, r);
            let [sx, sy, _] = to_dem.transform([x, y, 0.0]).map_err(|e| e.to_string())?;
            *value = wall(dem.sample(sx, sy));
        }
        Ok::<(), String>(())
    })?;
    let covered = z.iter().filter(|v| **v <= top).count();
    if covered == 0 {
        return Err(format!(
            "{}: the DEM (EPSG:{}) does not cover the scenario's area around the scene origin",
            path.display(),
            dem_epsg.code
        ));
    }
    Ok(Domain {
        utm,
        epsg,
        nx: n,
        ny: n,
        cell: scenario.cell_size_m,
        transform,
        z,
        initial_depth: vec![0.0; n * n],
    })
}

pub(crate) fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}
