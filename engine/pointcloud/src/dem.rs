//! A terrain model from LiDAR: ground points (class 2, or every point when a
//! cloud has no ground class) binned on a regular grid, small gaps filled.

use std::path::{Path, PathBuf};

use sontinh_raster::{Epsg, GeoRaster, GeoTransform};

use crate::{PointCloudError, PointCloudFile};

/// Largest grid written, in cells (a 20 000 × 20 000 tile).
pub const MAX_CELLS: u64 = 400_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct DemSummary {
    pub width: usize,
    pub height: usize,
    pub ground_points: u64,
    /// True when no input had ground-classified points and all points were used.
    pub used_all_points: bool,
    pub filled_cells: u64,
    pub empty_cells: u64,
    pub crs: Option<String>,
}

/// Rasterizes the inputs at `resolution` (in the clouds' horizontal unit)
/// into a float32 GeoTIFF at `output`; gaps up to `2 × fill_passes` cells
/// wide are filled from their neighbours.
pub fn dem_from_lidar(inputs: &[PathBuf], output: &Path, resolution: f64, fill_passes: usize) -> Result<DemSummary, PointCloudError> {
    let out_err = |m: String| PointCloudError::invalid(output, m);
    if !(resolution.is_finite() && resolution > 0.0) {
        return Err(out_err(format!("resolution {resolution} must be a positive number")));
    }
    if inputs.is_empty() {
        return Err(out_err("no input files".to_owned()));
    }
    let files = inputs.iter().map(|p| PointCloudFile::open(p)).collect::<Result<Vec<_>, _>>()?;
    for f in &files[1..] {
        if f.crs.chosen != files[0].crs.chosen {
            return Err(PointCloudError::invalid(&f.path, "its CRS differs from the first input's; rasterize inputs of one CRS together"));
        }
    }
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for f in &files {
        for a in 0..2 {
            min[a] = min[a].min(f.layout.min[a]);
            max[a] = max[a].max(f.layout.max[a]);
        }
    }
    let origin_x = (min[0] / resolution).floor() * resolution;
    let origin_y = (max[1] / resolution).ceil() * resolution;
    let width = (((max[0] - origin_x) / resolution).floor() as u64 + 1).max(1);
    let height = (((origin_y - min[1]) / resolution).floor() as u64 + 1).max(1);
    if width.saturating_mul(height) > MAX_CELLS {
        return Err(out_err(format!(
            "{width} × {height} cells at resolution {resolution} is more than {MAX_CELLS}; choose a coarser --res"
        )));
    }
    let (width, height) = (width as usize, height as usize);
    let cells = width * height;
    let mut ground_sum = vec![0f64; cells];
    let mut ground_count = vec![0u32; cells];
    let mut lowest = vec![f32::INFINITY; cells];
    let mut ground_points = 0u64;
    for f in &files {
        f.for_each_batch(|batch| {
            for (((x, y), z), class) in batch.x().zip(batch.y()).zip(batch.z()).zip(batch.classification()) {
                let column = ((x - origin_x) / resolution).floor();
                let row = ((origin_y - y) / resolution).floor();
                if !(column >= 0.0 && row >= 0.0 && (column as usize) < width && (row as usize) < height) {
                    continue;
                }
                let i = row as usize * width + column as usize;
                if class == 2 {
                    ground_sum[i] += z;
                    ground_count[i] += 1;
                    ground_points += 1;
                }
                lowest[i] = lowest[i].min(z as f32);
            }
            Ok(())
        })?;
    }
    let used_all_points = ground_points == 0;
    let mut values: Vec<f64> = (0..cells)
        .map(|i| {
            if used_all_points {
                if lowest[i].is_finite() { f64::from(lowest[i]) } else { f64::NAN }
            } else if ground_count[i] > 0 {
                ground_sum[i] / f64::from(ground_count[i])
            } else {
                f64::NAN
            }
        })
        .collect();
    let filled_cells = fill_gaps(&mut values, width, height, fill_passes);
    let empty_cells = values.iter().filter(|v| v.is_nan()).count() as u64;

    let crs = files[0].crs.epsg().map(|code| Epsg {
        code,
        geographic: files[0].crs.is_geographic(),
    });
    let raster = GeoRaster {
        width,
        height,
        values,
        transform: GeoTransform {
            origin_x,
            origin_y,
            pixel_width: resolution,
            pixel_height: -resolution,
        },
        crs,
        nodata: Some(sontinh_raster::NODATA),
        sample_type: "float32",
    };
    sontinh_raster::write_geotiff(output, &raster).map_err(|e| out_err(e.to_string()))?;
    // A system without an EPSG code travels as WKT in GDAL's sidecar file,
    // which gdalinfo and QGIS read with the image.
    if crs.is_none()
        && let Some(wkt) = files[0].wkt_text()
    {
        let sidecar = PathBuf::from(format!("{}.aux.xml", output.display()));
        let escaped = wkt.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        std::fs::write(&sidecar, format!("<PAMDataset>\n  <SRS>{escaped}</SRS>\n</PAMDataset>\n"))
            .map_err(|e| PointCloudError::io(&sidecar, e))?;
    }
    Ok(DemSummary {
        width,
        height,
        ground_points,
        used_all_points,
        filled_cells,
        empty_cells,
        crs: files[0].crs.chosen.clone(),
    })
}

/// Each pass gives every empty cell with filled neighbours their mean.
fn fill_gaps(values: &mut [f64], width: usize, height: usize, passes: usize) -> u64 {
    let mut filled = 0u64;
    for _ in 0..passes {
        let snapshot = values.to_vec();
        let mut changed = false;
        for row in 0..height {
            for column in 0..width {
                let i = row * width + column;
                if !snapshot[i].is_nan() {
                    continue;
                }
                let (mut sum, mut n) = (0.0, 0u32);
                for dr in -1i64..=1 {
                    for dc in -1i64..=1 {
                        let (r, c) = (row as i64 + dr, column as i64 + dc);
                        if r >= 0 && c >= 0 && (r as usize) < height && (c as usize) < width {
                            let v = snapshot[r as usize * width + c as usize];
                            if !v.is_nan() {
                                sum += v;
                                n += 1;
                            }
                        }
                    }
                }
                if n >= 3 {
                    values[i] = sum / f64::from(n);
                    filled += 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_filled_but_open_space_is_not() {
        let nan = f64::NAN;
        let mut v = vec![1.0, 1.0, 1.0, 1.0, nan, 1.0, 1.0, 1.0, 1.0];
        assert_eq!(fill_gaps(&mut v, 3, 3, 2), 1);
        assert_eq!(v[4], 1.0);
        let mut lonely = vec![nan; 25];
        lonely[0] = 5.0;
        fill_gaps(&mut lonely, 5, 5, 2);
        assert!(lonely[24].is_nan(), "one point does not make a surface");
    }

    #[test]
    fn autzen_ground_dem() {
        let Some(input) = crate::shared_lidar("autzen_trim.laz") else { return };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("autzen-dem.tif");
        let summary = dem_from_lidar(&[input], &out, 6.0, 3).unwrap();
        assert_eq!(summary.ground_points, 26_107);
        assert!(!summary.used_all_points);
        let dem = sontinh_raster::read(&out).unwrap();
        let stats = dem.stats().unwrap();
        // Ground of the Autzen stadium area: 406–520 ft points, ground lower.
        assert!(stats.min >= 406.0 && stats.max <= 520.6, "{stats:?}");
        assert!(out.with_extension("tif.aux.xml").exists(), "WKT-only CRS goes to the sidecar");
    }
}
