//! `sontinh flood run` and `flood inundate`: a scene's flood scenario
//! through the solver (`sontinh_flood_plan`), its outputs written to a
//! folder: GeoTIFF (maximum depth, arrival time, final depth and speed,
//! snapshots), GeoJSON (flood extent, features reached), CSV (gauges,
//! places, features reached) and JSON (summary).

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use sontinh_flood::{RunControl, Simulation};
use sontinh_flood_gpu::GpuSimulation;
use sontinh_flood_plan::{FloodEngine, FloodRun, OutputFile, Plan, disk_files};
use sontinh_scene::Scene;

pub use sontinh_flood_plan::EXTENT_THRESHOLD_M;

/// Which solver runs the flood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Multi-threaded CPU solver (f64).
    Cpu,
    /// WGSL compute shaders through wgpu (f32); lavapipe without a GPU.
    Gpu,
}

pub struct Outcome {
    pub report: String,
}

/// Writes a run's files into `out_dir`, each replaced whole (written beside
/// and renamed), so that a viewer following the folder never reads half a
/// file or half the snapshots' index.
fn write_files(out_dir: &Path, files: &[OutputFile]) -> Result<(), String> {
    for file in files {
        let path = out_dir.join(&file.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let partial = path.with_extension("partial");
        std::fs::write(&partial, &file.bytes).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        std::fs::rename(&partial, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn absolute(dir: &Path) -> String {
    std::path::absolute(dir).unwrap_or(dir.to_path_buf()).display().to_string()
}

/// The quick inundation map: with each named gauge at its level, what lies
/// below it and is connected to it. Writes `inundation_depth.tif`,
/// `extent.geojson` and `summary.json` (and `impact.csv`, `impact.geojson`
/// when the scenario asks for its impact).
pub fn inundate(scene: &Scene, scenario_id: Option<&str>, levels: &[(String, f64)], out_dir: &Path) -> Result<Outcome, String> {
    let (files, report) = sontinh_flood_plan::inundate(scene, scenario_id, levels, &disk_files)?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    write_files(out_dir, &files)?;
    Ok(Outcome {
        report: format!("{report}\nWrote {} to {}", files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "), absolute(out_dir)),
    })
}

pub fn run(scene: &Scene, scenario_id: Option<&str>, out_dir: &Path, backend: Backend) -> Result<Outcome, String> {
    run_controlled(scene, scenario_id, out_dir, backend, &RunControl::default())
}

/// [`run`], paused, cancelled and watched through `control` (the viewer's
/// Planner runs floods this way on a background thread).
pub fn run_controlled(scene: &Scene, scenario_id: Option<&str>, out_dir: &Path, backend: Backend, control: &RunControl) -> Result<Outcome, String> {
    let plan = Plan::new(scene, scenario_id, &disk_files)?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    match backend {
        Backend::Cpu => {
            let engine = Simulation::new(plan.solver.clone(), plan.settings.clone()).map_err(|e| e.to_string())?;
            run_engine(plan, engine, out_dir, control)
        }
        Backend::Gpu => {
            let sim = GpuSimulation::new(&plan.solver, &plan.settings).map_err(|e| e.to_string())?;
            run_engine(plan, sim, out_dir, control)
        }
    }
}

fn run_engine<E: FloodEngine>(plan: Plan, engine: E, out_dir: &Path, control: &RunControl) -> Result<Outcome, String> {
    let scenario = plan.scenario.id.clone();
    let (mut run, files) = FloodRun::start(plan, engine)?;
    // The terrain and first snapshot first, so that a viewer can draw the water as it comes.
    write_files(out_dir, &files)?;
    let end = run.end();
    let progress = ProgressBar::new(end.ceil() as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {percent}% simulated, {elapsed} elapsed, ~{eta} left")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    progress.set_message(format!("flood \"{scenario}\""));
    while !run.is_done() {
        if control.is_cancelled() {
            progress.finish_and_clear();
            return Err(format!("flood \"{scenario}\" cancelled at {:.2} h", run.time() / 3600.0));
        }
        let files = run.step(&mut |t| {
            progress.set_position(t as u64);
            control.set_progress((t / end) as f32);
            control.wait_while_paused();
        })?;
        write_files(out_dir, &files)?;
    }
    progress.finish_and_clear();
    let finished = run.finish()?;
    write_files(out_dir, &finished.files)?;
    Ok(Outcome {
        report: format!(
            "{}\nWrote terrain.tif, max_depth.tif, arrival_time.tif, depth_final.tif, speed_final.tif, snapshots/, extent.geojson, gauges.csv, places.csv{} and summary.json to {}",
            finished.report,
            if finished.files.iter().any(|f| f.name == "impact.csv") { ", impact.csv, impact.geojson" } else { "" },
            absolute(out_dir)
        ),
    })
}
