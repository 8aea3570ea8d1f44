//! Flood simulation on raster terrain, for planners.
//!
//! - [`Simulation`]: the local-inertial 2D shallow-water solver of Bates et
//!   al. (2010) with the θ-scheme of de Almeida et al. (2012), as in
//!   LISFLOOD-FP's ACC solver: discharges on staggered cell faces, flow depth
//!   from the higher bed and water level, semi-implicit Manning friction,
//!   adaptive time step Δt = α·Δx/√(g·h_max). Multi-threaded with rayon.
//! - [`inundation::connected_flood`]: the quick map of what lies below a
//!   river level and is connected to it (priority flood), O(n log n).

mod control;
pub mod inundation;
pub mod outputs;
mod raster;
mod series;
mod solver;
mod step;

pub use control::RunControl;
pub use raster::Raster;
pub use series::TimeSeries;
pub use solver::{Boundaries, Boundary, Edge, EdgeInflow, Friction, Inflow, Scenario, Settings, Simulation, VolumeBalance, deepest_stage};

/// Gravitational acceleration, m/s².
pub const G: f64 = 9.81;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FloodError {
    #[error("{what} has {got} values but the terrain has {expected} cells")]
    SizeMismatch { what: &'static str, expected: usize, got: usize },
    #[error("{what} contains a value that is not finite or out of range at cell {index}")]
    BadValue { what: &'static str, index: usize },
    #[error("{what} ({column}, {row}) lies outside the {nx} × {ny} grid")]
    OutsideGrid {
        what: &'static str,
        column: usize,
        row: usize,
        nx: usize,
        ny: usize,
    },
    #[error("invalid setting: {0}")]
    Setting(String),
    #[error("invalid time series: {0}")]
    Series(String),
}

#[cfg(test)]
mod validation;
