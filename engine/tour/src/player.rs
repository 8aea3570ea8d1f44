//! The tour player's state: where in the tour it is, whether it plays, and
//! what the buttons do. The camera, captions and audio follow from it.

use sontinh_scene::View;

use crate::course::{Course, Sample, StopPlan};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlayerOptions {
    /// Go on to the next stop by itself; otherwise pause at each stop's end.
    pub autoplay: bool,
    /// Cut to each stop instead of flying.
    pub reduced_motion: bool,
}

impl Default for PlayerOptions {
    fn default() -> Self {
        Self {
            autoplay: true,
            reduced_motion: false,
        }
    }
}

/// A tour being played. Skipping rebuilds the course from where the camera
/// is, so that a skip flies from there rather than jumping.
#[derive(Clone, Debug)]
pub struct Player {
    plans: Vec<StopPlan>,
    /// The stop the course starts at.
    base: usize,
    course: Course,
    /// Seconds into the course.
    t: f64,
    pub playing: bool,
    options: PlayerOptions,
}

impl Player {
    /// Starts at the first stop, flying from `from`.
    pub fn new(from: View, plans: Vec<StopPlan>, options: PlayerOptions) -> Player {
        Self::starting_at(from, plans, 0, options)
    }

    /// Opens at `stop` (0-based) as if just arrived there: what a deep link does.
    pub fn opened_at(plans: Vec<StopPlan>, stop: usize, options: PlayerOptions) -> Option<Player> {
        let view = plans.get(stop)?.waypoints.last().copied()?;
        let mut player = Self::starting_at(view, plans, stop, options);
        player.t = player.course.arrival(0).unwrap_or(0.0);
        Some(player)
    }

    fn starting_at(from: View, plans: Vec<StopPlan>, stop: usize, options: PlayerOptions) -> Player {
        let stop = stop.min(plans.len().saturating_sub(1));
        let course = Course::new(from, plans.get(stop..).unwrap_or(&[]), options.reduced_motion);
        Player {
            plans,
            base: stop,
            course,
            t: 0.0,
            playing: true,
            options,
        }
    }

    pub fn options(&self) -> PlayerOptions {
        self.options
    }

    pub fn stops(&self) -> usize {
        self.plans.len()
    }

    /// Where the tour is now; the stop index counts from the tour's first stop.
    pub fn sample(&self) -> Option<Sample> {
        self.course.sample(self.t).map(|s| Sample {
            stop: s.stop + self.base,
            ..s
        })
    }

    pub fn stop(&self) -> usize {
        self.sample().map_or(0, |s| s.stop)
    }

    /// Seconds into the current stop: the narration's clock.
    pub fn since_stop_start(&self) -> f64 {
        self.sample().map_or(0.0, |s| s.since_start)
    }

    /// Whether the last stop has ended.
    pub fn finished(&self) -> bool {
        self.t >= self.course.duration()
    }

    /// Moves the clock on by `dt` seconds when playing. Without autoplay the
    /// player pauses at the end of each stop.
    pub fn advance(&mut self, dt: f64) {
        if !self.playing || !dt.is_finite() || dt <= 0.0 {
            return;
        }
        let stop = self.course.stop_at(self.t);
        let mut t = self.t + dt;
        if !self.options.autoplay
            && let Some(end) = self.course.stop_end(stop)
            && self.t < end
            && t >= end
        {
            t = end - 1e-9;
            self.playing = false;
        }
        self.t = t.min(self.course.duration());
        if self.finished() {
            self.playing = false;
        }
    }

    /// Goes to `stop`, flying from the camera's current view `from`.
    pub fn go_to(&mut self, stop: usize, from: View) {
        if stop >= self.plans.len() {
            return;
        }
        let playing = self.playing || self.finished();
        *self = Self::starting_at(from, std::mem::take(&mut self.plans), stop, self.options);
        self.playing = playing;
    }

    pub fn next(&mut self, from: View) {
        let stop = self.stop();
        if stop + 1 < self.plans.len() {
            self.go_to(stop + 1, from);
        }
    }

    /// Back to the start of this stop, or to the previous stop when this one
    /// has barely begun (as music players do).
    pub fn previous(&mut self, from: View) {
        let stop = self.stop();
        let target = if self.since_stop_start() < 2.0 {
            stop.saturating_sub(1)
        } else {
            stop
        };
        self.go_to(target, from);
    }

    /// New plans for the same stops (another language's narration lasts
    /// another time; reduced motion switched): stays at the same stop and the
    /// same moment within it.
    pub fn replan(&mut self, plans: Vec<StopPlan>, options: PlayerOptions, from: View) {
        let stop = self.stop();
        let within = self.since_stop_start();
        let arrived = self.sample().is_some_and(|s| s.phase == crate::course::Phase::Dwell);
        let playing = self.playing;
        let view = if arrived {
            plans.get(stop).and_then(|p| p.waypoints.last().copied()).unwrap_or(from)
        } else {
            from
        };
        *self = Self::starting_at(view, plans, stop, options);
        if arrived {
            // At rest: keep the narration's clock where it was.
            self.t = within.max(self.course.arrival(0).unwrap_or(0.0));
        }
        self.playing = playing;
    }

    pub fn set_options(&mut self, options: PlayerOptions, from: View) {
        if options != self.options {
            let plans = self.plans.clone();
            self.replan(plans, options, from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::Phase;

    fn view(x: f64) -> View {
        View {
            eye: [x, -500.0, 200.0],
            target: [x, 0.0, 0.0],
            fov_deg: 45.0,
        }
    }

    fn plans(narration: f64) -> Vec<StopPlan> {
        (0..3)
            .map(|i| StopPlan {
                waypoints: vec![view(100.0 * i as f64)],
                path_seconds: None,
                dwell: 4.0,
                narration,
            })
            .collect()
    }

    #[test]
    fn a_deep_link_opens_at_rest_at_the_named_stop() {
        let p = Player::opened_at(plans(0.0), 2, PlayerOptions::default()).unwrap();
        let s = p.sample().unwrap();
        assert_eq!((s.stop, s.phase), (2, Phase::Dwell));
        assert_eq!(s.view, view(200.0));
        assert!(Player::opened_at(plans(0.0), 3, PlayerOptions::default()).is_none());
    }

    #[test]
    fn autoplay_runs_through_the_stops_and_ends() {
        let mut p = Player::new(view(-400.0), plans(0.0), PlayerOptions::default());
        let mut seen = vec![p.stop()];
        for _ in 0..10_000 {
            p.advance(1.0 / 30.0);
            if seen.last() != Some(&p.stop()) {
                seen.push(p.stop());
            }
        }
        assert_eq!(seen, vec![0, 1, 2]);
        assert!(p.finished() && !p.playing);
        assert_eq!(p.sample().unwrap().view, view(200.0));
    }

    #[test]
    fn without_autoplay_the_player_pauses_at_each_stop_end() {
        let options = PlayerOptions {
            autoplay: false,
            reduced_motion: false,
        };
        let mut p = Player::new(view(-400.0), plans(0.0), options);
        for _ in 0..10_000 {
            p.advance(0.1);
        }
        assert_eq!(p.stop(), 0);
        assert!(!p.playing);
        p.next(p.sample().unwrap().view);
        assert_eq!(p.stop(), 1);
    }

    #[test]
    fn previous_goes_back_a_stop_only_when_this_one_has_barely_begun() {
        let mut p = Player::opened_at(plans(0.0), 1, PlayerOptions::default()).unwrap();
        p.advance(3.0);
        let here = p.sample().unwrap().view;
        p.previous(here);
        assert_eq!(p.stop(), 1, "3 s in: back to this stop's start");
        p.previous(here);
        assert_eq!(p.stop(), 0, "at its start: to the stop before");
    }

    #[test]
    fn a_language_switch_keeps_the_stop_and_the_moment() {
        let mut p = Player::opened_at(plans(5.0), 1, PlayerOptions::default()).unwrap();
        p.advance(3.0);
        let before = p.since_stop_start();
        // The other language's narration is longer: 9 s instead of 5 s.
        p.replan(plans(9.0), PlayerOptions::default(), p.sample().unwrap().view);
        assert_eq!(p.stop(), 1);
        assert!((p.since_stop_start() - before).abs() < 1e-9, "{} vs {before}", p.since_stop_start());
        // The stop now lasts as long as the longer narration.
        p.advance(5.5);
        assert_eq!(p.stop(), 1, "8.5 s in, the 9 s narration still plays");
    }
}
