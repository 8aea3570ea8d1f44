//! Measurements on what the twin shows, for planners and curators: lengths
//! along polylines (on the WGS84 ellipsoid, and in 3D with heights), height
//! differences, angles, polygon areas (horizontal, and on the surface under
//! them), elevation profiles of any number of layers, and cut and fill
//! volumes against a plane or another surface.
//!
//! Positions are [`Geodetic`] (WGS84 degrees; heights in metres above the
//! scene's vertical datum). Horizontal lengths and areas are geodesic, by
//! Karney's algorithms (`geographiclib-rs`), as surveyors' software and
//! pyproj's `Geod` compute them. Surfaces are height functions, so a DEM,
//! a flood's water level or a mesh's heights measure alike; the work over a
//! surface is done on a grid in a local east-north-up frame, its size
//! bounded by [`MAX_CELLS`].

mod editor;
mod export;
mod figures;
mod grid;

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic, PolygonArea, Winding};
use sontinh_geo::{EnuFrame, Geodetic};

pub use editor::{EditRefused, Editor};
pub use export::{Exported, csv, geojson, profile_csv};
pub use figures::{Figures, Inputs, NamedSurface, VolumeReference, figures, spacing_for};
pub use grid::MAX_CELLS;
pub use sontinh_scene::MeasureTool;

/// Why a measurement cannot be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MeasureError {
    #[error("{what} needs at least {needed} points; {given} given")]
    TooFewPoints { what: &'static str, needed: usize, given: usize },
    #[error("point {index} ({lon}, {lat}, {height}) is not a position: longitude −180..180, latitude −90..90, all finite")]
    BadPoint { index: usize, lon: f64, lat: f64, height: f64 },
    #[error("the spacing must be a finite number of metres above 0; {0} given")]
    BadSpacing(f64),
    #[error("{what} would take {cells} cells at {spacing_m} m, more than {max}: give a larger spacing")]
    TooManyCells { what: &'static str, cells: u128, spacing_m: f64, max: usize },
    #[error("the polygon encloses no area")]
    EmptyPolygon,
}

/// A function giving the height of a surface at a position (`None`: no
/// surface there).
pub type Surface<'a> = &'a dyn Fn(Geodetic) -> Option<f64>;

pub(crate) fn check_points(what: &'static str, points: &[Geodetic], needed: usize) -> Result<(), MeasureError> {
    if points.len() < needed {
        return Err(MeasureError::TooFewPoints { what, needed, given: points.len() });
    }
    match points.iter().position(|p| !p.is_valid()) {
        Some(index) => {
            let p = points[index];
            Err(MeasureError::BadPoint { index, lon: p.lon_deg, lat: p.lat_deg, height: p.height_m })
        }
        None => Ok(()),
    }
}

fn check_spacing(spacing_m: f64) -> Result<(), MeasureError> {
    if spacing_m.is_finite() && spacing_m > 0.0 { Ok(()) } else { Err(MeasureError::BadSpacing(spacing_m)) }
}

/// One leg of a polyline.
#[derive(Clone, Debug, PartialEq)]
pub struct Leg {
    /// Along the ellipsoid, m.
    pub horizontal_m: f64,
    /// In 3D: the horizontal length and the height change together, m.
    pub slope_m: f64,
    pub height_change_m: f64,
    /// Forward azimuth at the leg's start, degrees clockwise from north (0..360).
    pub azimuth_deg: f64,
}

/// Lengths along a polyline.
#[derive(Clone, Debug, PartialEq)]
pub struct Polyline {
    pub horizontal_m: f64,
    pub slope_m: f64,
    /// Last point's height minus the first's, m.
    pub height_difference_m: f64,
    pub legs: Vec<Leg>,
}

/// The lengths of a polyline through `points` (at least two).
pub fn polyline(points: &[Geodetic]) -> Result<Polyline, MeasureError> {
    check_points("a distance", points, 2)?;
    let g = Geodesic::wgs84();
    let legs: Vec<Leg> = points
        .windows(2)
        .map(|w| {
            let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = g.inverse(w[0].lat_deg, w[0].lon_deg, w[1].lat_deg, w[1].lon_deg);
            let dz = w[1].height_m - w[0].height_m;
            Leg {
                horizontal_m: s12,
                slope_m: s12.hypot(dz),
                height_change_m: dz,
                azimuth_deg: azi1.rem_euclid(360.0),
            }
        })
        .collect();
    Ok(Polyline {
        horizontal_m: legs.iter().map(|l| l.horizontal_m).sum(),
        slope_m: legs.iter().map(|l| l.slope_m).sum(),
        height_difference_m: points[points.len() - 1].height_m - points[0].height_m,
        legs,
    })
}

/// The angle at `vertex` between the lines to `a` and to `b`, in 3D,
/// degrees (0..180).
pub fn angle_deg(a: Geodetic, vertex: Geodetic, b: Geodetic) -> Result<f64, MeasureError> {
    check_points("an angle", &[a, vertex, b], 3)?;
    let frame = EnuFrame::new(vertex);
    let (u, v) = (frame.geodetic_to_enu(a), frame.geodetic_to_enu(b));
    let dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    let norms = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt() * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if norms == 0.0 {
        return Err(MeasureError::TooFewPoints { what: "an angle (three distinct points)", needed: 3, given: 2 });
    }
    Ok((dot / norms).clamp(-1.0, 1.0).acos().to_degrees())
}

/// A polygon's horizontal figures.
#[derive(Clone, Debug, PartialEq)]
pub struct PolygonFigures {
    /// On the ellipsoid, m².
    pub horizontal_m2: f64,
    /// Along the ellipsoid, closing edge included, m.
    pub perimeter_m: f64,
}

/// The area and perimeter of the polygon through `points` (at least three;
/// closed implicitly; either winding), geodesic on WGS84.
pub fn polygon(points: &[Geodetic]) -> Result<PolygonFigures, MeasureError> {
    check_points("an area", points, 3)?;
    let g = Geodesic::wgs84();
    let mut area = PolygonArea::new(&g, Winding::CounterClockwise);
    for p in points {
        area.add_point(p.lat_deg, p.lon_deg);
    }
    let (perimeter_m, signed_m2, _) = area.compute(true);
    Ok(PolygonFigures {
        horizontal_m2: signed_m2.abs(),
        perimeter_m,
    })
}

/// The area of the surface under a polygon, m², and the horizontal area it
/// was measured over (cells whose centre is inside the polygon, `spacing_m`
/// apart), with the cells the surface did not cover.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceArea {
    pub surface_m2: f64,
    pub horizontal_m2: f64,
    pub cells: usize,
    pub cells_without_surface: usize,
}

/// The area of `surface` under the polygon through `points`.
pub fn surface_area(points: &[Geodetic], surface: Surface, spacing_m: f64) -> Result<SurfaceArea, MeasureError> {
    check_points("an area", points, 3)?;
    check_spacing(spacing_m)?;
    let grid = grid::Grid::inside("a surface area", points, spacing_m)?;
    let heights = grid.corner_heights(surface);
    let mut result = SurfaceArea { surface_m2: 0.0, horizontal_m2: 0.0, cells: 0, cells_without_surface: 0 };
    for (column, row) in grid.cells() {
        result.cells += 1;
        let Some([sw, se, nw, ne]) = grid.cell_corners(&heights, column, row) else {
            result.cells_without_surface += 1;
            continue;
        };
        result.horizontal_m2 += spacing_m * spacing_m;
        // Two triangles: south-west, south-east, north-east; and south-west, north-east, north-west.
        let s = spacing_m;
        result.surface_m2 += triangle_area([0.0, 0.0, sw], [s, 0.0, se], [s, s, ne]) + triangle_area([0.0, 0.0, sw], [s, s, ne], [0.0, s, nw]);
    }
    Ok(result)
}

fn triangle_area(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt()
}

/// One sample of a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSample {
    pub lon: f64,
    pub lat: f64,
    /// Along the line from its first point, on the ellipsoid, m.
    pub distance_m: f64,
    /// Each layer's height here, in the order the layers were given.
    pub heights: Vec<Option<f64>>,
}

/// The most samples one profile takes.
pub const MAX_PROFILE_SAMPLES: usize = 1_000_000;

/// An elevation profile along the polyline through `points`: a sample at
/// every vertex and every `spacing_m` along each geodesic leg between
/// them (evenly, at most `spacing_m` apart), with each layer's height.
pub fn profile(points: &[Geodetic], spacing_m: f64, layers: &[Surface]) -> Result<Vec<ProfileSample>, MeasureError> {
    check_points("a profile", points, 2)?;
    check_spacing(spacing_m)?;
    let g = Geodesic::wgs84();
    let line = polyline(points)?;
    let steps: Vec<u64> = line.legs.iter().map(|leg| (leg.horizontal_m / spacing_m).ceil().max(1.0) as u64).collect();
    let total: u128 = steps.iter().map(|&n| u128::from(n)).sum::<u128>() + 1;
    if total > MAX_PROFILE_SAMPLES as u128 {
        return Err(MeasureError::TooManyCells { what: "a profile", cells: total, spacing_m, max: MAX_PROFILE_SAMPLES });
    }
    let sample = |lon: f64, lat: f64, distance_m: f64| ProfileSample {
        lon,
        lat,
        distance_m,
        heights: layers.iter().map(|layer| layer(Geodetic::new(lon, lat, 0.0)).filter(|h| h.is_finite())).collect(),
    };
    let mut samples = Vec::with_capacity(total as usize);
    let mut along = 0.0;
    for ((leg, start), n) in line.legs.iter().zip(points).zip(&steps) {
        for k in 0..*n {
            let s = leg.horizontal_m * k as f64 / *n as f64;
            let (lat, lon, _azi): (f64, f64, f64) = g.direct(start.lat_deg, start.lon_deg, leg.azimuth_deg, s);
            samples.push(sample(lon, lat, along + s));
        }
        along += leg.horizontal_m;
    }
    let last = points[points.len() - 1];
    samples.push(sample(last.lon_deg, last.lat_deg, along));
    Ok(samples)
}

/// What lies between a surface and a reference over a polygon.
pub enum Reference<'a> {
    /// A level, m (a design level, a water level).
    Plane(f64),
    /// Another surface (a flood's maximum water level over the terrain).
    Surface(Surface<'a>),
}

/// Cut and fill over a polygon.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    /// Of the surface above the reference (to dig away), m³.
    pub cut_m3: f64,
    /// Of the reference above the surface (to fill; water over terrain), m³.
    pub fill_m3: f64,
    /// Measured over, m².
    pub horizontal_m2: f64,
    pub cells: usize,
    /// Cells where the surface or the reference had no height.
    pub cells_without_surface: usize,
}

/// The volumes between `surface` and `reference` over the polygon through
/// `points`, on cells `spacing_m` wide (each taken at its centre).
pub fn volume(points: &[Geodetic], surface: Surface, reference: &Reference, spacing_m: f64) -> Result<Volume, MeasureError> {
    check_points("a volume", points, 3)?;
    check_spacing(spacing_m)?;
    let grid = grid::Grid::inside("a volume", points, spacing_m)?;
    let cell_area = spacing_m * spacing_m;
    let mut result = Volume { cut_m3: 0.0, fill_m3: 0.0, horizontal_m2: 0.0, cells: 0, cells_without_surface: 0 };
    for (column, row) in grid.cells() {
        result.cells += 1;
        let at = grid.cell_centre(column, row);
        let level = match reference {
            Reference::Plane(level) => Some(*level),
            Reference::Surface(other) => other(at),
        };
        let (Some(z), Some(level)) = (surface(at).filter(|z| z.is_finite()), level.filter(|l| l.is_finite())) else {
            result.cells_without_surface += 1;
            continue;
        };
        result.horizontal_m2 += cell_area;
        let d = z - level;
        if d > 0.0 {
            result.cut_m3 += d * cell_area;
        } else {
            result.fill_m3 -= d * cell_area;
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod session_tests;
