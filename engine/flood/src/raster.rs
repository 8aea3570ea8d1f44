use crate::FloodError;

/// A north-up raster of square cells: `values[row * nx + column]`, row 0 the
/// northernmost. Georeferencing is kept by the caller.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    pub nx: usize,
    pub ny: usize,
    /// Side of a cell, metres.
    pub cell_size: f64,
    pub values: Vec<f64>,
}

impl Raster {
    /// Most cells of one grid: 4096², about 1.6 GiB of solver state (a dozen
    /// f64 a cell). Equal to `sontinh_scene::MAX_FLOOD_CELLS`, which refuses
    /// larger scenarios when the scene is read.
    pub const MAX_CELLS: usize = 1 << 24;

    /// The cell count of an `nx` × `ny` grid, refused past [`Raster::MAX_CELLS`]
    /// (or zero) before anything is allocated for it.
    pub fn check_size(nx: usize, ny: usize) -> Result<usize, FloodError> {
        if nx == 0 || ny == 0 {
            return Err(FloodError::Setting(format!("a raster needs at least one cell, got {nx} × {ny}")));
        }
        match nx.checked_mul(ny) {
            Some(n) if n <= Self::MAX_CELLS => Ok(n),
            _ => Err(FloodError::Setting(format!("a grid of {nx} × {ny} cells is more than {} cells", Self::MAX_CELLS))),
        }
    }

    /// The side, in cells, of the square grid over ±`extent_m` at
    /// `cell_size_m` (at least 2), refused past [`Raster::MAX_CELLS`] with
    /// both fields named, before anything is allocated for it.
    pub fn square_side(extent_m: f64, cell_size_m: f64) -> Result<usize, FloodError> {
        if !(cell_size_m.is_finite() && cell_size_m > 0.0 && extent_m.is_finite() && extent_m > 0.0) {
            return Err(FloodError::Setting(format!("cell_size_m {cell_size_m} and extent_m {extent_m} must be positive lengths")));
        }
        let side = (2.0 * extent_m / cell_size_m).ceil().max(2.0);
        if side * side > Self::MAX_CELLS as f64 {
            return Err(FloodError::Setting(format!(
                "cell_size_m {cell_size_m} and extent_m {extent_m} make a {side} × {side} grid, more than {} cells",
                Self::MAX_CELLS
            )));
        }
        // At most 4096 here: the cast is exact.
        Ok(side as usize)
    }

    pub fn new(nx: usize, ny: usize, cell_size: f64, values: Vec<f64>) -> Result<Self, FloodError> {
        let cells = Self::check_size(nx, ny)?;
        if !(cell_size.is_finite() && cell_size > 0.0) {
            return Err(FloodError::Setting(format!("cell size {cell_size} is not a positive length")));
        }
        if values.len() != cells {
            return Err(FloodError::SizeMismatch {
                what: "the raster",
                expected: cells,
                got: values.len(),
            });
        }
        Ok(Self { nx, ny, cell_size, values })
    }

    /// A raster whose value at (column, row) is `f(column, row)`.
    pub fn from_fn(nx: usize, ny: usize, cell_size: f64, f: impl Fn(usize, usize) -> f64) -> Result<Self, FloodError> {
        // Checked before the values are collected, not after.
        Self::check_size(nx, ny)?;
        let values = (0..ny)
            .flat_map(|row| (0..nx).map(move |col| (col, row)))
            .map(|(c, r)| f(c, r))
            .collect();
        Self::new(nx, ny, cell_size, values)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn index(&self, column: usize, row: usize) -> usize {
        row * self.nx + column
    }

    pub fn get(&self, column: usize, row: usize) -> f64 {
        self.values[self.index(column, row)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_of_cell_0_5_m_over_100_km_is_refused_naming_both_fields() {
        let e = Raster::square_side(100_000.0, 0.5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid setting: cell_size_m 0.5 and extent_m 100000 make a 400000 × 400000 grid, more than 16777216 cells"
        );
        assert_eq!(Raster::square_side(2048.0, 1.0).unwrap(), 4096);
        assert_eq!(Raster::square_side(1000.0, 40.0).unwrap(), 50);
    }

    #[test]
    fn raster_past_the_cell_cap_is_refused_before_allocating() {
        // from_fn would collect 400000² values before new() saw them.
        let e = Raster::from_fn(400_000, 400_000, 0.5, |_, _| 0.0).unwrap_err();
        assert_eq!(e.to_string(), "invalid setting: a grid of 400000 × 400000 cells is more than 16777216 cells");
        // nx × ny itself overflowing usize is the same error, not a wrap.
        let e = Raster::new(usize::MAX, 2, 1.0, Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), format!("invalid setting: a grid of {} × 2 cells is more than 16777216 cells", usize::MAX));
        assert_eq!(Raster::from_fn(3, 2, 1.0, |c, r| (c + 10 * r) as f64).unwrap().values, [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    }
}
