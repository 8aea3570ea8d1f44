//! A layer's CRS from what its file says: an EPSG code, a WKT (a `.prj`,
//! a GeoPackage's `gpkg_spatial_ref_sys`, FlatGeobuf's header) or a name.

use sontinh_geo::{Crs, WktCrs};

/// The system a WKT describes, when the project knows it: the WKT's own
/// EPSG code, else the ESRI names GDAL writes in `.prj` files (no codes
/// there) for WGS 84 and its UTM zones, else a PROJ string equal to one of
/// the project's.
pub(crate) fn from_wkt(wkt: &str) -> Option<Crs> {
    let parsed = WktCrs::parse(wkt).ok()?;
    if let Some(crs) = parsed.epsg.and_then(Crs::from_epsg) {
        return Some(crs);
    }
    if let Some(crs) = from_name(&parsed.name) {
        // A geographic name only for a geographic WKT (a projected WKT's
        // outermost name is the projection's).
        return Some(crs);
    }
    let proj = parsed.proj?;
    let mut terms: Vec<&str> = proj
        .split_whitespace()
        .filter(|t| *t != "+no_defs" && *t != "+type=crs" && *t != "+wktext")
        .collect();
    terms.sort_unstable();
    let is_wgs84_longlat = terms.contains(&"+proj=longlat")
        && (terms.contains(&"+datum=WGS84") || terms.contains(&"+ellps=WGS84"))
        && !terms
            .iter()
            .any(|t| t.starts_with("+towgs84") && *t != "+towgs84=0,0,0,0,0,0,0" && *t != "+towgs84=0,0,0")
        && !terms
            .iter()
            .any(|t| t.starts_with("+pm=") && *t != "+pm=greenwich" && *t != "+pm=0");
    is_wgs84_longlat.then_some(Crs::Wgs84)
}

/// WGS 84 and WGS 84 / UTM names as GDAL's ESRI WKT and others write them.
fn from_name(name: &str) -> Option<Crs> {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    match key.as_str() {
        "GCSWGS1984" | "WGS84" | "WGS1984" => return Some(Crs::Wgs84),
        _ => {}
    }
    for prefix in ["WGS1984UTMZONE", "WGS84UTMZONE"] {
        if let Some(zone) = key.strip_prefix(prefix) {
            let (number, hemisphere) = zone.split_at(zone.len().saturating_sub(1));
            let number: u16 = number.parse().ok()?;
            if !(1..=60).contains(&number) {
                return None;
            }
            return match hemisphere {
                "N" => Crs::from_epsg(32600 + number),
                "S" => Crs::from_epsg(32700 + number),
                _ => None,
            };
        }
    }
    None
}

/// `EPSG:4326`, `urn:ogc:def:crs:EPSG::4326`, `urn:ogc:def:crs:OGC:1.3:CRS84`
/// and their kin (a GeoJSON `crs` member's name).
pub(crate) fn from_name_or_urn(name: &str) -> Option<Crs> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.ends_with("CRS84") || upper.ends_with("CRS:84") {
        return Some(Crs::Wgs84);
    }
    if let Ok(crs) = upper.parse::<Crs>() {
        return Some(crs);
    }
    if upper.contains("EPSG") {
        let code: String = upper
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        return code.parse::<u16>().ok().and_then(Crs::from_epsg);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esri_wgs84_prj_is_epsg_4326() {
        let prj = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(from_wkt(prj), Some(Crs::Wgs84));
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_48N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(from_wkt(utm), Some(Crs::Utm48N));
        assert_eq!(from_wkt("garbage"), None);
    }

    #[test]
    fn urns() {
        assert_eq!(from_name_or_urn("urn:ogc:def:crs:OGC:1.3:CRS84"), Some(Crs::Wgs84));
        assert_eq!(from_name_or_urn("urn:ogc:def:crs:EPSG::32648"), Some(Crs::Utm48N));
        assert_eq!(from_name_or_urn("EPSG:4756"), Some(Crs::Vn2000Geographic));
        assert_eq!(from_name_or_urn("nonsense"), None);
    }
}
