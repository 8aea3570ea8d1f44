//! A scenario's `[flood_scenario.impact]`: its obstacle footprints raised
//! in the grid before the solver sees it, its buildings and roads placed
//! on the grid once (`sontinh_impact`), and after a run (or a static
//! inundation map) the features the water reached as files, a summary
//! section and a line for people.

use serde_json::Value;
use sontinh_impact::output::{self, Obstacles};
use sontinh_impact::{Areas, Assessment, Feature, Grid, ImpactSet, read};
use sontinh_scene::{FloodScenario, Scene};

use crate::domain::{Domain, Files, utm_zone};
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

/// A scenario's impact layers as read, before the grid exists.
pub(crate) struct ImpactLayers {
    obstacles: Vec<Feature>,
    features: Vec<Feature>,
    areas: Option<Areas>,
}

/// Reads every layer the scenario's impact names (in the grid's UTM zone,
/// known from the scene before its DEM), each even when one before failed,
/// so that a page's worker asks for all the files it lacks in one round.
pub(crate) fn read_layers(scene: &Scene, scenario: &FloodScenario, files: Files) -> Result<Option<ImpactLayers>, String> {
    let Some(impact) = &scenario.impact else { return Ok(None) };
    let (utm, _) = utm_zone(scene)?;
    let read_all = |layers: &[String]| -> Vec<Result<Vec<Feature>, String>> {
        layers.iter().map(|l| read::layer_features(scene, l, utm, files)).collect()
    };
    let obstacles = read_all(&impact.obstacles);
    let features = read_all(&impact.layers);
    let areas = impact.areas.as_ref().map(|a| read::areas(scene, a, utm, files)).transpose();
    let flatten = |reads: Vec<Result<Vec<Feature>, String>>| -> Result<Vec<Feature>, String> {
        Ok(reads.into_iter().collect::<Result<Vec<_>, _>>()?.concat())
    };
    Ok(Some(ImpactLayers {
        obstacles: flatten(obstacles)?,
        features: flatten(features)?,
        areas: areas?,
    }))
}

/// Raises the obstacles in `domain` and places the features on its grid.
pub(crate) fn place(scenario: &FloodScenario, domain: &mut Domain, layers: Option<ImpactLayers>) -> Result<Option<PlannedImpact>, String> {
    let (Some(impact), Some(layers)) = (&scenario.impact, layers) else {
        return Ok(None);
    };
    let grid = grid_of(domain);
    let obstacles = if impact.obstacles.is_empty() {
        None
    } else {
        let cells_raised = sontinh_impact::raise_obstacles(
            &grid,
            &layers.obstacles,
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
    Ok(Some(PlannedImpact {
        set: ImpactSet::new(grid, layers.features, layers.areas),
        layers: impact.layers.clone(),
        min_depth_m: impact.min_depth_m,
        obstacles,
    }))
}

/// [`read_layers`] and the grid (a DEM read through `files`) together, so
/// that every file is asked for at once, then [`place`].
pub(crate) fn domain_with_impact(
    scene: &Scene,
    scenario: &FloodScenario,
    to_utm: &sontinh_geo::Transformer,
    files: Files,
) -> Result<(Domain, Option<PlannedImpact>), String> {
    let layers = read_layers(scene, scenario, files);
    let domain = Domain::new(scene, scenario, to_utm, files);
    let (mut domain, layers) = (domain?, layers?);
    // Obstacles are raised before the solver's terrain is taken from the grid.
    let impact = place(scenario, &mut domain, layers)?;
    Ok((domain, impact))
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
