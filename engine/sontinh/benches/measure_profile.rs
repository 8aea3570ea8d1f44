//! Time to compute a 10 km elevation profile over the SRTM tile of Mount
//! Washington (shared `dem/N44W072.hgt`, the scene `scenes/mount-washington.toml`),
//! through the code of `sontinh measure profile` (`sontinh::measure::profile`:
//! the samples and their JSON), at the command's default spacing (10 m) and
//! at 1 m. The scene and its DEM are read once, outside the timings.
//!
//! cargo bench -p sontinh --bench measure_profile [-- ROUNDS]

use std::path::Path;
use std::time::Instant;

use sontinh::measure::{SceneSurfaces, profile};
use sontinh_geo::Geodetic;

fn main() {
    let rounds: usize = std::env::args().filter(|a| a != "--bench").nth(1).and_then(|r| r.parse().ok()).unwrap_or(21);
    let scene_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/mount-washington.toml");
    let scene = match sontinh_scene::load(&scene_path) {
        Ok(scene) => scene,
        Err(e) => {
            eprintln!("{e} (shared test data absent? set SONTINH_SHARED_DATA)");
            std::process::exit(1);
        }
    };
    let surfaces = match SceneSurfaces::load(&scene) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    // 0.09° of latitude due north over the Presidential Range: 10.0 km.
    let line = [Geodetic::new(-71.30, 44.20, 0.0), Geodetic::new(-71.30, 44.29, 0.0)];
    println!("scene: {} (layers: {})", scene_path.display(), surfaces.layers.iter().map(|l| l.id.as_str()).collect::<Vec<_>>().join(", "));
    for spacing in [10.0, 1.0] {
        let run = || match profile(&line, spacing, &surfaces) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let first = run();
        let samples = first["samples"].as_array().map_or(0, Vec::len);
        let length = first["samples"].as_array().and_then(|s| s.last()).and_then(|s| s["distance_m"].as_f64()).unwrap_or(f64::NAN);
        let mut times: Vec<f64> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(run());
                t.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "profile of {:.1} m at {spacing} m spacing: {samples} samples; p50 {:.2} ms, max {:.2} ms over {rounds} runs",
            length,
            times[times.len() / 2] * 1e3,
            times[times.len() - 1] * 1e3
        );
    }
}
