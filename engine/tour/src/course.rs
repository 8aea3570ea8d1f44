//! The camera's course through a tour: one curve per stop, from where the
//! camera rests (or starts) through the stop's waypoints to its view, timed so
//! that velocity is continuous everywhere — zero where the camera rests,
//! smoothly varying through waypoints. The player used to chain independent
//! eased flights whose arcs started and ended at speed; this replaces them.
//!
//! Keys are cubic Hermite with weighted finite-difference tangents (a
//! non-uniform Catmull-Rom spline) on eye, target and field of view together.

use sontinh_scene::{Bookmark, StopCamera, Tour, View};

/// What the course needs to know of one stop.
#[derive(Clone, Debug, PartialEq)]
pub struct StopPlan {
    /// Where the camera goes: one view, or a path's waypoints (it rests at the last).
    pub waypoints: Vec<View>,
    /// A path's flight time from its first waypoint to its last.
    pub path_seconds: Option<f64>,
    /// How long the stop waits after arriving.
    pub dwell: f64,
    /// How long the stop's narration lasts, from the stop's start (0 without).
    pub narration: f64,
}

/// The stops of a tour as plans; `narration(i)` is stop i's narration length.
pub fn plans(tour: &Tour, bookmarks: &[Bookmark], narration: impl Fn(usize) -> f64) -> Vec<StopPlan> {
    tour.stops
        .iter()
        .enumerate()
        .filter_map(|(i, stop)| {
            let (waypoints, path_seconds) = match &stop.camera {
                StopCamera::Bookmark(b) => (vec![View::from(bookmarks.get(*b)?)], None),
                StopCamera::Pose(v) => (vec![*v], None),
                StopCamera::Path { waypoints, seconds } => (waypoints.clone(), Some(*seconds)),
            };
            Some(StopPlan {
                waypoints,
                path_seconds,
                dwell: stop.seconds,
                narration: narration(i),
            })
        })
        .collect()
}

/// How long a flight between two views takes: longer for longer flights.
pub fn flight_seconds(from: &View, to: &View) -> f64 {
    let d = distance(from.eye, to.eye) + distance(from.target, to.target);
    if d < 0.01 && (from.fov_deg - to.fov_deg).abs() < 0.01 {
        return 0.0;
    }
    (3.0 + d / 400.0).min(12.0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Flying to the stop (or along its path).
    Travel,
    /// At rest at the stop's view.
    Dwell,
}

/// Where the course is at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// The stop (index into the plans).
    pub stop: usize,
    pub phase: Phase,
    /// Seconds since the stop began (its narration's clock).
    pub since_start: f64,
    pub view: View,
}

#[derive(Clone, Debug)]
struct Key {
    t: f64,
    /// eye (3), target (3), field of view (1).
    value: [f64; 7],
    slope: [f64; 7],
}

#[derive(Clone, Debug)]
struct Span {
    start: f64,
    arrive: f64,
    end: f64,
    /// Times relative to `start`.
    keys: Vec<Key>,
}

/// A tour's whole course from a starting view.
#[derive(Clone, Debug)]
pub struct Course {
    spans: Vec<Span>,
}

impl Course {
    /// The course from `start` through `stops`; with `reduced_motion` the
    /// camera cuts to each stop instead of flying.
    pub fn new(start: View, stops: &[StopPlan], reduced_motion: bool) -> Course {
        let mut spans = Vec::with_capacity(stops.len());
        let mut rest = start;
        let mut clock = 0.0;
        for stop in stops {
            let Some(last) = stop.waypoints.last().copied() else { continue };
            let keys = if reduced_motion {
                vec![key(0.0, &last)]
            } else {
                travel_keys(&rest, stop)
            };
            let travel = keys.last().map_or(0.0, |k| k.t);
            let arrive = clock + travel;
            let end = (arrive + stop.dwell).max(clock + stop.narration);
            spans.push(Span {
                start: clock,
                arrive,
                end,
                keys,
            });
            clock = end;
            rest = last;
        }
        Course { spans }
    }

    pub fn stops(&self) -> usize {
        self.spans.len()
    }

    pub fn duration(&self) -> f64 {
        self.spans.last().map_or(0.0, |s| s.end)
    }

    pub fn stop_start(&self, stop: usize) -> Option<f64> {
        self.spans.get(stop).map(|s| s.start)
    }

    pub fn arrival(&self, stop: usize) -> Option<f64> {
        self.spans.get(stop).map(|s| s.arrive)
    }

    pub fn stop_end(&self, stop: usize) -> Option<f64> {
        self.spans.get(stop).map(|s| s.end)
    }

    /// The stop under way at `t` (the last one after the end).
    pub fn stop_at(&self, t: f64) -> usize {
        let after = self.spans.partition_point(|s| s.start <= t);
        after.saturating_sub(1).min(self.spans.len().saturating_sub(1))
    }

    /// The course at `t` seconds; `None` for a course with no stops.
    pub fn sample(&self, t: f64) -> Option<Sample> {
        let stop = self.stop_at(t);
        let span = self.spans.get(stop)?;
        let local = (t - span.start).max(0.0);
        let value = evaluate(&span.keys, local);
        Some(Sample {
            stop,
            phase: if t < span.arrive { Phase::Travel } else { Phase::Dwell },
            since_start: local,
            view: View {
                eye: [value[0], value[1], value[2]],
                target: [value[3], value[4], value[5]],
                fov_deg: value[6],
            },
        })
    }
}

fn key(t: f64, v: &View) -> Key {
    Key {
        t,
        value: [v.eye[0], v.eye[1], v.eye[2], v.target[0], v.target[1], v.target[2], v.fov_deg],
        slope: [0.0; 7],
    }
}

/// Keys from the resting view through the stop's waypoints, with tangents:
/// zero at both ends (the camera starts from and comes to rest), weighted
/// finite differences inside (velocity continuous through waypoints).
fn travel_keys(rest: &View, stop: &StopPlan) -> Vec<Key> {
    let mut keys = vec![key(0.0, rest)];
    let first = &stop.waypoints[0];
    let hop = flight_seconds(rest, first);
    if hop > 0.0 {
        // A long hop arcs up a little so the ground passes below, not beside.
        let d = distance(rest.eye, first.eye);
        if d > 200.0 {
            let mut mid = key(hop / 2.0, rest);
            let far = key(0.0, first);
            for (m, (a, b)) in mid.value.iter_mut().zip(keys[0].value.iter().zip(&far.value)) {
                *m = (a + b) / 2.0;
            }
            mid.value[2] += 0.12 * d;
            keys.push(mid);
        }
        keys.push(key(hop, first));
    }
    if let Some(seconds) = stop.path_seconds {
        // Waypoints timed by how far the eye and target move: an even pace.
        let lengths: Vec<f64> = stop
            .waypoints
            .windows(2)
            .map(|w| distance(w[0].eye, w[1].eye) + distance(w[0].target, w[1].target) + 1e-6)
            .collect();
        let total: f64 = lengths.iter().sum();
        let mut t = keys.last().map_or(0.0, |k| k.t);
        for (w, len) in stop.waypoints[1..].iter().zip(&lengths) {
            t += seconds * len / total;
            keys.push(key(t, w));
        }
    }
    for i in 1..keys.len().saturating_sub(1) {
        let (a, b, c) = (&keys[i - 1], &keys[i], &keys[i + 1]);
        let (h0, h1) = (b.t - a.t, c.t - b.t);
        let mut slope = [0.0; 7];
        for (j, s) in slope.iter_mut().enumerate() {
            let d0 = (b.value[j] - a.value[j]) / h0;
            let d1 = (c.value[j] - b.value[j]) / h1;
            *s = (d0 * h1 + d1 * h0) / (h0 + h1);
        }
        keys[i].slope = slope;
    }
    keys
}

fn evaluate(keys: &[Key], t: f64) -> [f64; 7] {
    let Some(last) = keys.last() else { return [0.0; 7] };
    if t >= last.t {
        return last.value;
    }
    let i = keys.partition_point(|k| k.t <= t).max(1) - 1;
    let (a, b) = (&keys[i], &keys[i + 1]);
    let h = b.t - a.t;
    let s = ((t - a.t) / h).clamp(0.0, 1.0);
    let (s2, s3) = (s * s, s * s * s);
    let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
    let h10 = s3 - 2.0 * s2 + s;
    let h01 = -2.0 * s3 + 3.0 * s2;
    let h11 = s3 - s2;
    std::array::from_fn(|j| h00 * a.value[j] + h10 * h * a.slope[j] + h01 * b.value[j] + h11 * h * b.slope[j])
}

pub(crate) fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The largest change of velocity from one frame to the next, in m/s, of
/// positions sampled every `dt` seconds: how hard the worst jolt is.
pub fn max_velocity_jump(positions: &[[f64; 3]], dt: f64) -> f64 {
    let velocity: Vec<[f64; 3]> = positions
        .windows(2)
        .map(|w| [(w[1][0] - w[0][0]) / dt, (w[1][1] - w[0][1]) / dt, (w[1][2] - w[0][2]) / dt])
        .collect();
    velocity.windows(2).map(|v| distance(v[0], v[1])).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn view(eye: [f64; 3], target: [f64; 3]) -> View {
        View {
            eye,
            target,
            fov_deg: 45.0,
        }
    }

    fn one(v: View, dwell: f64) -> StopPlan {
        StopPlan {
            waypoints: vec![v],
            path_seconds: None,
            dwell,
            narration: 0.0,
        }
    }

    fn eyes(course: &Course, dt: f64) -> Vec<[f64; 3]> {
        let n = (course.duration() / dt).ceil() as usize;
        (0..=n).map(|i| course.sample(i as f64 * dt).unwrap().view.eye).collect()
    }

    #[test]
    fn each_stop_arrives_exactly_at_its_view_and_rests_there() {
        let a = view([0.0, -800.0, 400.0], [0.0, 0.0, 0.0]);
        let b = view([40.0, -380.0, 28.0], [0.0, -250.0, 8.0]);
        let c = View {
            fov_deg: 30.0,
            ..view([-980.0, -600.0, 160.0], [-420.0, 80.0, 0.0])
        };
        let course = Course::new(a, &[one(b, 5.0), one(c, 4.0)], false);
        for (i, v) in [b, c].iter().enumerate() {
            let arrive = course.arrival(i).unwrap();
            for t in [arrive, arrive + 1.0, course.stop_end(i).unwrap() - 1e-9] {
                let s = course.sample(t).unwrap();
                assert_eq!((s.stop, s.phase), (i, Phase::Dwell));
                assert_eq!(s.view, *v, "stop {i} at {t}");
            }
        }
        // It starts where the camera was.
        assert_eq!(course.sample(0.0).unwrap().view, a);
        assert_abs_diff_eq!(course.stop_end(0).unwrap() - course.arrival(0).unwrap(), 5.0, epsilon = 1e-12);
        // The flight's length is flight_seconds: 3 s + (eye + target distance) / 400 m/s.
        let d = distance(a.eye, b.eye) + distance(a.target, b.target);
        assert_abs_diff_eq!(course.arrival(0).unwrap(), 3.0 + d / 400.0, epsilon = 1e-9);
    }

    #[test]
    fn velocity_is_continuous_across_stops_and_through_waypoints() {
        let a = view([620.0, -820.0, 430.0], [-160.0, 40.0, 0.0]);
        let b = view([40.0, -380.0, 28.0], [0.0, -250.0, 8.0]);
        let walls = StopPlan {
            waypoints: vec![
                view([-300.0, -300.0, 40.0], [0.0, 0.0, 5.0]),
                view([300.0, -300.0, 40.0], [0.0, 0.0, 5.0]),
                view([300.0, 300.0, 40.0], [0.0, 0.0, 5.0]),
            ],
            path_seconds: Some(20.0),
            dwell: 3.0,
            narration: 0.0,
        };
        let course = Course::new(a, &[one(b, 2.0), walls, one(a, 2.0)], false);
        // With continuous velocity, a frame's change of velocity is
        // acceleration × dt: four times shorter frames, a quarter of the
        // change. A jolt (a flight starting at speed) stays the same size
        // however short the frames (see the next test).
        let at_60 = max_velocity_jump(&eyes(&course, 1.0 / 60.0), 1.0 / 60.0);
        let at_240 = max_velocity_jump(&eyes(&course, 1.0 / 240.0), 1.0 / 240.0);
        assert!(
            at_60 / at_240 > 3.5,
            "velocity changes {at_60} m/s at 60 Hz, {at_240} m/s at 240 Hz"
        );
        // And it does pass through every waypoint of the path.
        let start = course.arrival(0).unwrap() + 2.0;
        let hop = flight_seconds(&b, &view([-300.0, -300.0, 40.0], [0.0, 0.0, 5.0]));
        assert_eq!(course.sample(start + hop).unwrap().view.eye, [-300.0, -300.0, 40.0]);
    }

    #[test]
    fn a_flight_that_starts_at_speed_is_what_the_jolt_measure_catches() {
        // Independent reference: x(t) = 10 t for 1 s after resting: the
        // velocity jumps from 0 to 10 m/s in one frame.
        let dt = 0.01;
        let positions: Vec<[f64; 3]> = (0..200)
            .map(|i| {
                let t = i as f64 * dt;
                [if t < 1.0 { 0.0 } else { 10.0 * (t - 1.0) }, 0.0, 0.0]
            })
            .collect();
        assert_abs_diff_eq!(max_velocity_jump(&positions, dt), 10.0, epsilon = 1e-9);
        let dt = 0.0025;
        let positions: Vec<[f64; 3]> = (0..800)
            .map(|i| {
                let t = i as f64 * dt;
                [if t < 1.0 { 0.0 } else { 10.0 * (t - 1.0) }, 0.0, 0.0]
            })
            .collect();
        assert_abs_diff_eq!(max_velocity_jump(&positions, dt), 10.0, epsilon = 1e-6);
    }

    #[test]
    fn reduced_motion_cuts_to_each_stop() {
        let a = view([0.0, -800.0, 400.0], [0.0, 0.0, 0.0]);
        let b = view([40.0, -380.0, 28.0], [0.0, -250.0, 8.0]);
        let course = Course::new(a, &[one(b, 5.0)], true);
        assert_eq!(course.arrival(0), Some(0.0));
        assert_eq!(course.sample(0.0).unwrap().view, b);
        assert_eq!(course.duration(), 5.0);
    }

    #[test]
    fn narration_longer_than_the_wait_holds_the_stop() {
        let a = view([0.0, -800.0, 400.0], [0.0, 0.0, 0.0]);
        let b = view([0.0, -700.0, 400.0], [0.0, 0.0, 0.0]);
        let mut stop = one(b, 2.0);
        stop.narration = 30.0;
        let course = Course::new(a, &[stop], false);
        assert_eq!(course.stop_end(0), Some(30.0));
        assert_eq!(course.stop_at(29.9), 0);
    }
}
