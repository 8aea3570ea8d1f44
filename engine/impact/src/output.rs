//! An assessment as files: `impact.csv` (one row per feature reached),
//! `impact.geojson` (the same features in WGS 84 longitude/latitude,
//! RFC 7946, which GDAL and QGIS open as EPSG:4326), the `impact` section
//! of a run's `summary.json`, and a line for people.

use std::fmt::Write as _;

use geo::{Coord, Geometry, MapCoords};
use serde_json::{Value, json};
use sontinh_geo::{Crs, Transformer};

use crate::{AreaCount, Assessment, ImpactSet, anchor};

/// Obstacles raised in the grid before the run, for the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Obstacles {
    pub layers: Vec<String>,
    pub height_m: f64,
    pub cells_raised: usize,
}

/// Rounded to about a centimetre on the ground.
fn degrees(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Grid metres to WGS 84 degrees.
struct ToWgs84(Transformer);

impl ToWgs84 {
    fn new(grid: Crs) -> Result<ToWgs84, String> {
        Transformer::new(grid, Crs::Wgs84).map(ToWgs84).map_err(|e| e.to_string())
    }
    fn coord(&self, c: Coord<f64>) -> Result<Coord<f64>, String> {
        let [lon, lat, _] = self.0.transform([c.x, c.y, 0.0]).map_err(|e| e.to_string())?;
        Ok(Coord {
            x: degrees(lon),
            y: degrees(lat),
        })
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `impact.csv`: one row per feature reached, deepest first; the centroid
/// in WGS 84; arrival empty where unknown (a static map) .
pub fn csv(set: &ImpactSet, assessment: &Assessment, grid: Crs) -> Result<String, String> {
    let to_wgs84 = ToWgs84::new(grid)?;
    let mut out = String::from("layer,id,kind,name,area,max_depth_m,arrival_h,length_m,lon,lat\n");
    for r in &assessment.reached {
        let Some(f) = set.features.get(r.feature) else { continue };
        let at = anchor(&f.geometry).map(|c| to_wgs84.coord(c)).transpose()?;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{:.3},{},{:.1},{},{}",
            quote(&f.layer),
            quote(&f.id),
            f.kind.id(),
            quote(f.name.as_deref().unwrap_or("")),
            quote(set.area_name(r.area).unwrap_or("")),
            r.max_depth_m,
            r.arrival_h.map(|h| format!("{h:.3}")).unwrap_or_default(),
            r.length_m,
            at.map(|c| c.x.to_string()).unwrap_or_default(),
            at.map(|c| c.y.to_string()).unwrap_or_default(),
        );
    }
    Ok(out)
}

/// `impact.geojson`: the features reached, their footprints or segments in
/// WGS 84, with the CSV's figures as properties. Written as text directly:
/// a `serde_json::Value` per feature took most of a second for 70 000.
pub fn geojson(set: &ImpactSet, assessment: &Assessment, grid: Crs) -> Result<String, String> {
    let to_wgs84 = ToWgs84::new(grid)?;
    let text = |s: Option<&str>| s.map_or_else(|| "null".to_owned(), |s| Value::from(s).to_string());
    let mut out = String::with_capacity(assessment.reached.len() * 400 + 64);
    out.push_str(r#"{"type":"FeatureCollection","features":["#);
    for (k, r) in assessment.reached.iter().enumerate() {
        let Some(f) = set.features.get(r.feature) else { continue };
        let geometry: Geometry<f64> = f.geometry.try_map_coords(|c| to_wgs84.coord(c))?;
        if k > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"type":"Feature","properties":{{"layer":{},"id":{},"kind":"{}","name":{},"area":{},"max_depth_m":{},"arrival_h":{},"length_m":{}}},"geometry":"#,
            text(Some(&f.layer)),
            text(Some(&f.id)),
            f.kind.id(),
            text(f.name.as_deref()),
            text(set.area_name(r.area)),
            (r.max_depth_m * 1000.0).round() / 1000.0,
            r.arrival_h
                .filter(|h| h.is_finite())
                .map_or_else(|| "null".to_owned(), |h| ((h * 1e4).round() / 1e4).to_string()),
            (r.length_m * 10.0).round() / 10.0,
        );
        geometry_text(&mut out, &geometry);
        out.push('}');
    }
    out.push_str("]}");
    Ok(out)
}

fn positions(out: &mut String, coords: impl Iterator<Item = Coord<f64>>) {
    out.push('[');
    for (i, c) in coords.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}]", c.x, c.y);
    }
    out.push(']');
}

fn polygon_text(out: &mut String, p: &geo::Polygon<f64>) {
    // RFC 7946: exteriors counter-clockwise, holes clockwise.
    use geo::orient::{Direction, Orient};
    let p = p.orient(Direction::Default);
    out.push('[');
    positions(out, p.exterior().0.iter().copied());
    for hole in p.interiors() {
        out.push(',');
        positions(out, hole.0.iter().copied());
    }
    out.push(']');
}

fn geometry_text(out: &mut String, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            let _ = write!(out, r#"{{"type":"Point","coordinates":[{},{}]}}"#, p.x(), p.y());
        }
        Geometry::MultiPoint(m) => {
            out.push_str(r#"{"type":"MultiPoint","coordinates":"#);
            positions(out, m.0.iter().map(|p| p.0));
            out.push('}');
        }
        Geometry::LineString(l) => {
            out.push_str(r#"{"type":"LineString","coordinates":"#);
            positions(out, l.0.iter().copied());
            out.push('}');
        }
        Geometry::Polygon(p) => {
            out.push_str(r#"{"type":"Polygon","coordinates":"#);
            polygon_text(out, p);
            out.push('}');
        }
        Geometry::MultiPolygon(m) => {
            out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
            for (i, p) in m.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                polygon_text(out, p);
            }
            out.push_str("]}");
        }
        // Features are made of the kinds above only (`read`).
        _ => out.push_str(r#"{"type":"GeometryCollection","geometries":[]}"#),
    }
}

fn count_json(c: &AreaCount) -> Value {
    json!({
        "buildings": c.buildings,
        "buildings_reached": c.buildings_reached,
        "road_segments": c.road_segments,
        "road_segments_reached": c.road_segments_reached,
        "road_length_reached_m": (c.road_length_reached_m * 10.0).round() / 10.0,
    })
}

/// The `impact` section of `summary.json`.
pub fn summary(set: &ImpactSet, assessment: &Assessment, layers: &[String], obstacles: Option<&Obstacles>) -> Value {
    let mut by_area: Vec<Value> = assessment
        .by_area
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut v = count_json(c);
            v["name"] = json!(set.area_name(Some(i)));
            v
        })
        .collect();
    if set.areas.is_some() && assessment.outside_areas != AreaCount::default() {
        let mut v = count_json(&assessment.outside_areas);
        v["name"] = Value::Null;
        by_area.push(v);
    }
    json!({
        "layers": layers,
        "min_depth_m": assessment.min_depth_m,
        "total": count_json(&assessment.total),
        "off_grid": assessment.off_grid,
        "areas_layer": set.areas.as_ref().map(|a| a.layer.clone()),
        "by_area": by_area,
        "obstacles": obstacles.map(|o| json!({ "layers": o.layers, "height_m": o.height_m, "cells_raised": o.cells_raised })),
        "files": ["impact.csv", "impact.geojson"],
    })
}

/// "Buildings reached: 12 of 160 (Triệu Thành 7, …). Road segments reached: …"
pub fn report(set: &ImpactSet, assessment: &Assessment, obstacles: Option<&Obstacles>) -> String {
    let t = &assessment.total;
    let per_area = |f: &dyn Fn(&AreaCount) -> usize| -> String {
        let mut parts: Vec<String> = assessment
            .by_area
            .iter()
            .enumerate()
            .filter(|(_, c)| f(c) > 0)
            .map(|(i, c)| format!("{} {}", set.area_name(Some(i)).unwrap_or("?"), f(c)))
            .collect();
        if set.areas.is_some() && f(&assessment.outside_areas) > 0 {
            parts.push(format!("outside the areas {}", f(&assessment.outside_areas)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    };
    // A kind the layers do not have is not reported ("0 of 0").
    let mut parts = Vec::new();
    if t.buildings > 0 || t.road_segments == 0 {
        parts.push(format!(
            "Buildings reached: {} of {}{}.",
            t.buildings_reached,
            t.buildings,
            per_area(&|c| c.buildings_reached)
        ));
    }
    if t.road_segments > 0 {
        parts.push(format!(
            "Road segments reached: {} of {} ({:.2} km){}.",
            t.road_segments_reached,
            t.road_segments,
            t.road_length_reached_m / 1000.0,
            per_area(&|c| c.road_segments_reached),
        ));
    }
    if assessment.off_grid > 0 {
        parts.push(format!("{} features lie off the grid.", assessment.off_grid));
    }
    let mut line = parts.join(" ");
    if let Some(o) = obstacles {
        let _ = write!(line, " Obstacles: {} cells raised {} m.", o.cells_raised, o.height_m);
    }
    line
}
