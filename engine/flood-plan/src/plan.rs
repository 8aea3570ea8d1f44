//! A scene's flood scenario as the solver takes it: the grid, the rain,
//! point and line inflows (a line along an edge of the grid becomes a
//! river entering through that edge), gauges and boundaries.

use sontinh_flood::{Boundaries, Boundary, Edge, EdgeInflow, Friction, Inflow, Scenario, Settings, TimeSeries};
use sontinh_geo::{Crs, Transformer};
use sontinh_scene::{FloodBoundary, FloodScenario, FloodScheme, Scene, SchemePreset};

use crate::domain::{Domain, Files, utm_zone};
use crate::impact::PlannedImpact;

/// Everything a run needs, prepared once.
pub struct Plan {
    pub scene: Scene,
    pub scenario: FloodScenario,
    pub domain: Domain,
    pub to_utm: Transformer,
    /// The solver's input.
    pub solver: Scenario,
    /// The scheme's settings the scenario asks for ([`scheme_settings`]).
    pub settings: Settings,
    /// Each gauge's id and cell.
    pub gauges: Vec<(String, (usize, usize))>,
    /// The buildings and roads checked against the water, when the scenario asks.
    pub impact: Option<PlannedImpact>,
}

/// The scenario `id` of the scene, or its first.
pub fn find_scenario<'a>(scene: &'a Scene, scenario_id: Option<&str>) -> Result<&'a FloodScenario, String> {
    match scenario_id {
        Some(id) => scene.flood_scenarios.iter().find(|s| s.id == id),
        None => scene.flood_scenarios.first(),
    }
    .ok_or_else(|| {
        let known: Vec<&str> = scene.flood_scenarios.iter().map(|s| s.id.as_str()).collect();
        match scenario_id {
            Some(id) => format!("scene {} has no flood scenario \"{id}\"; it has: {}", scene.source.display(), known.join(", ")),
            None => format!("scene {} has no [[flood_scenario]]", scene.source.display()),
        }
    })
}

/// The grid's transformer from WGS 84 to the scene origin's UTM zone.
pub fn utm_transformer(scene: &Scene) -> Result<Transformer, String> {
    let (utm, _) = utm_zone(scene)?;
    Transformer::new(Crs::Wgs84, utm).map_err(|e| e.to_string())
}

impl Plan {
    /// Prepares scenario `scenario_id` (the first when `None`) of `scene`,
    /// reading a DEM terrain through `files`.
    pub fn new(scene: &Scene, scenario_id: Option<&str>, files: Files) -> Result<Plan, String> {
        let scenario = find_scenario(scene, scenario_id)?.clone();
        let to_utm = utm_transformer(scene)?;
        let (domain, impact) = crate::impact::domain_with_impact(scene, &scenario, &to_utm, files)?;
        let hours = |points: &[(f64, f64)]| TimeSeries::new(points.iter().map(|(h, v)| (h * 3600.0, *v)).collect()).map_err(|e| e.to_string());
        let mut inflows = Vec::new();
        let mut edge_inflows = Vec::new();
        for inflow in &scenario.inflows {
            let outside = || format!("inflow \"{}\" at east {:.0} m, north {:.0} m lies outside the simulated area", inflow.name.en, inflow.enu[0], inflow.enu[1]);
            // A line inflow is spread evenly over the cells along its segment.
            let cells = match inflow.to_enu {
                None => vec![domain.cell_of(scene, &to_utm, inflow.enu)?.ok_or_else(outside)?],
                Some(to) => {
                    let length = (to[0] - inflow.enu[0]).hypot(to[1] - inflow.enu[1]);
                    let samples = ((length / (domain.cell / 2.0)).ceil() as usize).max(1);
                    let mut cells = Vec::new();
                    for k in 0..=samples {
                        let f = k as f64 / samples as f64;
                        let p = [inflow.enu[0] + f * (to[0] - inflow.enu[0]), inflow.enu[1] + f * (to[1] - inflow.enu[1])];
                        let cell = domain.cell_of(scene, &to_utm, p)?.ok_or_else(outside)?;
                        if !cells.contains(&cell) {
                            cells.push(cell);
                        }
                    }
                    cells
                }
            };
            let hydrograph = hours(&inflow.hydrograph)?;
            // A line along an edge of the area is a river entering through it.
            if let Some(edge_inflow) = along_edge(&cells, domain.nx, domain.ny, &hydrograph) {
                edge_inflows.push(edge_inflow);
                continue;
            }
            let discharge = hydrograph.scaled(1.0 / cells.len() as f64);
            for (column, row) in cells {
                inflows.push(Inflow {
                    column,
                    row,
                    discharge: discharge.clone(),
                });
            }
        }
        let mut gauges = Vec::new();
        for gauge in &scenario.gauges {
            let cell = domain
                .cell_of(scene, &to_utm, gauge.enu)?
                .ok_or_else(|| format!("gauge \"{}\" lies outside the simulated area", gauge.id))?;
            gauges.push((gauge.id.clone(), cell));
        }
        let boundary = |b: &FloodBoundary| -> Result<Boundary, String> {
            Ok(match b {
                FloodBoundary::Closed => Boundary::Closed,
                FloodBoundary::Free { slope } => Boundary::FreeOutflow { slope: *slope },
                FloodBoundary::Stage(points) => Boundary::Stage(hours(points)?),
            })
        };
        let b = &scenario.boundaries;
        let solver = Scenario {
            terrain: domain.terrain()?,
            friction: Friction::Constant(scenario.manning),
            initial_depth: Some(domain.initial_depth.clone()),
            rain_mm_per_hour: rain_series(&scenario)?,
            inflows,
            edge_inflows,
            boundaries: Boundaries {
                north: boundary(&b.north)?,
                south: boundary(&b.south)?,
                west: boundary(&b.west)?,
                east: boundary(&b.east)?,
            },
        };
        Ok(Plan {
            scene: scene.clone(),
            settings: scheme_settings(&scenario.scheme),
            scenario,
            domain,
            to_utm,
            solver,
            gauges,
            impact,
        })
    }
}

/// The solver's settings for a scenario's scheme: its preset's, with the
/// values it sets itself (a Froude limit of 0 turns the limit off).
pub fn scheme_settings(scheme: &FloodScheme) -> Settings {
    let mut settings = match scheme.preset {
        SchemePreset::Sontinh => Settings::default(),
        SchemePreset::LisfloodFp => Settings::lisflood_fp(),
    };
    if let Some(theta) = scheme.theta {
        settings.theta = theta;
    }
    if let Some(alpha) = scheme.alpha {
        settings.alpha = alpha;
    }
    if let Some(limit) = scheme.froude_limit {
        settings.froude_limit = (limit > 0.0).then_some(limit);
    }
    if let Some(threshold) = scheme.depth_threshold_m {
        settings.depth_threshold = threshold;
    }
    if let Some(step) = scheme.max_time_step_s {
        settings.max_time_step = step;
    }
    settings
}

/// Rain at a constant rate, for the whole run or its first `rain_hours`.
fn rain_series(scenario: &FloodScenario) -> Result<Option<TimeSeries>, String> {
    if scenario.rain_mm_per_hour <= 0.0 {
        return Ok(None);
    }
    let rate = scenario.rain_mm_per_hour;
    match scenario.rain_hours {
        Some(hours) if hours < scenario.duration_hours => {
            let stop = hours * 3600.0;
            // One minute to taper off: the series interpolates linearly.
            TimeSeries::new(vec![(0.0, rate), (stop, rate), (stop + 60.0, 0.0), (scenario.duration_hours * 3600.0 + 60.0, 0.0)])
                .map(Some)
                .map_err(|e| e.to_string())
        }
        _ => Ok(Some(TimeSeries::constant(rate))),
    }
}

/// An edge inflow when every cell of a line lies in the outer row or column.
fn along_edge(cells: &[(usize, usize)], nx: usize, ny: usize, hydrograph: &TimeSeries) -> Option<EdgeInflow> {
    if cells.len() < 2 {
        return None;
    }
    let edge = if cells.iter().all(|c| c.1 == ny - 1) {
        Edge::South
    } else if cells.iter().all(|c| c.1 == 0) {
        Edge::North
    } else if cells.iter().all(|c| c.0 == 0) {
        Edge::West
    } else if cells.iter().all(|c| c.0 == nx - 1) {
        Edge::East
    } else {
        return None;
    };
    let along = |c: &(usize, usize)| match edge {
        Edge::North | Edge::South => c.0,
        Edge::West | Edge::East => c.1,
    };
    Some(EdgeInflow {
        edge,
        first: cells.iter().map(along).min()?,
        last: cells.iter().map(along).max()?,
        discharge: hydrograph.clone(),
    })
}
