#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The tour authoring round trip on the shipped Citadel tour: the camera's
//! view captured as a new stop and a hotspot placed at a point, written into
//! a copy of the scene file (as the viewer's authoring window saves), the
//! file's comments kept, the copy loaded as `scene check` loads it, and the
//! tour player, handed the reloaded scene as the viewer hands it, putting the
//! camera at the captured view when the new stop is opened.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use sontinh_camera::{FloatingOrigin, Pose};
use std::sync::Arc;

use sontinh_layers::ActiveScene;
use sontinh_scene::{Coords, HotspotDraft, StopCamera, StopDraft, Text};
use sontinh_tour_view::{ActiveTour, TourAction, TourNow};

const TOUR: &str = "citadel-walk";

mod common;

use common::{camera_view, repo};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder in the temporary folder");
    for entry in std::fs::read_dir(from).expect("the folder to copy") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copied file");
        }
    }
}

/// A folder laid out as the repository is where the Citadel scene's paths
/// lead (`scenes/`, `assets/tours/quang-tri-citadel/`), removed when dropped.
struct Site(PathBuf);

impl Site {
    fn new() -> Site {
        let root = std::env::temp_dir().join(format!("sontinh-authoring-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("scenes")).expect("the scenes folder");
        copy_dir(
            &repo().join("assets/tours/quang-tri-citadel"),
            &root.join("assets/tours/quang-tri-citadel"),
        );
        Site(root)
    }

    fn scene(&self) -> PathBuf {
        self.0.join("scenes/quang-tri-citadel.toml")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn comments(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| l.starts_with('#')).collect()
}

fn app(scene: sontinh_scene::Scene, camera: Pose) -> App {
    common::app(scene, camera, 50f32.to_radians())
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[test]
fn a_captured_stop_and_hotspot_are_saved_with_the_comments_kept_pass_the_check_and_play() {
    let original_text = std::fs::read_to_string(repo().join("scenes/quang-tri-citadel.toml")).expect("the Citadel scene");
    let site = Site::new();
    std::fs::write(site.scene(), &original_text).expect("the copy");
    let original = sontinh_scene::load(&site.scene()).expect("the copy loads");
    let stops = original.tours[0].stops.len();

    // The curator's camera, somewhere no stop of the tour rests: over the
    // south-west of the walls, looking north-east at the memorial's foot.
    let origin = FloatingOrigin::default();
    let curator = Pose {
        eye: origin.to_world([-180.0, -240.0, 95.0]),
        target: origin.to_world([10.0, 20.0, 3.0]),
    };
    let mut app = app(original.clone(), curator);
    let captured = camera_view(&mut app);
    assert!(distance(captured.eye, [-180.0, -240.0, 95.0]) < 0.01, "{captured:?}");
    assert!((captured.fov_deg - 50.0).abs() < 1e-3, "{captured:?}");

    // What the window writes: the stop at the end, a hotspot at a picked
    // point, shown at the new stop.
    let draft = StopDraft {
        view: captured,
        title: Some(Text {
            vi: "Nhìn từ góc tây nam".into(),
            en: "From the south-west".into(),
        }),
        text: Text {
            vi: "Từ góc **tây nam**, ta thấy cả bốn mặt thành.\n".into(),
            en: "From the **south-west** corner all four sides are in sight.\n".into(),
        },
    };
    let spot = HotspotDraft {
        id: "south-west-bastion".into(),
        enu: [-305.0, -305.0, 12.0],
        title: Text {
            vi: "Pháo đài góc tây nam".into(),
            en: "The south-west bastion".into(),
        },
        article: Text {
            vi: "Một trong bốn *pháo đài* góc.".into(),
            en: "One of the four corner *bastions*.".into(),
        },
    };
    let frame = original.frame;
    let text = sontinh_scene::add_stop(&original_text, TOUR, stops, &draft, &frame, Coords::Local).expect("the stop");
    let text = sontinh_scene::add_hotspot(&text, &spot, &frame, Coords::Local).expect("the hotspot");
    let text = sontinh_scene::show_hotspot_at_stop(&text, TOUR, stops, "south-west-bastion").expect("shown");
    std::fs::write(site.scene(), &text).expect("saved");

    // The file keeps its comments, every one, in order.
    let saved_text = std::fs::read_to_string(site.scene()).expect("the saved file");
    assert_eq!(comments(&saved_text), comments(&original_text));
    assert!(comments(&original_text).len() > 60, "the Citadel scene is commented");

    // `scene check`: the saved file loads, with every file it names found.
    let saved = sontinh_scene::load(&site.scene()).unwrap_or_else(|e| panic!("the saved scene is refused: {e}"));
    assert!(saved.missing_files.is_empty(), "{:?}", saved.missing_files);
    assert_eq!(saved.tours[0].stops.len(), stops + 1);
    let StopCamera::Pose(written) = saved.tours[0].stops[stops].camera.clone() else {
        panic!("the new stop is a pose")
    };
    // Written to the millimetre (and the field of view to 0.01°).
    assert!(distance(written.eye, captured.eye) < 6e-4 && distance(written.target, captured.target) < 6e-4);
    assert!((written.fov_deg - captured.fov_deg).abs() < 0.006);
    let new_spot = saved
        .hotspots
        .iter()
        .position(|h| h.id == "south-west-bastion")
        .expect("the hotspot");
    assert_eq!(saved.hotspots[new_spot].enu, [-305.0, -305.0, 12.0]);

    // The viewer replaces the scene in memory after saving; the camera has
    // gone elsewhere meanwhile (the tour's first stop).
    app.world_mut().write_message(TourAction::Start { tour: 0, stop: Some(0) });
    app.update();
    let elsewhere = camera_view(&mut app);
    assert!(distance(elsewhere.eye, captured.eye) > 100.0, "{elsewhere:?}");
    app.world_mut().resource_mut::<ActiveScene>().bypass_change_detection().0 = Arc::new(saved.clone());
    app.world_mut().write_message(TourAction::Start {
        tour: 0,
        stop: Some(stops),
    });
    app.update();
    let now = app.world().resource::<TourNow>().clone();
    assert_eq!((now.stop, now.stops, now.arrived), (stops, stops + 1, true), "{now:?}");
    let shown = camera_view(&mut app);
    // f32 world coordinates near the origin: centimetres.
    assert!(
        distance(shown.eye, captured.eye) < 0.05 && distance(shown.target, captured.target) < 0.05,
        "the camera is at {shown:?}, captured {captured:?}"
    );
    assert!((shown.fov_deg - captured.fov_deg).abs() < 0.01, "{shown:?}");
    // The new stop shows the new hotspot.
    let shown_spots = sontinh_tour_view::hotspots::shown_hotspots(&saved, app.world().resource::<ActiveTour>());
    assert_eq!(shown_spots, vec![new_spot]);
}
