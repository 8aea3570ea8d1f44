//! `sontinh vector info`: what a vector layer holds.

use std::path::Path;

/// Driver, CRS, feature count, geometry types, bounds (the file's CRS and
/// WGS 84) and attributes of a GeoJSON, shapefile, GeoPackage or FlatGeobuf.
pub fn info(path: &Path, as_json: bool) -> Result<String, String> {
    let data = sontinh_vector::read(path).map_err(|e| e.to_string())?;
    let info = data.info();
    if as_json {
        let mut value = info.to_json();
        value["file"] = serde_json::Value::String(path.display().to_string());
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    Ok(format!("file: {}\n{}", path.display(), info.to_text()))
}
