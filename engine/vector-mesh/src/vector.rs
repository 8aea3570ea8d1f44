//! A vector layer's features (points, lines, polygons with holes, their
//! multi-forms and collections) made into chunks.

use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};
use sontinh_scene::{Elevation, VectorStyle};
use sontinh_vector::geo_types::{Coord, Geometry, LineString, Polygon};
use sontinh_vector::{Value, VectorData};

use crate::geometry::{densify, subdivide, triangulate};
use crate::style::{AttributeValue, color_attribute, feature_color, passes, to_linear};
use crate::{Built, ChunkGrid, FeatureInfo, Ground, plane_to_geodetic, renumber_features};

/// A point's pin rises this far over the ground, m.
pub const POINT_PIN_M: f64 = 15.0;

/// Drawn outlines and lines follow the ground in steps of the layer's
/// extent over this, and fills in steps of the extent over [`FILL_STEPS`]
/// (bounded below by the metres given).
const LINE_STEPS: f64 = 1500.0;
const FILL_STEPS: f64 = 200.0;
const MIN_LINE_STEP_M: f64 = 5.0;
const MIN_FILL_STEP_M: f64 = 20.0;

/// A feature's shape in the ENU plane.
#[derive(Default)]
struct PlaneShape {
    points: Vec<[f64; 2]>,
    lines: Vec<Vec<[f64; 2]>>,
    /// Rings, outer first.
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

impl PlaneShape {
    fn coords(&self) -> impl Iterator<Item = &[f64; 2]> {
        self.points
            .iter()
            .chain(self.lines.iter().flatten())
            .chain(self.polygons.iter().flatten().flatten())
    }
}

fn text_of(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::new(String::new(), None),
        Value::Bool(b) => AttributeValue::new(b.to_string(), None),
        Value::Int(i) => AttributeValue::new(i.to_string(), Some(*i as f64)),
        Value::Float(f) => AttributeValue::new(f.to_string(), Some(*f)),
        Value::Text(t) => AttributeValue::new(t.clone(), None),
    }
}

/// Positions of the layer's CRS into the ENU plane.
struct ToPlane<'a> {
    to_wgs84: Option<Transformer>,
    frame: &'a EnuFrame,
}

impl ToPlane<'_> {
    fn plane(&self, c: Coord<f64>) -> Result<[f64; 2], String> {
        let g = match &self.to_wgs84 {
            Some(t) => t.to_geodetic([c.x, c.y, 0.0]).map_err(|e| e.to_string())?,
            None => Geodetic::new(c.x, c.y, 0.0),
        };
        if !(g.lat_deg.abs() <= 90.0 && g.lon_deg.is_finite()) {
            return Err(format!("({}, {}) is not a position on the Earth in the layer's CRS", c.x, c.y));
        }
        let p = self.frame.geodetic_to_enu(g);
        Ok([p[0], p[1]])
    }

    fn line(&self, l: &LineString<f64>) -> Result<Vec<[f64; 2]>, String> {
        l.0.iter().map(|&c| self.plane(c)).collect()
    }

    fn polygon(&self, p: &Polygon<f64>) -> Result<Vec<Vec<[f64; 2]>>, String> {
        std::iter::once(p.exterior()).chain(p.interiors()).map(|r| self.line(r)).collect()
    }

    fn add(&self, g: &Geometry<f64>, out: &mut PlaneShape, depth: usize) -> Result<(), String> {
        match g {
            Geometry::Point(p) => out.points.push(self.plane(p.0)?),
            Geometry::MultiPoint(m) => {
                for p in &m.0 {
                    out.points.push(self.plane(p.0)?);
                }
            }
            Geometry::Line(l) => out.lines.push(vec![self.plane(l.start)?, self.plane(l.end)?]),
            Geometry::LineString(l) => out.lines.push(self.line(l)?),
            Geometry::MultiLineString(m) => {
                for l in &m.0 {
                    out.lines.push(self.line(l)?);
                }
            }
            Geometry::Polygon(p) => out.polygons.push(self.polygon(p)?),
            Geometry::MultiPolygon(m) => {
                for p in &m.0 {
                    out.polygons.push(self.polygon(p)?);
                }
            }
            Geometry::Rect(r) => out.polygons.push(self.polygon(&r.to_polygon())?),
            Geometry::Triangle(t) => out.polygons.push(self.polygon(&t.to_polygon())?),
            Geometry::GeometryCollection(c) => {
                // Collections of collections are legal but never deep in real data.
                if depth > 16 {
                    return Err("geometry collections nest more than 16 deep".into());
                }
                for g in &c.0 {
                    self.add(g, out, depth + 1)?;
                }
            }
        }
        Ok(())
    }
}

/// Where a plane position is, at a height above the ground (or the ellipsoid).
struct Lift<'a> {
    frame: &'a EnuFrame,
    ground: &'a dyn Ground,
}

impl Lift<'_> {
    fn ground_height(&self, g: Geodetic) -> f64 {
        self.ground.height(g.lon_deg, g.lat_deg).filter(|h| h.is_finite()).unwrap_or(0.0)
    }

    /// `offset` metres over the ground, or at `offset` over the ellipsoid.
    fn at(&self, p: [f64; 2], offset: f64, on_ground: bool) -> [f64; 3] {
        let mut g = plane_to_geodetic(self.frame, p[0], p[1]);
        g.height_m = if on_ground { self.ground_height(g) + offset } else { offset };
        self.frame.geodetic_to_enu(g)
    }
}

/// Makes a vector layer drawable. `layer_crs` overrides the file's CRS;
/// `progress` goes from 0 to 1.
pub fn build_vector(
    data: &VectorData,
    layer_crs: Option<Crs>,
    style: &VectorStyle,
    frame: &EnuFrame,
    ground: &dyn Ground,
    progress: &mut dyn FnMut(f32),
) -> Result<Built, String> {
    let crs = match (layer_crs, data.crs) {
        (Some(crs), _) | (None, Some(crs)) => crs,
        (None, None) => {
            return Err(match &data.crs_definition {
                Some(def) => format!("the file's CRS is not one the twin knows ({def}); give the layer a crs"),
                None => "the file declares no CRS; give the layer a crs".to_owned(),
            });
        }
    };
    let to_plane = ToPlane {
        to_wgs84: (crs != Crs::Wgs84)
            .then(|| Transformer::new(crs, Crs::Wgs84))
            .transpose()
            .map_err(|e| e.to_string())?,
        frame,
    };
    let lift = Lift { frame, ground };

    // First every kept feature in the plane, to size the chunk grid.
    let mut kept = Vec::new();
    let mut built = Built::default();
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    let colour_attribute = color_attribute(style);
    for (index, feature) in data.features.iter().enumerate() {
        let value_of = |name: &str| feature.property(name).map(text_of);
        if let Some(filter) = &style.filter
            && !passes(filter, value_of(&filter.attribute).as_ref())
        {
            built.filtered_out += 1;
            continue;
        }
        let mut shape = PlaneShape::default();
        to_plane
            .add(&feature.geometry, &mut shape, 0)
            .map_err(|e| format!("feature {index}: {e}"))?;
        for p in shape.coords() {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let color = feature_color(style, colour_attribute.and_then(value_of).as_ref());
        kept.push((index, shape, color));
    }
    if kept.is_empty() {
        return Ok(built);
    }
    let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]);
    let line_step = (extent / LINE_STEPS).max(MIN_LINE_STEP_M);
    let fill_step = (extent / FILL_STEPS).max(MIN_FILL_STEP_M);
    let mut grid = ChunkGrid::new(lo, hi);
    let mut earcut = earcut::Earcut::new();
    let total = kept.len();
    for (n, (index, shape, color)) in kept.into_iter().enumerate() {
        if n % 1024 == 0 {
            progress(n as f32 / total as f32);
        }
        let feature = &data.features[index];
        let number = |name: &str| feature.property(name).map(text_of).and_then(|v| v.number);
        let feature_id = built.features.len() as u32;
        let mut fmin = [f64::INFINITY; 3];
        let mut fmax = [f64::NEG_INFINITY; 3];
        let mut grow = |p: [f64; 3]| {
            for k in 0..3 {
                fmin[k] = fmin[k].min(p[k]);
                fmax[k] = fmax[k].max(p[k]);
            }
        };
        let centre2 = centre_of(&shape);
        let chunk = grid.chunk_at(lift.at(centre2, 0.0, true));
        let line_color = to_linear(color);
        let mut fill_color = line_color;
        fill_color[3] *= style.fill_opacity;
        // Height of vertices: over the ground by `offset`, or over the ellipsoid.
        let (offset, on_ground) = match &style.elevation {
            sontinh_scene::Elevation::Attribute {
                attribute,
                above_ellipsoid,
            } => match number(attribute) {
                Some(v) => (v, !above_ellipsoid),
                None => (0.0, true),
            },
            _ => (0.0, true),
        };
        let extrusion = match &style.elevation {
            Elevation::Extruded { attribute, default_m } => {
                Some(attribute.as_deref().and_then(number).filter(|h| *h >= 0.0).unwrap_or(*default_m))
            }
            _ => None,
        };
        let mut anchor = lift.at(centre2, offset, on_ground);
        let mut drawn = false;
        for p in &shape.points {
            let base = lift.at(*p, offset, on_ground);
            let top = lift.at(*p, offset + POINT_PIN_M, on_ground);
            grid.polyline(chunk, &[base, top], line_color, feature_id)?;
            grow(base);
            grow(top);
            anchor = top;
            drawn = true;
        }
        for line in &shape.lines {
            let points: Vec<[f64; 3]> = densify(line, line_step)
                .into_iter()
                .map(|p| lift.at(p, offset, on_ground))
                .collect();
            points.iter().for_each(|&p| grow(p));
            drawn |= points.len() >= 2;
            grid.polyline(chunk, &points, line_color, feature_id)?;
        }
        for rings in &shape.polygons {
            let triangles = triangulate(rings, &mut earcut);
            if let Some(height) = extrusion {
                drawn |= extrude(
                    &mut grid,
                    &lift,
                    chunk,
                    rings,
                    &triangles,
                    height,
                    line_color,
                    feature_id,
                    &mut grow,
                    &mut anchor,
                )?;
                continue;
            }
            for ring in rings {
                let mut closed = ring.clone();
                if closed.first() != closed.last()
                    && let Some(&first) = closed.first()
                {
                    closed.push(first);
                }
                let points: Vec<[f64; 3]> = densify(&closed, line_step)
                    .into_iter()
                    .map(|p| lift.at(p, offset, on_ground))
                    .collect();
                points.iter().for_each(|&p| grow(p));
                grid.polyline(chunk, &points, line_color, feature_id)?;
            }
            if style.fill_opacity > 0.0 {
                for t in subdivide(triangles, fill_step, 12) {
                    let t3 = t.map(|p| lift.at(p, offset, on_ground));
                    grid.fill(chunk, t3, fill_color, feature_id)?;
                    drawn = true;
                }
            } else {
                drawn = true;
            }
        }
        if !drawn {
            built.empty += 1;
        }
        let label = style.label.as_ref().and_then(|l| crate::style::label(l, |name| feature.property(name).map(text_of)));
        built.features.push(FeatureInfo {
            id: index.to_string(),
            kind: sontinh_vector::geometry_type_name(&feature.geometry).to_owned(),
            attributes: feature.properties.iter().map(|(k, v)| (k.clone(), text_of(v).text)).collect(),
            label,
            anchor,
            min: fmin,
            max: fmax,
            chunk,
        });
    }
    let (chunks, renumber) = grid.finish();
    renumber_features(&mut built.features, &renumber);
    built.chunks = chunks;
    progress(1.0);
    Ok(built)
}

/// A prism over a footprint: walls from the lowest ground under it, a flat
/// roof `height` above that. True when it drew something.
#[allow(clippy::too_many_arguments)]
fn extrude(
    grid: &mut ChunkGrid,
    lift: &Lift<'_>,
    chunk: u32,
    rings: &[Vec<[f64; 2]>],
    roof: &[[[f64; 2]; 3]],
    height: f64,
    color: [f32; 4],
    feature: u32,
    grow: &mut dyn FnMut([f64; 3]),
    anchor: &mut [f64; 3],
) -> Result<bool, String> {
    if roof.is_empty() {
        return Ok(false);
    }
    let base = rings
        .iter()
        .flatten()
        .map(|p| lift.ground_height(plane_to_geodetic(lift.frame, p[0], p[1])))
        .fold(f64::INFINITY, f64::min);
    let at = |p: [f64; 2], h: f64| {
        let mut g = plane_to_geodetic(lift.frame, p[0], p[1]);
        g.height_m = h;
        lift.frame.geodetic_to_enu(g)
    };
    let top = base + height;
    for t in roof {
        grid.solid(chunk, t.map(|p| at(p, top)), color, feature)?;
    }
    // Walls face out: outer rings run counter-clockwise, holes clockwise.
    for (i, ring) in rings.iter().enumerate() {
        let mut ring = crate::geometry::open_ring(ring);
        let ccw = crate::geometry::signed_area2(&ring) > 0.0;
        if ccw != (i == 0) {
            ring.reverse();
        }
        for (k, &a) in ring.iter().enumerate() {
            let b = ring[(k + 1) % ring.len()];
            let (a0, b0, a1, b1) = (at(a, base), at(b, base), at(a, top), at(b, top));
            grid.solid(chunk, [a0, b0, b1], color, feature)?;
            grid.solid(chunk, [a0, b1, a1], color, feature)?;
            grow(a0);
            grow(a1);
        }
    }
    let c = roof[0];
    *anchor = at([(c[0][0] + c[1][0] + c[2][0]) / 3.0, (c[0][1] + c[1][1] + c[2][1]) / 3.0], top);
    if let Some(first) = rings.first() {
        let centre = ring_centroid(first);
        *anchor = at(centre, top);
    }
    Ok(true)
}

/// The centroid of a ring's area (its vertices' mean when it has none).
fn ring_centroid(ring: &[[f64; 2]]) -> [f64; 2] {
    let ring = crate::geometry::open_ring(ring);
    let Some(&o) = ring.first() else { return [0.0; 2] };
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for (i, p) in ring.iter().enumerate() {
        let q = ring[(i + 1) % ring.len()];
        let (px, py, qx, qy) = (p[0] - o[0], p[1] - o[1], q[0] - o[0], q[1] - o[1]);
        let cross = px * qy - qx * py;
        a += cross;
        cx += (px + qx) * cross;
        cy += (py + qy) * cross;
    }
    if a.abs() <= f64::EPSILON {
        let n = ring.len() as f64;
        return [
            ring.iter().map(|p| p[0]).sum::<f64>() / n,
            ring.iter().map(|p| p[1]).sum::<f64>() / n,
        ];
    }
    [o[0] + cx / (3.0 * a), o[1] + cy / (3.0 * a)]
}

/// Where a feature's label and chunk go: its largest polygon's centroid,
/// its longest line's middle vertex, or its first point.
fn centre_of(shape: &PlaneShape) -> [f64; 2] {
    let largest = shape.polygons.iter().filter_map(|rings| rings.first()).max_by(|a, b| {
        crate::geometry::signed_area2(a)
            .abs()
            .total_cmp(&crate::geometry::signed_area2(b).abs())
    });
    if let Some(ring) = largest {
        return ring_centroid(ring);
    }
    if let Some(line) = shape.lines.iter().max_by_key(|l| l.len())
        && let Some(p) = line.get(line.len() / 2)
    {
        return *p;
    }
    shape.points.first().copied().unwrap_or([0.0; 2])
}
