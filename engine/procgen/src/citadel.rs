//! A reconstruction of Quảng Trị Citadel (Thành cổ Quảng Trị) beside the
//! Thạch Hãn river: a square brick enceinte about 500 m a side with a
//! bastion at each corner and an arched gate with a watchtower in the middle
//! of each side, ramps inside the walls up to the wall walk, a moat that
//! follows the walls, the central memorial, the river to the west, and flat
//! alluvial ground a few metres above sea level.
//!
//! This is a reconstruction from published descriptions, not a survey; the
//! scene that uses it says so. Where they disagree the model keeps to the
//! figures the provincial museum gives and stays conservative:
//! - the Quảng Trị relic and museum management centre (Trung tâm Quản lý
//!   Di tích và Bảo tàng Quảng Trị), "Di tích Thành cổ Quảng Trị": built
//!   1809–1837, Gia Long to Minh Mạng, of earth first and then of brick;
//! - the Quảng Trị provincial museum as quoted by Thanh Niên ("Thành cổ
//!   Quảng Trị", 2025): square, perimeter nearly 2,200 m, walls more than
//!   4 m high and more than 12 m thick at the foot, in the Vauban manner
//!   with bastions projecting at the corners; a moat 3–4 m deep joined to
//!   the Thạch Hãn; four arched gates (east, west, south, north) 3–4 m wide,
//!   an arched bridge over the moat before each, a watchtower over each;
//! - Vietnamese Wikipedia, "Thành cổ Quảng Trị", and the 2013 decision that
//!   ranked the citadel and the places of the 81 days and nights of 1972 a
//!   special national relic (di tích quốc gia đặc biệt): the same plan,
//!   sides of about 500 m, gates Tiền (south), Hậu (north), Tả and Hữu, each
//!   a vaulted passage under a brick watchtower roofed with tiles.
//!
//! Other accounts give the walls 3 m to 9.4 m and the gates 3.4 m; the model
//! takes 4.5 m and 3.4 m. The wall walk, the ramps (placed as in the Nguyễn
//! citadels of Huế, along the inner face), the watchtowers' form and the
//! memorial's form are the project's simplification, not surveyed.
//! Origin: the citadel's centre at sea level; x east, y north, z up, metres.

use crate::mesh::{Footprint, MeshData, Part, Surface, shade};

/// The dimensions of the reconstruction.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Length of each side of the square enceinte, wall centre to wall centre.
    pub side_m: f32,
    /// How far each corner bastion's point projects beyond the corner.
    pub bastion_m: f32,
    pub wall_height_m: f32,
    pub wall_thickness_m: f32,
    pub gate_width_m: f32,
    /// Moat: distance of its inner and outer edge from the wall's centre line.
    pub moat_inner_m: f32,
    pub moat_outer_m: f32,
    pub moat_water_m: f32,
    pub moat_bed_m: f32,
    /// Ground level of the alluvial plain above sea level.
    pub ground_m: f32,
    /// River centre line (x, y) from upstream (south) to downstream (north).
    pub river_centre_line: Vec<[f32; 2]>,
    pub river_width_m: f32,
    pub river_water_m: f32,
    pub river_bed_m: f32,
    /// Ramps inside the walls, one each side of every gate, rising along the
    /// inner face from the inner ground to the wall walk: width, length
    /// along the wall, and how far the top end lies from the gate's centre.
    pub ramp_width_m: f32,
    pub ramp_length_m: f32,
    pub ramp_gate_gap_m: f32,
    /// Half the side of the generated square of ground.
    pub extent_m: f32,
    /// Spacing of the ground grid.
    pub cell_m: f32,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            side_m: 500.0,
            bastion_m: 55.0,
            // "More than 4 m" high, "more than 12 m" thick at the foot (museum).
            wall_height_m: 4.5,
            wall_thickness_m: 12.0,
            // The arched passages, 3–4 m (museum), 3.4 m (other accounts).
            gate_width_m: 3.4,
            moat_inner_m: 20.0,
            moat_outer_m: 52.0,
            moat_water_m: 2.6,
            moat_bed_m: 0.6,
            ground_m: 4.0,
            // The Thạch Hãn passes west of the citadel, flowing north towards Cửa Việt.
            river_centre_line: vec![
                [-560.0, -1800.0],
                [-700.0, -900.0],
                [-720.0, -100.0],
                [-620.0, 700.0],
                [-380.0, 1400.0],
                [-150.0, 1900.0],
            ],
            river_width_m: 220.0,
            river_water_m: 1.2,
            river_bed_m: -4.0,
            ramp_width_m: 4.0,
            // (wall height + the plain's 0.4 m of relief) × 8: never steeper than 1:8.
            ramp_length_m: 44.0,
            ramp_gate_gap_m: 16.0,
            extent_m: 1600.0,
            cell_m: 8.0,
        }
    }
}

const GRASS: [f32; 4] = [0.30, 0.45, 0.18, 1.0];
const PADDY: [f32; 4] = [0.42, 0.52, 0.20, 1.0];
const BANK: [f32; 4] = [0.52, 0.44, 0.32, 1.0];
const MUD: [f32; 4] = [0.33, 0.28, 0.20, 1.0];
const BRICK: [f32; 4] = [0.50, 0.22, 0.13, 1.0];
const BRICK_TOP: [f32; 4] = [0.42, 0.36, 0.28, 1.0];
const ROOF: [f32; 4] = [0.28, 0.12, 0.08, 1.0];
const WOOD: [f32; 4] = [0.36, 0.20, 0.12, 1.0];
const STONE: [f32; 4] = [0.86, 0.84, 0.78, 1.0];
const CROWN: [f32; 4] = [0.22, 0.36, 0.13, 1.0];
const TRUNK: [f32; 4] = [0.30, 0.24, 0.18, 1.0];
const RIVER_WATER: [f32; 4] = [0.12, 0.30, 0.42, 0.92];
const MOAT_WATER: [f32; 4] = [0.10, 0.28, 0.30, 0.92];

impl Layout {
    fn half(&self) -> f32 {
        self.side_m / 2.0
    }

    /// The closed outer trace of the walls (wall centre line), counter-clockwise
    /// seen from above, starting on the east side.
    pub fn trace(&self) -> Vec<[f32; 2]> {
        let s = self.half();
        let d = self.bastion_m;
        // For each corner (sx, sy), in counter-clockwise order NE, NW, SW, SE:
        // the curtain's end before the corner, the bastion's two flanking
        // points and its salient, and the curtain's start after it.
        let mut trace = Vec::with_capacity(16);
        for (sx, sy) in [(1.0f32, 1.0f32), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
            let (before, flank_a, salient, flank_b, after) = match (sx > 0.0, sy > 0.0) {
                (true, true) => ([s, s - d], [s + d, s], [s + d, s + d], [s, s + d], [s - d, s]),
                (false, true) => ([-s + d, s], [-s, s + d], [-s - d, s + d], [-s - d, s], [-s, s - d]),
                (false, false) => ([-s, -s + d], [-s - d, -s], [-s - d, -s - d], [-s, -s - d], [-s + d, -s]),
                (true, false) => ([s - d, -s], [s, -s - d], [s + d, -s - d], [s + d, -s], [s, -s + d]),
            };
            trace.extend_from_slice(&[before, flank_a, salient, flank_b, after]);
        }
        trace
    }

    /// Centres of the four gates (east, north, west, south) and the unit
    /// direction of the wall through each.
    pub fn gates(&self) -> [([f32; 2], [f32; 2]); 4] {
        let s = self.half();
        [
            ([s, 0.0], [0.0, 1.0]),
            ([0.0, s], [1.0, 0.0]),
            ([-s, 0.0], [0.0, 1.0]),
            ([0.0, -s], [1.0, 0.0]),
        ]
    }

    /// Signed distance from the wall centre line: negative inside the citadel.
    pub fn wall_distance(&self, p: [f32; 2]) -> f32 {
        let trace = self.trace();
        let d = polyline_distance(&trace, true, p);
        if point_in_polygon(&trace, p) { -d } else { d }
    }

    fn on_causeway(&self, p: [f32; 2]) -> bool {
        let s = self.half();
        let half = self.gate_width_m / 2.0 + 2.0;
        (p[0].abs() < half && p[1].abs() > s) || (p[1].abs() < half && p[0].abs() > s)
    }

    /// Distance from the river's centre line.
    pub fn river_distance(&self, p: [f32; 2]) -> f32 {
        polyline_distance(&self.river_centre_line, false, p)
    }

    /// Height of the ground (the bed, under water) at `p`.
    pub fn ground_height(&self, p: [f32; 2]) -> f32 {
        let mut z = self.ground_m + gentle_relief(p);
        // River: flat bed in the middle, banks sloping up over 35 m.
        let half_width = self.river_width_m / 2.0;
        let r = self.river_distance(p);
        if r < half_width + 35.0 {
            let t = ((r - (half_width - 25.0)) / 60.0).clamp(0.0, 1.0);
            let bank = self.river_bed_m + (self.ground_m - self.river_bed_m) * smoothstep(t);
            z = z.min(bank);
        }
        // Moat: a flat-bottomed ditch with short slopes.
        let w = self.wall_distance(p);
        if w > self.moat_inner_m - 3.0 && w < self.moat_outer_m + 3.0 && !self.on_causeway(p) {
            let edge = (w - self.moat_inner_m).min(self.moat_outer_m - w);
            let t = ((edge + 3.0) / 6.0).clamp(0.0, 1.0);
            let ditch = self.ground_m + (self.moat_bed_m - self.ground_m) * smoothstep(t);
            z = z.min(ditch);
        }
        z
    }

    /// Top of the walls at `p`, if a wall stands within `tolerance` metres of
    /// it (for rasterising the walls into a DEM of coarse cells); gates stay
    /// open.
    pub fn wall_top(&self, p: [f32; 2], tolerance: f32) -> Option<f32> {
        if self.wall_distance(p).abs() > self.wall_thickness_m / 2.0 + tolerance {
            return None;
        }
        let in_gate = self.gates().iter().any(|(centre, along)| {
            let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
            let along_wall = (dx * along[0] + dy * along[1]).abs();
            let across = (dx * along[1] - dy * along[0]).abs();
            along_wall < self.gate_width_m / 2.0 + tolerance && across < self.wall_thickness_m + tolerance
        });
        (!in_gate).then_some(self.ground_m + self.wall_height_m)
    }

    /// The water surface at `p`, if `p` is in the river or the moat.
    pub fn water_level(&self, p: [f32; 2]) -> Option<f32> {
        let bed = self.ground_height(p);
        if self.river_distance(p) < self.river_width_m / 2.0 + 35.0 && bed < self.river_water_m {
            return Some(self.river_water_m);
        }
        let w = self.wall_distance(p);
        if w > 0.0 && w < self.moat_outer_m + 3.0 && bed < self.moat_water_m {
            return Some(self.moat_water_m);
        }
        None
    }
}

/// A ramp inside the walls, rising along the inner face of a curtain from
/// the inner ground (its foot) to the wall walk (its top). Points are the
/// centre of the ramp's surface at each end, in the citadel's frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ramp {
    /// The centre of the lower end of the ramp's surface, on the ground.
    pub foot: [f32; 3],
    /// The centre of the upper end of the ramp's surface, at the wall walk's height.
    pub top: [f32; 3],
    /// Horizontal unit direction from foot to top (along the wall).
    pub up_dir: [f32; 2],
    /// Horizontal unit direction from the ramp across the wall walk, to the
    /// outside (a walker at the top turns this way to step onto the wall).
    pub outward: [f32; 2],
    pub width_m: f32,
    /// Height gained from foot to top.
    pub rise_m: f32,
    /// Horizontal length from foot to top.
    pub run_m: f32,
}

impl Ramp {
    /// Rise over run: the steepest the surface gets (it is one plane).
    pub fn slope(&self) -> f32 {
        self.rise_m / self.run_m
    }
}

/// Named places of the generated citadel that tests, tours and walks can
/// use without re-deriving its geometry. Every height is in the citadel's
/// frame (metres above the scene origin's height); every point is one the
/// generated meshes agree with (checked by this module's tests).
#[derive(Clone, Debug, PartialEq)]
pub struct Landmarks {
    /// Height of the undisturbed plain (inside the walls it varies by
    /// ±0.4 m around this: see [`Layout::ground_height`]).
    pub ground_m: f32,
    /// Height of the wall walk (the top of the curtains, away from the
    /// gates; the parapet stands 1.2 m higher along the outer edge).
    pub wall_top_m: f32,
    /// The ramp east of the south gate.
    pub south_ramp: Ramp,
    /// Every ramp: two at each gate (east, north, west, south), in that order.
    pub ramps: Vec<Ramp>,
    /// A point on the ground 3 m inside the south curtain's inner face,
    /// away from the gate and the ramps, facing the wall.
    pub south_wall_inner: [f32; 3],
    /// How far `south_wall_inner` lies from the inner face, metres.
    pub south_wall_inner_distance_m: f32,
    /// A point on the south wall walk, on the curtain's centre line above
    /// `south_wall_inner`.
    pub south_wall_walk: [f32; 3],
    /// The middle of the south gate's passage, on the ground.
    pub south_gate: [f32; 3],
    /// The centre of the memorial's base, on the ground.
    pub memorial: [f32; 3],
}

impl Layout {
    /// Height of the wall walk.
    pub fn wall_top_m(&self) -> f32 {
        self.ground_m + self.wall_height_m
    }

    /// The ramps, two at each gate (east, north, west, south gate order;
    /// for each, the one on the counter-clockwise side first): each runs
    /// along the curtain's inner face, its top end `ramp_gate_gap_m` from
    /// the gate's centre, its foot farther along the wall.
    pub fn ramps(&self) -> Vec<Ramp> {
        let mut ramps = Vec::with_capacity(8);
        for (centre, along) in self.gates() {
            // Into the citadel from this curtain.
            let inward = [
                -centre[0].signum() * f32::from(centre[0].abs() > 1.0),
                -centre[1].signum() * f32::from(centre[1].abs() > 1.0),
            ];
            let face = self.wall_thickness_m / 2.0;
            let mid = face + self.ramp_width_m / 2.0;
            for side in [1.0f32, -1.0] {
                let away = [along[0] * side, along[1] * side];
                let at = |d: f32| [centre[0] + away[0] * d + inward[0] * mid, centre[1] + away[1] * d + inward[1] * mid];
                let top_xy = at(self.ramp_gate_gap_m);
                let foot_xy = at(self.ramp_gate_gap_m + self.ramp_length_m);
                let foot_z = self.ground_height(foot_xy);
                let top_z = self.wall_top_m();
                ramps.push(Ramp {
                    foot: [foot_xy[0], foot_xy[1], foot_z],
                    top: [top_xy[0], top_xy[1], top_z],
                    up_dir: [-away[0], -away[1]],
                    outward: [-inward[0], -inward[1]],
                    width_m: self.ramp_width_m,
                    rise_m: top_z - foot_z,
                    run_m: self.ramp_length_m,
                });
            }
        }
        ramps
    }
}

/// The named places of the citadel `layout` generates.
pub fn landmarks(layout: &Layout) -> Landmarks {
    let s = layout.half();
    let ramps = layout.ramps();
    // South gate: index 3 in gate order; its first ramp lies east (+x).
    let south_ramp = ramps[6];
    let distance = 3.0;
    // Halfway between the ramps' feet and the south-west corner's bastion.
    let x = -(layout.ramp_gate_gap_m + layout.ramp_length_m + s - layout.bastion_m) / 2.0;
    let inner = [x, -s + layout.wall_thickness_m / 2.0 + distance];
    Landmarks {
        ground_m: layout.ground_m,
        wall_top_m: layout.wall_top_m(),
        south_ramp,
        south_wall_inner: [inner[0], inner[1], layout.ground_height(inner)],
        south_wall_inner_distance_m: distance,
        south_wall_walk: [x, -s, layout.wall_top_m()],
        south_gate: [0.0, -s, layout.ground_height([0.0, -s])],
        memorial: [0.0, 0.0, layout.ground_height([0.0, 0.0])],
        ramps,
    }
}

/// Generates every part of the reconstruction but its trees, which
/// renderers draw as instances of [`tree_mesh`] at [`tree_sites`].
/// `progress` receives values
/// from 0 to 1 as the ground grid, the largest part, is built.
pub fn generate(layout: &Layout, progress: &mut dyn FnMut(f32)) -> Vec<Part> {
    let ground = ground(layout, progress);
    let (river, moat) = water(layout);
    vec![
        Part {
            name: "ground",
            surface: Surface::Solid,
            mesh: ground,
        },
        Part {
            name: "walls",
            surface: Surface::Solid,
            mesh: walls(layout),
        },
        Part {
            name: "gates",
            surface: Surface::Solid,
            mesh: gates(layout),
        },
        Part {
            name: "memorial",
            surface: Surface::Solid,
            mesh: memorial(layout),
        },
        Part {
            name: "river",
            surface: Surface::Water,
            mesh: river,
        },
        Part {
            name: "moat",
            surface: Surface::Water,
            mesh: moat,
        },
    ]
}

fn grid_points(layout: &Layout) -> (usize, impl Fn(usize) -> f32 + '_) {
    let n = (2.0 * layout.extent_m / layout.cell_m).round() as usize + 1;
    (n, move |i| -layout.extent_m + i as f32 * layout.cell_m)
}

fn ground(layout: &Layout, progress: &mut dyn FnMut(f32)) -> MeshData {
    let (n, coord) = grid_points(layout);
    let mut heights = vec![0.0f32; n * n];
    for j in 0..n {
        for i in 0..n {
            heights[j * n + i] = layout.ground_height([coord(i), coord(j)]);
        }
        if j % 32 == 0 {
            progress(0.9 * j as f32 / n as f32);
        }
    }
    let h = |i: usize, j: usize| heights[j * n + i];
    let mut mesh = MeshData::default();
    mesh.positions.reserve(n * n);
    for j in 0..n {
        for i in 0..n {
            let (x, y, z) = (coord(i), coord(j), h(i, j));
            // Central differences for a smooth normal.
            let dx = h((i + 1).min(n - 1), j) - h(i.saturating_sub(1), j);
            let dy = h(i, (j + 1).min(n - 1)) - h(i, j.saturating_sub(1));
            let (nx, ny, nz) = (-dx, -dy, 2.0 * layout.cell_m);
            let len = (nx * nx + ny * ny + nz * nz).sqrt();
            mesh.positions.push([x, y, z]);
            mesh.normals.push([nx / len, ny / len, nz / len]);
            mesh.colors.push(ground_color(layout, [x, y], z));
        }
    }
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let a = (j * n + i) as u32;
            let b = a + 1;
            let c = a + n as u32 + 1;
            let d = a + n as u32;
            mesh.indices.extend_from_slice(&[a, b, c, a, c, d]);
        }
    }
    progress(1.0);
    mesh
}

fn ground_color(layout: &Layout, p: [f32; 2], z: f32) -> [f32; 4] {
    // How deep the river or moat cuts below the undisturbed plain.
    let cut = layout.ground_m + gentle_relief(p) - z;
    if cut > 2.0 {
        return MUD;
    }
    if cut > 0.3 {
        return BANK;
    }
    // Inside the walls: a park of mown grass; outside: a patchwork of paddies.
    if layout.wall_distance(p) < 0.0 {
        return shade(GRASS, 1.1);
    }
    let cell = (p[0] / 70.0).floor() as i32 * 7919 + (p[1] / 45.0).floor() as i32 * 104_729;
    let k = 0.82 + 0.3 * hash01(cell);
    shade(if hash01(cell ^ 0x5bd1) > 0.5 { PADDY } else { GRASS }, k)
}

fn water(layout: &Layout) -> (MeshData, MeshData) {
    let (n, coord) = grid_points(layout);
    let mut river = MeshData::default();
    let mut moat = MeshData::default();
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let (x0, y0, x1, y1) = (coord(i), coord(j), coord(i + 1), coord(j + 1));
            // A cell is wet if any corner is under water.
            let level = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
                .iter()
                .filter_map(|&p| layout.water_level(p))
                .fold(None, |acc: Option<f32>, l| Some(acc.map_or(l, |a| a.min(l))));
            let Some(level) = level else { continue };
            let quad = [[x0, y0, level], [x1, y0, level], [x1, y1, level], [x0, y1, level]];
            if (level - layout.river_water_m).abs() < 1e-3 {
                river.push_quad(quad, RIVER_WATER);
            } else {
                moat.push_quad(quad, MOAT_WATER);
            }
        }
    }
    (river, moat)
}

fn walls(layout: &Layout) -> MeshData {
    let trace = layout.trace();
    let gates = layout.gates();
    let mut mesh = MeshData::default();
    let (z0, z1) = (layout.ground_m - 1.0, layout.ground_m + layout.wall_height_m);
    let t = layout.wall_thickness_m;
    for i in 0..trace.len() {
        let a = trace[i];
        let b = trace[(i + 1) % trace.len()];
        // Split the curtain where a gate passes through it; ends at a gate
        // stop there, ends at a corner reach past it to close the corner.
        let mut pieces = vec![(a, b, true, true)];
        for (centre, along) in gates {
            if point_segment_distance(centre, a, b) < 1e-3 {
                let g = layout.gate_width_m / 2.0;
                let before = [centre[0] - along[0] * g, centre[1] - along[1] * g];
                let after = [centre[0] + along[0] * g, centre[1] + along[1] * g];
                let forward = (b[0] - a[0]) * along[0] + (b[1] - a[1]) * along[1] > 0.0;
                pieces = if forward {
                    vec![(a, before, true, false), (after, b, false, true)]
                } else {
                    vec![(a, after, true, false), (before, b, false, true)]
                };
            }
        }
        for (p, q, extend_p, extend_q) in pieces {
            wall_segment(&mut mesh, p, q, t, z0, z1, [extend_p, extend_q]);
        }
    }
    for ramp in layout.ramps() {
        push_ramp(&mut mesh, &ramp, z0, BRICK_TOP);
    }
    mesh
}

/// A ramp's solid: its sloping surface, the end at the top, the foot's
/// step and the side away from the wall (the side against the wall is
/// hidden in it).
fn push_ramp(mesh: &mut MeshData, ramp: &Ramp, z0: f32, color: [f32; 4]) {
    let half = ramp.width_m / 2.0;
    let [ox, oy] = ramp.outward;
    let corner = |p: [f32; 3], across: f32, z: f32| [p[0] + ox * across, p[1] + oy * across, z];
    let (foot, top) = (ramp.foot, ramp.top);
    // Surface: foot-wall, foot-inner, top-inner, top-wall.
    let surface = [
        corner(foot, half, foot[2]),
        corner(foot, -half, foot[2]),
        corner(top, -half, top[2]),
        corner(top, half, top[2]),
    ];
    push_quad_facing(mesh, surface, [0.0, 0.0, 1.0], color);
    let side = shade(color, 0.85);
    let inner_side = [
        corner(foot, -half, z0),
        corner(top, -half, z0),
        corner(top, -half, top[2]),
        corner(foot, -half, foot[2]),
    ];
    push_quad_facing(mesh, inner_side, [-ox, -oy, 0.0], side);
    let [ux, uy] = ramp.up_dir;
    let top_end = [
        corner(top, -half, z0),
        corner(top, half, z0),
        corner(top, half, top[2]),
        corner(top, -half, top[2]),
    ];
    push_quad_facing(mesh, top_end, [ux, uy, 0.0], side);
    let foot_end = [
        corner(foot, half, z0),
        corner(foot, -half, z0),
        corner(foot, -half, foot[2]),
        corner(foot, half, foot[2]),
    ];
    push_quad_facing(mesh, foot_end, [-ux, -uy, 0.0], side);
}

/// A quad whose front faces `towards` (its corners are reversed if needed).
fn push_quad_facing(mesh: &mut MeshData, mut corners: [[f32; 3]; 4], towards: [f32; 3], color: [f32; 4]) {
    let [a, b, c] = [corners[0], corners[1], corners[2]];
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    if n[0] * towards[0] + n[1] * towards[1] + n[2] * towards[2] < 0.0 {
        corners.reverse();
    }
    mesh.push_quad(corners, color);
}

fn wall_segment(mesh: &mut MeshData, a: [f32; 2], b: [f32; 2], thickness: f32, z0: f32, z1: f32, extend: [bool; 2]) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1e-3 {
        return;
    }
    let along = [dx / len, dy / len];
    // Extended by half the thickness at corners so that they close.
    let (ea, eb) = (if extend[0] { thickness / 2.0 } else { 0.0 }, if extend[1] { thickness / 2.0 } else { 0.0 });
    let (a, b) = ([a[0] - along[0] * ea, a[1] - along[1] * ea], [b[0] + along[0] * eb, b[1] + along[1] * eb]);
    let len = len + ea + eb;
    let centre = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    mesh.push_box(
        &Footprint {
            center: centre,
            along,
            length: len,
            width: thickness,
        },
        z0,
        z1,
        BRICK,
    );
    // A parapet along the outer edge (to the right of the counter-clockwise trace).
    let outward = [along[1], -along[0]];
    let parapet = [
        centre[0] + outward[0] * (thickness / 2.0 - 0.4),
        centre[1] + outward[1] * (thickness / 2.0 - 0.4),
    ];
    mesh.push_box(
        &Footprint {
            center: parapet,
            along,
            length: len,
            width: 0.8,
        },
        z1,
        z1 + 1.2,
        BRICK_TOP,
    );
}

/// Half the width (along the wall) of a gate's brick block.
const GATE_HALF_WIDTH_M: f32 = 7.0;
/// How far a gate's block stands proud of the wall on each face.
const GATE_PROUD_M: f32 = 1.0;
/// Segments of a gate's semicircular arch.
const ARCH_SEGMENTS: usize = 8;

/// A place in a gate's own frame: `u` along the wall, `v` outwards, `z` up.
struct GateFrame {
    centre: [f32; 2],
    along: [f32; 2],
    out: [f32; 2],
}

impl GateFrame {
    fn at(&self, u: f32, v: f32, z: f32) -> [f32; 3] {
        [
            self.centre[0] + self.along[0] * u + self.out[0] * v,
            self.centre[1] + self.along[1] * u + self.out[1] * v,
            z,
        ]
    }

    fn dir(&self, u: f32, v: f32, z: f32) -> [f32; 3] {
        [self.along[0] * u + self.out[0] * v, self.along[1] * u + self.out[1] * v, z]
    }
}

/// The four gates: a brick block through the wall with a vaulted passage
/// (a semicircular arch over the gate's width, springing 2.4 m above the
/// ground), and on it a watchtower (vọng lâu): a pavilion under a hipped
/// tile roof.
fn gates(layout: &Layout) -> MeshData {
    let mut mesh = MeshData::default();
    let z0 = layout.ground_m - 1.0;
    let zt = layout.wall_top_m() + 0.8;
    let (w, d) = (GATE_HALF_WIDTH_M, layout.wall_thickness_m / 2.0 + GATE_PROUD_M);
    let r = layout.gate_width_m / 2.0;
    let spring = layout.ground_m + 2.4;
    let arch: Vec<(f32, f32)> = (0..=ARCH_SEGMENTS)
        .map(|k| {
            let a = std::f32::consts::PI * (1.0 - k as f32 / ARCH_SEGMENTS as f32);
            (r * a.cos(), spring + r * a.sin())
        })
        .collect();
    for (centre, along) in layout.gates() {
        let len = (centre[0] * centre[0] + centre[1] * centre[1]).sqrt();
        let g = GateFrame {
            centre,
            along,
            out: [centre[0] / len, centre[1] / len],
        };
        // Both faces of the block: the piers, and above the arch to the top.
        for v in [d, -d] {
            let facing = g.dir(0.0, v.signum(), 0.0);
            for (u0, u1) in [(-w, -r), (r, w)] {
                push_quad_facing(&mut mesh, [g.at(u0, v, z0), g.at(u1, v, z0), g.at(u1, v, zt), g.at(u0, v, zt)], facing, BRICK);
            }
            for pair in arch.windows(2) {
                let [(u0, z_0), (u1, z_1)] = [pair[0], pair[1]];
                push_quad_facing(&mut mesh, [g.at(u0, v, z_0), g.at(u1, v, z_1), g.at(u1, v, zt), g.at(u0, v, zt)], facing, BRICK);
            }
        }
        // The block's ends (mostly inside the wall) and its top.
        for u in [w, -w] {
            push_quad_facing(&mut mesh, [g.at(u, -d, z0), g.at(u, d, z0), g.at(u, d, zt), g.at(u, -d, zt)], g.dir(u.signum(), 0.0, 0.0), BRICK);
        }
        push_quad_facing(&mut mesh, [g.at(-w, -d, zt), g.at(w, -d, zt), g.at(w, d, zt), g.at(-w, d, zt)], [0.0, 0.0, 1.0], BRICK_TOP);
        // The passage: its sides up to the springing, then the vault.
        for u in [r, -r] {
            push_quad_facing(
                &mut mesh,
                [g.at(u, -d, z0), g.at(u, d, z0), g.at(u, d, spring), g.at(u, -d, spring)],
                g.dir(-u.signum(), 0.0, 0.0),
                shade(BRICK, 0.7),
            );
        }
        for pair in arch.windows(2) {
            let [(u0, z_0), (u1, z_1)] = [pair[0], pair[1]];
            let mid = ((u0 + u1) / 2.0, (z_0 + z_1) / 2.0 - spring);
            push_quad_facing(
                &mut mesh,
                [g.at(u0, -d, z_0), g.at(u1, -d, z_1), g.at(u1, d, z_1), g.at(u0, d, z_0)],
                g.dir(-mid.0, 0.0, -mid.1),
                shade(BRICK, 0.7),
            );
        }
        // The watchtower: a pavilion, then its hipped roof with eaves.
        let (pu, pv, ph) = (w - 2.0, d - 2.5, 2.8);
        let pavilion = [g.at(-pu, -pv, 0.0), g.at(pu, -pv, 0.0), g.at(pu, pv, 0.0), g.at(-pu, pv, 0.0)].map(|p| [p[0], p[1]]);
        mesh.push_prism(&ccw(pavilion), zt, zt + ph, WOOD);
        push_hip_roof(&mut mesh, &g, pu + 1.4, pv + 1.4, zt + ph, 2.6, ROOF);
    }
    mesh
}

/// `points` counter-clockwise seen from above (reversed if they were not).
fn ccw<const N: usize>(mut points: [[f32; 2]; N]) -> [[f32; 2]; N] {
    let area: f32 = (0..N).map(|i| points[i][0] * points[(i + 1) % N][1] - points[(i + 1) % N][0] * points[i][1]).sum();
    if area < 0.0 {
        points.reverse();
    }
    points
}

/// A hipped roof over the rectangle ±`hu` × ±`hv` of a gate's frame at
/// `z`, rising `rise` to a ridge along `u` (hips at 45° in plan).
fn push_hip_roof(mesh: &mut MeshData, g: &GateFrame, hu: f32, hv: f32, z: f32, rise: f32, color: [f32; 4]) {
    let ridge = (hu - hv).max(0.0);
    let (r0, r1) = (g.at(-ridge, 0.0, z + rise), g.at(ridge, 0.0, z + rise));
    let c = [g.at(-hu, -hv, z), g.at(hu, -hv, z), g.at(hu, hv, z), g.at(-hu, hv, z)];
    push_quad_facing(mesh, [c[0], c[1], r1, r0], g.dir(0.0, -1.0, 1.0), color);
    push_quad_facing(mesh, [c[2], c[3], r0, r1], g.dir(0.0, 1.0, 1.0), color);
    for (tri, facing) in [([c[1], c[2], r1], g.dir(1.0, 0.0, 1.0)), ([c[3], c[0], r0], g.dir(-1.0, 0.0, 1.0))] {
        let n = normal_of(tri[0], tri[1], tri[2]);
        let front = n[0] * facing[0] + n[1] * facing[1] + n[2] * facing[2] >= 0.0;
        mesh.push_triangle(if front { tri } else { [tri[0], tri[2], tri[1]] }, shade(color, 0.92));
    }
}

fn normal_of(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
}


/// The memorial at the centre of today's citadel park (Đài tưởng niệm,
/// on the site of the old palace): a stone platform in three steps and a
/// tall white tower under a small tiled roof. Its size and form are the
/// project's simplification (reconstruction), not surveyed.
fn memorial(layout: &Layout) -> MeshData {
    let mut mesh = MeshData::default();
    let ground = layout.ground_height([0.0, 0.0]);
    let square = |side: f32| Footprint {
        center: [0.0, 0.0],
        along: [1.0, 0.0],
        length: side,
        width: side,
    };
    for (k, (side, rise)) in [(48.0, 0.6), (38.0, 0.6), (28.0, 0.8)].into_iter().enumerate() {
        let z = ground + [0.0, 0.6, 1.2][k];
        mesh.push_box(&square(side), z - if k == 0 { 0.8 } else { 0.0 }, z + rise, STONE);
    }
    let base = ground + 2.0;
    mesh.push_box(&square(9.0), base, base + 2.5, shade(STONE, 0.95));
    mesh.push_box(&square(6.0), base + 2.5, base + 17.0, shade(STONE, 1.02));
    mesh.push_pyramid(&square(8.5), base + 17.0, base + 19.5, ROOF);
    mesh
}

/// One tree of the citadel's park or of the banks beyond the moat: where
/// its trunk meets the ground, its height, its turn about the vertical and
/// which of a few tones of green its crown takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TreeSite {
    pub position: [f32; 3],
    pub height_m: f32,
    /// Radians, counter-clockwise seen from above.
    pub heading: f32,
    /// 0 to [`TREE_TONES`] − 1.
    pub tone: u8,
}

/// How many tones of green the trees' crowns come in.
pub const TREE_TONES: u8 = 3;

/// Every tree of the reconstruction, placed deterministically (a fixed
/// seed), in an order where any prefix is spread evenly: a renderer that
/// draws fewer trees (phones) takes the first ones. The park inside the
/// walls keeps its paths, the memorial's square and a strip along the walls
/// (ramps, wall foot) clear; outside, trees line the moat's outer bank.
pub fn tree_sites(layout: &Layout) -> Vec<TreeSite> {
    let s = layout.half();
    let mut seed = 0x9e37_79b9u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32
    };
    let mut sites = Vec::with_capacity(TREE_COUNT);
    while sites.len() < TREE_COUNT {
        let p = [(next() * 2.0 - 1.0) * (s + 120.0), (next() * 2.0 - 1.0) * (s + 120.0)];
        let w = layout.wall_distance(p);
        let clear_of_memorial = p[0].abs() > 34.0 || p[1].abs() > 34.0;
        let clear_of_paths = p[0].abs() > 10.0 && p[1].abs() > 10.0;
        let in_park = w < -22.0 && clear_of_memorial && clear_of_paths;
        let beyond_moat = w > layout.moat_outer_m + 8.0 && w < layout.moat_outer_m + 60.0 && layout.water_level(p).is_none();
        let (size, heading, tone) = (next(), next(), next());
        if !(in_park || beyond_moat) {
            continue;
        }
        sites.push(TreeSite {
            position: [p[0], p[1], layout.ground_height(p)],
            height_m: 7.0 + size * 6.0,
            heading: heading * std::f32::consts::TAU,
            tone: ((tone * f32::from(TREE_TONES)) as u8).min(TREE_TONES - 1),
        });
    }
    sites
}

/// Trees [`tree_sites`] gives.
pub const TREE_COUNT: usize = 700;

/// A broad-leaved tree 1 m high standing on the origin, for renderers to
/// scale to each [`TreeSite`]: a six-sided trunk and a lumpy, wide crown (a
/// once-subdivided icosahedron, smooth-shaded), 92 triangles. Crown colours
/// are green; a material tints them per tone.
pub fn tree_mesh() -> MeshData {
    let mut mesh = MeshData::default();
    // Trunk.
    let (r, h) = (0.035f32, 0.45f32);
    for k in 0..6 {
        let a0 = k as f32 / 6.0 * std::f32::consts::TAU;
        let a1 = (k + 1) as f32 / 6.0 * std::f32::consts::TAU;
        let p = |a: f32, z: f32| [r * a.cos(), r * a.sin(), z];
        mesh.push_quad([p(a0, 0.0), p(a1, 0.0), p(a1, h), p(a0, h)], TRUNK);
    }
    // Crown: an icosahedron, each face cut in four, pushed onto a lumpy ellipsoid.
    let t = (1.0 + 5f32.sqrt()) / 2.0;
    let ico = [
        [-1.0, t, 0.0], [1.0, t, 0.0], [-1.0, -t, 0.0], [1.0, -t, 0.0],
        [0.0, -1.0, t], [0.0, 1.0, t], [0.0, -1.0, -t], [0.0, 1.0, -t],
        [t, 0.0, -1.0], [t, 0.0, 1.0], [-t, 0.0, -1.0], [-t, 0.0, 1.0],
    ];
    let faces: [[usize; 3]; 20] = [
        [0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
        [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
        [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
        [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1],
    ];
    let unit = |v: [f32; 3]| {
        let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        [v[0] / l, v[1] / l, v[2] / l]
    };
    let mid = |a: [f32; 3], b: [f32; 3]| unit([(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0, (a[2] + b[2]) / 2.0]);
    let place = |n: [f32; 3]| {
        // Lumps that depend on the direction only, so shared corners agree.
        let lump = 1.0 + 0.12 * ((n[0] * 7.1 + n[1] * 3.3).sin() * (n[2] * 5.7 + n[0] * 2.1).cos());
        let (rx, rz) = (0.38 * lump, 0.3 * lump);
        [n[0] * rx, n[1] * rx, 0.66 + n[2] * rz]
    };
    for f in faces {
        let [a, b, c] = f.map(|i| unit([ico[i][0], ico[i][1], ico[i][2]]));
        let (ab, bc, ca) = (mid(a, b), mid(b, c), mid(c, a));
        for tri in [[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]] {
            // Wound counter-clockwise seen from outside; smooth normals from the sphere.
            let base = mesh.positions.len() as u32;
            for n in tri {
                let lit = 0.85 + 0.15 * n[2];
                mesh.positions.push(place(n));
                mesh.normals.push(unit([n[0], n[1], n[2] * 1.3]));
                mesh.colors.push(shade(CROWN, lit));
            }
            mesh.indices.extend_from_slice(&[base, base + 1, base + 2]);
        }
    }
    mesh
}

fn smoothstep(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// Low, smooth undulation of the plain (±0.4 m).
fn gentle_relief(p: [f32; 2]) -> f32 {
    0.25 * (p[0] / 310.0).sin() * (p[1] / 270.0).cos() + 0.15 * ((p[0] + p[1]) / 530.0).sin()
}

fn hash01(v: i32) -> f32 {
    let mut x = v as u32;
    x = x.wrapping_mul(0x85eb_ca6b) ^ (x >> 13);
    x = x.wrapping_mul(0xc2b2_ae35) ^ (x >> 16);
    (x & 0xffff) as f32 / 65535.0
}

fn point_segment_distance(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (abx, aby) = (b[0] - a[0], b[1] - a[1]);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a[0] + t * abx, a[1] + t * aby);
    ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()
}

fn polyline_distance(points: &[[f32; 2]], closed: bool, p: [f32; 2]) -> f32 {
    let segments = if closed { points.len() } else { points.len().saturating_sub(1) };
    (0..segments)
        .map(|i| point_segment_distance(p, points[i], points[(i + 1) % points.len()]))
        .fold(f32::INFINITY, f32::min)
}

fn point_in_polygon(polygon: &[[f32; 2]], p: [f32; 2]) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[i], polygon[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn polygon_area(p: &[[f32; 2]]) -> f32 {
        (0..p.len())
            .map(|i| {
                let (a, b) = (p[i], p[(i + 1) % p.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f32>()
            / 2.0
    }

    #[test]
    fn trace_is_a_square_with_four_bastions_counter_clockwise() {
        let layout = Layout::default();
        let trace = layout.trace();
        assert_eq!(trace.len(), 20);
        // 500 m square plus four bastions of 2 d² each outside it (a d×d square
        // and two half-squares on its flanks).
        let d = layout.bastion_m;
        let area = polygon_area(&trace);
        assert_abs_diff_eq!(area, 500.0 * 500.0 + 4.0 * 2.0 * d * d, epsilon = 1.0);
        assert!(area > 0.0, "counter-clockwise");
    }

    #[test]
    fn heights_describe_plain_moat_and_river() {
        let layout = Layout::default();
        // The plain is a few metres above sea level.
        let plain = layout.ground_height([150.0, 120.0]);
        assert!((3.5..4.5).contains(&plain), "{plain}");
        // Mid-moat, south of the south curtain.
        let moat = [120.0, -250.0 - 36.0];
        assert_abs_diff_eq!(layout.ground_height(moat), layout.moat_bed_m, epsilon = 0.01);
        assert_eq!(layout.water_level(moat), Some(layout.moat_water_m));
        // The moat is crossed by a causeway at each gate.
        assert!(layout.water_level([0.0, -250.0 - 36.0]).is_none());
        // The river runs west of the citadel.
        let river = [-720.0, -100.0];
        assert_abs_diff_eq!(layout.ground_height(river), layout.river_bed_m, epsilon = 0.01);
        assert_eq!(layout.water_level(river), Some(layout.river_water_m));
        assert!(layout.water_level([400.0, 0.0]).is_none(), "no water east of the citadel");
    }

    #[test]
    fn rasterised_walls_close_the_enceinte_but_for_the_gates() {
        let layout = Layout::default();
        let top = layout.ground_m + layout.wall_height_m;
        assert_eq!(layout.wall_top([120.0, -250.0], 0.0), Some(top));
        assert_eq!(layout.wall_top([120.0, -262.0], 10.0), Some(top), "coarse cells still see the wall");
        assert_eq!(layout.wall_top([120.0, -200.0], 10.0), None);
        for (centre, _) in layout.gates() {
            assert_eq!(layout.wall_top(centre, 10.0), None, "gate at {centre:?}");
        }
    }

    #[test]
    fn walls_leave_a_passage_at_each_gate() {
        let layout = Layout::default();
        let walls = walls(&layout);
        let low = layout.ground_m + 1.0;
        for (centre, _) in layout.gates() {
            // No wall triangle covers the gate's centre at head height.
            let blocked = walls.indices.chunks(3).any(|tri| {
                let ps: Vec<[f32; 3]> = tri.iter().map(|&i| walls.positions[i as usize]).collect();
                let (lo_z, hi_z) = ps.iter().fold((f32::MAX, f32::MIN), |(l, h), p| (l.min(p[2]), h.max(p[2])));
                let near = ps.iter().all(|p| (p[0] - centre[0]).abs() < 4.0 && (p[1] - centre[1]).abs() < 4.0);
                near && lo_z <= low && hi_z >= low
            });
            assert!(!blocked, "gate at {centre:?} is walled up");
        }
        let (lo, hi) = walls.bounds().unwrap();
        assert!(hi[0] - lo[0] > 600.0 && hi[0] - lo[0] < 630.0, "with bastions: {lo:?} {hi:?}");
        assert_abs_diff_eq!(hi[2], layout.ground_m + layout.wall_height_m + 1.2, epsilon = 1e-4);
        // Each gate's block leaves its arched passage open: nothing over the
        // passage's middle below the vault, the block above it.
        let gates = gates(&layout);
        for (centre, _) in layout.gates() {
            let over = heights_at(&gates, centre);
            assert!(!over.is_empty(), "no gate block at {centre:?}");
            assert!(over.iter().all(|&z| z >= layout.ground_m + 2.4 + layout.gate_width_m / 2.0 - 1e-3), "{over:?}");
        }
    }

    /// Heights at which a vertical line through `p` meets `mesh`'s triangles
    /// (those seen edge-on from above are skipped), highest first.
    fn heights_at(mesh: &MeshData, p: [f32; 2]) -> Vec<f32> {
        let mut hits: Vec<f32> = mesh
            .indices
            .chunks(3)
            .filter_map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| mesh.positions[t[k] as usize]);
                let det = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1]);
                if det.abs() < 1e-6 {
                    return None;
                }
                let l1 = ((b[1] - c[1]) * (p[0] - c[0]) + (c[0] - b[0]) * (p[1] - c[1])) / det;
                let l2 = ((c[1] - a[1]) * (p[0] - c[0]) + (a[0] - c[0]) * (p[1] - c[1])) / det;
                let l3 = 1.0 - l1 - l2;
                (l1 >= -1e-5 && l2 >= -1e-5 && l3 >= -1e-5).then(|| l1 * a[2] + l2 * b[2] + l3 * c[2])
            })
            .collect();
        hits.sort_by(|a, b| b.total_cmp(a));
        hits
    }

    /// Where a horizontal ray from `from` along `dir` first meets a
    /// vertical face of `mesh`, as a distance.
    fn horizontal_hit(mesh: &MeshData, from: [f32; 3], dir: [f32; 2]) -> Option<f32> {
        let d = [dir[0], dir[1], 0.0];
        mesh.indices
            .chunks(3)
            .filter_map(|t| {
                // Möller–Trumbore.
                let [a, b, c] = [0, 1, 2].map(|k| mesh.positions[t[k] as usize]);
                let sub = |p: [f32; 3], q: [f32; 3]| [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
                let cross = |u: [f32; 3], v: [f32; 3]| [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
                let dot = |u: [f32; 3], v: [f32; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
                let (e1, e2) = (sub(b, a), sub(c, a));
                let pv = cross(d, e2);
                let det = dot(e1, pv);
                if det.abs() < 1e-8 {
                    return None;
                }
                let tv = sub(from, a);
                let u = dot(tv, pv) / det;
                let qv = cross(tv, e1);
                let v = dot(d, qv) / det;
                let t = dot(e2, qv) / det;
                (u >= 0.0 && v >= 0.0 && u + v <= 1.0 && t > 0.0).then_some(t)
            })
            .fold(None, |best: Option<f32>, t| Some(best.map_or(t, |b| b.min(t))))
    }

    #[test]
    fn landmarks_are_where_the_geometry_is() {
        let layout = Layout::default();
        let marks = landmarks(&layout);
        let walls = walls(&layout);
        let ground = ground(
            &Layout {
                extent_m: 400.0,
                ..layout.clone()
            },
            &mut |_| {},
        );
        // The wall walk is at the stated height above the south curtain, away from gate and ramps.
        let walk = marks.south_wall_walk;
        assert_abs_diff_eq!(heights_at(&walls, [walk[0], walk[1]])[0], marks.wall_top_m, epsilon = 1e-4);
        assert_abs_diff_eq!(walk[2], marks.wall_top_m);
        // Ground under the point inside the wall, no wall over it, and the
        // wall's inner face the stated distance ahead (south).
        let inner = marks.south_wall_inner;
        assert!(heights_at(&walls, [inner[0], inner[1]]).is_empty(), "a wall over {inner:?}");
        assert_abs_diff_eq!(heights_at(&ground, [inner[0], inner[1]])[0], inner[2], epsilon = 0.02);
        assert!((inner[2] - marks.ground_m).abs() < 0.5);
        let eye = [inner[0], inner[1], inner[2] + 1.6];
        let face = horizontal_hit(&walls, eye, [0.0, -1.0]).expect("the wall ahead");
        assert_abs_diff_eq!(face, marks.south_wall_inner_distance_m, epsilon = 1e-3);
        // The south gate's passage is open at head height, the ground under it.
        let gate = marks.south_gate;
        assert!(
            heights_at(&walls, [gate[0], gate[1]]).iter().all(|&z| z > gate[2] + 2.5),
            "gate blocked"
        );
        assert_abs_diff_eq!(heights_at(&ground, [gate[0], gate[1]])[0], gate[2], epsilon = 0.02);
        assert_eq!(marks.ramps.len(), 8);
        assert_eq!(marks.south_ramp, marks.ramps[6]);
        assert!(
            marks.south_ramp.foot[0] > marks.south_ramp.top[0] && marks.south_ramp.top[0] > 0.0,
            "east of the south gate"
        );
    }

    #[test]
    fn each_ramp_rises_steadily_from_the_ground_to_the_wall_walk() {
        let layout = Layout::default();
        let marks = landmarks(&layout);
        let walls = walls(&layout);
        let ground = ground(
            &Layout {
                extent_m: 400.0,
                ..layout.clone()
            },
            &mut |_| {},
        );
        for ramp in &marks.ramps {
            assert!(ramp.slope() <= 0.125 + 1e-6, "steeper than 1:8: {ramp:?}");
            assert_abs_diff_eq!(ramp.top[2], marks.wall_top_m);
            assert_abs_diff_eq!(ramp.rise_m, ramp.top[2] - ramp.foot[2], epsilon = 1e-5);
            let run = ((ramp.top[0] - ramp.foot[0]).powi(2) + (ramp.top[1] - ramp.foot[1]).powi(2)).sqrt();
            assert_abs_diff_eq!(run, ramp.run_m, epsilon = 1e-3);
            // The foot meets the ground.
            assert_abs_diff_eq!(heights_at(&ground, [ramp.foot[0], ramp.foot[1]])[0], ramp.foot[2], epsilon = 0.02);
            // Across its width, from foot to top, the surface only rises, never steeper than stated.
            for across in [-0.45f32, 0.0, 0.45] {
                let off = [ramp.outward[0] * across * ramp.width_m, ramp.outward[1] * across * ramp.width_m];
                let mut last: Option<f32> = None;
                for k in 0..=40 {
                    let t = k as f32 / 40.0;
                    let p = [
                        ramp.foot[0] + (ramp.top[0] - ramp.foot[0]) * t + off[0],
                        ramp.foot[1] + (ramp.top[1] - ramp.foot[1]) * t + off[1],
                    ];
                    let z = heights_at(&walls, p)[0];
                    assert_abs_diff_eq!(z, ramp.foot[2] + ramp.rise_m * t, epsilon = 1e-3);
                    if let Some(prev) = last {
                        assert!(z >= prev, "falls at {p:?}");
                        assert!((z - prev) / (ramp.run_m / 40.0) <= ramp.slope() + 1e-3);
                    }
                    last = Some(z);
                }
            }
            // At the top, the wall walk is level with it, one step outward.
            let step = [
                ramp.top[0] + ramp.outward[0] * ramp.width_m,
                ramp.top[1] + ramp.outward[1] * ramp.width_m,
            ];
            assert_abs_diff_eq!(heights_at(&walls, step)[0], marks.wall_top_m, epsilon = 1e-4);
        }
    }

    #[test]
    fn trees_stand_on_open_ground_the_same_every_time() {
        let layout = Layout::default();
        let sites = tree_sites(&layout);
        assert_eq!(sites, tree_sites(&layout), "deterministic");
        assert_eq!(sites.len(), TREE_COUNT);
        let inside = sites.iter().filter(|t| layout.wall_distance([t.position[0], t.position[1]]) < 0.0).count();
        assert!(inside > TREE_COUNT / 2, "most trees in the park: {inside}");
        // A prefix is spread too: the first 250 still reach every quarter of the park.
        for (sx, sy) in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
            assert!(sites[..250].iter().any(|t| t.position[0] * sx > 50.0 && t.position[1] * sy > 50.0));
        }
        let walls = walls(&layout);
        for t in &sites {
            let p = [t.position[0], t.position[1]];
            assert!(layout.water_level(p).is_none(), "tree in water at {p:?}");
            assert!(heights_at(&walls, p).is_empty(), "tree on a wall or ramp at {p:?}");
            assert_abs_diff_eq!(t.position[2], layout.ground_height(p));
            assert!(t.tone < TREE_TONES && (7.0..=13.0).contains(&t.height_m));
        }
        let tree = tree_mesh();
        assert_eq!(tree.triangle_count(), 92);
        let (lo, hi) = tree.bounds().unwrap();
        assert!(lo[2] >= 0.0 && hi[2] <= 1.0 && hi[2] > 0.9, "{lo:?} {hi:?}");
        // The crown's faces look outwards from its centre.
        for tri in tree.indices.chunks(3).skip(12) {
            let [a, b, c] = [0, 1, 2].map(|k| tree.positions[tri[k] as usize]);
            let n = normal_of(a, b, c);
            let out = [a[0], a[1], a[2] - 0.66];
            assert!(n[0] * out[0] + n[1] * out[1] + n[2] * out[2] > 0.0);
        }
    }

    #[test]
    fn generate_makes_every_part_and_reports_progress() {
        let layout = Layout {
            extent_m: 900.0,
            cell_m: 12.0,
            ..Layout::default()
        };
        let mut last = 0.0;
        let parts = generate(&layout, &mut |p| {
            assert!(p >= last);
            last = p;
        });
        assert_eq!(last, 1.0);
        let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
        assert_eq!(names, ["ground", "walls", "gates", "memorial", "river", "moat"]);
        for part in &parts {
            assert!(part.mesh.triangle_count() > 0, "{} is empty", part.name);
            assert_eq!(part.mesh.positions.len(), part.mesh.normals.len());
            assert_eq!(part.mesh.positions.len(), part.mesh.colors.len());
            assert!(part.mesh.indices.iter().all(|&i| (i as usize) < part.mesh.positions.len()));
        }
    }
}
