//! The quick inundation map: "what goes under water if the Thạch Hãn reaches
//! 7.4 m?" Cells are flooded when a path leads to them from a gauge through
//! cells whose ground lies below the gauge's level — low ground behind a
//! levee stays dry. A priority flood (highest level first) gives each cell
//! the highest level that reaches it, in O(n log n).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::{FloodError, Raster};

/// A water level (m) imposed at one cell, e.g. a river gauge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Seed {
    pub column: usize,
    pub row: usize,
    pub level: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connectivity {
    /// Through cell edges only.
    Four,
    /// Through edges and corners.
    Eight,
}

#[derive(PartialEq)]
struct Entry {
    level: f64,
    cell: usize,
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.level.total_cmp(&other.level).then(other.cell.cmp(&self.cell))
    }
}

/// Water depth per cell (0 where dry). Cells whose terrain is not finite
/// (nodata) are never flooded and block the flood.
pub fn connected_flood(terrain: &Raster, seeds: &[Seed], connectivity: Connectivity) -> Result<Vec<f64>, FloodError> {
    let (nx, ny) = (terrain.nx, terrain.ny);
    let mut level = vec![f64::NEG_INFINITY; terrain.len()];
    let mut heap = BinaryHeap::with_capacity(seeds.len() * 4);
    for s in seeds {
        if s.column >= nx || s.row >= ny {
            return Err(FloodError::OutsideGrid {
                what: "a gauge",
                column: s.column,
                row: s.row,
                nx,
                ny,
            });
        }
        if !s.level.is_finite() {
            return Err(FloodError::Setting(format!("gauge level {} is not a number", s.level)));
        }
        let cell = terrain.index(s.column, s.row);
        if terrain.values[cell] < s.level && s.level > level[cell] {
            level[cell] = s.level;
            heap.push(Entry { level: s.level, cell });
        }
    }
    const EDGES: [(isize, isize); 4] = [(1, 0), (-1, 0), (0, 1), (0, -1)];
    const ALL: [(isize, isize); 8] = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)];
    let neighbours: &[(isize, isize)] = match connectivity {
        Connectivity::Four => &EDGES,
        Connectivity::Eight => &ALL,
    };
    while let Some(Entry { level: l, cell }) = heap.pop() {
        if l < level[cell] {
            continue; // Reached already by a higher level.
        }
        let (c, r) = ((cell % nx) as isize, (cell / nx) as isize);
        for (dc, dr) in neighbours {
            let (nc, nr) = (c + dc, r + dr);
            if nc < 0 || nr < 0 || nc >= nx as isize || nr >= ny as isize {
                continue;
            }
            let next = nr as usize * nx + nc as usize;
            let ground = terrain.values[next];
            if ground.is_finite() && ground < l && l > level[next] {
                level[next] = l;
                heap.push(Entry { level: l, cell: next });
            }
        }
    }
    Ok(level
        .iter()
        .zip(&terrain.values)
        .map(|(l, z)| if l.is_finite() { l - z } else { 0.0 })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_levee_keeps_low_ground_behind_it_dry() {
        // Row 0: river bed at 0, levee at 5, low field at 1, higher field at 3.
        let terrain = Raster::new(4, 1, 10.0, vec![0.0, 5.0, 1.0, 3.0]).unwrap();
        let seed = Seed {
            column: 0,
            row: 0,
            level: 4.0,
        };
        let depth = connected_flood(&terrain, &[seed], Connectivity::Four).unwrap();
        assert_eq!(depth, vec![4.0, 0.0, 0.0, 0.0]);
        // Overtopping the levee floods the field behind it to the same level.
        let depth = connected_flood(&terrain, &[Seed { level: 6.0, ..seed }], Connectivity::Four).unwrap();
        assert_eq!(depth, vec![6.0, 1.0, 5.0, 3.0]);
    }

    #[test]
    fn each_cell_takes_the_highest_level_that_reaches_it() {
        let terrain = Raster::new(5, 1, 1.0, vec![0.0; 5]).unwrap();
        let seeds = [
            Seed {
                column: 0,
                row: 0,
                level: 2.0,
            },
            Seed {
                column: 4,
                row: 0,
                level: 3.0,
            },
        ];
        let depth = connected_flood(&terrain, &seeds, Connectivity::Four).unwrap();
        assert_eq!(depth, vec![3.0; 5]);
    }

    #[test]
    fn diagonal_gaps_need_eight_connectivity() {
        // A wall of 9 m with a diagonal gap.
        let z = vec![0.0, 9.0, 9.0, 0.0];
        let terrain = Raster::new(2, 2, 1.0, z).unwrap();
        let seed = [Seed {
            column: 0,
            row: 0,
            level: 1.0,
        }];
        assert_eq!(connected_flood(&terrain, &seed, Connectivity::Four).unwrap()[3], 0.0);
        assert_eq!(connected_flood(&terrain, &seed, Connectivity::Eight).unwrap()[3], 1.0);
    }

    #[test]
    fn bad_gauges_are_errors() {
        let terrain = Raster::new(2, 2, 1.0, vec![0.0; 4]).unwrap();
        assert!(
            connected_flood(
                &terrain,
                &[Seed {
                    column: 5,
                    row: 0,
                    level: 1.0
                }],
                Connectivity::Four
            )
            .is_err()
        );
        assert!(
            connected_flood(
                &terrain,
                &[Seed {
                    column: 0,
                    row: 0,
                    level: f64::NAN
                }],
                Connectivity::Four
            )
            .is_err()
        );
    }
}
