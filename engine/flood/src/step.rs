//! One step of the local-inertial solver in three passes over the grid:
//! the x-face and y-face discharges from the old state, each cell's
//! outflow scale under the limiter, then continuity, which applies the
//! limiter to each face as it reads it, keeps the limited discharges for
//! the next step and finds the deepest water for the next time step. A step
//! allocates nothing: the unlimited discharges go to buffers kept between
//! steps, and the limited ones over the old.

use rayon::prelude::*;

use crate::G;
use crate::solver::{Boundary, Edge, Side, Simulation};

impl Simulation {
    pub(crate) fn advance(&mut self, dt: f64) {
        let (nx, ny, dx) = (self.nx, self.ny, self.dx);
        let s = &self.settings;
        let (theta, threshold, froude, arrival_depth) = (s.theta, s.depth_threshold, s.froude_limit, s.arrival_depth);
        let t_mid = self.time + dt / 2.0;
        let (z, h, manning, boundaries) = (&self.z, &self.h, &self.manning, &self.boundaries);
        let side = |i: usize| Side { z: z[i], eta: z[i] + h[i] };
        let ghost = |b: &Boundary, inside: Side| match b {
            Boundary::Stage(series) => Some(Side {
                z: inside.z,
                eta: series.at(t_mid).max(inside.z),
            }),
            _ => None,
        };
        let faces = Faces { dt, dx, threshold, froude };

        // Momentum, one pass over the rows: row r's x-faces and the y-faces
        // on its north side (the south edge's after).
        let (old_qx, old_qy) = (&self.qx, &self.qy);
        let y_face = |f: usize, c: usize| {
            let i = f * nx + c;
            let q0 = old_qy[i];
            if f == 0 {
                let inside = side(c);
                faces.edge(&boundaries.north, ghost(&boundaries.north, inside), inside, false, q0, manning[c])
            } else if f == ny {
                let cell = (ny - 1) * nx + c;
                let inside = side(cell);
                faces.edge(&boundaries.south, ghost(&boundaries.south, inside), inside, true, q0, manning[cell])
            } else {
                let q_avg = theta * q0 + (1.0 - theta) / 2.0 * (old_qy[i - nx] + old_qy[i + nx]);
                let (up, down) = ((f - 1) * nx + c, f * nx + c);
                faces.flux(side(up), side(down), q0, q_avg, (manning[up] + manning[down]) / 2.0)
            }
        };
        self.scratch_qx
            .par_chunks_mut(nx + 1)
            .zip(self.scratch_qy[..ny * nx].par_chunks_mut(nx))
            .enumerate()
            .for_each(|(r, (row, y_row))| {
                let old = &old_qx[r * (nx + 1)..(r + 1) * (nx + 1)];
                let west = side(r * nx);
                row[0] = faces.edge(&boundaries.west, ghost(&boundaries.west, west), west, false, old[0], manning[r * nx]);
                for f in 1..nx {
                    let q0 = old[f];
                    let q_avg = theta * q0 + (1.0 - theta) / 2.0 * (old[f - 1] + old[f + 1]);
                    let (l, rr) = (r * nx + f - 1, r * nx + f);
                    row[f] = faces.flux(side(l), side(rr), q0, q_avg, (manning[l] + manning[rr]) / 2.0);
                }
                let east = side(r * nx + nx - 1);
                row[nx] = faces.edge(&boundaries.east, ghost(&boundaries.east, east), east, true, old[nx], manning[r * nx + nx - 1]);
                for (c, q) in y_row.iter_mut().enumerate() {
                    *q = y_face(r, c);
                }
            });
        for c in 0..nx {
            self.scratch_qy[ny * nx + c] = y_face(ny, c);
        }

        // River inflows through the edges replace those faces' fluxes: positive
        // discharge always enters the domain.
        for e in &self.edge_inflows {
            // The step's mean discharge, so that the hydrograph's volume arrives exactly.
            let mean = e.discharge.integral(self.time, self.time + dt) / dt;
            let q = mean.max(0.0) / ((e.last - e.first + 1) as f64 * dx);
            for k in e.first..=e.last {
                match e.edge {
                    Edge::North => self.scratch_qy[k] = q,
                    Edge::South => self.scratch_qy[ny * nx + k] = -q,
                    Edge::West => self.scratch_qx[k * (nx + 1)] = q,
                    Edge::East => self.scratch_qx[k * (nx + 1) + nx] = -q,
                }
            }
        }

        // No cell may lose more water than it holds: each cell's outflows are
        // scaled where they would; every face is an outflow of exactly one
        // cell, so this conserves mass.
        let k = dt / dx;
        let (qx, qy) = (&self.scratch_qx, &self.scratch_qy);
        self.scale.par_iter_mut().enumerate().for_each(|(i, scale)| {
            let (c, r) = (i % nx, i / nx);
            let out = (-qx[r * (nx + 1) + c]).max(0.0) + qx[r * (nx + 1) + c + 1].max(0.0) + (-qy[r * nx + c]).max(0.0) + qy[(r + 1) * nx + c].max(0.0);
            let leaving = out * k;
            *scale = if leaving > h[i] && leaving > 0.0 { h[i] / leaving } else { 1.0 };
        });
        let scale = &self.scale;
        // A face's discharge once limited: positive flow leaves the western
        // (northern) cell, negative the eastern (southern).
        let limited_x = |r: usize, f: usize| {
            let q = qx[r * (nx + 1) + f];
            let from = if q > 0.0 { (f > 0).then(|| r * nx + f - 1) } else { (f < nx).then(|| r * nx + f) };
            from.map_or(q, |cell| q * scale[cell])
        };
        let limited_y = |f: usize, c: usize| {
            let q = qy[f * nx + c];
            let from = if q > 0.0 { (f > 0).then(|| (f - 1) * nx + c) } else { (f < ny).then(|| f * nx + c) };
            from.map_or(q, |cell| q * scale[cell])
        };

        // Sources: rain everywhere, point inflows into their cells.
        let rain_depth = self
            .scenario_rain
            .as_ref()
            .map(|s| s.integral(self.time, self.time + dt) / 1000.0 / 3600.0)
            .unwrap_or(0.0)
            .max(0.0);
        let mut inflow_volume = 0.0;
        if !self.inflows.is_empty() && self.inflow_depth.len() != h.len() {
            self.inflow_depth = vec![0.0; h.len()];
        }
        for (cell, series) in &self.inflows {
            let v = series.integral(self.time, self.time + dt).max(0.0);
            self.inflow_depth[*cell] += v / (dx * dx);
            inflow_volume += v;
        }
        let inflow_depth = &self.inflow_depth;

        // Continuity: each cell's limited faces, written back for the next
        // step (its west and north faces; the east edge by the last column,
        // the south edge after), its depth, maximum and arrival.
        let time_after = self.time + dt;
        let h_max = self
            .h
            .par_chunks_mut(nx)
            .zip(self.max_depth.par_chunks_mut(nx))
            .zip(self.arrival.par_chunks_mut(nx))
            .zip(self.qx.par_chunks_mut(nx + 1))
            .zip(self.qy[..ny * nx].par_chunks_mut(nx))
            .enumerate()
            .map(|(r, ((((h_row, max_row), arrival_row), qx_row), qy_row))| {
                let mut deepest = 0.0f64;
                for c in 0..nx {
                    let (west, east, north, south) = (limited_x(r, c), limited_x(r, c + 1), limited_y(r, c), limited_y(r + 1, c));
                    let net = west - east + north - south;
                    let mut d = h_row[c] + k * net + rain_depth;
                    if !inflow_depth.is_empty() {
                        d += inflow_depth[r * nx + c];
                    }
                    // Round-off only: the limiter keeps depths non-negative.
                    let d = d.max(0.0);
                    h_row[c] = d;
                    deepest = deepest.max(d);
                    if d > max_row[c] {
                        max_row[c] = d;
                    }
                    if d > arrival_depth && arrival_row[c].is_infinite() {
                        arrival_row[c] = time_after;
                    }
                    qx_row[c] = west;
                    qy_row[c] = north;
                }
                qx_row[nx] = limited_x(r, nx);
                deepest
            })
            .reduce(|| 0.0, f64::max);
        for c in 0..nx {
            self.qy[ny * nx + c] = limited_y(ny, c);
        }
        for (cell, _) in &self.inflows {
            self.inflow_depth[*cell] = 0.0;
        }

        // Book-keeping.
        let (qx, qy) = (&self.qx, &self.qy);
        let edge_in: f64 =
            (0..ny).map(|r| qx[r * (nx + 1)] - qx[r * (nx + 1) + nx]).sum::<f64>() + (0..nx).map(|c| qy[c] - qy[ny * nx + c]).sum::<f64>();
        self.balance.boundary_net_in += edge_in * dt * dx;
        self.balance.rain += rain_depth * dx * dx * (nx * ny) as f64;
        self.balance.inflow += inflow_volume;
        self.h_max = h_max;
        self.time = time_after;
        self.steps += 1;
    }
}

/// What every face of a step shares.
#[derive(Clone, Copy)]
struct Faces {
    dt: f64,
    dx: f64,
    threshold: f64,
    froude: Option<f64>,
}

impl Faces {
    /// Bates et al. (2010) eq. 11 with de Almeida et al. (2012)'s θ-weighted
    /// previous discharge: flow from `left` to `right` is positive.
    #[inline(always)]
    fn flux(self, left: Side, right: Side, q0: f64, q_avg: f64, n: f64) -> f64 {
        let flow_depth = left.eta.max(right.eta) - left.z.max(right.z);
        if flow_depth <= self.threshold {
            return 0.0;
        }
        let slope = (right.eta - left.eta) / self.dx;
        let friction = 1.0 + G * self.dt * n * n * q0.abs() * inverse_seven_thirds_power(flow_depth);
        let q = (q_avg - G * flow_depth * self.dt * slope) / friction;
        match self.froude {
            Some(fr) => {
                let q_max = fr * flow_depth * (G * flow_depth).sqrt();
                q.clamp(-q_max, q_max)
            }
            None => q,
        }
    }

    /// Discharge through an edge face. `outward_positive`: the outside lies
    /// in the positive direction (east or south edge).
    fn edge(self, boundary: &Boundary, ghost: Option<Side>, inside: Side, outward_positive: bool, q0: f64, n: f64) -> f64 {
        match (boundary, ghost) {
            (Boundary::FreeOutflow { slope }, _) => {
                let depth = inside.eta - inside.z;
                if depth <= self.threshold {
                    return 0.0;
                }
                // Normal depth: q = h^(5/3) √S / n, leaving the domain.
                let q = depth.powf(5.0 / 3.0) * slope.sqrt() / n.max(1e-6);
                if outward_positive { q } else { -q }
            }
            (Boundary::Stage(_), Some(outside)) => {
                if outward_positive {
                    self.flux(inside, outside, q0, q0, n)
                } else {
                    self.flux(outside, inside, q0, q0, n)
                }
            }
            _ => 0.0,
        }
    }
}

/// h^(−7/3) for a positive, normal, finite `h`, within 16 units in the last
/// place of 1/(h²·∛h) by libm: the inverse cube root r = h^(−1/3) from an
/// estimate in the exponent bits (within 4%) and four Newton steps
/// r ← r·(4 − h·r³)/3, which need no division, then r⁷. Arithmetic only,
/// so the page's wasm and the native build agree bit for bit; and it takes
/// less than half the time of libm's `cbrt` and a division, which were a
/// third of a step's time on the EA test 4 plain.
#[inline(always)]
pub(crate) fn inverse_seven_thirds_power(h: f64) -> f64 {
    debug_assert!(h.is_normal() && h > 0.0, "inverse_seven_thirds_power({h})");
    // 2^(−e/3) for 2^e: a third of the biased exponent taken from 4/3 of the
    // bias (1364 · 2^52), less a little to centre the estimate's error.
    let mut r = f64::from_bits(0x553E_F0FF_289D_D796 - h.to_bits() / 3);
    for _ in 0..4 {
        r *= (4.0 - h * r * r * r) * (1.0 / 3.0);
    }
    let r2 = r * r;
    r2 * r2 * r2 * r
}

#[cfg(test)]
mod tests {
    use super::inverse_seven_thirds_power;

    /// Against libm (1/(h²·∛h)) over the depths a face can have, 1 µm to
    /// 10 km, and exact powers.
    #[test]
    fn inverse_seven_thirds_power_agrees_with_libm() {
        let mut worst = 0.0f64;
        let mut h: f64 = 1e-6;
        while h < 1e4 {
            let libm = 1.0 / (h * h * h.cbrt());
            worst = worst.max((inverse_seven_thirds_power(h) - libm).abs() / libm);
            h *= 1.000_013_7;
        }
        assert!(worst <= 16.0 * f64::EPSILON, "largest relative difference {worst:e}");
        // k³ to the power −7/3 is k^−7.
        for k in 1..=2000 {
            let k = f64::from(k) * 0.01;
            approx::assert_relative_eq!(inverse_seven_thirds_power(k * k * k), k.powi(-7), max_relative = 16.0 * f64::EPSILON);
        }
    }
}
