#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! A tour's stops in the headless render: `sontinh render --tour ID --stop N`
//! (the tour player opening the stop as a deep link does) must draw the
//! picture that the stop's pose gives, rendered independently as a plain
//! bookmark of a scene written here. A wrong tour or stop is refused by name.

use std::path::{Path, PathBuf};
use std::process::Command;

use sontinh_scene::StopCamera;

mod common;

const WIDTH: u32 = 320;
const HEIGHT: u32 = 180;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn render(scene: &Path, out: &Path, extra: &[&str]) -> (image::RgbImage, String) {
    let (w, h) = (WIDTH.to_string(), HEIGHT.to_string());
    let mut args = vec![
        "render",
        scene.to_str().unwrap(),
        "--width",
        &w,
        "--height",
        &h,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(&args)
        .current_dir(repo())
        .env("SONTINH_CACHE_DIR", common::fresh_cache())
        .output()
        .expect("the sontinh binary runs");
    assert!(o.status.success(), "render {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    (image::open(out).unwrap().to_rgb8(), String::from_utf8_lossy(&o.stdout).into_owned())
}

fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let total: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn each_rendered_stop_is_the_picture_its_pose_gives() {
    let scene_path = repo().join("scenes/quang-tri-citadel.toml");
    let scene = sontinh_scene::load(&scene_path).expect("the Citadel scene loads");
    let tour = &scene.tours[0];
    let dir = tempfile::tempdir().unwrap();
    // The same site and layer, and one bookmark per stop at the stop's view,
    // in local ENU as the parsed scene holds it: no tour involved.
    let mut reference = String::from(
        "format = 1\n[site]\nid = \"stops\"\nname = { vi = \"Điểm dừng\", en = \"Stops\" }\ndescription = { vi = \"\", en = \"\" }\nreconstruction = true\n\
         [origin]\ncrs = \"EPSG:4326\"\nposition = [107.194, 16.747, 0.0]\n\
         [[layer]]\nid = \"citadel\"\nkind = \"procedural\"\ngenerator = \"quang-tri-citadel\"\nname = { vi = \"Thành\", en = \"Citadel\" }\n",
    );
    // A bookmark stop, the path along the walls, and a late stop.
    let path_stop = tour
        .stops
        .iter()
        .position(|s| matches!(s.camera, StopCamera::Path { .. }))
        .expect("the tour has a path stop");
    let stops = [0, path_stop, tour.stops.len() - 2];
    for stop in stops {
        let v = tour.stops[stop].view(&scene.bookmarks).unwrap();
        reference.push_str(&format!(
            "[[bookmark]]\nid = \"stop-{stop}\"\nname = {{ vi = \"{stop}\", en = \"{stop}\" }}\neye = [{:?}, {:?}, {:?}]\ntarget = [{:?}, {:?}, {:?}]\nfov_deg = {:?}\n",
            v.eye[0], v.eye[1], v.eye[2], v.target[0], v.target[1], v.target[2], v.fov_deg
        ));
    }
    let reference_path = dir.path().join("stops.toml");
    std::fs::write(&reference_path, reference).unwrap();
    for stop in stops {
        let number = (stop + 1).to_string();
        let (toured, said) = render(
            &scene_path,
            &dir.path().join(format!("tour-{stop}.png")),
            &["--tour", &tour.id, "--stop", &number],
        );
        assert!(said.contains(&format!("tour {}, stop {number}", tour.id)), "{said}");
        let (posed, _) = render(
            &reference_path,
            &dir.path().join(format!("pose-{stop}.png")),
            &["--bookmark", &format!("stop-{stop}")],
        );
        let difference = mean_difference(&toured, &posed);
        println!("stop {number}: mean difference {difference:.3} levels");
        assert!(
            difference < 1.5,
            "stop {number}: the tour's picture differs from its pose's by {difference:.2} levels on average"
        );
    }
    // And the test can tell pictures apart: two different stops differ.
    let a = image::open(dir.path().join(format!("pose-{}.png", stops[0]))).unwrap().to_rgb8();
    let b = image::open(dir.path().join(format!("pose-{}.png", stops[1]))).unwrap().to_rgb8();
    assert!(mean_difference(&a, &b) > 5.0, "two stops' pictures should differ");
}

#[test]
fn a_wrong_tour_or_stop_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never.png");
    for (extra, expected) in [
        (vec!["--tour", "nowhere"], "tour \"nowhere\" is not a tour of this scene"),
        (vec!["--tour", "citadel-walk", "--stop", "99"], "there is no stop 99"),
        (vec!["--tour", "citadel-walk", "--stop", "0"], "expected a stop number from 1"),
        (vec!["--stop", "2"], "--tour"),
    ] {
        let mut args = vec![
            "render",
            "scenes/quang-tri-citadel.toml",
            "--width",
            "64",
            "--height",
            "64",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra.iter().copied());
        let o = Command::new(env!("CARGO_BIN_EXE_sontinh"))
            .args(&args)
            .current_dir(repo())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(expected), "{extra:?}: {stderr}");
    }
}
