//! The planner's runs in the browser. The page's flood worker
//! (`sontinh_flood_plan::WorkerRun`) prepares every run (the DEM read and
//! resampled there). On the WebGPU bundle the WGSL solver then runs on the
//! page's own GPU device (the renderer's: no second device), its readbacks
//! awaited, never waited for, and each moment's depths go back to the
//! worker, which writes the files; elsewhere (WebGL2 has no compute) the
//! worker runs the CPU solver one output moment at a time. Either way each
//! moment's files are kept in memory under the run's folder name
//! (`memory:flood-runs/N`), where the overlay reads them as it reads any
//! run folder. Pausing stops between moments in the worker and between
//! batches of steps on the GPU; cancelling ends the worker.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use sontinh_flood::RunControl;
use sontinh_flood_gpu::GpuSimulation;
use sontinh_flood_plan::{RunRequest, RunUpdate, depth_to_bytes};
use sontinh_layers::workers;

use crate::{PlannerEdits, PlannerRun, RunResult};

/// The scene as the page fetched it (its site address and text): a worker
/// parses the same scene to run its floods. Present where floods run in a
/// worker (the browser).
#[derive(Resource, Clone, Debug)]
pub struct WorkerPlanner {
    pub scene_url: String,
    pub scene_text: String,
    /// Run on the page's GPU when the renderer runs on WebGPU (else, or
    /// when false, on the CPU in the worker).
    pub use_gpu: bool,
}

/// Which solver ran (or runs) the planner's last flood in the page.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PageSolver {
    #[default]
    None,
    /// The CPU solver in the page's flood worker.
    Worker,
    /// The WGSL solver on the renderer's WebGPU device.
    Gpu,
}

/// The renderer's device, queue and adapter name, for a run on the GPU.
struct PageGpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: String,
}

/// The files of the last run the page can offer for download: what a
/// planner takes into QGIS or a report.
/// (The impact files only when the scenario asks for its impact.)
pub const DOWNLOADS: [(&str, &str); 8] = [
    ("max_depth.tif", "image/tiff"),
    ("arrival_time.tif", "image/tiff"),
    ("extent.geojson", "application/geo+json"),
    ("gauges.csv", "text/csv"),
    ("places.csv", "text/csv"),
    ("impact.csv", "text/csv"),
    ("impact.geojson", "application/geo+json"),
    ("summary.json", "application/json"),
];

/// Rounds of fetching before a run starts: the DEM.
const START_ROUNDS: usize = 4;

/// The renderer's GPU when it is the browser's WebGPU (compute shaders).
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct RendererGpu<'w> {
    device: Option<Res<'w, bevy::render::renderer::RenderDevice>>,
    queue: Option<Res<'w, bevy::render::renderer::RenderQueue>>,
    adapter: Option<Res<'w, bevy::render::renderer::RenderAdapterInfo>>,
}

impl RendererGpu<'_> {
    fn webgpu(&self) -> Option<PageGpu> {
        let (device, queue, adapter) = (self.device.as_ref()?, self.queue.as_ref()?, self.adapter.as_ref()?);
        let info: &wgpu::AdapterInfo = &adapter.0;
        if info.backend != wgpu::Backend::BrowserWebGpu {
            return None;
        }
        let queue: &wgpu::Queue = &queue.0;
        Some(PageGpu {
            device: device.wgpu_device().clone(),
            queue: queue.clone(),
            adapter: format!("{} (WebGPU)", if info.name.is_empty() { "the page's GPU" } else { &info.name }),
        })
    }
}

pub(crate) fn start_worker_runs(
    mut run: ResMut<PlannerRun>,
    edits: Option<Res<PlannerEdits>>,
    planner: Option<Res<WorkerPlanner>>,
    gpu: RendererGpu,
    mut solver: ResMut<PageSolver>,
    starved: Res<SolverStarved>,
    mut runs: Local<u32>,
) {
    let Some(planner) = planner else { return };
    if !run.requested {
        return;
    }
    run.requested = false;
    let Some(edits) = edits else {
        run.outcome = Some(Err("the scene has no flood scenario to run".into()));
        return;
    };
    let request = RunRequest {
        scene_url: planner.scene_url.clone(),
        scene_text: planner.scene_text.clone(),
        edits: edits.0.clone(),
    }
    .to_bytes();
    // The previous run's files make way for this one's.
    if let Some(previous) = &run.out_dir {
        sontinh_layers::forget_memory_folder(previous);
    }
    *runs += 1;
    let dir = PathBuf::from(format!("memory:flood-runs/{}", *runs));
    let control = Arc::new(RunControl::default());
    if std::mem::take(&mut run.start_paused) {
        control.set_paused(true);
    }
    if std::mem::take(&mut run.start_cancelled) {
        control.cancel();
    }
    let finished: RunResult = Arc::new(Mutex::new(None));
    let (task_dir, task_control, task_finished) = (dir.clone(), control.clone(), finished.clone());
    starved.0.store(false, Ordering::Relaxed);
    let task_starved = starved.0.clone();
    let page_gpu = planner.use_gpu.then(|| gpu.webgpu()).flatten();
    *solver = if page_gpu.is_some() { PageSolver::Gpu } else { PageSolver::Worker };
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let outcome = match page_gpu {
                Some(gpu) => drive_gpu(&request, &task_dir, &task_control, gpu, &task_starved).await,
                None => drive(&request, &task_dir, &task_control).await,
            };
            if let Ok(mut slot) = task_finished.lock() {
                *slot = Some(outcome);
            }
        })
        .detach();
    run.started(control, dir, finished);
}

/// Waits while the planner pauses; an error once the run is cancelled
/// (the worker ended with it).
async fn hold_or_cancel(control: &RunControl) -> Result<(), String> {
    if control.is_paused() && !control.is_cancelled() {
        control.set_holding(true);
        while control.is_paused() && !control.is_cancelled() {
            workers::wait_ms(100).await;
        }
        control.set_holding(false);
    }
    if control.is_cancelled() {
        workers::flood_cancel();
        return Err("the flood run was cancelled".into());
    }
    Ok(())
}

/// Keeps an update's files under the run's folder, and shows its progress.
fn keep(update: RunUpdate, dir: &Path, control: &RunControl) -> (Option<String>, Option<f64>) {
    control.set_progress((update.time_s / update.end_s.max(1e-9)) as f32);
    for file in update.files {
        sontinh_layers::keep_in_memory(dir.join(&file.name), file.bytes);
    }
    (update.report, update.next_s)
}

/// Starts the run in the worker and asks for its moments until it ends,
/// is cancelled or fails; the report, or why not.
async fn drive(request: &[u8], dir: &Path, control: &RunControl) -> Result<String, String> {
    workers::flood_start(request, START_ROUNDS, false).await.ok_or("this page has no workers to run floods in")??;
    loop {
        hold_or_cancel(control).await?;
        let update = RunUpdate::from_bytes(&workers::flood_call("floodStep", None).await?)?;
        if let (Some(report), _) = keep(update, dir, control) {
            return Ok(report);
        }
    }
}

/// The worker prepares the run and hands over the solver's input; the GPU
/// solves, moment by moment, and the worker records each moment's depths
/// and, at the end, makes the results from the solver's final state.
async fn drive_gpu(request: &[u8], dir: &Path, control: &RunControl, gpu: PageGpu, starved: &AtomicBool) -> Result<String, String> {
    let scenario = workers::flood_start(request, START_ROUNDS, true).await.ok_or("this page has no workers to prepare floods in")??;
    let (scenario, settings) = sontinh_flood_plan::scenario_from_bytes(&scenario)?;
    let mut sim = GpuSimulation::with_device(gpu.device, gpu.queue, gpu.adapter, &scenario, &settings).map_err(|e| e.to_string())?;
    let (mut next, mut end) = (Some(0.0), f64::INFINITY);
    let mut batches = 0u32;
    while let Some(moment) = next {
        loop {
            hold_or_cancel(control).await?;
            let started = web_time::Instant::now();
            if !sim.batch_toward_async(moment).await.map_err(|e| e.to_string())? {
                break;
            }
            // The first batches wait for the pipelines to be made.
            batches += 1;
            if batches > WARM_UP_BATCHES && started.elapsed() > STARVED_BATCH {
                starved.store(true, Ordering::Relaxed);
            }
            // Progress each batch: the bar moves between moments too.
            control.set_progress((sim.time() / end) as f32);
        }
        let depth = sim.depth_async().await.map_err(|e| e.to_string())?;
        let update = RunUpdate::from_bytes(&workers::flood_call("floodRecord", Some(&depth_to_bytes(sim.time(), &depth))).await?)?;
        end = update.end_s;
        next = keep(update, dir, control).1;
    }
    let state = sim.final_state_async().await.map_err(|e| e.to_string())?;
    let update = RunUpdate::from_bytes(&workers::flood_call("floodFinish", Some(&state.to_bytes())).await?)?;
    keep(update, dir, control).0.ok_or_else(|| "the flood worker gave no report".to_owned())
}

/// A batch of steps on the page's GPU slower than this waited behind the
/// renderer's frames: the device cannot draw shadowed frames and solve at
/// once (a software adapter, such as a browser's fallback SwiftShader,
/// spends seconds on the sun's shadow cascades alone).
const STARVED_BATCH: std::time::Duration = std::time::Duration::from_millis(250);
const WARM_UP_BATCHES: u32 = 3;

/// Set by a GPU run whose batches wait behind the frames (see
/// [`STARVED_BATCH`]); the frames drop the sun's shadows until it ends.
#[derive(Resource, Clone, Debug, Default)]
pub struct SolverStarved(Arc<AtomicBool>);

/// How often the page draws while a flood runs on its GPU: the renderer
/// and the solver share the device, and every readback of the solver (one
/// per batch of steps) waits behind the frames queued before it, so a run
/// paced by frames is as slow as the frames. Input still draws at once.
pub const GPU_RUN_FRAME_INTERVAL: std::time::Duration = std::time::Duration::from_millis(3000);
/// The interval once the solver starves (see [`SolverStarved`]): a frame on
/// such a device takes a good part of a second even without shadows.
pub const STARVED_GPU_RUN_FRAME_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10_000);

/// Draws at [`GPU_RUN_FRAME_INTERVAL`] (or on input) while a flood runs on
/// the page's GPU, without the sun's shadows and at
/// [`STARVED_GPU_RUN_FRAME_INTERVAL`] once the solver starves (see
/// [`SolverStarved`]), and as before once it ends.
pub(crate) fn pace_frames_during_gpu_runs(
    run: Res<PlannerRun>,
    solver: Res<PageSolver>,
    starved: Res<SolverStarved>,
    settings: Option<ResMut<bevy::winit::WinitSettings>>,
    mut lights: Query<(Entity, &mut DirectionalLight)>,
    mut saved: Local<Option<bevy::winit::WinitSettings>>,
    mut unshadowed: Local<Vec<Entity>>,
) {
    let paced = *solver == PageSolver::Gpu && run.is_running();
    let starving = paced && starved.0.load(Ordering::Relaxed);
    if starving && unshadowed.is_empty() {
        for (entity, mut light) in &mut lights {
            if light.shadow_maps_enabled {
                light.shadow_maps_enabled = false;
                unshadowed.push(entity);
            }
        }
    } else if !paced && !unshadowed.is_empty() {
        for entity in unshadowed.drain(..) {
            if let Ok((_, mut light)) = lights.get_mut(entity) {
                light.shadow_maps_enabled = true;
            }
        }
    }
    let Some(mut settings) = settings else { return };
    if paced && saved.is_none() {
        *saved = Some(settings.clone());
    }
    if paced {
        let interval = if starving { STARVED_GPU_RUN_FRAME_INTERVAL } else { GPU_RUN_FRAME_INTERVAL };
        let mode = bevy::winit::UpdateMode::reactive_low_power(interval);
        if settings.focused_mode != mode {
            settings.focused_mode = mode;
            settings.unfocused_mode = mode;
        }
    } else if let Some(before) = saved.take() {
        *settings = before;
    }
}

/// A cancelled run's worker ends at once, mid-moment if need be: the run's
/// task sees its call fail as cancelled (it would otherwise notice only
/// after the moment it is computing).
pub(crate) fn end_cancelled_worker_runs(run: Res<PlannerRun>, planner: Option<Res<WorkerPlanner>>, mut ended: Local<usize>) {
    let (Some(_), Some(control)) = (planner, run.control.as_ref()) else { return };
    let this_run = Arc::as_ptr(control) as usize;
    if run.is_running() && control.is_cancelled() && *ended != this_run {
        *ended = this_run;
        workers::flood_cancel();
    }
}

/// Offers one of the last run's files as a download.
pub fn download_result(dir: &Path, name: &str) -> Result<(), String> {
    let mime = DOWNLOADS.iter().find(|(n, _)| *n == name).map_or("application/octet-stream", |(_, m)| m);
    let bytes = sontinh_layers::memory_file(&dir.join(name)).ok_or_else(|| format!("{name}: the run made no such file"))?;
    sontinh_layers::offer_download(name, &bytes, mime)
}
