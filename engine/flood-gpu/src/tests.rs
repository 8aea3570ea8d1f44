use sontinh_flood::{Boundaries, Raster, Simulation};

use approx::assert_relative_eq;

use super::*;

#[test]
fn the_shader_parses_and_validates() {
    let module = naga::front::wgsl::parse_str(SHADER).unwrap_or_else(|e| panic!("{}", e.emit_to_string(SHADER)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .unwrap();
    for kernel in KERNELS {
        assert!(module.entry_points.iter().any(|e| e.name == kernel), "{kernel} missing");
    }
    // WebGPU guarantees 8 storage buffers per stage (maxStorageBuffersPerShaderStage):
    // a browser's device may have no more.
    let storage = module.global_variables.iter().filter(|(_, v)| matches!(v.space, naga::AddressSpace::Storage { .. })).count();
    assert!(storage <= 8, "{storage} storage buffers, more than WebGPU's 8 per stage");
}

/// A dam break over rough synthetic terrain with rain, on both back-ends
/// with the same steps: the GPU (f32) follows the CPU (f64) to within
/// 1 cm of depth everywhere, and the volumes agree to 1e-4 relative.
#[test]
fn cpu_and_gpu_agree() {
    let (nx, ny, dx) = (96, 80, 10.0);
    let terrain = Raster::from_fn(nx, ny, dx, |c, r| {
        let (x, y) = (c as f64 * dx, r as f64 * dx);
        2.0 + 1.5 * (x / 140.0).sin() * (y / 90.0).cos() + 0.004 * x
    })
    .unwrap();
    let depth = (0..nx * ny)
        .map(|i| if i % nx < 25 { (4.5 - terrain.values[i]).max(0.0) } else { 0.0 })
        .collect();
    let scenario = Scenario {
        terrain,
        friction: Friction::Constant(0.03),
        initial_depth: Some(depth),
        rain_mm_per_hour: Some(TimeSeries::constant(30.0)),
        inflows: Vec::new(),
        edge_inflows: Vec::new(),
        boundaries: Boundaries::closed(),
    };
    let settings = Settings::default();
    let mut gpu = GpuSimulation::new(&scenario, &settings).unwrap();
    println!("GPU adapter: {}", gpu.adapter());
    let mut cpu = Simulation::new(scenario, settings).unwrap();
    let dt = cpu.time_step();
    for _ in 0..10 {
        cpu.advance_fixed(dt, 30);
        gpu.advance(dt, 30);
    }
    let (c, g) = (cpu.depth().to_vec(), gpu.depth().unwrap());
    let worst = c.iter().zip(&g).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let (vc, vg): (f64, f64) = (c.iter().sum(), g.iter().sum());
    println!(
        "after {} s: max depth difference {worst:.2e} m, volume {vc:.3} vs {vg:.3} (× cell area)",
        cpu.time()
    );
    assert!(
        c.iter().any(|d| *d > 0.5) && c.iter().filter(|d| **d > 0.01).count() > nx * ny / 3,
        "the water spread"
    );
    assert!(worst < 0.01, "depths differ by {worst} m");
    assert!((vc - vg).abs() / vc < 1e-4, "volumes {vc} and {vg}");
}

/// Every forcing at once: a river entering through the west edge, a point
/// inflow, rain, a stage on the north edge and free outflow to the east.
fn every_forcing() -> Scenario {
    let (nx, ny, dx) = (80, 60, 20.0);
    let terrain = Raster::from_fn(nx, ny, dx, |c, r| {
        let (x, y) = (c as f64 * dx, r as f64 * dx);
        3.0 - 0.002 * x + 0.8 * (y / 200.0).sin() + 0.5 * (x / 170.0).cos()
    })
    .unwrap();
    Scenario {
        terrain,
        friction: Friction::Constant(0.04),
        initial_depth: None,
        rain_mm_per_hour: Some(TimeSeries::constant(20.0)),
        inflows: vec![sontinh_flood::Inflow {
            column: 40,
            row: 10,
            discharge: TimeSeries::new(vec![(0.0, 0.0), (900.0, 40.0)]).unwrap(),
        }],
        edge_inflows: vec![EdgeInflow {
            edge: Edge::West,
            first: 25,
            last: 34,
            discharge: TimeSeries::new(vec![(0.0, 50.0), (1200.0, 400.0)]).unwrap(),
        }],
        boundaries: Boundaries {
            north: Boundary::Stage(TimeSeries::new(vec![(0.0, 2.0), (1800.0, 4.5)]).unwrap()),
            east: Boundary::FreeOutflow { slope: 0.002 },
            ..Boundaries::closed()
        },
    }
}

/// With [`every_forcing`], the GPU follows the CPU to within 1 cm of depth, and maximum depth and arrival
/// agree as well.
#[test]
fn cpu_and_gpu_agree_with_every_forcing() {
    let (nx, ny) = (80, 60);
    let scenario = every_forcing();
    let settings = Settings::default();
    let mut gpu = GpuSimulation::new(&scenario, &settings).unwrap();
    let mut cpu = Simulation::new(scenario, settings).unwrap();
    let dt = 0.5;
    for _ in 0..12 {
        cpu.advance_fixed(dt, 200);
        gpu.advance(dt, 200);
    }
    let differ = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    let depth = differ(cpu.depth(), &gpu.depth().unwrap());
    let max_depth = differ(cpu.max_depth(), &gpu.max_depth().unwrap());
    let (ca, ga) = (cpu.arrival_time(), gpu.arrival_time().unwrap());
    let arrivals_agree = ca.iter().zip(&ga).filter(|(a, b)| a.is_finite() == b.is_finite()).count();
    let arrival = ca
        .iter()
        .zip(&ga)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "after {} s: depth {depth:.2e} m, max depth {max_depth:.2e} m, arrival {arrival:.1} s apart, {arrivals_agree}/{} cells agree on arriving",
        cpu.time(),
        nx * ny
    );
    assert!(
        cpu.depth().iter().filter(|d| **d > 0.1).count() > 200,
        "the river and the stage flooded something"
    );
    assert!(depth < 0.01, "depths differ by {depth} m");
    assert!(max_depth < 0.01, "maximum depths differ by {max_depth} m");
    let speed = cpu
        .velocity()
        .iter()
        .zip(gpu.velocity().unwrap())
        .map(|(a, b)| (a[0] - b[0]).hypot(a[1] - b[1]))
        .fold(0.0, f64::max);
    assert!(speed < 0.01, "velocities differ by {speed} m/s");
    assert!(arrivals_agree >= nx * ny * 99 / 100, "{arrivals_agree} cells agree on arrival");
    assert!(arrival <= 2.0 * dt + 1e-9, "arrival times differ by {arrival} s");
}

#[test]
fn invalid_scenarios_are_refused() {
    let terrain = Raster::new(4, 4, 1.0, vec![0.0; 16]).unwrap();
    let scenario = Scenario {
        terrain,
        friction: Friction::Constant(0.03),
        initial_depth: Some(vec![1.0; 3]),
        rain_mm_per_hour: None,
        inflows: Vec::new(),
        edge_inflows: Vec::new(),
        boundaries: Boundaries::closed(),
    };
    assert!(matches!(
        GpuSimulation::new(&scenario, &Settings::default()),
        Err(GpuError::Scenario(_))
    ));
}

/// The volume through the edges is measured on the GPU, not taken as what
/// closes the balance: with every forcing, water enters through the river
/// and the stage and leaves through the free edge, and the GPU's net edge
/// volume follows the CPU solver's (the same steps) to 1e-4 of the water
/// moved, while its balance closes to 1e-4 on its own measurements (lavapipe:
/// 1e-6 and 4e-6).
#[test]
fn the_gpu_measures_the_flow_through_the_edges() {
    let scenario = every_forcing();
    let settings = Settings::default();
    let mut gpu = GpuSimulation::new(&scenario, &settings).unwrap();
    let mut cpu = Simulation::new(scenario, settings).unwrap();
    let dt = 0.5;
    for _ in 0..12 {
        cpu.advance_fixed(dt, 200);
        gpu.advance(dt, 200);
    }
    let (c, g) = (cpu.balance(), gpu.balance().unwrap());
    println!("CPU {c:?}\nGPU {g:?}\nGPU error {:.2e} relative", g.relative_error());
    // Forcings booked as the CPU books them (f64, same steps).
    assert!((c.rain - g.rain).abs() <= 1e-9 * c.rain, "rain {} and {}", c.rain, g.rain);
    assert!((c.inflow - g.inflow).abs() <= 1e-9 * c.inflow, "inflow {} and {}", c.inflow, g.inflow);
    // The river alone brings 50 to 400 m³/s over 1200 s, so the edges moved
    // hundreds of thousands of m³; both solvers agree on the net.
    let river = (50.0 + 400.0) / 2.0 * 1200.0;
    assert!(c.boundary_net_in.abs() > 0.1 * river, "the edges moved water on the CPU: {c:?}");
    let moved = river.max(c.current);
    assert!(
        (c.boundary_net_in - g.boundary_net_in).abs() < 1e-4 * moved,
        "net edge volume {} on the CPU, {} on the GPU",
        c.boundary_net_in,
        g.boundary_net_in
    );
    assert!(g.relative_error() < 1e-4, "GPU balance error {:.2e}: {g:?}", g.relative_error());
}

/// A closed box: nothing crosses the edges (exactly zero), and the GPU's
/// balance is rain plus the water it started with.
#[test]
fn a_closed_box_measures_no_edge_flow() {
    let (nx, ny, dx) = (40, 30, 10.0);
    let terrain = Raster::from_fn(nx, ny, dx, |c, r| 1.0 + 0.02 * c as f64 + 0.01 * r as f64).unwrap();
    let scenario = Scenario {
        terrain,
        friction: Friction::Constant(0.03),
        initial_depth: Some((0..nx * ny).map(|i| if i % nx < 10 { 1.5 } else { 0.0 }).collect()),
        rain_mm_per_hour: Some(TimeSeries::constant(36.0)),
        inflows: Vec::new(),
        edge_inflows: Vec::new(),
        boundaries: Boundaries::closed(),
    };
    let mut gpu = GpuSimulation::new(&scenario, &Settings::default()).unwrap();
    gpu.advance(0.5, 400);
    let b = gpu.balance().unwrap();
    let area = (nx * ny) as f64 * dx * dx;
    assert_eq!(b.boundary_net_in, 0.0, "{b:?}");
    assert!((b.initial - 1.5 * (10 * ny) as f64 * dx * dx).abs() < 1e-6, "{b:?}");
    // 36 mm/h for 200 s.
    assert!((b.rain - 0.036 / 3600.0 * 200.0 * area).abs() < 1e-6 * b.rain, "{b:?}");
    assert!(b.relative_error() < 1e-5, "{b:?}");
}

/// The non-blocking path a browser takes (run in adaptive batches, results
/// read by awaiting the mapping) gives what the blocking path gives on a
/// twin simulation, and lands on the asked end time.
#[test]
fn the_async_path_matches_the_blocking_one() {
    let (nx, ny, dx) = (40, 30, 10.0);
    let terrain = Raster::from_fn(nx, ny, dx, |c, r| 1.0 + 0.02 * c as f64 + 0.3 * (r as f64 / 7.0).sin()).unwrap();
    let depth = (0..nx * ny).map(|i| if i % nx < 8 { 1.5 } else { 0.0 }).collect();
    let scenario = Scenario {
        terrain,
        friction: Friction::Constant(0.03),
        initial_depth: Some(depth),
        rain_mm_per_hour: Some(TimeSeries::constant(20.0)),
        inflows: Vec::new(),
        edge_inflows: Vec::new(),
        boundaries: Boundaries::closed(),
    };
    let settings = Settings::default();
    let mut blocking = GpuSimulation::new(&scenario, &settings).unwrap();
    let mut awaiting = GpuSimulation::new(&scenario, &settings).unwrap();
    let mut batches = 0;
    blocking.run_until(300.0, &mut |_| batches += 1).unwrap();
    pollster::block_on(awaiting.run_until_async(300.0, &mut |_| {})).unwrap();
    assert!((awaiting.time() - 300.0).abs() < 1e-6, "ended at {} s", awaiting.time());
    assert_eq!(awaiting.steps(), blocking.steps());
    assert!(batches >= 2 && blocking.steps() >= 10, "{batches} batches, {} steps", blocking.steps());
    let state = pollster::block_on(awaiting.final_state_async()).unwrap();
    assert_eq!(state.depth, blocking.depth().unwrap());
    assert_eq!(state.max_depth, blocking.max_depth().unwrap());
    assert_eq!(state.velocity, blocking.velocity().unwrap());
    assert_eq!(state.balance, blocking.balance().unwrap());
    // Closed edges: the water held is what was there plus the rain (an
    // exact answer from the inputs: 20 mm/h for 300 s over the grid).
    let rain = 20.0 / 1000.0 / 3600.0 * 300.0 * (nx * ny) as f64 * dx * dx;
    assert!((state.balance.rain - rain).abs() / rain < 1e-9);
    let initial = 8.0 * ny as f64 * 1.5 * dx * dx;
    assert!((state.balance.current - initial - rain).abs() / (initial + rain) < 1e-4, "held {} m³", state.balance.current);
}

/// The time step comes from the deepest water found on the GPU, and from a
/// stage edge deeper than anything inside, as the CPU solver's does; batches
/// longer than one submission (200 steps) keep each step's forcings.
#[test]
fn the_time_step_follows_the_cpu_solver() {
    let scenario = every_forcing();
    let settings = Settings::default();
    let mut gpu = GpuSimulation::new(&scenario, &settings).unwrap();
    let mut cpu = Simulation::new(scenario, settings).unwrap();
    // Dry at the start: only the north stage (2 m above the lowest bed) counts.
    assert_eq!(gpu.time_step().unwrap(), cpu.time_step());
    assert!(cpu.time_step() < Settings::default().max_time_step, "the stage edge sets the step");
    for _ in 0..3 {
        cpu.advance_fixed(0.5, 200);
        gpu.advance(0.5, 200);
        let (c, g) = (cpu.time_step(), gpu.time_step().unwrap());
        let deepest = gpu.depth().unwrap().into_iter().fold(0.0, f64::max);
        println!("after {} s: step {c:.4} s on the CPU, {g:.4} s on the GPU, deepest {deepest:.3} m", cpu.time());
        assert_relative_eq!(g, c, max_relative = 1e-3);
        assert_eq!(gpu.steps(), cpu.steps());
    }
}

/// Batches between readbacks: one step while dry, the fewest while the
/// rise is unknown, the most while the water holds or falls, and as many as
/// keep the rise at the last batch's rate within 10 % (10 steps that doubled
/// the depth: the fewest; 10 steps that added 0.5 %: 1.005^19 = 1.0994,
/// 19 steps).
#[test]
fn batches_lengthen_as_the_water_steadies() {
    assert_eq!(batch_steps(None, 0.0, 1e-3), 1);
    assert_eq!(batch_steps(Some((2.0, 10)), 0.0, 1e-3), 1);
    assert_eq!(batch_steps(None, 2.0, 1e-3), STEPS_PER_TIME_STEP);
    assert_eq!(batch_steps(Some((0.0, 10)), 2.0, 1e-3), STEPS_PER_TIME_STEP);
    assert_eq!(batch_steps(Some((2.0, 10)), 2.0, 1e-3), MAX_BATCH_STEPS);
    assert_eq!(batch_steps(Some((2.0, 10)), 1.5, 1e-3), MAX_BATCH_STEPS);
    assert_eq!(batch_steps(Some((1.0, 10)), 2.0, 1e-3), STEPS_PER_TIME_STEP);
    assert_eq!(batch_steps(Some((1.0, 10)), 1.005f64.powi(10), 1e-3), 19);
}
