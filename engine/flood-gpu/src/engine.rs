//! The GPU solver behind the face the run loop knows
//! ([`sontinh_flood_plan::FloodEngine`]), and its final state read back
//! without blocking.

use sontinh_flood::VolumeBalance;

use crate::{GpuError, GpuSimulation};

impl sontinh_flood_plan::FloodEngine for GpuSimulation {
    fn describe(&self) -> String {
        format!("GPU, {}", self.adapter)
    }
    fn time(&self) -> f64 {
        self.time
    }
    fn steps(&self) -> u64 {
        self.steps
    }
    fn run_until(&mut self, end: f64, each_step: &mut dyn FnMut(f64)) -> Result<(), String> {
        GpuSimulation::run_until(self, end, each_step).map_err(|e| e.to_string())
    }
    fn depth(&self) -> Result<Vec<f64>, String> {
        GpuSimulation::depth(self).map_err(|e| e.to_string())
    }
    fn max_depth(&self) -> Result<Vec<f64>, String> {
        GpuSimulation::max_depth(self).map_err(|e| e.to_string())
    }
    fn arrival_time(&self) -> Result<Vec<f64>, String> {
        GpuSimulation::arrival_time(self).map_err(|e| e.to_string())
    }
    fn velocity(&self) -> Result<Vec<[f64; 2]>, String> {
        GpuSimulation::velocity(self).map_err(|e| e.to_string())
    }
    /// Measured on the GPU too: it sums the flow through the edges itself.
    fn balance(&self) -> Result<VolumeBalance, String> {
        GpuSimulation::balance(self).map_err(|e| e.to_string())
    }
}

impl GpuSimulation {
    /// The solver's final state read back without blocking.
    pub async fn final_state_async(&self) -> Result<sontinh_flood_plan::FinalState, GpuError> {
        Ok(sontinh_flood_plan::FinalState {
            describe: format!("GPU, {}", self.adapter),
            time: self.time,
            steps: self.steps,
            depth: self.depth_async().await?,
            max_depth: self.max_depth_async().await?,
            arrival_time: self.arrival_time_async().await?,
            velocity: self.velocity_async().await?,
            balance: self.balance_async().await?,
        })
    }
}
