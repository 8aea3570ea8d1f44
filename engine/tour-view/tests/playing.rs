#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Plays the shipped Citadel tour headless (no window, no GPU): each stop
//! rests at the view its scene entry gives, the caption at a time is the cue
//! the WebVTT file times there, a language switch changes text, captions and
//! audio together, a deep link opens at its stop, and the camera's velocity
//! never jumps where the old chained flights jolted.

use std::path::Path;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use sontinh_camera::{Flight, Pose};
use sontinh_scene::{Lang, Scene, StopCamera, View};
use sontinh_tour_view::{ActiveTour, NarrationAudio, TourAction, TourNow, TourRequest, TourSettings};

mod common;

use common::{FRAME, camera_view, repo};

fn citadel() -> Scene {
    sontinh_scene::load(&repo().join("scenes/quang-tri-citadel.toml")).expect("the Citadel scene loads")
}

/// The tour plugin over `scene`, the camera far above the site.
fn app(scene: Scene) -> App {
    let start = Pose {
        eye: Vec3::new(0.0, 3000.0, 3000.0),
        target: Vec3::ZERO,
    };
    common::app(scene, start, PerspectiveProjection::default().fov)
}

/// The view a stop's scene entry gives, read straight from the scene.
fn stop_view(scene: &Scene, stop: usize) -> View {
    tour_stop_view(scene, 0, stop)
}

fn tour_stop_view(scene: &Scene, tour: usize, stop: usize) -> View {
    match &scene.tours[tour].stops[stop].camera {
        StopCamera::Bookmark(b) => {
            let b = &scene.bookmarks[*b];
            View {
                eye: b.eye,
                target: b.target,
                fov_deg: b.fov_deg,
            }
        }
        StopCamera::Pose(v) => *v,
        StopCamera::Path { waypoints, .. } => *waypoints.last().expect("a path has waypoints"),
    }
}

fn assert_view_near(a: View, b: View, what: &str) {
    let d = |p: [f64; 3], q: [f64; 3]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
    // f32 world coordinates near the origin: centimetres; and the orbiting
    // rig looks at most 89° down, a plan view's eye is moved by 1/10 000 of
    // its distance at most.
    let tolerance = 0.05 + 1e-4 * d(b.eye, b.target);
    assert!(
        d(a.eye, b.eye) < tolerance && d(a.target, b.target) < tolerance,
        "{what}: {a:?} vs {b:?}"
    );
    assert!((a.fov_deg - b.fov_deg).abs() < 0.01, "{what}: fov {} vs {}", a.fov_deg, b.fov_deg);
}

/// Updates until `done` holds, failing after a wall-clock deadline.
fn update_until(app: &mut App, what: &str, done: impl Fn(&mut App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.update();
    }
}

/// The cue text at `t` seconds, read from the WebVTT file by plain string
/// handling (independent of the player's parser): the block whose timing
/// line spans t.
fn cue_by_hand(vtt: &Path, t: f64) -> Option<String> {
    let text = std::fs::read_to_string(vtt).expect("captions file");
    let seconds = |s: &str| -> f64 {
        let parts: Vec<f64> = s.trim().split(':').map(|p| p.parse::<f64>().expect("time part")).collect();
        parts.iter().fold(0.0, |acc, p| acc * 60.0 + p)
    };
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        let Some(at) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        let (a, b) = lines[at].split_once("-->").expect("arrow");
        let (start, end) = (seconds(a), seconds(b.split_whitespace().next().expect("end")));
        if start <= t && t < end {
            return Some(lines[at + 1..].join("\n"));
        }
    }
    None
}

fn open_at(app: &mut App, stop: usize) {
    app.world_mut().write_message(TourAction::Start { tour: 0, stop: Some(stop) });
    app.update();
}

#[test]
fn each_stop_of_every_shipped_tour_rests_at_the_view_its_entry_gives() {
    let mut toured = 0;
    for entry in std::fs::read_dir(repo().join("scenes")).expect("the scenes folder") {
        let path = entry.expect("a scene file").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let scene = sontinh_scene::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for tour in 0..scene.tours.len() {
            toured += 1;
            let mut app = app(scene.clone());
            for stop in 0..scene.tours[tour].stops.len() {
                app.world_mut().write_message(TourAction::Start { tour, stop: Some(stop) });
                app.update();
                let now = app.world().resource::<TourNow>().clone();
                let what = format!("{} tour {} stop {}", path.display(), scene.tours[tour].id, stop + 1);
                assert_eq!((now.stop, now.arrived), (stop, true), "{what}: {now:?}");
                assert_view_near(camera_view(&mut app), tour_stop_view(&scene, tour, stop), &what);
            }
        }
    }
    // The Citadel's and the relic gallery's at least.
    assert!(toured >= 2, "{toured} tours played");
    assert!(citadel().tours[0].stops.len() >= 6, "the Citadel tour has at least six stops");
}

#[test]
fn the_caption_at_a_time_is_the_cue_its_file_times_there_and_the_language_switch_changes_all() {
    let scene = citadel();
    let mut app = app(scene.clone());
    let stop = 1;
    let narration = scene.tours[0].stops[stop].narration.clone().expect("stop 2 is narrated");
    open_at(&mut app, stop);
    update_until(&mut app, "the Vietnamese narration", |app| {
        app.world().resource::<TourNow>().audio.is_some()
    });
    // Three seconds into the stop.
    while app.world().resource::<TourNow>().since_start < 3.0 {
        app.update();
    }
    let now = app.world().resource::<TourNow>().clone();
    assert_eq!(now.lang, Lang::Vi);
    let expected = cue_by_hand(narration.captions.get(Lang::Vi), now.since_start);
    assert!(expected.is_some(), "a cue is timed at {} s", now.since_start);
    assert_eq!(now.caption, expected, "at {} s", now.since_start);
    assert_eq!(now.audio.as_deref(), Some(narration.written.vi.0.as_str()));

    app.world_mut().resource_mut::<TourSettings>().lang = Lang::En;
    update_until(&mut app, "the English narration", |app| {
        app.world().resource::<TourNow>().audio.as_deref() == Some(narration.written.en.0.as_str())
    });
    let now = app.world().resource::<TourNow>().clone();
    assert_eq!((now.lang, now.stop), (Lang::En, stop), "{now:?}");
    assert!(
        now.since_start > 3.0 && now.since_start < 4.0,
        "the moment is kept: {} s",
        now.since_start
    );
    assert_eq!(now.caption, cue_by_hand(narration.captions.get(Lang::En), now.since_start));
    assert_ne!(now.caption, expected, "the caption changed language");
    // One narration plays, the English one.
    let mut audio = app.world_mut().query::<&NarrationAudio>();
    let playing: Vec<String> = audio.iter(app.world()).map(|a| a.written.clone()).collect();
    assert_eq!(playing, vec![narration.written.en.0.clone()]);

    // Captions off: none shown, the audio goes on.
    app.world_mut().resource_mut::<TourSettings>().captions = false;
    app.update();
    let now = app.world().resource::<TourNow>().clone();
    assert_eq!(now.caption, None);
    assert!(now.audio.is_some());
}

#[test]
fn a_deep_link_opens_at_its_stop_and_a_wrong_one_is_named() {
    let scene = citadel();
    let id = scene.tours[0].id.clone();
    let mut app = app(scene.clone());
    app.world_mut().resource_mut::<TourRequest>().0 = Some((id.clone(), 3));
    app.update();
    app.update();
    let now = app.world().resource::<TourNow>().clone();
    assert_eq!(now.tour.as_ref().map(|t| t.1.as_str()), Some(id.as_str()));
    assert_eq!((now.stop, now.arrived), (3, true));
    assert_view_near(camera_view(&mut app), stop_view(&scene, 3), "deep link to stop 4");

    app.world_mut().resource_mut::<TourRequest>().0 = Some(("no-such-tour".to_owned(), 0));
    app.update();
    let now = app.world().resource::<TourNow>().clone();
    assert!(
        now.problems.iter().any(|p| p.contains("tour \"no-such-tour\" is not a tour")),
        "{:?}",
        now.problems
    );
    app.world_mut().resource_mut::<TourRequest>().0 = Some((id.clone(), 99));
    app.update();
    let now = app.world().resource::<TourNow>().clone();
    assert!(
        now.problems.iter().any(|p| p.contains("there is no stop 100")),
        "{:?}",
        now.problems
    );
}

/// The eye's positions, one per frame, along a whole tour played by the
/// plugin, and along the same stops chained as the old player did (an eased
/// `Flight` to each stop's view, then a rest).
fn eye_paths(scene: &Scene) -> (Vec<[f64; 3]>, Vec<[f64; 3]>) {
    let mut app = app(scene.clone());
    let start = camera_view(&mut app);
    app.world_mut().write_message(TourAction::Start { tour: 0, stop: None });
    app.update();
    let mut new = Vec::new();
    for _ in 0..(60 * 60 * 10) {
        app.update();
        new.push(camera_view(&mut app).eye);
        let finished = app.world().resource::<TourNow>().finished;
        if finished || app.world().resource::<ActiveTour>().0.is_none() {
            break;
        }
    }
    let mut old = Vec::new();
    let mut from = start;
    for stop in 0..scene.tours[0].stops.len() {
        let to = stop_view(scene, stop);
        let pose = |v: &View| Pose {
            eye: Vec3::new(v.eye[0] as f32, v.eye[2] as f32, -v.eye[1] as f32),
            target: Vec3::new(v.target[0] as f32, v.target[2] as f32, -v.target[1] as f32),
        };
        let mut flight = Flight::new(pose(&from), pose(&to), 0.8, 0.8);
        while !flight.is_done() {
            flight.elapsed += FRAME as f32;
            let e = flight.sample().0.eye;
            old.push([f64::from(e.x), -f64::from(e.z), f64::from(e.y)]);
        }
        for _ in 0..120 {
            old.push(to.eye);
        }
        from = to;
    }
    (new, old)
}

#[test]
fn the_tour_flies_without_jolts_where_chained_flights_jolted() {
    let scene = citadel();
    let (new, old) = eye_paths(&scene);
    let after = sontinh_tour::course::max_velocity_jump(&new, FRAME);
    let before = sontinh_tour::course::max_velocity_jump(&old, FRAME);
    println!("largest frame-to-frame change of camera velocity at 60 Hz: before {before:.1} m/s, after {after:.2} m/s");
    assert!(new.len() > 60 * 30, "the tour played for {} frames", new.len());
    // The old flights left and reached each view at the speed of their arc's
    // lift: a jump of tens of metres per second in one frame.
    assert!(before > 20.0, "before: {before}");
    assert!(after * 5.0 < before, "after {after} m/s vs before {before} m/s");
}
