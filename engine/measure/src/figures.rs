//! A measurement's figures, whatever its tool: the one function the
//! viewer's tools, the page and the exports share.

use sontinh_geo::Geodetic;
use sontinh_scene::MeasureTool;

use crate::{MeasureError, PolygonFigures, Polyline, ProfileSample, Reference, Surface, SurfaceArea, Volume};

/// A layer's heights, by name (a profile draws one line per layer).
pub struct NamedSurface<'a> {
    pub name: String,
    pub height: Surface<'a>,
}

/// What a volume is measured against.
pub enum VolumeReference<'a> {
    /// A level, m; `None`: the polygon's lowest vertex.
    Level(Option<f64>),
    /// Another surface, such as a flood's maximum water level.
    Surface(NamedSurface<'a>),
}

/// What a measurement's figures are computed from.
pub struct Inputs<'a> {
    pub tool: MeasureTool,
    pub points: &'a [Geodetic],
    /// The ground: the surface areas follow and volumes are measured on.
    pub ground: Option<Surface<'a>>,
    /// A profile's layers.
    pub layers: &'a [NamedSurface<'a>],
    pub reference: VolumeReference<'a>,
    /// The most cells a surface area or volume takes (its spacing follows).
    pub cell_budget: usize,
    /// About how many samples a profile takes (its spacing follows).
    pub profile_samples: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Figures {
    Point { at: Geodetic },
    Distance(Polyline),
    Height { difference_m: f64, horizontal_m: f64, slope_m: f64 },
    Angle { degrees: f64 },
    Area { polygon: PolygonFigures, surface: Option<SurfaceArea>, spacing_m: f64 },
    Profile { layers: Vec<String>, samples: Vec<ProfileSample>, spacing_m: f64 },
    Volume { volume: Volume, reference: String, level_m: Option<f64>, spacing_m: f64 },
}

impl Figures {
    /// The figures as named numbers (units in the names), for labels,
    /// GeoJSON properties and CSV columns.
    pub fn summary(&self) -> Vec<(&'static str, f64)> {
        match self {
            Figures::Point { at } => vec![("lon_deg", at.lon_deg), ("lat_deg", at.lat_deg), ("height_m", at.height_m)],
            Figures::Distance(line) => vec![
                ("horizontal_m", line.horizontal_m),
                ("slope_m", line.slope_m),
                ("height_difference_m", line.height_difference_m),
            ],
            Figures::Height { difference_m, horizontal_m, slope_m } => {
                vec![("height_difference_m", *difference_m), ("horizontal_m", *horizontal_m), ("slope_m", *slope_m)]
            }
            Figures::Angle { degrees } => vec![("angle_deg", *degrees)],
            Figures::Area { polygon, surface, .. } => {
                let mut out = vec![("horizontal_m2", polygon.horizontal_m2), ("perimeter_m", polygon.perimeter_m)];
                if let Some(s) = surface {
                    out.push(("surface_m2", s.surface_m2));
                }
                out
            }
            Figures::Profile { samples, .. } => {
                let length = samples.last().map_or(0.0, |s| s.distance_m);
                let heights = samples.iter().flat_map(|s| s.heights.iter().flatten().copied());
                let (lo, hi) = heights.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), h| (lo.min(h), hi.max(h)));
                let mut out = vec![("length_m", length), ("samples", samples.len() as f64)];
                if lo <= hi {
                    out.extend([("lowest_m", lo), ("highest_m", hi)]);
                }
                out
            }
            Figures::Volume { volume, level_m, .. } => {
                let mut out = vec![("cut_m3", volume.cut_m3), ("fill_m3", volume.fill_m3), ("horizontal_m2", volume.horizontal_m2)];
                if let Some(level) = level_m {
                    out.push(("level_m", *level));
                }
                out
            }
        }
    }
}

/// A grid spacing that covers `area_m2` in at most `cells` cells: 1, 2 or
/// 5 times a power of ten, so that figures say a round spacing.
pub fn spacing_for(area_m2: f64, cells: usize) -> f64 {
    let exact = (area_m2.max(0.0) / cells.max(1) as f64).sqrt().max(0.01);
    let decade = 10f64.powf(exact.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|k| k * decade).find(|s| *s >= exact).unwrap_or(10.0 * decade)
}

fn no_ground(_: Geodetic) -> Option<f64> {
    None
}

/// The figures of a measurement.
pub fn figures(inputs: &Inputs) -> Result<Figures, MeasureError> {
    let points = inputs.points;
    let ground: Surface = inputs.ground.unwrap_or(&no_ground);
    match inputs.tool {
        MeasureTool::Point => {
            crate::check_points("a point", points, 1)?;
            Ok(Figures::Point { at: points[0] })
        }
        MeasureTool::Distance => crate::polyline(points).map(Figures::Distance),
        MeasureTool::Height => {
            let line = crate::polyline(points.get(..2).unwrap_or(points))?;
            Ok(Figures::Height { difference_m: line.height_difference_m, horizontal_m: line.horizontal_m, slope_m: line.slope_m })
        }
        MeasureTool::Angle => {
            crate::check_points("an angle", points, 3)?;
            crate::angle_deg(points[0], points[1], points[2]).map(|degrees| Figures::Angle { degrees })
        }
        MeasureTool::Area => {
            let polygon = crate::polygon(points)?;
            let spacing_m = spacing_for(polygon.horizontal_m2, inputs.cell_budget);
            let surface = match inputs.ground {
                Some(g) => Some(crate::surface_area(points, g, spacing_m)?),
                None => None,
            };
            Ok(Figures::Area { polygon, surface, spacing_m })
        }
        MeasureTool::Profile => {
            let line = crate::polyline(points)?;
            let spacing_m = (line.horizontal_m / inputs.profile_samples.max(1) as f64).max(0.01);
            let surfaces: Vec<Surface> = inputs.layers.iter().map(|l| l.height).collect();
            let samples = crate::profile(points, spacing_m, &surfaces)?;
            Ok(Figures::Profile { layers: inputs.layers.iter().map(|l| l.name.clone()).collect(), samples, spacing_m })
        }
        MeasureTool::Volume => {
            let polygon = crate::polygon(points)?;
            let spacing_m = spacing_for(polygon.horizontal_m2, inputs.cell_budget);
            let (volume, reference, level_m) = match &inputs.reference {
                VolumeReference::Level(level) => {
                    let level = level.unwrap_or_else(|| points.iter().map(|p| p.height_m).fold(f64::INFINITY, f64::min));
                    (crate::volume(points, ground, &Reference::Plane(level), spacing_m)?, format!("{level:.3} m"), Some(level))
                }
                VolumeReference::Surface(other) => (crate::volume(points, ground, &Reference::Surface(other.height), spacing_m)?, other.name.clone(), None),
            };
            Ok(Figures::Volume { volume, reference, level_m, spacing_m })
        }
    }
}
