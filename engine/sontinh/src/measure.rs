//! `sontinh measure`: the measurement tools' figures without a window, from
//! the same code (`sontinh-measure`), for reports and tests. Points are given
//! in any CRS the twin knows; a point's height, when not given, is what the
//! scene's terrain shows there (its DEM layers, first that covers it).

use std::path::PathBuf;

use serde_json::json;
use sontinh_geo::{Crs, Geodetic, Transformer};
use sontinh_measure::{Reference, Surface};
use sontinh_scene::{LayerKind, LayerSource, Scene};

/// Which figure to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    Point,
    Distance,
    Area,
    Profile,
    Volume,
}

/// What `sontinh measure` was asked.
#[derive(Debug)]
pub struct MeasureRequest {
    pub tool: Tool,
    pub scene: PathBuf,
    pub crs: String,
    pub points: Vec<String>,
    pub spacing_m: f64,
    /// Volume: the level to cut and fill against (else the lowest corner of the polygon).
    pub level: Option<f64>,
    /// Volume: a flood run's output folder; its maximum water level
    /// (terrain + maximum depth) is the reference over its own terrain.
    pub flood: Option<PathBuf>,
    pub json: bool,
}

/// A DEM layer of the scene as a height function of WGS84 positions.
struct DemSurface {
    id: String,
    raster: sontinh_raster::GeoRaster,
    from_wgs84: Transformer,
}

impl DemSurface {
    fn height(&self, g: Geodetic) -> Option<f64> {
        let p = self.from_wgs84.transform([g.lon_deg, g.lat_deg, 0.0]).ok()?;
        Some(self.raster.sample(p[0], p[1])).filter(|h| h.is_finite())
    }
}

fn scene_dems(scene: &Scene) -> Result<Vec<DemSurface>, String> {
    let mut dems = Vec::new();
    for layer in scene.layers.iter().filter(|l| l.kind == LayerKind::Terrain) {
        let LayerSource::File(path) = &layer.source else { continue };
        let raster = sontinh_raster::read(path).map_err(|e| format!("layer \"{}\": {e}", layer.id))?;
        let crs = match (layer.crs, raster.crs) {
            (Some(crs), _) => crs,
            (None, Some(epsg)) => Crs::from_epsg(epsg.code).ok_or_else(|| format!("layer \"{}\": EPSG:{} is not a system the twin knows", layer.id, epsg.code))?,
            (None, None) => return Err(format!("layer \"{}\": {} declares no CRS; give the layer a crs", layer.id, path.display())),
        };
        let from_wgs84 = Transformer::new(Crs::Wgs84, crs).map_err(|e| format!("layer \"{}\": {e}", layer.id))?;
        dems.push(DemSurface { id: layer.id.clone(), raster, from_wgs84 });
    }
    Ok(dems)
}

/// `X,Y` or `X,Y,Z`: finite numbers.
fn parse_point(text: &str, index: usize) -> Result<(f64, f64, Option<f64>), String> {
    if text.starts_with("--") {
        return Err(format!("\"{text}\" after --points is read as a point: give --points last"));
    }
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("point {} \"{text}\": expected X,Y or X,Y,Z (finite numbers)", index + 1))?;
    match numbers[..] {
        [x, y] => Ok((x, y, None)),
        [x, y, z] => Ok((x, y, Some(z))),
        _ => Err(format!("point {} \"{text}\": expected X,Y or X,Y,Z, got {} numbers", index + 1, numbers.len())),
    }
}

/// The points in WGS84 with their heights (given, or the terrain's).
fn resolve_points(request: &MeasureRequest, dems: &[DemSurface]) -> Result<Vec<Geodetic>, String> {
    let crs: Crs = request.crs.parse().map_err(|e| format!("--crs {}: {e}", request.crs))?;
    let to_wgs84 = Transformer::new(crs, Crs::Wgs84).map_err(|e| format!("--crs {}: {e}", request.crs))?;
    request
        .points
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (x, y, z) = parse_point(text, i)?;
            let g = to_wgs84.to_geodetic([x, y, z.unwrap_or(0.0)]).map_err(|e| format!("point {} \"{text}\": {e}", i + 1))?;
            if !g.is_valid() {
                return Err(format!("point {} \"{text}\": not a position in {}", i + 1, crs.id()));
            }
            let height = match z {
                Some(z) => z,
                None => dems.iter().find_map(|d| d.height(g)).ok_or_else(|| {
                    format!("point {} \"{text}\": no terrain layer of the scene covers it; give its height as X,Y,Z", i + 1)
                })?,
            };
            Ok(Geodetic::new(g.lon_deg, g.lat_deg, height))
        })
        .collect()
}

/// UTM zone of a longitude (1..60).
fn utm_zone(lon: f64) -> u16 {
    (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u16 + 1
}

fn point_figures(g: Geodetic) -> Result<serde_json::Value, String> {
    let zone = utm_zone(g.lon_deg);
    let code = if g.lat_deg >= 0.0 { 32600 + zone } else { 32700 + zone };
    let utm_crs = Crs::from_epsg(code).ok_or_else(|| format!("EPSG:{code} is not in the EPSG table"))?;
    let utm = Transformer::new(Crs::Wgs84, utm_crs).and_then(|t| t.transform([g.lon_deg, g.lat_deg, g.height_m])).map_err(|e| e.to_string())?;
    let vn = Transformer::new(Crs::Wgs84, Crs::Vn2000QuangTri)
        .and_then(|t| t.transform([g.lon_deg, g.lat_deg, g.height_m]))
        .map_err(|e| e.to_string())?;
    Ok(json!({
        "lon": g.lon_deg, "lat": g.lat_deg, "height_m": g.height_m,
        "utm": { "crs": format!("EPSG:{code}"), "easting": utm[0], "northing": utm[1] },
        "vn2000_quang_tri": { "crs": Crs::Vn2000QuangTri.id(), "easting": vn[0], "northing": vn[1] },
    }))
}

/// Runs the tool; text or JSON.
pub fn measure(request: &MeasureRequest) -> Result<String, String> {
    let scene = sontinh_scene::load(&request.scene).map_err(|e| e.to_string())?;
    let dems = scene_dems(&scene)?;
    let points = resolve_points(request, &dems)?;
    let value = compute(request, &points, &dems)?;
    if request.json {
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    Ok(text(request.tool, &value))
}

fn compute(request: &MeasureRequest, points: &[Geodetic], dems: &[DemSurface]) -> Result<serde_json::Value, String> {
    let e = |e: sontinh_measure::MeasureError| e.to_string();
    Ok(match request.tool {
        Tool::Point => json!({ "points": points.iter().map(|p| point_figures(*p)).collect::<Result<Vec<_>, _>>()? }),
        Tool::Distance => {
            let line = sontinh_measure::polyline(points).map_err(e)?;
            json!({
                "horizontal_m": line.horizontal_m, "slope_m": line.slope_m, "height_difference_m": line.height_difference_m,
                "legs": line.legs.iter().map(|l| json!({ "horizontal_m": l.horizontal_m, "slope_m": l.slope_m, "height_change_m": l.height_change_m, "azimuth_deg": l.azimuth_deg })).collect::<Vec<_>>(),
            })
        }
        Tool::Area => {
            let figures = sontinh_measure::polygon(points).map_err(e)?;
            let surface = match dems.first() {
                Some(dem) => {
                    let height = |g: Geodetic| dem.height(g);
                    let s = sontinh_measure::surface_area(points, &height, request.spacing_m).map_err(e)?;
                    json!({ "layer": dem.id, "surface_m2": s.surface_m2, "horizontal_m2": s.horizontal_m2, "cells": s.cells, "cells_without_surface": s.cells_without_surface, "spacing_m": request.spacing_m })
                }
                None => serde_json::Value::Null,
            };
            json!({ "horizontal_m2": figures.horizontal_m2, "perimeter_m": figures.perimeter_m, "surface": surface })
        }
        Tool::Profile => {
            let heights: Vec<Box<dyn Fn(Geodetic) -> Option<f64> + '_>> = dems.iter().map(|d| Box::new(move |g| d.height(g)) as Box<dyn Fn(Geodetic) -> Option<f64>>).collect();
            let layers: Vec<Surface> = heights.iter().map(|h| h.as_ref() as Surface).collect();
            let samples = sontinh_measure::profile(points, request.spacing_m, &layers).map_err(e)?;
            json!({
                "spacing_m": request.spacing_m,
                "layers": dems.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
                "samples": samples.iter().map(|s| json!({
                    "lon": s.lon, "lat": s.lat, "distance_m": s.distance_m,
                    "heights": dems.iter().zip(&s.heights).map(|(d, h)| (d.id.clone(), json!(h))).collect::<serde_json::Map<_, _>>(),
                })).collect::<Vec<_>>(),
            })
        }
        Tool::Volume if request.flood.is_some() => {
            let dir = request.flood.as_deref().unwrap_or(std::path::Path::new("."));
            let read = |name: &str| sontinh_raster::read(&dir.join(name)).map_err(|e| format!("--flood {}: {e}", dir.display()));
            let (terrain, depth) = (read("terrain.tif")?, read("max_depth.tif")?);
            let crs = terrain
                .crs
                .and_then(|c| Crs::from_epsg(c.code))
                .ok_or_else(|| format!("--flood {}: terrain.tif has no CRS the twin knows", dir.display()))?;
            let from_wgs84 = Transformer::new(Crs::Wgs84, crs).map_err(|e| e.to_string())?;
            let at = |raster: &sontinh_raster::GeoRaster, g: Geodetic| {
                let p = from_wgs84.transform([g.lon_deg, g.lat_deg, 0.0]).ok()?;
                Some(raster.sample(p[0], p[1])).filter(|h| h.is_finite())
            };
            let ground = |g: Geodetic| at(&terrain, g);
            // Dry cells have the water level of their ground: no volume.
            let water = |g: Geodetic| Some(at(&terrain, g)? + at(&depth, g)?.max(0.0));
            let v = sontinh_measure::volume(points, &ground, &Reference::Surface(&water), request.spacing_m).map_err(e)?;
            json!({ "layer": "flood terrain", "flood": dir.display().to_string(), "water_m3": v.fill_m3, "cut_m3": v.cut_m3, "fill_m3": v.fill_m3, "horizontal_m2": v.horizontal_m2, "cells": v.cells, "cells_without_surface": v.cells_without_surface, "spacing_m": request.spacing_m })
        }
        Tool::Volume => {
            let dem = dems.first().ok_or("a volume needs a terrain layer (a DEM) in the scene, or a flood run's folder (--flood)")?;
            let height = |g: Geodetic| dem.height(g);
            let level = request.level.unwrap_or_else(|| points.iter().map(|p| p.height_m).fold(f64::INFINITY, f64::min));
            let v = sontinh_measure::volume(points, &height, &Reference::Plane(level), request.spacing_m).map_err(e)?;
            json!({ "layer": dem.id, "level_m": level, "cut_m3": v.cut_m3, "fill_m3": v.fill_m3, "horizontal_m2": v.horizontal_m2, "cells": v.cells, "cells_without_surface": v.cells_without_surface, "spacing_m": request.spacing_m })
        }
    })
}

fn text(tool: Tool, v: &serde_json::Value) -> String {
    let f = |key: &str| v[key].as_f64().unwrap_or(f64::NAN);
    match tool {
        Tool::Point => v["points"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .enumerate()
                    .map(|(i, p)| {
                        format!(
                            "Point {}: {:.7}° E, {:.7}° N, height {:.2} m; {} {:.2} E {:.2} N; VN-2000 Quảng Trị {:.2} E {:.2} N\n",
                            i + 1,
                            p["lon"].as_f64().unwrap_or(f64::NAN),
                            p["lat"].as_f64().unwrap_or(f64::NAN),
                            p["height_m"].as_f64().unwrap_or(f64::NAN),
                            p["utm"]["crs"].as_str().unwrap_or(""),
                            p["utm"]["easting"].as_f64().unwrap_or(f64::NAN),
                            p["utm"]["northing"].as_f64().unwrap_or(f64::NAN),
                            p["vn2000_quang_tri"]["easting"].as_f64().unwrap_or(f64::NAN),
                            p["vn2000_quang_tri"]["northing"].as_f64().unwrap_or(f64::NAN),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Tool::Distance => format!(
            "Distance: {:.3} m horizontal (WGS84 ellipsoid), {:.3} m in 3D, height difference {:+.3} m\n",
            f("horizontal_m"),
            f("slope_m"),
            f("height_difference_m")
        ),
        Tool::Area => {
            let mut out = format!("Area: {:.2} m² horizontal (WGS84 ellipsoid), perimeter {:.2} m\n", f("horizontal_m2"), f("perimeter_m"));
            if let Some(s) = v["surface"].as_object() {
                out += &format!(
                    "On the surface of \"{}\": {:.2} m² over {:.2} m² ({} cells of {} m)\n",
                    s["layer"].as_str().unwrap_or(""),
                    s["surface_m2"].as_f64().unwrap_or(f64::NAN),
                    s["horizontal_m2"].as_f64().unwrap_or(f64::NAN),
                    s["cells"],
                    s["spacing_m"]
                );
            }
            out
        }
        Tool::Profile => {
            let layers: Vec<String> = v["layers"].as_array().map(|a| a.iter().filter_map(|l| l.as_str().map(str::to_owned)).collect()).unwrap_or_default();
            let mut out = format!("distance_m,lon,lat{}\n", layers.iter().map(|l| format!(",{l}_m")).collect::<String>());
            for s in v["samples"].as_array().into_iter().flatten() {
                out += &format!("{:.3},{:.8},{:.8}", s["distance_m"].as_f64().unwrap_or(f64::NAN), s["lon"].as_f64().unwrap_or(f64::NAN), s["lat"].as_f64().unwrap_or(f64::NAN));
                for l in &layers {
                    match s["heights"][l].as_f64() {
                        Some(h) => out += &format!(",{h:.3}"),
                        None => out.push(','),
                    }
                }
                out.push('\n');
            }
            out
        }
        Tool::Volume if v.get("water_m3").is_some() => format!(
            "Water at the flood's maximum over {:.2} m²: {:.2} m³ ({})\n",
            f("horizontal_m2"),
            f("water_m3"),
            v["flood"].as_str().unwrap_or("")
        ),
        Tool::Volume => format!(
            "Volume against {:.3} m over {:.2} m² of \"{}\": cut {:.2} m³, fill {:.2} m³\n",
            f("level_m"),
            f("horizontal_m2"),
            v["layer"].as_str().unwrap_or(""),
            f("cut_m3"),
            f("fill_m3")
        ),
    }
}
