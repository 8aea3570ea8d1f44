//! What a WKT coordinate system description says, in the terms the twin
//! needs: an EPSG code when the WKT carries one for the whole system, a
//! PROJ string otherwise, and whether it is Earth-centred.

use crate::crs::unit_from_proj;
use crate::{Crs, CrsError, Transformer};

/// A coordinate system read from WKT (WKT1 or WKT2).
#[derive(Clone, Debug, PartialEq)]
pub struct WktCrs {
    /// The name of the outermost system, e.g. `NAD83_2011_Nebraska_ft`.
    pub name: String,
    /// The EPSG code of the outermost system, when the WKT gives one.
    pub epsg: Option<u16>,
    /// The system as a PROJ string, when it could be converted.
    pub proj: Option<String>,
    /// `GEOCCS` / `GEODCRS` with Cartesian axes: X, Y, Z from the Earth's centre.
    pub geocentric: bool,
    /// Metres per horizontal unit (0.3048 for feet).
    pub linear_unit_m: f64,
}

impl WktCrs {
    pub fn parse(wkt: &str) -> Result<WktCrs, CrsError> {
        let wkt = wkt.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        if wkt.is_empty() {
            return Err(CrsError::Unknown("(empty WKT)".to_owned()));
        }
        let keyword: String = wkt.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        let geocentric = keyword == "GEOCCS" || (keyword == "GEODCRS" && wkt.contains("Cartesian"));
        let name = wkt
            .split_once('"')
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name.to_owned())
            .unwrap_or_default();
        let epsg = outermost_epsg(wkt);
        let proj = if geocentric {
            Some("+proj=geocent +datum=WGS84 +units=m +no_defs".to_owned())
        } else {
            proj4wkt::wkt_to_projstring(wkt).ok()
        };
        let linear_unit_m = match (epsg.and_then(Crs::from_epsg), &proj) {
            (Some(crs), _) => crs.linear_unit_m(),
            (None, Some(proj)) => unit_from_proj(proj),
            (None, None) => 1.0,
        };
        Ok(WktCrs {
            name,
            epsg,
            proj,
            geocentric,
            linear_unit_m,
        })
    }

    /// A transformer from this system to `to`: by EPSG code when known,
    /// else by the converted PROJ string.
    pub fn transformer_to(&self, to: Crs) -> Result<Transformer, CrsError> {
        if let Some(crs) = self.epsg.and_then(Crs::from_epsg) {
            return Transformer::new(crs, to);
        }
        match &self.proj {
            Some(proj) => Transformer::from_proj_string(&self.name, proj, to),
            None => Err(CrsError::Unknown(format!("{} (WKT that could not be converted)", self.name))),
        }
    }
}

/// The EPSG code attached to the outermost system: the last `AUTHORITY` or
/// `ID` of the text when it closes the top-level bracket.
fn outermost_epsg(wkt: &str) -> Option<u16> {
    let mut depth = 0i32;
    let mut last_top_level_code = None;
    let bytes = wkt.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' | b'(' => {
                depth += 1;
                if depth == 2 {
                    let start = wkt[..i].rfind([',', '[', '(']).map_or(0, |p| p + 1);
                    let keyword = wkt[start..i].trim().to_ascii_uppercase();
                    if keyword == "AUTHORITY" || keyword == "ID" {
                        let end = wkt[i..].find([']', ')']).map_or(wkt.len(), |p| i + p);
                        let inner = &wkt[i + 1..end];
                        let mut parts = inner.split(',').map(|p| p.trim().trim_matches('"'));
                        if parts.next().is_some_and(|a| a.eq_ignore_ascii_case("EPSG")) {
                            last_top_level_code = parts.next().and_then(|c| c.parse::<u16>().ok());
                        }
                    }
                }
            }
            b']' | b')' => depth -= 1,
            _ => {}
        }
    }
    last_top_level_code
}


#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const AUTZEN: &str = r#"PROJCS["NAD_1983_HARN_Lambert_Conformal_Conic",GEOGCS["GCS_North_American_1983_HARN",DATUM["NAD83_High_Accuracy_Regional_Network",SPHEROID["GRS_1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6152"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["standard_parallel_1",43],PARAMETER["standard_parallel_2",45.5],PARAMETER["latitude_of_origin",41.75],PARAMETER["central_meridian",-120.5],PARAMETER["false_easting",1312335.958005249],PARAMETER["false_northing",0],UNIT["foot",0.3048,AUTHORITY["EPSG","9002"]]]"#;

    #[test]
    fn wkt_without_top_level_code_converts_to_proj() {
        let crs = WktCrs::parse(AUTZEN).unwrap();
        assert_eq!(crs.epsg, None, "the inner AUTHORITY codes are not the system's");
        assert_eq!(crs.name, "NAD_1983_HARN_Lambert_Conformal_Conic");
        assert!(!crs.geocentric);
        assert_abs_diff_eq!(crs.linear_unit_m, 0.3048);
        // Same point as the EPSG:2994 test in `crs`: the WKT is that system.
        let g = crs.transformer_to(Crs::Wgs84).unwrap().to_geodetic([636001.76, 848935.20, 0.0]).unwrap();
        assert_abs_diff_eq!(g.lon_deg, -123.0733810, epsilon = 1e-6);
        assert_abs_diff_eq!(g.lat_deg, 44.0499008, epsilon = 1e-6);
    }

    #[test]
    fn top_level_codes_in_wkt1_and_wkt2() {
        let wkt2 = r#"PROJCRS["WGS 84 / UTM zone 23S",BASEGEOGCRS["WGS 84",ID["EPSG",4326]],CONVERSION["UTM zone 23S",METHOD["Transverse Mercator",ID["EPSG",9807]]],ID["EPSG",32723]]"#;
        assert_eq!(WktCrs::parse(wkt2).unwrap().epsg, Some(32723));
        let wkt1 = r#"PROJCS["x",GEOGCS["y",AUTHORITY["EPSG","4326"]],AUTHORITY["EPSG","32612"]]"#;
        assert_eq!(WktCrs::parse(wkt1).unwrap().epsg, Some(32612));
    }

    #[test]
    fn geocentric_wkt_is_flagged() {
        let wkt = r#"GEOCCS["unnamed",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["metre",1]]"#;
        assert!(WktCrs::parse(wkt).unwrap().geocentric);
    }

    #[test]
    fn garbage_is_an_error_or_unconvertible_not_a_panic() {
        assert!(WktCrs::parse("").is_err());
        for text in ["PROJCS[", "]]]][[[", "PROJCS[\"a\",UNIT[\"foot\"", "\u{0}\u{0}"] {
            if let Ok(crs) = WktCrs::parse(text) {
                assert_eq!(crs.epsg, None);
            }
        }
    }
}
