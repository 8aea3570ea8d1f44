//! The planner's runs in the browser: the page's flood worker runs the
//! solver (`sontinh_flood_plan::WorkerRun`) one output moment at a time;
//! here each moment's files are kept in memory under the run's folder
//! name (`memory:flood-runs/N`), where the overlay reads them as it reads
//! any run folder. Pausing stops asking for moments; cancelling ends the
//! worker. The main thread only copies files and draws.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy::tasks::AsyncComputeTaskPool;
use sontinh_flood::RunControl;
use sontinh_flood_plan::{RunRequest, RunUpdate};
use sontinh_layers::workers;

use crate::{PlannerEdits, PlannerRun, RunResult};

/// The scene as the page fetched it (its site address and text): a worker
/// parses the same scene to run its floods. Present where floods run in a
/// worker (the browser).
#[derive(Resource, Clone, Debug)]
pub struct WorkerPlanner {
    pub scene_url: String,
    pub scene_text: String,
}

/// The files of the last run the page can offer for download: what a
/// planner takes into QGIS or a report.
pub const DOWNLOADS: [(&str, &str); 6] = [
    ("max_depth.tif", "image/tiff"),
    ("arrival_time.tif", "image/tiff"),
    ("extent.geojson", "application/geo+json"),
    ("gauges.csv", "text/csv"),
    ("places.csv", "text/csv"),
    ("summary.json", "application/json"),
];

/// Rounds of fetching before a run starts: the DEM.
const START_ROUNDS: usize = 4;

pub(crate) fn start_worker_runs(mut run: ResMut<PlannerRun>, edits: Option<Res<PlannerEdits>>, planner: Option<Res<WorkerPlanner>>, mut runs: Local<u32>) {
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
    let finished: RunResult = Arc::new(Mutex::new(None));
    let (task_dir, task_control, task_finished) = (dir.clone(), control.clone(), finished.clone());
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let outcome = drive(&request, &task_dir, &task_control).await;
            if let Ok(mut slot) = task_finished.lock() {
                *slot = Some(outcome);
            }
        })
        .detach();
    run.started(control, dir, finished);
}

/// Starts the run in the worker and asks for its moments until it ends,
/// is cancelled or fails; the report, or why not.
async fn drive(request: &[u8], dir: &Path, control: &RunControl) -> Result<String, String> {
    workers::flood_start(request, START_ROUNDS).await.ok_or("this page has no workers to run floods in")??;
    loop {
        while control.is_paused() && !control.is_cancelled() {
            workers::wait_ms(100).await;
        }
        if control.is_cancelled() {
            workers::flood_cancel();
            return Err("the flood run was cancelled".into());
        }
        let update = RunUpdate::from_bytes(&workers::flood_step().await?)?;
        control.set_progress((update.time_s / update.end_s.max(1e-9)) as f32);
        for file in update.files {
            sontinh_layers::keep_in_memory(dir.join(&file.name), file.bytes);
        }
        if let Some(report) = update.report {
            return Ok(report);
        }
    }
}

/// Offers one of the last run's files as a download.
pub fn download_result(dir: &Path, name: &str) -> Result<(), String> {
    let mime = DOWNLOADS.iter().find(|(n, _)| *n == name).map_or("application/octet-stream", |(_, m)| m);
    let bytes = sontinh_layers::memory_file(&dir.join(name)).ok_or_else(|| format!("{name}: the run made no such file"))?;
    sontinh_layers::offer_download(name, &bytes, mime)
}
