//! Cell updates per second of the GPU back-end, beside the CPU solver on the
//! same 1000 × 1000 grid of real terrain (the shared SRTM tile).
//!
//!     cargo bench -p sontinh-flood-gpu
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench: stop loudly

use std::path::PathBuf;
use std::time::Instant;

use sontinh_flood::{Boundaries, Friction, Raster, Scenario, Settings, Simulation};
use sontinh_flood_gpu::GpuSimulation;

fn main() {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join("dem/N44W072.hgt");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("shared test data absent: {}: {e}", path.display()));
    let n = 1000;
    let z: Vec<f64> = (0..n * n)
        .map(|i| {
            let k = ((i / n) * 1201 + i % n) * 2;
            f64::from(i16::from_be_bytes([bytes[k], bytes[k + 1]]))
        })
        .collect();
    let depth: Vec<f64> = z
        .iter()
        .enumerate()
        .map(|(i, z)| if i % n < 300 { (600.0 - z).max(0.0) } else { 0.0 })
        .collect();
    let scenario = Scenario {
        terrain: Raster::new(n, n, 30.0, z).unwrap(),
        friction: Friction::Constant(0.035),
        initial_depth: Some(depth),
        rain_mm_per_hour: None,
        inflows: Vec::new(),
        edge_inflows: Vec::new(),
        boundaries: Boundaries::closed(),
    };
    let settings = Settings::default();
    let mut gpu = GpuSimulation::new(&scenario, &settings).unwrap();
    let mut cpu = Simulation::new(scenario, settings).unwrap();
    let dt = cpu.time_step();
    let steps = 20;

    gpu.advance(dt, 1);
    gpu.depth().unwrap();
    let started = Instant::now();
    gpu.advance(dt, steps);
    gpu.depth().unwrap(); // waits for the GPU
    let gpu_s = started.elapsed().as_secs_f64();

    cpu.advance_fixed(dt, 1);
    let started = Instant::now();
    cpu.advance_fixed(dt, steps);
    let cpu_s = started.elapsed().as_secs_f64();

    let updates = (n * n * steps) as f64;
    println!("flood 1000x1000, {steps} steps:");
    println!(
        "  GPU ({}): {gpu_s:.2} s = {:.1} M cell updates/s",
        gpu.adapter(),
        updates / gpu_s / 1e6
    );
    println!(
        "  CPU ({} threads): {cpu_s:.2} s = {:.1} M cell updates/s",
        rayon_threads(),
        updates / cpu_s / 1e6
    );
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
