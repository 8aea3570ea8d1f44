use std::fmt;
use std::str::FromStr;

use proj4rs::proj::Proj;

use crate::Geodetic;

/// EPSG's "VN-2000 to WGS 84 (2)" (EPSG:6960) is published in the coordinate
/// frame convention; PROJ's `+towgs84` uses the position vector convention,
/// so the three rotations carry the opposite sign of the EPSG record.
/// Checked against PROJ 9.5's EPSG pipeline in `tests`.
const VN2000_TOWGS84: &str = "+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278";

/// The reference systems the twin understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Crs {
    /// EPSG:4326, longitude/latitude in degrees.
    Wgs84,
    /// EPSG:32648, WGS84 / UTM zone 48N, metres.
    Utm48N,
    /// EPSG:4756, VN-2000 geographic, longitude/latitude in degrees.
    Vn2000Geographic,
    /// VN-2000 provincial 3° TM zone of Quảng Trị: central meridian 106°15′,
    /// scale 0.9999, false easting 500 km (no EPSG code).
    Vn2000QuangTri,
    /// Any other EPSG code that the bundled EPSG definitions know (state plane,
    /// other UTM zones, national grids): how imported LiDAR and DEMs declare
    /// their systems.
    Epsg(u16),
}

impl Crs {
    pub const ALL: [Crs; 4] = [Crs::Wgs84, Crs::Utm48N, Crs::Vn2000Geographic, Crs::Vn2000QuangTri];

    /// The identifier used in scene files.
    pub fn id(self) -> String {
        match self {
            Crs::Wgs84 => "EPSG:4326".to_owned(),
            Crs::Utm48N => "EPSG:32648".to_owned(),
            Crs::Vn2000Geographic => "EPSG:4756".to_owned(),
            Crs::Vn2000QuangTri => "VN2000:QUANGTRI".to_owned(),
            Crs::Epsg(code) => format!("EPSG:{code}"),
        }
    }

    /// A system from its EPSG code: the project's own definitions for the
    /// codes it has them for (VN-2000 needs the corrected datum shift), the
    /// bundled EPSG table for the rest. `None` for codes the table lacks.
    pub fn from_epsg(code: u16) -> Option<Crs> {
        match code {
            4326 => Some(Crs::Wgs84),
            32648 => Some(Crs::Utm48N),
            4756 => Some(Crs::Vn2000Geographic),
            _ => crs_definitions::from_code(code).map(|_| Crs::Epsg(code)),
        }
    }

    /// The EPSG code, where the system has one.
    pub fn epsg(self) -> Option<u16> {
        match self {
            Crs::Wgs84 => Some(4326),
            Crs::Utm48N => Some(32648),
            Crs::Vn2000Geographic => Some(4756),
            Crs::Vn2000QuangTri => None,
            Crs::Epsg(code) => Some(code),
        }
    }

    /// A human-readable name.
    pub fn name(self) -> String {
        match self {
            Crs::Wgs84 => "WGS 84".to_owned(),
            Crs::Utm48N => "WGS 84 / UTM zone 48N".to_owned(),
            Crs::Vn2000Geographic => "VN-2000".to_owned(),
            Crs::Vn2000QuangTri => "VN-2000 / Quảng Trị 3° TM (106°15′)".to_owned(),
            Crs::Epsg(code) => format!("EPSG:{code} ({})", self.proj_string()),
        }
    }

    /// Geographic systems take (longitude, latitude) in degrees.
    pub fn is_geographic(self) -> bool {
        match self {
            Crs::Wgs84 | Crs::Vn2000Geographic => true,
            Crs::Epsg(_) => self.proj_string().contains("+proj=longlat"),
            _ => false,
        }
    }

    /// Earth-centred systems (EPSG:4978 and kin) have no horizontal axes.
    pub fn is_geocentric(self) -> bool {
        self.proj_string().contains("+proj=geocent")
    }

    /// Metres per unit of the horizontal axes (0.3048 for international
    /// feet, 1200/3937 for US survey feet); 1 for geographic systems.
    pub fn linear_unit_m(self) -> f64 {
        unit_from_proj(&self.proj_string())
    }

    fn proj_string(self) -> String {
        match self {
            Crs::Wgs84 => "+proj=longlat +datum=WGS84 +no_defs".to_owned(),
            Crs::Utm48N => "+proj=utm +zone=48 +datum=WGS84 +units=m +no_defs".to_owned(),
            Crs::Vn2000Geographic => format!("+proj=longlat +ellps=WGS84 {VN2000_TOWGS84} +no_defs"),
            Crs::Vn2000QuangTri => {
                format!("+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 {VN2000_TOWGS84} +units=m +no_defs")
            }
            Crs::Epsg(code) => crs_definitions::from_code(code).map(|def| def.proj4.to_owned()).unwrap_or_default(),
        }
    }

    fn proj(self) -> Result<Proj, CrsError> {
        Proj::from_proj_string(&self.proj_string()).map_err(|e| CrsError::Definition {
            crs: self.id(),
            reason: e.to_string(),
        })
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

impl FromStr for Crs {
    type Err = CrsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        match normalized.as_str() {
            "EPSG:4326" | "WGS84" => Ok(Crs::Wgs84),
            "EPSG:32648" | "UTM48N" => Ok(Crs::Utm48N),
            "EPSG:4756" | "VN2000" => Ok(Crs::Vn2000Geographic),
            "VN2000:QUANGTRI" | "VN2000QUANGTRI" => Ok(Crs::Vn2000QuangTri),
            other => other
                .strip_prefix("EPSG:")
                .and_then(|code| code.parse::<u16>().ok())
                .and_then(Crs::from_epsg)
                .ok_or_else(|| CrsError::Unknown(s.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CrsError {
    #[error(
        "unknown CRS \"{0}\": expected EPSG:<code> (for example EPSG:4326 WGS 84, EPSG:32648 UTM 48N, EPSG:4756 VN-2000) or VN2000:QUANGTRI (VN-2000 provincial zone)"
    )]
    Unknown(String),
    #[error("the definition of {crs} was rejected: {reason}")]
    Definition { crs: String, reason: String },
    #[error("cannot transform ({x}, {y}) from {from} to {to}: {reason}")]
    Transform {
        from: String,
        to: String,
        x: f64,
        y: f64,
        reason: String,
    },
    #[error("coordinate ({x}, {y}) is not a finite number")]
    NotFinite { x: f64, y: f64 },
}

/// Metres per horizontal unit of a PROJ string (`+to_meter`, `+units=ft`, `+units=us-ft`).
pub(crate) fn unit_from_proj(proj: &str) -> f64 {
    for token in proj.split_whitespace() {
        if let Some(factor) = token.strip_prefix("+to_meter=").and_then(|v| v.parse::<f64>().ok()) {
            return factor;
        }
        match token {
            "+units=ft" => return 0.3048,
            "+units=us-ft" => return 1200.0 / 3937.0,
            _ => {}
        }
    }
    1.0
}

/// Transforms positions from one CRS to another; build once, reuse for many points.
pub struct Transformer {
    from: CrsLabel,
    to: CrsLabel,
    from_proj: Proj,
    to_proj: Proj,
}

/// What a transformer needs to know of each end besides its projection.
#[derive(Clone, Debug, PartialEq)]
struct CrsLabel {
    name: String,
    geographic: bool,
    /// X, Y, Z from the Earth's centre: the height is an output of the
    /// transform, not a value to pass through.
    geocentric: bool,
}

impl fmt::Debug for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transformer")
            .field("from", &self.from.name)
            .field("to", &self.to.name)
            .finish()
    }
}

impl Transformer {
    pub fn new(from: Crs, to: Crs) -> Result<Self, CrsError> {
        Ok(Self {
            from: CrsLabel {
                name: from.id(),
                geographic: from.is_geographic(),
                geocentric: from.is_geocentric(),
            },
            to: CrsLabel {
                name: to.id(),
                geographic: to.is_geographic(),
                geocentric: to.is_geocentric(),
            },
            from_proj: from.proj()?,
            to_proj: to.proj()?,
        })
    }

    /// From a system given only as a PROJ string (a file's WKT without an
    /// EPSG code, converted), to one of ours. `label` names it in errors.
    pub fn from_proj_string(label: &str, proj: &str, to: Crs) -> Result<Self, CrsError> {
        let from_proj = Proj::from_proj_string(proj).map_err(|e| CrsError::Definition {
            crs: label.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            from: CrsLabel {
                name: label.to_owned(),
                geographic: proj.contains("+proj=longlat") || proj.contains("+proj=latlong"),
                geocentric: proj.contains("+proj=geocent"),
            },
            to: CrsLabel {
                name: to.id(),
                geographic: to.is_geographic(),
                geocentric: to.is_geocentric(),
            },
            from_proj,
            to_proj: to.proj()?,
        })
    }

    /// Transforms `[x, y, z]`: (lon, lat, height) in degrees for geographic
    /// systems, (easting, northing, height) in metres for projected ones.
    /// The height takes part in the datum shift (it moves the horizontal
    /// result slightly) but is returned unchanged (see the crate docs).
    pub fn transform(&self, p: [f64; 3]) -> Result<[f64; 3], CrsError> {
        let [x, y, z] = p;
        if !(x.is_finite() && y.is_finite() && z.is_finite()) {
            return Err(CrsError::NotFinite { x, y });
        }
        if self.from == self.to {
            return Ok(p);
        }
        let mut point = if self.from.geographic {
            (x.to_radians(), y.to_radians(), z)
        } else {
            (x, y, z)
        };
        let error = |reason: String| CrsError::Transform {
            from: self.from.name.clone(),
            to: self.to.name.clone(),
            x,
            y,
            reason,
        };
        proj4rs::transform::transform(&self.from_proj, &self.to_proj, &mut point).map_err(|e| error(e.to_string()))?;
        let (mut out_x, mut out_y) = (point.0, point.1);
        if self.to.geographic {
            out_x = out_x.to_degrees();
            out_y = out_y.to_degrees();
        }
        if !(out_x.is_finite() && out_y.is_finite()) {
            return Err(error("the result is not finite (outside the projection's domain)".to_owned()));
        }
        let out_z = if self.from.geocentric || self.to.geocentric { point.2 } else { z };
        Ok([out_x, out_y, out_z])
    }

    /// Convenience for transforms that end in WGS84.
    pub fn to_geodetic(&self, p: [f64; 3]) -> Result<Geodetic, CrsError> {
        let [lon, lat, h] = self.transform(p)?;
        Ok(Geodetic::new(lon, lat, h))
    }
}

/// One-off transform of a position in `crs` to WGS84.
pub fn to_wgs84(crs: Crs, p: [f64; 3]) -> Result<Geodetic, CrsError> {
    Transformer::new(crs, Crs::Wgs84)?.to_geodetic(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Reference values computed once with pyproj 3.7.2 / PROJ 9.5.1:
    /// UTM with `Transformer.from_crs("EPSG:4326", "EPSG:32648")`; VN-2000
    /// geographic with EPSG's own "VN-2000 to WGS 84 (2)" pipeline (the
    /// `+proj=helmert +convention=coordinate_frame` step PROJ's database picks);
    /// the provincial zone as `+proj=tmerc +lon_0=106.25 +k=0.9999 +x_0=500000`
    /// applied to those VN-2000 coordinates.
    struct Reference {
        name: &'static str,
        wgs84: [f64; 3],
        utm48n: [f64; 2],
        vn2000: [f64; 2],
        vn2000_quang_tri: [f64; 2],
    }

    const REFERENCES: [Reference; 3] = [
        Reference {
            name: "Quảng Trị Citadel",
            wgs84: [107.194, 16.747, 5.0],
            utm48n: [733895.5334, 1852858.0956],
            vn2000: [107.1921687226, 16.7480134810],
            vn2000_quang_tri: [600454.4820, 1852473.1178],
        },
        Reference {
            name: "Hiền Lương bridge",
            wgs84: [107.052, 17.004, 3.0],
            utm48n: [718455.8648, 1881141.8785],
            vn2000: [107.0501657786, 17.0050115969],
            vn2000_quang_tri: [585197.8437, 1880847.6968],
        },
        Reference {
            name: "Khe Sanh",
            wgs84: [106.731, 16.654, 400.0],
            utm48n: [684611.6215, 1842078.8303],
            vn2000: [106.7291683403, 16.6550094972],
            vn2000_quang_tri: [551112.4614, 1842005.0025],
        },
    ];

    // 1e-8° is about 1 mm.
    const DEG_TOL: f64 = 1e-8;
    const M_TOL: f64 = 1e-3;

    #[test]
    fn wgs84_to_utm48n_matches_pyproj() {
        let t = Transformer::new(Crs::Wgs84, Crs::Utm48N).unwrap();
        for r in &REFERENCES {
            let out = t.transform(r.wgs84).unwrap();
            assert_abs_diff_eq!(out[0], r.utm48n[0], epsilon = M_TOL);
            assert_abs_diff_eq!(out[1], r.utm48n[1], epsilon = M_TOL);
            assert_eq!(out[2], r.wgs84[2], "{}: height passes through", r.name);
        }
    }

    #[test]
    fn wgs84_to_vn2000_geographic_matches_epsg_pipeline() {
        let t = Transformer::new(Crs::Wgs84, Crs::Vn2000Geographic).unwrap();
        for r in &REFERENCES {
            let out = t.transform(r.wgs84).unwrap();
            assert_abs_diff_eq!(out[0], r.vn2000[0], epsilon = DEG_TOL);
            assert_abs_diff_eq!(out[1], r.vn2000[1], epsilon = DEG_TOL);
        }
    }

    #[test]
    fn wgs84_to_vn2000_quang_tri_zone_matches_pyproj() {
        let t = Transformer::new(Crs::Wgs84, Crs::Vn2000QuangTri).unwrap();
        for r in &REFERENCES {
            let out = t.transform(r.wgs84).unwrap();
            assert_abs_diff_eq!(out[0], r.vn2000_quang_tri[0], epsilon = M_TOL);
            assert_abs_diff_eq!(out[1], r.vn2000_quang_tri[1], epsilon = M_TOL);
        }
    }

    #[test]
    fn every_pair_round_trips() {
        for r in &REFERENCES {
            for from in Crs::ALL {
                let start = Transformer::new(Crs::Wgs84, from).unwrap().transform(r.wgs84).unwrap();
                for to in Crs::ALL {
                    let there = Transformer::new(from, to).unwrap().transform(start).unwrap();
                    let back = Transformer::new(to, from).unwrap().transform(there).unwrap();
                    let tol = if from.is_geographic() { DEG_TOL } else { M_TOL };
                    assert_abs_diff_eq!(back[0], start[0], epsilon = tol);
                    assert_abs_diff_eq!(back[1], start[1], epsilon = tol);
                }
            }
        }
    }

    #[test]
    fn parses_scene_identifiers() {
        for crs in Crs::ALL {
            assert_eq!(crs.id().parse::<Crs>().unwrap(), crs);
        }
        assert_eq!(" epsg:4326 ".parse::<Crs>().unwrap(), Crs::Wgs84);
        assert_eq!("VN-2000".parse::<Crs>().unwrap(), Crs::Vn2000Geographic);
        assert_eq!("EPSG:2994".parse::<Crs>().unwrap(), Crs::Epsg(2994));
        let err = "EPSG:1".parse::<Crs>().unwrap_err();
        assert!(err.to_string().contains("EPSG:1"));
        assert!("EPSG:99999999".parse::<Crs>().is_err());
    }

    /// Autzen's CRS, NAD83(HARN) / Oregon GIC Lambert in international feet.
    /// Reference from pyproj 3.7.2 with the same proj string: (636001.76,
    /// 848935.20) ft is lon -123.0733810, lat 44.0499008. PROJ's full EPSG
    /// pipeline (a HARN-to-WGS 84 transformation) lands 1.1 m east: the
    /// table's `+towgs84` are the accuracy limit of EPSG-table systems.
    #[test]
    fn epsg_table_systems_transform() {
        let oregon = Crs::from_epsg(2994).unwrap();
        assert_abs_diff_eq!(oregon.linear_unit_m(), 0.3048);
        assert!(!oregon.is_geographic());
        let g = to_wgs84(oregon, [636001.76, 848935.20, 0.0]).unwrap();
        assert_abs_diff_eq!(g.lon_deg, -123.0733810, epsilon = 1e-7);
        assert_abs_diff_eq!(g.lat_deg, 44.0499008, epsilon = 1e-7);
        assert!(Crs::from_epsg(4978).unwrap().is_geocentric());
        // From Earth-centred coordinates the height is computed, not passed through.
        let g = to_wgs84(Crs::from_epsg(4978).unwrap(), [6_378_137.0 + 100.0, 0.0, 0.0]).unwrap();
        assert_abs_diff_eq!(g.height_m, 100.0, epsilon = 1e-3);
        assert_abs_diff_eq!(g.lat_deg, 0.0, epsilon = 1e-9);
        assert_abs_diff_eq!(Crs::from_epsg(2264).unwrap().linear_unit_m(), 1200.0 / 3937.0);
    }

    #[test]
    fn rejects_non_finite_input() {
        let t = Transformer::new(Crs::Wgs84, Crs::Utm48N).unwrap();
        assert!(matches!(t.transform([f64::NAN, 16.0, 0.0]), Err(CrsError::NotFinite { .. })));
    }
}
