//! 3D city models in CityJSON (the JSON encoding of CityGML's data model,
//! an OGC community standard), versions 1.0, 1.1 and 2.0, and CityJSONSeq
//! (`.city.jsonl`: a header line, then one `CityJSONFeature` a line).
//!
//! A file becomes a [`CityModel`]: its reference system ([`CityCrs`]; a
//! compound system such as EPSG:7415 is placed by its horizontal part),
//! every vertex in the file's CRS units (the `transform` applied to the
//! integer vertices), and its city objects with their type, attributes,
//! parents and children, and geometries cut into triangles, each triangle
//! knowing its surface and the surface its semantic class (roof, wall,
//! ground…). Geometry templates are placed as the instances say.
//!
//! Every vertex index is checked against the vertices it may name, every
//! boundary is walked at the depth its geometry type fixes, semantic values
//! are checked against the semantic surfaces, and the transform must be
//! finite with positive scales: bad input is an error naming the file and
//! the city object, never a panic. Nothing is reserved from a count the
//! file gives; placed template copies are capped ([`MAX_INSTANCE_VERTICES`]).
//!
//! [`CityModel::positions_in`] places the vertices in a scene's ENU frame
//! through WGS 84, f64 throughout. Heights pass through the CRS change
//! unchanged, as everywhere in the twin (`sontinh_geo`): NAP or LN02
//! heights are taken as heights above the ellipsoid.

mod crs;
mod geometry;
mod info;

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};
use sontinh_geo::{Crs, EnuFrame, Transformer};

pub use crs::{CityCrs, parse_reference_system};
pub use geometry::{Geometry, GeometryKind, SurfaceClass};
pub use info::{Bounds3, CityInfo};

use geometry::Indexer;

/// The most vertices geometry-template instances may add to a model (each
/// instance copies its template's vertices): 16 million, 384 MB.
pub const MAX_INSTANCE_VERTICES: usize = 16_000_000;

#[derive(Debug, thiserror::Error)]
pub enum CityError {
    #[error("{file}: cannot read: {reason}")]
    Io { file: String, reason: String },
    #[error("{file}: not CityJSON: {reason}")]
    Format { file: String, reason: String },
    #[error("{file}: bad \"transform\": {reason}")]
    Transform { file: String, reason: String },
    #[error("{file}: unknown reference system \"{reference}\": {reason}")]
    UnknownCrs { file: String, reference: String, reason: String },
    #[error("{file}: city object \"{object}\": {reason}")]
    Object { file: String, object: String, reason: String },
    #[error("{file}: cannot place the model: {reason}")]
    Placement { file: String, reason: String },
}

/// One city object.
#[derive(Clone, Debug, PartialEq)]
pub struct CityObject {
    pub id: String,
    /// The type as written: `Building`, `BuildingPart`, `Road`, `+Extension`…
    pub kind: String,
    pub attributes: Map<String, Value>,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    pub geometries: Vec<Geometry>,
}

impl CityObject {
    /// The number of triangles of all its geometries.
    pub fn triangle_count(&self) -> usize {
        self.geometries.iter().map(|g| g.triangles.len()).sum()
    }
}

/// A city model read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct CityModel {
    /// The file, as errors name it.
    pub file: String,
    /// `"1.1"`, `"2.0"`…
    pub version: String,
    /// `true` for CityJSONSeq.
    pub sequence: bool,
    pub crs: Option<CityCrs>,
    /// `metadata.geographicalExtent`: min x, y, z, max x, y, z.
    pub geographical_extent: Option<[f64; 6]>,
    /// The file's vertices (the first [`Self::file_vertex_count`] of
    /// `positions`), then the vertices of placed template copies, in the
    /// file's CRS units.
    pub positions: Vec<[f64; 3]>,
    pub file_vertex_count: usize,
    /// In the file's order.
    pub objects: Vec<CityObject>,
}

/// What templates need: their geometries and vertices (real coordinates).
struct Templates<'a> {
    geometries: &'a [Value],
    vertices: Vec<[f64; 3]>,
}

/// The model under construction.
struct Builder<'a> {
    file: &'a str,
    positions: Vec<[f64; 3]>,
    objects: Vec<CityObject>,
    earcut: earcut::Earcut<f64>,
    instance_vertices: usize,
}

/// Scale and translation of the integer vertices.
#[derive(Clone, Copy, Debug)]
struct Transform {
    scale: [f64; 3],
    translate: [f64; 3],
}

fn format_error(file: &str, reason: impl Into<String>) -> CityError {
    CityError::Format {
        file: file.to_owned(),
        reason: reason.into(),
    }
}

fn three(v: &Value) -> Option<[f64; 3]> {
    match v.as_array()?.as_slice() {
        [x, y, z] => Some([x.as_f64()?, y.as_f64()?, z.as_f64()?]),
        _ => None,
    }
}

fn read_transform(file: &str, doc: &Value) -> Result<Option<Transform>, CityError> {
    let Some(t) = doc.get("transform") else {
        return Ok(None);
    };
    let error = |reason: &str| CityError::Transform {
        file: file.to_owned(),
        reason: reason.to_owned(),
    };
    let scale = t
        .get("scale")
        .and_then(three)
        .ok_or_else(|| error("\"scale\" is not three numbers"))?;
    let translate = t
        .get("translate")
        .and_then(three)
        .ok_or_else(|| error("\"translate\" is not three numbers"))?;
    if scale.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(error(&format!("the scale {scale:?} must be finite and positive")));
    }
    if translate.iter().any(|t| !t.is_finite()) {
        return Err(error(&format!("the translation {translate:?} is not finite")));
    }
    Ok(Some(Transform { scale, translate }))
}

/// The real positions of a `vertices` array.
fn read_vertices(file: &str, vertices: Option<&Value>, transform: Option<Transform>) -> Result<Vec<[f64; 3]>, CityError> {
    let Some(vertices) = vertices else {
        return Ok(Vec::new());
    };
    let vertices = vertices
        .as_array()
        .ok_or_else(|| format_error(file, "\"vertices\" is not an array"))?;
    let mut out = Vec::with_capacity(vertices.len());
    for (i, v) in vertices.iter().enumerate() {
        let p = three(v).ok_or_else(|| format_error(file, format!("vertex {i} is not three numbers: {v}")))?;
        let p = match transform {
            Some(t) => [0, 1, 2].map(|k| p[k] * t.scale[k] + t.translate[k]),
            None => p,
        };
        if p.iter().any(|c| !c.is_finite()) {
            return Err(format_error(file, format!("vertex {i} is not finite")));
        }
        out.push(p);
    }
    Ok(out)
}

fn read_crs(file: &str, metadata: Option<&Value>) -> Result<Option<CityCrs>, CityError> {
    let Some(reference) = metadata.and_then(|m| m.get("referenceSystem")).filter(|r| !r.is_null()) else {
        return Ok(None);
    };
    let text = reference
        .as_str()
        .ok_or_else(|| format_error(file, "\"metadata.referenceSystem\" is not a string"))?;
    parse_reference_system(text).map(Some).map_err(|reason| CityError::UnknownCrs {
        file: file.to_owned(),
        reference: text.to_owned(),
        reason,
    })
}

fn read_extent(file: &str, metadata: Option<&Value>) -> Result<Option<[f64; 6]>, CityError> {
    let Some(extent) = metadata.and_then(|m| m.get("geographicalExtent")).filter(|e| !e.is_null()) else {
        return Ok(None);
    };
    let numbers: Option<Vec<f64>> = extent.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect());
    match numbers.as_deref() {
        Some(&[a, b, c, d, e, f]) if [a, b, c, d, e, f].iter().all(|x| x.is_finite()) => Ok(Some([a, b, c, d, e, f])),
        _ => Err(format_error(file, "\"metadata.geographicalExtent\" is not six finite numbers")),
    }
}

fn read_templates<'a>(file: &str, doc: &'a Value) -> Result<Templates<'a>, CityError> {
    let Some(t) = doc.get("geometry-templates") else {
        return Ok(Templates {
            geometries: &[],
            vertices: Vec::new(),
        });
    };
    let geometries = t
        .get("templates")
        .and_then(Value::as_array)
        .ok_or_else(|| format_error(file, "\"geometry-templates.templates\" is not an array"))?;
    // Template vertices are real coordinates (no transform).
    let vertices = read_vertices(file, t.get("vertices-templates"), None)?;
    Ok(Templates { geometries, vertices })
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("\"{what}\" holds a non-string: {s}"))
            })
            .collect(),
        Some(other) => Err(format!("\"{what}\" is not an array: {other}")),
    }
}

impl Builder<'_> {
    fn object_error(&self, id: &str, reason: String) -> CityError {
        CityError::Object {
            file: self.file.to_owned(),
            object: id.to_owned(),
            reason,
        }
    }

    /// Reads the `CityObjects` of a document whose vertices start at `base`
    /// in `positions` and number `count`.
    fn read_objects(&mut self, doc: &Value, base: usize, count: usize, templates: &Templates) -> Result<(), CityError> {
        let objects = doc
            .get("CityObjects")
            .and_then(Value::as_object)
            .ok_or_else(|| format_error(self.file, "\"CityObjects\" is not an object"))?;
        for (id, object) in objects {
            let read = self.read_object(id, object, base, count, templates);
            let object = read.map_err(|reason| self.object_error(id, reason))?;
            self.objects.push(object);
        }
        Ok(())
    }

    fn read_object(&mut self, id: &str, object: &Value, base: usize, count: usize, templates: &Templates) -> Result<CityObject, String> {
        let kind = object.get("type").and_then(Value::as_str).ok_or("no \"type\"")?.to_owned();
        let attributes = match object.get("attributes") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => return Err(format!("\"attributes\" is not an object: {other}")),
        };
        let mut geometries = Vec::new();
        let indexer = Indexer { count, offset: base };
        for g in geometry_list(object)? {
            let geometry = if geometry::kind_of(g)? == GeometryKind::GeometryInstance {
                self.instance(g, indexer, templates)?
            } else {
                geometry::read_geometry(g, indexer, &self.positions, &mut self.earcut)?
            };
            geometries.push(geometry);
        }
        Ok(CityObject {
            id: id.to_owned(),
            kind,
            attributes,
            parents: strings(object.get("parents"), "parents")?,
            children: strings(object.get("children"), "children")?,
            geometries,
        })
    }

    /// A template placed: its vertices moved by the 4×4 matrix (row-major)
    /// and the reference point, appended to the positions.
    fn instance(&mut self, g: &Value, indexer: Indexer, templates: &Templates) -> Result<Geometry, String> {
        let t = g
            .get("template")
            .and_then(Value::as_u64)
            .ok_or("an instance has no \"template\" index")?;
        let template = usize::try_from(t)
            .ok()
            .and_then(|t| templates.geometries.get(t))
            .ok_or_else(|| format!("template {t} is out of range (there are {})", templates.geometries.len()))?;
        let reference = match g.get("boundaries").and_then(Value::as_array).map(Vec::as_slice) {
            Some([v]) => self.positions[indexer.index(v)? as usize],
            _ => return Err("an instance's \"boundaries\" is not one vertex index".to_owned()),
        };
        let matrix: Vec<f64> = g
            .get("transformationMatrix")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(Value::as_f64).filter(|x| x.is_finite()).collect())
            .unwrap_or_default();
        if matrix.len() != 16 {
            return Err("an instance's \"transformationMatrix\" is not 16 finite numbers".to_owned());
        }
        let added = templates.vertices.len();
        if self.instance_vertices + added > MAX_INSTANCE_VERTICES {
            return Err(format!("template instances would add more than {MAX_INSTANCE_VERTICES} vertices"));
        }
        self.instance_vertices += added;
        let offset = self.positions.len();
        for p in &templates.vertices {
            let row = |r: usize| matrix[4 * r] * p[0] + matrix[4 * r + 1] * p[1] + matrix[4 * r + 2] * p[2] + matrix[4 * r + 3];
            self.positions
                .push([row(0) + reference[0], row(1) + reference[1], row(2) + reference[2]]);
        }
        let mut geometry = geometry::read_geometry(template, Indexer { count: added, offset }, &self.positions, &mut self.earcut)
            .map_err(|e| format!("template {t}: {e}"))?;
        geometry.instanced = true;
        if geometry.lod.is_none() {
            geometry.lod = geometry::lod_of(g)?;
        }
        Ok(geometry)
    }
}

fn geometry_list(object: &Value) -> Result<&[Value], String> {
    match object.get("geometry") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(format!("\"geometry\" is not an array: {other}")),
    }
}

fn check_version(file: &str, doc: &Value, expected_type: &str) -> Result<String, CityError> {
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    if kind != expected_type {
        return Err(format_error(file, format!("\"type\" is \"{kind}\", expected \"{expected_type}\"")));
    }
    let version = doc
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| format_error(file, "no \"version\""))?;
    if !["1.0", "1.1", "2.0"]
        .iter()
        .any(|v| version == *v || version.starts_with(&format!("{v}.")))
    {
        return Err(format_error(file, format!("version {version} is not 1.0, 1.1 or 2.0")));
    }
    Ok(version.to_owned())
}

impl CityModel {
    /// Reads a CityJSON file, or a CityJSONSeq file (its first line a
    /// complete CityJSON object and more lines after it).
    pub fn read(path: &Path) -> Result<CityModel, CityError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| CityError::Io {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        CityModel::parse(&file, &bytes)
    }

    /// Reads CityJSON or CityJSONSeq from bytes; `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<CityModel, CityError> {
        let text = std::str::from_utf8(bytes).map_err(|e| format_error(file, format!("not UTF-8: {e}")))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        if let (Some(first), Some(_)) = (lines.next(), lines.next())
            && let Ok(header) = serde_json::from_str::<Value>(first)
            && header.is_object()
        {
            return Self::parse_sequence(file, text);
        }
        let doc: Value = serde_json::from_str(text).map_err(|e| format_error(file, e.to_string()))?;
        let version = check_version(file, &doc, "CityJSON")?;
        let metadata = doc.get("metadata");
        let crs = read_crs(file, metadata)?;
        let geographical_extent = read_extent(file, metadata)?;
        let transform = read_transform(file, &doc)?;
        let positions = read_vertices(file, doc.get("vertices"), transform)?;
        let file_vertex_count = positions.len();
        let templates = read_templates(file, &doc)?;
        let mut builder = Builder {
            file,
            positions,
            objects: Vec::new(),
            earcut: earcut::Earcut::new(),
            instance_vertices: 0,
        };
        builder.read_objects(&doc, 0, file_vertex_count, &templates)?;
        let model = CityModel {
            file: file.to_owned(),
            version,
            sequence: false,
            crs,
            geographical_extent,
            positions: builder.positions,
            file_vertex_count,
            objects: builder.objects,
        };
        model.check_links()?;
        Ok(model)
    }

    /// CityJSONSeq: the header's transform, CRS and templates; each
    /// feature's own vertices, appended.
    fn parse_sequence(file: &str, text: &str) -> Result<CityModel, CityError> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let Some((_, first)) = lines.next() else {
            return Err(format_error(file, "empty"));
        };
        let header: Value = serde_json::from_str(first).map_err(|e| format_error(file, format!("line 1: {e}")))?;
        let version = check_version(file, &header, "CityJSON")?;
        let metadata = header.get("metadata");
        let crs = read_crs(file, metadata)?;
        let geographical_extent = read_extent(file, metadata)?;
        let transform = read_transform(file, &header)?;
        let templates = read_templates(file, &header)?;
        let mut builder = Builder {
            file,
            positions: Vec::new(),
            objects: Vec::new(),
            earcut: earcut::Earcut::new(),
            instance_vertices: 0,
        };
        // The header's own objects (normally none) and vertices.
        builder.positions = read_vertices(file, header.get("vertices"), transform)?;
        let count = builder.positions.len();
        if header.get("CityObjects").is_some() {
            builder.read_objects(&header, 0, count, &templates)?;
        }
        for (n, line) in lines {
            let at = |reason: String| format_error(file, format!("line {}: {reason}", n + 1));
            let feature: Value = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
            let kind = feature.get("type").and_then(Value::as_str).unwrap_or_default();
            if kind != "CityJSONFeature" {
                return Err(at(format!("\"type\" is \"{kind}\", expected \"CityJSONFeature\"")));
            }
            let vertices = read_vertices(file, feature.get("vertices"), transform)?;
            let base = builder.positions.len();
            let count = vertices.len();
            builder.positions.extend(vertices);
            builder.read_objects(&feature, base, count, &templates)?;
        }
        let file_vertex_count = builder.positions.len() - builder.instance_vertices;
        let model = CityModel {
            file: file.to_owned(),
            version,
            sequence: true,
            crs,
            geographical_extent,
            positions: builder.positions,
            file_vertex_count,
            objects: builder.objects,
        };
        model.check_links()?;
        Ok(model)
    }

    /// Every parent and child an object names is in the model.
    fn check_links(&self) -> Result<(), CityError> {
        let ids: HashMap<&str, usize> = self.objects.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
        for o in &self.objects {
            for (role, list) in [("parent", &o.parents), ("child", &o.children)] {
                if let Some(missing) = list.iter().find(|id| !ids.contains_key(id.as_str())) {
                    return Err(CityError::Object {
                        file: self.file.clone(),
                        object: o.id.clone(),
                        reason: format!("its {role} \"{missing}\" is not in the file"),
                    });
                }
            }
        }
        Ok(())
    }

    /// The object with this id.
    pub fn object(&self, id: &str) -> Option<&CityObject> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// The transformer from the file's CRS to WGS 84.
    pub fn to_wgs84(&self) -> Result<Transformer, CityError> {
        let crs = self.crs.as_ref().ok_or_else(|| CityError::Placement {
            file: self.file.clone(),
            reason: "it declares no reference system (metadata.referenceSystem)".to_owned(),
        })?;
        Transformer::new(crs.horizontal, Crs::Wgs84).map_err(|e| CityError::Placement {
            file: self.file.clone(),
            reason: e.to_string(),
        })
    }

    /// Every position (same indices as [`Self::positions`]) in the scene's
    /// ENU frame, metres: through WGS 84, heights unchanged.
    pub fn positions_in(&self, frame: &EnuFrame) -> Result<Vec<[f64; 3]>, CityError> {
        let t = self.to_wgs84()?;
        self.positions
            .iter()
            .map(|&p| {
                t.to_geodetic(p)
                    .map(|g| frame.geodetic_to_enu(g))
                    .map_err(|e| CityError::Placement {
                        file: self.file.clone(),
                        reason: e.to_string(),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
