//! Navigation maths, free of systems: Bevy world space, y up, metres.

use bevy::math::{Vec2, Vec3};
use bevy::prelude::Component;

pub const DEFAULT_FOV: f32 = std::f32::consts::FRAC_PI_4;
const MIN_PITCH: f32 = 0.02;
const MAX_PITCH: f32 = 1.55;
const MIN_DISTANCE: f32 = 2.0;
const MAX_DISTANCE: f32 = 50_000.0;
/// Eye height above the ground when walking.
pub const EYE_HEIGHT: f32 = 1.7;
const ROTATE_RADIANS_PER_PIXEL: f32 = 0.005;

/// Where the camera is and what it looks at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    pub eye: Vec3,
    pub target: Vec3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NavigationMode {
    #[default]
    Orbit,
    Walk,
}

/// Orbiting a focus point: yaw about +y (0 looks towards −z, i.e. north in
/// the twin's frame), pitch above the horizon, distance from the focus.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrbitState {
    pub focus: Vec3,
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
}

impl OrbitState {
    pub fn from_pose(pose: Pose) -> Self {
        let offset = pose.eye - pose.target;
        let distance = offset.length().max(MIN_DISTANCE);
        let pitch = (offset.y / distance).clamp(-1.0, 1.0).asin();
        let yaw = offset.x.atan2(offset.z);
        Self {
            focus: pose.target,
            yaw,
            pitch,
            distance,
        }
    }

    pub fn pose(&self) -> Pose {
        let (sy, cy) = self.yaw.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        Pose {
            eye: self.focus + self.distance * Vec3::new(cp * sy, sp, cp * cy),
            target: self.focus,
        }
    }

    /// Dragging by `delta` pixels turns around the focus.
    pub fn rotate(&mut self, delta: Vec2) {
        self.yaw -= delta.x * ROTATE_RADIANS_PER_PIXEL;
        self.pitch = (self.pitch + delta.y * ROTATE_RADIANS_PER_PIXEL).clamp(MIN_PITCH, MAX_PITCH);
    }

    /// Dragging by `delta` pixels moves the focus over the ground so that the
    /// point under the pointer follows it.
    pub fn pan(&mut self, delta: Vec2, viewport_height: f32, fov: f32) {
        let metres_per_pixel = 2.0 * self.distance * (fov / 2.0).tan() / viewport_height.max(1.0);
        let (sy, cy) = self.yaw.sin_cos();
        let right = Vec3::new(cy, 0.0, -sy);
        let forward = Vec3::new(-sy, 0.0, -cy);
        self.focus += (-delta.x * right + delta.y * forward) * metres_per_pixel;
    }

    /// Positive `lines` zoom in, exponentially so that each notch feels the same.
    pub fn zoom(&mut self, lines: f32) {
        self.distance = (self.distance * (-lines * 0.15).exp()).clamp(MIN_DISTANCE, MAX_DISTANCE);
    }
}

/// Walking: a position (the eye) and a heading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WalkState {
    pub position: Vec3,
    pub yaw: f32,
    /// Looking up is positive.
    pub pitch: f32,
    /// Downward speed while falling down a drop, m/s.
    pub fall_speed: f32,
    /// Horizontal move asked for since the walk last moved (input adds to
    /// it, the walking system moves the eye against the scene and clears it).
    pub pending: Vec3,
    /// Whether the walker has been set on the ground since walking began.
    pub placed: bool,
}

impl WalkState {
    pub fn from_pose(pose: Pose) -> Self {
        let dir = (pose.target - pose.eye).normalize_or(Vec3::NEG_Z);
        Self {
            position: pose.eye,
            yaw: (-dir.x).atan2(-dir.z),
            pitch: dir.y.clamp(-1.0, 1.0).asin(),
            fall_speed: 0.0,
            pending: Vec3::ZERO,
            placed: false,
        }
    }

    fn direction(&self) -> Vec3 {
        let (sy, cy) = self.yaw.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        Vec3::new(-cp * sy, sp, -cp * cy)
    }

    pub fn pose(&self) -> Pose {
        Pose {
            eye: self.position,
            target: self.position + self.direction(),
        }
    }

    pub fn look(&mut self, delta: Vec2) {
        self.yaw -= delta.x * ROTATE_RADIANS_PER_PIXEL;
        self.pitch = (self.pitch - delta.y * ROTATE_RADIANS_PER_PIXEL).clamp(-1.4, 1.4);
    }

    /// The level move for input `local` (x right, z forward; a length up
    /// to 1 scales the speed, a joystick's deflection), added to `pending`.
    pub fn step(&mut self, local: Vec2, dt: f32, speed: f32) {
        let (sy, cy) = self.yaw.sin_cos();
        let forward = Vec3::new(-sy, 0.0, -cy);
        let right = Vec3::new(cy, 0.0, -sy);
        let mv = forward * local.y + right * local.x;
        let mv = if mv.length() > 1.0 { mv.normalize() } else { mv };
        if mv.is_finite() {
            self.pending += mv * speed * dt;
        }
    }
}

/// A flight between two poses, eased in and out and lifted in the middle so
/// that long flights pass over the scene instead of through it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flight {
    pub from: Pose,
    pub to: Pose,
    pub from_fov: f32,
    pub to_fov: f32,
    pub elapsed: f32,
    pub duration: f32,
}

impl Flight {
    pub fn new(from: Pose, to: Pose, from_fov: f32, to_fov: f32) -> Self {
        let distance = from.eye.distance(to.eye) + from.target.distance(to.target);
        // Between 1 and 4 seconds, longer for longer flights.
        let duration = (1.0 + distance / 800.0).clamp(1.0, 4.0);
        Self {
            from,
            to,
            from_fov,
            to_fov,
            elapsed: 0.0,
            duration,
        }
    }

    pub fn progress(&self) -> f32 {
        (self.elapsed / self.duration).clamp(0.0, 1.0)
    }

    pub fn is_done(&self) -> bool {
        self.elapsed >= self.duration
    }

    /// Pose and field of view at the current time.
    pub fn sample(&self) -> (Pose, f32) {
        let t = self.progress();
        let s = t * t * (3.0 - 2.0 * t);
        let lift = (std::f32::consts::PI * t).sin() * 0.15 * self.from.eye.distance(self.to.eye);
        let pose = Pose {
            eye: self.from.eye.lerp(self.to.eye, s) + Vec3::Y * lift,
            target: self.from.target.lerp(self.to.target, s),
        };
        (pose, self.from_fov + (self.to_fov - self.from_fov) * s)
    }
}

/// The camera's navigation state; the camera's transform follows it.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct CameraRig {
    pub mode: NavigationMode,
    pub orbit: OrbitState,
    pub walk: WalkState,
    pub flight: Option<Flight>,
}

impl CameraRig {
    pub fn from_pose(pose: Pose) -> Self {
        Self {
            mode: NavigationMode::Orbit,
            orbit: OrbitState::from_pose(pose),
            walk: WalkState::from_pose(pose),
            flight: None,
        }
    }

    pub fn pose(&self) -> Pose {
        if let Some(flight) = &self.flight {
            return flight.sample().0;
        }
        match self.mode {
            NavigationMode::Orbit => self.orbit.pose(),
            NavigationMode::Walk => self.walk.pose(),
        }
    }

    pub fn fly_to(&mut self, to: Pose, from_fov: f32, to_fov: f32) {
        self.flight = Some(Flight::new(self.pose(), to, from_fov, to_fov));
    }

    /// Advances a flight; returns the field of view to use while one runs.
    pub fn advance_flight(&mut self, dt: f32) -> Option<f32> {
        let flight = self.flight.as_mut()?;
        flight.elapsed += dt;
        let fov = flight.sample().1;
        if flight.is_done() {
            let end = flight.to;
            self.flight = None;
            // A bookmark is a view from above: arrive orbiting its target.
            self.mode = NavigationMode::Orbit;
            self.orbit = OrbitState::from_pose(end);
            self.walk = WalkState::from_pose(end);
        }
        Some(fov)
    }

    /// Moves every position the rig holds by `-by`: the world moved under
    /// it (a floating-origin recentring), the view stays the same.
    pub fn shift(&mut self, by: Vec3) {
        self.orbit.focus -= by;
        self.walk.position -= by;
        if let Some(flight) = &mut self.flight {
            for pose in [&mut flight.from, &mut flight.to] {
                pose.eye -= by;
                pose.target -= by;
            }
        }
    }

    pub fn set_mode(&mut self, mode: NavigationMode) {
        if mode == self.mode {
            return;
        }
        let pose = self.pose();
        self.flight = None;
        match mode {
            NavigationMode::Walk => {
                // Step down onto the ground at the focus, facing the same way.
                let mut walk = WalkState::from_pose(pose);
                walk.position = self.orbit.focus + Vec3::Y * EYE_HEIGHT;
                walk.pitch = 0.0;
                walk.fall_speed = 0.0;
                walk.pending = Vec3::ZERO;
                walk.placed = false;
                self.walk = walk;
            }
            NavigationMode::Orbit => {
                // Orbit a point 30 m ahead of the walker.
                let ahead = self.walk.position + WalkState { pitch: 0.0, ..self.walk }.direction() * 30.0;
                self.orbit = OrbitState::from_pose(Pose {
                    eye: self.walk.position + Vec3::Y * 20.0,
                    target: ahead,
                });
            }
        }
        self.mode = mode;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn assert_vec_eq(a: Vec3, b: Vec3) {
        assert!(a.distance(b) < 1e-3, "{a} != {b}");
    }

    #[test]
    fn orbit_round_trips_a_pose() {
        let pose = Pose {
            eye: Vec3::new(620.0, 430.0, 820.0),
            target: Vec3::new(-160.0, 0.0, -40.0),
        };
        let orbit = OrbitState::from_pose(pose);
        assert_vec_eq(orbit.pose().eye, pose.eye);
        assert_vec_eq(orbit.pose().target, pose.target);
    }

    #[test]
    fn rotate_keeps_distance_and_clamps_pitch() {
        let mut orbit = OrbitState::from_pose(Pose {
            eye: Vec3::new(0.0, 100.0, 100.0),
            target: Vec3::ZERO,
        });
        let d = orbit.distance;
        orbit.rotate(Vec2::new(300.0, 0.0));
        assert_abs_diff_eq!(orbit.pose().eye.distance(orbit.focus), d, epsilon = 1e-3);
        orbit.rotate(Vec2::new(0.0, 10_000.0));
        assert_abs_diff_eq!(orbit.pitch, MAX_PITCH);
        orbit.rotate(Vec2::new(0.0, -10_000.0));
        assert_abs_diff_eq!(orbit.pitch, MIN_PITCH);
        assert!(orbit.pose().eye.y > 0.0, "never below the focus");
    }

    #[test]
    fn pan_moves_focus_by_the_dragged_ground_distance() {
        // Looking straight down from 100 m with a 90° field of view, the
        // 1000-pixel-high view spans 200 m: 0.2 m per pixel.
        let mut orbit = OrbitState {
            focus: Vec3::ZERO,
            yaw: 0.0,
            pitch: MAX_PITCH,
            distance: 100.0,
        };
        orbit.pan(Vec2::new(-100.0, 0.0), 1000.0, std::f32::consts::FRAC_PI_2);
        assert_vec_eq(orbit.focus, Vec3::new(20.0, 0.0, 0.0));
        orbit.pan(Vec2::new(0.0, 50.0), 1000.0, std::f32::consts::FRAC_PI_2);
        assert_vec_eq(orbit.focus, Vec3::new(20.0, 0.0, -10.0));
    }

    #[test]
    fn zoom_is_exponential_and_bounded() {
        let mut orbit = OrbitState {
            focus: Vec3::ZERO,
            yaw: 0.0,
            pitch: 0.5,
            distance: 100.0,
        };
        orbit.zoom(1.0);
        let once = orbit.distance;
        orbit.zoom(-1.0);
        assert_abs_diff_eq!(orbit.distance, 100.0, epsilon = 1e-3);
        assert!(once < 100.0);
        orbit.zoom(1000.0);
        assert_eq!(orbit.distance, MIN_DISTANCE);
    }

    #[test]
    fn walking_forward_follows_the_heading_on_the_level() {
        let mut walk = WalkState::from_pose(Pose {
            eye: Vec3::new(0.0, 5.0, 0.0),
            target: Vec3::new(10.0, 0.0, 0.0),
        });
        walk.step(Vec2::Y, 1.0, 4.0);
        assert_vec_eq(walk.pending, Vec3::new(4.0, 0.0, 0.0));
        // Forward and right together: no faster than either.
        walk.step(Vec2::new(1.0, 1.0), 1.0, 4.0);
        assert_vec_eq(walk.pending, Vec3::new(4.0 + 8.0f32.sqrt(), 0.0, 8.0f32.sqrt()));
        // Half a joystick's throw: half the speed.
        walk.pending = Vec3::ZERO;
        walk.step(Vec2::new(0.0, 0.5), 1.0, 4.0);
        assert_vec_eq(walk.pending, Vec3::new(2.0, 0.0, 0.0));
        assert_vec_eq(walk.position, Vec3::new(0.0, 5.0, 0.0));
    }

    #[test]
    fn flight_starts_and_ends_at_its_poses() {
        let from = Pose {
            eye: Vec3::new(0.0, 100.0, 300.0),
            target: Vec3::ZERO,
        };
        let to = Pose {
            eye: Vec3::new(-900.0, 160.0, 600.0),
            target: Vec3::new(-400.0, 0.0, -80.0),
        };
        let mut flight = Flight::new(from, to, 0.8, 0.9);
        assert_vec_eq(flight.sample().0.eye, from.eye);
        flight.elapsed = flight.duration / 2.0;
        let mid = flight.sample().0;
        assert!(mid.eye.y > (from.eye.y + to.eye.y) / 2.0, "lifted mid-flight");
        flight.elapsed = flight.duration;
        assert_vec_eq(flight.sample().0.eye, to.eye);
        assert_abs_diff_eq!(flight.sample().1, 0.9);
    }

    #[test]
    fn switching_to_walk_stands_at_the_focus() {
        let mut rig = CameraRig::from_pose(Pose {
            eye: Vec3::new(0.0, 300.0, 300.0),
            target: Vec3::new(10.0, 4.0, 20.0),
        });
        rig.set_mode(NavigationMode::Walk);
        assert_vec_eq(rig.pose().eye, Vec3::new(10.0, 4.0 + EYE_HEIGHT, 20.0));
        rig.set_mode(NavigationMode::Orbit);
        assert_eq!(rig.mode, NavigationMode::Orbit);
        assert!(rig.pose().eye.y > 20.0);
    }
}
