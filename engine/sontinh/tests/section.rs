#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Sections in the headless render: `sontinh render --clip-box` and
//! `--clip-plane` cut the Citadel on lavapipe; where geometry was cut away
//! the background shows (as this camera sees it with nothing drawn), and
//! what is kept is drawn as before.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glam::{Mat4, Vec3, Vec4};

mod common;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn render(name: &str, extra: &[&str]) -> image::RgbImage {
    let dir = repo().join("target/render-test");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{name}.png"));
    let (w, h) = (WIDTH.to_string(), HEIGHT.to_string());
    let mut args = vec!["render", "scenes/quang-tri-citadel.toml", "--width", &w, "--height", &h, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o: Output = Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(&args)
        .current_dir(repo())
        .env("SONTINH_CACHE_DIR", common::fresh_cache())
        .output()
        .expect("the sontinh binary runs");
    assert!(o.status.success(), "render {name} failed: {}", String::from_utf8_lossy(&o.stderr));
    let img = image::open(&out).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
    img
}

/// Where an ENU point lands from the scene's default ("overview") bookmark,
/// with the renderer's camera (Bevy: y up, z south).
fn project(enu: [f32; 3]) -> (u32, u32) {
    let world = |p: [f32; 3]| Vec3::new(p[0], p[2], -p[1]);
    let view = Mat4::look_at_rh(world([620.0, -820.0, 430.0]), world([-160.0, 40.0, 0.0]), Vec3::Y);
    let proj = Mat4::perspective_rh(50f32.to_radians(), WIDTH as f32 / HEIGHT as f32, 0.5, 60_000.0);
    let clip = proj * view * Vec4::from((world(enu), 1.0));
    let ndc = clip / clip.w;
    assert!(ndc.x.abs() < 1.0 && ndc.y.abs() < 1.0, "{enu:?} is off screen");
    (((ndc.x + 1.0) / 2.0 * WIDTH as f32) as u32, ((1.0 - ndc.y) / 2.0 * HEIGHT as f32) as u32)
}

/// The 3×3 block of pixels around `at`.
fn block(img: &image::RgbImage, at: (u32, u32)) -> Vec<[u8; 3]> {
    let mut out = Vec::new();
    for dy in 0..3 {
        for dx in 0..3 {
            out.push(img.get_pixel(at.0 + dx - 1, at.1 + dy - 1).0);
        }
    }
    out
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

#[test]
fn a_clip_box_and_a_clip_plane_cut_the_citadel_down_to_the_sky() {
    let uncut = render("section-uncut", &[]);
    // The background, as this camera sees it with nothing drawn (a clip box
    // far from everything keeps nothing): the sky above the horizon, the
    // sky box's land below it.
    let empty = render("section-empty", &["--clip-box", "90000,90000,9000,90001,90001,9001"]);
    let sky = empty.get_pixel(WIDTH / 2, 4).0;
    assert!(sky[2] > 180 && sky[2] > sky[1] && sky[1] > sky[0], "no sky at the top: {sky:?}");
    let is_sky = |img: &image::RgbImage, enu: [f32; 3]| {
        let at = project(enu);
        block(img, at).iter().zip(block(&empty, at)).all(|(x, y)| near(*x, y, 3))
    };
    let unchanged = |a: &image::RgbImage, b: &image::RgbImage, enu: [f32; 3]| {
        let at = project(enu);
        block(a, at).iter().zip(block(b, at)).all(|(x, y)| near(*x, y, 6))
    };

    let east_wall = [250.0, 120.0, 9.0];
    let south_wall = [120.0, -250.0, 9.0];
    let plain_east = [500.0, -200.0, 4.0];
    let park = [150.0, 120.0, 4.0];
    let river = [-720.0, -100.0, 1.2];
    let west_plain = [-450.0, 350.0, 1.0];
    for p in [east_wall, south_wall, plain_east, park, river, west_plain] {
        assert!(!is_sky(&uncut, p), "{p:?} shows geometry before the cut");
    }

    // The box keeps the western half (x ≤ 0): the eastern walls, the park
    // and the plain are gone and the sky shows through the ground.
    let boxed = render("section-box", &["--clip-box", "-2000,-2000,-100,0,2000,500"]);
    for p in [east_wall, south_wall, plain_east, park] {
        assert!(is_sky(&boxed, p), "{p:?} is still drawn inside the cut: {:?}", block(&boxed, project(p)));
    }
    for p in [river, west_plain] {
        assert!(unchanged(&uncut, &boxed, p), "{p:?} changed though the box keeps it");
    }
    let sky_share = |img: &image::RgbImage| img.pixels().zip(empty.pixels()).filter(|(p, q)| near(p.0, q.0, 3)).count() as f64 / f64::from(WIDTH * HEIGHT);
    assert!(sky_share(&boxed) > sky_share(&uncut) + 0.2, "{} vs {}", sky_share(&boxed), sky_share(&uncut));

    // A plane keeping what lies north of y = −100 m: the south wall goes,
    // the east wall and the park stay.
    let planed = render("section-plane", &["--clip-plane", "0,-100,0,0,1,0"]);
    for p in [south_wall, plain_east] {
        assert!(is_sky(&planed, p), "{p:?} is still drawn south of the plane: {:?}", block(&planed, project(p)));
    }
    for p in [east_wall, park, west_plain] {
        assert!(!is_sky(&planed, p), "{p:?} was cut though it lies north of the plane");
    }
}

#[test]
fn bad_section_and_measuring_arguments_are_refused() {
    for (args, expected) in [
        (&["--clip-box", "1,2,3"][..], "six numbers"),
        (&["--clip-box", "0,0,0,-1,1,1"][..], "must not exceed"),
        (&["--clip-plane", "0,0,0,0,0,0"][..], "normal is zero"),
        (&["--clip-plane", "0,0,x,0,0,1"][..], "a point and a normal"),
        (
            &["--clip-plane", "0,0,0,1,0,0", "--clip-plane", "0,0,0,1,0,0", "--clip-plane", "0,0,0,1,0,0", "--clip-plane", "0,0,0,1,0,0", "--clip-plane", "0,0,0,1,0,0"][..],
            "at most 4 planes",
        ),
        (&["--measure", "tape", "--at", "1,1"][..], "is not a measuring tool: point, distance, height"),
        (&["--measure", "distance", "--at", "1"][..], "X,Y (a pixel of the picture)"),
        (&["--measure", "distance", "--at", "-3,4"][..], "pixels lie from 0 to 16384"),
        (&["--measure", "distance"][..], "--at"),
    ] {
        let mut all = vec!["render", "scenes/quang-tri-citadel.toml", "--out", "target/render-test/never.png"];
        all.extend_from_slice(args);
        let o = Command::new(env!("CARGO_BIN_EXE_sontinh")).args(&all).current_dir(repo()).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
