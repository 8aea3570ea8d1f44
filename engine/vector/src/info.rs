//! What `sontinh vector info` reports about a layer.

use geo_types::{Coord, Geometry};
use sontinh_geo::{Crs, Transformer, WktCrs};

use crate::VectorData;

/// An axis-aligned box: x (longitude) then y (latitude).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Bounds {
    fn of_point(c: Coord<f64>) -> Self {
        Bounds {
            min_x: c.x,
            min_y: c.y,
            max_x: c.x,
            max_y: c.y,
        }
    }
    fn add(&mut self, c: Coord<f64>) {
        self.min_x = self.min_x.min(c.x);
        self.min_y = self.min_y.min(c.y);
        self.max_x = self.max_x.max(c.x);
        self.max_y = self.max_y.max(c.y);
    }
}

/// An attribute column: its name and the value types seen in it.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeInfo {
    pub name: String,
    pub types: Vec<&'static str>,
}

#[derive(Clone, Debug)]
pub struct LayerInfo {
    pub driver: &'static str,
    pub crs: Option<Crs>,
    pub crs_definition: Option<String>,
    pub feature_count: usize,
    pub skipped: usize,
    /// Geometry type names (`Polygon`, `MultiPolygon`, …) with their counts, by name.
    pub geometry_types: Vec<(&'static str, usize)>,
    pub vertex_count: usize,
    pub bounds: Option<Bounds>,
    /// The bounds of every vertex taken to WGS 84; `Err` says why not.
    pub bounds_wgs84: Result<Option<Bounds>, String>,
    pub attributes: Vec<AttributeInfo>,
}

/// Calls `f` on every vertex of `g`.
pub fn for_each_coord(g: &Geometry<f64>, f: &mut impl FnMut(Coord<f64>)) {
    match g {
        Geometry::Point(p) => f(p.0),
        Geometry::Line(l) => {
            f(l.start);
            f(l.end);
        }
        Geometry::LineString(l) => l.0.iter().copied().for_each(f),
        Geometry::Polygon(p) => {
            p.exterior().0.iter().copied().for_each(&mut *f);
            for ring in p.interiors() {
                ring.0.iter().copied().for_each(&mut *f);
            }
        }
        Geometry::MultiPoint(m) => m.0.iter().for_each(|p| f(p.0)),
        Geometry::MultiLineString(m) => m.0.iter().flat_map(|l| l.0.iter().copied()).for_each(f),
        Geometry::MultiPolygon(m) => {
            for p in &m.0 {
                for_each_coord(&Geometry::Polygon(p.clone()), f);
            }
        }
        Geometry::GeometryCollection(c) => c.0.iter().for_each(|g| for_each_coord(g, f)),
        Geometry::Rect(r) => {
            f(r.min());
            f(r.max());
        }
        Geometry::Triangle(t) => {
            f(t.v1());
            f(t.v2());
            f(t.v3());
        }
    }
}

/// The name of a geometry's type, as OGR writes it.
pub fn geometry_type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// The bounds of a geometry's vertices.
pub fn bounds_of(g: &Geometry<f64>) -> Option<Bounds> {
    let mut bounds: Option<Bounds> = None;
    for_each_coord(g, &mut |c| match bounds.as_mut() {
        Some(b) => b.add(c),
        None => bounds = Some(Bounds::of_point(c)),
    });
    bounds
}

impl VectorData {
    /// The bounds of every feature, in the layer's CRS.
    pub fn bounds(&self) -> Option<Bounds> {
        let mut bounds: Option<Bounds> = None;
        for feature in &self.features {
            for_each_coord(&feature.geometry, &mut |c| match bounds.as_mut() {
                Some(b) => b.add(c),
                None => bounds = Some(Bounds::of_point(c)),
            });
        }
        bounds
    }

    /// A transformer from the layer's CRS to `to`: by the known system, else
    /// by the WKT the file gave.
    pub fn transformer_to(&self, to: Crs) -> Result<Transformer, String> {
        if let Some(crs) = self.crs {
            return Transformer::new(crs, to).map_err(|e| e.to_string());
        }
        let Some(definition) = &self.crs_definition else {
            return Err("the layer names no CRS".to_owned());
        };
        WktCrs::parse(definition)
            .and_then(|wkt| wkt.transformer_to(to))
            .map_err(|e| e.to_string())
    }

    /// The bounds of every vertex taken to WGS 84 (longitude, latitude).
    pub fn bounds_wgs84(&self) -> Result<Option<Bounds>, String> {
        if self.crs == Some(Crs::Wgs84) {
            return Ok(self.bounds());
        }
        let transformer = self.transformer_to(Crs::Wgs84)?;
        let mut bounds: Option<Bounds> = None;
        let mut failure = None;
        for feature in &self.features {
            for_each_coord(&feature.geometry, &mut |c| {
                if failure.is_some() {
                    return;
                }
                match transformer.transform([c.x, c.y, 0.0]) {
                    Ok([x, y, _]) => {
                        let c = Coord { x, y };
                        match bounds.as_mut() {
                            Some(b) => b.add(c),
                            None => bounds = Some(Bounds::of_point(c)),
                        }
                    }
                    Err(e) => failure = Some(format!("({}, {}) could not be taken to WGS 84: {e}", c.x, c.y)),
                }
            });
        }
        match failure {
            Some(why) => Err(why),
            None => Ok(bounds),
        }
    }

    /// The summary `sontinh vector info` prints.
    pub fn info(&self) -> LayerInfo {
        let mut geometry_types: Vec<(&'static str, usize)> = Vec::new();
        let mut vertex_count = 0usize;
        let mut attributes: Vec<AttributeInfo> = Vec::new();
        for feature in &self.features {
            let name = geometry_type_name(&feature.geometry);
            match geometry_types.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => geometry_types.push((name, 1)),
            }
            for_each_coord(&feature.geometry, &mut |_| vertex_count += 1);
            for (key, value) in &feature.properties {
                let index = match attributes.iter().position(|a| &a.name == key) {
                    Some(i) => i,
                    None => {
                        attributes.push(AttributeInfo {
                            name: key.clone(),
                            types: Vec::new(),
                        });
                        attributes.len() - 1
                    }
                };
                let type_name = value.type_name();
                if let Some(attribute) = attributes.get_mut(index)
                    && !attribute.types.contains(&type_name)
                {
                    attribute.types.push(type_name);
                }
            }
        }
        geometry_types.sort_unstable();
        LayerInfo {
            driver: self.driver.name(),
            crs: self.crs,
            crs_definition: self.crs_definition.clone(),
            feature_count: self.features.len(),
            skipped: self.skipped,
            geometry_types,
            vertex_count,
            bounds: self.bounds(),
            bounds_wgs84: self.bounds_wgs84(),
            attributes,
        }
    }
}

impl LayerInfo {
    /// The summary as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let bounds = |b: &Bounds| serde_json::json!([b.min_x, b.min_y, b.max_x, b.max_y]);
        serde_json::json!({
            "driver": self.driver,
            "crs": self.crs.map(|c| c.id()),
            "crs_name": self.crs.map(|c| c.name()),
            "crs_definition": self.crs_definition,
            "feature_count": self.feature_count,
            "skipped_without_geometry": self.skipped,
            "geometry_types": self.geometry_types.iter().map(|(name, count)| serde_json::json!({"type": name, "count": count})).collect::<Vec<_>>(),
            "vertex_count": self.vertex_count,
            "bounds": self.bounds.as_ref().map(bounds),
            "bounds_wgs84": self.bounds_wgs84.as_ref().ok().and_then(|b| b.as_ref().map(bounds)),
            "bounds_wgs84_error": self.bounds_wgs84.as_ref().err(),
            "attributes": self.attributes.iter().map(|a| serde_json::json!({"name": a.name, "types": a.types})).collect::<Vec<_>>(),
        })
    }

    /// The summary as lines of text.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let b = |b: &Bounds| format!("{:.9} {:.9} – {:.9} {:.9}", b.min_x, b.min_y, b.max_x, b.max_y);
        let _ = writeln!(out, "driver: {}", self.driver);
        match (&self.crs, &self.crs_definition) {
            (Some(crs), _) => {
                let _ = writeln!(out, "crs: {} ({})", crs.id(), crs.name());
            }
            (None, Some(def)) => {
                let _ = writeln!(out, "crs: not one sontinh knows by code: {def}");
            }
            (None, None) => {
                let _ = writeln!(out, "crs: none given");
            }
        }
        let _ = writeln!(out, "features: {}", self.feature_count);
        if self.skipped > 0 {
            let _ = writeln!(out, "features without geometry (left out): {}", self.skipped);
        }
        let types: Vec<String> = self.geometry_types.iter().map(|(n, c)| format!("{n} {c}")).collect();
        let _ = writeln!(out, "geometry types: {}", types.join(", "));
        let _ = writeln!(out, "vertices: {}", self.vertex_count);
        if let Some(bounds) = &self.bounds {
            let _ = writeln!(out, "bounds: {}", b(bounds));
        }
        match &self.bounds_wgs84 {
            Ok(Some(bounds)) => {
                let _ = writeln!(out, "bounds (WGS 84 lon/lat): {}", b(bounds));
            }
            Ok(None) => {}
            Err(why) => {
                let _ = writeln!(out, "bounds (WGS 84): unknown ({why})");
            }
        }
        let _ = writeln!(out, "attributes:");
        for a in &self.attributes {
            let _ = writeln!(out, "  {}: {}", a.name, a.types.join(" | "));
        }
        out
    }
}
