//! Throughput of the flood solver and of the connected-inundation map.
//!
//!     cargo bench -p sontinh-flood
//!     SONTINH_BENCH_DEM_OUT=/tmp/dem10m.f32 cargo bench -p sontinh-flood   # also writes the 10M-cell DEM
//!
//! Real terrain: the shared SRTM tile (1201²), mirrored into larger grids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench: stop loudly on missing data

use std::path::PathBuf;
use std::time::Instant;

use sontinh_flood::inundation::{Connectivity, Seed, connected_flood};
use sontinh_flood::{Boundaries, Edge, EdgeInflow, Friction, Raster, Scenario, Settings, Simulation, TimeSeries};

fn srtm() -> Vec<f64> {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join("dem/N44W072.hgt");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("shared test data absent: {}: {e}", path.display()));
    bytes.chunks_exact(2).map(|b| f64::from(i16::from_be_bytes([b[0], b[1]]))).collect()
}

/// An n × n grid tiled from the 1201² tile by mirroring, so that it stays continuous.
fn tiled(tile: &[f64], n: usize) -> Vec<f64> {
    let m = 1201;
    let fold = |k: usize| {
        let p = k % (2 * m - 2);
        if p < m { p } else { 2 * m - 2 - p }
    };
    (0..n * n).map(|i| tile[fold(i / n) * m + fold(i % n)]).collect()
}

/// The Environment Agency's 2D benchmark test 4 (Néelz & Pender 2013): a
/// flat 2000 × 1000 m plain of 5 m cells (80,000), 20 m³/s entering
/// through a 20 m inlet in the middle of the west edge. Small grids, many
/// steps: what a step costs beyond its cells shows here.
fn ea_test_4_simulation(settings: &Settings) -> Simulation {
    let (nx, ny, dx) = (400, 200, 5.0);
    let scenario = Scenario {
        terrain: Raster::new(nx, ny, dx, vec![0.0; nx * ny]).unwrap(),
        friction: Friction::Constant(0.05),
        initial_depth: None,
        rain_mm_per_hour: None,
        inflows: Vec::new(),
        edge_inflows: vec![EdgeInflow {
            edge: Edge::West,
            first: 98,
            last: 101,
            discharge: TimeSeries::constant(20.0),
        }],
        boundaries: Boundaries::closed(),
    };
    Simulation::new(scenario, settings.clone()).unwrap()
}

/// `steps` steps an hour into [`ea_test_4_simulation`], when the front has
/// spread over a good part of the plain.
fn ea_test_4(settings: &Settings, steps: usize) -> (u64, f64) {
    let mut sim = ea_test_4_simulation(settings);
    sim.run_until(3600.0, |_| {});
    let started = Instant::now();
    for _ in 0..steps {
        sim.step_until(f64::INFINITY);
    }
    (sim.steps(), started.elapsed().as_secs_f64())
}

fn main() {
    let tile = srtm();

    // Per-step cost on a small grid, with LISFLOOD-FP's scheme and ours.
    let lisflood = Settings {
        theta: 1.0,
        froude_limit: None,
        ..Settings::default()
    };
    for (name, settings) in [("LISFLOOD-FP's scheme", lisflood.clone()), ("ours", Settings::default())] {
        // The whole 5 h run, as LISFLOOD-FP runs it (its steps and time to
        // compare with its own log).
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let (steps, seconds) = pool.install(|| {
                let mut sim = ea_test_4_simulation(&settings);
                let started = Instant::now();
                sim.run_until(5.0 * 3600.0, |_| {});
                (sim.steps(), started.elapsed().as_secs_f64())
            });
            println!("EA test 4, 5 h, {name}, {threads} thread(s): {steps} steps in {seconds:.1} s");
        }
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let steps = 4000;
            let (_, seconds) = pool.install(|| ea_test_4(&settings, steps));
            println!(
                "EA test 4 (80,000 cells), {name}, {threads} thread(s): {steps} steps in {seconds:.2} s = {:.1} µs a step, {:.1} M cell updates/s",
                seconds / steps as f64 * 1e6,
                80_000.0 * steps as f64 / seconds / 1e6
            );
        }
    }

    // Solver: a 1000 × 1000 grid, a lake released over real terrain.
    let n = 1000;
    let z = tiled(&tile, n);
    let level = 600.0;
    let depth: Vec<f64> = z
        .iter()
        .enumerate()
        .map(|(i, z)| if i % n < 300 { (level - z).max(0.0) } else { 0.0 })
        .collect();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let (steps, seconds) = pool.install(|| {
            let scenario = Scenario {
                terrain: Raster::new(n, n, 30.0, z.clone()).unwrap(),
                friction: Friction::Constant(0.035),
                initial_depth: Some(depth.clone()),
                rain_mm_per_hour: None,
                inflows: Vec::new(),
                edge_inflows: Vec::new(),
                boundaries: Boundaries::closed(),
            };
            let mut sim = Simulation::new(scenario, Settings::default()).unwrap();
            sim.step_until(f64::INFINITY); // warm-up
            let started = Instant::now();
            let steps = 20;
            for _ in 0..steps {
                sim.step_until(f64::INFINITY);
            }
            (steps, started.elapsed().as_secs_f64())
        });
        let updates = (n * n * steps) as f64 / seconds;
        println!(
            "solver 1000x1000, {threads} thread(s): {steps} steps in {seconds:.2} s = {:.1} M cell updates/s",
            updates / 1e6
        );
    }

    // Connected inundation over 10 million cells.
    let n = 3163;
    let z = tiled(&tile, n);
    if let Some(out) = std::env::var_os("SONTINH_BENCH_DEM_OUT") {
        let bytes: Vec<u8> = z.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect();
        std::fs::write(&out, bytes).unwrap();
        println!("wrote the {n}x{n} f32 DEM to {}", PathBuf::from(out).display());
    }
    let terrain = Raster::new(n, n, 90.0, z).unwrap();
    // Gauges in the valleys along the western edge, at 600 m.
    let seeds: Vec<Seed> = (0..n)
        .step_by(50)
        .map(|row| Seed {
            column: 0,
            row,
            level: 600.0,
        })
        .collect();
    let started = Instant::now();
    let depth = connected_flood(&terrain, &seeds, Connectivity::Eight).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let wet = depth.iter().filter(|d| **d > 0.0).count();
    println!(
        "connected flood, {} cells (8-connected): {seconds:.3} s, {wet} cells under water",
        n * n
    );
}
