//! Which cells of the grid lie under a footprint or along a line, and
//! footprints raised in the grid as obstacles.

use geo::{BoundingRect, Centroid, Contains, Coord, Geometry, LineString, Point};

use crate::{Feature, Grid};

/// The cells whose centre lies inside `footprint`; for a footprint that
/// holds no centre (smaller than a cell), the cell under its centroid.
/// Empty when it lies off the grid.
pub(crate) fn footprint_cells(grid: &Grid, footprint: &Geometry<f64>) -> Vec<u32> {
    let mut cells = Vec::new();
    if let Some(b) = footprint.bounding_rect()
        && let Some((columns, rows)) = cell_ranges(grid, b.min(), b.max())
    {
        for r in rows {
            for c in columns.clone() {
                let (x, y) = grid.centre(c, r);
                if footprint.contains(&Point::new(x, y)) {
                    // A grid holds at most 2^24 cells (the scene's cap), so an index fits u32.
                    cells.push((r * grid.nx + c) as u32);
                }
            }
        }
    }
    if cells.is_empty()
        && let Some(i) = footprint.centroid().and_then(|p| grid.index_at(p.x(), p.y()))
    {
        cells.push(i as u32);
    }
    cells
}

/// The cells under a line, sampled every half cell (and at its vertices).
pub(crate) fn line_cells(grid: &Grid, line: &LineString<f64>) -> Vec<u32> {
    let mut cells: Vec<u32> = Vec::new();
    let mut add = |p: Coord<f64>| {
        if let Some(i) = grid.index_at(p.x, p.y) {
            cells.push(i as u32);
        }
    };
    for segment in line.lines() {
        let length = (segment.end.x - segment.start.x).hypot(segment.end.y - segment.start.y);
        let steps = (length / (grid.cell / 2.0)).ceil().clamp(1.0, 1e6) as usize;
        for k in 0..steps {
            let f = k as f64 / steps as f64;
            add(segment.start + (segment.end - segment.start) * f);
        }
        add(segment.end);
    }
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// The column and row ranges of the cells whose centres may lie within a box.
fn cell_ranges(grid: &Grid, min: Coord<f64>, max: Coord<f64>) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let first = |v: f64| (v - 0.5).ceil().max(0.0);
    let last = |v: f64, n: usize| (v - 0.5).floor().min(n as f64 - 1.0);
    let (c0, c1) = (
        first((min.x - grid.origin_x) / grid.cell),
        last((max.x - grid.origin_x) / grid.cell, grid.nx),
    );
    let (r0, r1) = (
        first((grid.origin_y - max.y) / grid.cell),
        last((grid.origin_y - min.y) / grid.cell, grid.ny),
    );
    (c0 <= c1 && r0 <= r1 && c1.is_finite() && r1.is_finite()).then(|| (c0 as usize..c1 as usize + 1, r0 as usize..r1 as usize + 1))
}

/// Raises the ground `z` by `height_m` in every cell under one of the
/// `footprints` (each cell once, however many footprints hold it), keeping
/// the water surface of cells that start wet. Returns how many cells were raised.
pub fn raise_obstacles(
    grid: &Grid,
    footprints: &[Feature],
    height_m: f64,
    z: &mut [f64],
    initial_depth: &mut [f64],
) -> Result<usize, String> {
    let cells = grid.cells();
    if z.len() != cells || initial_depth.len() != cells {
        return Err(format!("the ground does not match the grid of {} × {} cells", grid.nx, grid.ny));
    }
    let mut raised = vec![false; cells];
    for feature in footprints {
        if matches!(feature.geometry, Geometry::LineString(_)) {
            continue;
        }
        for c in footprint_cells(grid, &feature.geometry) {
            raised[c as usize] = true;
        }
    }
    let mut count = 0;
    for (i, _) in raised.iter().enumerate().filter(|(_, r)| **r) {
        let surface = z[i] + initial_depth[i];
        z[i] += height_m;
        initial_depth[i] = (surface - z[i]).max(0.0);
        count += 1;
    }
    Ok(count)
}
