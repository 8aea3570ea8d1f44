//! Terrain from a DEM, ready to draw with chunked level of detail.
//!
//! The DEM (any CRS with an EPSG code, geographic or projected) is carried
//! into the scene's ENU frame, Earth's curvature included: positions are
//! computed exactly on a coarse lattice and interpolated between, heights
//! along the local vertical. Level 0 is the finest grid; each level above
//! doubles the spacing, and each chunk at a level covers four of the level
//! below, so a viewer picks per chunk by screen-space error and the chosen
//! chunks tile the terrain once. Skirts hang from every chunk edge so that
//! neighbours of different levels leave no cracks.

use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};
use sontinh_procgen::MeshData;
use sontinh_raster::GeoRaster;

mod drape;
mod heights;
mod wire;

pub use drape::{DrapeTexture, drape_texture};
pub use heights::DemHeights;
pub use wire::{DrapeRequest, Files, MAX_DRAPE_TEXELS, TerrainRequest};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TerrainError {
    #[error("the DEM has no CRS (no GeoTIFF keys or EPSG code): it cannot be placed")]
    NoCrs,
    #[error("the DEM's CRS EPSG:{0} is not in the EPSG table")]
    UnknownCrs(u16),
    #[error("the DEM is {0}×{1} samples: at least 2×2 are needed")]
    TooSmall(usize, usize),
    #[error("the DEM has no valid elevation at all")]
    NoData,
    #[error("placing the DEM: {0}")]
    Transform(String),
}

/// How the terrain is cut.
#[derive(Clone, Copy, Debug)]
pub struct TerrainOptions {
    /// Samples along the longer side at the finest level (the DEM is strided above this).
    pub max_grid: usize,
    /// Cells along a chunk's side, at every level.
    pub chunk_cells: usize,
    /// Heights are multiplied by this (1: true scale).
    pub vertical_exaggeration: f64,
}

impl Default for TerrainOptions {
    fn default() -> Self {
        TerrainOptions {
            max_grid: 2048,
            chunk_cells: 64,
            vertical_exaggeration: 1.0,
        }
    }
}

/// One chunk of one level.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// 0: finest.
    pub level: u8,
    /// Position among the chunks of its level (its parent is at half these).
    pub ix: u32,
    pub iy: u32,
    /// ENU metres, skirts included.
    pub mesh: MeshData,
    /// Each vertex's place in the DEM grid (0–1, row 0 first): texture
    /// coordinates into a [`DrapeTexture`].
    pub uvs: Vec<[f32; 2]>,
    /// Bounding sphere in ENU.
    pub centre: [f64; 3],
    pub radius: f64,
    /// Largest height difference between this chunk's surface and the finest grid under it, m.
    pub error_m: f64,
    /// Index (in [`Terrain::chunks`]) of the chunk one level up that covers this one.
    pub parent: Option<usize>,
}

/// The highest sample of the DEM.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summit {
    pub enu: [f64; 3],
    pub geodetic: Geodetic,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Terrain {
    pub chunks: Vec<Chunk>,
    pub levels: u8,
    /// Samples of the finest grid (columns, rows), and its stride in DEM samples.
    pub grid: (usize, usize),
    pub stride: usize,
    pub min_height_m: f64,
    pub max_height_m: f64,
    /// DEM samples without a value, filled with the lowest valid height.
    pub filled_nodata: usize,
    pub summit: Summit,
    /// An orthophoto resampled onto the grid, when one is draped.
    pub drape: Option<DrapeTexture>,
}

/// Hypsometric colours over the DEM's own height range (t from 0 to 1), linear RGB.
const RAMP: [(f64, [f32; 3]); 6] = [
    (0.0, [0.10, 0.25, 0.08]),
    (0.2, [0.20, 0.38, 0.12]),
    (0.45, [0.42, 0.45, 0.20]),
    (0.7, [0.40, 0.30, 0.18]),
    (0.88, [0.45, 0.43, 0.40]),
    (1.0, [0.85, 0.85, 0.87]),
];

pub fn hypsometric(t: f64) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0);
    let mut prev = RAMP[0];
    for stop in RAMP {
        if t <= stop.0 {
            let f = if stop.0 > prev.0 { ((t - prev.0) / (stop.0 - prev.0)) as f32 } else { 0.0 };
            return [0, 1, 2].map(|i| prev.1[i] + (stop.1[i] - prev.1[i]) * f);
        }
        prev = stop;
    }
    RAMP[RAMP.len() - 1].1
}

/// Hillshade of a unit normal (ENU) lit from the north-west, 45° up: 0 to 1.
pub fn hillshade(normal: [f64; 3]) -> f64 {
    let (az, alt) = (315f64.to_radians(), 45f64.to_radians());
    let sun = [az.sin() * alt.cos(), az.cos() * alt.cos(), alt.sin()];
    (normal[0] * sun[0] + normal[1] * sun[1] + normal[2] * sun[2]).max(0.0)
}

/// The finest grid: heights and ENU placement of every sample.
struct Grid {
    nx: usize,
    ny: usize,
    heights: Vec<f64>,
    /// ENU of each sample at height 0, and the local up vector.
    base: Vec<[f64; 3]>,
    up: Vec<[f64; 3]>,
    /// Each column's and row's place across the DEM (0–1).
    u: Vec<f32>,
    v: Vec<f32>,
}

impl Grid {
    fn at(&self, i: usize, j: usize) -> usize {
        j * self.nx + i
    }

    fn position(&self, i: usize, j: usize) -> [f64; 3] {
        let k = self.at(i, j);
        let (b, u, h) = (self.base[k], self.up[k], self.heights[k]);
        [b[0] + u[0] * h, b[1] + u[1] * h, b[2] + u[2] * h]
    }

    /// Unit normal from neighbours `step` samples away.
    fn normal(&self, i: usize, j: usize, step: usize) -> [f64; 3] {
        let (i0, i1) = (i.saturating_sub(step), (i + step).min(self.nx - 1));
        let (j0, j1) = (j.saturating_sub(step), (j + step).min(self.ny - 1));
        let (a, b) = (self.position(i1, j), self.position(i0, j));
        let (c, d) = (self.position(i, j0), self.position(i, j1));
        // Rows run south; east × north gives up.
        let east = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
        let north = [c[0] - d[0], c[1] - d[1], c[2] - d[2]];
        let n = [
            east[1] * north[2] - east[2] * north[1],
            east[2] * north[0] - east[0] * north[2],
            east[0] * north[1] - east[1] * north[0],
        ];
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt().max(1e-12);
        [n[0] / len, n[1] / len, n[2] / len]
    }
}

/// Spacing of the exactly placed lattice, in grid samples.
const LATTICE: usize = 16;

fn place(raster: &GeoRaster, frame: &EnuFrame, options: &TerrainOptions) -> Result<(Grid, usize, usize), TerrainError> {
    let epsg = raster.crs.ok_or(TerrainError::NoCrs)?;
    let crs = Crs::from_epsg(epsg.code).ok_or(TerrainError::UnknownCrs(epsg.code))?;
    let to_wgs84 = Transformer::new(crs, Crs::Wgs84).map_err(|e| TerrainError::Transform(e.to_string()))?;
    if raster.width < 2 || raster.height < 2 {
        return Err(TerrainError::TooSmall(raster.width, raster.height));
    }
    let stride = raster.width.max(raster.height).div_ceil(options.max_grid.max(2)).max(1);
    let nx = (raster.width - 1).div_ceil(stride) + 1;
    let ny = (raster.height - 1).div_ceil(stride) + 1;
    let column = |i: usize| (i * stride).min(raster.width - 1);
    let row = |j: usize| (j * stride).min(raster.height - 1);

    let mut heights = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            heights.push(raster.get(column(i), row(j)));
        }
    }
    let lowest = heights.iter().copied().filter(|h| h.is_finite()).fold(f64::INFINITY, f64::min);
    if !lowest.is_finite() {
        return Err(TerrainError::NoData);
    }
    let mut filled = 0;
    for h in &mut heights {
        if !h.is_finite() {
            *h = lowest;
            filled += 1;
        } else {
            *h *= options.vertical_exaggeration;
        }
    }

    // Exact placement on a lattice, bilinear in between.
    let (lx, ly) = ((nx - 1).div_ceil(LATTICE) + 1, (ny - 1).div_ceil(LATTICE) + 1);
    let mut lattice = Vec::with_capacity(lx * ly);
    for lj in 0..ly {
        for li in 0..lx {
            let (i, j) = ((li * LATTICE).min(nx - 1), (lj * LATTICE).min(ny - 1));
            let (x, y) = raster.transform.pixel_centre(column(i), row(j));
            let g = to_wgs84.to_geodetic([x, y, 0.0]).map_err(|e| TerrainError::Transform(e.to_string()))?;
            let base = frame.geodetic_to_enu(Geodetic::new(g.lon_deg, g.lat_deg, 0.0));
            let above = frame.geodetic_to_enu(Geodetic::new(g.lon_deg, g.lat_deg, 1.0));
            lattice.push((base, [above[0] - base[0], above[1] - base[1], above[2] - base[2]]));
        }
    }
    let mut base = Vec::with_capacity(nx * ny);
    let mut up = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        let lj = (j / LATTICE).min(ly.saturating_sub(2));
        let j0 = (lj * LATTICE).min(ny - 1);
        let j1 = ((lj + 1) * LATTICE).min(ny - 1);
        let fy = if j1 > j0 { (j - j0) as f64 / (j1 - j0) as f64 } else { 0.0 };
        for i in 0..nx {
            let li = (i / LATTICE).min(lx.saturating_sub(2));
            let i0 = (li * LATTICE).min(nx - 1);
            let i1 = ((li + 1) * LATTICE).min(nx - 1);
            let fx = if i1 > i0 { (i - i0) as f64 / (i1 - i0) as f64 } else { 0.0 };
            let corner = |a: usize, b: usize| lattice[(b.min(ly - 1)) * lx + a.min(lx - 1)];
            let (c00, c10, c01, c11) = (corner(li, lj), corner(li + 1, lj), corner(li, lj + 1), corner(li + 1, lj + 1));
            let mix = |p: [f64; 3], q: [f64; 3], r: [f64; 3], s: [f64; 3]| {
                [0, 1, 2].map(|k| (p[k] * (1.0 - fx) + q[k] * fx) * (1.0 - fy) + (r[k] * (1.0 - fx) + s[k] * fx) * fy)
            };
            base.push(mix(c00.0, c10.0, c01.0, c11.0));
            up.push(mix(c00.1, c10.1, c01.1, c11.1));
        }
    }
    let u = (0..nx).map(|i| column(i) as f32 / (raster.width - 1) as f32).collect();
    let v = (0..ny).map(|j| row(j) as f32 / (raster.height - 1) as f32).collect();
    Ok((Grid { nx, ny, heights, base, up, u, v }, stride, filled))
}

/// Builds every level's chunks; `progress` gets 0–1.
pub fn build(raster: &GeoRaster, frame: &EnuFrame, options: &TerrainOptions, progress: &mut dyn FnMut(f32)) -> Result<Terrain, TerrainError> {
    let (grid, stride, filled_nodata) = place(raster, frame, options)?;
    progress(0.2);
    let (min_h, max_h) = grid.heights.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &h| (lo.min(h), hi.max(h)));
    let top = grid.heights.iter().enumerate().fold(0, |best, (k, &h)| if h > grid.heights[best] { k } else { best });
    let summit_enu = grid.position(top % grid.nx, top / grid.nx);
    let summit = Summit {
        enu: summit_enu,
        geodetic: frame.enu_to_geodetic(summit_enu),
    };

    let cc = options.chunk_cells.max(2);
    let span = (grid.nx.max(grid.ny) - 1).max(1);
    let mut levels = 1u8;
    while cc << (levels - 1) < span && levels < 16 {
        levels += 1;
    }
    let total: usize = (0..levels).map(|l| chunks_along(grid.nx, cc, l) * chunks_along(grid.ny, cc, l)).sum();
    let mut chunks = Vec::with_capacity(total);
    for level in 0..levels {
        for iy in 0..chunks_along(grid.ny, cc, level) {
            for ix in 0..chunks_along(grid.nx, cc, level) {
                chunks.push(build_chunk(&grid, cc, level, ix as u32, iy as u32, (min_h, max_h)));
                progress(0.2 + 0.8 * chunks.len() as f32 / total.max(1) as f32);
            }
        }
    }
    // Parents once, here, rather than on every selection.
    let index: std::collections::HashMap<(u8, u32, u32), usize> = chunks.iter().enumerate().map(|(k, c)| ((c.level, c.ix, c.iy), k)).collect();
    for c in &mut chunks {
        c.parent = index.get(&(c.level + 1, c.ix / 2, c.iy / 2)).copied();
    }
    Ok(Terrain {
        chunks,
        levels,
        grid: (grid.nx, grid.ny),
        stride,
        min_height_m: min_h,
        max_height_m: max_h,
        filled_nodata,
        summit,
        drape: None,
    })
}

fn chunks_along(samples: usize, cc: usize, level: u8) -> usize {
    (samples - 1).div_ceil(cc << level).max(1)
}

/// Grid sample indices of a chunk along one axis at a level: every 2^level
/// samples, and always the last one.
fn samples_of(index: u32, cc: usize, level: u8, n: usize) -> Vec<usize> {
    let step = 1usize << level;
    let start = index as usize * (cc << level);
    let end = (start + (cc << level)).min(n - 1);
    let mut v: Vec<usize> = (start..end).step_by(step).collect();
    v.push(end);
    v
}

fn build_chunk(grid: &Grid, cc: usize, level: u8, ix: u32, iy: u32, range: (f64, f64)) -> Chunk {
    let xs = samples_of(ix, cc, level, grid.nx);
    let ys = samples_of(iy, cc, level, grid.ny);
    let step = 1usize << level;
    let mut mesh = MeshData::default();
    let mut uvs = Vec::with_capacity(xs.len() * ys.len());
    let span = (range.1 - range.0).max(1e-9);
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for &j in &ys {
        for &i in &xs {
            let p = grid.position(i, j);
            let n = grid.normal(i, j, step);
            let shade = 0.35 + 0.65 * hillshade(n) as f32;
            let c = hypsometric((grid.heights[grid.at(i, j)] - range.0) / span);
            mesh.positions.push([p[0] as f32, p[1] as f32, p[2] as f32]);
            mesh.normals.push([n[0] as f32, n[1] as f32, n[2] as f32]);
            mesh.colors.push([c[0] * shade, c[1] * shade, c[2] * shade, 1.0]);
            uvs.push([grid.u[i], grid.v[j]]);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
    }
    let w = xs.len();
    for r in 0..ys.len() - 1 {
        for c in 0..w - 1 {
            let (a, b, d, e) = ((r * w + c) as u32, (r * w + c + 1) as u32, ((r + 1) * w + c) as u32, ((r + 1) * w + c + 1) as u32);
            // Row r is north of row r + 1: counter-clockwise from above.
            mesh.indices.extend_from_slice(&[d, e, b, d, b, a]);
        }
    }

    // How far this level's surface is from the finest grid under it.
    let mut error_m: f64 = 0.0;
    if level > 0 {
        for wj in ys.windows(2) {
            for wi in xs.windows(2) {
                let (i0, i1, j0, j1) = (wi[0], wi[1], wj[0], wj[1]);
                let h = |i: usize, j: usize| grid.heights[grid.at(i, j)];
                for j in j0..=j1 {
                    for i in i0..=i1 {
                        let fx = (i - i0) as f64 / (i1 - i0).max(1) as f64;
                        let fy = (j - j0) as f64 / (j1 - j0).max(1) as f64;
                        let top = h(i0, j0) * (1.0 - fx) + h(i1, j0) * fx;
                        let bottom = h(i0, j1) * (1.0 - fx) + h(i1, j1) * fx;
                        error_m = error_m.max((top * (1.0 - fy) + bottom * fy - h(i, j)).abs());
                    }
                }
            }
        }
    }

    // Skirts: every edge vertex again, lowered, joined to the edge.
    let cell_m = ((hi[0] - lo[0]) / (w.max(2) - 1) as f64).max((hi[1] - lo[1]) / (ys.len().max(2) - 1) as f64);
    let depth = (2.0 * error_m + 0.5 * cell_m).max(1.0) as f32;
    let h_count = ys.len();
    let mut add_skirt = |indices: Vec<usize>| {
        for pair in indices.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let base = mesh.positions.len() as u32;
            for &v in &[a, b] {
                let p = mesh.positions[v];
                let n = mesh.normals[v];
                let c = mesh.colors[v];
                mesh.positions.push([p[0], p[1], p[2] - depth]);
                mesh.normals.push(n);
                mesh.colors.push(c);
                uvs.push(uvs[v]);
            }
            // Both windings: a skirt is seen from either side.
            let (a, b) = (a as u32, b as u32);
            mesh.indices.extend_from_slice(&[a, base, b, b, base, base + 1, a, b, base, b, base + 1, base]);
        }
    };
    add_skirt((0..w).collect());
    add_skirt(((h_count - 1) * w..h_count * w).collect());
    add_skirt((0..h_count).map(|r| r * w).collect());
    add_skirt((0..h_count).map(|r| r * w + w - 1).collect());

    let centre = [0, 1, 2].map(|k| (lo[k] + hi[k]) / 2.0);
    let radius = ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2) + (hi[2] - lo[2]).powi(2)).sqrt() / 2.0;
    Chunk {
        level,
        ix,
        iy,
        mesh,
        uvs,
        centre,
        radius,
        error_m,
        parent: None,
    }
}

/// Which chunks to show from `eye` (ENU): from the coarsest level down, a
/// chunk is refined while its error would cover more than `max_pixels` on
/// screen (`pixels_per_radian`: the view's height in pixels over its field
/// of view). The chosen chunks tile the terrain once.
pub fn select(chunks: &[Chunk], eye: [f64; 3], pixels_per_radian: f64, max_pixels: f64) -> Vec<bool> {
    let refine = |c: &Chunk| {
        if c.level == 0 {
            return false;
        }
        let d = ((c.centre[0] - eye[0]).powi(2) + (c.centre[1] - eye[1]).powi(2) + (c.centre[2] - eye[2]).powi(2)).sqrt() - c.radius;
        // An error seen from closer than the chunk's own size still needs refining.
        let d = d.max(1.0);
        c.error_m / d * pixels_per_radian > max_pixels || (d < c.radius && c.level > 0)
    };
    let refines: Vec<bool> = chunks.iter().map(refine).collect();
    (0..chunks.len())
        .map(|k| {
            // Shown when every ancestor refines and it does not.
            let mut parent = chunks[k].parent;
            let mut shown = !refines[k];
            while shown && let Some(p) = parent {
                shown = refines[p];
                parent = chunks[p].parent;
            }
            shown
        })
        .collect()
}

#[cfg(test)]
mod tests;
