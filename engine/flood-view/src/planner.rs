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
    let Ok(text) = std::fs::read_to_string(dir.join("places.csv")) else { return Vec::new() };
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
        if dir.join("terrain.tif").is_file() {
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
}
