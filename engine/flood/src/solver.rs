//! The local-inertial solver.
//!
//! Layout: cell (c, r) at `r * nx + c`; x-faces `qx[r * (nx + 1) + c]` lie on
//! the west side of cell c (face nx is the east edge); y-faces
//! `qy[r * nx + c]` lie on the north side of row r (face row ny is the south
//! edge). Discharges are per unit width (m²/s), positive eastwards and
//! southwards (increasing column and row).

use rayon::prelude::*;

use crate::{FloodError, G, Raster, TimeSeries};

/// What happens at one edge of the domain.
#[derive(Clone, Debug, PartialEq)]
pub enum Boundary {
    /// No flow.
    Closed,
    /// Water leaves at normal depth for the given energy slope.
    FreeOutflow { slope: f64 },
    /// A water level imposed outside the edge (a gauge series), m.
    Stage(TimeSeries),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Boundaries {
    pub north: Boundary,
    pub south: Boundary,
    pub west: Boundary,
    pub east: Boundary,
}

impl Boundaries {
    pub fn closed() -> Self {
        Self {
            north: Boundary::Closed,
            south: Boundary::Closed,
            west: Boundary::Closed,
            east: Boundary::Closed,
        }
    }
}

/// Manning's n, s/m^(1/3).
#[derive(Clone, Debug, PartialEq)]
pub enum Friction {
    Constant(f64),
    /// One value per cell.
    Raster(Vec<f64>),
}

/// A point inflow hydrograph (m³/s) into one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Inflow {
    pub column: usize,
    pub row: usize,
    pub discharge: TimeSeries,
}

/// Which edge of the domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    North,
    South,
    West,
    East,
}

/// A discharge hydrograph (m³/s) entering through a stretch of one edge,
/// cells `first..=last` along it (columns for north/south, rows for
/// west/east): how a river enters the modelled area. It replaces the edge's
/// own boundary condition on those faces.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeInflow {
    pub edge: Edge,
    pub first: usize,
    pub last: usize,
    pub discharge: TimeSeries,
}

/// Everything the solver needs to know about a flood.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub terrain: Raster,
    pub friction: Friction,
    /// Initial water depth per cell (m); dry if `None`.
    pub initial_depth: Option<Vec<f64>>,
    /// Uniform rainfall intensity over time, mm/h.
    pub rain_mm_per_hour: Option<TimeSeries>,
    pub inflows: Vec<Inflow>,
    pub edge_inflows: Vec<EdgeInflow>,
    pub boundaries: Boundaries,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Courant-like factor of the adaptive time step (Bates et al. use 0.7).
    pub alpha: f64,
    /// θ of de Almeida et al. (2012): 1 is the original scheme, 0.7–0.9 damps
    /// the checkerboard oscillations of shallow, slow flow.
    pub theta: f64,
    /// Faces with a flow depth below this carry no flow, m.
    pub depth_threshold: f64,
    /// Largest time step, s.
    pub max_time_step: f64,
    /// Depth at which a cell counts as inundated for its arrival time, m
    /// (deeper than rain on flat ground, so that arrival means flooding).
    pub arrival_depth: f64,
    /// Largest Froude number a face may carry (LISFLOOD-FP's limiter): the
    /// local-inertial scheme oscillates in fast, shallow flow, which it
    /// does not represent anyway. `None` disables the limit.
    pub froude_limit: Option<f64>,
}

impl Settings {
    /// LISFLOOD-FP's defaults for its ACC (local-inertial) solver, v8.2
    /// (`lisflood.cpp`): θ = 1 (`theta`; Bates et al. 2010's semi-implicit
    /// form), α = 0.7 (`cfl`), dry below 1 mm (`depththresh`), steps of at
    /// most 10 s (`initial_tstep`), and no Froude limit on its floodplain
    /// fluxes, so that Δt = α·Δx / √(g·h_max). To reproduce a LISFLOOD-FP
    /// run. (Its friction takes |q| as the vector magnitude and caps the
    /// flow depth in the friction at 10 m; ours takes the face's |q|.)
    pub fn lisflood_fp() -> Settings {
        Settings {
            alpha: 0.7,
            theta: 1.0,
            depth_threshold: 1e-3,
            max_time_step: 10.0,
            froude_limit: None,
            ..Settings::default()
        }
    }

    /// The adaptive step for cells of `dx` metres and a deepest water of
    /// `h_max` metres: Δt = α·Δx / ((1 + Fr)·√(g·h_max)), since velocities
    /// reach Fr·√(g·h) under the Froude limit.
    pub fn time_step(&self, dx: f64, h_max: f64) -> f64 {
        if h_max <= self.depth_threshold {
            return self.max_time_step;
        }
        let speed = (1.0 + self.froude_limit.unwrap_or(0.0)) * (G * h_max).sqrt();
        (self.alpha * dx / speed).min(self.max_time_step)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            alpha: 0.7,
            theta: 0.8,
            depth_threshold: 1e-3,
            max_time_step: 10.0,
            arrival_depth: 0.1,
            froude_limit: Some(1.0),
        }
    }
}

/// Where the water came from and went, m³.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VolumeBalance {
    pub initial: f64,
    pub current: f64,
    pub rain: f64,
    pub inflow: f64,
    /// Net volume that entered through the edges (negative: it left).
    pub boundary_net_in: f64,
}

impl VolumeBalance {
    /// What the water volume should be minus what it is.
    pub fn error(&self) -> f64 {
        self.initial + self.rain + self.inflow + self.boundary_net_in - self.current
    }

    /// The error relative to the largest volume involved.
    pub fn relative_error(&self) -> f64 {
        let scale = self
            .initial
            .max(self.current)
            .max(self.initial + self.rain + self.inflow)
            .max(1e-12);
        self.error().abs() / scale
    }
}

/// A running simulation.
#[derive(Debug)]
pub struct Simulation {
    pub(crate) nx: usize,
    pub(crate) ny: usize,
    pub(crate) dx: f64,
    pub(crate) z: Vec<f64>,
    /// Lowest bed of the domain, for the time step under stage boundaries.
    z_min: f64,
    pub(crate) manning: Vec<f64>,
    pub(crate) h: Vec<f64>,
    pub(crate) qx: Vec<f64>,
    pub(crate) qy: Vec<f64>,
    /// A step's unlimited discharges, kept between steps so that no step
    /// allocates (see `step.rs`).
    pub(crate) scratch_qx: Vec<f64>,
    pub(crate) scratch_qy: Vec<f64>,
    /// Each cell's outflow scale under the limiter.
    pub(crate) scale: Vec<f64>,
    /// The deepest water now, found by each step's continuity pass.
    pub(crate) h_max: f64,
    /// Each cell's point inflow this step, m (empty without inflows).
    pub(crate) inflow_depth: Vec<f64>,
    pub(crate) time: f64,
    pub(crate) max_depth: Vec<f64>,
    pub(crate) arrival: Vec<f64>,
    pub(crate) scenario_rain: Option<TimeSeries>,
    pub(crate) inflows: Vec<(usize, TimeSeries)>,
    pub(crate) edge_inflows: Vec<EdgeInflow>,
    pub(crate) boundaries: Boundaries,
    pub(crate) settings: Settings,
    pub(crate) balance: VolumeBalance,
    pub(crate) steps: u64,
}

/// One side of a face: bed and water surface elevation.
#[derive(Clone, Copy)]
pub(crate) struct Side {
    pub(crate) z: f64,
    pub(crate) eta: f64,
}

impl Simulation {
    pub fn new(scenario: Scenario, settings: Settings) -> Result<Self, FloodError> {
        let Scenario {
            terrain,
            friction,
            initial_depth,
            rain_mm_per_hour,
            inflows,
            edge_inflows,
            boundaries,
        } = scenario;
        let (nx, ny, n) = (terrain.nx, terrain.ny, terrain.len());
        if let Some(i) = terrain.values.iter().position(|v| !v.is_finite()) {
            return Err(FloodError::BadValue {
                what: "the terrain",
                index: i,
            });
        }
        let manning = match friction {
            Friction::Constant(v) => vec![v; n],
            Friction::Raster(values) => values,
        };
        check_cells("Manning's n", &manning, n, |v| v.is_finite() && (0.0..1.0).contains(&v))?;
        let h = initial_depth.unwrap_or_else(|| vec![0.0; n]);
        check_cells("the initial depth", &h, n, |v| v.is_finite() && v >= 0.0)?;
        let inflows = inflows
            .into_iter()
            .map(|inflow| {
                if inflow.column >= nx || inflow.row >= ny {
                    return Err(FloodError::OutsideGrid {
                        what: "an inflow point",
                        column: inflow.column,
                        row: inflow.row,
                        nx,
                        ny,
                    });
                }
                Ok((inflow.row * nx + inflow.column, inflow.discharge))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for e in &edge_inflows {
            let along = match e.edge {
                Edge::North | Edge::South => nx,
                Edge::West | Edge::East => ny,
            };
            if e.first > e.last || e.last >= along {
                return Err(FloodError::Setting(format!(
                    "edge inflow over cells {}..={} does not fit the {:?} edge of {along} cells",
                    e.first, e.last, e.edge
                )));
            }
        }
        if !(settings.alpha > 0.0 && settings.alpha <= 1.0) {
            return Err(FloodError::Setting(format!("alpha {} must be in (0, 1]", settings.alpha)));
        }
        if !(0.0..=1.0).contains(&settings.theta) {
            return Err(FloodError::Setting(format!("theta {} must be in [0, 1]", settings.theta)));
        }
        if !(settings.depth_threshold > 0.0 && settings.max_time_step > 0.0) {
            return Err(FloodError::Setting(
                "the depth threshold and the largest time step must be positive".into(),
            ));
        }
        for b in [&boundaries.north, &boundaries.south, &boundaries.west, &boundaries.east] {
            if let Boundary::FreeOutflow { slope } = b
                && !(slope.is_finite() && *slope > 0.0)
            {
                return Err(FloodError::Setting(format!("free outflow slope {slope} must be positive")));
            }
        }
        let dx = terrain.cell_size;
        let initial = h.iter().sum::<f64>() * dx * dx;
        Ok(Self {
            nx,
            ny,
            dx,
            z_min: terrain.values.iter().copied().fold(f64::INFINITY, f64::min),
            z: terrain.values,
            manning,
            max_depth: h.clone(),
            arrival: h
                .iter()
                .map(|&d| if d > settings.arrival_depth { 0.0 } else { f64::INFINITY })
                .collect(),
            h_max: h.iter().copied().fold(0.0, f64::max),
            scale: vec![1.0; n],
            inflow_depth: Vec::new(),
            h,
            qx: vec![0.0; (nx + 1) * ny],
            qy: vec![0.0; nx * (ny + 1)],
            scratch_qx: vec![0.0; (nx + 1) * ny],
            scratch_qy: vec![0.0; nx * (ny + 1)],
            time: 0.0,
            scenario_rain: rain_mm_per_hour,
            inflows,
            edge_inflows,
            boundaries,
            settings,
            balance: VolumeBalance {
                initial,
                current: initial,
                ..VolumeBalance::default()
            },
            steps: 0,
        })
    }

    pub fn time(&self) -> f64 {
        self.time
    }
    pub fn steps(&self) -> u64 {
        self.steps
    }
    pub fn nx(&self) -> usize {
        self.nx
    }
    pub fn ny(&self) -> usize {
        self.ny
    }
    pub fn depth(&self) -> &[f64] {
        &self.h
    }
    pub fn max_depth(&self) -> &[f64] {
        &self.max_depth
    }
    /// Time (s) at which each cell first got deeper than
    /// [`Settings::arrival_depth`]; infinite where it never did.
    pub fn arrival_time(&self) -> &[f64] {
        &self.arrival
    }
    pub fn bed(&self) -> &[f64] {
        &self.z
    }
    pub fn balance(&self) -> VolumeBalance {
        VolumeBalance {
            current: self.volume(),
            ..self.balance
        }
    }

    /// Water surface elevation of a cell.
    pub fn level(&self, column: usize, row: usize) -> f64 {
        let i = row * self.nx + column;
        self.z[i] + self.h[i]
    }

    /// Cell-centred velocity (east, south) in m/s; zero where dry.
    pub fn velocity(&self) -> Vec<[f64; 2]> {
        let (nx, threshold) = (self.nx, self.settings.depth_threshold);
        (0..self.h.len())
            .map(|i| {
                let (c, r) = (i % nx, i / nx);
                let h = self.h[i];
                if h <= threshold {
                    return [0.0, 0.0];
                }
                let qx = (self.qx[r * (nx + 1) + c] + self.qx[r * (nx + 1) + c + 1]) / 2.0;
                let qy = (self.qy[r * nx + c] + self.qy[(r + 1) * nx + c]) / 2.0;
                [qx / h, qy / h]
            })
            .collect()
    }

    /// Water volume in the domain, m³.
    pub fn volume(&self) -> f64 {
        self.h.par_iter().sum::<f64>() * self.dx * self.dx
    }

    /// The adaptive time step for the current state.
    pub fn time_step(&self) -> f64 {
        let h_max = self.h_max;
        let edge_max = deepest_stage([&self.boundaries.north, &self.boundaries.south, &self.boundaries.west, &self.boundaries.east], self.time, self.z_min);
        self.settings.time_step(self.dx, h_max.max(edge_max))
    }

    /// Advances by one adaptive step, not beyond `until`; returns the step.
    pub fn step_until(&mut self, until: f64) -> f64 {
        let dt = self.time_step().min(until - self.time).max(1e-9);
        self.advance(dt);
        dt
    }

    /// Advances by `steps` steps of exactly `dt` seconds: for comparisons
    /// with other back-ends that take the same steps.
    pub fn advance_fixed(&mut self, dt: f64, steps: usize) {
        for _ in 0..steps {
            self.advance(dt);
        }
    }

    /// Runs to `end` seconds, calling `each_step` after every step.
    pub fn run_until(&mut self, end: f64, mut each_step: impl FnMut(&Self)) {
        while self.time < end - 1e-9 {
            self.step_until(end);
            each_step(self);
        }
    }
}

/// The deepest water a stage edge holds at `t` above the lowest bed `z_min`
/// (0 without stage edges): stage edges can be deeper than anything inside,
/// and the time step must allow for them.
pub fn deepest_stage<'a>(edges: impl IntoIterator<Item = &'a Boundary>, t: f64, z_min: f64) -> f64 {
    edges
        .into_iter()
        .filter_map(|b| match b {
            Boundary::Stage(s) => Some(s.at(t) - z_min),
            _ => None,
        })
        .fold(0.0, f64::max)
}

fn check_cells(what: &'static str, values: &[f64], n: usize, ok: impl Fn(f64) -> bool) -> Result<(), FloodError> {
    if values.len() != n {
        return Err(FloodError::SizeMismatch {
            what,
            expected: n,
            got: values.len(),
        });
    }
    match values.iter().position(|&v| !ok(v)) {
        Some(index) => Err(FloodError::BadValue { what, index }),
        None => Ok(()),
    }
}
