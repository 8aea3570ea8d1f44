//! Cardboard viewers: the phone's screen split into two eyes, side by side.

use crate::projection::Frustum;

/// One eye of a side-by-side stereo view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoEye {
    /// x, y, width, height in canvas pixels, origin top-left.
    pub viewport: [u32; 4],
    /// The eye's offset along the head's +x (metres): -ipd/2 left, +ipd/2 right.
    pub offset_m: f64,
    /// A symmetric frustum of the viewport's aspect.
    pub frustum: Frustum,
}

/// The left and right halves of the canvas (an odd width gives the right eye
/// the extra pixel), eyes `ipd_m` apart, each with a symmetric frustum of
/// `vertical_fov_rad` and its half's aspect. Errors name the value: a canvas
/// narrower than 2 pixels or 0 high, an inter-pupillary distance or field of
/// view that is not positive and finite (or a field of view of π or more).
pub fn side_by_side(canvas: [u32; 2], ipd_m: f64, vertical_fov_rad: f64) -> Result<[StereoEye; 2], String> {
    let [width, height] = canvas;
    if width < 2 || height == 0 {
        return Err(format!(
            "stereo canvas {width}x{height} is too small for two eyes (at least 2x1 pixels)"
        ));
    }
    if !(ipd_m > 0.0 && ipd_m.is_finite()) {
        return Err(format!("stereo inter-pupillary distance {ipd_m} m is not positive"));
    }
    if !(vertical_fov_rad > 0.0 && vertical_fov_rad < std::f64::consts::PI) {
        return Err(format!(
            "stereo vertical field of view {vertical_fov_rad} rad is not between 0 and π"
        ));
    }
    let left_width = width / 2;
    let right_width = width - left_width;
    let eye = |x: u32, w: u32, offset_m: f64| StereoEye {
        viewport: [x, 0, w, height],
        offset_m,
        frustum: Frustum::symmetric(vertical_fov_rad, f64::from(w) / f64::from(height)),
    };
    Ok([eye(0, left_width, -0.5 * ipd_m), eye(left_width, right_width, 0.5 * ipd_m)])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn halves_of_the_canvas() {
        let [left, right] = side_by_side([1921, 1080], 0.064, 1.4).unwrap();
        assert_eq!(left.viewport, [0, 0, 960, 1080]);
        assert_eq!(right.viewport, [960, 0, 961, 1080]);
        assert_eq!((left.offset_m, right.offset_m), (-0.032, 0.032));
        assert_relative_eq!(left.frustum.vertical_fov(), 1.4, epsilon = 1e-12);
        assert_relative_eq!(
            (left.frustum.right - left.frustum.left) / (left.frustum.top - left.frustum.bottom),
            960.0 / 1080.0,
            epsilon = 1e-12
        );
        assert_relative_eq!(right.frustum.right, -right.frustum.left);
        assert!(right.frustum.right > left.frustum.right);
    }

    #[test]
    fn bad_values_are_named() {
        assert!(side_by_side([0, 100], 0.064, 1.4).unwrap_err().contains("0x100"));
        assert!(side_by_side([100, 0], 0.064, 1.4).unwrap_err().contains("100x0"));
        assert!(side_by_side([100, 100], 0.0, 1.4).unwrap_err().contains("distance 0"));
        assert!(side_by_side([100, 100], f64::NAN, 1.4).unwrap_err().contains("NaN"));
        assert!(side_by_side([100, 100], 0.064, -1.0).unwrap_err().contains("-1"));
        assert!(side_by_side([100, 100], 0.064, 3.2).unwrap_err().contains("3.2"));
    }
}
