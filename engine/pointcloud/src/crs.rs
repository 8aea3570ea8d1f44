//! Which coordinate system a point cloud is in: from its WKT VLR, its
//! GeoTIFF keys, or both; with a warning when they disagree or when the
//! system contradicts the coordinates.

use sontinh_geo::{Crs, CrsError, Transformer, WktCrs};

use crate::layout::Layout;

const GEOTIFF_KEYS: (&str, u16) = ("LASF_Projection", 34735);
const WKT_RECORD: (&str, u16) = ("LASF_Projection", 2112);

/// The system a file declares, where it came from, and what looked wrong.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CrsReport {
    /// The outermost EPSG code and name the WKT VLR gives, if any.
    pub wkt: Option<WktSummary>,
    /// The EPSG code of the GeoTIFF keys (projected, else geographic).
    pub geotiff_epsg: Option<u16>,
    /// What the twin will use, e.g. "EPSG:2994" or a WKT's name.
    pub chosen: Option<String>,
    pub warnings: Vec<String>,
    /// Metres per horizontal unit of the chosen system (heights are taken
    /// to use the same unit, as LAS producers do).
    pub linear_unit_m: f64,
    #[serde(skip)]
    source: Option<Source>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WktSummary {
    pub name: String,
    pub epsg: Option<u16>,
    pub geocentric: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Source {
    Crs(Crs),
    Wkt(WktCrs),
}

impl CrsReport {
    /// Reads the CRS records of a file whose record layout has been checked.
    /// `vlr_data` returns a record's payload.
    pub fn from_records(layout: &Layout, mut vlr_data: impl FnMut(&crate::layout::RecordSummary) -> Option<Vec<u8>>) -> CrsReport {
        let mut warnings = Vec::new();
        let wkt = layout.find_vlr(WKT_RECORD.0, WKT_RECORD.1).and_then(&mut vlr_data).and_then(|bytes| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            match WktCrs::parse(&text) {
                Ok(wkt) => Some(wkt),
                Err(e) => {
                    warnings.push(format!("the WKT record cannot be read: {e}"));
                    None
                }
            }
        });
        let geotiff_epsg = layout
            .find_vlr(GEOTIFF_KEYS.0, GEOTIFF_KEYS.1)
            .and_then(&mut vlr_data)
            .and_then(|bytes| geotiff_epsg(&bytes));
        let geotiff_crs = geotiff_epsg.and_then(Crs::from_epsg);
        if geotiff_epsg.is_some() && geotiff_crs.is_none() {
            warnings.push(format!("GeoTIFF keys name EPSG:{} which the EPSG table does not know", geotiff_epsg.unwrap_or(0)));
        }

        let centre = [
            (layout.min[0] + layout.max[0]) / 2.0,
            (layout.min[1] + layout.max[1]) / 2.0,
            (layout.min[2] + layout.max[2]) / 2.0,
        ];
        let wkt_source = wkt.clone().map(|w| match w.epsg.and_then(Crs::from_epsg) {
            Some(crs) => Source::Crs(crs),
            None => Source::Wkt(w),
        });
        let geotiff_source = geotiff_crs.map(Source::Crs);
        if let (Some(a), Some(b)) = (&wkt_source, &geotiff_source)
            && let Some(metres) = disagreement_m(a, b, centre)
        {
            warnings.push(format!(
                "the WKT ({}) and the GeoTIFF keys (EPSG:{}) disagree: they place the cloud's centre {metres:.1} m apart; using the {}",
                label(a),
                geotiff_epsg.unwrap_or(0),
                if layout.wkt_flag() || layout.version.1 >= 4 { "WKT (LAS 1.4 rule)" } else { "GeoTIFF keys (LAS 1.2 rule)" }
            ));
        }
        // LAS 1.4 makes the WKT authoritative; older files use GeoTIFF keys.
        let prefer_wkt = layout.wkt_flag() || layout.version.1 >= 4 || geotiff_source.is_none();
        let source = if prefer_wkt { wkt_source.or(geotiff_source) } else { geotiff_source.or(wkt_source) };
        if let Some(source) = &source
            && let Some(problem) = contradiction(source, layout)
        {
            warnings.push(format!("{} {problem}; set the layer's `crs` in the scene to override", label(source)));
        }
        let linear_unit_m = match &source {
            Some(Source::Crs(crs)) => crs.linear_unit_m(),
            Some(Source::Wkt(w)) => w.linear_unit_m,
            None => 1.0,
        };
        CrsReport {
            wkt: wkt.map(|w| WktSummary {
                name: w.name,
                epsg: w.epsg,
                geocentric: w.geocentric,
            }),
            geotiff_epsg,
            chosen: source.as_ref().map(label),
            warnings,
            linear_unit_m,
            source,
        }
    }

    /// A report that uses `crs` whatever the file says (a scene override).
    pub fn overridden(mut self, crs: Crs) -> CrsReport {
        self.chosen = Some(crs.id());
        self.linear_unit_m = crs.linear_unit_m();
        self.source = Some(Source::Crs(crs));
        self
    }

    /// The chosen system's EPSG code, when it has one.
    pub fn epsg(&self) -> Option<u16> {
        match &self.source {
            Some(Source::Crs(crs)) => crs.epsg(),
            _ => None,
        }
    }

    /// Whether the chosen system is geographic (degrees).
    pub fn is_geographic(&self) -> bool {
        match &self.source {
            Some(Source::Crs(crs)) => crs.is_geographic(),
            Some(Source::Wkt(w)) => w.proj.as_deref().is_some_and(|p| p.contains("+proj=longlat")),
            None => false,
        }
    }

    /// Whether the chosen system is Earth-centred.
    pub fn is_geocentric(&self) -> bool {
        match &self.source {
            Some(Source::Crs(crs)) => crs.is_geocentric(),
            Some(Source::Wkt(w)) => w.geocentric,
            None => false,
        }
    }

    /// A transformer from the file's coordinates to `to`.
    pub fn transformer_to(&self, to: Crs) -> Result<Transformer, CrsError> {
        match &self.source {
            Some(Source::Crs(crs)) => Transformer::new(*crs, to),
            Some(Source::Wkt(w)) => w.transformer_to(to),
            None => Err(CrsError::Unknown("(the file declares no coordinate system)".to_owned())),
        }
    }
}

fn label(source: &Source) -> String {
    match source {
        Source::Crs(crs) => crs.id(),
        Source::Wkt(w) => format!("WKT \"{}\"", w.name),
    }
}

/// How far apart two systems put the same coordinates, when both can say.
fn disagreement_m(a: &Source, b: &Source, centre: [f64; 3]) -> Option<f64> {
    let to_ecef = |s: &Source| -> Option<[f64; 3]> {
        let t = match s {
            Source::Crs(crs) => Transformer::new(*crs, Crs::Wgs84).ok()?,
            Source::Wkt(w) => w.transformer_to(Crs::Wgs84).ok()?,
        };
        let unit = match s {
            Source::Crs(crs) => crs.linear_unit_m(),
            Source::Wkt(w) => w.linear_unit_m,
        };
        let g = t.to_geodetic([centre[0], centre[1], centre[2] * unit]).ok()?;
        Some(sontinh_geo::geodetic_to_ecef(g))
    };
    if let (Source::Crs(x), Source::Crs(y)) = (a, b)
        && x == y
    {
        return None;
    }
    match (to_ecef(a), to_ecef(b)) {
        (Some(p), Some(q)) => {
            let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
            (d > 1.0).then_some(d)
        }
        (None, None) => None,
        _ => Some(f64::INFINITY),
    }
}

/// Whether the declared system cannot be right for these coordinates.
fn contradiction(source: &Source, layout: &Layout) -> Option<String> {
    let geocentric = match source {
        Source::Crs(crs) => crs.is_geocentric(),
        Source::Wkt(w) => w.geocentric,
    };
    let corners = [layout.min, layout.max];
    if geocentric {
        let radius = |p: [f64; 3]| (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
        let worst = corners.iter().map(|&p| (radius(p) - 6_371_000.0).abs()).fold(0.0, f64::max);
        return (worst > 100_000.0).then(|| {
            format!(
                "is Earth-centred, but the coordinates lie {:.0} km from the Earth's surface (X {:.2}–{:.2}, Y {:.2}–{:.2}): they look projected",
                worst / 1000.0,
                layout.min[0],
                layout.max[0],
                layout.min[1],
                layout.max[1]
            )
        });
    }
    let transformer = match source {
        Source::Crs(crs) => Transformer::new(*crs, Crs::Wgs84),
        Source::Wkt(w) => w.transformer_to(Crs::Wgs84),
    };
    let transformer = match transformer {
        Ok(t) => t,
        Err(e) => return Some(format!("cannot be used: {e}")),
    };
    for corner in corners {
        match transformer.to_geodetic(corner) {
            Ok(g) if g.is_valid() => {}
            Ok(g) => return Some(format!("puts the corner {corner:?} at an impossible position (lat {:.3}, lon {:.3})", g.lat_deg, g.lon_deg)),
            Err(e) => return Some(format!("cannot place the corner {corner:?}: {e}")),
        }
    }
    None
}

/// EPSG code from a GeoKeyDirectory: ProjectedCSTypeGeoKey (3072), else
/// GeographicTypeGeoKey (2048); 32767 means user-defined (no code).
pub fn geotiff_epsg(bytes: &[u8]) -> Option<u16> {
    let word = |i: usize| bytes.get(2 * i..2 * i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let key_count = usize::from(word(3)?);
    let mut projected = None;
    let mut geographic = None;
    for k in 0..key_count {
        let base = 4 + 4 * k;
        let (id, location, value) = (word(base)?, word(base + 1)?, word(base + 3)?);
        if location != 0 || value == 0 || value == 32767 {
            continue;
        }
        match id {
            3072 => projected = Some(value),
            2048 => geographic = Some(value),
            _ => {}
        }
    }
    projected.or(geographic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geotiff_directory_codes() {
        // version 1.1.0, 2 keys: GTModelType=1, ProjectedCSType=2994.
        let words: [u16; 12] = [1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 2994];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(geotiff_epsg(&bytes), Some(2994));
        assert_eq!(geotiff_epsg(&bytes[..10]), None, "truncated directory");
        let user_defined: [u16; 8] = [1, 1, 0, 1, 3072, 0, 1, 32767];
        let bytes: Vec<u8> = user_defined.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(geotiff_epsg(&bytes), None);
    }
}
