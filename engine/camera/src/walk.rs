//! Walking as plain functions: a body with an eye at standing height that
//! follows the ground, stops at walls and slides along them, climbs steps
//! and ramps up to a step height and falls down drops. The scene is seen
//! only through a probe (a ray cast), so tests give it geometry of their
//! own and the viewer its meshes and point clouds.

use bevy::math::Vec3;

pub use crate::soup::ProbeHit;

/// The walker's body, metres, seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WalkParams {
    /// The eye above the ground it stands on.
    pub eye_height: f32,
    /// Highest riser climbed without jumping; higher ones stop the walker.
    pub step_height: f32,
    /// Closest the body's centre comes to a wall.
    pub radius: f32,
    /// The top of the head above the eye (low beams stop the walker).
    pub head_above_eye: f32,
    pub gravity: f32,
    pub max_fall_speed: f32,
    /// Longest horizontal move between two ground checks.
    pub max_substep: f32,
    /// Surfaces whose normal has at least this upward part are ground
    /// (climbed as steps and ramps), steeper ones walls: 0.6 is about 53°.
    pub ground_normal_y: f32,
}

/// Standing eye height (1.7 m), step height (0.45 m), body radius (0.3 m).
pub const WALKER: WalkParams = WalkParams {
    eye_height: crate::rig::EYE_HEIGHT,
    step_height: 0.45,
    radius: 0.3,
    head_above_eye: 0.1,
    gravity: 9.81,
    max_fall_speed: 30.0,
    max_substep: 0.2,
    ground_normal_y: 0.6,
};

/// Where a walker's eye is and how fast it falls (0 when standing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WalkBody {
    pub eye: Vec3,
    pub fall_speed: f32,
}

/// Gap between the step height and the lowest wall probe: risers up to
/// `step_height + PROBE_GAP` are climbed, higher ones block.
const PROBE_GAP: f32 = 0.01;

/// The ground under `feet`: the highest surface below `step_height` above them.
fn ground_below(feet: Vec3, params: &WalkParams, probe: &impl Fn(Vec3, Vec3, f32) -> Option<ProbeHit>) -> Option<f32> {
    let lift = params.step_height + PROBE_GAP;
    probe(feet + Vec3::Y * lift, Vec3::NEG_Y, 10_000.0).map(|hit| feet.y + lift - hit.distance)
}

/// Heights above the feet at which walls are probed: from just above the
/// step height to the top of the head.
fn probe_heights(params: &WalkParams) -> [f32; 4] {
    let low = params.step_height + PROBE_GAP;
    let high = params.eye_height + params.head_above_eye;
    [low, low + (high - low) / 3.0, low + 2.0 * (high - low) / 3.0, high]
}

/// Moves the feet horizontally by `mv`, stopping `radius` from walls and
/// sliding along them.
fn slide(feet: Vec3, mv: Vec3, params: &WalkParams, probe: &impl Fn(Vec3, Vec3, f32) -> Option<ProbeHit>) -> Vec3 {
    let mut pos = feet;
    let mut remaining = Vec3::new(mv.x, 0.0, mv.z);
    let wanted = remaining;
    for _ in 0..4 {
        let len = remaining.length();
        if len < 1e-6 || remaining.dot(wanted) <= 0.0 {
            break;
        }
        let dir = remaining / len;
        let side = Vec3::new(-dir.z, 0.0, dir.x);
        // The nearest wall plane across the body's path: (move allowed, its normal).
        let mut block: Option<(f32, Vec3)> = None;
        for h in probe_heights(params) {
            for offset in [0.0, params.radius, -params.radius] {
                let centre = pos + Vec3::Y * h;
                let origin = centre + side * offset;
                let Some(hit) = probe(origin, dir, len + 2.0 * params.radius) else {
                    continue;
                };
                if hit.normal.y >= params.ground_normal_y {
                    // Ground: climbed (or refused) by the step check.
                    continue;
                }
                let n = Vec3::new(hit.normal.x, 0.0, hit.normal.z).normalize_or_zero();
                let facing = -dir.dot(n);
                if facing < 1e-3 {
                    continue;
                }
                // The centre's distance from the wall's plane, less the body's radius,
                // measured along the move.
                let plane_distance = hit.distance * facing + n.dot(centre - origin);
                let allowed = (plane_distance - params.radius) / facing;
                if block.is_none_or(|(a, _)| allowed < a) {
                    block = Some((allowed, n));
                }
            }
        }
        match block {
            Some((allowed, n)) if allowed < len => {
                let t = allowed.max(0.0);
                pos += dir * t;
                let rest = dir * (len - t);
                remaining = rest - n * rest.dot(n);
            }
            _ => {
                pos += remaining;
                break;
            }
        }
    }
    pos
}

/// One frame of walking: `wish` is the horizontal move wanted this frame
/// (metres; its vertical part is ignored), `dt` the frame's seconds. The
/// walker climbs risers up to the step height (and ramps, step by step),
/// stays on the ground going down them, falls down higher drops under
/// gravity, and stays where it is in height where nothing lies below.
pub fn walk_step(
    body: WalkBody,
    wish: Vec3,
    dt: f32,
    params: &WalkParams,
    probe: &impl Fn(Vec3, Vec3, f32) -> Option<ProbeHit>,
) -> WalkBody {
    let mut feet = body.eye - Vec3::Y * params.eye_height;
    let mut fall_speed = body.fall_speed.max(0.0);
    let horizontal = Vec3::new(wish.x, 0.0, wish.z);
    let length = if horizontal.is_finite() { horizontal.length() } else { 0.0 };
    let steps = ((length / params.max_substep.max(0.01)).ceil() as usize).clamp(1, 256);
    let part = if length > 0.0 { horizontal / steps as f32 } else { Vec3::ZERO };
    for _ in 0..steps {
        feet = slide(feet, part, params, probe);
        if let Some(ground) = ground_below(feet, params, probe) {
            let standing = fall_speed == 0.0;
            // Up a riser or a ramp; down one while on the ground.
            if ground > feet.y || (standing && ground >= feet.y - params.step_height) {
                feet.y = ground;
            }
        }
    }
    match ground_below(feet, params, probe) {
        Some(ground) if feet.y - ground > 1e-4 => {
            let dt = dt.clamp(0.0, 0.25);
            fall_speed = (fall_speed + params.gravity * dt).min(params.max_fall_speed);
            feet.y = (feet.y - fall_speed * dt).max(ground);
            if feet.y <= ground {
                fall_speed = 0.0;
            }
        }
        // On the ground, or nothing below at all (off the scene's geometry):
        // the height is kept rather than falling forever.
        _ => fall_speed = 0.0,
    }
    WalkBody {
        eye: feet + Vec3::Y * params.eye_height,
        fall_speed,
    }
}

/// Where a walker entering walk mode at `eye` (a step's height over the
/// orbit's focus) stands: on the surface the focus lies on (within a step
/// of the feet), else on the highest surface over that spot (a bookmark's
/// target is often below the ground, with only foundations under it);
/// `None` where nothing lies there at all.
pub fn place_on_ground(eye: Vec3, params: &WalkParams, probe: &impl Fn(Vec3, Vec3, f32) -> Option<ProbeHit>) -> Option<Vec3> {
    let feet = eye - Vec3::Y * params.eye_height;
    let near = ground_below(feet, params, probe).filter(|g| (g - feet.y).abs() <= params.step_height + PROBE_GAP);
    let ground = near.or_else(|| {
        let high = feet + Vec3::Y * 10_000.0;
        probe(high, Vec3::NEG_Y, 20_000.0).map(|hit| high.y - hit.distance)
    })?;
    Some(Vec3::new(eye.x, ground + params.eye_height, eye.z))
}

/// Points that count as the ground under a walker: those within `radius`
/// (horizontally) of `origin` and at most `max_drop` below it.
pub const POINT_GROUND_RADIUS: f32 = 0.5;
/// Points of one ground surface lie within this band of heights.
const POINT_GROUND_BAND: f32 = 0.2;
/// Fewest points that make a ground (a lone point is noise: a bird, a wire).
const POINT_GROUND_SUPPORT: usize = 3;

/// A ground height from a point cloud's points below `origin`: the highest
/// band of heights that at least three points share, averaged.
pub fn ground_from_points(points: impl IntoIterator<Item = Vec3>, origin: Vec3, radius: f32, max_drop: f32) -> Option<f32> {
    let mut heights: Vec<f32> = points
        .into_iter()
        .filter(|p| {
            let (dx, dz) = (p.x - origin.x, p.z - origin.z);
            dx * dx + dz * dz <= radius * radius && p.y <= origin.y && p.y >= origin.y - max_drop
        })
        .map(|p| p.y)
        .collect();
    heights.sort_by(|a, b| b.total_cmp(a));
    for (i, &top) in heights.iter().enumerate() {
        let band: Vec<f32> = heights[i..].iter().copied().take_while(|&h| h >= top - POINT_GROUND_BAND).collect();
        if band.len() >= POINT_GROUND_SUPPORT {
            return Some(band.iter().sum::<f32>() / band.len() as f32);
        }
    }
    None
}

#[cfg(test)]
mod tests;
