//! `sontinh measure`: the measurement tools' figures without a window, from
//! the same code (`sontinh-measure`), for reports and tests. Points are given
//! in any CRS the twin knows; a point's height, when not given, is what the
//! scene shows there: the highest surface of its visible terrain (DEM),
//! model (GLB, OBJ) and generated layers, each placed as the viewer places
//! it. Point clouds and 3D Tiles are not surfaces here.

use std::path::PathBuf;

use serde_json::json;
use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};
use sontinh_measure::{Reference, Surface};
use sontinh_mesh::{Pose, TopSurface};
use sontinh_scene::{Anchor, Generator, Layer, LayerKind, LayerSource, Placement, Scene};

/// Which figure to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    Point,
    Distance,
    Area,
    Profile,
    Volume,
    /// A model or generated layer's bounding box in the scene's frame (`--layer`).
    Bounds,
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
    /// Bounds: the layer's id.
    pub layer: Option<String>,
    pub json: bool,
}

/// How a layer's height is found.
enum Shape {
    /// A DEM sampled in its own CRS.
    Dem(sontinh_terrain::DemHeights),
    /// Triangles placed in the scene's ENU frame.
    Mesh { surface: TopSurface, frame: EnuFrame },
}

/// One visible layer of the scene as a height function of WGS84 positions.
pub struct LayerSurface {
    pub id: String,
    shape: Shape,
}

impl LayerSurface {
    /// The layer's height (metres above the ellipsoid, as the scene's
    /// heights are) at `g`'s longitude and latitude; `None` where it has none.
    pub fn height(&self, g: Geodetic) -> Option<f64> {
        match &self.shape {
            Shape::Dem(dem) => dem.height(g.lon_deg, g.lat_deg),
            Shape::Mesh { surface, frame } => mesh_height(surface, frame, g),
        }
    }
}

/// Where the ellipsoid's normal through `g`'s longitude and latitude meets
/// the highest triangle: the ENU vertical is followed, then the position
/// re-aimed along the normal at the height found (the two part by metres
/// per thousand kilometres, so two rounds are exact to the micrometre).
fn mesh_height(surface: &TopSurface, frame: &EnuFrame, g: Geodetic) -> Option<f64> {
    let mut h = frame.origin().height_m;
    for _ in 0..4 {
        let at = frame.geodetic_to_enu(Geodetic::new(g.lon_deg, g.lat_deg, h));
        let u = surface.height(at[0], at[1])?;
        let step = u - at[2];
        h += step;
        if step.abs() < 1e-9 {
            break;
        }
    }
    Some(h)
}

/// The visible layers that have a surface, as height functions.
pub struct SceneSurfaces {
    pub layers: Vec<LayerSurface>,
}

impl SceneSurfaces {
    /// Reads every visible terrain, model and generated layer of `scene`.
    pub fn load(scene: &Scene) -> Result<Self, String> {
        let mut layers = Vec::new();
        for layer in scene.layers.iter().filter(|l| l.visible) {
            let shape = match (layer.kind, &layer.source) {
                (LayerKind::Terrain, LayerSource::File(path)) => dem(layer, path)?,
                (LayerKind::Mesh | LayerKind::Procedural, _) => {
                    let Some(surface) = placed_layer(layer)?.map(|p| TopSurface::new(p.vertices, &p.indices)) else { continue };
                    Shape::Mesh { surface, frame: scene.frame }
                }
                _ => continue,
            };
            layers.push(LayerSurface { id: layer.id.clone(), shape });
        }
        Ok(Self { layers })
    }

    /// The highest surface of every layer at `g`.
    pub fn top(&self, g: Geodetic) -> Option<f64> {
        self.layers.iter().filter_map(|l| l.height(g)).reduce(f64::max)
    }

    /// The layers' ids, for reports.
    fn names(&self) -> String {
        self.layers.iter().map(|l| l.id.as_str()).collect::<Vec<_>>().join(", ")
    }
}

fn dem(layer: &Layer, path: &std::path::Path) -> Result<Shape, String> {
    let raster = sontinh_raster::read(path).map_err(|e| format!("layer \"{}\": {e}", layer.id))?;
    let dem = sontinh_terrain::DemHeights::new(raster, layer.crs).map_err(|e| format!("layer \"{}\": {}: {e}", layer.id, path.display()))?;
    Ok(Shape::Dem(dem))
}

/// A model or generated layer's triangles in the scene's ENU frame.
pub struct PlacedLayer {
    pub vertices: Vec<[f64; 3]>,
    pub indices: Vec<u32>,
}

impl PlacedLayer {
    fn push(&mut self, positions: &[[f32; 3]], indices: &[u32], pose: &Pose) {
        let base = self.vertices.len() as u32;
        self.vertices.extend(positions.iter().map(|v| pose.apply(v.map(f64::from))));
        self.indices.extend(indices.iter().map(|i| base.saturating_add(*i)));
    }

    /// The bounds of every vertex: (min, max) east, north, up.
    pub fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        sontinh_mesh::bounds_of(self.vertices.iter().copied())
    }
}

/// The viewer's placement of a layer (`sontinh_layers::placement_transform`,
/// with a base-anchored model shifted by the centre of its bounds' base as
/// `sontinh_layers` shifts it), as a pose of its content.
pub fn pose(placement: &Placement, anchor: [f64; 3]) -> Pose {
    Pose {
        anchor,
        position: placement.enu,
        heading_deg: placement.heading_deg,
        pitch_deg: placement.pitch_deg,
        roll_deg: placement.roll_deg,
        scale: placement.scale,
    }
}

/// Reads a model (GLB, OBJ) or generated layer and places its triangles;
/// `None` for layers of other kinds or sources.
pub fn placed_layer(layer: &Layer) -> Result<Option<PlacedLayer>, String> {
    let mut placed = PlacedLayer { vertices: Vec::new(), indices: Vec::new() };
    match (&layer.source, layer.kind) {
        (LayerSource::Generator(Generator::QuangTriCitadel), _) => {
            let pose = pose(&layer.placement, [0.0; 3]);
            for part in sontinh_procgen::citadel::generate(&sontinh_procgen::citadel::Layout::default(), &mut |_| {}) {
                placed.push(&part.mesh.positions, &part.mesh.indices, &pose);
            }
        }
        (LayerSource::File(path), LayerKind::Mesh) => {
            let model = sontinh_mesh::read_file(path).map_err(|e| format!("layer \"{}\": {}: {e}", layer.id, path.display()))?;
            let anchor = match layer.placement.anchor {
                Anchor::Origin => [0.0; 3],
                Anchor::Base => model.base_centre().map(f64::from),
            };
            let pose = pose(&layer.placement, anchor);
            for p in &model.primitives {
                placed.push(&p.positions, &p.indices, &pose);
            }
        }
        (LayerSource::Missing { reason, .. }, _) => return Err(format!("layer \"{}\": {reason}", layer.id)),
        _ => return Ok(None),
    }
    Ok(Some(placed))
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

/// A point as given: WGS84 position, and its height if it was given.
fn parse_points(request: &MeasureRequest) -> Result<Vec<(Geodetic, Option<f64>)>, String> {
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
            Ok((g, z.map(|_| g.height_m)))
        })
        .collect()
}

/// The points in WGS84 with their heights (given, or the scene's highest surface there).
fn resolve_points(request: &MeasureRequest, given: &[(Geodetic, Option<f64>)], surfaces: &SceneSurfaces) -> Result<Vec<Geodetic>, String> {
    given
        .iter()
        .enumerate()
        .map(|(i, (g, z))| {
            let height = match z {
                Some(z) => *z,
                None => surfaces.top(*g).ok_or_else(|| {
                    format!(
                        "point {} \"{}\": no visible terrain, model or generated layer of the scene covers it; give its height as X,Y,Z",
                        i + 1,
                        request.points[i]
                    )
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
    let value = if request.tool == Tool::Bounds {
        let id = request.layer.as_deref().ok_or("bounds: name the layer with --layer ID")?;
        bounds(&scene, id)?
    } else {
        if request.points.is_empty() {
            return Err("give the points with --points".into());
        }
        let given = parse_points(request)?;
        // Layers are read only when a figure needs a surface.
        let needs_surfaces = given.iter().any(|(_, z)| z.is_none()) || matches!(request.tool, Tool::Area | Tool::Profile) || (request.tool == Tool::Volume && request.flood.is_none());
        let surfaces = if needs_surfaces { SceneSurfaces::load(&scene)? } else { SceneSurfaces { layers: Vec::new() } };
        let points = resolve_points(request, &given, &surfaces)?;
        compute(request, &points, &surfaces)?
    };
    if request.json {
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    Ok(text(request.tool, &value))
}

/// A model or generated layer's bounding box in the scene's ENU frame,
/// placed as the viewer places it, with its size and its corners in WGS84.
fn bounds(scene: &Scene, id: &str) -> Result<serde_json::Value, String> {
    let layer = scene.layers.iter().find(|l| l.id == id).ok_or_else(|| {
        format!("--layer {id}: the scene has no such layer (its layers: {})", scene.layers.iter().map(|l| l.id.as_str()).collect::<Vec<_>>().join(", "))
    })?;
    let placed = placed_layer(layer)?.ok_or_else(|| format!("--layer {id}: a {} layer; bounds are given for model and generated layers", layer.kind.id()))?;
    let (min, max) = placed.bounds().ok_or_else(|| format!("--layer {id}: the layer has no vertices"))?;
    let centre = [0, 1, 2].map(|i| (min[i] + max[i]) / 2.0);
    let corner = |p: [f64; 3]| {
        let g = scene.frame.enu_to_geodetic(p);
        json!({ "lon": g.lon_deg, "lat": g.lat_deg, "height_m": g.height_m })
    };
    Ok(json!({
        "layer": id,
        "kind": layer.kind.id(),
        "frame": "scene ENU (east, north, up metres from the scene origin)",
        "min": min, "max": max,
        "size_m": [max[0] - min[0], max[1] - min[1], max[2] - min[2]],
        "centre": centre,
        "min_wgs84": corner(min), "max_wgs84": corner(max),
    }))
}

/// An elevation profile of every surface layer along `points` (what
/// `sontinh measure profile` prints as JSON), for the command and benches.
pub fn profile(points: &[Geodetic], spacing_m: f64, surfaces: &SceneSurfaces) -> Result<serde_json::Value, String> {
    let heights: Vec<Box<dyn Fn(Geodetic) -> Option<f64> + '_>> = surfaces.layers.iter().map(|l| Box::new(move |g| l.height(g)) as Box<dyn Fn(Geodetic) -> Option<f64>>).collect();
    let layers: Vec<Surface> = heights.iter().map(|h| h.as_ref() as Surface).collect();
    let samples = sontinh_measure::profile(points, spacing_m, &layers).map_err(|e| e.to_string())?;
    Ok(json!({
        "spacing_m": spacing_m,
        "layers": surfaces.layers.iter().map(|l| l.id.clone()).collect::<Vec<_>>(),
        "samples": samples.iter().map(|s| json!({
            "lon": s.lon, "lat": s.lat, "distance_m": s.distance_m,
            "heights": surfaces.layers.iter().zip(&s.heights).map(|(l, h)| (l.id.clone(), json!(h))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    }))
}

fn compute(request: &MeasureRequest, points: &[Geodetic], surfaces: &SceneSurfaces) -> Result<serde_json::Value, String> {
    let e = |e: sontinh_measure::MeasureError| e.to_string();
    let top = |g: Geodetic| surfaces.top(g);
    Ok(match request.tool {
        Tool::Bounds => return Err("bounds: name the layer with --layer ID".into()),
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
            let surface = if surfaces.layers.is_empty() {
                serde_json::Value::Null
            } else {
                let s = sontinh_measure::surface_area(points, &top, request.spacing_m).map_err(e)?;
                json!({ "layer": surfaces.names(), "surface_m2": s.surface_m2, "horizontal_m2": s.horizontal_m2, "cells": s.cells, "cells_without_surface": s.cells_without_surface, "spacing_m": request.spacing_m })
            };
            json!({ "horizontal_m2": figures.horizontal_m2, "perimeter_m": figures.perimeter_m, "surface": surface })
        }
        Tool::Profile => profile(points, request.spacing_m, surfaces)?,
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
            if surfaces.layers.is_empty() {
                return Err("a volume needs a surface in the scene (a terrain, model or generated layer, visible), or a flood run's folder (--flood)".into());
            }
            let level = request.level.unwrap_or_else(|| points.iter().map(|p| p.height_m).fold(f64::INFINITY, f64::min));
            let v = sontinh_measure::volume(points, &top, &Reference::Plane(level), request.spacing_m).map_err(e)?;
            json!({ "layer": surfaces.names(), "level_m": level, "cut_m3": v.cut_m3, "fill_m3": v.fill_m3, "horizontal_m2": v.horizontal_m2, "cells": v.cells, "cells_without_surface": v.cells_without_surface, "spacing_m": request.spacing_m })
        }
    })
}

fn text(tool: Tool, v: &serde_json::Value) -> String {
    let f = |key: &str| v[key].as_f64().unwrap_or(f64::NAN);
    match tool {
        Tool::Bounds => {
            let axis = |key: &str, i: usize| v[key][i].as_f64().unwrap_or(f64::NAN);
            format!(
                "Layer \"{}\" in the scene's frame: east {:.3}..{:.3} m, north {:.3}..{:.3} m, up {:.3}..{:.3} m; {:.3} × {:.3} × {:.3} m (east × north × up)\n",
                v["layer"].as_str().unwrap_or(""),
                axis("min", 0),
                axis("max", 0),
                axis("min", 1),
                axis("max", 1),
                axis("min", 2),
                axis("max", 2),
                axis("size_m", 0),
                axis("size_m", 1),
                axis("size_m", 2)
            )
        }
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
