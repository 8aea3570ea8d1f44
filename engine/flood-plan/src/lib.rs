//! A scene's flood scenario, made ready for the solver and run in steps,
//! with its outputs as bytes: one path for `sontinh flood run`, the native
//! viewer's planner and the browser's worker.
//!
//! - [`Plan`]: the scene and scenario (planner's [`ScenarioEdits`] applied)
//!   onto a north-up UTM grid ([`Domain`]) from a DEM (read through the
//!   files it is given: disk, or what a page fetched) or the generated
//!   Citadel; breaches, inflows (a line along an edge is a river entering
//!   there), gauges, rain, boundaries.
//! - [`FloodRun`]: steps from one output moment to the next on any
//!   [`FloodEngine`] (the CPU solver here; the GPU one elsewhere), giving
//!   each moment's files (a depth snapshot and the snapshots' index) and
//!   at the end the rest (maximum depth, arrival, extent, gauges, places,
//!   summary). The command writes them to a folder; a page keeps them.
//! - [`PlannedImpact`]: the scenario's `impact`: obstacles raised in the
//!   grid, and the buildings and roads the water reaches (`impact.csv`,
//!   `impact.geojson`, the summary's `impact`).

mod domain;
mod edits;
mod impact;
mod inundate;
mod places;
mod plan;
mod run;
mod wire;
mod worker;

pub use domain::{Domain, Files, enu_to_utm, utm_zone};
pub use edits::{RunRequest, ScenarioEdits};
pub use impact::{ImpactOutputs, PlannedImpact, grid_of};
pub use inundate::{InundationWarning, PreparedWarning, inundate, inundation_warning};
pub use places::{PlaceFlood, extent_geojson, places_csv, places_under_water};
pub use plan::{Plan, find_scenario, scheme_settings, utm_transformer};
pub use run::{EXTENT_THRESHOLD_M, FinalState, Finished, FloodEngine, FloodRun, OutputFile, RunRecorder};
pub use sontinh_impact;
pub use wire::{depth_from_bytes, depth_to_bytes, scenario_from_bytes, scenario_to_bytes};
pub use worker::{RunUpdate, WorkerRun};

/// Reads files from disk (the command line and the native viewer).
pub fn disk_files(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests;
