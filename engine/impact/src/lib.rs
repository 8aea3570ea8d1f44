//! What a flood reaches: the buildings and road segments of a scene's
//! vector and city layers, each one's deepest water and first arrival,
//! counted per administrative area (how many buildings of each commune).
//!
//! - [`read`]: a layer's features through the files a caller gives (disk,
//!   or what a page fetched), taken from the layer's CRS onto the flood's
//!   north-up UTM [`Grid`]: polygons are buildings, lines are roads cut
//!   into segments of at most [`ROAD_SEGMENT_M`], CityJSON buildings are
//!   their ground surfaces (or their triangles seen from above).
//! - [`ImpactSet`]: the cells under each feature and the area holding its
//!   centroid, found once (an R-tree of the areas' boxes); then
//!   [`ImpactSet::assess`] reads any depth raster cheaply.
//! - [`raise_obstacles`]: footprints raised in the grid before a run.
//! - [`output`]: `impact.csv`, `impact.geojson` (WGS 84) and the summary.
//!
//! A building is reached when a cell whose centre lies in its footprint
//! (the cell under its centroid, for a footprint that holds no centre) has
//! at least the minimum depth; a road segment when a cell under one of its
//! samples (every half cell) has. Lengths are in grid metres (UTM's scale,
//! within 0.04 % of true in the zone).

mod cells;
pub mod output;
pub mod read;

use geo::{BoundingRect, Centroid, Contains, Coord, Geometry, Length, Point};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

pub use cells::raise_obstacles;

/// Longest road segment reported, m: a street is reported by the stretches that flood.
pub const ROAD_SEGMENT_M: f64 = 100.0;

/// The flood's grid: north-up square cells, row 0 at the top (north).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub nx: usize,
    pub ny: usize,
    /// The north-west corner of the grid, grid CRS metres.
    pub origin_x: f64,
    pub origin_y: f64,
    pub cell: f64,
}

impl Grid {
    /// The centre of cell (`column`, `row`).
    pub fn centre(&self, column: usize, row: usize) -> (f64, f64) {
        (
            self.origin_x + (column as f64 + 0.5) * self.cell,
            self.origin_y - (row as f64 + 0.5) * self.cell,
        )
    }

    /// The index of the cell holding a point, if inside the grid.
    pub fn index_at(&self, x: f64, y: f64) -> Option<usize> {
        let c = ((x - self.origin_x) / self.cell).floor();
        let r = ((self.origin_y - y) / self.cell).floor();
        (c >= 0.0 && r >= 0.0 && (c as usize) < self.nx && (r as usize) < self.ny).then(|| r as usize * self.nx + c as usize)
    }

    /// Cells of the grid.
    pub fn cells(&self) -> usize {
        self.nx.saturating_mul(self.ny)
    }
}

/// What a feature is, for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeatureKind {
    Building,
    /// A stretch of road (a line's piece, or a city model's road surface).
    Road,
}

impl FeatureKind {
    pub fn id(self) -> &'static str {
        match self {
            FeatureKind::Building => "building",
            FeatureKind::Road => "road",
        }
    }
}

/// One building or road segment on the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// The scene layer it comes from.
    pub layer: String,
    /// Unique within its layer: the file's `id` attribute or the feature's
    /// number (from 1), a segment's number after a colon; a city object's id.
    pub id: String,
    /// From the layer's label attribute, or a `name` attribute.
    pub name: Option<String>,
    pub kind: FeatureKind,
    /// In grid metres: a (multi)polygon footprint, or a segment's line.
    pub geometry: Geometry<f64>,
}

/// Named polygons the counts are given per (communes).
#[derive(Clone, Debug)]
pub struct Areas {
    pub layer: String,
    pub names: Vec<String>,
    polygons: Vec<Geometry<f64>>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl Areas {
    /// Areas from named polygons in grid metres (other geometries are refused by [`read::areas`]).
    pub fn new(layer: &str, named: Vec<(String, Geometry<f64>)>) -> Areas {
        let mut boxes = Vec::with_capacity(named.len());
        let mut names = Vec::with_capacity(named.len());
        let mut polygons = Vec::with_capacity(named.len());
        for (i, (name, polygon)) in named.into_iter().enumerate() {
            if let Some(b) = polygon.bounding_rect() {
                boxes.push(GeomWithData::new(
                    Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                    i,
                ));
            }
            names.push(name);
            polygons.push(polygon);
        }
        Areas {
            layer: layer.to_owned(),
            names,
            polygons,
            tree: RTree::bulk_load(boxes),
        }
    }

    /// The first area (in the layer's order) holding a point.
    pub fn area_of(&self, p: Point<f64>) -> Option<usize> {
        self.tree
            .locate_all_at_point(&[p.x(), p.y()])
            .map(|g| g.data)
            .filter(|&i| self.polygons.get(i).is_some_and(|poly| poly.contains(&p)))
            .min()
    }
}

/// A feature's place on the grid, found once.
#[derive(Clone, Debug, PartialEq)]
struct Placed {
    /// Cell indices under it (empty: outside the grid).
    cells: Vec<u32>,
    area: Option<usize>,
    /// A segment's length, m (0 for buildings).
    length_m: f64,
}

/// Features on a grid with their cells and areas, ready to be assessed
/// against any number of depth rasters.
#[derive(Clone, Debug)]
pub struct ImpactSet {
    pub grid: Grid,
    pub features: Vec<Feature>,
    pub areas: Option<Areas>,
    placed: Vec<Placed>,
}

/// How deep water reached one feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Reached {
    /// Index into [`ImpactSet::features`].
    pub feature: usize,
    /// Deepest water over its cells, m.
    pub max_depth_m: f64,
    /// First arrival among its cells at least the minimum depth deep, hours.
    pub arrival_h: Option<f64>,
    /// Index into the areas' names.
    pub area: Option<usize>,
    pub length_m: f64,
}

/// Counts in one area (or outside every area).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AreaCount {
    pub buildings: usize,
    pub buildings_reached: usize,
    pub road_segments: usize,
    pub road_segments_reached: usize,
    pub road_length_reached_m: f64,
}

/// The features a depth raster reaches, and the counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    pub min_depth_m: f64,
    /// Deepest first.
    pub reached: Vec<Reached>,
    /// Every feature on the grid, all areas together.
    pub total: AreaCount,
    /// Per area, in the areas' order; empty without areas.
    pub by_area: Vec<AreaCount>,
    /// Features in no area (all of them without areas).
    pub outside_areas: AreaCount,
    /// Features with no cell on the grid (not checked).
    pub off_grid: usize,
}

impl ImpactSet {
    /// Places `features` on `grid`: the cells under each and the area of its centroid.
    pub fn new(grid: Grid, features: Vec<Feature>, areas: Option<Areas>) -> ImpactSet {
        let placed = features
            .iter()
            .map(|f| {
                let (cells, length_m) = match &f.geometry {
                    Geometry::LineString(line) => (cells::line_cells(&grid, line), geo::Euclidean.length(line)),
                    other => (cells::footprint_cells(&grid, other), 0.0),
                };
                let area = areas.as_ref().and_then(|a| f.geometry.centroid().and_then(|c| a.area_of(c)));
                Placed { cells, area, length_m }
            })
            .collect();
        ImpactSet {
            grid,
            features,
            areas,
            placed,
        }
    }

    /// The features that `max_depth` (m per cell) reaches at `min_depth_m`
    /// or more, with the earliest `arrival_h` (hours per cell, non-finite
    /// where dry; `None` for a static map) among their reached cells.
    pub fn assess(&self, max_depth: &[f64], arrival_h: Option<&[f64]>, min_depth_m: f64) -> Result<Assessment, String> {
        let cells = self.grid.cells();
        if max_depth.len() != cells || arrival_h.is_some_and(|a| a.len() != cells) {
            return Err(format!(
                "the depths do not match the impact grid of {} × {} cells",
                self.grid.nx, self.grid.ny
            ));
        }
        let areas = self.areas.as_ref().map_or(0, |a| a.names.len());
        let mut out = Assessment {
            min_depth_m,
            reached: Vec::new(),
            total: AreaCount::default(),
            by_area: vec![AreaCount::default(); areas],
            outside_areas: AreaCount::default(),
            off_grid: 0,
        };
        for (i, (feature, placed)) in self.features.iter().zip(&self.placed).enumerate() {
            if placed.cells.is_empty() {
                out.off_grid += 1;
                continue;
            }
            let mut depth = 0.0f64;
            let mut arrival: Option<f64> = None;
            for &c in &placed.cells {
                let d = max_depth[c as usize];
                depth = depth.max(d);
                if d >= min_depth_m
                    && let Some(t) = arrival_h.map(|a| a[c as usize]).filter(|t| t.is_finite())
                {
                    arrival = Some(arrival.map_or(t, |a| a.min(t)));
                }
            }
            let reached = depth >= min_depth_m;
            let count = |c: &mut AreaCount| match feature.kind {
                FeatureKind::Building => {
                    c.buildings += 1;
                    c.buildings_reached += usize::from(reached);
                }
                FeatureKind::Road => {
                    c.road_segments += 1;
                    if reached {
                        c.road_segments_reached += 1;
                        c.road_length_reached_m += placed.length_m;
                    }
                }
            };
            count(&mut out.total);
            match placed.area.and_then(|a| out.by_area.get_mut(a)) {
                Some(area) => count(area),
                None => count(&mut out.outside_areas),
            }
            if reached {
                out.reached.push(Reached {
                    feature: i,
                    max_depth_m: depth,
                    arrival_h: arrival,
                    area: placed.area,
                    length_m: placed.length_m,
                });
            }
        }
        out.reached.sort_by(|a, b| b.max_depth_m.total_cmp(&a.max_depth_m));
        Ok(out)
    }

    /// The name of area `i`.
    pub fn area_name(&self, i: Option<usize>) -> Option<&str> {
        self.areas.as_ref().and_then(|a| a.names.get(i?)).map(String::as_str)
    }
}

/// A point of a footprint to report a feature at: its centroid, else its first vertex.
pub fn anchor(geometry: &Geometry<f64>) -> Option<Coord<f64>> {
    geometry.centroid().map(|p| p.0).or_else(|| {
        let mut first = None;
        sontinh_vector::for_each_coord(geometry, &mut |c: Coord<f64>| {
            first.get_or_insert(c);
        });
        first
    })
}

#[cfg(test)]
mod tests;
