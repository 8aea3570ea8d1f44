//! A square grid over a polygon, in a local east-north-up frame at the
//! polygon's centre (within a few kilometres the tangent plane differs from
//! the ellipsoid by parts per million), for work over surfaces.

use sontinh_geo::{EnuFrame, Geodetic};

use crate::{MeasureError, Surface};

/// The most cells one measurement covers (2 000 × 2 000).
pub const MAX_CELLS: usize = 4_000_000;

pub(crate) struct Grid {
    frame: EnuFrame,
    origin: [f64; 2],
    spacing: f64,
    columns: usize,
    rows: usize,
    inside: Vec<(usize, usize)>,
}

/// Even-odd rule: whether `p` is inside the ring `ring`.
fn contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl Grid {
    /// The cells whose centres lie inside the polygon through `points`.
    pub(crate) fn inside(what: &'static str, points: &[Geodetic], spacing: f64) -> Result<Grid, MeasureError> {
        let n = points.len() as f64;
        let centre = Geodetic::new(points.iter().map(|p| p.lon_deg).sum::<f64>() / n, points.iter().map(|p| p.lat_deg).sum::<f64>() / n, 0.0);
        let frame = EnuFrame::new(centre);
        let ring: Vec<[f64; 2]> = points
            .iter()
            .map(|p| {
                let e = frame.geodetic_to_enu(Geodetic::new(p.lon_deg, p.lat_deg, 0.0));
                [e[0], e[1]]
            })
            .collect();
        let twice_area: f64 = ring.iter().zip(ring.iter().cycle().skip(1)).map(|(a, b)| a[0] * b[1] - b[0] * a[1]).sum();
        // Under a square millimetre: points in a line (the Earth's curve
        // leaves a trace of area between them).
        if twice_area.abs() < 2e-6 {
            return Err(MeasureError::EmptyPolygon);
        }
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in &ring {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let count = |k: usize| ((hi[k] - lo[k]) / spacing).ceil().max(1.0);
        let (columns, rows) = (count(0), count(1));
        let cells = columns * rows;
        if !cells.is_finite() || cells > MAX_CELLS as f64 {
            return Err(MeasureError::TooManyCells {
                what,
                cells: if cells.is_finite() { cells as u128 } else { u128::MAX },
                spacing_m: spacing,
                max: MAX_CELLS,
            });
        }
        let (columns, rows) = (columns as usize, rows as usize);
        let mut inside = Vec::new();
        for row in 0..rows {
            for column in 0..columns {
                let centre = [lo[0] + (column as f64 + 0.5) * spacing, lo[1] + (row as f64 + 0.5) * spacing];
                if contains(&ring, centre) {
                    inside.push((column, row));
                }
            }
        }
        Ok(Grid { frame, origin: lo, spacing, columns, rows, inside })
    }

    pub(crate) fn cells(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.inside.iter().copied()
    }

    fn at(&self, x: f64, y: f64) -> Geodetic {
        self.frame.enu_to_geodetic([self.origin[0] + x, self.origin[1] + y, 0.0])
    }

    pub(crate) fn cell_centre(&self, column: usize, row: usize) -> Geodetic {
        self.at((column as f64 + 0.5) * self.spacing, (row as f64 + 0.5) * self.spacing)
    }

    /// The surface's height at every cell corner, row by row from the south-west.
    pub(crate) fn corner_heights(&self, surface: Surface) -> Vec<Option<f64>> {
        let mut heights = Vec::with_capacity((self.columns + 1) * (self.rows + 1));
        for row in 0..=self.rows {
            for column in 0..=self.columns {
                heights.push(surface(self.at(column as f64 * self.spacing, row as f64 * self.spacing)).filter(|h| h.is_finite()));
            }
        }
        heights
    }

    /// A cell's corner heights: south-west, south-east, north-west, north-east.
    pub(crate) fn cell_corners(&self, heights: &[Option<f64>], column: usize, row: usize) -> Option<[f64; 4]> {
        let node = |c: usize, r: usize| heights.get(r * (self.columns + 1) + c).copied().flatten();
        Some([node(column, row)?, node(column + 1, row)?, node(column, row + 1)?, node(column + 1, row + 1)?])
    }
}
