//! Validation of the solver against analytic solutions and invariants, each
//! with its error bound stated.

use std::path::PathBuf;

use crate::*;

fn closed(terrain: Raster, depth: Vec<f64>, n: f64) -> Scenario {
    Scenario {
        terrain,
        friction: Friction::Constant(n),
        initial_depth: Some(depth),
        rain_mm_per_hour: None,
        inflows: Vec::new(),
        edge_inflows: Vec::new(),
        boundaries: Boundaries::closed(),
    }
}

/// 1D planar wetting front over a flat, rough bed (Bates et al. 2010, after
/// Hunter et al. 2005): h(x, t) = [(7/3)·n²·u²·(u·t − x)]^(3/7) for x < u·t,
/// driven by that depth imposed at x = 0.
#[test]
fn planar_wetting_front_matches_the_analytic_solution() {
    let (n, u, dx, end) = (0.03, 0.1, 5.0, 3600.0);
    let analytic = |x: f64, t: f64| {
        let s = u * t - x;
        if s > 0.0 {
            ((7.0 / 3.0) * n * n * u * u * s).powf(3.0 / 7.0)
        } else {
            0.0
        }
    };
    let stage = TimeSeries::new((0..=720).map(|k| (k as f64 * 5.0, analytic(0.0, k as f64 * 5.0))).collect()).unwrap();
    let (nx, ny) = (200, 3);
    let mut scenario = closed(Raster::new(nx, ny, dx, vec![0.0; nx * ny]).unwrap(), vec![0.0; nx * ny], n);
    scenario.boundaries.west = Boundary::Stage(stage);
    let mut sim = Simulation::new(scenario, Settings::default()).unwrap();
    sim.run_until(end, |_| {});

    let h0 = analytic(0.0, end);
    let (mut sum_sq, mut count) = (0.0, 0);
    for c in 0..nx {
        let x = (c as f64 + 0.5) * dx;
        let (exact, got) = (analytic(x, end), sim.depth()[nx + c]);
        if exact > 0.0 || got > 1e-3 {
            sum_sq += (got - exact).powi(2);
            count += 1;
        }
    }
    let rmse = (sum_sq / count as f64).sqrt();
    // Front position: the last cell wetter than 1 cm, against u·t − (where the
    // analytic depth falls to 1 cm).
    let front = (0..nx)
        .rev()
        .find(|&c| sim.depth()[nx + c] > 0.01)
        .map(|c| (c as f64 + 0.5) * dx)
        .unwrap();
    let exact_front = u * end - 0.01f64.powf(7.0 / 3.0) / ((7.0 / 3.0) * n * n * u * u);
    println!(
        "wetting front: h0 {h0:.4} m, RMSE {rmse:.5} m ({:.2}% of h0), front {front} m vs {exact_front:.1} m",
        100.0 * rmse / h0
    );
    assert!(rmse < 0.03 * h0, "RMSE {rmse} m exceeds 3% of the boundary depth {h0} m");
    assert!(
        (front - exact_front).abs() < 4.0 * dx,
        "front at {front} m, expected {exact_front} m"
    );
}

/// Thacker's (1981) frictionless oscillation in a paraboloid bowl, in its
/// planar-surface form: bed z = h0·(r²/a² − 1), surface η = S(t)·x + C(t)
/// with S = S0·cos ωt, ω = √(2·g·h0)/a, u = −(g·S0/ω)·sin ωt and
/// C = (g·S0²/(2ω²))·sin² ωt. Checked at each quarter of one period.
///
/// The local-inertial equations drop the convective term ∂(q²/h)/∂x, which
/// here is u²·∂h/∂x ≠ 0; its error grows as S0² and does not shrink with Δx
/// (seen: RMSE 3.1 cm at S0 = 1e-4 on 50 m and 25 m cells; 0.24 cm at
/// S0 = 2.5e-5). The test uses a small oscillation, as in the validation of
/// LISFLOOD-FP's inertial solver.
#[test]
fn thacker_parabolic_bowl_over_one_period() {
    let (h0, a, s0): (f64, f64, f64) = (1.0, 2500.0, 2.5e-5);
    let omega = (2.0 * G * h0).sqrt() / a;
    let period = 2.0 * std::f64::consts::PI / omega;
    let bed = |x: f64, y: f64| h0 * ((x * x + y * y) / (a * a) - 1.0);
    let surface = |x: f64, t: f64| s0 * (omega * t).cos() * x + G * s0 * s0 / (2.0 * omega * omega) * (omega * t).sin().powi(2);
    let (dx, half) = (50.0, 3200.0);
    let nx = (2.0 * half / dx) as usize;
    let centre = |c: usize| (c as f64 + 0.5) * dx - half;
    let terrain = Raster::from_fn(nx, nx, dx, |c, r| bed(centre(c), centre(r))).unwrap();
    let depth = (0..nx * nx)
        .map(|i| (surface(centre(i % nx), 0.0) - bed(centre(i % nx), centre(i / nx))).max(0.0))
        .collect();
    let settings = Settings {
        theta: 1.0,
        ..Settings::default()
    };
    let mut sim = Simulation::new(closed(terrain, depth, 0.0), settings).unwrap();
    let mut worst: f64 = 0.0;
    for quarter in 1..=4 {
        let t = period * quarter as f64 / 4.0;
        sim.run_until(t, |_| {});
        let (mut sum_sq, mut count) = (0.0, 0);
        for r in 0..nx {
            for c in 0..nx {
                let (x, y) = (centre(c), centre(r));
                let exact = surface(x, t);
                // Away from the moving shoreline, where both are wet.
                if exact - bed(x, y) > 0.05 && sim.depth()[r * nx + c] > 0.05 {
                    sum_sq += (sim.level(c, r) - exact).powi(2);
                    count += 1;
                }
            }
        }
        let rmse = (sum_sq / count as f64).sqrt();
        println!("Thacker bowl at {quarter}/4 period: surface RMSE {rmse:.4} m over {count} cells");
        worst = worst.max(rmse);
    }
    // The surface swings by 2·S0·a = 12.5 cm across the bowl; the error
    // stays under 3% of that.
    let range = 2.0 * s0 * a;
    assert!(worst < 0.03 * range, "surface RMSE {worst} m exceeds 3% of the {range} m range");
    assert!(sim.balance().relative_error() < 1e-9);
}

fn shared_data() -> PathBuf {
    std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// A window of the shared SRTM tile (White Mountains, NH): real terrain.
fn srtm_window(c0: usize, r0: usize, size: usize) -> Raster {
    let path = shared_data().join("dem/N44W072.hgt");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "the shared test data is absent: cannot read {} ({e}); set SONTINH_SHARED_DATA to the shared data folder",
            path.display()
        )
    });
    assert_eq!(bytes.len(), 1201 * 1201 * 2, "{} is not a 3-arc-second SRTM tile", path.display());
    Raster::from_fn(size, size, 90.0, |c, r| {
        let i = ((r0 + r) * 1201 + c0 + c) * 2;
        f64::from(i16::from_be_bytes([bytes[i], bytes[i + 1]]))
    })
    .unwrap()
}

/// A lake at rest over real, rough terrain stays at rest: no spurious flow
/// from the wet/dry treatment or the bed slopes.
#[test]
fn lake_at_rest_over_real_terrain_stays_at_rest() {
    let terrain = srtm_window(500, 500, 200);
    let level = 700.0;
    let depth: Vec<f64> = terrain.values.iter().map(|z| (level - z).max(0.0)).collect();
    let wet = depth.iter().filter(|d| **d > 0.0).count();
    assert!(wet > 1000 && wet < 39_000, "the lake must have shores: {wet} wet cells");
    let mut sim = Simulation::new(closed(terrain, depth.clone(), 0.035), Settings::default()).unwrap();
    for _ in 0..300 {
        sim.step_until(f64::INFINITY);
    }
    let worst = sim.depth().iter().zip(&depth).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let fastest = sim.velocity().iter().map(|v| v[0].hypot(v[1])).fold(0.0, f64::max);
    println!(
        "lake at rest: {wet} wet cells, {} s simulated, max depth change {worst:e} m, max speed {fastest:e} m/s",
        sim.time()
    );
    assert!(worst < 1e-9, "the surface moved by {worst} m");
    assert!(fastest < 1e-9, "spurious velocity {fastest} m/s");
}

/// With closed boundaries and no forcing, a dam break over rough terrain
/// conserves volume to 1e-6 relative (in practice to round-off).
#[test]
fn closed_domain_conserves_volume() {
    let terrain = srtm_window(300, 700, 150);
    let z_min = terrain.values.iter().copied().fold(f64::INFINITY, f64::min);
    // A column of water in one corner, released at once.
    let depth: Vec<f64> = (0..terrain.len())
        .map(|i| {
            if i % 150 < 40 && i / 150 < 40 {
                (z_min + 120.0 - terrain.values[i]).max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let mut sim = Simulation::new(closed(terrain, depth, 0.04), Settings::default()).unwrap();
    let initial = sim.volume();
    assert!(initial > 0.0);
    sim.run_until(3600.0, |_| {});
    let relative = (sim.volume() - initial).abs() / initial;
    println!("closed domain: {} steps, relative volume change {relative:e}", sim.steps());
    assert!(relative < 1e-6, "volume changed by {relative}");
    assert!(sim.depth().iter().all(|h| *h >= 0.0));
}

/// Rain, a point inflow and free outflow: the volume balance closes.
#[test]
fn volume_balance_closes_with_rain_inflow_and_outflow() {
    let (nx, ny, dx) = (60, 40, 20.0);
    // A plane tilted down to the east.
    let terrain = Raster::from_fn(nx, ny, dx, |c, r| {
        10.0 - 0.01 * c as f64 * dx + 0.002 * (r as f64 - 20.0).abs() * dx
    })
    .unwrap();
    let hydrograph = TimeSeries::new(vec![(0.0, 0.0), (600.0, 5.0), (1800.0, 0.0)]).unwrap();
    let scenario = Scenario {
        terrain,
        friction: Friction::Constant(0.05),
        initial_depth: None,
        rain_mm_per_hour: Some(TimeSeries::constant(50.0)),
        inflows: vec![Inflow {
            column: 2,
            row: 20,
            discharge: hydrograph,
        }],
        edge_inflows: Vec::new(),
        boundaries: Boundaries {
            east: Boundary::FreeOutflow { slope: 0.01 },
            ..Boundaries::closed()
        },
    };
    let mut sim = Simulation::new(scenario, Settings::default()).unwrap();
    sim.run_until(3600.0, |_| {});
    let b = sim.balance();
    println!("balance: {b:?}, relative error {:e}", b.relative_error());
    assert!((b.inflow - 0.5 * 1800.0 * 5.0).abs() < 1e-6, "inflow volume {}", b.inflow);
    let area = (nx * ny) as f64 * dx * dx;
    assert!((b.rain - 0.05 * area).abs() < 1e-6 * b.rain, "rain volume {}", b.rain);
    assert!(b.boundary_net_in < 0.0, "water leaves through the free edge");
    assert!(b.relative_error() < 1e-9, "balance error {}", b.relative_error());
    // The downstream edge is wetter than the upstream one.
    assert!(sim.max_depth()[20 * nx + nx - 1] > sim.max_depth()[5 * nx + 30]);
    assert!(sim.arrival_time()[20 * nx + 3].is_finite());
}

/// Results do not depend on the number of threads.
#[test]
fn one_and_two_threads_give_identical_depths() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let terrain = srtm_window(700, 300, 80);
            let level = terrain.values.iter().copied().fold(f64::INFINITY, f64::min) + 60.0;
            let depth = (0..terrain.len())
                .map(|i| if i % 80 < 20 { (level - terrain.values[i]).max(0.0) } else { 0.0 })
                .collect();
            let mut sim = Simulation::new(closed(terrain, depth, 0.03), Settings::default()).unwrap();
            sim.run_until(1200.0, |_| {});
            sim.depth().to_vec()
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn bad_scenarios_are_errors_not_panics() {
    let terrain = Raster::new(3, 3, 10.0, vec![0.0; 9]).unwrap();
    let mut s = closed(terrain.clone(), vec![0.0; 8], 0.03);
    assert!(matches!(
        Simulation::new(s.clone(), Settings::default()),
        Err(FloodError::SizeMismatch { .. })
    ));
    s.initial_depth = Some(vec![-1.0; 9]);
    assert!(matches!(
        Simulation::new(s.clone(), Settings::default()),
        Err(FloodError::BadValue { .. })
    ));
    s.initial_depth = None;
    s.inflows.push(Inflow {
        column: 9,
        row: 0,
        discharge: TimeSeries::constant(1.0),
    });
    assert!(matches!(
        Simulation::new(s.clone(), Settings::default()),
        Err(FloodError::OutsideGrid { .. })
    ));
    s.inflows.clear();
    let settings = Settings {
        alpha: 2.0,
        ..Settings::default()
    };
    assert!(Simulation::new(s, settings).is_err());
    assert!(Raster::new(3, 3, -1.0, vec![0.0; 9]).is_err());
}

/// A river entering through an edge of a closed basin: every cubic metre of
/// its hydrograph arrives, spread over the faces it names.
#[test]
fn edge_inflow_delivers_its_hydrograph() {
    let (nx, ny, dx) = (40, 30, 25.0);
    let terrain = Raster::from_fn(nx, ny, dx, |c, _| 5.0 - 0.002 * c as f64 * dx).unwrap();
    let mut scenario = closed(terrain, vec![0.0; nx * ny], 0.035);
    let hydrograph = TimeSeries::new(vec![(0.0, 0.0), (1800.0, 300.0), (3600.0, 0.0)]).unwrap();
    scenario.edge_inflows.push(EdgeInflow {
        edge: Edge::West,
        first: 10,
        last: 19,
        discharge: hydrograph,
    });
    let mut sim = Simulation::new(scenario, Settings::default()).unwrap();
    sim.run_until(3600.0, |_| {});
    let expected = 0.5 * 3600.0 * 300.0;
    let b = sim.balance();
    assert!((b.boundary_net_in - expected).abs() < 1e-6 * expected, "{b:?}");
    assert!((sim.volume() - expected).abs() < 1e-6 * expected);
    assert!(sim.depth()[15 * nx] > 0.0 && sim.depth()[2 * nx] < sim.depth()[15 * nx]);
    let bad = EdgeInflow {
        edge: Edge::North,
        first: 5,
        last: 99,
        discharge: TimeSeries::constant(1.0),
    };
    let mut s2 = closed(Raster::new(4, 4, 1.0, vec![0.0; 16]).unwrap(), vec![0.0; 16], 0.03);
    s2.edge_inflows.push(bad);
    assert!(Simulation::new(s2, Settings::default()).is_err());
}
