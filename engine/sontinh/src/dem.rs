//! `sontinh dem info`: what a DEM holds.

use std::path::Path;

use serde_json::json;

pub fn info(path: &Path, as_json: bool) -> Result<String, String> {
    let dem = sontinh_raster::read(path).map_err(|e| e.to_string())?;
    let (x0, y0, x1, y1) = dem.bounds();
    let stats = dem.stats();
    let crs = dem.crs.map(|c| format!("EPSG:{}", c.code));
    let t = dem.transform;
    if as_json {
        let value = json!({
            "file": path.display().to_string(),
            "width": dem.width,
            "height": dem.height,
            "sample_type": dem.sample_type,
            "crs": crs,
            "geographic": dem.crs.map(|c| c.geographic),
            "bounds": { "min_x": x0, "min_y": y0, "max_x": x1, "max_y": y1 },
            "resolution": { "x": t.pixel_width, "y": -t.pixel_height },
            "nodata": dem.nodata,
            "valid_cells": stats.map(|s| s.valid),
            "min": stats.map(|s| s.min),
            "max": stats.map(|s| s.max),
            "mean": stats.map(|s| s.mean),
            "max_at": stats.map(|s| { let (x, y) = t.pixel_centre(s.argmax.0, s.argmax.1); json!({ "x": x, "y": y }) }),
        });
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    let mut out = String::new();
    out += &format!("File:        {}\n", path.display());
    out += &format!("Size:        {} × {} ({})\n", dem.width, dem.height, dem.sample_type);
    out += &format!("CRS:         {}\n", crs.as_deref().unwrap_or("none declared"));
    out += &format!("Bounds:      x {x0} … {x1}, y {y0} … {y1}\n");
    out += &format!("Resolution:  {} × {}\n", t.pixel_width, -t.pixel_height);
    out += &format!(
        "Nodata:      {}\n",
        dem.nodata.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
    );
    match stats {
        Some(s) => {
            let (x, y) = t.pixel_centre(s.argmax.0, s.argmax.1);
            out += &format!(
                "Values:      {} … {} (mean {:.2}) over {} valid cells\n",
                s.min, s.max, s.mean, s.valid
            );
            out += &format!("Highest at:  x {x:.6}, y {y:.6}\n");
        }
        None => out += "Values:      none valid\n",
    }
    Ok(out)
}
