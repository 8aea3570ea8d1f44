//! `sontinh city info`: what a CityJSON city model holds.

use std::path::Path;

/// Version, CRS, objects by type, LoDs, vertex and triangle counts,
/// semantic surfaces and bounds (the file's CRS and WGS 84) of a CityJSON
/// or CityJSONSeq file.
pub fn info(path: &Path, as_json: bool) -> Result<String, String> {
    let model = sontinh_city::CityModel::read(path).map_err(|e| e.to_string())?;
    let info = model.info();
    if as_json {
        let mut value = info.to_json();
        value["file"] = serde_json::Value::String(path.display().to_string());
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    Ok(format!("file: {}\n{}", path.display(), info.to_text()))
}
