use std::cell::RefCell;
use std::path::{Path, PathBuf};

use sontinh_flood::Simulation;
use sontinh_scene::{FloodScheme, SchemePreset};

use super::*;

fn test_scene(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenes").join(name)
}

fn load(name: &str) -> sontinh_scene::Scene {
    sontinh_scene::load(&test_scene(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn raster(file: &OutputFile) -> sontinh_raster::GeoRaster {
    sontinh_raster::read_bytes(Path::new(&file.name), &file.bytes).unwrap_or_else(|e| panic!("{}: {e}", file.name))
}

fn run_to_end(plan: Plan) -> (Vec<OutputFile>, Finished) {
    let engine = Simulation::new(plan.solver.clone(), plan.settings.clone()).expect("solver");
    let (mut run, mut files) = FloodRun::start(plan, engine).expect("start");
    let mut last = 0.0;
    while !run.is_done() {
        files.extend(run.step(&mut |t| {
            assert!(t >= last, "time went back from {last} to {t}");
            last = t;
        })
        .expect("step"));
    }
    let finished = run.finish().expect("finish");
    (files, finished)
}

/// Closed edges: at the end the water on the grid is what was there, plus
/// the rain and the river, integrated here from the scene's own figures
/// (10 mm/h for 0.5 h with a one-minute taper; 500 → 8000 m³/s over the
/// first half hour, then 8000 m³/s).
#[test]
fn a_run_in_steps_keeps_the_water_the_scene_puts_in() {
    let scene = load("flood-small.toml");
    let plan = Plan::new(&scene, None, &disk_files).expect("plan");
    let d = plan.domain.clone();
    assert_eq!((d.nx, d.ny, d.cell), (50, 50, 40.0), "2 km square of 40 m cells");
    let cell_area = d.cell * d.cell;
    let initial: f64 = d.initial_depth.iter().sum::<f64>() * cell_area;
    let rain = 10.0 / 1000.0 / 3600.0 * (1800.0 + 30.0) * cell_area * (d.nx * d.ny) as f64;
    let river = (500.0 + 8000.0) / 2.0 * 1800.0 + 8000.0 * 1800.0;
    let (files, finished) = run_to_end(plan);
    let final_depth = raster(finished.files.iter().find(|f| f.name == "depth_final.tif").expect("depth_final.tif"));
    let volume: f64 = final_depth.values.iter().sum::<f64>() * cell_area;
    let expected = initial + rain + river;
    assert!((volume - expected).abs() / expected < 1e-3, "volume {volume:.0} m³, expected {expected:.0} m³");

    // One snapshot at the start and each 10 minutes, indexed in order.
    let snapshots: Vec<&OutputFile> = files.iter().filter(|f| f.name.starts_with("snapshots/depth_")).collect();
    assert_eq!(snapshots.len(), 7);
    let index = files.iter().rev().find(|f| f.name == sontinh_flood::outputs::SNAPSHOT_INDEX).expect("index");
    let listed = sontinh_flood::outputs::parse_snapshot_index(std::str::from_utf8(&index.bytes).expect("utf-8")).expect("index");
    let times: Vec<f64> = listed.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![0.0, 600.0, 1200.0, 1800.0, 2400.0, 3000.0, 3600.0]);
    // The maximum over the run is at least every sampled depth, and reached by one.
    let max_depth = raster(finished.files.iter().find(|f| f.name == "max_depth.tif").expect("max_depth.tif"));
    let sampled_max = snapshots.iter().map(|f| raster(f)).fold(vec![0.0f64; d.nx * d.ny], |acc, r| acc.iter().zip(&r.values).map(|(a, b)| a.max(*b)).collect());
    assert!(max_depth.values.iter().zip(&sampled_max).all(|(m, s)| *m >= *s - 1e-4));
    assert_eq!((max_depth.width, max_depth.height, max_depth.transform), (d.nx, d.ny, d.transform));
    for name in ["terrain.tif", "arrival_time.tif", "speed_final.tif", "gauges.csv", "places.csv", "extent.geojson", "summary.json"] {
        assert!(files.iter().chain(&finished.files).any(|f| f.name == name), "{name} missing");
    }
    let gauges = &finished.files.iter().find(|f| f.name == "gauges.csv").expect("gauges").bytes;
    assert_eq!(std::str::from_utf8(gauges).expect("utf-8").lines().count(), 1 + 7);
    assert_eq!(finished.places.len(), 2);
}

/// The SRTM tile is resampled onto a UTM grid around the origin, read
/// through the files the plan is given (only the DEM): the cell at the
/// origin, Mount Washington's summit, is near its surveyed 1916.6 m
/// (USGS: 6288 ft).
#[test]
fn a_dem_scenario_reads_only_its_dem_through_the_files_given() {
    let scene = load("flood-srtm.toml");
    let asked = RefCell::new(Vec::new());
    let files = |path: &Path| {
        asked.borrow_mut().push(path.to_path_buf());
        disk_files(path)
    };
    let plan = Plan::new(&scene, Some("storm"), &files).expect("plan");
    let asked = asked.into_inner();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].ends_with("dem/N44W072.hgt"), "{asked:?}");
    let d = &plan.domain;
    assert_eq!(d.epsg, 32619, "UTM 19N for Mount Washington");
    let (c, r) = d.cell_of(&scene, &plan.to_utm, [0.0, 0.0]).expect("transform").expect("inside");
    let summit = d.z[r * d.nx + c];
    assert!((summit - 1916.6).abs() < 25.0, "summit cell at {summit:.1} m");
    // A DEM that cannot be had is named.
    let err = Plan::new(&scene, Some("storm"), &|p: &Path| Err(format!("{}: not here", p.display()))).err().expect("no DEM");
    assert!(err.contains("N44W072.hgt: not here"), "{err}");
    assert!(Plan::new(&scene, Some("nope"), &disk_files).err().expect("no such scenario").contains("has no flood scenario \"nope\""));
}

#[test]
fn a_run_request_carries_the_scene_and_the_planners_edits() {
    let path = test_scene("flood-small.toml");
    let text = std::fs::read_to_string(&path).expect("scene");
    let scene = load("flood-small.toml");
    let mut edits = ScenarioEdits::from_scenario(0, &scene.flood_scenarios[0]);
    edits.rain_mm_per_hour = 25.0;
    edits.inflow_scale = 0.5;
    edits.breach = Some([-80.0, -250.0]);
    let request = RunRequest { scene_url: "scenes/flood-small.toml".into(), scene_text: text, edits: edits.clone() };
    let back = RunRequest::from_bytes(&request.to_bytes()).expect("bytes");
    assert_eq!(back, request);
    let (edited, id) = back.scene().expect("scene");
    assert_eq!(id, "short");
    let s = &edited.flood_scenarios[0];
    assert_eq!(s.rain_mm_per_hour, 25.0);
    assert_eq!(s.inflows[0].hydrograph[1].1, 4000.0, "8000 m³/s halved");
    assert_eq!(s.breaches.len(), 2);
    assert_eq!(s.breaches[1].from, [-80.0 - 40.0, -250.0]);
    // Cut short, or not a request: named errors.
    let bytes = request.to_bytes();
    assert!(RunRequest::from_bytes(&bytes[..bytes.len() - 3]).is_err());
    assert!(RunRequest::from_bytes(b"SFRx").expect_err("magic").contains("not a flood run request"));
    let far = RunRequest { edits: ScenarioEdits { scenario: 9, ..edits }, ..request };
    assert!(far.scene().expect_err("index").contains("no flood scenario number 10"));
}

/// A page's JSON edits change only what they name, and anything else is
/// refused with what was wrong.
#[test]
fn a_page_edits_a_scenario_with_json() {
    let scene = load("flood-small.toml");
    let base = ScenarioEdits::from_scenario(0, &scene.flood_scenarios[0]);
    let edits = base
        .with_page_json(r#"{"rain_mm_per_hour": 40, "inflow_scale": 0.5, "breach": {"east": 60, "north": -250, "level_m": 2.5}}"#)
        .expect("edits");
    assert_eq!((edits.rain_mm_per_hour, edits.rain_hours, edits.inflow_scale), (40.0, 0.5, 0.5));
    assert_eq!((edits.breach, edits.breach_width_m, edits.breach_level_m), (Some([60.0, -250.0]), 30.0, 2.5));
    assert_eq!(base.with_page_json("{}").expect("no edits"), base);
    for (bad, says) in [
        ("[1]", "not a JSON object"),
        ("{\"rain\": 3}", "unknown field \"rain\""),
        ("{\"rain_mm_per_hour\": -1}", "rain_mm_per_hour must be a number from 0 to 1000, not -1"),
        ("{\"inflow_scale\": \"half\"}", "inflow_scale must be a number"),
        ("{\"breach\": {\"east\": 1}}", "breach needs north"),
        ("{\"breach\": {\"east\": 1, \"north\": 2, \"depth\": 3}}", "unknown breach field \"depth\""),
        ("{\"rain_hours\": 1e400}", "not JSON"),
        ("{", "not JSON"),
    ] {
        let err = base.with_page_json(bad).expect_err(bad);
        assert!(err.starts_with("flood edits: ") && err.contains(says), "{bad}: {err}");
    }
}

/// What the page does with a worker's run: start it, fetch (here: read)
/// the files it lacks, start again, then step to the end, keeping every
/// file; the results are the command's.
#[test]
fn a_worker_run_driven_like_the_page_gives_the_results_of_a_direct_run() {
    use sontinh_wire::{Answer, FileSet};
    let path = test_scene("flood-srtm.toml");
    let scene = load("flood-srtm.toml");
    let edits = ScenarioEdits::from_scenario(0, &scene.flood_scenarios[0]);
    // The worker parses the scene as a site would serve it: its shared DEM
    // at /shared/dem/…, read here from the shared data folder.
    let request = RunRequest { scene_url: "/scenes/flood-srtm.toml".into(), scene_text: std::fs::read_to_string(&path).expect("scene"), edits };
    let shared = sontinh_scene::shared_data_dir(path.parent().expect("folder")).expect("shared data");
    let mut worker = WorkerRun::default();
    let mut files = FileSet::default();
    let mut rounds = 0;
    loop {
        rounds += 1;
        match Answer::from_bytes(worker.start(&request.to_bytes(), &files.to_bytes()).expect("start")).expect("answer") {
            Answer::Done(_) => break,
            Answer::Missing(paths) => {
                for p in paths {
                    let on_disk = shared.join(p.strip_prefix(sontinh_scene::SHARED_SITE_PREFIX).expect("a shared file"));
                    files.insert(p, std::fs::read(on_disk).ok());
                }
            }
        }
        assert!(rounds < 3, "more than one round of files");
    }
    assert_eq!(rounds, 2, "the DEM, then the run");
    let mut kept = std::collections::BTreeMap::new();
    let mut updates = 0;
    let report = loop {
        let update = RunUpdate::from_bytes(&worker.step().expect("step")).expect("update");
        updates += 1;
        for f in update.files.iter().cloned() {
            kept.insert(f.name, f.bytes);
        }
        if let Some(report) = update.report {
            assert_eq!(update.time_s, update.end_s);
            break report;
        }
    };
    assert_eq!(updates, 2, "two 15-minute steps of a half-hour run");
    assert!(report.contains("Flood \"storm\""), "{report}");
    assert!(worker.step().expect_err("ended").contains("no flood run"));
    let direct = run_to_end(Plan::new(&scene, None, &disk_files).expect("plan")).1;
    let direct_max = direct.files.iter().find(|f| f.name == "max_depth.tif").expect("max");
    assert_eq!(kept.get("max_depth.tif"), Some(&direct_max.bytes), "the same GeoTIFF bytes");
    assert!(kept.contains_key("terrain.tif") && kept.contains_key("snapshots/depth_0000900s.tif"));
    // Bytes cut short are an error, not a panic.
    let bytes = RunUpdate { time_s: 1.0, end_s: 2.0, report: None, files: vec![OutputFile { name: "a".into(), bytes: vec![1, 2, 3] }], next_s: Some(1.5) }.to_bytes();
    assert!(RunUpdate::from_bytes(&bytes[..bytes.len() - 1]).is_err());
}

/// A run whose solver is elsewhere (the page's GPU), played here by the CPU
/// solver on the scenario the worker handed over: the worker records the
/// moments it names and makes the results a direct run makes.
#[test]
fn a_recorded_run_with_an_outside_solver_gives_the_results_of_a_direct_run() {
    use sontinh_wire::Answer;
    let path = test_scene("flood-small.toml");
    let scene = load("flood-small.toml");
    let request = RunRequest {
        scene_url: "scenes/flood-small.toml".into(),
        scene_text: std::fs::read_to_string(&path).expect("scene"),
        edits: ScenarioEdits::from_scenario(0, &scene.flood_scenarios[0]),
    };
    let mut worker = WorkerRun::default();
    let Answer::Done(scenario) = Answer::from_bytes(worker.start_recording(&request.to_bytes(), &sontinh_wire::FileSet::default().to_bytes()).expect("start")).expect("answer") else {
        panic!("the Citadel needs no file");
    };
    let (scenario, settings) = scenario_from_bytes(&scenario).expect("scenario");
    let direct_plan = Plan::new(&scene, None, &disk_files).expect("plan");
    assert_eq!(scenario, direct_plan.solver, "the scenario crosses whole");
    assert_eq!(settings, direct_plan.settings, "and its settings");
    let mut outside = Simulation::new(scenario, settings).expect("solver");
    let mut kept = std::collections::BTreeMap::new();
    let mut next = Some(0.0);
    let mut moments = 0;
    while let Some(t) = next {
        FloodEngine::run_until(&mut outside, t, &mut |_| {}).expect("run");
        let update = RunUpdate::from_bytes(&worker.record(&depth_to_bytes(outside.time(), outside.depth())).expect("record")).expect("update");
        kept.extend(update.files.into_iter().map(|f| (f.name, f.bytes)));
        next = update.next_s;
        moments += 1;
    }
    assert_eq!(moments, 7, "0 to 60 minutes every 10");
    let last = RunUpdate::from_bytes(&worker.finish(&FinalState::of(&outside).expect("state").to_bytes()).expect("finish")).expect("update");
    assert!(last.report.as_deref().is_some_and(|r| r.contains("Flood \"short\"")));
    kept.extend(last.files.into_iter().map(|f| (f.name, f.bytes)));
    let direct = run_to_end(direct_plan).1;
    for name in ["max_depth.tif", "arrival_time.tif", "gauges.csv", "places.csv", "extent.geojson"] {
        let mine = direct.files.iter().find(|f| f.name == name).expect(name);
        assert_eq!(kept.get(name), Some(&mine.bytes), "{name}");
    }
    assert!(kept.contains_key("terrain.tif") && kept.contains_key("snapshots/depth_0003600s.tif"));
    // Out of order, or bytes that are not what they say: named errors.
    assert!(worker.record(&depth_to_bytes(0.0, &[0.0])).expect_err("no run").contains("no recorded flood run"));
    assert!(scenario_from_bytes(b"SFS2\x01").is_err());
    assert!(FinalState::from_bytes(b"nope").expect_err("magic").contains("not a flood solver's final state"));
}

/// A scenario's scheme reaches the solver: LISFLOOD-FP's preset is its
/// v8.2 defaults (lisflood.cpp: theta 1.0, cfl 0.7, DepthThresh 1e-3,
/// InitTstep 10 s, no Froude limit in its ACC fluxes), and values set in
/// the scene override a preset; the run's summary says what it ran with.
#[test]
fn a_scenarios_scheme_reaches_the_solver() {
    let lisflood = scheme_settings(&FloodScheme { preset: SchemePreset::LisfloodFp, ..FloodScheme::default() });
    assert_eq!((lisflood.theta, lisflood.alpha, lisflood.depth_threshold, lisflood.max_time_step, lisflood.froude_limit), (1.0, 0.7, 1e-3, 10.0, None));
    // Its time step is α·Δx/√(g·h) (fp_acc.cpp, CalcT): 0.7 × 5 m / √(9.81 × 2 m).
    assert!((lisflood.time_step(5.0, 2.0) - 0.7 * 5.0 / (9.81f64 * 2.0).sqrt()).abs() < 1e-3);
    let own = scheme_settings(&FloodScheme { theta: Some(0.9), froude_limit: Some(0.0), max_time_step_s: Some(2.0), ..FloodScheme::default() });
    assert_eq!((own.theta, own.froude_limit, own.max_time_step, own.alpha), (0.9, None, 2.0, 0.7));

    let mut scene = load("flood-small.toml");
    scene.flood_scenarios[0].scheme = FloodScheme { preset: SchemePreset::LisfloodFp, theta: Some(0.95), ..FloodScheme::default() };
    let plan = Plan::new(&scene, None, &disk_files).expect("plan");
    assert_eq!((plan.settings.theta, plan.settings.froude_limit), (0.95, None));
    let (_, finished) = run_to_end(plan);
    let scheme = &finished.summary["scheme"];
    assert_eq!((scheme["theta"].as_f64(), scheme["alpha"].as_f64(), scheme["froude_limit"].is_null()), (Some(0.95), Some(0.7), true), "{scheme}");
}
