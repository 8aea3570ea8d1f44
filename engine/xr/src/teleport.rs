//! The teleport pointer: a ballistic arc from the controller and where it
//! may land. The scene is asked through closures (a ray cast and a room
//! check) so the maths is tested without an engine.

use glam::DVec3;

/// The points of a ballistic arc in the render frame (y up): launched from
/// `start` along `direction` (normalised here; a zero direction gives a
/// straight fall) at `speed` m/s, pulled down by `gravity` m/s², sampled every
/// `step_s` seconds. The first point is `start`; `max_points` points at most
/// (none when it is 0).
pub fn parabola(start: DVec3, direction: DVec3, speed: f64, gravity: f64, step_s: f64, max_points: usize) -> Vec<DVec3> {
    let velocity = direction.normalize_or_zero() * speed;
    (0..max_points)
        .map(|i| {
            let t = i as f64 * step_s;
            start + velocity * t - DVec3::new(0.0, 0.5 * gravity * t * t, 0.0)
        })
        .collect()
}

/// Where a teleport lands: the surface point and its unit normal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Landing {
    pub point: DVec3,
    pub normal: DVec3,
}

/// Why a teleport arc cannot land.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TeleportRefusal {
    /// The arc met nothing.
    NoGround,
    /// The arc met a surface steeper than allowed (a wall, a roof's slope).
    TooSteep { slope_deg: f64 },
    /// The arc met ground with no room to stand (under a low roof, in a tree).
    NoRoom,
}

impl TeleportRefusal {
    /// What to tell the user, in plain English.
    pub fn message(&self) -> String {
        match self {
            TeleportRefusal::NoGround => "No ground to land on there.".to_string(),
            TeleportRefusal::TooSteep { slope_deg } => format!("Too steep to stand on ({slope_deg:.0}° slope)."),
            TeleportRefusal::NoRoom => "No room to stand there.".to_string(),
        }
    }
}

/// Walks the arc segment by segment, casting a ray along each
/// (`cast(origin, unit direction, max distance) -> (distance, unit normal)`).
/// The first surface hit ends the walk: one steeper than `max_slope_deg`
/// (the angle between its normal and +y; a wall is 90°, a ceiling 180°)
/// refuses with [`TeleportRefusal::TooSteep`], one where `has_room(point)` is
/// false with [`TeleportRefusal::NoRoom`]; otherwise the teleport lands there.
/// No hit along the whole arc is [`TeleportRefusal::NoGround`]. A hit with a
/// non-finite or out-of-segment distance, or a zero normal, is ignored.
pub fn find_landing(
    arc: &[DVec3],
    cast: &dyn Fn(DVec3, DVec3, f64) -> Option<(f64, DVec3)>,
    max_slope_deg: f64,
    has_room: &dyn Fn(DVec3) -> bool,
) -> Result<Landing, TeleportRefusal> {
    for segment in arc.windows(2) {
        let [a, b] = [segment[0], segment[1]];
        let along = b - a;
        let length = along.length();
        if !(length > 0.0 && length.is_finite()) {
            continue;
        }
        let direction = along / length;
        let Some((distance, normal)) = cast(a, direction, length) else {
            continue;
        };
        let normal = normal.normalize_or_zero();
        if !(distance.is_finite() && (0.0..=length * (1.0 + 1e-9)).contains(&distance)) || normal == DVec3::ZERO {
            continue;
        }
        let point = a + direction * distance;
        let slope_deg = normal.y.clamp(-1.0, 1.0).acos().to_degrees();
        if slope_deg > max_slope_deg {
            return Err(TeleportRefusal::TooSteep { slope_deg });
        }
        if !has_room(point) {
            return Err(TeleportRefusal::NoRoom);
        }
        return Ok(Landing { point, normal });
    }
    Err(TeleportRefusal::NoGround)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const G: f64 = 9.81;

    /// The ground plane y = 0, seen from above.
    fn floor(origin: DVec3, direction: DVec3, max: f64) -> Option<(f64, DVec3)> {
        if origin.y < 0.0 || direction.y >= 0.0 {
            return None;
        }
        let d = origin.y / -direction.y;
        (d <= max).then_some((d, DVec3::Y))
    }

    /// The plane x = wall_x facing -x, then the floor; the nearer hit.
    fn wall_then_floor(wall_x: f64) -> impl Fn(DVec3, DVec3, f64) -> Option<(f64, DVec3)> {
        move |origin: DVec3, direction: DVec3, max: f64| {
            let wall = (direction.x > 0.0 && origin.x <= wall_x)
                .then(|| ((wall_x - origin.x) / direction.x, DVec3::NEG_X))
                .filter(|(d, _)| *d <= max);
            match (wall, floor(origin, direction, max)) {
                (Some(w), Some(f)) => Some(if w.0 < f.0 { w } else { f }),
                (w, f) => w.or(f),
            }
        }
    }

    #[test]
    fn the_arc_starts_at_start_and_is_a_parabola() {
        let start = DVec3::new(1.0, 1.2, -3.0);
        let arc = parabola(start, DVec3::new(0.0, 1.0, -1.0) * 5.0, 8.0, G, 0.05, 40);
        assert_eq!(arc.len(), 40);
        assert_eq!(arc[0], start);
        let t = 0.05 * 10.0;
        let v = 8.0 / 2f64.sqrt();
        assert_relative_eq!(arc[10].z, start.z - v * t, epsilon = 1e-12);
        assert_relative_eq!(arc[10].y, start.y + v * t - 0.5 * G * t * t, epsilon = 1e-12);
        assert!(parabola(start, DVec3::Z, 1.0, G, 0.1, 0).is_empty());
    }

    #[test]
    fn flat_floor_landing_matches_the_projectile_range() {
        let (y0, speed, step) = (1.4, 7.0, 0.02);
        for angle_deg in [10.0f64, 30.0, 45.0, 60.0] {
            let theta = angle_deg.to_radians();
            let direction = DVec3::new(theta.cos(), theta.sin(), 0.0);
            let arc = parabola(DVec3::new(0.0, y0, 0.0), direction, speed, G, step, 400);
            let landing = find_landing(&arc, &floor, 30.0, &|_| true).unwrap();
            // y0 + v sinθ t - g t²/2 = 0.
            let (vx, vy) = (speed * theta.cos(), speed * theta.sin());
            let t = (vy + (vy * vy + 2.0 * G * y0).sqrt()) / G;
            let expected = DVec3::new(vx * t, 0.0, 0.0);
            // The longest chord is the last one, at the impact speed.
            let chord = (speed * speed + 2.0 * G * y0).sqrt() * step;
            assert!(
                landing.point.distance(expected) <= chord,
                "{angle_deg}°: {} vs {expected}",
                landing.point
            );
            assert_relative_eq!(landing.point.y, 0.0, epsilon = 1e-9);
            assert_eq!(landing.normal, DVec3::Y);
        }
    }

    #[test]
    fn a_wall_before_the_floor_is_too_steep() {
        let arc = parabola(DVec3::new(0.0, 1.4, 0.0), DVec3::new(1.0, 0.5, 0.0), 7.0, G, 0.02, 400);
        let refusal = find_landing(&arc, &wall_then_floor(2.0), 30.0, &|_| true).unwrap_err();
        match refusal {
            TeleportRefusal::TooSteep { slope_deg } => assert_relative_eq!(slope_deg, 90.0, epsilon = 1e-9),
            other => panic!("expected TooSteep, got {other:?}"),
        }
        assert!(refusal.message().contains("90°"), "{}", refusal.message());
        // The same wall beyond the landing point changes nothing.
        assert!(find_landing(&arc, &wall_then_floor(50.0), 30.0, &|_| true).is_ok());
    }

    #[test]
    fn no_room_and_no_ground_are_refused() {
        let arc = parabola(DVec3::new(0.0, 1.4, 0.0), DVec3::new(0.0, 0.3, -1.0), 6.0, G, 0.02, 400);
        let refusal = find_landing(&arc, &floor, 30.0, &|point: DVec3| point.z > -2.0).unwrap_err();
        assert_eq!(refusal, TeleportRefusal::NoRoom);
        assert!(!refusal.message().is_empty());
        let short = &arc[..5];
        assert_eq!(find_landing(short, &floor, 30.0, &|_| true), Err(TeleportRefusal::NoGround));
        assert_eq!(find_landing(&[], &floor, 30.0, &|_| true), Err(TeleportRefusal::NoGround));
        assert!(TeleportRefusal::NoGround.message().contains("ground"));
    }
}
