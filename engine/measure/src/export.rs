//! Measurements as data others open: GeoJSON (RFC 7946: WGS84 longitude,
//! latitude and height, which QGIS reads as EPSG:4326 with Z) and CSV (one
//! row a measurement, its geometry as WKT Z, which QGIS's delimited-text
//! reader places; a profile's samples one row each).

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use sontinh_geo::Geodetic;
use sontinh_scene::MeasureTool;

use crate::{Figures, ProfileSample};

/// One measurement to export.
pub struct Exported<'a> {
    pub id: &'a str,
    pub name_vi: &'a str,
    pub name_en: &'a str,
    pub tool: MeasureTool,
    pub points: &'a [Geodetic],
    /// `None` when the figures could not be made (too few points).
    pub figures: Option<&'a Figures>,
}

/// 1e-9° is about 0.1 mm; heights to 0.1 mm.
fn position(p: &Geodetic) -> [f64; 3] {
    let round = |v: f64, d: i32| (v * 10f64.powi(d)).round() / 10f64.powi(d);
    [round(p.lon_deg, 9), round(p.lat_deg, 9), round(p.height_m, 4)]
}

/// The ring closed, counter-clockwise as RFC 7946 asks of exterior rings.
fn ring(points: &[Geodetic]) -> Vec<[f64; 3]> {
    let mut ring: Vec<[f64; 3]> = points.iter().map(position).collect();
    let twice_area: f64 = ring.iter().zip(ring.iter().cycle().skip(1)).map(|(a, b)| a[0] * b[1] - b[0] * a[1]).sum();
    if twice_area < 0.0 {
        ring.reverse();
    }
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    ring
}

fn geometry(tool: MeasureTool, points: &[Geodetic]) -> Value {
    match (tool, points) {
        (MeasureTool::Point, [p, ..]) => json!({ "type": "Point", "coordinates": position(p) }),
        (t, ps) if t.is_polygon() && ps.len() >= 3 => json!({ "type": "Polygon", "coordinates": [ring(ps)] }),
        (_, [p]) => json!({ "type": "Point", "coordinates": position(p) }),
        (_, ps) => json!({ "type": "LineString", "coordinates": ps.iter().map(position).collect::<Vec<_>>() }),
    }
}

/// A FeatureCollection, one Feature a measurement (an empty one has no geometry).
pub fn geojson(items: &[Exported]) -> String {
    let features: Vec<Value> = items
        .iter()
        .map(|m| {
            let mut properties = Map::new();
            properties.insert("id".into(), m.id.into());
            properties.insert("name_vi".into(), m.name_vi.into());
            properties.insert("name_en".into(), m.name_en.into());
            properties.insert("tool".into(), m.tool.id().into());
            for (key, value) in m.figures.map(Figures::summary).unwrap_or_default() {
                properties.insert(key.into(), json!(value));
            }
            let geometry = if m.points.is_empty() { Value::Null } else { geometry(m.tool, m.points) };
            json!({ "type": "Feature", "id": m.id, "geometry": geometry, "properties": properties })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn wkt(tool: MeasureTool, points: &[Geodetic]) -> String {
    let list = |ps: &[[f64; 3]]| ps.iter().map(|p| format!("{} {} {}", p[0], p[1], p[2])).collect::<Vec<_>>().join(", ");
    let plain: Vec<[f64; 3]> = points.iter().map(position).collect();
    match plain.len() {
        0 => String::new(),
        1 => format!("POINT Z ({})", list(&plain)),
        _ if tool.is_polygon() && plain.len() >= 3 => format!("POLYGON Z (({}))", list(&ring(points))),
        _ => format!("LINESTRING Z ({})", list(&plain)),
    }
}

/// One row a measurement: `id,name_vi,name_en,tool,wkt` and a column for
/// each figure any of them has (empty where one lacks it).
pub fn csv(items: &[Exported]) -> String {
    let summaries: Vec<Vec<(&'static str, f64)>> = items.iter().map(|m| m.figures.map(Figures::summary).unwrap_or_default()).collect();
    let mut columns: Vec<&'static str> = Vec::new();
    for key in summaries.iter().flatten().map(|(k, _)| *k) {
        if !columns.contains(&key) {
            columns.push(key);
        }
    }
    let mut out = String::from("id,name_vi,name_en,tool,wkt");
    for c in &columns {
        out.push(',');
        out.push_str(c);
    }
    out.push('\n');
    for (m, summary) in items.iter().zip(&summaries) {
        let _ = write!(out, "{},{},{},{},{}", quote(m.id), quote(m.name_vi), quote(m.name_en), m.tool.id(), quote(&wkt(m.tool, m.points)));
        for c in &columns {
            out.push(',');
            if let Some((_, v)) = summary.iter().find(|(k, _)| k == c) {
                let _ = write!(out, "{v}");
            }
        }
        out.push('\n');
    }
    out
}

/// A profile's samples: `distance_m,lon_deg,lat_deg` and each layer's height
/// (empty where the layer has none).
pub fn profile_csv(layers: &[String], samples: &[ProfileSample]) -> String {
    let mut out = String::from("distance_m,lon_deg,lat_deg");
    for name in layers {
        out.push(',');
        out.push_str(&quote(name));
    }
    out.push('\n');
    for s in samples {
        let _ = write!(out, "{:.3},{:.9},{:.9}", s.distance_m, s.lon, s.lat);
        for h in &s.heights {
            out.push(',');
            if let Some(h) = h {
                let _ = write!(out, "{h:.3}");
            }
        }
        out.push('\n');
    }
    out
}
