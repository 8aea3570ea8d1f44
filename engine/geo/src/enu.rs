use crate::Geodetic;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

fn e2() -> f64 {
    WGS84_F * (2.0 - WGS84_F)
}

/// Geodetic (WGS84) to earth-centred, earth-fixed metres.
pub fn geodetic_to_ecef(g: Geodetic) -> [f64; 3] {
    let (lat, lon) = (g.lat_deg.to_radians(), g.lon_deg.to_radians());
    let (sin_lat, cos_lat) = lat.sin_cos();
    let (sin_lon, cos_lon) = lon.sin_cos();
    let n = WGS84_A / (1.0 - e2() * sin_lat * sin_lat).sqrt();
    [
        (n + g.height_m) * cos_lat * cos_lon,
        (n + g.height_m) * cos_lat * sin_lon,
        (n * (1.0 - e2()) + g.height_m) * sin_lat,
    ]
}

/// ECEF metres to geodetic (WGS84), by Bowring's method refined by iteration;
/// converges to well under a millimetre anywhere near the surface.
pub fn ecef_to_geodetic(p: [f64; 3]) -> Geodetic {
    let [x, y, z] = p;
    let e2 = e2();
    let b = WGS84_A * (1.0 - WGS84_F);
    let ep2 = (WGS84_A * WGS84_A - b * b) / (b * b);
    let r = x.hypot(y);
    let lon = y.atan2(x);
    if r < 1e-9 {
        // On the polar axis.
        let lat = if z >= 0.0 { 90.0 } else { -90.0 };
        return Geodetic::new(lon.to_degrees(), lat, z.abs() - b);
    }
    let theta = (z * WGS84_A).atan2(r * b);
    let (st, ct) = theta.sin_cos();
    let mut lat = (z + ep2 * b * st.powi(3)).atan2(r - e2 * WGS84_A * ct.powi(3));
    let mut height = 0.0;
    for _ in 0..3 {
        let sin_lat = lat.sin();
        let n = WGS84_A / (1.0 - e2 * sin_lat * sin_lat).sqrt();
        height = r / lat.cos() - n;
        lat = (z / r / (1.0 - e2 * n / (n + height))).atan();
    }
    Geodetic::new(lon.to_degrees(), lat.to_degrees(), height)
}

/// A local east-north-up frame tangent to the WGS84 ellipsoid at `origin`.
/// Scenes place everything in the frame at their origin, so that render
/// coordinates stay small (f32-safe) while positions stay f64 elsewhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnuFrame {
    origin: Geodetic,
    origin_ecef: [f64; 3],
    /// Rows: east, north and up unit vectors in ECEF.
    axes: [[f64; 3]; 3],
}

impl EnuFrame {
    pub fn new(origin: Geodetic) -> Self {
        let (sin_lat, cos_lat) = origin.lat_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = origin.lon_deg.to_radians().sin_cos();
        Self {
            origin,
            origin_ecef: geodetic_to_ecef(origin),
            axes: [
                [-sin_lon, cos_lon, 0.0],
                [-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat],
                [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat],
            ],
        }
    }

    pub fn origin(&self) -> Geodetic {
        self.origin
    }

    pub fn ecef_to_enu(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [p[0] - self.origin_ecef[0], p[1] - self.origin_ecef[1], p[2] - self.origin_ecef[2]];
        self.axes.map(|axis| axis[0] * d[0] + axis[1] * d[1] + axis[2] * d[2])
    }

    pub fn enu_to_ecef(&self, enu: [f64; 3]) -> [f64; 3] {
        let mut out = self.origin_ecef;
        for (axis, component) in self.axes.iter().zip(enu) {
            for i in 0..3 {
                out[i] += axis[i] * component;
            }
        }
        out
    }

    pub fn geodetic_to_enu(&self, g: Geodetic) -> [f64; 3] {
        self.ecef_to_enu(geodetic_to_ecef(g))
    }

    pub fn enu_to_geodetic(&self, enu: [f64; 3]) -> Geodetic {
        ecef_to_geodetic(self.enu_to_ecef(enu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// ECEF references computed once with pyproj 3.7.2 / PROJ 9.5.1,
    /// `Transformer.from_crs("EPSG:4979", "EPSG:4978")`.
    const ECEF_REFERENCES: [([f64; 3], [f64; 3]); 3] = [
        ([107.194, 16.747, 5.0], [-1805964.0677, 5836290.7704, 1826041.3084]),
        ([107.052, 17.004, 3.0], [-1789072.3952, 5832853.4025, 1853257.6153]),
        ([106.731, 16.654, 400.0], [-1759703.6514, 5853888.6175, 1816296.6785]),
    ];

    #[test]
    fn geodetic_to_ecef_matches_pyproj() {
        for ([lon, lat, h], ecef) in ECEF_REFERENCES {
            let out = geodetic_to_ecef(Geodetic::new(lon, lat, h));
            for i in 0..3 {
                assert_abs_diff_eq!(out[i], ecef[i], epsilon = 1e-3);
            }
            let back = ecef_to_geodetic(ecef);
            assert_abs_diff_eq!(back.lon_deg, lon, epsilon = 1e-9);
            assert_abs_diff_eq!(back.lat_deg, lat, epsilon = 1e-9);
            assert_abs_diff_eq!(back.height_m, h, epsilon = 1e-3);
        }
    }

    #[test]
    fn enu_axes_point_east_north_up() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
        let up = frame.geodetic_to_enu(Geodetic::new(107.194, 16.747, 100.0));
        assert_abs_diff_eq!(up[0], 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(up[1], 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(up[2], 100.0, epsilon = 1e-6);
        // 0.001° of latitude is about 110.6 m at 16.7° N.
        let north = frame.geodetic_to_enu(Geodetic::new(107.194, 16.748, 0.0));
        assert!(north[1] > 110.0 && north[1] < 111.0, "{north:?}");
        assert_abs_diff_eq!(north[0], 0.0, epsilon = 1e-6);
        let east = frame.geodetic_to_enu(Geodetic::new(107.195, 16.747, 0.0));
        assert!(east[0] > 106.0 && east[0] < 107.0, "{east:?}");
        // Curvature: a point 106 m away sits slightly below the tangent plane.
        assert!(east[2] < 0.0 && east[2] > -0.01);
    }

    #[test]
    fn enu_round_trips_over_kilometres() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 3.0));
        for enu in [[0.0, 0.0, 0.0], [2500.0, -1800.0, 40.0], [-30_000.0, 45_000.0, 1200.0]] {
            let g = frame.enu_to_geodetic(enu);
            let back = frame.geodetic_to_enu(g);
            for i in 0..3 {
                assert_abs_diff_eq!(back[i], enu[i], epsilon = 1e-6);
            }
        }
    }
}
