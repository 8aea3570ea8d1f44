//! View frusta: read from the OpenGL-style matrices WebXR hands
//! (`XRView.projectionMatrix`), made for cardboard eyes, and turned into
//! Bevy's reverse-z, infinite-far projection.

use glam::{Mat4, Vec4};

/// A view frustum as the tangents of its four sides at unit distance: a
/// view-space direction (x, y, -1) is inside when `left <= x <= right` and
/// `bottom <= y <= top` (`left` and `bottom` are usually negative). No near or
/// far plane: the renderer picks its own near plane and has no far one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frustum {
    pub left: f64,
    pub right: f64,
    pub bottom: f64,
    pub top: f64,
}

/// How far from -1 the `m[11]` entry of a perspective matrix may be, and how
/// far from 0 the entries that must be 0 for clip w = -z may be.
const PERSPECTIVE_TOLERANCE: f32 = 1e-3;

impl Frustum {
    /// Reads an OpenGL-style perspective matrix (column-major, clip w = -z),
    /// symmetric or off-axis, as `XRView.projectionMatrix` gives. With
    /// `m[0] = 2n/(r-l)`, `m[8] = (r+l)/(r-l)` (glFrustum), the right tangent
    /// is `(1 + m[8]) / m[0]` and the left `(m[8] - 1) / m[0]`; likewise
    /// vertically with `m[5]`, `m[9]`. Refuses a non-finite entry, an
    /// orthographic or otherwise non-perspective matrix (`m[11]` not -1 within
    /// 1e-3, or `m[3]`, `m[7]`, `m[15]` not 0) and a degenerate frustum
    /// (left >= right or bottom >= top).
    pub fn from_gl_projection(m: &[f32; 16]) -> Result<Frustum, String> {
        if let Some(i) = m.iter().position(|v| !v.is_finite()) {
            return Err(format!("projection matrix entry {i} is not finite ({})", m[i]));
        }
        if (m[11] + 1.0).abs() > PERSPECTIVE_TOLERANCE {
            return Err(format!(
                "projection matrix is not a perspective one: m[11] is {} (expected -1; an orthographic matrix has 0)",
                m[11]
            ));
        }
        for i in [3usize, 7, 15] {
            if m[i].abs() > PERSPECTIVE_TOLERANCE {
                return Err(format!(
                    "projection matrix is not a perspective one: m[{i}] is {} (expected 0)",
                    m[i]
                ));
            }
        }
        let (m0, m5, m8, m9) = (f64::from(m[0]), f64::from(m[5]), f64::from(m[8]), f64::from(m[9]));
        let frustum = Frustum {
            left: (m8 - 1.0) / m0,
            right: (m8 + 1.0) / m0,
            bottom: (m9 - 1.0) / m5,
            top: (m9 + 1.0) / m5,
        };
        let finite = [frustum.left, frustum.right, frustum.bottom, frustum.top]
            .iter()
            .all(|v| v.is_finite());
        if !finite || frustum.left >= frustum.right || frustum.bottom >= frustum.top {
            return Err(format!(
                "projection matrix gives a degenerate frustum (m[0] {}, m[5] {}: left {}, right {}, bottom {}, top {})",
                m[0], m[5], frustum.left, frustum.right, frustum.bottom, frustum.top
            ));
        }
        Ok(frustum)
    }

    /// A frustum centred on the view axis with this vertical field of view
    /// (radians) and width/height ratio.
    pub fn symmetric(vertical_fov_rad: f64, aspect: f64) -> Frustum {
        let top = (0.5 * vertical_fov_rad).tan();
        let right = top * aspect;
        Frustum {
            left: -right,
            right,
            bottom: -top,
            top,
        }
    }

    /// The vertical field of view in radians (the angle between the bottom
    /// and top planes, off-axis frusta included).
    pub fn vertical_fov(&self) -> f64 {
        self.top.atan() - self.bottom.atan()
    }

    /// The projection in Bevy's convention: view space (x, y, z < 0) to clip
    /// space with w = -z, NDC x from -1 to 1 across `left..right` and NDC y
    /// across `bottom..top` (off-axis allowed), and NDC depth `near / -z`:
    /// 1 at the near plane, towards 0 at infinity (reverse z, no far plane).
    /// For a symmetric frustum this is `Mat4::perspective_infinite_reverse_rh`.
    pub fn reverse_z_infinite(&self, near: f32) -> Mat4 {
        let width = self.right - self.left;
        let height = self.top - self.bottom;
        let sx = (2.0 / width) as f32;
        let sy = (2.0 / height) as f32;
        let ox = ((self.right + self.left) / width) as f32;
        let oy = ((self.top + self.bottom) / height) as f32;
        Mat4::from_cols(
            Vec4::new(sx, 0.0, 0.0, 0.0),
            Vec4::new(0.0, sy, 0.0, 0.0),
            Vec4::new(ox, oy, 0.0, -1.0),
            Vec4::new(0.0, 0.0, near, 0.0),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use glam::Vec3;

    /// glFrustum as the OpenGL 2.1 reference page writes it (column-major).
    fn gl_frustum(l: f32, r: f32, b: f32, t: f32, n: f32, f: f32) -> [f32; 16] {
        let mut m = [0.0f32; 16];
        m[0] = 2.0 * n / (r - l);
        m[5] = 2.0 * n / (t - b);
        m[8] = (r + l) / (r - l); // A
        m[9] = (t + b) / (t - b); // B
        m[10] = -(f + n) / (f - n); // C
        m[11] = -1.0;
        m[14] = -(2.0 * f * n) / (f - n); // D
        m
    }

    #[test]
    fn symmetric_gl_matrix_gives_back_fov_and_aspect() {
        let (fov, aspect) = (1.2f32, 16.0 / 9.0);
        let m = Mat4::perspective_rh_gl(fov, aspect, 0.1, 100.0).to_cols_array();
        let f = Frustum::from_gl_projection(&m).unwrap();
        assert_relative_eq!(f.vertical_fov(), f64::from(fov), epsilon = 1e-6);
        assert_relative_eq!((f.right - f.left) / (f.top - f.bottom), f64::from(aspect), epsilon = 1e-6);
        assert_relative_eq!(f.left, -f.right, epsilon = 1e-7);
        assert_relative_eq!(f.bottom, -f.top, epsilon = 1e-7);
        let s = Frustum::symmetric(f64::from(fov), f64::from(aspect));
        assert_relative_eq!(s.right, f.right, epsilon = 1e-6);
        assert_relative_eq!(s.top, f.top, epsilon = 1e-6);
    }

    #[test]
    fn off_axis_gl_matrix_gives_back_its_sides() {
        // A headset's left eye: wider on the temple (left) side than the nose side.
        let (l, r, b, t, n) = (-0.06f32, 0.04, -0.05, 0.045, 0.05);
        let f = Frustum::from_gl_projection(&gl_frustum(l, r, b, t, n, 500.0)).unwrap();
        assert_relative_eq!(f.left, f64::from(l / n), epsilon = 1e-6);
        assert_relative_eq!(f.right, f64::from(r / n), epsilon = 1e-6);
        assert_relative_eq!(f.bottom, f64::from(b / n), epsilon = 1e-6);
        assert_relative_eq!(f.top, f64::from(t / n), epsilon = 1e-6);
    }

    #[test]
    fn bad_matrices_are_refused() {
        let ortho = Mat4::orthographic_rh_gl(-1.0, 1.0, -1.0, 1.0, 0.1, 10.0).to_cols_array();
        assert!(Frustum::from_gl_projection(&ortho).unwrap_err().contains("m[11]"));
        let mut nan = gl_frustum(-1.0, 1.0, -1.0, 1.0, 1.0, 10.0);
        nan[5] = f32::NAN;
        assert!(Frustum::from_gl_projection(&nan).unwrap_err().contains("entry 5"));
        let mut flipped = gl_frustum(-1.0, 1.0, -1.0, 1.0, 1.0, 10.0);
        flipped[0] = -1.0;
        assert!(Frustum::from_gl_projection(&flipped).unwrap_err().contains("degenerate"));
        let mut zero = flipped;
        zero[0] = 0.0;
        assert!(Frustum::from_gl_projection(&zero).is_err());
        assert!(Frustum::from_gl_projection(&[0.0; 16]).is_err());
    }

    #[test]
    fn reverse_z_matches_glam_for_a_symmetric_frustum() {
        let (fov, aspect, near) = (0.9f32, 1.5f32, 0.1f32);
        let ours = Frustum::symmetric(f64::from(fov), f64::from(aspect)).reverse_z_infinite(near);
        let glam = Mat4::perspective_infinite_reverse_rh(fov, aspect, near);
        for (a, b) in ours.to_cols_array().iter().zip(glam.to_cols_array().iter()) {
            assert_relative_eq!(*a, *b, epsilon = 1e-5);
        }
    }

    #[test]
    fn reverse_z_maps_off_axis_corners_to_ndc_corners() {
        let f = Frustum {
            left: -1.3,
            right: 0.7,
            bottom: -0.4,
            top: 0.9,
        };
        let near = 0.05f32;
        let m = f.reverse_z_infinite(near);
        for (x, y, ndc) in [
            (f.left, f.bottom, (-1.0, -1.0)),
            (f.right, f.bottom, (1.0, -1.0)),
            (f.left, f.top, (-1.0, 1.0)),
            (f.right, f.top, (1.0, 1.0)),
        ] {
            for distance in [near, 1.0, 250.0] {
                let p = Vec3::new(x as f32, y as f32, -1.0) * distance;
                let clip = m * p.extend(1.0);
                assert_relative_eq!(clip.w, distance, epsilon = 1e-4 * distance);
                assert_relative_eq!(clip.x / clip.w, ndc.0, epsilon = 1e-5);
                assert_relative_eq!(clip.y / clip.w, ndc.1, epsilon = 1e-5);
                assert_relative_eq!(clip.z / clip.w, near / distance, epsilon = 1e-5);
            }
        }
    }
}
