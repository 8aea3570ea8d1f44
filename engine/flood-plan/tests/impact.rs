#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point
//! What a flood reaches in the synthetic town (`common`): which buildings
//! and road segments, how deep, counted per commune, against depths worked
//! out by hand from the DEM (ground 0.25 m per column, water at 3.0 m:
//! depth 3 − 0.25 c in column c), and what obstacles change.

mod common;

use std::collections::HashMap;

use common::*;
use sontinh_flood::Simulation;
use sontinh_flood_plan::{FloodRun, Plan, disk_files, inundate};

const IMPACT: &str = r#"layers = ["buildings", "roads"]
areas = "communes"
area_name = "ten_xa""#;

/// Hand depths: B1 in columns 2–3 (2.5 m at column 2), B6 in column 5
/// (1.75), B2 in columns 6–7 (1.5), B3 in columns 10–11 (0.5); B4
/// (columns 14–15), B5 (20–21), B7 (34–35) dry; the road's first 100 m
/// (columns 6–16) 1.5 m, its last 90 m (columns 16–25) dry.
fn hand_depths() -> HashMap<&'static str, f64> {
    HashMap::from([("B1", 2.5), ("B6", 1.75), ("B2", 1.5), ("B3", 0.5), ("1:1", 1.5)])
}

#[test]
fn a_level_reaches_the_buildings_below_it_counted_per_commune() {
    let (_town, path) = town(IMPACT);
    let scene = load(&path);
    let (files, report) = inundate(&scene, None, &[("g".into(), 3.0)], &disk_files).unwrap();
    let rows = csv_rows(&files);
    let depths: HashMap<&str, f64> = rows.iter().map(|(id, d, _, _)| (id.as_str(), *d)).collect();
    let expected = hand_depths();
    assert_eq!(depths.len(), expected.len(), "{rows:?}");
    for (id, depth) in &expected {
        let got = depths.get(id).unwrap_or_else(|| panic!("{id} not reached: {rows:?}"));
        assert!((got - depth).abs() < 1e-3, "{id}: {got} m, by hand {depth} m");
    }
    // A static map has no arrival; areas by centroid.
    assert!(rows.iter().all(|r| r.2.is_none()));
    let areas: HashMap<&str, &str> = rows.iter().map(|(id, _, _, a)| (id.as_str(), a.as_str())).collect();
    assert_eq!(
        areas,
        HashMap::from([("B1", "Bắc"), ("B3", "Bắc"), ("B2", "Nam"), ("B6", "Nam"), ("1:1", "Nam")])
    );
    // Deepest first.
    assert_eq!(rows[0].0, "B1");

    let impact = &summary(&files)["impact"];
    assert_eq!(impact["total"]["buildings"], 7);
    assert_eq!(impact["total"]["buildings_reached"], 4);
    assert_eq!(impact["total"]["road_segments"], 2);
    assert_eq!(impact["total"]["road_segments_reached"], 1);
    assert!((impact["total"]["road_length_reached_m"].as_f64().unwrap() - 100.0).abs() < 0.05);
    let by_area = impact["by_area"].as_array().unwrap();
    assert_eq!(by_area.len(), 3, "two communes and the buildings outside them: {by_area:?}");
    let counts = |a: &serde_json::Value| {
        (
            a["name"].clone(),
            a["buildings"].as_u64().unwrap(),
            a["buildings_reached"].as_u64().unwrap(),
            a["road_segments_reached"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts(&by_area[0]), ("Bắc".into(), 3, 2, 0));
    assert_eq!(counts(&by_area[1]), ("Nam".into(), 3, 2, 1));
    assert_eq!(counts(&by_area[2]), (serde_json::Value::Null, 1, 0, 0));
    assert_eq!(impact["off_grid"], 0);
    assert!(impact["obstacles"].is_null());
    assert!(
        report.contains("Buildings reached: 4 of 7 (Bắc 2, Nam 2). Road segments reached: 1 of 2 (0.10 km) (Nam 1)."),
        "{report}"
    );
}

#[test]
fn obstacles_raise_their_cells_and_keep_the_footprint_dry() {
    let (_town, path) = town(&format!("{IMPACT}\nobstacles = [\"walls\"]\nobstacle_height_m = 5.0"));
    let scene = load(&path);
    let (files, report) = inundate(&scene, None, &[("g".into(), 3.0)], &disk_files).unwrap();
    let impact = &summary(&files)["impact"];
    // The two walls cover columns 2–3 and 3–4 of rows 5–6: six cells, column 3 once.
    assert_eq!(impact["obstacles"]["cells_raised"], 6);
    assert_eq!(impact["obstacles"]["height_m"], 5.0);
    assert!(report.contains("Obstacles: 6 cells raised 5 m."), "{report}");
    let rows = csv_rows(&files);
    let depths: HashMap<&str, f64> = rows.iter().map(|(id, d, _, _)| (id.as_str(), *d)).collect();
    let mut expected = hand_depths();
    expected.remove("B1");
    assert_eq!(depths.len(), expected.len(), "B1 stands on raised ground: {rows:?}");
    for (id, depth) in &expected {
        assert!((depths[id] - depth).abs() < 1e-3, "{id}: {} m, by hand {depth} m", depths[id]);
    }
    assert_eq!(impact["by_area"][0]["buildings_reached"], 1);
    // The map itself: dry on the raised cells (ground 0.5–1.0 + 5 m), the hand depth beside them.
    let map = sontinh_raster::read_bytes(std::path::Path::new("inundation_depth.tif"), file(&files, "inundation_depth.tif")).unwrap();
    for r in 5..=6 {
        for c in 2..=4 {
            assert_eq!(map.values[r * 40 + c], 0.0, "column {c}, row {r}");
        }
        assert!((map.values[r * 40 + 1] - 2.75).abs() < 1e-6);
        assert!((map.values[r * 40 + 5] - 1.75).abs() < 1e-6);
    }
    assert_eq!(
        map.values.iter().filter(|d| **d > 0.0).count(),
        12 * 40 - 6,
        "columns 0–11 wet but the six raised cells"
    );
}

#[test]
fn a_run_reports_depths_and_arrivals_of_what_it_reached() {
    let (_town, path) = town(IMPACT);
    let scene = load(&path);
    let plan = Plan::new(&scene, None, &disk_files).unwrap();
    let engine = Simulation::new(plan.solver.clone(), plan.settings.clone()).unwrap();
    let (mut run, _) = FloodRun::start(plan, engine).unwrap();
    while !run.is_done() {
        run.step(&mut |_| {}).unwrap();
    }
    let finished = run.finish().unwrap();
    assert!(
        finished.report.contains("Buildings reached: 4 of 7 (Bắc 2, Nam 2)"),
        "{}",
        finished.report
    );
    let rows = csv_rows(&finished.files);
    let expected = hand_depths();
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    // The stage rises slowly to 3.0 m and holds: the water stands level at it.
    for (id, depth, _, _) in &rows {
        assert!(
            (depth - expected[id.as_str()]).abs() < 0.05,
            "{id}: {depth} m, by hand {}",
            expected[id.as_str()]
        );
    }
    // The earliest cell of each reaches the rising level at ground / 2 m/h:
    // B1 column 2 (0.5 m) 0.25 h, B6 column 5 (1.25 m) 0.625 h, B2 column 6
    // (1.5 m) 0.75 h, B3 column 10 (2.5 m) 1.25 h, the road column 6 0.75 h;
    // the water flowing in from the edge lags the level by a few minutes.
    let hand = HashMap::from([("B1", 0.25), ("B6", 0.625), ("B2", 0.75), ("B3", 1.25), ("1:1", 0.75)]);
    for (id, _, arrival, _) in &rows {
        let arrival = arrival.unwrap_or_else(|| panic!("{id}: no arrival"));
        let by_hand = hand[id.as_str()];
        assert!(
            arrival > by_hand - 0.02 && arrival < by_hand + 0.1,
            "{id}: arrived at {arrival} h, by hand {by_hand} h"
        );
    }
    assert_eq!(finished.summary["impact"]["total"]["buildings_reached"], 4);
}

/// A page's worker asks for the DEM and every impact layer in one round
/// (a file the site lacks is answered with nothing), then its run gives
/// the impact files a run from disk gives, byte for byte.
#[test]
fn a_page_worker_fetches_the_impact_layers_at_once_and_reports_the_same_impact() {
    use sontinh_flood_plan::{RunRequest, RunUpdate, ScenarioEdits, WorkerRun};
    use sontinh_wire::{Answer, FileSet};
    let (town, path) = town(&format!("{IMPACT}\nobstacles = [\"walls\"]"));
    let scene = load(&path);
    let request = RunRequest {
        scene_url: "/town/town.toml".into(),
        scene_text: std::fs::read_to_string(&path).unwrap(),
        edits: ScenarioEdits::from_scenario(0, &scene.flood_scenarios[0]),
    };
    let mut worker = WorkerRun::default();
    let mut files = FileSet::default();
    let mut asked = Vec::new();
    loop {
        match Answer::from_bytes(worker.start(&request.to_bytes(), &files.to_bytes()).unwrap()).unwrap() {
            Answer::Done(_) => break,
            Answer::Missing(paths) => {
                assert!(asked.is_empty(), "a second round of files: {paths:?} after {asked:?}");
                for p in &paths {
                    files.insert(p.clone(), std::fs::read(town.dir.path().join(p.trim_start_matches("/town/"))).ok());
                }
                asked = paths;
            }
        }
    }
    asked.sort();
    assert_eq!(
        asked,
        [
            "/town/buildings.geojson",
            "/town/communes.geojson",
            "/town/dem.tif",
            "/town/roads.geojson",
            "/town/walls.geojson"
        ]
    );
    let mut kept = HashMap::new();
    loop {
        let update = RunUpdate::from_bytes(&worker.step().unwrap()).unwrap();
        kept.extend(update.files.into_iter().map(|f| (f.name, f.bytes)));
        if update.report.is_some() {
            break;
        }
    }
    let plan = Plan::new(&scene, None, &disk_files).unwrap();
    let engine = Simulation::new(plan.solver.clone(), plan.settings.clone()).unwrap();
    let (mut run, _) = FloodRun::start(plan, engine).unwrap();
    while !run.is_done() {
        run.step(&mut |_| {}).unwrap();
    }
    let direct = run.finish().unwrap();
    for name in ["impact.csv", "impact.geojson"] {
        assert_eq!(kept.get(name).map(Vec::as_slice), Some(file(&direct.files, name)), "{name}");
    }
    assert_eq!(summary(&direct.files)["impact"]["obstacles"]["cells_raised"], 6);
}

/// Mistakes in the impact's data are errors naming the layer and what is wrong.
#[test]
fn an_area_without_its_name_or_a_missing_file_is_an_error_naming_it() {
    let (_town, path) = town("layers = [\"buildings\"]\nareas = \"communes\"\narea_name = \"ten\"");
    let scene = load(&path);
    let err = Plan::new(&scene, None, &disk_files).err().expect("an error");
    assert!(
        err.contains("areas layer \"communes\"") && err.contains("feature 1") && err.contains("no attribute \"ten\""),
        "{err}"
    );

    let (town, path) = town(IMPACT);
    let scene = load(&path);
    std::fs::remove_file(town.dir.path().join("roads.geojson")).unwrap();
    let err = inundate(&scene, None, &[("g".into(), 3.0)], &disk_files).expect_err("an error");
    assert!(err.contains("roads.geojson"), "{err}");
}

/// A layer's filter keeps features out of the impact as it keeps them off the map.
#[test]
fn a_layer_filter_leaves_its_features_out_of_the_counts() {
    let (_town, path) = town("layers = [\"buildings\"]");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "name = { vi = \"Nhà\", en = \"Buildings\" }\n",
        "name = { vi = \"Nhà\", en = \"Buildings\" }\n[layer.style]\nfilter = { attribute = \"id\", one_of = [\"B1\", \"B2\", \"B4\"] }\n",
    );
    std::fs::write(&path, text).unwrap();
    let (files, report) = inundate(&load(&path), None, &[("g".into(), 3.0)], &disk_files).unwrap();
    let rows: Vec<String> = csv_rows(&files).into_iter().map(|r| r.0).collect();
    assert_eq!(rows, ["B1", "B2"], "B1 (2.5 m) and B2 (1.5 m) of the three kept; B4 dry");
    assert!(report.contains("Buildings reached: 2 of 3."), "{report}");
}
