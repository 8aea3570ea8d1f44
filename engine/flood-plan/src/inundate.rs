//! The quick inundation map: with each named gauge at its level, what lies
//! below it and is connected to it.

use serde_json::json;
use sontinh_scene::Scene;
use web_time::Instant;

use crate::domain::{Domain, Files};
use crate::impact::PlannedImpact;
use crate::places::{PlaceFlood, extent_geojson, places_under_water};
use crate::plan::{find_scenario, utm_transformer};
use crate::run::{EXTENT_THRESHOLD_M, OutputFile};

/// The map's files (`inundation_depth.tif`, `extent.geojson`,
/// `summary.json`; `impact.csv` and `impact.geojson` when the scenario
/// asks for its impact) and a line for people.
pub fn inundate(scene: &Scene, scenario_id: Option<&str>, levels: &[(String, f64)], files: Files) -> Result<(Vec<OutputFile>, String), String> {
    find_scenario(scene, scenario_id)?;
    if levels.is_empty() {
        return Err("give at least one gauge level, e.g. --level thach-han=7.4".into());
    }
    let prepared = PreparedWarning::new(scene, scenario_id, files)?;
    let started = Instant::now();
    let depth = prepared.depth(levels)?;
    let seconds = started.elapsed().as_secs_f64();
    let (mask, area_km2) = prepared.extent_mask(&depth);
    let domain = &prepared.domain;
    let mut summary = json!({
        "scene": scene.id,
        "scenario": prepared.scenario,
        "levels_m": levels.iter().map(|(id, l)| (id.clone(), json!(l))).collect::<serde_json::Map<_, _>>(),
        "cells": domain.nx * domain.ny,
        "flooded_area_km2": area_km2,
        "max_depth_m": depth.iter().copied().fold(0.0, f64::max),
        "runtime_s": seconds,
    });
    let mut report = format!(
        "Connected inundation of {} cells in {seconds:.3} s: {area_km2:.2} km² deeper than {EXTENT_THRESHOLD_M} m.",
        domain.nx * domain.ny
    );
    let mut files = vec![OutputFile { name: "extent.geojson".into(), bytes: extent_geojson(domain, &mask, &prepared.scenario)?.into_bytes() }];
    // A static map has no arrival times.
    if let Some(impact) = prepared.impact.as_ref().map(|i| i.outputs(domain, &depth, None)).transpose()? {
        summary["impact"] = impact.summary;
        files.extend(impact.files);
        report = format!("{report}\n{}", impact.report);
    }
    files.push(OutputFile { name: "inundation_depth.tif".into(), bytes: domain.geotiff("inundation_depth.tif", depth)? });
    files.push(OutputFile { name: "summary.json".into(), bytes: serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?.into_bytes() });
    Ok((files, report))
}

/// What a live warning reports: the connected inundation for the gauges'
/// levels, and the scene's places under water.
#[derive(Clone, Debug)]
pub struct InundationWarning {
    pub flooded_area_km2: f64,
    pub max_depth_m: f64,
    /// GeoJSON (WGS 84) of the cells deeper than [`EXTENT_THRESHOLD_M`].
    pub extent: String,
    /// The scene's places with water over them, deepest first.
    pub places: Vec<PlaceFlood>,
}

/// A scenario made ready once for live warnings: its grid, terrain and
/// gauge cells, so that each warning is only the priority flood, the places
/// and the extent (the feed gateway prepares it when it starts).
pub struct PreparedWarning {
    scene: Scene,
    scenario: String,
    to_utm: sontinh_geo::Transformer,
    domain: Domain,
    terrain: sontinh_flood::Raster,
    /// The scenario's gauges and their cells (`None`: outside the grid).
    gauges: Vec<(String, Option<(usize, usize)>)>,
    /// The buildings and roads checked, obstacles raised in `domain`.
    impact: Option<PlannedImpact>,
}

impl PreparedWarning {
    pub fn new(scene: &Scene, scenario_id: Option<&str>, files: Files) -> Result<PreparedWarning, String> {
        let scenario = find_scenario(scene, scenario_id)?;
        let to_utm = utm_transformer(scene)?;
        let (domain, impact) = crate::impact::domain_with_impact(scene, scenario, &to_utm, files)?;
        let gauges = scenario
            .gauges
            .iter()
            .map(|g| Ok((g.id.clone(), domain.cell_of(scene, &to_utm, g.enu)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let terrain = domain.terrain()?;
        Ok(PreparedWarning { scene: scene.clone(), scenario: scenario.id.clone(), to_utm, domain, terrain, gauges, impact })
    }

    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// Cells of the grid.
    pub fn cells(&self) -> usize {
        self.domain.nx * self.domain.ny
    }

    /// The depth per cell of the connected inundation for `levels` (by the
    /// scenario's gauge ids).
    fn depth(&self, levels: &[(String, f64)]) -> Result<Vec<f64>, String> {
        let mut seeds = Vec::new();
        for (id, level) in levels {
            let (_, cell) = self.gauges.iter().find(|(g, _)| g == id).ok_or_else(|| {
                let known: Vec<&str> = self.gauges.iter().map(|(g, _)| g.as_str()).collect();
                format!("scenario \"{}\" has no gauge \"{id}\"; it has: {}", self.scenario, known.join(", "))
            })?;
            let (column, row) = cell.ok_or_else(|| format!("gauge \"{id}\" lies outside the simulated area"))?;
            seeds.push(sontinh_flood::inundation::Seed { column, row, level: *level });
        }
        sontinh_flood::inundation::connected_flood(&self.terrain, &seeds, sontinh_flood::inundation::Connectivity::Eight).map_err(|e| e.to_string())
    }

    /// The cells deeper than [`EXTENT_THRESHOLD_M`], and their area in km².
    fn extent_mask(&self, depth: &[f64]) -> (Vec<bool>, f64) {
        let mask: Vec<bool> = depth.iter().map(|d| *d > EXTENT_THRESHOLD_M).collect();
        let flooded = mask.iter().filter(|m| **m).count();
        (mask, flooded as f64 * self.domain.cell * self.domain.cell / 1e6)
    }

    /// The connected inundation for `levels` (by the scenario's gauge ids).
    pub fn warning(&self, levels: &[(String, f64)]) -> Result<InundationWarning, String> {
        let depth = self.depth(levels)?;
        let (mask, flooded_area_km2) = self.extent_mask(&depth);
        let no_arrival = vec![f64::INFINITY; depth.len()];
        let mut places = places_under_water(&self.scene, &self.to_utm, &self.domain, &depth, &no_arrival)?;
        places.retain(|p| p.max_depth_m > EXTENT_THRESHOLD_M);
        Ok(InundationWarning {
            flooded_area_km2,
            max_depth_m: depth.iter().copied().fold(0.0, f64::max),
            extent: extent_geojson(&self.domain, &mask, &self.scenario)?,
            places,
        })
    }
}

/// [`inundate`]'s figures without its files, preparing the scenario each
/// time (a caller warning repeatedly keeps a [`PreparedWarning`]).
pub fn inundation_warning(scene: &Scene, scenario_id: Option<&str>, levels: &[(String, f64)], files: Files) -> Result<InundationWarning, String> {
    PreparedWarning::new(scene, scenario_id, files)?.warning(levels)
}
