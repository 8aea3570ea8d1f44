//! A CityJSON file's `metadata.referenceSystem`: the OGC URL or URN of an
//! EPSG code, compound codes (a projected system plus a height system)
//! reduced to their horizontal part.

use sontinh_geo::Crs;

/// The reference system a city model declares.
#[derive(Clone, Debug, PartialEq)]
pub struct CityCrs {
    /// The text of `metadata.referenceSystem`.
    pub declared: String,
    /// The EPSG code it names (0 for OGC's CRS84, which has none).
    pub code: u32,
    /// The horizontal system positions are transformed through.
    pub horizontal: Crs,
    /// The EPSG code of the height system, for compound systems.
    pub vertical: Option<u32>,
}

/// Compound EPSG systems: (compound, horizontal, vertical), as PROJ 9.5's
/// EPSG database splits them (`pyproj.CRS.from_epsg(c).sub_crs_list`).
/// Heights pass through unchanged (see `sontinh_geo`), so only the
/// horizontal part takes part in placing.
const COMPOUND: [(u32, u16, u32); 14] = [
    (7415, 28992, 5709), // Amersfoort / RD New + NAP height
    (5554, 25831, 5783), // ETRS89 / UTM zone 31N + DHHN92 height
    (5555, 25832, 5783), // ETRS89 / UTM zone 32N + DHHN92 height
    (5556, 25833, 5783), // ETRS89 / UTM zone 33N + DHHN92 height
    (5972, 25832, 5941), // ETRS89 / UTM zone 32N + NN2000 height
    (5973, 25833, 5941), // ETRS89 / UTM zone 33N + NN2000 height
    (6190, 31370, 5710), // BD72 / Belgian Lambert 72 + Ostend height
    (3901, 2393, 5717),  // KKJ / Finland Uniform Coordinate System + N60 height
    (7423, 4258, 5621),  // ETRS89 + EVRF2007 height
    (9286, 4258, 5709),  // ETRS89 + NAP height
    (8360, 4258, 8357),  // ETRS89 + Baltic 1957 height
    (5498, 4269, 5703),  // NAD83 + NAVD88 height
    (9518, 4326, 3855),  // WGS 84 + EGM2008 height
    (4979, 4326, 0),     // WGS 84 (3D): ellipsoidal heights
];

/// The EPSG code (or CRS84) a reference system's text names, in the forms
/// CityJSON files use: `https://www.opengis.net/def/crs/EPSG/0/7415`
/// (`http` too, any version in place of `0`), `urn:ogc:def:crs:EPSG::7415`
/// (with or without a version), and plain `EPSG:7415`. `None` when the text
/// is none of these.
fn code_of(reference: &str) -> Option<u32> {
    let text = reference.trim();
    let lower = text.to_ascii_lowercase();
    if lower.ends_with("/ogc/1.3/crs84") || lower.ends_with(":ogc:1.3:crs84") || lower == "crs84" {
        return Some(0);
    }
    let code = if let Some(rest) = lower
        .strip_prefix("https://www.opengis.net/def/crs/epsg/")
        .or_else(|| lower.strip_prefix("http://www.opengis.net/def/crs/epsg/"))
    {
        // `{version}/{code}`
        let (_version, code) = rest.split_once('/')?;
        code
    } else if let Some(rest) = lower.strip_prefix("urn:ogc:def:crs:epsg:") {
        // `{version}:{code}`, the version often empty.
        let (_version, code) = rest.rsplit_once(':')?;
        code
    } else {
        lower.strip_prefix("epsg:")?
    };
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

/// Reads a reference system; `Err` says why it cannot be placed.
pub fn parse_reference_system(reference: &str) -> Result<CityCrs, String> {
    let code = code_of(reference).ok_or_else(|| {
        "expected an EPSG code as https://www.opengis.net/def/crs/EPSG/0/<code> or urn:ogc:def:crs:EPSG::<code>".to_owned()
    })?;
    if code == 0 {
        return Ok(CityCrs {
            declared: reference.to_owned(),
            code,
            horizontal: Crs::Wgs84,
            vertical: None,
        });
    }
    if let Some(&(_, horizontal, vertical)) = COMPOUND.iter().find(|(c, _, _)| *c == code) {
        let crs = Crs::from_epsg(horizontal)
            .ok_or_else(|| format!("EPSG:{code}'s horizontal part EPSG:{horizontal} is not in the bundled EPSG table"))?;
        return Ok(CityCrs {
            declared: reference.to_owned(),
            code,
            horizontal: crs,
            vertical: (vertical != 0).then_some(vertical),
        });
    }
    let crs = u16::try_from(code)
        .ok()
        .and_then(Crs::from_epsg)
        .ok_or_else(|| format!("EPSG:{code} is not in the bundled EPSG table"))?;
    if crs.is_geocentric() {
        return Err(format!("EPSG:{code} is geocentric; CityJSON positions are projected or geographic"));
    }
    Ok(CityCrs {
        declared: reference.to_owned(),
        code,
        horizontal: crs,
        vertical: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_files_use() {
        for text in [
            "https://www.opengis.net/def/crs/EPSG/0/7415",
            "http://www.opengis.net/def/crs/EPSG/0/7415",
            "urn:ogc:def:crs:EPSG::7415",
            "urn:ogc:def:crs:EPSG:8.9:7415",
            "EPSG:7415",
        ] {
            let crs = parse_reference_system(text).unwrap();
            assert_eq!(crs.code, 7415, "{text}");
            assert_eq!(crs.horizontal, Crs::Epsg(28992), "{text}");
            assert_eq!(crs.vertical, Some(5709), "{text}");
        }
        let swiss = parse_reference_system("https://www.opengis.net/def/crs/EPSG/0/2056").unwrap();
        assert_eq!((swiss.horizontal, swiss.vertical), (Crs::Epsg(2056), None));
        assert_eq!(
            parse_reference_system("https://www.opengis.net/def/crs/OGC/1.3/CRS84")
                .unwrap()
                .horizontal,
            Crs::Wgs84
        );
        assert_eq!(parse_reference_system("urn:ogc:def:crs:EPSG::4326").unwrap().horizontal, Crs::Wgs84);
    }

    #[test]
    fn refuses_what_it_cannot_place() {
        for text in [
            "",
            "https://www.opengis.net/def/crs/EPSG/0/",
            "https://www.opengis.net/def/crs/EPSG/0/12x",
            "urn:ogc:def:crs:EPSG::999999",
            "https://www.opengis.net/def/crs/EPSG/0/1",
            "https://www.opengis.net/def/crs/EPSG/0/4978",
            "LOCAL_CS[\"site\"]",
        ] {
            assert!(parse_reference_system(text).is_err(), "{text}");
        }
    }
}
