//! The GPU back-end of the flood solver: the same local-inertial scheme as
//! `sontinh-flood`'s CPU solver, in WGSL compute shaders run through wgpu
//! (Vulkan here, including Mesa's lavapipe on machines without a GPU).
//!
//! Precision is f32 on the GPU against f64 on the CPU; the two agree to a
//! stated tolerance (see the tests). Every forcing of the CPU solver is
//! supported: initial water, uniform rain, Manning per cell, point and edge
//! inflows, closed, free-outflow and stage edges; maximum depth and arrival
//! time are kept on the GPU, and so is the volume through the edges, so that
//! the volume balance ([`GpuSimulation::balance`]) is measured as on the CPU.

use std::borrow::Cow;

use bytemuck::{Pod, Zeroable};
use sontinh_flood::{Boundary, Edge, EdgeInflow, Friction, G, Scenario, Settings, TimeSeries};
use wgpu::util::DeviceExt;

/// The solver's shaders, for validation and for other hosts (WebGPU).
pub const SHADER: &str = include_str!("flood.wgsl");

const KERNELS: [&str; 7] = ["flux_x", "flux_y", "limit", "apply_limit_x", "apply_limit_y", "edge_volume", "continuity"];

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter (install Mesa's lavapipe, Debian package mesa-vulkan-drivers, to run on the CPU): {0}")]
    NoAdapter(String),
    #[error("the GPU refused the device: {0}")]
    Device(String),
    #[error("not supported by the GPU back-end yet: {0}")]
    Unsupported(String),
    #[error("reading results back from the GPU failed: {0}")]
    Readback(String),
    #[error("{0}")]
    Scenario(String),
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Params {
    nx: u32,
    ny: u32,
    dx: f32,
    dt: f32,
    g: f32,
    theta: f32,
    threshold: f32,
    froude: f32,
    rain_depth: f32,
    sources: u32,
    time_after: f32,
    arrival_depth: f32,
    /// Where this step's point inflows start in the sources buffer.
    source_base: u32,
    /// Where this step's edge inflows start, past the bed and Manning's n.
    edge_base: u32,
    _pad: [u32; 2],
    edge_kind: [u32; 4],
    edge_value: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Source {
    cell: u32,
    depth: f32,
}

/// Runs re-read the deepest water between batches of steps for the time
/// step instead of after every step: batches of at least this many steps,
/// longer (up to [`MAX_BATCH_STEPS`]) while the deepest water rises slowly,
/// one step at a time while the area is dry.
pub const STEPS_PER_TIME_STEP: usize = 10;
/// How much the deepest water may grow within a batch at the rate it grew
/// in the last: 1.1 in depth is 1.05 in wave speed, so a batch's steps stay
/// within 5 % of the CPU solver's and well inside α (0.7) of the limit.
const MAX_DEEPEST_GROWTH: f64 = 1.1;

/// Steps encoded into one submission: each step's parameters sit at their
/// own offset of one uniform buffer, so a batch costs one upload and one
/// submit (a browser's GPU process is a message away, per submit).
const MAX_BATCH_STEPS: usize = 64;

/// No river enters through this edge face.
const NO_INFLOW: f32 = -1e30;

/// A flood simulation held on the GPU.
pub struct GpuSimulation {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Vec<wgpu::ComputePipeline>,
    /// Finds the deepest water, for the time step, into `scale`'s last slot.
    deepest: wgpu::ComputePipeline,
    /// Steps alternate between two bind groups that swap the old and new
    /// discharges, so that a batch needs no copies between steps.
    bind_groups: [wgpu::BindGroup; 2],
    /// One step's parameters per `params_stride` bytes.
    params: wgpu::Buffer,
    params_stride: u64,
    /// Bed, Manning's n, then the edge faces' inflows (see the shader).
    land: wgpu::Buffer,
    h: wgpu::Buffer,
    /// x-face then y-face discharges, in turn the old step's and the new
    /// (see [`GpuSimulation::latest_discharges`]).
    discharges: [wgpu::Buffer; 2],
    /// The limiter's factor per cell, then the deepest water.
    scale: wgpu::Buffer,
    sources: wgpu::Buffer,
    /// The deepest water, then the arrival time, per cell.
    track: wgpu::Buffer,
    edge_in: wgpu::Buffer,
    readback: wgpu::Buffer,
    adapter: String,
    boundaries: [Boundary; 4],
    inflows: Vec<(u32, TimeSeries)>,
    edge_inflows: Vec<EdgeInflow>,
    nx: usize,
    ny: usize,
    dx: f64,
    settings: Settings,
    rain: Option<TimeSeries>,
    /// The lowest bed, below which a stage edge's water is measured.
    z_min: f64,
    time: f64,
    steps: u64,
    /// The deepest water (with stage edges) before the last batch, and
    /// that batch's steps: how fast it rises.
    last_batch: Option<(f64, usize)>,
    /// Volumes booked as the CPU solver books them, m³ (the flow through the
    /// edges is measured on the GPU instead).
    initial_volume: f64,
    rain_volume: f64,
    inflow_volume: f64,
}

impl std::fmt::Debug for GpuSimulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuSimulation")
            .field("adapter", &self.adapter)
            .field("nx", &self.nx)
            .field("ny", &self.ny)
            .field("time", &self.time)
            .finish()
    }
}

fn storage(device: &wgpu::Device, label: &str, data: &[f32], copy: bool) -> wgpu::Buffer {
    let mut usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
    if copy {
        usage |= wgpu::BufferUsages::COPY_SRC;
    }
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::cast_slice(data),
        usage,
    })
}

impl GpuSimulation {
    /// A simulation on a device of its own (Vulkan; lavapipe without a GPU).
    pub fn new(scenario: &Scenario, settings: &Settings) -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN,
            ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
        });
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("sontinh flood"),
            required_features: wgpu::Features::empty(),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device(e.to_string()))?;
        Self::with_device(device, queue, format!("{} ({:?}, {:?})", info.name, info.device_type, info.backend), scenario, settings)
    }

    /// A simulation on a device the host already has (the page's WebGPU
    /// device, which its renderer uses too); `adapter` names it in reports.
    /// Read results with the `_async` methods where the host cannot wait
    /// (a browser).
    pub fn with_device(device: wgpu::Device, queue: wgpu::Queue, adapter: String, scenario: &Scenario, settings: &Settings) -> Result<Self, GpuError> {
        // The CPU solver validates the scenario; the GPU runs only what it accepts.
        sontinh_flood::Simulation::new(scenario.clone(), settings.clone()).map_err(|e| GpuError::Scenario(e.to_string()))?;
        let terrain = &scenario.terrain;
        let (nx, ny, cells) = (terrain.nx, terrain.ny, terrain.len());
        let to_f32 = |v: &[f64]| v.iter().map(|x| *x as f32).collect::<Vec<f32>>();
        let z = to_f32(&terrain.values);
        let manning = match &scenario.friction {
            Friction::Constant(n) => vec![*n as f32; cells],
            Friction::Raster(values) => to_f32(values),
        };
        let h = scenario.initial_depth.as_deref().map(to_f32).unwrap_or_else(|| vec![0.0; cells]);
        if manning.len() != cells || h.len() != cells {
            return Err(GpuError::Scenario(
                "Manning's n or the initial depth does not match the terrain".into(),
            ));
        }
        // The largest buffers: the bed and Manning's n with the edge inflows,
        // and the deepest water and arrival per cell.
        let edge_slots = if scenario.edge_inflows.is_empty() { 1 } else { MAX_BATCH_STEPS };
        let largest = ((2 * cells + 2 * (nx + ny) * edge_slots) * 4) as u64;
        if largest > device.limits().max_storage_buffer_binding_size {
            return Err(GpuError::Unsupported(format!(
                "a {nx} × {ny} grid exceeds this GPU's storage buffer size"
            )));
        }

        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("flood.wgsl"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(SHADER)),
        });
        let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let read_write = wgpu::BufferBindingType::Storage { read_only: false };
        let read_only = wgpu::BufferBindingType::Storage { read_only: true };
        let mut params_entry = entry(0, wgpu::BufferBindingType::Uniform);
        params_entry.ty = wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: true,
            min_binding_size: wgpu::BufferSize::new(std::mem::size_of::<Params>() as u64),
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("flood buffers"),
            entries: &[
                params_entry,
                entry(1, read_only),
                entry(2, read_write),
                entry(3, read_write),
                entry(4, read_write),
                entry(5, read_write),
                entry(6, read_only),
                entry(7, read_write),
                entry(8, read_write),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("flood"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |name: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(name),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let pipelines = KERNELS.iter().map(|name| pipeline(name)).collect();
        let deepest = pipeline("deepest");

        let params_size = std::mem::size_of::<Params>() as u64;
        let params_stride = params_size.next_multiple_of(u64::from(device.limits().min_uniform_buffer_offset_alignment));
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: params_stride * MAX_BATCH_STEPS as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        // Each step of a batch has its own edge inflows when rivers enter
        // through the edges.
        let edge_faces = 2 * (nx + ny);
        let land: Vec<f32> = z
            .iter()
            .chain(&manning)
            .copied()
            .chain(std::iter::repeat_n(NO_INFLOW, edge_faces * edge_slots))
            .collect();
        let land_buffer = storage(&device, "land", &land, false);
        let h_buffer = storage(&device, "h", &h, true);
        let faces = (nx + 1) * ny + nx * (ny + 1);
        let discharges = [
            storage(&device, "q a", &vec![0.0; faces], true),
            storage(&device, "q b", &vec![0.0; faces], true),
        ];
        // The deepest water starts as uploaded; the GPU keeps it after each batch.
        let deepest_now = h.iter().copied().fold(0.0, f32::max);
        let scale: Vec<f32> = std::iter::repeat_n(1.0, cells).chain([deepest_now]).collect();
        let scale = storage(&device, "scale", &scale, true);
        let source_count = scenario.inflows.len().max(1) * MAX_BATCH_STEPS;
        let sources = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sources"),
            size: (source_count * std::mem::size_of::<Source>()) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let arrived = h.iter().map(|d| if f64::from(*d) > settings.arrival_depth { 0.0 } else { -1.0 });
        let track: Vec<f32> = h.iter().copied().chain(arrived).collect();
        let track = storage(&device, "track", &track, true);
        // Each edge face's volume and its compensation term.
        let edge_in = storage(&device, "edge_in", &vec![0.0; 2 * edge_faces], true);
        // Large enough for the biggest buffer read back (the face discharges).
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: (faces.max(2 * cells).max(2 * edge_faces) * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = |old: &wgpu::Buffer, new: &wgpu::Buffer| {
            let buffers = [&land_buffer, &h_buffer, old, new, &scale, &sources, &track, &edge_in];
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &params,
                    offset: 0,
                    size: wgpu::BufferSize::new(params_size),
                }),
            }];
            entries.extend(buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: b.as_entire_binding(),
            }));
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("flood"),
                layout: &layout,
                entries: &entries,
            })
        };
        let bind_groups = [
            bind_group(&discharges[0], &discharges[1]),
            bind_group(&discharges[1], &discharges[0]),
        ];
        // The water as uploaded (f32), which is what the GPU holds.
        let initial_volume = h.iter().map(|d| f64::from(*d)).sum::<f64>() * terrain.cell_size * terrain.cell_size;
        Ok(Self {
            adapter,
            device,
            queue,
            pipelines,
            deepest,
            bind_groups,
            params,
            params_stride,
            land: land_buffer,
            h: h_buffer,
            discharges,
            scale,
            sources,
            track,
            edge_in,
            readback,
            boundaries: [
                scenario.boundaries.north.clone(),
                scenario.boundaries.south.clone(),
                scenario.boundaries.west.clone(),
                scenario.boundaries.east.clone(),
            ],
            inflows: scenario
                .inflows
                .iter()
                .map(|i| ((i.row * nx + i.column) as u32, i.discharge.clone()))
                .collect(),
            edge_inflows: scenario.edge_inflows.clone(),
            nx,
            ny,
            dx: terrain.cell_size,
            settings: settings.clone(),
            rain: scenario.rain_mm_per_hour.clone(),
            z_min: terrain.values.iter().copied().fold(f64::INFINITY, f64::min),
            time: 0.0,
            steps: 0,
            last_batch: None,
            initial_volume,
            rain_volume: 0.0,
            inflow_volume: 0.0,
        })
    }

    /// The adapter running the simulation, e.g. "llvmpipe (…) (Cpu, Vulkan)".
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    pub fn time(&self) -> f64 {
        self.time
    }

    /// Advances by `steps` steps of `dt` seconds each, without waiting.
    pub fn advance(&mut self, dt: f64, steps: usize) {
        let mut left = steps;
        while left > 0 {
            let batch = left.min(MAX_BATCH_STEPS);
            self.submit_batch(dt, batch);
            left -= batch;
        }
    }

    /// Encodes `steps` (at most [`MAX_BATCH_STEPS`]) steps in one
    /// submission, then the search for the deepest water.
    fn submit_batch(&mut self, dt: f64, steps: usize) {
        let (nx, ny) = (self.nx, self.ny);
        let edge_faces = 2 * (nx + ny);
        let stride = self.params_stride as usize;
        let mut params = vec![0u8; stride * steps];
        let mut edge_q = Vec::new();
        let mut sources = Vec::with_capacity(self.inflows.len() * steps);
        for step in 0..steps {
            let (t0, t1, t_mid) = (self.time, self.time + dt, self.time + dt / 2.0);
            let rain_depth = self
                .rain
                .as_ref()
                .map(|s| s.integral(t0, t1) / 1000.0 / 3600.0)
                .unwrap_or(0.0)
                .max(0.0);
            let mut edge_kind = [0u32; 4];
            let mut edge_value = [0f32; 4];
            for (k, b) in self.boundaries.iter().enumerate() {
                (edge_kind[k], edge_value[k]) = match b {
                    Boundary::Closed => (0, 0.0),
                    Boundary::FreeOutflow { slope } => (1, *slope as f32),
                    Boundary::Stage(series) => (2, series.at(t_mid) as f32),
                };
            }
            if !self.edge_inflows.is_empty() {
                let start = edge_q.len();
                edge_q.resize(start + edge_faces, NO_INFLOW);
                for e in &self.edge_inflows {
                    // The step's mean discharge, as the CPU solver uses.
                    let q = (e.discharge.integral(t0, t1) / dt).max(0.0) / ((e.last - e.first + 1) as f64 * self.dx);
                    let offset = match e.edge {
                        Edge::North => 0,
                        Edge::South => nx,
                        Edge::West => 2 * nx,
                        Edge::East => 2 * nx + ny,
                    };
                    for k in e.first..=e.last {
                        edge_q[start + offset + k] = q as f32;
                    }
                }
            }
            let area = self.dx * self.dx;
            for (cell, series) in &self.inflows {
                let volume = series.integral(t0, t1).max(0.0);
                sources.push(Source {
                    cell: *cell,
                    depth: (volume / area) as f32,
                });
                self.inflow_volume += volume;
            }
            self.rain_volume += rain_depth * area * (nx * ny) as f64;
            let step_params = Params {
                nx: nx as u32,
                ny: ny as u32,
                dx: self.dx as f32,
                dt: dt as f32,
                g: G as f32,
                theta: self.settings.theta as f32,
                threshold: self.settings.depth_threshold as f32,
                froude: self.settings.froude_limit.unwrap_or(0.0) as f32,
                rain_depth: rain_depth as f32,
                sources: self.inflows.len() as u32,
                time_after: t1 as f32,
                arrival_depth: self.settings.arrival_depth as f32,
                source_base: (step * self.inflows.len()) as u32,
                edge_base: if self.edge_inflows.is_empty() { 0 } else { (step * edge_faces) as u32 },
                _pad: [0; 2],
                edge_kind,
                edge_value,
            };
            params[step * stride..][..std::mem::size_of::<Params>()].copy_from_slice(bytemuck::bytes_of(&step_params));
            self.time = t1;
        }
        self.queue.write_buffer(&self.params, 0, &params);
        if !edge_q.is_empty() {
            // The inflows sit after the bed and Manning's n.
            self.queue.write_buffer(&self.land, (2 * nx * ny * 4) as u64, bytemuck::cast_slice(&edge_q));
        }
        if !sources.is_empty() {
            self.queue.write_buffer(&self.sources, 0, bytemuck::cast_slice(&sources));
        }

        let counts = [(nx + 1) * ny, nx * (ny + 1), nx * ny, (nx + 1) * ny, nx * (ny + 1), edge_faces, nx * ny];
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("flood steps") });
        {
            // WebGPU orders the dispatches of a pass, each seeing the last's writes.
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("flood steps"),
                timestamp_writes: None,
            });
            for step in 0..steps {
                let parity = ((self.steps + step as u64) % 2) as usize;
                pass.set_bind_group(0, &self.bind_groups[parity], &[(step * stride) as u32]);
                for (pipeline, count) in self.pipelines.iter().zip(counts) {
                    let groups = count.div_ceil(64) as u32;
                    let (x, y) = if groups > 65_535 {
                        (65_535, groups.div_ceil(65_535))
                    } else {
                        (groups, 1)
                    };
                    pass.set_pipeline(pipeline);
                    pass.dispatch_workgroups(x, y, 1);
                }
            }
            pass.set_pipeline(&self.deepest);
            pass.dispatch_workgroups(1, 1, 1);
        }
        self.queue.submit([encoder.finish()]);
        self.steps += steps as u64;
    }

    /// The buffer the last step wrote its discharges to.
    fn latest_discharges(&self) -> &wgpu::Buffer {
        // Step k reads buffer k % 2 and writes the other, so after n steps
        // the last was written to buffer n % 2 (before any, both hold zeros).
        &self.discharges[(self.steps % 2) as usize]
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Advances to `end` s in batches of steps of the adaptive step (the
    /// deepest water read back once a batch); `each_batch` gets the time
    /// after each batch.
    pub fn run_until(&mut self, end: f64, each_batch: &mut dyn FnMut(f64)) -> Result<(), GpuError> {
        while self.time < end - 1e-6 {
            let deepest = self.deepest()?;
            self.advance_batch(deepest, end);
            each_batch(self.time);
        }
        Ok(())
    }

    /// [`GpuSimulation::run_until`] without blocking: for hosts that cannot wait.
    pub async fn run_until_async(&mut self, end: f64, each_batch: &mut (dyn FnMut(f64) + Send)) -> Result<(), GpuError> {
        while self.batch_toward_async(end).await? {
            each_batch(self.time);
        }
        Ok(())
    }

    /// One batch toward `end` without blocking (a host that pauses or
    /// cancels between batches drives these itself); false once at `end`.
    pub async fn batch_toward_async(&mut self, end: f64) -> Result<bool, GpuError> {
        if self.time >= end - 1e-6 {
            return Ok(false);
        }
        let deepest = self.deepest_async().await?;
        self.advance_batch(deepest, end);
        Ok(true)
    }

    /// One batch toward `end` from the deepest water now (stage edges
    /// included); the last batch is cut to land on `end` exactly.
    fn advance_batch(&mut self, deepest: f64, end: f64) {
        // The CPU solver's step, from the deepest water at the batch's start:
        // the scheme's results move with the step (0.8 times shorter steps
        // moved the Citadel's maximum depths by 4.4 cm at p99), so no margin.
        let dt = self.settings.time_step(self.dx, deepest);
        let wanted = batch_steps(self.last_batch, deepest, self.settings.depth_threshold);
        let remaining = end - self.time;
        let (step, count) = if remaining <= dt * wanted as f64 {
            let count = (remaining / dt).ceil().max(1.0);
            (remaining / count, count as usize)
        } else {
            (dt, wanted)
        };
        self.last_batch = Some((deepest, count));
        self.advance(step, count);
    }
}

/// Steps for the next batch, from how fast the deepest water rose over the
/// last (`last`: the deepest before it and its steps): as many as keep the
/// rise at that rate within [`MAX_DEEPEST_GROWTH`], between
/// [`STEPS_PER_TIME_STEP`] and [`MAX_BATCH_STEPS`]; the fewest while the
/// rise is unknown, one while the area is dry.
fn batch_steps(last: Option<(f64, usize)>, deepest: f64, threshold: f64) -> usize {
    // Dry: the longest step until water arrives, re-read after each.
    if deepest <= threshold {
        return 1;
    }
    let Some((before, steps)) = last else { return STEPS_PER_TIME_STEP };
    if before <= threshold || steps == 0 {
        return STEPS_PER_TIME_STEP;
    }
    let growth_per_step = (deepest / before).powf(1.0 / steps as f64);
    if growth_per_step <= 1.0 {
        return MAX_BATCH_STEPS;
    }
    let steps = MAX_DEEPEST_GROWTH.ln() / growth_per_step.ln();
    if steps.is_finite() { (steps.floor() as usize).clamp(STEPS_PER_TIME_STEP, MAX_BATCH_STEPS) } else { MAX_BATCH_STEPS }
}

mod engine;
mod readback;

#[cfg(test)]
mod tests;
