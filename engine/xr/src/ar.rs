//! Tabletop AR: the scale that fits the model on a table, rays onto planes
//! (a tap on the screen onto the table), and the two-finger gesture that
//! scales and turns the model.

use glam::{DVec2, DVec3};

/// Reference metres per render metre that make the model's larger
/// horizontal side (`model_extent.x` or `.z`, render metres) `table_m`
/// metres long: the `model_scale` of [`crate::Placement::anchored`]. Falls
/// back to 1 (life size) when the extent or table size is not positive and
/// finite.
pub fn tabletop_scale(model_extent: DVec3, table_m: f64) -> f64 {
    let side = model_extent.x.abs().max(model_extent.z.abs());
    let scale = table_m / side;
    if side > 0.0 && table_m > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    }
}

/// Where the ray from `origin` along `direction` meets the plane through
/// `plane_point` with normal `plane_normal` (neither needs unit length).
/// None when the ray is parallel to the plane, the plane is behind the
/// origin, or a value is not finite.
pub fn ray_plane(origin: DVec3, direction: DVec3, plane_point: DVec3, plane_normal: DVec3) -> Option<DVec3> {
    let denominator = plane_normal.dot(direction);
    if denominator.abs() <= 1e-12 * plane_normal.length() * direction.length() {
        return None;
    }
    let t = plane_normal.dot(plane_point - origin) / denominator;
    let point = origin + direction * t;
    (t >= 0.0 && point.is_finite()).then_some(point)
}

/// The shortest finger segment (metres on the plane) a gesture is read from.
const MIN_SEGMENT_M: f64 = 1e-3;

/// The scale factor and rotation (radians, counter-clockwise with x right
/// and y up) that take the segment between two touch points on the
/// placement plane `before` to the one `after`. With plane coordinates
/// (east, north) = (render x, -render z) the rotation is a yaw about +y:
/// the turn the fingers give a model in the room (a placement turns the
/// room in the scene, so its yaw takes the opposite). None when either
/// segment is shorter than 1 mm or not finite.
pub fn two_pointer_gesture(before: [DVec2; 2], after: [DVec2; 2]) -> Option<(f64, f64)> {
    let from = before[1] - before[0];
    let to = after[1] - after[0];
    let (from_length, to_length) = (from.length(), to.length());
    if !(from_length >= MIN_SEGMENT_M && to_length >= MIN_SEGMENT_M && from_length.is_finite() && to_length.is_finite()) {
        return None;
    }
    Some((to_length / from_length, from.perp_dot(to).atan2(from.dot(to))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use std::f64::consts::FRAC_PI_2;

    #[test]
    fn tabletop_scale_fits_the_larger_side() {
        // A 1.2 km by 800 m citadel on a 60 cm table: 1:2000.
        assert_relative_eq!(tabletop_scale(DVec3::new(1200.0, 35.0, 800.0), 0.6), 0.0005);
        assert_relative_eq!(tabletop_scale(DVec3::new(300.0, 900.0, -600.0), 0.6), 0.001);
        assert_eq!(tabletop_scale(DVec3::ZERO, 0.6), 1.0);
        assert_eq!(tabletop_scale(DVec3::splat(10.0), 0.0), 1.0);
        assert_eq!(tabletop_scale(DVec3::splat(f64::NAN), 0.5), 1.0);
    }

    #[test]
    fn rays_meet_planes_in_front_only() {
        let hit = ray_plane(
            DVec3::new(0.0, 1.5, 0.0),
            DVec3::new(0.0, -1.0, -1.0),
            DVec3::new(3.0, 0.7, 9.0),
            DVec3::Y * 4.0,
        );
        let hit = hit.unwrap();
        assert_relative_eq!(hit.y, 0.7, epsilon = 1e-12);
        assert_relative_eq!(hit.z, -0.8, epsilon = 1e-12);
        assert_eq!(
            ray_plane(DVec3::new(0.0, 1.5, 0.0), DVec3::new(0.0, 1.0, -1.0), DVec3::ZERO, DVec3::Y),
            None
        );
        assert_eq!(ray_plane(DVec3::new(0.0, 1.5, 0.0), DVec3::X, DVec3::ZERO, DVec3::Y), None);
        assert_eq!(ray_plane(DVec3::new(0.0, 1.5, 0.0), DVec3::NEG_Y, DVec3::ZERO, DVec3::ZERO), None);
    }

    #[test]
    fn gestures_give_scale_and_counter_clockwise_turn() {
        let before = [DVec2::new(0.0, 0.0), DVec2::new(0.1, 0.0)];
        let after = [DVec2::new(1.0, 1.0), DVec2::new(1.0, 1.2)];
        let (scale, turn) = two_pointer_gesture(before, after).unwrap();
        assert_relative_eq!(scale, 2.0, epsilon = 1e-12);
        assert_relative_eq!(turn, FRAC_PI_2, epsilon = 1e-12);
        let (_, back) = two_pointer_gesture(after, before).unwrap();
        assert_relative_eq!(back, -FRAC_PI_2, epsilon = 1e-12);
        let tiny = [DVec2::ZERO, DVec2::new(0.0005, 0.0)];
        assert_eq!(two_pointer_gesture(tiny, after), None);
        assert_eq!(two_pointer_gesture(before, tiny), None);
    }
}
