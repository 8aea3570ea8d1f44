//! Phones without WebXR ("magic window", cardboard): the W3C
//! DeviceOrientation angles turned into the camera's orientation in the
//! render frame.
//!
//! The device frame (W3C): x to the right of the screen, y up the screen,
//! z out of the screen towards the user, in the screen's natural
//! orientation. The Earth frame: X east, Y north, Z up. The device's
//! orientation is `Rz(alpha) * Rx(beta) * Ry(gamma)` (intrinsic Z-X'-Y''),
//! taking device coordinates to Earth coordinates; alpha turns
//! counter-clockwise seen from above.

use glam::{DQuat, DVec3};

use crate::frame::DeviceOrientation;

/// The device's orientation as a rotation from the device frame to the
/// Earth frame (X east, Y north, Z up): `Rz(alpha) * Rx(beta) * Ry(gamma)`,
/// angles in degrees as the `deviceorientation` event gives them.
pub fn device_quaternion(alpha_deg: f64, beta_deg: f64, gamma_deg: f64) -> DQuat {
    DQuat::from_rotation_z(alpha_deg.to_radians())
        * DQuat::from_rotation_x(beta_deg.to_radians())
        * DQuat::from_rotation_y(gamma_deg.to_radians())
}

/// The rotation from the Earth frame (ENU) to the render frame:
/// (e, n, u) -> (e, u, -n), a quarter turn about east.
pub fn earth_to_render() -> DQuat {
    DQuat::from_rotation_x(-std::f64::consts::FRAC_PI_2)
}

/// The render-frame orientation of a camera looking out of the back of the
/// screen (camera -z = device -z) with the screen's "up" as its +y, for the
/// screen rotated by `screen_deg` (`screen.orientation.angle`: 90 when the
/// device is turned a quarter counter-clockwise into landscape, whose screen
/// "up" is then the device's +x). That is `earth_to_render * device *
/// Rz(-screen)`, a camera-to-render rotation (a Bevy transform's).
pub fn camera_orientation(o: &DeviceOrientation) -> DQuat {
    let device = device_quaternion(o.alpha_deg, o.beta_deg, o.gamma_deg);
    (earth_to_render() * device * DQuat::from_rotation_z(-o.screen_deg.to_radians())).normalize()
}

/// The render-frame direction a camera with this orientation looks along
/// (its local -z).
pub fn camera_forward(orientation: DQuat) -> DVec3 {
    orientation * DVec3::NEG_Z
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use glam::DMat3;

    fn assert_close(a: DVec3, b: DVec3) {
        assert!(a.distance(b) < 1e-9, "{a} is not {b}");
    }

    fn camera(alpha: f64, beta: f64, gamma: f64, screen: f64) -> (DVec3, DVec3) {
        let q = camera_orientation(&DeviceOrientation {
            alpha_deg: alpha,
            beta_deg: beta,
            gamma_deg: gamma,
            screen_deg: screen,
        });
        (camera_forward(q), q * DVec3::Y)
    }

    /// The rotation matrix of the W3C DeviceOrientation spec (its worked
    /// example, "R = Rz(α) Rx(β) Ry(γ)"), written out row by row.
    fn w3c_matrix(alpha: f64, beta: f64, gamma: f64) -> DMat3 {
        let (s_a, c_a) = alpha.to_radians().sin_cos();
        let (s_b, c_b) = beta.to_radians().sin_cos();
        let (s_g, c_g) = gamma.to_radians().sin_cos();
        let rows = [
            [c_a * c_g - s_a * s_b * s_g, -c_b * s_a, c_g * s_a * s_b + c_a * s_g],
            [c_g * s_a + c_a * s_b * s_g, c_a * c_b, s_a * s_g - c_a * c_g * s_b],
            [-c_b * s_g, s_b, c_b * c_g],
        ];
        DMat3::from_cols_array_2d(&rows).transpose()
    }

    #[test]
    fn quaternion_matches_the_w3c_matrix() {
        for (a, b, g) in [
            (0.0, 0.0, 0.0),
            (30.0, 45.0, -20.0),
            (300.0, -120.0, 80.0),
            (90.0, 90.0, 0.0),
            (12.5, 170.0, -89.0),
        ] {
            let q = device_quaternion(a, b, g);
            let m = w3c_matrix(a, b, g);
            for v in [DVec3::X, DVec3::Y, DVec3::Z, DVec3::new(0.3, -0.5, 0.8)] {
                assert_close(q * v, m * v);
            }
        }
    }

    #[test]
    fn flat_on_a_table_looks_down_with_north_up() {
        let (forward, up) = camera(0.0, 0.0, 0.0, 0.0);
        assert_close(forward, DVec3::NEG_Y);
        assert_close(up, DVec3::NEG_Z);
    }

    #[test]
    fn upright_portrait_facing_north() {
        let (forward, up) = camera(0.0, 90.0, 0.0, 0.0);
        assert_close(forward, DVec3::NEG_Z);
        assert_close(up, DVec3::Y);
    }

    #[test]
    fn alpha_turns_counter_clockwise_so_90_looks_west() {
        let (forward, up) = camera(90.0, 90.0, 0.0, 0.0);
        assert_close(forward, DVec3::NEG_X);
        assert_close(up, DVec3::Y);
        // And 270 (= -90) looks east.
        assert_close(camera(270.0, 90.0, 0.0, 0.0).0, DVec3::X);
    }

    #[test]
    fn screen_rotation_turns_the_camera_up() {
        // Upright facing north, the screen reported in landscape: the
        // camera's up is the device's +x, east.
        let (forward, up) = camera(0.0, 90.0, 0.0, 90.0);
        assert_close(forward, DVec3::NEG_Z);
        assert_close(up, DVec3::X);
        // A phone really held in landscape (turned a quarter counter-clockwise,
        // its top pointing west) facing north with a level horizon: device +x
        // is up, +y west, +z south, which the W3C matrix gives for
        // alpha 90, beta 0, gamma -90. The camera then looks north, up is up.
        let m = w3c_matrix(90.0, 0.0, -90.0);
        assert_close(m * DVec3::X, DVec3::Z);
        assert_close(m * DVec3::Y, DVec3::NEG_X);
        let (forward, up) = camera(90.0, 0.0, -90.0, 90.0);
        assert_close(forward, DVec3::NEG_Z);
        assert_close(up, DVec3::Y);
    }

    #[test]
    fn earth_to_render_is_enu_to_east_up_south() {
        assert_close(earth_to_render() * DVec3::X, DVec3::X);
        assert_close(earth_to_render() * DVec3::Y, DVec3::NEG_Z);
        assert_close(earth_to_render() * DVec3::Z, DVec3::Y);
    }
}
