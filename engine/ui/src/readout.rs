//! What the coordinates panel shows for a point of the scene.

use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};

/// A point under the cursor, in the systems the panel lists.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    pub geodetic: Geodetic,
    /// Easting, northing in the VN-2000 provincial zone, if the transform succeeds.
    pub vn2000: Option<[f64; 2]>,
    /// Height above the scene's vertical datum, metres.
    pub height_m: f64,
}

pub fn readout(frame: &EnuFrame, to_vn2000: &Transformer, enu: [f64; 3]) -> Readout {
    let geodetic = frame.enu_to_geodetic(enu);
    // Heights in scenes are above the origin's datum; the ENU up axis differs
    // from the ellipsoidal normal by millimetres over a site.
    let height_m = frame.origin().height_m + enu[2];
    let vn2000 = to_vn2000
        .transform([geodetic.lon_deg, geodetic.lat_deg, height_m])
        .ok()
        .map(|p| [p[0], p[1]]);
    Readout {
        geodetic,
        vn2000,
        height_m,
    }
}

pub fn vn2000_transformer() -> Option<Transformer> {
    Transformer::new(Crs::Wgs84, Crs::Vn2000QuangTri).ok()
}

/// Degrees as 16.747000° N, 107.194000° E.
pub fn format_lat_lon(g: &Geodetic) -> String {
    let ns = if g.lat_deg >= 0.0 { 'N' } else { 'S' };
    let ew = if g.lon_deg >= 0.0 { 'E' } else { 'W' };
    format!("{:.6}° {ns}, {:.6}° {ew}", g.lat_deg.abs(), g.lon_deg.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn readout_at_the_citadel_origin() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
        let t = vn2000_transformer().unwrap();
        let r = readout(&frame, &t, [0.0, 0.0, 5.0]);
        assert_abs_diff_eq!(r.geodetic.lat_deg, 16.747, epsilon = 1e-9);
        assert_abs_diff_eq!(r.height_m, 5.0, epsilon = 1e-9);
        // Same reference as sontinh-geo's tests (pyproj, EPSG "VN-2000 to WGS 84 (2)").
        let vn = r.vn2000.unwrap();
        assert_abs_diff_eq!(vn[0], 600454.482, epsilon = 0.01);
        assert_abs_diff_eq!(vn[1], 1852473.118, epsilon = 0.01);
        assert_eq!(format_lat_lon(&r.geodetic), "16.747000° N, 107.194000° E");
    }
}
