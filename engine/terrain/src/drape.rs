//! Draping an orthophoto over the terrain: the photo is resampled into one
//! texture aligned with the DEM's grid, so every chunk's texture
//! coordinates are simply its samples' place in the grid, whatever the
//! photo's CRS. Where the photo does not reach, the texture keeps the
//! terrain's own colouring (elevation tint with hillshade).

use sontinh_geo::{Crs, Transformer};
use sontinh_raster::{GeoRaster, Orthophoto};

use crate::{TerrainError, hillshade, hypsometric};

/// The texture every chunk samples, RGBA8, row 0 at the DEM's first row.
#[derive(Clone, Debug, PartialEq)]
pub struct DrapeTexture {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
    /// Share of texels taken from the photo (0–1).
    pub coverage: f64,
}

/// Texels per side of the lattice on which the CRS transform is computed exactly.
const LATTICE: usize = 32;

/// Resamples `photo` (in `photo_crs`) onto the grid of `dem`, at most
/// `max_side` texels a side (GPU texture limits) and no finer than the
/// photo itself over the DEM.
pub fn drape_texture(dem: &GeoRaster, photo: &Orthophoto, photo_crs: Crs, max_side: usize) -> Result<DrapeTexture, TerrainError> {
    let epsg = dem.crs.ok_or(TerrainError::NoCrs)?;
    let dem_crs = Crs::from_epsg(epsg.code).ok_or(TerrainError::UnknownCrs(epsg.code))?;
    let to_photo = Transformer::new(dem_crs, photo_crs).map_err(|e| TerrainError::Transform(e.to_string()))?;
    let (w, h) = (dem.width, dem.height);
    if w < 2 || h < 2 {
        return Err(TerrainError::TooSmall(w, h));
    }
    // Texture (u, v) in 0–1 spans the DEM's first to last pixel centres.
    let dem_position = |u: f64, v: f64| {
        let (c, r) = (u * (w - 1) as f64, v * (h - 1) as f64);
        let t = &dem.transform;
        (t.origin_x + (c + 0.5) * t.pixel_width, t.origin_y + (r + 0.5) * t.pixel_height)
    };
    let photo_pixel = |u: f64, v: f64| -> Result<(f64, f64), TerrainError> {
        let (x, y) = dem_position(u, v);
        let p = to_photo.transform([x, y, 0.0]).map_err(|e| TerrainError::Transform(e.to_string()))?;
        Ok(photo.transform.to_pixel(p[0], p[1]))
    };
    // The photo's own resolution over the DEM's extent sets the texture's.
    let corners = [photo_pixel(0.0, 0.0)?, photo_pixel(1.0, 0.0)?, photo_pixel(0.0, 1.0)?];
    let across = ((corners[1].0 - corners[0].0).powi(2) + (corners[1].1 - corners[0].1).powi(2)).sqrt();
    let down = ((corners[2].0 - corners[0].0).powi(2) + (corners[2].1 - corners[0].1).powi(2)).sqrt();
    let side = |n: f64| (n.ceil() as usize).clamp(16, max_side.max(16));
    let (tw, th) = (side(across), side(down));

    let mut lattice = Vec::with_capacity((LATTICE + 1) * (LATTICE + 1));
    for j in 0..=LATTICE {
        for i in 0..=LATTICE {
            lattice.push(photo_pixel(i as f64 / LATTICE as f64, j as f64 / LATTICE as f64)?);
        }
    }
    let stats = dem.stats().ok_or(TerrainError::NoData)?;
    let span = (stats.max - stats.min).max(1e-9);
    let cell = cell_size_m(dem, dem_crs);
    let mut rgba = Vec::with_capacity(tw * th * 4);
    let mut covered = 0usize;
    for ty in 0..th {
        let v = (ty as f64 + 0.5) / th as f64;
        let gy = v * LATTICE as f64;
        let ly = (gy as usize).min(LATTICE - 1);
        let fy = gy - ly as f64;
        for tx in 0..tw {
            let u = (tx as f64 + 0.5) / tw as f64;
            let gx = u * LATTICE as f64;
            let lx = (gx as usize).min(LATTICE - 1);
            let fx = gx - lx as f64;
            let at = |i: usize, j: usize| lattice[j * (LATTICE + 1) + i];
            let (a, b, c, d) = (at(lx, ly), at(lx + 1, ly), at(lx, ly + 1), at(lx + 1, ly + 1));
            let column = (a.0 * (1.0 - fx) + b.0 * fx) * (1.0 - fy) + (c.0 * (1.0 - fx) + d.0 * fx) * fy;
            let row = (a.1 * (1.0 - fx) + b.1 * fx) * (1.0 - fy) + (c.1 * (1.0 - fx) + d.1 * fx) * fy;
            match photo.sample(column, row).filter(|p| p[3] > 0) {
                Some(p) => {
                    covered += 1;
                    rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
                }
                None => rgba.extend_from_slice(&own_colour(dem, u, v, stats.min, span, cell)),
            }
        }
    }
    Ok(DrapeTexture { width: tw, height: th, rgba, coverage: covered as f64 / (tw * th) as f64 })
}

/// A DEM cell's size in metres (east, south), for slopes.
fn cell_size_m(dem: &GeoRaster, crs: Crs) -> (f64, f64) {
    let t = &dem.transform;
    if crs.is_geographic() {
        let (_, lat) = t.pixel_centre(dem.width / 2, dem.height / 2);
        let metres_per_degree = 111_320.0;
        (t.pixel_width.abs() * metres_per_degree * lat.to_radians().cos(), t.pixel_height.abs() * metres_per_degree)
    } else {
        let unit = crs.linear_unit_m();
        (t.pixel_width.abs() * unit, t.pixel_height.abs() * unit)
    }
}

/// The terrain's own colour at texture (u, v): elevation tint and hillshade.
fn own_colour(dem: &GeoRaster, u: f64, v: f64, min: f64, span: f64, cell: (f64, f64)) -> [u8; 4] {
    let c = ((u * (dem.width - 1) as f64).round() as usize).min(dem.width - 1);
    let r = ((v * (dem.height - 1) as f64).round() as usize).min(dem.height - 1);
    let height = |c: usize, r: usize| {
        let z = dem.get(c, r);
        if z.is_finite() { z } else { min }
    };
    let (c0, c1) = (c.saturating_sub(1), (c + 1).min(dem.width - 1));
    let (r0, r1) = (r.saturating_sub(1), (r + 1).min(dem.height - 1));
    let dzdx = (height(c1, r) - height(c0, r)) / (((c1 - c0).max(1)) as f64 * cell.0);
    let dzdy = (height(c, r0) - height(c, r1)) / (((r1 - r0).max(1)) as f64 * cell.1);
    let n = [-dzdx, -dzdy, 1.0];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    let shade = 0.35 + 0.65 * hillshade(n.map(|x| x / len));
    let tint = hypsometric((height(c, r) - min) / span);
    // The tint is linear (it is a vertex colour elsewhere); textures are sRGB.
    let byte = |x: f32| {
        let x = x.clamp(0.0, 1.0);
        let srgb = if x <= 0.003_130_8 { 12.92 * x } else { 1.055 * x.powf(1.0 / 2.4) - 0.055 };
        (srgb * 255.0).round() as u8
    };
    [byte(tint[0] * shade as f32), byte(tint[1] * shade as f32), byte(tint[2] * shade as f32), 255]
}
