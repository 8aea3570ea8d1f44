//! Reading the simulation back: blocking natively (the device is polled
//! until the copy is mapped), awaited in a browser (the mapping wakes the
//! task), one readback buffer either way.

use sontinh_flood::VolumeBalance;

use crate::{GpuError, GpuSimulation};

impl GpuSimulation {
    /// The volumes in, out and held since the start, as the CPU solver's
    /// `Simulation::balance` reports them: the flow through the edges is
    /// summed on the GPU face by face, so the balance's error is a measured
    /// one (waits for the GPU).
    pub fn balance(&self) -> Result<VolumeBalance, GpuError> {
        Ok(self.balance_from(&self.read(&self.edge_in)?, &self.depth()?))
    }

    /// [`GpuSimulation::balance`] without blocking: for hosts that cannot wait.
    pub async fn balance_async(&self) -> Result<VolumeBalance, GpuError> {
        let edge_in = self.read_async(&self.edge_in).await?;
        Ok(self.balance_from(&edge_in, &self.depth_async().await?))
    }

    fn balance_from(&self, edge_in: &[f64], depth: &[f64]) -> VolumeBalance {
        let faces = 2 * (self.nx + self.ny);
        VolumeBalance {
            initial: self.initial_volume,
            current: depth.iter().sum::<f64>() * self.dx * self.dx,
            rain: self.rain_volume,
            inflow: self.inflow_volume,
            boundary_net_in: edge_in[..faces].iter().sum(),
        }
    }

    /// The water depth of every cell (waits for the GPU).
    pub fn depth(&self) -> Result<Vec<f64>, GpuError> {
        self.read(&self.h)
    }

    pub async fn depth_async(&self) -> Result<Vec<f64>, GpuError> {
        self.read_async(&self.h).await
    }

    /// The deepest water each cell has held.
    pub fn max_depth(&self) -> Result<Vec<f64>, GpuError> {
        let mut track = self.read(&self.track)?;
        track.truncate(self.nx * self.ny);
        Ok(track)
    }

    pub async fn max_depth_async(&self) -> Result<Vec<f64>, GpuError> {
        let mut track = self.read_async(&self.track).await?;
        track.truncate(self.nx * self.ny);
        Ok(track)
    }

    /// When each cell first got deeper than the arrival depth, s; infinite
    /// where it never did.
    pub fn arrival_time(&self) -> Result<Vec<f64>, GpuError> {
        Ok(arrival_from(self.read(&self.track)?.split_off(self.nx * self.ny)))
    }

    pub async fn arrival_time_async(&self) -> Result<Vec<f64>, GpuError> {
        Ok(arrival_from(self.read_async(&self.track).await?.split_off(self.nx * self.ny)))
    }

    /// Cell-centred velocity (east, south) in m/s, zero where dry, as the CPU
    /// solver computes it.
    pub fn velocity(&self) -> Result<Vec<[f64; 2]>, GpuError> {
        Ok(self.velocity_from(&self.read(self.latest_discharges())?, &self.depth()?))
    }

    pub async fn velocity_async(&self) -> Result<Vec<[f64; 2]>, GpuError> {
        let q = self.read_async(self.latest_discharges()).await?;
        Ok(self.velocity_from(&q, &self.depth_async().await?))
    }

    /// From the new discharges (x-faces, then y-faces) and the depths.
    fn velocity_from(&self, q: &[f64], h: &[f64]) -> Vec<[f64; 2]> {
        let nx = self.nx;
        let (qx, qy) = q.split_at((nx + 1) * self.ny);
        (0..h.len())
            .map(|i| {
                let (c, r) = (i % nx, i / nx);
                if h[i] <= self.settings.depth_threshold {
                    return [0.0, 0.0];
                }
                let u = (qx[r * (nx + 1) + c] + qx[r * (nx + 1) + c + 1]) / 2.0;
                let v = (qy[r * nx + c] + qy[(r + 1) * nx + c]) / 2.0;
                [u / h[i], v / h[i]]
            })
            .collect()
    }

    /// Copies `buffer` to the readback buffer and asks for it to be mapped:
    /// its size, and where the mapping's outcome arrives.
    fn start_read(&self, buffer: &wgpu::Buffer, offset: u64, size: u64) -> (u64, async_channel::Receiver<Result<(), wgpu::BufferAsyncError>>) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("read back") });
        encoder.copy_buffer_to_buffer(buffer, offset, &self.readback, 0, size);
        self.queue.submit([encoder.finish()]);
        let (sender, receiver) = async_channel::bounded(1);
        self.readback.slice(..size).map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.try_send(result);
        });
        (size, receiver)
    }

    /// The mapped readback buffer's values, unmapped after.
    fn finish_read(&self, size: u64, mapped: Option<Result<(), wgpu::BufferAsyncError>>) -> Result<Vec<f64>, GpuError> {
        mapped
            .ok_or_else(|| GpuError::Readback("the GPU never answered".into()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let values = {
            let bytes = self.readback.slice(..size).get_mapped_range();
            bytemuck::cast_slice::<u8, f32>(&bytes).iter().map(|v| f64::from(*v)).collect()
        };
        self.readback.unmap();
        Ok(values)
    }

    fn read(&self, buffer: &wgpu::Buffer) -> Result<Vec<f64>, GpuError> {
        self.read_range(buffer, 0, buffer.size())
    }

    fn read_range(&self, buffer: &wgpu::Buffer, offset: u64, size: u64) -> Result<Vec<f64>, GpuError> {
        let (size, receiver) = self.start_read(buffer, offset, size);
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        self.finish_read(size, receiver.try_recv().ok())
    }

    /// [`GpuSimulation::read`] without blocking in a browser: it maps the
    /// buffer and wakes this when it is ready.
    async fn read_async(&self, buffer: &wgpu::Buffer) -> Result<Vec<f64>, GpuError> {
        self.read_range_async(buffer, 0, buffer.size()).await
    }

    async fn read_range_async(&self, buffer: &wgpu::Buffer, offset: u64, size: u64) -> Result<Vec<f64>, GpuError> {
        let (size, receiver) = self.start_read(buffer, offset, size);
        // Natively nothing else drives this device: wait here, as `read` does.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        self.finish_read(size, receiver.recv().await.ok())
    }

    /// The adaptive step for the current state, as the CPU solver computes
    /// it (without the runs' safety factor).
    pub fn time_step(&self) -> Result<f64, GpuError> {
        Ok(self.settings.time_step(self.dx, self.deepest()?))
    }

    /// The deepest water, which the GPU finds after each batch (one number
    /// comes back, not the depths), or a stage edge's if deeper.
    pub(crate) fn deepest(&self) -> Result<f64, GpuError> {
        let deepest = self.read_range(&self.scale, self.deepest_offset(), 4)?;
        Ok(self.with_stage_edges(deepest[0]))
    }

    pub(crate) async fn deepest_async(&self) -> Result<f64, GpuError> {
        let deepest = self.read_range_async(&self.scale, self.deepest_offset(), 4).await?;
        Ok(self.with_stage_edges(deepest[0]))
    }

    /// Where the deepest water sits in `scale`, after the limiter's factors.
    fn deepest_offset(&self) -> u64 {
        (self.nx * self.ny * 4) as u64
    }

    /// Stage edges can be deeper than anything inside, as the CPU solver allows.
    fn with_stage_edges(&self, h_max: f64) -> f64 {
        h_max.max(sontinh_flood::deepest_stage(&self.boundaries, self.time, self.z_min))
    }
}

fn arrival_from(raw: Vec<f64>) -> Vec<f64> {
    raw.into_iter().map(|t| if t < 0.0 { f64::INFINITY } else { t }).collect()
}
