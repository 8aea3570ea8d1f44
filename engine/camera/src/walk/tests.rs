//! Walking over geometry built here, with answers worked out by hand.

use super::*;
use crate::soup::TriangleSoup;
use bevy::math::Vec2;

/// The twelve triangles of an axis-aligned box.
fn add_box(soup: &mut TriangleSoup, min: Vec3, max: Vec3) {
    let c = |x: bool, y: bool, z: bool| {
        Vec3::new(
            if x { max.x } else { min.x },
            if y { max.y } else { min.y },
            if z { max.z } else { min.z },
        )
    };
    let quads = [
        [
            c(false, false, false),
            c(true, false, false),
            c(true, true, false),
            c(false, true, false),
        ],
        [
            c(false, false, true),
            c(true, false, true),
            c(true, true, true),
            c(false, true, true),
        ],
        [
            c(false, false, false),
            c(false, true, false),
            c(false, true, true),
            c(false, false, true),
        ],
        [
            c(true, false, false),
            c(true, true, false),
            c(true, true, true),
            c(true, false, true),
        ],
        [
            c(false, false, false),
            c(true, false, false),
            c(true, false, true),
            c(false, false, true),
        ],
        [
            c(false, true, false),
            c(true, true, false),
            c(true, true, true),
            c(false, true, true),
        ],
    ];
    for [a, b, cc, d] in quads {
        soup.add([a, b, cc]);
        soup.add([a, cc, d]);
    }
}

fn floor(soup: &mut TriangleSoup, y: f32) {
    add_box(soup, Vec3::new(-60.0, y - 1.0, -60.0), Vec3::new(60.0, y, 60.0));
}

fn probe(soup: &TriangleSoup) -> impl Fn(Vec3, Vec3, f32) -> Option<ProbeHit> + '_ {
    move |o, d, m| soup.cast(o, d, m)
}

fn standing(x: f32, ground: f32, z: f32) -> WalkBody {
    WalkBody {
        eye: Vec3::new(x, ground + WALKER.eye_height, z),
        fall_speed: 0.0,
    }
}

/// Walks `frames` frames of `wish` each, `dt` apart; every body on the way.
fn walk(soup: &TriangleSoup, mut body: WalkBody, wish: Vec3, dt: f32, frames: usize) -> Vec<WalkBody> {
    let mut path = vec![body];
    for _ in 0..frames {
        body = walk_step(body, wish, dt, &WALKER, &probe(soup));
        path.push(body);
    }
    path
}

fn soup() -> TriangleSoup {
    TriangleSoup::new(Vec2::ZERO, 50.0, 1.0)
}

#[test]
fn a_wall_stops_the_walker_one_body_radius_from_its_face() {
    let mut s = soup();
    floor(&mut s, 0.0);
    // Wall face at x = 10.
    add_box(&mut s, Vec3::new(10.0, 0.0, -20.0), Vec3::new(11.0, 3.0, 20.0));
    let path = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(0.25, 0.0, 0.0), 1.0 / 30.0, 80);
    let end = path.last().unwrap().eye;
    assert!((end.x - (10.0 - WALKER.radius)).abs() < 1e-3, "{end}");
    assert!(
        path.iter().all(|b| b.eye.x <= 10.0 - WALKER.radius + 1e-3),
        "never closer than the radius"
    );
    assert!(path.iter().all(|b| (b.eye.y - WALKER.eye_height).abs() < 1e-4), "level walk");
}

#[test]
fn walking_into_a_wall_at_an_angle_slides_along_it() {
    let mut s = soup();
    floor(&mut s, 0.0);
    add_box(&mut s, Vec3::new(10.0, 0.0, -30.0), Vec3::new(11.0, 3.0, 30.0));
    // 45° into the wall: the part along it survives untouched.
    let frames = 80;
    let path = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(0.2, 0.0, 0.2), 1.0 / 30.0, frames);
    let end = path.last().unwrap().eye;
    assert!((end.x - (10.0 - WALKER.radius)).abs() < 1e-3, "{end}");
    assert!((end.z - 0.2 * frames as f32).abs() < 1e-3, "slid {end}");
}

#[test]
fn a_low_beam_stops_the_walker_at_head_height() {
    let mut s = soup();
    floor(&mut s, 0.0);
    // Open below 1.75 m: the head (1.8 m) does not pass.
    add_box(&mut s, Vec3::new(5.0, 1.75, -5.0), Vec3::new(6.0, 2.5, 5.0));
    let end = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(0.2, 0.0, 0.0), 1.0 / 30.0, 50)
        .last()
        .unwrap()
        .eye;
    assert!((end.x - (5.0 - WALKER.radius)).abs() < 1e-3, "{end}");
}

#[test]
fn steps_up_to_the_step_height_are_climbed_higher_ones_refused() {
    // A flight of six 0.40 m risers, 0.5 m treads, from x = 2.
    let mut s = soup();
    floor(&mut s, 0.0);
    for k in 0..6 {
        let x0 = 2.0 + 0.5 * k as f32;
        add_box(&mut s, Vec3::new(x0, 0.0, -3.0), Vec3::new(20.0, 0.4 * (k + 1) as f32, 3.0));
    }
    // Starting between two multiples of 0.1 m keeps every sample off a riser's edge.
    let path = walk(&s, standing(0.05, 0.0, 0.0), Vec3::new(0.1, 0.0, 0.0), 1.0 / 30.0, 100);
    let end = path.last().unwrap().eye;
    assert!((end.x - 10.05).abs() < 1e-3);
    assert!((end.y - (2.4 + WALKER.eye_height)).abs() < 1e-4, "on the top step: {end}");
    // On each tread the eye is at that tread's height.
    for b in &path {
        let x = b.eye.x;
        let tread = if x < 2.0 {
            0
        } else {
            (((x - 2.0) / 0.5).floor() as i32 + 1).min(6)
        };
        assert!(
            (b.eye.y - (0.4 * tread as f32 + WALKER.eye_height)).abs() < 1e-4,
            "at x = {x}: {}",
            b.eye.y
        );
    }

    // One riser of 0.5 m: refused, the walker stays on the floor before it.
    let mut s = soup();
    floor(&mut s, 0.0);
    add_box(&mut s, Vec3::new(2.0, 0.0, -3.0), Vec3::new(20.0, 0.5, 3.0));
    let end = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(0.1, 0.0, 0.0), 1.0 / 30.0, 60)
        .last()
        .unwrap()
        .eye;
    assert!((end.x - (2.0 - WALKER.radius)).abs() < 1e-3, "{end}");
    assert!((end.y - WALKER.eye_height).abs() < 1e-4);
}

/// A ramp rising 3 m over 10 m (16.7°) from x = 2, then a landing.
fn ramp() -> TriangleSoup {
    let mut s = soup();
    floor(&mut s, 0.0);
    let (a, b, c, d) = (
        Vec3::new(2.0, 0.0, -2.0),
        Vec3::new(12.0, 3.0, -2.0),
        Vec3::new(12.0, 3.0, 2.0),
        Vec3::new(2.0, 0.0, 2.0),
    );
    s.add([a, b, c]);
    s.add([a, c, d]);
    add_box(&mut s, Vec3::new(12.0, 0.0, -2.0), Vec3::new(20.0, 3.0, 2.0));
    s
}

fn ramp_surface(x: f32) -> f32 {
    ((x - 2.0) * 0.3).clamp(0.0, 3.0)
}

#[test]
fn a_ramp_is_climbed_along_its_surface_and_walked_down_without_falling() {
    let s = ramp();
    let up = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(0.3, 0.0, 0.0), 1.0 / 30.0, 50);
    for b in &up {
        assert!(
            (b.eye.y - (ramp_surface(b.eye.x) + WALKER.eye_height)).abs() < 1e-3,
            "at x = {}: {}",
            b.eye.x,
            b.eye.y
        );
    }
    assert!((up.last().unwrap().eye.y - (3.0 + WALKER.eye_height)).abs() < 1e-4);
    let down = walk(&s, *up.last().unwrap(), Vec3::new(-0.3, 0.0, 0.0), 1.0 / 30.0, 50);
    for b in &down {
        assert_eq!(b.fall_speed, 0.0, "stays on the ramp going down");
        assert!(
            (b.eye.y - (ramp_surface(b.eye.x) + WALKER.eye_height)).abs() < 1e-3,
            "at x = {}: {}",
            b.eye.x,
            b.eye.y
        );
    }
}

#[test]
fn a_slope_steeper_than_53_degrees_is_a_wall() {
    let mut s = soup();
    floor(&mut s, 0.0);
    // 60°: rises tan 60° = 1.732 m per metre from x = 3.
    let rise = 3.0f32.sqrt() * 2.0;
    let (a, b, c, d) = (
        Vec3::new(3.0, 0.0, -2.0),
        Vec3::new(5.0, rise, -2.0),
        Vec3::new(5.0, rise, 2.0),
        Vec3::new(3.0, 0.0, 2.0),
    );
    s.add([a, b, c]);
    s.add([a, c, d]);
    let end = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(0.1, 0.0, 0.0), 1.0 / 30.0, 60)
        .last()
        .unwrap()
        .eye;
    // The slope reaches the lowest probe (0.46 m) at x = 3 + 0.46 / tan 60°;
    // the body stops its radius before that point.
    let probe_x = 3.0 + (WALKER.step_height + PROBE_GAP) / 3.0f32.sqrt();
    let stop = probe_x - WALKER.radius;
    assert!((end.x - stop).abs() < 2e-3, "{end} vs {stop}");
    assert!(end.y - WALKER.eye_height < 0.05, "not climbed");
}

#[test]
fn a_drop_is_fallen_under_gravity_not_in_one_frame() {
    // A 3 m high platform ending at x = 5.
    let mut s = soup();
    floor(&mut s, 0.0);
    add_box(&mut s, Vec3::new(-20.0, 0.0, -5.0), Vec3::new(5.0, 3.0, 5.0));
    let dt = 1.0 / 60.0;
    let mut body = standing(4.0, 3.0, 0.0);
    // Step off (1.5 m), then stand and fall.
    body = walk(&s, body, Vec3::new(1.5, 0.0, 0.0), dt, 1)[1];
    let mut frames = 1;
    let mut largest = 0.0f32;
    while body.eye.y > WALKER.eye_height + 1e-4 && frames < 600 {
        let next = walk_step(body, Vec3::ZERO, dt, &WALKER, &probe(&s));
        largest = largest.max(body.eye.y - next.eye.y);
        body = next;
        frames += 1;
    }
    // Free fall from 3 m: t = √(2h/g) = 0.782 s, 47 frames at 60 Hz (the
    // integration lands within a frame or two of it).
    let expected = (2.0 * 3.0 / 9.81f32).sqrt() / dt;
    assert!((frames as f32 - expected).abs() <= 2.0, "{frames} frames, {expected} expected");
    assert!(largest < 9.81 * 0.8 * dt + 1e-3, "no frame drops more than g·t·dt: {largest}");
    assert_eq!(body.fall_speed, 0.0, "landed");
    assert!((body.eye.y - WALKER.eye_height).abs() < 1e-4);
}

#[test]
fn with_nothing_below_the_height_is_kept() {
    let s = soup();
    let end = walk(&s, standing(0.0, 7.0, 0.0), Vec3::new(0.3, 0.0, 0.0), 1.0 / 30.0, 10)
        .last()
        .unwrap()
        .eye;
    assert!((end - Vec3::new(3.0, 7.0 + WALKER.eye_height, 0.0)).length() < 1e-4, "{end}");
}

#[test]
fn a_long_frame_does_not_pass_through_a_thin_wall() {
    let mut s = soup();
    floor(&mut s, 0.0);
    add_box(&mut s, Vec3::new(3.0, 0.0, -5.0), Vec3::new(3.05, 3.0, 5.0));
    let end = walk(&s, standing(0.0, 0.0, 0.0), Vec3::new(12.0, 0.0, 0.0), 1.0, 1)
        .last()
        .unwrap()
        .eye;
    assert!((end.x - (3.0 - WALKER.radius)).abs() < 1e-3, "{end}");
}

#[test]
fn ground_from_points_takes_the_highest_supported_band() {
    // A 0.1 m grid of ground points at y = 2 with ±2 cm of ripple, a lone
    // point above it (noise), and a point above the probe's origin (a leaf).
    let mut points = Vec::new();
    for i in -10i32..=10 {
        for k in -10..=10 {
            let ripple = 0.02 * ((i + k).rem_euclid(3) - 1) as f32;
            points.push(Vec3::new(i as f32 * 0.1, 2.0 + ripple, k as f32 * 0.1));
        }
    }
    points.push(Vec3::new(0.1, 2.9, 0.1));
    points.push(Vec3::new(0.0, 4.0, 0.0));
    let origin = Vec3::new(0.0, 3.0, 0.0);
    let ground = ground_from_points(points.iter().copied(), origin, POINT_GROUND_RADIUS, 100.0).unwrap();
    assert!((ground - 2.0).abs() < 0.01, "{ground}");
    // A bench top of five points at 2.45 m is ground too.
    for k in 0..5 {
        points.push(Vec3::new(0.05 * k as f32, 2.45, 0.0));
    }
    let ground = ground_from_points(points.iter().copied(), origin, POINT_GROUND_RADIUS, 100.0).unwrap();
    assert!((ground - 2.45).abs() < 1e-5, "{ground}");
    // Nothing within the radius: no ground.
    assert_eq!(
        ground_from_points(points.iter().copied(), Vec3::new(30.0, 3.0, 0.0), 0.5, 100.0),
        None
    );
}

#[test]
fn entering_walk_mode_under_the_ground_stands_on_it() {
    let mut s = soup();
    floor(&mut s, 4.0);
    {
        let p = probe(&s);
        // Below the floor (a bookmark's target at height 0 under ground at 4 m).
        let placed = place_on_ground(Vec3::new(1.0, 1.7, 2.0), &WALKER, &p).unwrap();
        assert!((placed - Vec3::new(1.0, 4.0 + WALKER.eye_height, 2.0)).length() < 1e-4, "{placed}");
        // Above it: down onto it.
        let placed = place_on_ground(Vec3::new(1.0, 30.0, 2.0), &WALKER, &p).unwrap();
        assert!((placed.y - (4.0 + WALKER.eye_height)).abs() < 1e-4);
    }
    // A foundation slab 0.5 m under the feet: still the floor above.
    add_box(&mut s, Vec3::new(-3.0, -1.0, -3.0), Vec3::new(3.0, -0.5, 3.0));
    let p = probe(&s);
    let placed = place_on_ground(Vec3::new(1.0, 1.7, 2.0), &WALKER, &p).unwrap();
    assert!((placed.y - (4.0 + WALKER.eye_height)).abs() < 1e-4, "{placed}");
    // The focus on the slab: the slab.
    let placed = place_on_ground(Vec3::new(1.0, -0.5 + WALKER.eye_height, 2.0), &WALKER, &p).unwrap();
    assert!((placed.y - (-0.5 + WALKER.eye_height)).abs() < 1e-4, "{placed}");
    assert_eq!(
        place_on_ground(Vec3::new(1.0, 30.0, 2.0), &WALKER, &|_: Vec3, _: Vec3, _: f32| None),
        None
    );
}
