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
    pub fn new(nx: usize, ny: usize, cell_size: f64, values: Vec<f64>) -> Result<Self, FloodError> {
        if nx == 0 || ny == 0 {
            return Err(FloodError::Setting(format!("a raster needs at least one cell, got {nx} × {ny}")));
        }
        if !(cell_size.is_finite() && cell_size > 0.0) {
            return Err(FloodError::Setting(format!("cell size {cell_size} is not a positive length")));
        }
        if values.len() != nx * ny {
            return Err(FloodError::SizeMismatch {
                what: "the raster",
                expected: nx * ny,
                got: values.len(),
            });
        }
        Ok(Self { nx, ny, cell_size, values })
    }

    /// A raster whose value at (column, row) is `f(column, row)`.
    pub fn from_fn(nx: usize, ny: usize, cell_size: f64, f: impl Fn(usize, usize) -> f64) -> Result<Self, FloodError> {
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
