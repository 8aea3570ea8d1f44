//! The buildings and roads a flood reached (the run's `impact.geojson`,
//! written by `sontinh_flood_plan`), listed for the planner and outlined
//! on the twin at the water's surface, orange to crimson by depth; the one the
//! planner selects stands out in cyan with a mast over it.

use std::path::Path;

use bevy::gizmos::GizmoAsset;
use bevy::gizmos::config::GizmoLineConfig;
use bevy::gizmos::retained::Gizmo;
use bevy::prelude::*;
use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};
use sontinh_layers::{ActiveScene, GeoPosition, enu_to_world};

use crate::{FloodData, FloodResults};

/// One feature the water reached.
#[derive(Clone, Debug, PartialEq)]
pub struct ImpactRow {
    pub layer: String,
    pub id: String,
    /// "building" or "road".
    pub kind: String,
    pub name: Option<String>,
    /// The commune (area) holding it, when the scenario names areas.
    pub area: Option<String>,
    pub max_depth_m: f64,
    pub arrival_h: Option<f64>,
    /// Its outline (rings, or a road segment's line) in scene ENU metres (east, north).
    pub outlines: Vec<Vec<[f64; 2]>>,
    /// Where it is reported: the mean of its outline's vertices, WGS 84.
    pub lon_lat: [f64; 2],
    /// The water's surface over it, scene ENU metres, once the run's terrain is loaded.
    pub level: Option<f64>,
}

impl ImpactRow {
    /// The name, else the layer and id.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{} {}", self.layer, self.id))
    }

    /// The centre of its outline, scene ENU (east, north).
    pub fn centre(&self) -> [f64; 2] {
        let points: Vec<&[f64; 2]> = self.outlines.iter().flatten().collect();
        let n = points.len().max(1) as f64;
        [
            points.iter().map(|p| p[0]).sum::<f64>() / n,
            points.iter().map(|p| p[1]).sum::<f64>() / n,
        ]
    }
}

/// The reached features of the shown results, deepest first, and the one selected.
#[derive(Resource, Default, Debug)]
pub struct FloodImpact {
    pub rows: Vec<ImpactRow>,
    pub selected: Option<usize>,
}

impl FloodImpact {
    /// The rows grouped by area, areas in the order their first row comes
    /// (deepest first), features without an area last.
    pub fn by_area(&self) -> Vec<(Option<&str>, Vec<usize>)> {
        let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let area = row.area.as_deref();
            match groups.iter_mut().find(|(a, _)| *a == area) {
                Some((_, rows)) => rows.push(i),
                None => groups.push((area, vec![i])),
            }
        }
        groups.sort_by_key(|(a, _)| a.is_none());
        groups
    }
}

/// The features of an `impact.geojson` text, their outlines placed in `frame`.
pub fn parse_impact(text: &str, frame: &EnuFrame) -> Result<Vec<ImpactRow>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("impact.geojson: {e}"))?;
    let features = doc["features"].as_array().ok_or("impact.geojson: no features")?;
    let mut rows = Vec::with_capacity(features.len());
    for (n, f) in features.iter().enumerate() {
        let p = &f["properties"];
        let text = |key: &str| p[key].as_str().map(str::to_owned);
        let mut outlines = Vec::new();
        let g = &f["geometry"];
        let coordinates = &g["coordinates"];
        let lines: Vec<&serde_json::Value> = match g["type"].as_str() {
            Some("Point") => vec![],
            Some("LineString") => vec![coordinates],
            Some("Polygon") => coordinates.as_array().map(|r| r.iter().collect()).unwrap_or_default(),
            Some("MultiPolygon") => coordinates
                .as_array()
                .map(|p| p.iter().filter_map(|rings| rings.as_array()).flatten().collect())
                .unwrap_or_default(),
            other => return Err(format!("impact.geojson: feature {}: geometry {other:?}", n + 1)),
        };
        let place = |c: &serde_json::Value| -> Option<[f64; 2]> {
            let (lon, lat) = (c[0].as_f64()?, c[1].as_f64()?);
            let enu = frame.geodetic_to_enu(Geodetic::new(lon, lat, 0.0));
            Some([enu[0], enu[1]])
        };
        let mut lon_lat = Vec::new();
        for line in lines {
            let points: Vec<&serde_json::Value> = line.as_array().map(|a| a.iter().collect()).unwrap_or_default();
            lon_lat.extend(points.iter().filter_map(|c| Some([c[0].as_f64()?, c[1].as_f64()?])));
            outlines.push(points.into_iter().filter_map(place).collect::<Vec<_>>());
        }
        if g["type"] == "Point"
            && let (Some(lon), Some(lat)) = (coordinates[0].as_f64(), coordinates[1].as_f64())
        {
            lon_lat.push([lon, lat]);
        }
        let count = lon_lat.len().max(1) as f64;
        rows.push(ImpactRow {
            layer: text("layer").unwrap_or_default(),
            id: text("id").unwrap_or_else(|| (n + 1).to_string()),
            kind: text("kind").unwrap_or_default(),
            name: text("name"),
            area: text("area"),
            max_depth_m: p["max_depth_m"]
                .as_f64()
                .ok_or_else(|| format!("impact.geojson: feature {}: no max_depth_m", n + 1))?,
            arrival_h: p["arrival_h"].as_f64(),
            outlines,
            lon_lat: [
                lon_lat.iter().map(|c| c[0]).sum::<f64>() / count,
                lon_lat.iter().map(|c| c[1]).sum::<f64>() / count,
            ],
            level: None,
        });
    }
    Ok(rows)
}

/// A run folder's `impact.geojson` (kept in memory by a page's run, else
/// on disk); none when the run made none.
pub fn read_impact(dir: &Path, frame: &EnuFrame) -> Result<Vec<ImpactRow>, String> {
    let path = dir.join("impact.geojson");
    let bytes = match sontinh_layers::memory_file(&path) {
        Some(kept) => kept.as_ref().clone(),
        None => match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(_) => return Ok(Vec::new()),
        },
    };
    parse_impact(&String::from_utf8_lossy(&bytes), frame)
}

/// Reads the impact of results when they change (a folder opened, a run finished).
pub(crate) fn load_impact(results: Option<Res<FloodResults>>, scene: Option<Res<ActiveScene>>, mut impact: ResMut<FloodImpact>) {
    let (Some(results), Some(scene)) = (results, scene) else { return };
    if !results.is_changed() {
        return;
    }
    impact.selected = None;
    impact.rows = read_impact(&results.0, &scene.0.frame).unwrap_or_else(|why| {
        warn!("{why}");
        Vec::new()
    });
}

/// The water's surface over each feature, from the run's terrain (the
/// ground under its centre plus its deepest water), once the terrain is loaded.
pub(crate) fn level_impact(data: Option<Res<FloodData>>, scene: Option<Res<ActiveScene>>, mut impact: ResMut<FloodImpact>) {
    let (Some(data), Some(scene)) = (data, scene) else { return };
    if impact.rows.iter().all(|r| r.level.is_some()) {
        return;
    }
    let Some(to_grid) = data
        .terrain
        .crs
        .and_then(|c| Crs::from_epsg(c.code))
        .and_then(|c| Transformer::new(Crs::Wgs84, c).ok())
    else {
        return;
    };
    let datum = scene.0.frame.origin().height_m;
    for row in impact.rows.iter_mut().filter(|r| r.level.is_none()) {
        let ground = to_grid
            .transform([row.lon_lat[0], row.lon_lat[1], 0.0])
            .ok()
            .map(|[x, y, _]| data.terrain.sample(x, y))
            .filter(|z| z.is_finite())
            .unwrap_or(datum);
        row.level = Some(ground + row.max_depth_m - datum);
    }
}

/// The outlines of what a run reached, as one retained gizmo (drawn again
/// only when the rows, their levels or the selection change).
#[derive(Component)]
pub(crate) struct ImpactOutlines;

// Cyan: apart from the water's blues, the outlines' warm colours and vector layers' default yellow.
const SELECTED: Color = Color::srgb(0.2, 1.0, 0.95);

/// A reached feature's outline colour: warm, to stand out of the blue
/// water: orange at the shallowest, crimson from 3 m.
pub fn impact_color(depth_m: f64) -> Color {
    let t = (depth_m / 3.0).clamp(0.0, 1.0) as f32;
    Color::srgb(1.0 - 0.2 * t, 0.6 * (1.0 - t) + 0.05 * t, 0.1 + 0.25 * t)
}

/// Outlines of the reached features at the water's surface (0.3 m above,
/// clear of the drawn water), coloured by depth ([`impact_color`]); the selected one cyan
/// with a mast 25 m high. Kept as a retained gizmo: tens of thousands of
/// outlines are not redrawn every frame.
#[allow(clippy::type_complexity)] // a Bevy system: its parameters are what it reads
pub(crate) fn draw_impact(
    mut commands: Commands,
    impact: Res<FloodImpact>,
    results: Option<Res<FloodResults>>,
    mut assets: ResMut<Assets<GizmoAsset>>,
    shown: Query<Entity, With<ImpactOutlines>>,
    mut drawn: Local<Option<(usize, Option<usize>, usize, Option<std::path::PathBuf>)>>,
) {
    let levelled = impact.rows.iter().filter(|r| r.level.is_some()).count();
    let key = (impact.rows.len(), impact.selected, levelled, results.as_ref().map(|r| r.0.clone()));
    if drawn.as_ref() == Some(&key) {
        return;
    }
    *drawn = Some(key);
    for entity in &shown {
        commands.entity(entity).despawn();
    }
    if results.is_none() || levelled == 0 {
        return;
    }
    let mut gizmo = GizmoAsset::new();
    for (i, row) in impact.rows.iter().enumerate() {
        let Some(level) = row.level else { continue };
        let z = level + 0.3;
        let selected = impact.selected == Some(i);
        let color = if selected { SELECTED } else { impact_color(row.max_depth_m) };
        for outline in &row.outlines {
            gizmo.linestrip(outline.iter().map(|p| enu_to_world([p[0], p[1], z])), color);
        }
        if selected {
            let [e, n] = row.centre();
            gizmo.line(enu_to_world([e, n, z]), enu_to_world([e, n, z + 25.0]), SELECTED);
            gizmo.sphere(Isometry3d::from_translation(enu_to_world([e, n, z + 25.0])), 1.5, SELECTED);
        }
    }
    commands.spawn((
        Name::new("flood impact outlines"),
        ImpactOutlines,
        Gizmo {
            handle: assets.add(gizmo),
            line_config: GizmoLineConfig { width: 2.5, ..default() },
            // In front of the water they stand in (see the measuring gizmos' bias).
            depth_bias: -0.5,
        },
        Transform::IDENTITY,
        GeoPosition([0.0; 3]),
        Visibility::default(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impact_rows_are_placed_in_the_scene_and_grouped_by_area() {
        let frame = EnuFrame::new(Geodetic::new(107.0, 16.0, 0.0));
        // 0.001° of longitude at 16° N: N(φ)·cos φ·0.001·π/180 = 6 379 760 m · 0.961 26 · 1.745e-5 = 107.03 m east.
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"layer":"b","id":"7","kind":"building","name":"Chợ","area":"Nam","max_depth_m":1.25,"arrival_h":0.5},
             "geometry":{"type":"Polygon","coordinates":[[[107.001,16.0],[107.001,16.0001],[107.0011,16.0001],[107.001,16.0]]]}},
            {"type":"Feature","properties":{"layer":"r","id":"1:2","kind":"road","name":null,"area":null,"max_depth_m":0.5,"arrival_h":null},
             "geometry":{"type":"LineString","coordinates":[[107.0,16.0],[107.0,16.001]]}},
            {"type":"Feature","properties":{"layer":"b","id":"9","kind":"building","name":"","area":"Nam","max_depth_m":0.2,"arrival_h":null},
             "geometry":{"type":"MultiPolygon","coordinates":[[[[107.0,16.0],[107.0001,16.0],[107.0,16.0001],[107.0,16.0]]]]}}
        ]}"#;
        let rows = parse_impact(text, &frame).unwrap();
        assert_eq!(rows.len(), 3);
        let east = rows[0].outlines[0][0];
        assert!((east[0] - 107.03).abs() < 0.1 && east[1].abs() < 0.01, "{east:?}");
        assert_eq!(
            (rows[0].label(), rows[0].arrival_h, rows[0].area.as_deref()),
            ("Chợ".to_owned(), Some(0.5), Some("Nam"))
        );
        assert_eq!(
            (rows[1].label(), rows[1].arrival_h, rows[1].outlines[0].len()),
            ("r 1:2".to_owned(), None, 2)
        );
        assert_eq!(rows[2].label(), "b 9");
        let impact = FloodImpact { rows, selected: None };
        // Orange when shallow, crimson from 3 m: green falls, and stays put past 3 m.
        let [shallow, deep, deeper] = [0.1, 3.0, 8.0].map(|d| impact_color(d).to_srgba());
        assert!(shallow.green > 0.5 && deep.green < 0.1 && deep.red > 0.75, "{shallow:?} {deep:?}");
        assert_eq!(deep, deeper);
        assert_eq!(impact.by_area(), vec![(Some("Nam"), vec![0, 2]), (None, vec![1])]);
    }
}
