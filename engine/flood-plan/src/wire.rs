//! Byte forms between the page's flood worker and its main thread, for
//! runs on the page's GPU: the worker prepares the plan and hands over the
//! solver's input ([`Scenario`]); the main thread hands back each moment's
//! depth and, at the end, the solver's [`FinalState`]. Every count is
//! checked against the bytes left, and values as the solver checks them.

use sontinh_flood::{Boundaries, Boundary, Edge, EdgeInflow, Friction, Inflow, Raster, Scenario, Settings, TimeSeries, VolumeBalance};
use sontinh_wire::{Reader, Writer};

use crate::run::FinalState;

const SCENARIO_MAGIC: [u8; 4] = *b"SFS2";
const STATE_MAGIC: [u8; 4] = *b"SFSt";
const DEPTH_MAGIC: [u8; 4] = *b"SFDp";

fn write_values(w: &mut Writer, values: &[f64]) {
    w.len(values.len());
    w.f64s(values);
}

fn read_values(r: &mut Reader, what: &str) -> Result<Vec<f64>, String> {
    let count = r.len(what)?;
    Ok(r.f64_arrays::<1>(count, what)?.into_iter().map(|[v]| v).collect())
}

fn write_series(w: &mut Writer, series: &TimeSeries) {
    w.len(series.points().len());
    for (t, v) in series.points() {
        w.f64s(&[*t, *v]);
    }
}

fn read_series(r: &mut Reader, what: &str) -> Result<TimeSeries, String> {
    let count = r.len(what)?;
    let points = r.f64_arrays::<2>(count, what)?.into_iter().map(|[t, v]| (t, v)).collect();
    TimeSeries::new(points).map_err(|e| r.error(format!("{what}: {e}")))
}

fn write_boundary(w: &mut Writer, boundary: &Boundary) {
    match boundary {
        Boundary::Closed => w.u8(0),
        Boundary::FreeOutflow { slope } => {
            w.u8(1);
            w.f64s(&[*slope]);
        }
        Boundary::Stage(series) => {
            w.u8(2);
            write_series(w, series);
        }
    }
}

fn read_boundary(r: &mut Reader) -> Result<Boundary, String> {
    Ok(match r.u8("an edge's kind")? {
        0 => Boundary::Closed,
        1 => Boundary::FreeOutflow { slope: r.f64s::<1>("a free edge's slope")?[0] },
        2 => Boundary::Stage(read_series(r, "a stage edge's levels")?),
        other => return Err(r.error(format!("edge kind {other} (0 to 2)"))),
    })
}

const EDGES: [Edge; 4] = [Edge::North, Edge::South, Edge::West, Edge::East];

/// The solver's input and settings as bytes.
pub fn scenario_to_bytes(s: &Scenario, settings: &Settings) -> Vec<u8> {
    let cells = s.terrain.values.len();
    let mut w = Writer::with_capacity(cells * 24 + 256);
    w.bytes(&SCENARIO_MAGIC);
    w.len(s.terrain.nx);
    w.len(s.terrain.ny);
    w.f64s(&[s.terrain.cell_size]);
    write_values(&mut w, &s.terrain.values);
    match &s.friction {
        Friction::Constant(n) => {
            w.u8(0);
            w.f64s(&[*n]);
        }
        Friction::Raster(values) => {
            w.u8(1);
            write_values(&mut w, values);
        }
    }
    match &s.initial_depth {
        None => w.u8(0),
        Some(depth) => {
            w.u8(1);
            write_values(&mut w, depth);
        }
    }
    match &s.rain_mm_per_hour {
        None => w.u8(0),
        Some(series) => {
            w.u8(1);
            write_series(&mut w, series);
        }
    }
    w.len(s.inflows.len());
    for inflow in &s.inflows {
        w.len(inflow.column);
        w.len(inflow.row);
        write_series(&mut w, &inflow.discharge);
    }
    w.len(s.edge_inflows.len());
    for e in &s.edge_inflows {
        w.u8(EDGES.iter().position(|edge| *edge == e.edge).unwrap_or(0) as u8);
        w.len(e.first);
        w.len(e.last);
        write_series(&mut w, &e.discharge);
    }
    let b = &s.boundaries;
    for boundary in [&b.north, &b.south, &b.west, &b.east] {
        write_boundary(&mut w, boundary);
    }
    w.f64s(&[settings.alpha, settings.theta, settings.depth_threshold, settings.max_time_step, settings.arrival_depth]);
    match settings.froude_limit {
        None => w.u8(0),
        Some(limit) => {
            w.u8(1);
            w.f64s(&[limit]);
        }
    }
    w.into_bytes()
}

/// The solver's input and settings from [`scenario_to_bytes`]; the solver
/// checks them again when it is given them.
pub fn scenario_from_bytes(bytes: &[u8]) -> Result<(Scenario, Settings), String> {
    let mut r = Reader::new(bytes, "a flood scenario");
    if r.take(4, "its magic")? != SCENARIO_MAGIC {
        return Err(r.error("not a flood scenario"));
    }
    let nx = r.len("the grid's columns")?;
    let ny = r.len("the grid's rows")?;
    let [cell] = r.f64s("the cell size")?;
    let values = read_values(&mut r, "the terrain")?;
    let terrain = Raster::new(nx, ny, cell, values).map_err(|e| r.error(e))?;
    let friction = match r.u8("the friction's kind")? {
        0 => Friction::Constant(r.f64s::<1>("Manning's n")?[0]),
        1 => Friction::Raster(read_values(&mut r, "Manning's n per cell")?),
        other => return Err(r.error(format!("friction kind {other} (0 or 1)"))),
    };
    let initial_depth = match r.u8("whether there is initial water")? {
        0 => None,
        1 => Some(read_values(&mut r, "the initial depth")?),
        other => return Err(r.error(format!("initial water flag {other} (0 or 1)"))),
    };
    let rain_mm_per_hour = match r.u8("whether it rains")? {
        0 => None,
        1 => Some(read_series(&mut r, "the rain")?),
        other => return Err(r.error(format!("rain flag {other} (0 or 1)"))),
    };
    let count = r.len("the number of inflows")?;
    r.room_for(count, 24, "the inflows")?;
    let mut inflows = Vec::with_capacity(count);
    for _ in 0..count {
        let column = r.len("an inflow's column")?;
        let row = r.len("an inflow's row")?;
        inflows.push(Inflow { column, row, discharge: read_series(&mut r, "an inflow's hydrograph")? });
    }
    let count = r.len("the number of edge inflows")?;
    r.room_for(count, 25, "the edge inflows")?;
    let mut edge_inflows = Vec::with_capacity(count);
    for _ in 0..count {
        let edge = *EDGES.get(usize::from(r.u8("an edge inflow's edge")?)).ok_or_else(|| r.error("an edge inflow's edge (0 to 3)"))?;
        let first = r.len("an edge inflow's first face")?;
        let last = r.len("an edge inflow's last face")?;
        edge_inflows.push(EdgeInflow { edge, first, last, discharge: read_series(&mut r, "an edge inflow's hydrograph")? });
    }
    let boundaries = Boundaries { north: read_boundary(&mut r)?, south: read_boundary(&mut r)?, west: read_boundary(&mut r)?, east: read_boundary(&mut r)? };
    let [alpha, theta, depth_threshold, max_time_step, arrival_depth] = r.f64s("the scheme's settings")?;
    let froude_limit = match r.u8("whether the Froude number is limited")? {
        0 => None,
        1 => Some(r.f64s::<1>("the Froude limit")?[0]),
        other => return Err(r.error(format!("Froude limit flag {other} (0 or 1)"))),
    };
    r.finish("the scenario")?;
    let settings = Settings { alpha, theta, depth_threshold, max_time_step, arrival_depth, froude_limit };
    Ok((Scenario { terrain, friction, initial_depth, rain_mm_per_hour, inflows, edge_inflows, boundaries }, settings))
}

/// One moment's depths, computed elsewhere (the page's GPU), for the
/// worker's recorder.
pub fn depth_to_bytes(time_s: f64, depth: &[f64]) -> Vec<u8> {
    let mut w = Writer::with_capacity(depth.len() * 8 + 24);
    w.bytes(&DEPTH_MAGIC);
    w.f64s(&[time_s]);
    write_values(&mut w, depth);
    w.into_bytes()
}

pub fn depth_from_bytes(bytes: &[u8]) -> Result<(f64, Vec<f64>), String> {
    let mut r = Reader::new(bytes, "a flood moment's depths");
    if r.take(4, "its magic")? != DEPTH_MAGIC {
        return Err(r.error("not a flood moment's depths"));
    }
    let [time] = r.f64s("the moment")?;
    let depth = read_values(&mut r, "the depths")?;
    r.finish("the depths")?;
    Ok((time, depth))
}

impl FinalState {
    pub fn to_bytes(&self) -> Vec<u8> {
        let cells = self.depth.len();
        let mut w = Writer::with_capacity(cells * 40 + self.describe.len() + 96);
        w.bytes(&STATE_MAGIC);
        w.text(&self.describe);
        w.f64s(&[self.time]);
        w.u64(self.steps);
        write_values(&mut w, &self.depth);
        write_values(&mut w, &self.max_depth);
        write_values(&mut w, &self.arrival_time);
        w.len(self.velocity.len());
        for v in &self.velocity {
            w.f64s(v);
        }
        let b = &self.balance;
        w.f64s(&[b.initial, b.current, b.rain, b.inflow, b.boundary_net_in]);
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<FinalState, String> {
        let mut r = Reader::new(bytes, "a flood solver's final state");
        if r.take(4, "its magic")? != STATE_MAGIC {
            return Err(r.error("not a flood solver's final state"));
        }
        let describe = r.text("the solver's name")?;
        let [time] = r.f64s("the time")?;
        let steps = r.u64("the steps")?;
        let depth = read_values(&mut r, "the depths")?;
        let max_depth = read_values(&mut r, "the maximum depths")?;
        let arrival_time = read_values(&mut r, "the arrival times")?;
        let count = r.len("the velocities")?;
        let velocity = r.f64_arrays::<2>(count, "the velocities")?;
        let [initial, current, rain, inflow, boundary_net_in] = r.f64s("the volume balance")?;
        r.finish("the final state")?;
        Ok(FinalState { describe, time, steps, depth, max_depth, arrival_time, velocity, balance: VolumeBalance { initial, current, rain, inflow, boundary_net_in } })
    }
}
