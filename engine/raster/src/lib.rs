//! Georeferenced single-band rasters (DEMs and flood results).
//!
//! Reading: GeoTIFF through the `tiff` crate (8–64-bit integer and float
//! samples, strips or tiles, none/LZW/Deflate/PackBits compression with
//! predictors) with its GeoKeys, model tie point and pixel scale, and
//! `GDAL_NODATA`; SRTM `.hgt` tiles (1 or 3 arc-seconds) from their size and
//! file name. Writing: float32 GeoTIFF with an EPSG code, readable by GDAL.

mod geotiff;
mod orthophoto;
mod hgt;
mod polygons;

use std::path::Path;

pub use geotiff::{NODATA, geotiff_bytes, write_geotiff};
pub use orthophoto::{Orthophoto, read_orthophoto, read_orthophoto_with, world_file_candidates};
pub use polygons::{MaskPolygon, mask_polygons};

/// Where a raster sits: the outer corner of its first pixel (`origin_x`,
/// `origin_y`, the upper-left corner for north-up rasters) and the pixel size.
/// `pixel_height` is negative for north-up rasters, as in GDAL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoTransform {
    pub origin_x: f64,
    pub origin_y: f64,
    pub pixel_width: f64,
    pub pixel_height: f64,
}

impl GeoTransform {
    /// Centre of pixel (column, row) in CRS units.
    pub fn pixel_centre(&self, column: usize, row: usize) -> (f64, f64) {
        (
            self.origin_x + (column as f64 + 0.5) * self.pixel_width,
            self.origin_y + (row as f64 + 0.5) * self.pixel_height,
        )
    }

    /// Fractional (column, row) of a CRS position.
    pub fn to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.origin_x) / self.pixel_width, (y - self.origin_y) / self.pixel_height)
    }
}

/// A reference system known by its EPSG code, and whether it is geographic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epsg {
    pub code: u16,
    pub geographic: bool,
}

/// One band of values with its georeferencing. Missing values are NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoRaster {
    pub width: usize,
    pub height: usize,
    /// Row-major, row 0 first (north for north-up rasters).
    pub values: Vec<f64>,
    pub transform: GeoTransform,
    pub crs: Option<Epsg>,
    /// The nodata value the file declared, if any (already turned into NaN).
    pub nodata: Option<f64>,
    /// How the file stores its samples, e.g. "int16" or "float32".
    pub sample_type: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl RasterError {
    pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// Value statistics over the valid (non-NaN) cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub valid: usize,
    /// Column and row of the maximum.
    pub argmax: (usize, usize),
}

impl GeoRaster {
    pub fn get(&self, column: usize, row: usize) -> f64 {
        self.values[row * self.width + column]
    }

    /// Bounds as (min x, min y, max x, max y) in CRS units.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let t = &self.transform;
        let (x0, x1) = (t.origin_x, t.origin_x + self.width as f64 * t.pixel_width);
        let (y0, y1) = (t.origin_y, t.origin_y + self.height as f64 * t.pixel_height);
        (x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1))
    }

    pub fn stats(&self) -> Option<Stats> {
        let mut s = Stats {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            valid: 0,
            argmax: (0, 0),
        };
        let mut sum = 0.0;
        for (i, v) in self.values.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            s.valid += 1;
            sum += v;
            s.min = s.min.min(*v);
            if *v > s.max {
                s.max = *v;
                s.argmax = (i % self.width, i / self.width);
            }
        }
        (s.valid > 0).then(|| Stats {
            mean: sum / s.valid as f64,
            ..s
        })
    }

    /// Cells whose centres lie within `radius` of (x, y), and the cell that
    /// holds (x, y) itself: `(column, row)` pairs.
    pub fn cells_within(&self, x: f64, y: f64, radius: f64) -> Vec<(usize, usize)> {
        let t = &self.transform;
        let (fc, fr) = t.to_pixel(x, y);
        let (rc, rr) = ((radius / t.pixel_width.abs()).ceil() + 1.0, (radius / t.pixel_height.abs()).ceil() + 1.0);
        let mut cells = Vec::new();
        let (c0, c1) = ((fc - rc).floor().max(0.0) as usize, ((fc + rc).ceil().max(0.0) as usize).min(self.width));
        let (r0, r1) = ((fr - rr).floor().max(0.0) as usize, ((fr + rr).ceil().max(0.0) as usize).min(self.height));
        for row in r0..r1 {
            for column in c0..c1 {
                let (cx, cy) = t.pixel_centre(column, row);
                let holds = column == fc.floor() as usize && row == fr.floor() as usize && fc >= 0.0 && fr >= 0.0;
                if holds || (cx - x).hypot(cy - y) <= radius {
                    cells.push((column, row));
                }
            }
        }
        cells
    }

    /// Bilinear sample at CRS position (x, y); NaN outside or next to nodata.
    pub fn sample(&self, x: f64, y: f64) -> f64 {
        let (fc, fr) = self.transform.to_pixel(x, y);
        let (fc, fr) = (fc - 0.5, fr - 0.5);
        if fc < 0.0 || fr < 0.0 || fc > (self.width - 1) as f64 || fr > (self.height - 1) as f64 {
            return f64::NAN;
        }
        let (c0, r0) = (fc.floor() as usize, fr.floor() as usize);
        let (c1, r1) = ((c0 + 1).min(self.width - 1), (r0 + 1).min(self.height - 1));
        let (tx, ty) = (fc - c0 as f64, fr - r0 as f64);
        let top = self.get(c0, r0) * (1.0 - tx) + self.get(c1, r0) * tx;
        let bottom = self.get(c0, r1) * (1.0 - tx) + self.get(c1, r1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// Reads a DEM by its extension: `.tif`/`.tiff` (GeoTIFF) or `.hgt` (SRTM).
pub fn read(path: &Path) -> Result<GeoRaster, RasterError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("tif" | "tiff") => geotiff::read_geotiff(path),
        Some("hgt") => hgt::read_hgt(path),
        _ => Err(RasterError::invalid(
            path,
            "unknown raster format: expected a .tif/.tiff GeoTIFF or an SRTM .hgt file",
        )),
    }
}

/// [`read`] of a file's bytes already read (fetched, in the browser); the
/// path gives the format (and an SRTM tile's corner) and names it in errors.
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<GeoRaster, RasterError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("tif" | "tiff") => geotiff::read_geotiff_bytes(path, bytes),
        Some("hgt") => hgt::read_hgt_bytes(path, bytes),
        _ => Err(RasterError::invalid(
            path,
            "unknown raster format: expected a .tif/.tiff GeoTIFF or an SRTM .hgt file",
        )),
    }
}

#[cfg(test)]
mod tests;
