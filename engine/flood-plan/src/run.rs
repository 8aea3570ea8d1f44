//! A flood run in steps: each step advances to the next output moment and
//! gives the files it made (a depth snapshot and the snapshots' index);
//! the end gives the rest (maximum depth, arrival, final depth and speed,
//! extent, gauges, places, summary). Files are bytes: the command writes
//! them to a folder, the browser keeps them in memory.

use std::fmt::Write as _;

use serde_json::json;
use sontinh_flood::outputs::{SNAPSHOT_INDEX, snapshot_index_json};
use sontinh_flood::{Simulation, VolumeBalance};
use web_time::Instant;

use crate::places::{PlaceFlood, extent_geojson, places_csv, places_under_water};
use crate::plan::Plan;

/// Depth above which a cell counts as flooded in the extent, m.
pub const EXTENT_THRESHOLD_M: f64 = 0.10;

/// A solver behind one face: the CPU [`Simulation`] here, the GPU one in
/// the command (wgpu is not for pure crates).
pub trait FloodEngine {
    /// Which solver, for reports: "CPU, 2 threads".
    fn describe(&self) -> String;
    /// Simulated time, s.
    fn time(&self) -> f64;
    fn steps(&self) -> u64;
    /// Advances to `end` s; `each_step` gets the time after each step.
    fn run_until(&mut self, end: f64, each_step: &mut dyn FnMut(f64)) -> Result<(), String>;
    fn depth(&self) -> Result<Vec<f64>, String>;
    fn max_depth(&self) -> Result<Vec<f64>, String>;
    /// First time each cell was wet, s (infinite if never).
    fn arrival_time(&self) -> Result<Vec<f64>, String>;
    fn velocity(&self) -> Result<Vec<[f64; 2]>, String>;
    fn balance(&self) -> Result<VolumeBalance, String>;
}

impl FloodEngine for Simulation {
    fn describe(&self) -> String {
        format!("CPU, {} threads", rayon::current_num_threads())
    }
    fn time(&self) -> f64 {
        Simulation::time(self)
    }
    fn steps(&self) -> u64 {
        Simulation::steps(self)
    }
    fn run_until(&mut self, end: f64, each_step: &mut dyn FnMut(f64)) -> Result<(), String> {
        Simulation::run_until(self, end, |s| each_step(s.time()));
        Ok(())
    }
    fn depth(&self) -> Result<Vec<f64>, String> {
        Ok(Simulation::depth(self).to_vec())
    }
    fn max_depth(&self) -> Result<Vec<f64>, String> {
        Ok(Simulation::max_depth(self).to_vec())
    }
    fn arrival_time(&self) -> Result<Vec<f64>, String> {
        Ok(Simulation::arrival_time(self).to_vec())
    }
    fn velocity(&self) -> Result<Vec<[f64; 2]>, String> {
        Ok(Simulation::velocity(self))
    }
    fn balance(&self) -> Result<VolumeBalance, String> {
        Ok(Simulation::balance(self))
    }
}

/// One file of a run's output folder: its path in the folder and bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl OutputFile {
    fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> OutputFile {
        OutputFile { name: name.into(), bytes: bytes.into() }
    }
}

/// A run's outputs as they are made, whatever computes it: it says which
/// moment to reach next, records each moment's depth as a snapshot, and
/// makes the results from the solver's final state. [`FloodRun`] drives
/// a [`FloodEngine`] with it; the page's WebGPU runs, whose readbacks are
/// asynchronous, drive it themselves.
pub struct RunRecorder {
    plan: Plan,
    end: f64,
    interval: f64,
    next_sample: f64,
    /// gauges.csv so far.
    csv: String,
    snapshots: Vec<String>,
    started: Instant,
}

/// A solver's final state, read back.
#[derive(Clone, Debug, PartialEq)]
pub struct FinalState {
    /// Which solver, for reports.
    pub describe: String,
    /// Simulated time, s.
    pub time: f64,
    pub steps: u64,
    pub depth: Vec<f64>,
    pub max_depth: Vec<f64>,
    /// First time each cell was wet, s (infinite if never).
    pub arrival_time: Vec<f64>,
    pub velocity: Vec<[f64; 2]>,
    pub balance: VolumeBalance,
}

impl FinalState {
    /// Reads an engine's state.
    pub fn of(engine: &dyn FloodEngine) -> Result<FinalState, String> {
        Ok(FinalState {
            describe: engine.describe(),
            time: engine.time(),
            steps: engine.steps(),
            depth: engine.depth()?,
            max_depth: engine.max_depth()?,
            arrival_time: engine.arrival_time()?,
            velocity: engine.velocity()?,
            balance: engine.balance()?,
        })
    }
}

/// What a finished run gives.
pub struct Finished {
    pub files: Vec<OutputFile>,
    /// Two lines for people: the run and what went under water.
    pub report: String,
    pub places: Vec<PlaceFlood>,
    pub summary: serde_json::Value,
}

impl RunRecorder {
    /// A recorder for `plan`, and the terrain's file (a viewer draws the
    /// water over it from the start).
    pub fn new(plan: Plan) -> Result<(RunRecorder, OutputFile), String> {
        let end = plan.scenario.duration_hours * 3600.0;
        let interval = plan.scenario.output_interval_minutes * 60.0;
        let mut csv = String::from("time_h");
        for (id, _) in &plan.gauges {
            let _ = write!(csv, ",{id}_level_m,{id}_depth_m");
        }
        csv.push('\n');
        let terrain = OutputFile::new("terrain.tif", plan.domain.geotiff("terrain.tif", plan.domain.z.clone())?);
        let recorder = RunRecorder {
            plan,
            end,
            interval,
            next_sample: 0.0,
            csv,
            snapshots: Vec::new(),
            started: Instant::now(),
        };
        Ok((recorder, terrain))
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The run's length, s.
    pub fn end(&self) -> f64 {
        self.end
    }

    /// The moment to reach and record next, s; `None` once the end is recorded.
    pub fn next_moment(&self) -> Option<f64> {
        (self.next_sample < self.end + self.interval - 1e-6).then(|| self.next_sample.min(self.end))
    }

    /// Records the depth at `time` (the moment [`RunRecorder::next_moment`]
    /// named): a snapshot, the index naming it, and a line of gauges.csv.
    pub fn record(&mut self, time: f64, depth: &[f64]) -> Result<Vec<OutputFile>, String> {
        let d = &self.plan.domain;
        if depth.len() != d.nx * d.ny {
            return Err(format!("{} depths for a grid of {} × {} cells", depth.len(), d.nx, d.ny));
        }
        let name = format!("depth_{:07}s.tif", time.round() as u64);
        let _ = write!(self.csv, "{:.4}", time / 3600.0);
        for (_, (c, r)) in &self.plan.gauges {
            let i = r * d.nx + c;
            let _ = write!(self.csv, ",{:.4},{:.4}", d.z[i] + depth[i], depth[i]);
        }
        self.csv.push('\n');
        let snapshot = OutputFile::new(format!("snapshots/{name}"), d.geotiff(&name, depth.to_vec())?);
        self.snapshots.push(name);
        self.next_sample += self.interval;
        Ok(vec![snapshot, OutputFile::new(SNAPSHOT_INDEX, snapshot_index_json(&self.snapshots))])
    }

    /// The run's results from the solver's final state.
    pub fn finish(self, state: FinalState) -> Result<Finished, String> {
        let runtime = self.started.elapsed().as_secs_f64();
        let RunRecorder { plan, csv, .. } = self;
        let d = &plan.domain;
        let scenario = &plan.scenario;
        let cells = d.nx * d.ny;
        if [state.depth.len(), state.max_depth.len(), state.arrival_time.len(), state.velocity.len()] != [cells; 4] {
            return Err(format!("the solver's final state does not match the grid of {} × {} cells", d.nx, d.ny));
        }
        let max_depths = state.max_depth;
        let arrival_hours: Vec<f64> = state.arrival_time.iter().map(|t| if t.is_finite() { t / 3600.0 } else { f64::NAN }).collect();
        let mut files = vec![
            OutputFile::new("max_depth.tif", d.geotiff("max_depth.tif", max_depths.clone())?),
            OutputFile::new("arrival_time.tif", d.geotiff("arrival_time.tif", arrival_hours.clone())?),
            OutputFile::new("depth_final.tif", d.geotiff("depth_final.tif", state.depth)?),
            OutputFile::new("speed_final.tif", d.geotiff("speed_final.tif", state.velocity.iter().map(|v| v[0].hypot(v[1])).collect())?),
            OutputFile::new("gauges.csv", csv),
        ];
        let places = places_under_water(&plan.scene, &plan.to_utm, d, &max_depths, &arrival_hours)?;
        files.push(OutputFile::new("places.csv", places_csv(&places)));
        let flooded_places = places.iter().filter(|p| p.max_depth_m > EXTENT_THRESHOLD_M).count();
        let mask: Vec<bool> = max_depths.iter().map(|d| *d > EXTENT_THRESHOLD_M).collect();
        let flooded_cells = mask.iter().filter(|m| **m).count();
        files.push(OutputFile::new("extent.geojson", extent_geojson(d, &mask, &scenario.id)?));
        let impact = plan.impact.as_ref().map(|i| i.outputs(d, &max_depths, Some(&arrival_hours))).transpose()?;

        let balance = state.balance;
        let updates = cells as f64 * state.steps as f64;
        let (max_index, max_depth) = max_depths.iter().enumerate().fold((0, 0.0f64), |best, (i, d)| if *d > best.1 { (i, *d) } else { best });
        let deepest = d.transform.pixel_centre(max_index % d.nx, max_index / d.nx);
        let area_km2 = flooded_cells as f64 * d.cell * d.cell / 1e6;
        let mut summary = json!({
            "scene": plan.scene.id,
            "scenario": scenario.id,
            "grid": { "columns": d.nx, "rows": d.ny, "cell_size_m": d.cell, "crs": format!("EPSG:{}", d.epsg) },
            "simulated_hours": state.time / 3600.0,
            "steps": state.steps,
            "runtime_s": runtime,
            "cell_updates_per_second": updates / runtime.max(1e-9),
            "backend": state.describe,
            "scheme": {
                "theta": plan.settings.theta,
                "alpha": plan.settings.alpha,
                "froude_limit": plan.settings.froude_limit,
                "depth_threshold_m": plan.settings.depth_threshold,
                "max_time_step_s": plan.settings.max_time_step,
            },
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
            "max_depth_at_utm48n": { "x": deepest.0, "y": deepest.1 },
            "flooded_area_km2": area_km2,
            "places": places.iter().map(|p| json!({
                "id": p.id, "name": { "vi": p.name.vi, "en": p.name.en }, "kind": p.kind,
                "max_depth_m": p.max_depth_m, "arrival_h": p.arrival_h.filter(|h| h.is_finite()),
            })).collect::<Vec<_>>(),
            "extent_threshold_m": EXTENT_THRESHOLD_M,
        });
        let mut impact_report = String::new();
        if let Some(impact) = impact {
            summary["impact"] = impact.summary;
            files.extend(impact.files);
            impact_report = format!("\n{}", impact.report);
        }
        files.push(OutputFile::new("summary.json", serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?));
        let report = format!(
            "Flood \"{}\" of {}: {:.1} h simulated on {} × {} cells of {} m in {:.1} s ({} steps, {:.1} M cell updates/s, {}).\n\
             Flooded deeper than {EXTENT_THRESHOLD_M} m: {area_km2:.2} km². Deepest: {max_depth:.2} m. Volume error: {:.2e} relative. Places under water: {flooded_places} of {}.{impact_report}",
            scenario.id,
            plan.scene.id,
            state.time / 3600.0,
            d.nx,
            d.ny,
            d.cell,
            runtime,
            state.steps,
            updates / runtime.max(1e-9) / 1e6,
            state.describe,
            balance.relative_error(),
            places.len(),
        );
        Ok(Finished { files, report, places, summary })
    }
}

/// A run under way on a [`FloodEngine`].
pub struct FloodRun<E> {
    recorder: RunRecorder,
    engine: E,
}

impl<E: FloodEngine> FloodRun<E> {
    /// Starts a run of `plan` on `engine`: the terrain and the first
    /// snapshot, so that a viewer can draw the water from the start.
    pub fn start(plan: Plan, engine: E) -> Result<(FloodRun<E>, Vec<OutputFile>), String> {
        let (recorder, terrain) = RunRecorder::new(plan)?;
        let mut run = FloodRun { recorder, engine };
        let mut files = vec![terrain];
        files.extend(run.step(&mut |_| {})?);
        Ok((run, files))
    }

    pub fn plan(&self) -> &Plan {
        self.recorder.plan()
    }

    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// Simulated time, s.
    pub fn time(&self) -> f64 {
        self.engine.time()
    }

    /// The run's length, s.
    pub fn end(&self) -> f64 {
        self.recorder.end()
    }

    pub fn is_done(&self) -> bool {
        self.recorder.next_moment().is_none()
    }

    /// Advances to the next output moment (`each_step` gets the time after
    /// each solver step): its snapshot and the index naming it.
    pub fn step(&mut self, each_step: &mut dyn FnMut(f64)) -> Result<Vec<OutputFile>, String> {
        let Some(target) = self.recorder.next_moment() else { return Ok(Vec::new()) };
        self.engine.run_until(target, each_step)?;
        let depth = self.engine.depth()?;
        self.recorder.record(self.engine.time(), &depth)
    }

    /// The run's results, once [`FloodRun::is_done`].
    pub fn finish(self) -> Result<Finished, String> {
        let state = FinalState::of(&self.engine)?;
        self.recorder.finish(state)
    }
}
