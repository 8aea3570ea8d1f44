//! `sontinh flood run`: a scene's flood scenario through the solver, written
//! out as GeoTIFF (maximum depth, arrival time, final depth and speed),
//! GeoJSON (flood extent), CSV (gauges) and JSON (summary).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;
use sontinh_flood::{
    Boundaries, Boundary, Edge, EdgeInflow, Friction, Inflow, Raster, RunControl, Scenario, Settings, Simulation, TimeSeries, VolumeBalance,
};
use sontinh_flood_gpu::GpuSimulation;
use sontinh_geo::{Crs, Transformer};
use sontinh_procgen::citadel;
use sontinh_raster::{Epsg, GeoRaster, GeoTransform, mask_polygons, write_geotiff};
use sontinh_scene::{FloodBoundary, FloodScenario, Generator, LayerSource, Scene};

/// Depth above which a cell counts as flooded in the extent, m.
pub const EXTENT_THRESHOLD_M: f64 = 0.10;

/// The simulation grid: north-up, square cells, in the UTM zone of the
/// scene's origin (48N for Quảng Trị).
struct Domain {
    /// The grid's CRS and its EPSG code.
    utm: Crs,
    epsg: u16,
    nx: usize,
    ny: usize,
    cell: f64,
    transform: GeoTransform,
    z: Vec<f64>,
    initial_depth: Vec<f64>,
}

/// The UTM zone (WGS 84) of the scene's origin: the flood grid's CRS.
fn utm_zone(scene: &Scene) -> Result<(Crs, u16), String> {
    let o = scene.origin;
    let zone = (((o.lon_deg + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u16 + 1;
    let epsg = if o.lat_deg >= 0.0 { 32600 + zone } else { 32700 + zone };
    let crs = Crs::from_epsg(epsg).ok_or_else(|| format!("no definition for EPSG:{epsg}"))?;
    Ok((crs, epsg))
}

/// A scene ENU position (east, north) in the grid's UTM metres.
fn enu_to_utm(scene: &Scene, to_utm: &Transformer, enu: [f64; 2]) -> Result<(f64, f64), String> {
    let g = scene.frame.enu_to_geodetic([enu[0], enu[1], 0.0]);
    let [x, y, _] = to_utm.transform([g.lon_deg, g.lat_deg, 0.0]).map_err(|e| e.to_string())?;
    Ok((x, y))
}

impl Domain {
    /// The cell holding a scene ENU position, if inside the grid.
    fn cell_of(&self, scene: &Scene, to_utm: &Transformer, enu: [f64; 2]) -> Result<Option<(usize, usize)>, String> {
        let (x, y) = enu_to_utm(scene, to_utm, enu)?;
        let (c, r) = self.transform.to_pixel(x, y);
        Ok((c >= 0.0 && r >= 0.0 && (c as usize) < self.nx && (r as usize) < self.ny).then_some((c as usize, r as usize)))
    }

    /// Writes one value per cell as a GeoTIFF on this grid, in its UTM zone.
    fn write(&self, path: &Path, values: Vec<f64>) -> Result<(), String> {
        let raster = GeoRaster {
            width: self.nx,
            height: self.ny,
            values,
            transform: self.transform,
            crs: Some(Epsg {
                code: self.epsg,
                geographic: false,
            }),
            nodata: None,
            sample_type: "float32",
        };
        write_geotiff(path, &raster).map_err(|e| e.to_string())
    }
}

/// Which solver runs the flood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Multi-threaded CPU solver (f64).
    Cpu,
    /// WGSL compute shaders through wgpu (f32); lavapipe without a GPU.
    Gpu,
}

/// The two back-ends behind one face for the run loop.
enum Engine {
    Cpu(Box<Simulation>),
    Gpu { sim: Box<GpuSimulation>, steps: u64 },
}

/// GPU runs re-read the deepest water every this many steps for the time
/// step, with a safety factor, instead of after every step.
const GPU_STEPS_PER_DT: usize = 10;
const GPU_DT_SAFETY: f64 = 0.8;

impl Engine {
    fn new(scenario: Scenario, backend: Backend) -> Result<Self, String> {
        Ok(match backend {
            Backend::Cpu => Engine::Cpu(Box::new(Simulation::new(scenario, Settings::default()).map_err(|e| e.to_string())?)),
            Backend::Gpu => {
                let sim = GpuSimulation::new(&scenario, &Settings::default()).map_err(|e| e.to_string())?;
                Engine::Gpu { sim: Box::new(sim), steps: 0 }
            }
        })
    }

    fn describe(&self) -> String {
        match self {
            Engine::Cpu(_) => format!("CPU, {} threads", rayon::current_num_threads()),
            Engine::Gpu { sim, .. } => format!("GPU, {}", sim.adapter()),
        }
    }

    fn time(&self) -> f64 {
        match self {
            Engine::Cpu(sim) => sim.time(),
            Engine::Gpu { sim, .. } => sim.time(),
        }
    }

    fn steps(&self) -> u64 {
        match self {
            Engine::Cpu(sim) => sim.steps(),
            Engine::Gpu { steps, .. } => *steps,
        }
    }

    fn run_until(&mut self, end: f64, progress: &ProgressBar, control: &RunControl, run_end: f64) -> Result<(), String> {
        match self {
            Engine::Cpu(sim) => {
                sim.run_until(end, |s| {
                    progress.set_position(s.time() as u64);
                    control.set_progress((s.time() / run_end) as f32);
                    control.wait_while_paused();
                });
                Ok(())
            }
            Engine::Gpu { sim, steps } => {
                while sim.time() < end - 1e-6 {
                    let dt = sim.time_step().map_err(|e| e.to_string())? * GPU_DT_SAFETY;
                    let t0 = sim.time();
                    let remaining = end - t0;
                    let (step, count) = if remaining <= dt * GPU_STEPS_PER_DT as f64 {
                        let count = (remaining / dt).ceil().max(1.0);
                        (remaining / count, count as usize)
                    } else {
                        (dt, GPU_STEPS_PER_DT)
                    };
                    sim.advance(step, count);
                    *steps += count as u64;
                    let t1 = sim.time();
                    progress.set_position(t1 as u64);
                    control.set_progress((t1 / run_end) as f32);
                    control.wait_while_paused();
                }
                Ok(())
            }
        }
    }

    fn depth(&self) -> Result<Vec<f64>, String> {
        match self {
            Engine::Cpu(sim) => Ok(sim.depth().to_vec()),
            Engine::Gpu { sim, .. } => sim.depth().map_err(|e| e.to_string()),
        }
    }

    fn max_depth(&self) -> Result<Vec<f64>, String> {
        match self {
            Engine::Cpu(sim) => Ok(sim.max_depth().to_vec()),
            Engine::Gpu { sim, .. } => sim.max_depth().map_err(|e| e.to_string()),
        }
    }

    fn arrival_time(&self) -> Result<Vec<f64>, String> {
        match self {
            Engine::Cpu(sim) => Ok(sim.arrival_time().to_vec()),
            Engine::Gpu { sim, .. } => sim.arrival_time().map_err(|e| e.to_string()),
        }
    }

    fn velocity(&self) -> Result<Vec<[f64; 2]>, String> {
        match self {
            Engine::Cpu(sim) => Ok(sim.velocity()),
            Engine::Gpu { sim, .. } => sim.velocity().map_err(|e| e.to_string()),
        }
    }

    /// The volume balance, measured on both back-ends (the GPU sums the
    /// flow through the edges itself).
    fn balance(&self) -> Result<VolumeBalance, String> {
        match self {
            Engine::Cpu(sim) => Ok(sim.balance()),
            Engine::Gpu { sim, .. } => sim.balance().map_err(|e| e.to_string()),
        }
    }
}

pub struct Outcome {
    pub report: String,
}

fn find_scenario<'a>(scene: &'a Scene, scenario_id: Option<&str>) -> Result<&'a FloodScenario, String> {
    match scenario_id {
        Some(id) => scene.flood_scenarios.iter().find(|s| s.id == id),
        None => scene.flood_scenarios.first(),
    }
    .ok_or_else(|| {
        let known: Vec<&str> = scene.flood_scenarios.iter().map(|s| s.id.as_str()).collect();
        match scenario_id {
            Some(id) => format!(
                "scene {} has no flood scenario \"{id}\"; it has: {}",
                scene.source.display(),
                known.join(", ")
            ),
            None => format!("scene {} has no [[flood_scenario]]", scene.source.display()),
        }
    })
}

/// The quick inundation map: with each named gauge at its level, what lies
/// below it and is connected to it. Writes `inundation_depth.tif`,
/// `extent.geojson` and `summary.json`.
pub fn inundate(scene: &Scene, scenario_id: Option<&str>, levels: &[(String, f64)], out_dir: &Path) -> Result<Outcome, String> {
    let scenario = find_scenario(scene, scenario_id)?;
    if levels.is_empty() {
        return Err("give at least one gauge level, e.g. --level thach-han=7.4".into());
    }
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let (utm, _) = utm_zone(scene)?;
    let to_utm = Transformer::new(Crs::Wgs84, utm).map_err(|e| e.to_string())?;
    let mut domain = build_domain(scene, scenario, &to_utm)?;
    apply_breaches(&mut domain, scene, scenario, &to_utm)?;
    let mut seeds = Vec::new();
    for (id, level) in levels {
        let gauge = scenario.gauges.iter().find(|g| &g.id == id).ok_or_else(|| {
            let known: Vec<&str> = scenario.gauges.iter().map(|g| g.id.as_str()).collect();
            format!("scenario \"{}\" has no gauge \"{id}\"; it has: {}", scenario.id, known.join(", "))
        })?;
        let (column, row) = domain
            .cell_of(scene, &to_utm, gauge.enu)?
            .ok_or_else(|| format!("gauge \"{id}\" lies outside the simulated area"))?;
        seeds.push(sontinh_flood::inundation::Seed {
            column,
            row,
            level: *level,
        });
    }
    let terrain = Raster::new(domain.nx, domain.ny, domain.cell, domain.z.clone()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let depth = sontinh_flood::inundation::connected_flood(&terrain, &seeds, sontinh_flood::inundation::Connectivity::Eight)
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    domain.write(&out_dir.join("inundation_depth.tif"), depth.clone())?;
    let mask: Vec<bool> = depth.iter().map(|d| *d > EXTENT_THRESHOLD_M).collect();
    let flooded = mask.iter().filter(|m| **m).count();
    std::fs::write(out_dir.join("extent.geojson"), extent_geojson(&domain, &mask, &scenario.id)?)
        .map_err(|e| format!("cannot write extent.geojson: {e}"))?;
    let area_km2 = flooded as f64 * domain.cell * domain.cell / 1e6;
    let summary = json!({
        "scene": scene.id,
        "scenario": scenario.id,
        "levels_m": levels.iter().map(|(id, l)| (id.clone(), json!(l))).collect::<serde_json::Map<_, _>>(),
        "cells": domain.nx * domain.ny,
        "flooded_area_km2": area_km2,
        "max_depth_m": depth.iter().copied().fold(0.0, f64::max),
        "runtime_s": seconds,
    });
    std::fs::write(
        out_dir.join("summary.json"),
        serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot write summary.json: {e}"))?;
    Ok(Outcome {
        report: format!(
            "Connected inundation of {} cells in {:.3} s: {area_km2:.2} km² deeper than {EXTENT_THRESHOLD_M} m. Wrote inundation_depth.tif, extent.geojson and summary.json to {}",
            domain.nx * domain.ny,
            seconds,
            std::path::absolute(out_dir).unwrap_or(out_dir.to_path_buf()).display()
        ),
    })
}

pub fn run(scene: &Scene, scenario_id: Option<&str>, out_dir: &Path, backend: Backend) -> Result<Outcome, String> {
    run_controlled(scene, scenario_id, out_dir, backend, &RunControl::default())
}

/// [`run`], paused, cancelled and watched through `control` (the viewer's
/// Planner runs floods this way on a background thread).
pub fn run_controlled(scene: &Scene, scenario_id: Option<&str>, out_dir: &Path, backend: Backend, control: &RunControl) -> Result<Outcome, String> {
    let scenario = find_scenario(scene, scenario_id)?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let (utm, _) = utm_zone(scene)?;
    let to_utm = Transformer::new(Crs::Wgs84, utm).map_err(|e| e.to_string())?;
    let mut domain = build_domain(scene, scenario, &to_utm)?;
    apply_breaches(&mut domain, scene, scenario, &to_utm)?;

    let hours = |points: &[(f64, f64)]| TimeSeries::new(points.iter().map(|(h, v)| (h * 3600.0, *v)).collect()).map_err(|e| e.to_string());
    let mut inflows = Vec::new();
    let mut edge_inflows = Vec::new();
    for inflow in &scenario.inflows {
        let outside = || {
            format!(
                "inflow \"{}\" at east {:.0} m, north {:.0} m lies outside the simulated area",
                inflow.name.en, inflow.enu[0], inflow.enu[1]
            )
        };
        // A line inflow is spread evenly over the cells along its segment.
        let cells = match inflow.to_enu {
            None => vec![domain.cell_of(scene, &to_utm, inflow.enu)?.ok_or_else(outside)?],
            Some(to) => {
                let length = (to[0] - inflow.enu[0]).hypot(to[1] - inflow.enu[1]);
                let samples = ((length / (domain.cell / 2.0)).ceil() as usize).max(1);
                let mut cells = Vec::new();
                for k in 0..=samples {
                    let f = k as f64 / samples as f64;
                    let p = [
                        inflow.enu[0] + f * (to[0] - inflow.enu[0]),
                        inflow.enu[1] + f * (to[1] - inflow.enu[1]),
                    ];
                    let cell = domain.cell_of(scene, &to_utm, p)?.ok_or_else(outside)?;
                    if !cells.contains(&cell) {
                        cells.push(cell);
                    }
                }
                cells
            }
        };
        let hydrograph = hours(&inflow.hydrograph)?;
        // A line along an edge of the area is a river entering through it.
        if let Some(edge_inflow) = along_edge(&cells, domain.nx, domain.ny, &hydrograph) {
            edge_inflows.push(edge_inflow);
            continue;
        }
        let discharge = hydrograph.scaled(1.0 / cells.len() as f64);
        for (column, row) in cells {
            inflows.push(Inflow {
                column,
                row,
                discharge: discharge.clone(),
            });
        }
    }
    let mut gauges = Vec::new();
    for gauge in &scenario.gauges {
        let cell = domain
            .cell_of(scene, &to_utm, gauge.enu)?
            .ok_or_else(|| format!("gauge \"{}\" lies outside the simulated area", gauge.id))?;
        gauges.push((gauge.id.clone(), cell));
    }
    let boundary = |b: &FloodBoundary| -> Result<Boundary, String> {
        Ok(match b {
            FloodBoundary::Closed => Boundary::Closed,
            FloodBoundary::Free { slope } => Boundary::FreeOutflow { slope: *slope },
            FloodBoundary::Stage(points) => Boundary::Stage(hours(points)?),
        })
    };
    let b = &scenario.boundaries;
    let solver_scenario = Scenario {
        terrain: Raster::new(domain.nx, domain.ny, domain.cell, domain.z.clone()).map_err(|e| e.to_string())?,
        friction: Friction::Constant(scenario.manning),
        initial_depth: Some(domain.initial_depth.clone()),
        rain_mm_per_hour: rain_series(scenario)?,
        inflows,
        edge_inflows,
        boundaries: Boundaries {
            north: boundary(&b.north)?,
            south: boundary(&b.south)?,
            west: boundary(&b.west)?,
            east: boundary(&b.east)?,
        },
    };
    let mut sim = Engine::new(solver_scenario, backend)?;

    // Run, sampling gauges at the output interval.
    let end = scenario.duration_hours * 3600.0;
    let interval = scenario.output_interval_minutes * 60.0;
    let progress = ProgressBar::new(end.ceil() as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {percent}% simulated, {elapsed} elapsed, ~{eta} left")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    progress.set_message(format!("flood \"{}\"", scenario.id));
    let mut csv = String::from("time_h");
    for (id, _) in &gauges {
        let _ = write!(csv, ",{id}_level_m,{id}_depth_m");
    }
    csv.push('\n');
    // Depth snapshots at every sample, for the viewer's timeline.
    let snapshots = out_dir.join("snapshots");
    std::fs::create_dir_all(&snapshots).map_err(|e| format!("cannot create {}: {e}", snapshots.display()))?;
    let mut written: Vec<String> = Vec::new();
    let mut sample = |sim: &Engine, csv: &mut String| -> Result<(), String> {
        let depth = sim.depth()?;
        let name = format!("depth_{:07}s.tif", sim.time().round() as u64);
        domain.write(&snapshots.join(&name), depth.clone())?;
        // The index a browser reads (it cannot list the folder), replaced
        // whole so that a reader never sees half of it.
        written.push(name);
        let index = out_dir.join(sontinh_flood_view::SNAPSHOT_INDEX);
        let partial = index.with_extension("json.partial");
        std::fs::write(&partial, sontinh_flood_view::snapshot_index_json(&written)).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        std::fs::rename(&partial, &index).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
        let _ = write!(csv, "{:.4}", sim.time() / 3600.0);
        for (_, (c, r)) in &gauges {
            let i = r * domain.nx + c;
            let _ = write!(csv, ",{:.4},{:.4}", domain.z[i] + depth[i], depth[i]);
        }
        csv.push('\n');
        Ok(())
    };
    // The terrain first, so that a viewer can draw snapshots as they come.
    domain.write(&out_dir.join("terrain.tif"), domain.z.clone())?;
    let started = Instant::now();
    sample(&sim, &mut csv)?;
    let mut next_sample = interval;
    while sim.time() < end - 1e-6 {
        if control.is_cancelled() {
            progress.finish_and_clear();
            return Err(format!("flood \"{}\" cancelled at {:.2} h", scenario.id, sim.time() / 3600.0));
        }
        let target = next_sample.min(end);
        sim.run_until(target, &progress, control, end)?;
        sample(&sim, &mut csv)?;
        next_sample += interval;
    }
    let runtime = started.elapsed().as_secs_f64();
    progress.finish_and_clear();

    // Outputs.
    let write = |name: &str, values: Vec<f64>| domain.write(&out_dir.join(name), values);
    let max_depths = sim.max_depth()?;
    let arrival_hours: Vec<f64> = sim
        .arrival_time()?
        .iter()
        .map(|t| if t.is_finite() { t / 3600.0 } else { f64::NAN })
        .collect();
    write("max_depth.tif", max_depths.clone())?;
    write("arrival_time.tif", arrival_hours.clone())?;
    write("depth_final.tif", sim.depth()?)?;
    write("speed_final.tif", sim.velocity()?.iter().map(|v| v[0].hypot(v[1])).collect())?;
    std::fs::write(out_dir.join("gauges.csv"), &csv).map_err(|e| format!("cannot write gauges.csv: {e}"))?;

    let places = places_under_water(scene, &to_utm, &domain, &max_depths, &arrival_hours)?;
    std::fs::write(out_dir.join("places.csv"), places_csv(&places)).map_err(|e| format!("cannot write places.csv: {e}"))?;
    let flooded_places = places.iter().filter(|p| p.max_depth_m > EXTENT_THRESHOLD_M).count();

    let mask: Vec<bool> = max_depths.iter().map(|d| *d > EXTENT_THRESHOLD_M).collect();
    let flooded_cells = mask.iter().filter(|m| **m).count();
    let extent = extent_geojson(&domain, &mask, &scenario.id)?;
    std::fs::write(out_dir.join("extent.geojson"), extent).map_err(|e| format!("cannot write extent.geojson: {e}"))?;

    let balance = sim.balance()?;
    let updates = (domain.nx * domain.ny) as f64 * sim.steps() as f64;
    let (max_index, max_depth) = max_depths
        .iter()
        .enumerate()
        .fold((0, 0.0f64), |best, (i, d)| if *d > best.1 { (i, *d) } else { best });
    let summary = json!({
        "scene": scene.id,
        "scenario": scenario.id,
        "grid": { "columns": domain.nx, "rows": domain.ny, "cell_size_m": domain.cell, "crs": format!("EPSG:{}", domain.epsg) },
        "simulated_hours": sim.time() / 3600.0,
        "steps": sim.steps(),
        "runtime_s": runtime,
        "cell_updates_per_second": updates / runtime.max(1e-9),
        "backend": sim.describe(),
        "volume_m3": {
            "initial": balance.initial,
            "rain": balance.rain,
            "inflow": balance.inflow,
            "boundary_net_in": balance.boundary_net_in,
            "final": balance.current,
        },
        "mass_error_m3": balance.error(),
        "mass_error_relative": balance.relative_error(),
        "max_depth_m": max_depth,
        "max_depth_at_utm48n": {
            "x": domain.transform.pixel_centre(max_index % domain.nx, max_index / domain.nx).0,
            "y": domain.transform.pixel_centre(max_index % domain.nx, max_index / domain.nx).1,
        },
        "flooded_area_km2": flooded_cells as f64 * domain.cell * domain.cell / 1e6,
        "places": places.iter().map(|p| json!({
            "id": p.id, "name": { "vi": p.name.vi, "en": p.name.en }, "kind": p.kind,
            "max_depth_m": p.max_depth_m, "arrival_h": p.arrival_h.filter(|h| h.is_finite()),
        })).collect::<Vec<_>>(),
        "extent_threshold_m": EXTENT_THRESHOLD_M,
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    std::fs::write(out_dir.join("summary.json"), &text).map_err(|e| format!("cannot write summary.json: {e}"))?;

    let report = format!(
        "Flood \"{}\" of {}: {:.1} h simulated on {} × {} cells of {} m in {:.1} s ({} steps, {:.1} M cell updates/s, {}).\n\
         Flooded deeper than {EXTENT_THRESHOLD_M} m: {:.2} km². Deepest: {:.2} m. Volume error: {:.2e} relative. Places under water: {} of {}.\n\
         Wrote terrain.tif, max_depth.tif, arrival_time.tif, depth_final.tif, speed_final.tif, snapshots/, extent.geojson, gauges.csv, places.csv and summary.json to {}",
        scenario.id,
        scene.id,
        sim.time() / 3600.0,
        domain.nx,
        domain.ny,
        domain.cell,
        runtime,
        sim.steps(),
        updates / runtime.max(1e-9) / 1e6,
        sim.describe(),
        flooded_cells as f64 * domain.cell * domain.cell / 1e6,
        max_depth,
        balance.relative_error(),
        flooded_places,
        places.len(),
        std::path::absolute(out_dir).unwrap_or(out_dir.to_path_buf()).display(),
    );
    Ok(Outcome { report })
}

/// Rain at a constant rate, for the whole run or its first `rain_hours`.
fn rain_series(scenario: &FloodScenario) -> Result<Option<TimeSeries>, String> {
    if scenario.rain_mm_per_hour <= 0.0 {
        return Ok(None);
    }
    let rate = scenario.rain_mm_per_hour;
    match scenario.rain_hours {
        Some(hours) if hours < scenario.duration_hours => {
            let stop = hours * 3600.0;
            // One minute to taper off: the series interpolates linearly.
            TimeSeries::new(vec![(0.0, rate), (stop, rate), (stop + 60.0, 0.0), (scenario.duration_hours * 3600.0 + 60.0, 0.0)])
                .map(Some)
                .map_err(|e| e.to_string())
        }
        _ => Ok(Some(TimeSeries::constant(rate))),
    }
}

/// How deep a named place of the scene went under water, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceFlood {
    pub id: String,
    pub name: sontinh_scene::Text,
    pub kind: &'static str,
    /// Deepest water over the place's ground (its radius), m.
    pub max_depth_m: f64,
    /// First time water deeper than 0.1 m reached it, hours.
    pub arrival_h: Option<f64>,
}

/// The scene's places against the run's maximum depth and arrival rasters:
/// the deepest cell and the earliest arrival within each place's radius.
fn places_under_water(scene: &Scene, to_utm: &Transformer, domain: &Domain, max_depth: &[f64], arrival_h: &[f64]) -> Result<Vec<PlaceFlood>, String> {
    let grid = GeoRaster {
        width: domain.nx,
        height: domain.ny,
        values: Vec::new(),
        transform: domain.transform,
        crs: None,
        nodata: None,
        sample_type: "float32",
    };
    let mut out = Vec::new();
    for place in &scene.places {
        let (x, y) = enu_to_utm(scene, to_utm, [place.enu[0], place.enu[1]])?;
        let cells = grid.cells_within(x, y, place.radius_m);
        let depth = cells.iter().map(|(c, r)| max_depth[r * domain.nx + c]).fold(0.0f64, f64::max);
        let arrival = cells
            .iter()
            .map(|(c, r)| arrival_h[r * domain.nx + c])
            .filter(|h| h.is_finite())
            .fold(None, |best: Option<f64>, h| Some(best.map_or(h, |b| b.min(h))));
        out.push(PlaceFlood {
            id: place.id.clone(),
            name: place.name.clone(),
            kind: place.kind.id(),
            max_depth_m: if cells.is_empty() { f64::NAN } else { depth },
            arrival_h: arrival,
        });
    }
    // Deepest first: what a planner reads first.
    out.sort_by(|a, b| b.max_depth_m.total_cmp(&a.max_depth_m));
    Ok(out)
}

fn places_csv(places: &[PlaceFlood]) -> String {
    let mut csv = String::from("id,kind,name_vi,name_en,max_depth_m,arrival_h\n");
    for p in places {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.3},{}",
            p.id,
            p.kind,
            quote(&p.name.vi),
            quote(&p.name.en),
            p.max_depth_m,
            p.arrival_h.map(|h| format!("{h:.3}")).unwrap_or_default()
        );
    }
    csv
}

fn build_domain(scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<Domain, String> {
    let layer = scene
        .layers
        .iter()
        .find(|l| l.id == scenario.terrain_layer)
        .ok_or_else(|| format!("terrain layer \"{}\" is not in the scene", scenario.terrain_layer))?;
    match &layer.source {
        LayerSource::Generator(Generator::QuangTriCitadel) => procedural_domain(scene, scenario, to_utm),
        LayerSource::File(path) => dem_domain(path, scene, scenario, to_utm),
        LayerSource::Missing { reason, .. } => Err(reason.clone()),
    }
}

// The scene refuses the grids the solver would: one cap for both.
const _: () = assert!(Raster::MAX_CELLS == sontinh_scene::MAX_FLOOD_CELLS);

/// The scenario's square grid centred on the scene origin, in UTM.
fn scenario_grid(scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<(usize, GeoTransform), String> {
    let o = scene.origin;
    let [e0, n0, _] = to_utm.transform([o.lon_deg, o.lat_deg, 0.0]).map_err(|e| e.to_string())?;
    let cell = scenario.cell_size_m;
    // Capped before the n × n arrays are allocated (the scene check caps it too).
    let n = Raster::square_side(scenario.extent_m, cell).map_err(|e| e.to_string())?;
    let transform = GeoTransform {
        origin_x: e0 - n as f64 * cell / 2.0,
        origin_y: n0 + n as f64 * cell / 2.0,
        pixel_width: cell,
        pixel_height: -cell,
    };
    Ok((n, transform))
}

/// Samples the citadel reconstruction on the UTM grid centred on the origin.
fn procedural_domain(scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<Domain, String> {
    let o = scene.origin;
    let (utm, epsg) = utm_zone(scene)?;
    let cell = scenario.cell_size_m;
    let (n, transform) = scenario_grid(scene, scenario, to_utm)?;
    let layout = citadel::Layout::default();
    let mut z = vec![0.0; n * n];
    let mut depth = vec![0.0; n * n];
    z.par_chunks_mut(n)
        .zip(depth.par_chunks_mut(n))
        .enumerate()
        .try_for_each(|(r, (z_row, d_row))| {
            let from_utm = Transformer::new(utm, Crs::Wgs84).map_err(|e| e.to_string())?;
            for c in 0..n {
                let (x, y) = transform.pixel_centre(c, r);
                let g = from_utm.to_geodetic([x, y, 0.0]).map_err(|e| e.to_string())?;
                let enu = scene.frame.geodetic_to_enu(g);
                let p = [enu[0] as f32, enu[1] as f32];
                // Walls are part of the terrain the water meets; gates stay open.
                let ground = f64::from(layout.wall_top(p, cell as f32 / 2.0).unwrap_or_else(|| layout.ground_height(p))) + o.height_m;
                z_row[c] = ground;
                d_row[c] = layout
                    .water_level(p)
                    .map(|l| (f64::from(l) + o.height_m - ground).max(0.0))
                    .unwrap_or(0.0);
            }
            Ok::<(), String>(())
        })?;
    Ok(Domain {
        utm,
        epsg,
        nx: n,
        ny: n,
        cell,
        transform,
        z,
        initial_depth: depth,
    })
}

/// A DEM file: used as it is when it is already a square-celled, north-up
/// grid in the scene's UTM zone; otherwise (any other CRS, such as SRTM's
/// longitude/latitude) resampled bilinearly onto the scenario's UTM grid
/// around the scene origin.
fn dem_domain(path: &Path, scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<Domain, String> {
    let dem = sontinh_raster::read(path).map_err(|e| e.to_string())?;
    let (utm, epsg) = utm_zone(scene)?;
    let Some(dem_epsg) = dem.crs else {
        return Err(format!("{}: the DEM declares no CRS, so it cannot be placed", path.display()));
    };
    let t = dem.transform;
    let square = (t.pixel_width + t.pixel_height).abs() <= 1e-9 * t.pixel_width.abs() && t.pixel_width > 0.0;
    // Nodata cells become high ground that water cannot enter.
    let top = dem
        .stats()
        .map(|s| s.max)
        .ok_or_else(|| format!("{}: no valid elevation", path.display()))?;
    let wall = |v: f64| if v.is_finite() { v } else { top + 1000.0 };
    if dem_epsg.code == epsg && square {
        return Ok(Domain {
            utm,
            epsg,
            nx: dem.width,
            ny: dem.height,
            cell: t.pixel_width,
            transform: t,
            z: dem.values.iter().map(|v| wall(*v)).collect(),
            initial_depth: vec![0.0; dem.width * dem.height],
        });
    }
    let source = Crs::from_epsg(dem_epsg.code)
        .ok_or_else(|| format!("{}: EPSG:{} is not in the EPSG table, so the DEM cannot be reprojected", path.display(), dem_epsg.code))?;
    let (n, transform) = scenario_grid(scene, scenario, to_utm)?;
    let mut z = vec![0.0; n * n];
    z.par_chunks_mut(n).enumerate().try_for_each(|(r, row)| {
        let to_dem = Transformer::new(utm, source).map_err(|e| e.to_string())?;
        for (c, value) in row.iter_mut().enumerate() {
            let (x, y) = transform.pixel_centre(c, r);
            let [sx, sy, _] = to_dem.transform([x, y, 0.0]).map_err(|e| e.to_string())?;
            *value = wall(dem.sample(sx, sy));
        }
        Ok::<(), String>(())
    })?;
    let covered = z.iter().filter(|v| **v <= top).count();
    if covered == 0 {
        return Err(format!(
            "{}: the DEM (EPSG:{}) does not cover the scenario's area around the scene origin",
            path.display(),
            dem_epsg.code
        ));
    }
    Ok(Domain {
        utm,
        epsg,
        nx: n,
        ny: n,
        cell: scenario.cell_size_m,
        transform,
        z,
        initial_depth: vec![0.0; n * n],
    })
}

/// Sets the ground along each breach (or wall) segment to its elevation.
fn apply_breaches(domain: &mut Domain, scene: &Scene, scenario: &FloodScenario, to_utm: &Transformer) -> Result<(), String> {
    for breach in &scenario.breaches {
        let (a, b) = (enu_to_utm(scene, to_utm, breach.from)?, enu_to_utm(scene, to_utm, breach.to)?);
        let mut touched = 0;
        for r in 0..domain.ny {
            for c in 0..domain.nx {
                let p = domain.transform.pixel_centre(c, r);
                if segment_distance(p, a, b) <= breach.width_m / 2.0 {
                    let i = r * domain.nx + c;
                    let was_wet = domain.initial_depth[i] > 0.0;
                    let surface = domain.z[i] + domain.initial_depth[i];
                    domain.z[i] = breach.elevation_m;
                    domain.initial_depth[i] = if was_wet { (surface - breach.elevation_m).max(0.0) } else { 0.0 };
                    touched += 1;
                }
            }
        }
        if touched == 0 {
            return Err(format!("breach \"{}\" touches no cell of the simulated area", breach.name.en));
        }
    }
    Ok(())
}

/// An edge inflow when every cell of a line lies in the outer row or column.
fn along_edge(cells: &[(usize, usize)], nx: usize, ny: usize, hydrograph: &TimeSeries) -> Option<EdgeInflow> {
    if cells.len() < 2 {
        return None;
    }
    let edge = if cells.iter().all(|c| c.1 == ny - 1) {
        Edge::South
    } else if cells.iter().all(|c| c.1 == 0) {
        Edge::North
    } else if cells.iter().all(|c| c.0 == 0) {
        Edge::West
    } else if cells.iter().all(|c| c.0 == nx - 1) {
        Edge::East
    } else {
        return None;
    };
    let along = |c: &(usize, usize)| match edge {
        Edge::North | Edge::South => c.0,
        Edge::West | Edge::East => c.1,
    };
    Some(EdgeInflow {
        edge,
        first: cells.iter().map(along).min()?,
        last: cells.iter().map(along).max()?,
        discharge: hydrograph.clone(),
    })
}

fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

/// The flooded cells as a GeoJSON MultiPolygon in WGS84 longitude/latitude (RFC 7946).
fn extent_geojson(domain: &Domain, mask: &[bool], scenario: &str) -> Result<String, String> {
    let to_wgs84 = Transformer::new(domain.utm, Crs::Wgs84).map_err(|e| e.to_string())?;
    let t = domain.transform;
    let corner = |(c, r): (usize, usize)| -> Result<[f64; 2], String> {
        let x = t.origin_x + c as f64 * t.pixel_width;
        let y = t.origin_y + r as f64 * t.pixel_height;
        let [lon, lat, _] = to_wgs84.transform([x, y, 0.0]).map_err(|e| e.to_string())?;
        Ok([(lon * 1e7).round() / 1e7, (lat * 1e7).round() / 1e7])
    };
    // RFC 7946: exterior rings counter-clockwise, holes clockwise, closed.
    let ring = |points: &[(usize, usize)]| -> Result<Vec<[f64; 2]>, String> {
        let mut out = points.iter().map(|p| corner(*p)).collect::<Result<Vec<_>, _>>()?;
        if let Some(first) = out.first().copied() {
            out.push(first);
        }
        Ok(out)
    };
    let mut polygons = Vec::new();
    for p in mask_polygons(mask, domain.nx) {
        let mut rings = vec![ring(&p.outer)?];
        for hole in &p.holes {
            rings.push(ring(hole)?);
        }
        polygons.push(rings);
    }
    let value = json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": { "scenario": scenario, "max_depth_above_m": EXTENT_THRESHOLD_M },
            "geometry": { "type": "MultiPolygon", "coordinates": polygons },
        }],
    });
    serde_json::to_string(&value).map_err(|e| e.to_string())
}
