//! Where the XR reference space sits in the twin. Both frames are y-up and
//! right-handed, so the placement is a yaw about +y, a uniform scale and a
//! translation: moving the user (snap turns, teleports, an AR model placed on
//! a table) is done by changing the placement, never the tracked poses.

use glam::{DQuat, DVec3};

use crate::frame::XrPose;

/// The reference space in the render frame: a reference point `p` is at
/// `origin + R(yaw) * (scale * p)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// The render-frame position of the reference space's origin.
    pub origin: DVec3,
    /// Radians about +y, counter-clockwise seen from above (east towards north).
    pub yaw: f64,
    /// Render metres per reference metre: 1 in VR, large for a tabletop model.
    pub scale: f64,
}

impl Default for Placement {
    fn default() -> Self {
        Placement::identity()
    }
}

impl Placement {
    /// The reference space on the render frame's origin, unturned, life size.
    pub fn identity() -> Placement {
        Placement {
            origin: DVec3::ZERO,
            yaw: 0.0,
            scale: 1.0,
        }
    }

    /// The rotation R(yaw) about +y.
    pub fn rotation(&self) -> DQuat {
        DQuat::from_rotation_y(self.yaw)
    }

    /// A reference-space point in the render frame: `origin + R(yaw) * (scale * p)`.
    pub fn point_to_render(&self, p: DVec3) -> DVec3 {
        self.origin + self.rotation() * (self.scale * p)
    }

    /// A render-frame point in the reference space (the inverse of
    /// [`Placement::point_to_render`]; the scale must not be 0).
    pub fn point_from_render(&self, p: DVec3) -> DVec3 {
        (self.rotation().inverse() * (p - self.origin)) / self.scale
    }

    /// A reference-space direction in the render frame (rotated, not scaled
    /// or moved).
    pub fn direction_to_render(&self, d: DVec3) -> DVec3 {
        self.rotation() * d
    }

    /// A reference-space pose in the render frame: its position and its
    /// orientation `R(yaw) * q` (a camera or controller transform's).
    pub fn to_render(&self, pose: &XrPose) -> (DVec3, DQuat) {
        (self.point_to_render(pose.position), self.rotation() * pose.orientation)
    }

    /// Life size, the reference origin on `floor` and the reference -z axis
    /// along the horizontal part of `forward` (along render -z, north, when
    /// `forward` is vertical or zero): where a VR session starts.
    pub fn standing_at(floor: DVec3, forward: DVec3) -> Placement {
        let horizontal = DVec3::new(forward.x, 0.0, forward.z);
        // R(yaw) * (0, 0, -1) = (-sin yaw, 0, -cos yaw).
        let yaw = if horizontal.length_squared() > 1e-18 && horizontal.is_finite() {
            (-horizontal.x).atan2(-horizontal.z)
        } else {
            0.0
        };
        Placement {
            origin: floor,
            yaw,
            scale: 1.0,
        }
    }

    /// Turns the user by `angle` radians (counter-clockwise seen from above)
    /// about the vertical through the head (`head`, reference space): the
    /// head stays where it is in the render frame, the yaw grows by `angle`.
    pub fn snap_turn(&self, head: DVec3, angle: f64) -> Placement {
        let head_render = self.point_to_render(head);
        let yaw = self.yaw + angle;
        let turned = Placement { yaw, ..*self };
        Placement {
            origin: head_render - turned.rotation() * (self.scale * head),
            ..turned
        }
    }

    /// Moves the user so that the head (`head`, reference space) is over
    /// `floor` (render frame) horizontally and the reference floor (y = 0)
    /// lies at `floor.y`: the head keeps its height over the floor. Yaw and
    /// scale are kept.
    pub fn teleport(&self, head: DVec3, floor: DVec3) -> Placement {
        let offset = self.rotation() * (self.scale * head);
        Placement {
            origin: DVec3::new(floor.x - offset.x, floor.y, floor.z - offset.z),
            ..*self
        }
    }

    /// AR: the model shown at `model_scale` reference metres per render metre
    /// (0.001 for a 1:1000 tabletop model), turned by `yaw`, with the render
    /// point `model_point` appearing at `anchor` (reference space, e.g. a hit
    /// test on a table). A `model_scale` that is not positive and finite is
    /// taken as 1 (life size).
    pub fn anchored(anchor: DVec3, model_point: DVec3, yaw: f64, model_scale: f64) -> Placement {
        let model_scale = if model_scale.is_finite() && model_scale > 0.0 {
            model_scale
        } else {
            1.0
        };
        let scale = 1.0 / model_scale;
        let rotation = DQuat::from_rotation_y(yaw);
        Placement {
            origin: model_point - rotation * (scale * anchor),
            yaw,
            scale,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_6};

    fn assert_close(a: DVec3, b: DVec3, tolerance: f64) {
        assert!(a.distance(b) <= tolerance, "{a} is not {b} (within {tolerance})");
    }

    fn sample() -> Placement {
        Placement {
            origin: DVec3::new(120.0, 14.0, -35.0),
            yaw: 0.7,
            scale: 2.5,
        }
    }

    #[test]
    fn points_round_trip() {
        let p = sample();
        for q in [DVec3::ZERO, DVec3::new(1.0, 1.6, -2.0), DVec3::new(-300.0, 0.1, 45.0)] {
            assert_close(p.point_from_render(p.point_to_render(q)), q, 1e-9);
            assert_close(p.point_to_render(p.point_from_render(q)), q, 1e-9);
        }
        assert_close(
            Placement::identity().point_to_render(DVec3::new(1.0, 2.0, 3.0)),
            DVec3::new(1.0, 2.0, 3.0),
            0.0,
        );
    }

    #[test]
    fn yaw_is_counter_clockwise_from_above() {
        // A quarter turn takes the reference x axis (east) to north (render -z).
        let p = Placement {
            yaw: FRAC_PI_2,
            ..Placement::identity()
        };
        assert_close(p.point_to_render(DVec3::X), DVec3::NEG_Z, 1e-12);
        let pose = XrPose {
            position: DVec3::ZERO,
            orientation: DQuat::IDENTITY,
        };
        let (_, q) = p.to_render(&pose);
        // Looking down reference -z (north) after a quarter turn left: west.
        assert_close(q * DVec3::NEG_Z, DVec3::NEG_X, 1e-12);
    }

    #[test]
    fn to_render_composes_the_yaw() {
        let p = sample();
        let pose = XrPose {
            position: DVec3::new(0.3, 1.7, -0.2),
            orientation: DQuat::from_rotation_x(-0.4),
        };
        let (position, orientation) = p.to_render(&pose);
        assert_close(position, p.point_to_render(pose.position), 1e-12);
        // The pose's forward, carried through points, equals the rotated forward.
        let tip = p.point_to_render(pose.position + pose.orientation * DVec3::NEG_Z);
        assert_close((tip - position) / p.scale, orientation * DVec3::NEG_Z, 1e-9);
    }

    #[test]
    fn standing_at_looks_along_forward() {
        let floor = DVec3::new(5.0, 2.0, 7.0);
        for forward in [DVec3::new(1.0, -0.3, 0.0), DVec3::new(-2.0, 5.0, -2.0), DVec3::new(0.0, 0.0, 3.0)] {
            let p = Placement::standing_at(floor, forward);
            assert_eq!(p.scale, 1.0);
            assert_close(p.point_to_render(DVec3::ZERO), floor, 1e-12);
            let ahead = p.point_to_render(DVec3::NEG_Z) - floor;
            assert_close(ahead, DVec3::new(forward.x, 0.0, forward.z).normalize(), 1e-12);
        }
        let p = Placement::standing_at(floor, DVec3::Y);
        assert_close(p.point_to_render(DVec3::NEG_Z) - floor, DVec3::NEG_Z, 1e-12);
    }

    #[test]
    fn snap_turns_keep_the_head_and_come_back() {
        let start = sample();
        let head = DVec3::new(0.4, 1.65, -0.8);
        let head_render = start.point_to_render(head);
        let mut p = start;
        for _ in 0..12 {
            p = p.snap_turn(head, FRAC_PI_6);
            assert_close(p.point_to_render(head), head_render, 1e-9);
        }
        assert_relative_eq!(p.yaw, start.yaw + 2.0 * std::f64::consts::PI, epsilon = 1e-12);
        assert_close(p.origin, start.origin, 1e-9);
        assert_close(
            p.point_to_render(DVec3::new(3.0, 0.0, 1.0)),
            start.point_to_render(DVec3::new(3.0, 0.0, 1.0)),
            1e-9,
        );
    }

    #[test]
    fn teleport_puts_the_head_over_the_floor() {
        let p = Placement { scale: 1.0, ..sample() };
        let head = DVec3::new(0.4, 1.65, -0.8);
        let floor = DVec3::new(-40.0, 9.5, 12.0);
        let before = p.point_to_render(head).y - p.point_to_render(DVec3::new(head.x, 0.0, head.z)).y;
        let moved = p.teleport(head, floor);
        let after = moved.point_to_render(head);
        assert_relative_eq!(after.x, floor.x, epsilon = 1e-9);
        assert_relative_eq!(after.z, floor.z, epsilon = 1e-9);
        assert_relative_eq!(after.y - floor.y, before, epsilon = 1e-9);
        assert_relative_eq!(moved.point_to_render(DVec3::new(2.0, 0.0, 3.0)).y, floor.y, epsilon = 1e-9);
        assert_eq!((moved.yaw, moved.scale), (p.yaw, p.scale));
    }

    #[test]
    fn anchored_shows_the_model_point_at_the_anchor() {
        let anchor = DVec3::new(0.2, 0.75, -0.6);
        let model_point = DVec3::new(1500.0, 12.0, -800.0);
        let p = Placement::anchored(anchor, model_point, 0.3, 0.001);
        assert_relative_eq!(p.scale, 1000.0, epsilon = 1e-9);
        assert_close(p.point_to_render(anchor), model_point, 1e-9);
        assert_close(p.point_from_render(model_point), anchor, 1e-12);
        // 100 render metres of the model are 10 cm on the table.
        let other = p.point_from_render(model_point + DVec3::new(100.0, 0.0, 0.0));
        assert_relative_eq!(other.distance(anchor), 0.1, epsilon = 1e-12);
        assert_eq!(Placement::anchored(anchor, model_point, 0.0, 0.0).scale, 1.0);
    }
}
