//! What `sontinh city info` reports about a model.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{CityModel, SurfaceClass};

/// An axis-aligned box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds3 {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl Bounds3 {
    /// The box around `points`; `None` when there are none.
    pub fn of(points: impl IntoIterator<Item = [f64; 3]>) -> Option<Bounds3> {
        let mut bounds: Option<Bounds3> = None;
        for p in points {
            match bounds.as_mut() {
                Some(b) => {
                    for (k, c) in p.into_iter().enumerate() {
                        b.min[k] = b.min[k].min(c);
                        b.max[k] = b.max[k].max(c);
                    }
                }
                None => bounds = Some(Bounds3 { min: p, max: p }),
            }
        }
        bounds
    }

    fn to_json(self) -> Value {
        json!([self.min[0], self.min[1], self.min[2], self.max[0], self.max[1], self.max[2]])
    }
}

#[derive(Clone, Debug)]
pub struct CityInfo {
    pub version: String,
    pub sequence: bool,
    /// The declared reference system, its EPSG code, the horizontal
    /// system used to place it and the height system's code.
    pub crs: Option<(String, u32, String, Option<u32>)>,
    pub object_count: usize,
    /// Objects by type, by name.
    pub object_types: BTreeMap<String, usize>,
    /// Geometries by type and LoD: (type, lod) → count.
    pub geometry_types: BTreeMap<(String, String), usize>,
    pub lods: Vec<String>,
    pub vertex_count: usize,
    pub instance_vertex_count: usize,
    pub triangle_count: usize,
    pub degenerate_polygons: usize,
    /// Polygons (surfaces) by semantic class.
    pub surfaces_by_class: BTreeMap<SurfaceClass, usize>,
    /// Triangles by semantic class.
    pub triangles_by_class: BTreeMap<SurfaceClass, usize>,
    /// Attribute names with the number of objects having each.
    pub attributes: BTreeMap<String, usize>,
    pub geographical_extent: Option<[f64; 6]>,
    /// Of every position, in the file's CRS.
    pub bounds: Option<Bounds3>,
    /// Of every position taken to WGS 84 (longitude, latitude, height); `Err` says why not.
    pub bounds_wgs84: Result<Option<Bounds3>, String>,
}

impl CityModel {
    pub fn info(&self) -> CityInfo {
        let mut object_types = BTreeMap::new();
        let mut geometry_types = BTreeMap::new();
        let mut surfaces_by_class = BTreeMap::new();
        let mut triangles_by_class = BTreeMap::new();
        let mut attributes = BTreeMap::new();
        let mut triangle_count = 0;
        let mut degenerate_polygons = 0;
        for o in &self.objects {
            *object_types.entry(o.kind.clone()).or_insert(0) += 1;
            for name in o.attributes.keys() {
                *attributes.entry(name.clone()).or_insert(0) += 1;
            }
            for g in &o.geometries {
                let lod = g.lod.clone().unwrap_or_default();
                *geometry_types.entry((g.kind.name().to_owned(), lod)).or_insert(0) += 1;
                triangle_count += g.triangles.len();
                degenerate_polygons += g.degenerate_polygons;
                for class in &g.polygon_classes {
                    *surfaces_by_class.entry(*class).or_insert(0) += 1;
                }
                for t in 0..g.triangles.len() {
                    *triangles_by_class.entry(g.triangle_class(t)).or_insert(0) += 1;
                }
            }
        }
        let mut lods: Vec<String> = geometry_types
            .keys()
            .map(|(_, lod)| lod.clone())
            .filter(|l| !l.is_empty())
            .collect();
        lods.sort();
        lods.dedup();
        let bounds_wgs84 = self.to_wgs84().map_err(|e| e.to_string()).and_then(|t| {
            let mut out = Vec::with_capacity(self.positions.len());
            for &p in &self.positions {
                out.push(t.transform(p).map_err(|e| e.to_string())?);
            }
            Ok(Bounds3::of(out))
        });
        CityInfo {
            version: self.version.clone(),
            sequence: self.sequence,
            crs: self
                .crs
                .as_ref()
                .map(|c| (c.declared.clone(), c.code, c.horizontal.id(), c.vertical)),
            object_count: self.objects.len(),
            object_types,
            geometry_types,
            lods,
            vertex_count: self.file_vertex_count,
            instance_vertex_count: self.positions.len() - self.file_vertex_count,
            triangle_count,
            degenerate_polygons,
            surfaces_by_class,
            triangles_by_class,
            attributes,
            geographical_extent: self.geographical_extent,
            bounds: Bounds3::of(self.positions.iter().copied()),
            bounds_wgs84,
        }
    }
}

fn classes_json(m: &BTreeMap<SurfaceClass, usize>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.name().to_owned(), json!(v))).collect())
}

impl CityInfo {
    pub fn to_json(&self) -> Value {
        json!({
            "format": if self.sequence { "CityJSONSeq" } else { "CityJSON" },
            "version": self.version,
            "reference_system": self.crs.as_ref().map(|c| c.0.clone()),
            "epsg": self.crs.as_ref().map(|c| c.1),
            "crs": self.crs.as_ref().map(|c| c.2.clone()),
            "vertical_epsg": self.crs.as_ref().and_then(|c| c.3),
            "object_count": self.object_count,
            "object_types": self.object_types,
            "geometry_types": self.geometry_types.iter().map(|((kind, lod), n)| json!({"type": kind, "lod": lod, "count": n})).collect::<Vec<_>>(),
            "lods": self.lods,
            "vertex_count": self.vertex_count,
            "instance_vertex_count": self.instance_vertex_count,
            "triangle_count": self.triangle_count,
            "degenerate_polygons": self.degenerate_polygons,
            "surfaces_by_class": classes_json(&self.surfaces_by_class),
            "triangles_by_class": classes_json(&self.triangles_by_class),
            "attributes": self.attributes,
            "geographical_extent": self.geographical_extent,
            "bounds": self.bounds.map(Bounds3::to_json),
            "bounds_wgs84": match &self.bounds_wgs84 {
                Ok(b) => b.map(Bounds3::to_json).unwrap_or(Value::Null),
                Err(_) => Value::Null,
            },
            "bounds_wgs84_error": self.bounds_wgs84.as_ref().err(),
        })
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mut line = |text: String| {
            s.push_str(&text);
            s.push('\n');
        };
        line(format!(
            "format: {} {}",
            if self.sequence { "CityJSONSeq" } else { "CityJSON" },
            self.version
        ));
        match &self.crs {
            Some((declared, code, horizontal, vertical)) => line(format!(
                "crs: {declared} (EPSG:{code}; placed by {horizontal}{})",
                vertical
                    .map(|v| format!(", heights EPSG:{v} taken as they are"))
                    .unwrap_or_default()
            )),
            None => line("crs: none declared".to_owned()),
        }
        line(format!("objects: {}", self.object_count));
        for (kind, n) in &self.object_types {
            line(format!("  {kind}: {n}"));
        }
        line("geometries:".to_owned());
        for ((kind, lod), n) in &self.geometry_types {
            line(format!("  {kind} LoD {lod}: {n}"));
        }
        line(format!("lods: {}", self.lods.join(", ")));
        line(format!(
            "vertices: {}{}",
            self.vertex_count,
            if self.instance_vertex_count > 0 {
                format!(" (+{} in template copies)", self.instance_vertex_count)
            } else {
                String::new()
            }
        ));
        line(format!(
            "triangles: {} ({} degenerate polygons skipped)",
            self.triangle_count, self.degenerate_polygons
        ));
        let classes: Vec<String> = self
            .surfaces_by_class
            .iter()
            .map(|(k, n)| {
                format!(
                    "{} {n} ({} triangles)",
                    k.name(),
                    self.triangles_by_class.get(k).copied().unwrap_or(0)
                )
            })
            .collect();
        line(format!("surfaces: {}", classes.join(", ")));
        let fmt = |b: &Bounds3, d: usize| {
            format!(
                "{:.d$} {:.d$} {:.3} .. {:.d$} {:.d$} {:.3}",
                b.min[0], b.min[1], b.min[2], b.max[0], b.max[1], b.max[2]
            )
        };
        if let Some(b) = &self.bounds {
            line(format!("bounds: {}", fmt(b, 3)));
        }
        match &self.bounds_wgs84 {
            Ok(Some(b)) => line(format!("bounds (WGS 84 lon lat h): {}", fmt(b, 7))),
            Ok(None) => {}
            Err(e) => line(format!("bounds (WGS 84): unavailable: {e}")),
        }
        let names: Vec<&str> = self.attributes.keys().map(String::as_str).collect();
        line(format!("attributes: {}", names.join(", ")));
        s
    }
}
