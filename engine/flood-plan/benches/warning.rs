//! The live flood warning's computation on a 10 M-cell grid: the shared SRTM
//! tile around Mount Washington resampled to 22 m over 70 × 70 km (3,182²
//! cells), a gauge in Pinkham Notch at 700 m. Preparing (once, when the
//! gateway starts) and each warning (the priority flood, the places and the
//! extent's GeoJSON) are timed apart.
//!
//!     cargo bench -p sontinh-flood-plan --bench warning
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a bench: stop loudly

use std::time::Instant;

use sontinh_flood_plan::{PreparedWarning, disk_files};

/// The test scene of rain on Mount Washington, its grid made 10 M cells,
/// with a gauge.
fn scene_text() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenes/flood-srtm.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    let text = base.replace("cell_size_m = 60.0", "cell_size_m = 22.0").replace("extent_m = 1500.0", "extent_m = 35000.0");
    assert!(text.contains("cell_size_m = 22.0") && text.contains("extent_m = 35000.0"), "{} changed: update this bench", path.display());
    text + "\n[[flood_scenario.gauge]]\nid = \"pinkham\"\nname = { vi = \"Khe Pinkham\", en = \"Pinkham Notch\" }\nposition = [4000.0, -1530.0]\n"
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warning-10m.toml");
    std::fs::write(&path, scene_text()).unwrap();
    let scene = sontinh_scene::load(&path).unwrap_or_else(|e| panic!("{e} (is SONTINH_SHARED_DATA set?)"));
    let started = Instant::now();
    let prepared = PreparedWarning::new(&scene, None, &disk_files).unwrap();
    println!("prepared {} cells in {:.2} s", prepared.cells(), started.elapsed().as_secs_f64());
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let warning = prepared.warning(&[("pinkham".to_owned(), 700.0)]).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        times.push(seconds);
        println!(
            "warning: {:.1} km² under water, deepest {:.1} m, extent GeoJSON {:.1} MB, in {seconds:.2} s",
            warning.flooded_area_km2,
            warning.max_depth_m,
            warning.extent.len() as f64 / 1e6
        );
    }
    times.sort_by(f64::total_cmp);
    println!("median warning computation: {:.2} s", times[1]);
}
