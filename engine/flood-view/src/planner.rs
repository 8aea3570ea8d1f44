//! Floods run from the viewer: the planner's edits to a scenario, the run in
//! progress (paused, cancelled, watched), its snapshots shown as they are
//! written, and the scene's places that go under water.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use sontinh_flood::RunControl;
use sontinh_flood_plan::ScenarioEdits;
use sontinh_scene::{FloodScenario, Text};

use crate::{FloodData, FloodResults, FloodTimeline, list_snapshots};

/// What the planner changes in a scenario before running it (the edits
/// themselves are data: [`ScenarioEdits`], which the browser's worker gets too).
#[derive(Resource, Clone, Debug, PartialEq, Deref, DerefMut)]
pub struct PlannerEdits(pub ScenarioEdits);

impl PlannerEdits {
    pub fn from_scenario(index: usize, s: &FloodScenario) -> PlannerEdits {
        PlannerEdits(ScenarioEdits::from_scenario(index, s))
    }
}

/// Where the result of a run arrives from its thread.
pub type RunResult = Arc<Mutex<Option<Result<String, String>>>>;

/// The flood the planner is running, if any.
#[derive(Resource, Default)]
pub struct PlannerRun {
    /// Set by the UI; the app starts the run and clears it.
    pub requested: bool,
    /// Run this scenario (an index into the scene's) as soon as the
    /// planner's edits exist: a page opened with `plan=`.
    pub autostart: Option<usize>,
    /// The edits that run starts with (the scenario as the scene has it
    /// when `None`).
    pub autostart_edits: Option<sontinh_flood_plan::ScenarioEdits>,
    /// The run asked for is paused, or cancelled, from its start: a page
    /// that starts a run and steers it at once must not race its worker
    /// (a small run can end before the page's next frame).
    pub start_paused: bool,
    pub start_cancelled: bool,
    pub control: Option<Arc<RunControl>>,
    pub out_dir: Option<PathBuf>,
    pub finished: Option<RunResult>,
    /// The report (or error) of the last run.
    pub outcome: Option<Result<String, String>>,
    snapshots_seen: usize,
    since_check: f32,
}

impl PlannerRun {
    pub fn is_running(&self) -> bool {
        self.control.is_some() && self.outcome.is_none()
    }

    /// Called by whoever starts the thread.
    pub fn started(&mut self, control: Arc<RunControl>, out_dir: PathBuf, finished: RunResult) {
        self.control = Some(control);
        self.out_dir = Some(out_dir);
        self.finished = Some(finished);
        self.outcome = None;
        self.snapshots_seen = 0;
    }
}

/// Present when this build can run floods (the native app inserts it).
#[derive(Resource, Default)]
pub struct PlannerRunner;

/// One place of the scene in the shown results.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceRow {
    pub id: String,
    pub name: Text,
    pub kind: String,
    pub max_depth_m: f64,
    pub arrival_h: Option<f64>,
}

/// The places of the shown results (`places.csv`), deepest first.
#[derive(Resource, Default, Debug)]
pub struct FloodPlaces(pub Vec<PlaceRow>);

/// Reads a run's `places.csv` (written by `sontinh flood run`).
pub fn read_places(dir: &Path) -> Vec<PlaceRow> {
    let path = dir.join("places.csv");
    if let Some(kept) = sontinh_layers::memory_file(&path) {
        return parse_places(&String::from_utf8_lossy(&kept));
    }
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    parse_places(&text)
}

/// The rows of a `places.csv` text (its header line skipped).
pub fn parse_places(text: &str) -> Vec<PlaceRow> {
    text.lines().skip(1).filter_map(parse_place_row).collect()
}

/// `id,kind,"name vi","name en",depth,arrival` with quoted names.
fn parse_place_row(line: &str) -> Option<PlaceRow> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    fields.push(current);
    let [id, kind, vi, en, depth, arrival] = <[String; 6]>::try_from(fields).ok()?;
    Some(PlaceRow {
        id,
        name: Text { vi, en },
        kind,
        max_depth_m: depth.parse().ok()?,
        arrival_h: arrival.parse().ok(),
    })
}

/// Starts the scenario a page was opened to run, with its own settings.
pub(crate) fn autostart_run(mut run: ResMut<PlannerRun>, scene: Option<Res<sontinh_layers::ActiveScene>>, edits: Option<ResMut<PlannerEdits>>) {
    let (Some(index), Some(scene), Some(mut edits)) = (run.autostart, scene, edits) else { return };
    run.autostart = None;
    let wanted = run.autostart_edits.take();
    match scene.0.flood_scenarios.get(index) {
        Some(scenario) => {
            *edits = match wanted {
                Some(wanted) if wanted.scenario == index => PlannerEdits(wanted),
                _ => PlannerEdits::from_scenario(index, scenario),
            };
            run.requested = true;
        }
        None => run.outcome = Some(Err(format!("the scene has no flood scenario number {}", index + 1))),
    }
}

/// Follows a run: new snapshots join the timeline (the newest shown), and
/// when the run ends its full results and places are loaded.
pub(crate) fn follow_planner_run(
    mut commands: Commands,
    time: Res<Time>,
    mut run: ResMut<PlannerRun>,
    mut timeline: ResMut<FloodTimeline>,
    data: Option<ResMut<FloodData>>,
    results: Option<Res<FloodResults>>,
    mut places: ResMut<FloodPlaces>,
) {
    let Some(dir) = run.out_dir.clone() else { return };
    if let Some(slot) = run.finished.clone()
        && let Some(outcome) = slot.lock().ok().and_then(|mut s| s.take())
    {
        run.finished = None;
        if outcome.is_ok() {
            places.0 = read_places(&dir);
            timeline.requested_hours = None;
            // Reload: the maximum depth and arrival rasters now exist.
            commands.insert_resource(FloodResults(dir.clone()));
        }
        run.outcome = Some(outcome);
        return;
    }
    if !run.is_running() {
        return;
    }
    run.since_check += time.delta_secs();
    if run.since_check < 0.5 {
        return;
    }
    run.since_check = 0.0;
    if results.as_ref().is_none_or(|r| r.0 != dir) {
        if sontinh_layers::file_exists(&dir.join("terrain.tif")) {
            commands.insert_resource(FloodResults(dir.clone()));
        }
        return;
    }
    let snapshots = list_snapshots(&dir);
    if snapshots.len() != run.snapshots_seen
        && let Some(mut data) = data
    {
        run.snapshots_seen = snapshots.len();
        timeline.times_s = snapshots.iter().map(|(t, _)| *t).collect();
        timeline.shown = snapshots.len().checked_sub(1);
        timeline.playing = false;
        data.snapshots = snapshots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_csv_rows_with_quoted_names() {
        let row = parse_place_row(r#"south-gate,relic,"Cổng Nam, ""Tiền môn""","South gate",1.995,3.097"#).unwrap();
        assert_eq!(row.name.vi, r#"Cổng Nam, "Tiền môn""#);
        assert_eq!(row.max_depth_m, 1.995);
        assert_eq!(row.arrival_h, Some(3.097));
        let dry = parse_place_row("a,road,x,y,0.000,").unwrap();
        assert_eq!(dry.arrival_h, None);
        assert!(parse_place_row("too,few").is_none());
    }

    /// A browser run keeps its files in memory: its folder is listed and
    /// read as one on disk is, and forgotten whole.
    #[test]
    fn a_run_kept_in_memory_is_listed_and_read_as_a_folder_is() {
        use sontinh_flood::outputs::{SNAPSHOT_INDEX, snapshot_index_json};
        let dir = PathBuf::from("memory:flood-runs/test");
        let index = snapshot_index_json(&["depth_0000600s.tif".to_owned(), "depth_0000000s.tif".to_owned()]);
        sontinh_layers::keep_in_memory(dir.join(SNAPSHOT_INDEX), index.into_bytes());
        sontinh_layers::keep_in_memory(dir.join("places.csv"), b"id,kind,name_vi,name_en,max_depth_m,arrival_h\nwharf,road,x,y,1.500,0.250\n".to_vec());
        sontinh_layers::keep_in_memory(dir.join("terrain.tif"), vec![1, 2, 3]);
        assert_eq!(
            crate::list_snapshots(&dir),
            vec![(0.0, dir.join("snapshots/depth_0000000s.tif")), (600.0, dir.join("snapshots/depth_0000600s.tif"))]
        );
        let places = read_places(&dir);
        assert_eq!((places[0].id.as_str(), places[0].max_depth_m, places[0].arrival_h), ("wharf", 1.5, Some(0.25)));
        assert!(sontinh_layers::file_exists(&dir.join("terrain.tif")));
        let read = bevy::tasks::block_on(sontinh_layers::file_bytes(&dir.join("terrain.tif")));
        assert_eq!(read, Ok(vec![1, 2, 3]));
        sontinh_layers::forget_memory_folder(&dir);
        assert!(crate::list_snapshots(&dir).is_empty() && read_places(&dir).is_empty());
        // A file not made yet is an error naming it, never a read of the disk or a fetch.
        let missing = bevy::tasks::block_on(sontinh_layers::file_bytes(&dir.join("max_depth.tif")));
        assert!(missing.expect_err("not kept").contains("memory:flood-runs/test/max_depth.tif: not made"));
        assert!(!sontinh_layers::file_exists(&dir.join("terrain.tif")));
    }
}
