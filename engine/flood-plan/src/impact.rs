//! A scenario's `[flood_scenario.impact]`: its obstacle footprints raised
//! in the grid before the solver sees it, its buildings and roads placed
//! on the grid once (`sontinh_impact`), and after a run (or a static
//! inundation map) the features the water reached as files, a summary
//! section and a line for people.

use serde_json::Value;
use sontinh_impact::output::{self, Obstacles};
use sontinh_impact::{Assessment, Grid, ImpactSet, read};
use sontinh_scene::{FloodScenario, Scene};

use crate::domain::{Domain, Files};
use crate::run::OutputFile;

/// A scenario's impact, prepared with its grid.
#[derive(Clone, Debug)]
pub struct PlannedImpact {
    pub set: ImpactSet,
    /// The layers checked.
    pub layers: Vec<String>,
    pub min_depth_m: f64,
    /// What was raised, when the scenario names obstacles.
    pub obstacles: Option<Obstacles>,
}

/// What an assessment gives a run's outputs.
pub struct ImpactOutputs {
    pub assessment: Assessment,
    /// `impact.csv` and `impact.geojson`.
    pub files: Vec<OutputFile>,
    /// The `impact` section of `summary.json`.
    pub summary: Value,
    /// "Buildings reached: …"
    pub report: String,
}

/// The impact grid of a flood domain.
pub fn grid_of(domain: &Domain) -> Grid {
    Grid {
        nx: domain.nx,
        ny: domain.ny,
        origin_x: domain.transform.origin_x,
        origin_y: domain.transform.origin_y,
        cell: domain.cell,
    }
}

/// Raises the scenario's obstacles in `domain` and places its impact
/// layers on the grid; `None` when the scenario asks for no impact.
pub(crate) fn prepare(scene: &Scene, scenario: &FloodScenario, domain: &mut Domain, files: Files) -> Result<Option<PlannedImpact>, String> {
    let Some(impact) = &scenario.impact else { return Ok(None) };
    let grid = grid_of(domain);
    let obstacles = if impact.obstacles.is_empty() {
        None
    } else {
        let mut footprints = Vec::new();
        for layer in &impact.obstacles {
            footprints.extend(read::layer_features(scene, layer, domain.utm, files)?);
        }
        let cells_raised = sontinh_impact::raise_obstacles(
            &grid,
            &footprints,
            impact.obstacle_height_m,
            &mut domain.z,
            &mut domain.initial_depth,
        )?;
        Some(Obstacles {
            layers: impact.obstacles.clone(),
            height_m: impact.obstacle_height_m,
            cells_raised,
        })
    };
    let mut features = Vec::new();
    for layer in &impact.layers {
        features.extend(read::layer_features(scene, layer, domain.utm, files)?);
    }
    let areas = impact
        .areas
        .as_ref()
        .map(|a| read::areas(scene, a, domain.utm, files))
        .transpose()?;
    Ok(Some(PlannedImpact {
        set: ImpactSet::new(grid, features, areas),
        layers: impact.layers.clone(),
        min_depth_m: impact.min_depth_m,
        obstacles,
    }))
}

impl PlannedImpact {
    /// The features `max_depth` reaches (with `arrival_h` per cell, hours,
    /// non-finite where dry, for a run), as files, summary and report.
    pub fn outputs(&self, domain: &Domain, max_depth: &[f64], arrival_h: Option<&[f64]>) -> Result<ImpactOutputs, String> {
        let assessment = self.set.assess(max_depth, arrival_h, self.min_depth_m)?;
        let files = vec![
            OutputFile {
                name: "impact.csv".into(),
                bytes: output::csv(&self.set, &assessment, domain.utm)?.into_bytes(),
            },
            OutputFile {
                name: "impact.geojson".into(),
                bytes: output::geojson(&self.set, &assessment, domain.utm)?.into_bytes(),
            },
        ];
        let summary = output::summary(&self.set, &assessment, &self.layers, self.obstacles.as_ref());
        let report = output::report(&self.set, &assessment, self.obstacles.as_ref());
        Ok(ImpactOutputs {
            assessment,
            files,
            summary,
            report,
        })
    }
}
