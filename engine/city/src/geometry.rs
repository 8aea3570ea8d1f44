//! A city object's geometries: boundaries walked at the depth their type
//! fixes, every vertex index checked, semantic surfaces matched to their
//! polygons, polygons (with holes) cut into triangles.

use serde_json::Value;

/// The geometry types of CityJSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeometryKind {
    MultiPoint,
    MultiLineString,
    MultiSurface,
    CompositeSurface,
    Solid,
    MultiSolid,
    CompositeSolid,
    /// A placed copy of a geometry template.
    GeometryInstance,
}

impl GeometryKind {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "MultiPoint" => Self::MultiPoint,
            "MultiLineString" => Self::MultiLineString,
            "MultiSurface" => Self::MultiSurface,
            "CompositeSurface" => Self::CompositeSurface,
            "Solid" => Self::Solid,
            "MultiSolid" => Self::MultiSolid,
            "CompositeSolid" => Self::CompositeSolid,
            "GeometryInstance" => Self::GeometryInstance,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::MultiPoint => "MultiPoint",
            Self::MultiLineString => "MultiLineString",
            Self::MultiSurface => "MultiSurface",
            Self::CompositeSurface => "CompositeSurface",
            Self::Solid => "Solid",
            Self::MultiSolid => "MultiSolid",
            Self::CompositeSolid => "CompositeSolid",
            Self::GeometryInstance => "GeometryInstance",
        }
    }

    /// Array levels above the surfaces: 0 for surfaces, 1 for a solid's
    /// shells, 2 for the solids of a multi-solid. `None` for points and lines.
    fn levels_above_surfaces(self) -> Option<usize> {
        match self {
            Self::MultiSurface | Self::CompositeSurface => Some(0),
            Self::Solid => Some(1),
            Self::MultiSolid | Self::CompositeSolid => Some(2),
            Self::MultiPoint | Self::MultiLineString | Self::GeometryInstance => None,
        }
    }
}

/// What a surface is, from its semantic surface's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SurfaceClass {
    Roof,
    Wall,
    Ground,
    Closure,
    OuterCeiling,
    OuterFloor,
    Window,
    Door,
    /// Floor, Ceiling and InteriorWall surfaces.
    Interior,
    /// WaterSurface, WaterGroundSurface, WaterClosureSurface.
    Water,
    /// TrafficArea, AuxiliaryTrafficArea, TransportationMarking, TransportationHole.
    Traffic,
    /// A semantic type outside these (an extension's `+Type`, a misspelling).
    Other,
    /// No semantics given for the surface.
    Unclassified,
}

impl SurfaceClass {
    pub fn from_type(name: &str) -> Self {
        match name {
            "RoofSurface" => Self::Roof,
            "WallSurface" => Self::Wall,
            "GroundSurface" => Self::Ground,
            "ClosureSurface" => Self::Closure,
            "OuterCeilingSurface" => Self::OuterCeiling,
            "OuterFloorSurface" => Self::OuterFloor,
            "Window" => Self::Window,
            "Door" => Self::Door,
            "FloorSurface" | "CeilingSurface" | "InteriorWallSurface" => Self::Interior,
            "WaterSurface" | "WaterGroundSurface" | "WaterClosureSurface" => Self::Water,
            "TrafficArea" | "AuxiliaryTrafficArea" | "TransportationMarking" | "TransportationHole" => Self::Traffic,
            _ => Self::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Roof => "Roof",
            Self::Wall => "Wall",
            Self::Ground => "Ground",
            Self::Closure => "Closure",
            Self::OuterCeiling => "OuterCeiling",
            Self::OuterFloor => "OuterFloor",
            Self::Window => "Window",
            Self::Door => "Door",
            Self::Interior => "Interior",
            Self::Water => "Water",
            Self::Traffic => "Traffic",
            Self::Other => "Other",
            Self::Unclassified => "Unclassified",
        }
    }
}

/// One geometry of a city object. Indices point into
/// [`crate::CityModel::positions`].
#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    /// The geometry's type; for an instance, its template's type.
    pub kind: GeometryKind,
    /// `true` when placed from a geometry template.
    pub instanced: bool,
    /// The level of detail as written (`"1"`, `"2.2"`).
    pub lod: Option<String>,
    /// Triangles, counter-clockwise seen from the side the polygon's outer
    /// ring winds counter-clockwise around (outside, for well-formed solids).
    pub triangles: Vec<[u32; 3]>,
    /// For each triangle, its polygon (surface) in this geometry.
    pub triangle_polygon: Vec<u32>,
    /// For each polygon, its class.
    pub polygon_classes: Vec<SurfaceClass>,
    /// Polygons with no area (collinear or repeated vertices): no triangles.
    pub degenerate_polygons: usize,
    /// MultiPoint vertices.
    pub points: Vec<u32>,
    /// MultiLineString lines.
    pub lines: Vec<Vec<u32>>,
}

impl Geometry {
    /// The class of triangle `t`.
    pub fn triangle_class(&self, t: usize) -> SurfaceClass {
        self.triangle_polygon
            .get(t)
            .and_then(|&p| self.polygon_classes.get(p as usize))
            .copied()
            .unwrap_or(SurfaceClass::Unclassified)
    }
}

/// How a geometry's vertex indices become positions: checked against the
/// vertices they may name, then moved by `offset` (a template's placed copy).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Indexer {
    pub count: usize,
    pub offset: usize,
}

impl Indexer {
    pub(crate) fn index(&self, v: &Value) -> Result<u32, String> {
        let i = v
            .as_u64()
            .ok_or_else(|| format!("a vertex index is not a non-negative integer: {v}"))?;
        let i = usize::try_from(i).unwrap_or(usize::MAX);
        if i >= self.count {
            return Err(format!("vertex index {i} is out of range (there are {} vertices)", self.count));
        }
        u32::try_from(i + self.offset).map_err(|_| "more than 2³² vertices".to_owned())
    }
}

fn array<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| format!("{what} is not an array"))
}

/// The `lod` member: a string, or a number in CityJSON 1.0.
pub(crate) fn lod_of(g: &Value) -> Result<Option<String>, String> {
    match g.get("lod") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!("\"lod\" is neither a string nor a number: {other}")),
    }
}

/// The geometry type named by `g["type"]`.
pub(crate) fn kind_of(g: &Value) -> Result<GeometryKind, String> {
    let name = g.get("type").and_then(Value::as_str).ok_or("a geometry has no \"type\"")?;
    GeometryKind::from_name(name).ok_or_else(|| format!("unknown geometry type \"{name}\""))
}

/// Reads a (non-instance) geometry. `positions` holds every vertex that
/// indices may name after the indexer's offset.
pub(crate) fn read_geometry(
    g: &Value,
    indexer: Indexer,
    positions: &[[f64; 3]],
    earcut: &mut earcut::Earcut<f64>,
) -> Result<Geometry, String> {
    let kind = kind_of(g)?;
    let mut geometry = Geometry {
        kind,
        instanced: false,
        lod: lod_of(g)?,
        triangles: Vec::new(),
        triangle_polygon: Vec::new(),
        polygon_classes: Vec::new(),
        degenerate_polygons: 0,
        points: Vec::new(),
        lines: Vec::new(),
    };
    let boundaries = g.get("boundaries").ok_or("a geometry has no \"boundaries\"")?;
    let boundaries = array(boundaries, "\"boundaries\"")?;
    match kind {
        GeometryKind::GeometryInstance => return Err("a geometry template is itself an instance".to_owned()),
        GeometryKind::MultiPoint => {
            for v in boundaries {
                geometry.points.push(indexer.index(v)?);
            }
            return Ok(geometry);
        }
        GeometryKind::MultiLineString => {
            for line in boundaries {
                let line = array(line, "a line")?;
                geometry
                    .lines
                    .push(line.iter().map(|v| indexer.index(v)).collect::<Result<_, _>>()?);
            }
            return Ok(geometry);
        }
        _ => {}
    }
    let levels = kind.levels_above_surfaces().unwrap_or(0);
    // Semantic surfaces: their classes, then the values tree beside the boundaries.
    let semantics = g.get("semantics").filter(|s| !s.is_null());
    let mut classes = Vec::new();
    let mut values = None;
    if let Some(semantics) = semantics {
        for surface in array(semantics.get("surfaces").unwrap_or(&Value::Null), "\"semantics.surfaces\"")? {
            let name = surface
                .get("type")
                .and_then(Value::as_str)
                .ok_or("a semantic surface has no \"type\"")?;
            classes.push(SurfaceClass::from_type(name));
        }
        values = semantics.get("values").filter(|v| !v.is_null());
    }
    let mut polygons: Vec<(&Value, SurfaceClass)> = Vec::new();
    collect_surfaces(boundaries, levels, values, &classes, &mut polygons)?;
    let mut rings: Vec<Vec<u32>> = Vec::new();
    let mut out = Vec::new();
    for (polygon_index, (polygon, class)) in polygons.into_iter().enumerate() {
        rings.clear();
        for ring in array(polygon, "a surface")? {
            rings.push(array(ring, "a ring")?.iter().map(|v| indexer.index(v)).collect::<Result<_, _>>()?);
        }
        if rings.is_empty() {
            return Err("a surface has no ring".to_owned());
        }
        let polygon_index = u32::try_from(polygon_index).map_err(|_| "more than 2³² surfaces".to_owned())?;
        out.clear();
        if triangulate(positions, &rings, earcut, &mut out) {
            geometry.triangle_polygon.extend(std::iter::repeat_n(polygon_index, out.len()));
            geometry.triangles.extend_from_slice(&out);
        } else {
            geometry.degenerate_polygons += 1;
        }
        geometry.polygon_classes.push(class);
    }
    Ok(geometry)
}

/// Walks `levels` array levels down to the surfaces, with the semantic
/// values tree beside it (`values` has one level fewer than `boundaries`:
/// one entry per surface, or null).
fn collect_surfaces<'a>(
    boundaries: &'a [Value],
    levels: usize,
    values: Option<&Value>,
    classes: &[SurfaceClass],
    out: &mut Vec<(&'a Value, SurfaceClass)>,
) -> Result<(), String> {
    let values = match values {
        None | Some(Value::Null) => None,
        Some(v) => {
            let v = array(v, "\"semantics.values\"")?;
            if v.len() != boundaries.len() {
                return Err(format!(
                    "\"semantics.values\" has {} entries where the boundaries have {}",
                    v.len(),
                    boundaries.len()
                ));
            }
            Some(v)
        }
    };
    for (i, b) in boundaries.iter().enumerate() {
        let value = values.and_then(|v| v.get(i));
        if levels == 0 {
            let class = match value {
                None | Some(Value::Null) => SurfaceClass::Unclassified,
                Some(v) => {
                    let k = v.as_u64().ok_or_else(|| format!("a semantic value is not an index: {v}"))?;
                    *usize::try_from(k)
                        .ok()
                        .and_then(|k| classes.get(k))
                        .ok_or_else(|| format!("semantic value {k} is out of range (there are {} semantic surfaces)", classes.len()))?
                }
            };
            out.push((b, class));
        } else {
            collect_surfaces(array(b, "a shell or solid")?, levels - 1, value, classes, out)?;
        }
    }
    Ok(())
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalize(a: [f64; 3]) -> Option<[f64; 3]> {
    let len = dot(a, a).sqrt();
    (len > 0.0 && len.is_finite()).then(|| [a[0] / len, a[1] / len, a[2] / len])
}

/// A ring without repeated consecutive vertices or a closing repeat.
fn clean(ring: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(ring.len());
    for &v in ring {
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Newell's normal of a ring (twice its vector area), relative to `origin`
/// so that large projected coordinates lose no precision.
fn newell(positions: &[[f64; 3]], ring: &[u32], origin: [f64; 3]) -> [f64; 3] {
    let mut n = [0.0; 3];
    for (k, &a) in ring.iter().enumerate() {
        let b = ring[(k + 1) % ring.len()];
        let p = sub(positions[a as usize], origin);
        let q = sub(positions[b as usize], origin);
        n[0] += (p[1] - q[1]) * (p[2] + q[2]);
        n[1] += (p[2] - q[2]) * (p[0] + q[0]);
        n[2] += (p[0] - q[0]) * (p[1] + q[1]);
    }
    n
}

/// Cuts a polygon (outer ring, then holes) into triangles in `out`, wound
/// as its outer ring. `false` when it has no area. Indices are already
/// checked against `positions`.
pub(crate) fn triangulate(positions: &[[f64; 3]], rings: &[Vec<u32>], earcut: &mut earcut::Earcut<f64>, out: &mut Vec<[u32; 3]>) -> bool {
    let Some((outer, holes)) = rings.split_first() else {
        return false;
    };
    let outer = clean(outer);
    if outer.len() < 3 {
        return false;
    }
    let origin = positions[outer[0] as usize];
    // No area, to rounding: collinear vertices whose coordinates carry
    // errors of an ulp of their magnitude (1e-11 m at 1e5 m) give a vector
    // area up to about the ring's size times that error; a 64-fold margin.
    let magnitude = origin.iter().fold(1.0_f64, |m, c| m.max(c.abs()));
    let size = outer
        .iter()
        .map(|&i| {
            let d = sub(positions[i as usize], origin);
            dot(d, d)
        })
        .fold(0.0, f64::max)
        .sqrt();
    let twice_area = newell(positions, &outer, origin);
    if dot(twice_area, twice_area).sqrt() <= 64.0 * f64::EPSILON * magnitude * size {
        return false;
    }
    let Some(normal) = normalize(twice_area) else {
        return false;
    };
    let holes: Vec<Vec<u32>> = holes.iter().map(|h| clean(h)).filter(|h| h.len() >= 3).collect();
    if holes.is_empty() && outer.len() == 3 {
        out.push([outer[0], outer[1], outer[2]]);
        return true;
    }
    // A right-handed basis (u, v, normal): the outer ring, counter-clockwise
    // around the normal, is counter-clockwise in (u, v).
    let helper = if normal[0].abs() < 0.9 { [1.0, 0.0, 0.0] } else { [0.0, 1.0, 0.0] };
    let Some(u) = normalize(cross(normal, helper)) else {
        return false;
    };
    let v = cross(normal, u);
    let mut vertices: Vec<u32> = outer;
    let mut hole_starts: Vec<u32> = Vec::with_capacity(holes.len());
    for hole in &holes {
        hole_starts.push(u32::try_from(vertices.len()).unwrap_or(u32::MAX));
        vertices.extend_from_slice(hole);
    }
    let flat: Vec<[f64; 2]> = vertices
        .iter()
        .map(|&i| {
            let d = sub(positions[i as usize], origin);
            [dot(d, u), dot(d, v)]
        })
        .collect();
    let mut indices: Vec<u32> = Vec::new();
    earcut.earcut(flat.iter().copied(), &hole_starts, &mut indices);
    let before = out.len();
    for t in indices.chunks_exact(3) {
        let [a, b, c] = [t[0] as usize, t[1] as usize, t[2] as usize];
        let (Some(pa), Some(pb), Some(pc)) = (flat.get(a), flat.get(b), flat.get(c)) else {
            continue;
        };
        let area = (pb[0] - pa[0]) * (pc[1] - pa[1]) - (pb[1] - pa[1]) * (pc[0] - pa[0]);
        let (va, vb, vc) = (vertices[a], vertices[b], vertices[c]);
        out.push(if area >= 0.0 { [va, vb, vc] } else { [va, vc, vb] });
    }
    out.len() > before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(positions: &[[f64; 3]], t: [u32; 3]) -> [f64; 3] {
        let [a, b, c] = t.map(|i| positions[i as usize]);
        let n = cross(sub(b, a), sub(c, a));
        [n[0] / 2.0, n[1] / 2.0, n[2] / 2.0]
    }

    #[test]
    fn a_square_with_a_hole_keeps_its_area_and_winding() {
        // A vertical wall facing -y (outer ring counter-clockwise seen from -y),
        // far from the origin as projected coordinates are.
        let base = [2_680_000.0, 1_250_000.0, 400.0];
        let at = |x: f64, z: f64| [base[0] + x, base[1], base[2] + z];
        let positions = vec![
            at(0.0, 0.0),
            at(4.0, 0.0),
            at(4.0, 4.0),
            at(0.0, 4.0),
            at(1.0, 1.0),
            at(1.0, 3.0),
            at(3.0, 3.0),
            at(3.0, 1.0),
        ];
        let mut out = Vec::new();
        let mut earcut = earcut::Earcut::new();
        assert!(triangulate(
            &positions,
            &[vec![0, 1, 2, 3, 0], vec![4, 5, 6, 7]],
            &mut earcut,
            &mut out
        ));
        let mut total = [0.0; 3];
        for &t in &out {
            let a = area(&positions, t);
            assert!(a[1] < 0.0, "every triangle faces -y as the ring does: {a:?}");
            total = [total[0] + a[0], total[1] + a[1], total[2] + a[2]];
        }
        assert!((total[1] + 12.0).abs() < 1e-9, "16 m² less the 4 m² hole: {total:?}");
        assert!(total[0].abs() < 1e-9 && total[2].abs() < 1e-9);
    }

    #[test]
    fn degenerate_polygons_give_no_triangles() {
        let positions = vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]];
        let mut out = Vec::new();
        let mut earcut = earcut::Earcut::new();
        assert!(!triangulate(&positions, &[vec![0, 1, 2]], &mut earcut, &mut out));
        assert!(!triangulate(&positions, &[vec![0, 1, 1, 0]], &mut earcut, &mut out));
        assert!(!triangulate(&positions, &[], &mut earcut, &mut out));
        assert!(out.is_empty());
    }
}
