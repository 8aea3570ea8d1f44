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
}

impl Crs {
    pub const ALL: [Crs; 4] = [Crs::Wgs84, Crs::Utm48N, Crs::Vn2000Geographic, Crs::Vn2000QuangTri];

    /// The identifier used in scene files.
    pub fn id(self) -> &'static str {
        match self {
            Crs::Wgs84 => "EPSG:4326",
            Crs::Utm48N => "EPSG:32648",
            Crs::Vn2000Geographic => "EPSG:4756",
            Crs::Vn2000QuangTri => "VN2000:QUANGTRI",
        }
    }

    /// A human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "WGS 84",
            Crs::Utm48N => "WGS 84 / UTM zone 48N",
            Crs::Vn2000Geographic => "VN-2000",
            Crs::Vn2000QuangTri => "VN-2000 / Quảng Trị 3° TM (106°15′)",
        }
    }

    /// Geographic systems take (longitude, latitude) in degrees.
    pub fn is_geographic(self) -> bool {
        matches!(self, Crs::Wgs84 | Crs::Vn2000Geographic)
    }

    fn proj_string(self) -> String {
        match self {
            Crs::Wgs84 => "+proj=longlat +datum=WGS84 +no_defs".to_owned(),
            Crs::Utm48N => "+proj=utm +zone=48 +datum=WGS84 +units=m +no_defs".to_owned(),
            Crs::Vn2000Geographic => format!("+proj=longlat +ellps=WGS84 {VN2000_TOWGS84} +no_defs"),
            Crs::Vn2000QuangTri => {
                format!("+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 {VN2000_TOWGS84} +units=m +no_defs")
            }
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
        f.write_str(self.id())
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
            _ => Err(CrsError::Unknown(s.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CrsError {
    #[error(
        "unknown CRS \"{0}\": expected one of EPSG:4326 (WGS 84), EPSG:32648 (UTM 48N), EPSG:4756 (VN-2000), VN2000:QUANGTRI (VN-2000 provincial zone)"
    )]
    Unknown(String),
    #[error("the definition of {crs} was rejected: {reason}")]
    Definition { crs: &'static str, reason: String },
    #[error("cannot transform ({x}, {y}) from {from} to {to}: {reason}")]
    Transform {
        from: Crs,
        to: Crs,
        x: f64,
        y: f64,
        reason: String,
    },
    #[error("coordinate ({x}, {y}) is not a finite number")]
    NotFinite { x: f64, y: f64 },
}

/// Transforms positions from one CRS to another; build once, reuse for many points.
pub struct Transformer {
    from: Crs,
    to: Crs,
    from_proj: Proj,
    to_proj: Proj,
}

impl fmt::Debug for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transformer")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl Transformer {
    pub fn new(from: Crs, to: Crs) -> Result<Self, CrsError> {
        Ok(Self {
            from,
            to,
            from_proj: from.proj()?,
            to_proj: to.proj()?,
        })
    }

    pub fn from_crs(&self) -> Crs {
        self.from
    }

    pub fn to_crs(&self) -> Crs {
        self.to
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
        let mut point = if self.from.is_geographic() {
            (x.to_radians(), y.to_radians(), z)
        } else {
            (x, y, z)
        };
        proj4rs::transform::transform(&self.from_proj, &self.to_proj, &mut point).map_err(|e| CrsError::Transform {
            from: self.from,
            to: self.to,
            x,
            y,
            reason: e.to_string(),
        })?;
        let (mut out_x, mut out_y) = (point.0, point.1);
        if self.to.is_geographic() {
            out_x = out_x.to_degrees();
            out_y = out_y.to_degrees();
        }
        if !(out_x.is_finite() && out_y.is_finite()) {
            return Err(CrsError::Transform {
                from: self.from,
                to: self.to,
                x,
                y,
                reason: "the result is not finite (outside the projection's domain)".to_owned(),
            });
        }
        Ok([out_x, out_y, z])
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
        let err = "EPSG:3857".parse::<Crs>().unwrap_err();
        assert!(err.to_string().contains("EPSG:3857"));
    }

    #[test]
    fn rejects_non_finite_input() {
        let t = Transformer::new(Crs::Wgs84, Crs::Utm48N).unwrap();
        assert!(matches!(t.transform([f64::NAN, 16.0, 0.0]), Err(CrsError::NotFinite { .. })));
    }
}
