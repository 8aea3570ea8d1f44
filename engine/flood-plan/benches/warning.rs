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

const SCENE: &str = r#"format = 1

[site]
id = "warning-10m"
name = { vi = "Cảnh báo lũ, 10 triệu ô", en = "Flood warning, 10 M cells" }
description = { vi = "Đo thời gian", en = "Bench" }

[origin]
crs = "EPSG:4326"
position = [-71.3033, 44.2708, 0.0]

[[layer]]
id = "srtm"
kind = "terrain"
path = "shared:dem/N44W072.hgt"
name = { vi = "SRTM", en = "SRTM" }

[[bookmark]]
id = "overview"
name = { vi = "Toàn cảnh", en = "Overview" }
eye = [2000.0, -3000.0, 3000.0]
target = [0.0, 0.0, 1500.0]

[[flood_scenario]]
id = "notch"
name = { vi = "Lũ khe Pinkham", en = "Pinkham Notch flood" }
terrain_layer = "srtm"
duration_hours = 1.0
cell_size_m = 22.0
extent_m = 35000.0
output_interval_minutes = 60.0

[[flood_scenario.gauge]]
id = "pinkham"
name = { vi = "Khe Pinkham", en = "Pinkham Notch" }
position = [4000.0, -1530.0]
"#;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warning-10m.toml");
    std::fs::write(&path, SCENE).unwrap();
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
