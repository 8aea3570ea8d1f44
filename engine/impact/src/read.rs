//! A scene layer's features on the flood's grid: vector files (GeoJSON,
//! Shapefile, FlatGeobuf; GeoPackage natively) and CityJSON models, read
//! through the files a caller gives and taken from the layer's CRS (the
//! scene's `crs`, else the file's) into the grid's.

use std::path::Path;

use geo::{Coord, Geometry, LineString, MapCoords, MultiPolygon, Polygon, unary_union};
use sontinh_city::{CityModel, SurfaceClass};
use sontinh_geo::{Crs, Transformer, WktCrs};
use sontinh_scene::{FeatureFilter, FilterTest, ImpactAreas, Layer, LayerKind, LayerSource, Scene};
use sontinh_vector::{Value, VectorData};

use crate::{Areas, Feature, FeatureKind, ROAD_SEGMENT_M};

/// A file's bytes by path: from disk, or the files a page fetched.
pub type Files<'a> = &'a dyn Fn(&Path) -> Result<Vec<u8>, String>;

/// The buildings and road segments of layer `layer_id`, in `grid` CRS metres.
pub fn layer_features(scene: &Scene, layer_id: &str, grid: Crs, files: Files) -> Result<Vec<Feature>, String> {
    let layer = find_layer(scene, layer_id)?;
    let path = layer_path(layer)?;
    match layer.kind {
        LayerKind::Vector => {
            let data = read_vector(layer, path, files)?;
            let to_grid = vector_transformer(layer, path, &data, grid)?;
            let mut out = Vec::new();
            for (n, feature) in data.features.iter().enumerate() {
                if layer
                    .style
                    .filter
                    .as_ref()
                    .is_some_and(|f| !passes(f, feature.property(&f.attribute)))
                {
                    continue;
                }
                let geometry = to_grid_geometry(&feature.geometry, &to_grid)
                    .map_err(|e| format!("layer \"{layer_id}\" ({}), feature {}: {e}", path.display(), n + 1))?;
                let id = feature.property("id").and_then(value_text).unwrap_or_else(|| (n + 1).to_string());
                let label = layer.style.label.as_ref().map_or("name", |l| l.vi.as_str());
                let name = feature.property(label).or_else(|| feature.property("name")).and_then(value_text);
                push_features(&mut out, layer_id, &id, name, geometry);
            }
            Ok(out)
        }
        LayerKind::City => city_features(layer, path, grid, files),
        other => Err(format!(
            "layer \"{layer_id}\" is a {} layer: only vector and city layers have buildings and roads",
            other.id()
        )),
    }
}

/// The named polygons of an areas layer (communes), in `grid` CRS metres.
pub fn areas(scene: &Scene, areas: &ImpactAreas, grid: Crs, files: Files) -> Result<Areas, String> {
    let layer = find_layer(scene, &areas.layer)?;
    let path = layer_path(layer)?;
    let data = read_vector(layer, path, files)?;
    let to_grid = vector_transformer(layer, path, &data, grid)?;
    let mut named = Vec::new();
    for (n, feature) in data.features.iter().enumerate() {
        let what = || format!("areas layer \"{}\" ({}), feature {}", areas.layer, path.display(), n + 1);
        let name = feature
            .property(&areas.name_attribute)
            .and_then(value_text)
            .ok_or_else(|| format!("{}: no attribute \"{}\" to name the area", what(), areas.name_attribute))?;
        let geometry = to_grid_geometry(&feature.geometry, &to_grid).map_err(|e| format!("{}: {e}", what()))?;
        if !matches!(geometry, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
            return Err(format!(
                "{}: a {}, not a polygon",
                what(),
                sontinh_vector::geometry_type_name(&feature.geometry)
            ));
        }
        named.push((name, geometry));
    }
    Ok(Areas::new(&areas.layer, named))
}

fn find_layer<'a>(scene: &'a Scene, id: &str) -> Result<&'a Layer, String> {
    scene
        .layers
        .iter()
        .find(|l| l.id == id)
        .ok_or_else(|| format!("layer \"{id}\" is not in the scene"))
}

fn layer_path(layer: &Layer) -> Result<&Path, String> {
    match &layer.source {
        LayerSource::File(path) => Ok(path),
        LayerSource::Missing { reason, .. } => Err(format!("layer \"{}\": {reason}", layer.id)),
        _ => Err(format!("layer \"{}\" has no file to read features from", layer.id)),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

fn read_vector(layer: &Layer, path: &Path, files: Files) -> Result<VectorData, String> {
    let named = |e: sontinh_vector::VectorError| format!("layer \"{}\": {e}", layer.id);
    match extension(path).as_str() {
        "shp" => {
            let (shp, shx, dbf) = (
                files(path)?,
                files(&path.with_extension("shx"))?,
                files(&path.with_extension("dbf"))?,
            );
            // The .prj is only asked for when the scene does not name the CRS (a page would fetch it).
            let prj = match layer.crs {
                Some(_) => None,
                None => files(&path.with_extension("prj")).ok().and_then(|b| String::from_utf8(b).ok()),
            };
            sontinh_vector::read_shapefile_bytes(path, &shp, &shx, &dbf, prj.as_deref()).map_err(named)
        }
        #[cfg(not(target_arch = "wasm32"))]
        "gpkg" => sontinh_vector::read(path).map_err(named),
        #[cfg(target_arch = "wasm32")]
        "gpkg" => Err(format!(
            "layer \"{}\": GeoPackage is read natively only; use GeoJSON, a shapefile or FlatGeobuf in the browser",
            layer.id
        )),
        _ => sontinh_vector::read_bytes(path, &files(path)?).map_err(named),
    }
}

fn vector_transformer(layer: &Layer, path: &Path, data: &VectorData, grid: Crs) -> Result<Transformer, String> {
    let named = |e: sontinh_geo::CrsError| format!("layer \"{}\" ({}): {e}", layer.id, path.display());
    if let Some(crs) = layer.crs.or(data.crs) {
        return Transformer::new(crs, grid).map_err(named);
    }
    match &data.crs_definition {
        Some(wkt) => WktCrs::parse(wkt).and_then(|w| w.transformer_to(grid)).map_err(named),
        None => Err(format!(
            "layer \"{}\" ({}): the file names no CRS; give the layer a `crs`",
            layer.id,
            path.display()
        )),
    }
}

/// Whether a feature's value passes a layer's filter.
fn passes(filter: &FeatureFilter, value: Option<&Value>) -> bool {
    match &filter.test {
        FilterTest::OneOf(values) => value.and_then(value_text).is_some_and(|v| values.contains(&v)),
        FilterTest::Range { min, max } => {
            let number = match value {
                Some(Value::Int(i)) => Some(*i as f64),
                Some(Value::Float(f)) => Some(*f),
                Some(Value::Text(t)) => t.trim().parse().ok(),
                _ => None,
            };
            number.is_some_and(|v| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m))
        }
    }
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Text(t) => Some(t.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
    }
}

fn to_grid_geometry(g: &Geometry<f64>, to_grid: &Transformer) -> Result<Geometry<f64>, String> {
    g.try_map_coords(|c: Coord<f64>| to_grid.transform([c.x, c.y, 0.0]).map(|[x, y, _]| Coord { x, y }))
        .map_err(|e| e.to_string())
}

/// A feature's geometry as buildings (areas, points) and road segments (lines).
fn push_features(out: &mut Vec<Feature>, layer: &str, id: &str, name: Option<String>, geometry: Geometry<f64>) {
    let feature = |id: String, kind, geometry| Feature {
        layer: layer.to_owned(),
        id,
        name: name.clone(),
        kind,
        geometry,
    };
    match geometry {
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) | Geometry::Point(_) | Geometry::MultiPoint(_) => {
            out.push(feature(id.to_owned(), FeatureKind::Building, geometry));
        }
        Geometry::Rect(r) => out.push(feature(id.to_owned(), FeatureKind::Building, Geometry::Polygon(r.to_polygon()))),
        Geometry::Triangle(t) => out.push(feature(id.to_owned(), FeatureKind::Building, Geometry::Polygon(t.to_polygon()))),
        Geometry::Line(l) => push_segments(out, layer, id, &name, &[LineString::new(vec![l.start, l.end])]),
        Geometry::LineString(l) => push_segments(out, layer, id, &name, &[l]),
        Geometry::MultiLineString(m) => push_segments(out, layer, id, &name, &m.0),
        Geometry::GeometryCollection(c) => {
            for (k, member) in c.0.into_iter().enumerate() {
                push_features(out, layer, &format!("{id}.{}", k + 1), name.clone(), member);
            }
        }
    }
}

/// Lines cut into pieces of at most [`ROAD_SEGMENT_M`], numbered from 1 after the feature's id.
fn push_segments(out: &mut Vec<Feature>, layer: &str, id: &str, name: &Option<String>, lines: &[LineString<f64>]) {
    let mut k = 0;
    for line in lines {
        for piece in split_line(line, ROAD_SEGMENT_M) {
            k += 1;
            out.push(Feature {
                layer: layer.to_owned(),
                id: format!("{id}:{k}"),
                name: name.clone(),
                kind: FeatureKind::Road,
                geometry: Geometry::LineString(piece),
            });
        }
    }
}

/// A line cut into consecutive pieces no longer than `max_m`.
pub(crate) fn split_line(line: &LineString<f64>, max_m: f64) -> Vec<LineString<f64>> {
    let mut pieces = Vec::new();
    let mut current: Vec<Coord<f64>> = Vec::new();
    let mut length = 0.0;
    for segment in line.lines() {
        let (mut start, end) = (segment.start, segment.end);
        if current.is_empty() {
            current.push(start);
        }
        let mut left = (end.x - start.x).hypot(end.y - start.y);
        while length + left > max_m && left > 0.0 {
            let f = (max_m - length) / left;
            let cut = start + (end - start) * f;
            current.push(cut);
            pieces.push(LineString::new(std::mem::take(&mut current)));
            current.push(cut);
            left -= max_m - length;
            start = cut;
            length = 0.0;
        }
        length += left;
        current.push(end);
    }
    if current.len() >= 2 && length > 0.0 {
        pieces.push(LineString::new(current));
    }
    pieces
}

/// A CityJSON model's buildings (with their parts) and roads.
fn city_features(layer: &Layer, path: &Path, grid: Crs, files: Files) -> Result<Vec<Feature>, String> {
    let bytes = files(path)?;
    let model = CityModel::parse(&path.display().to_string(), &bytes).map_err(|e| format!("layer \"{}\": {e}", layer.id))?;
    let crs = match (layer.crs, &model.crs) {
        (Some(crs), _) => crs,
        (None, Some(c)) => c.horizontal,
        (None, None) => {
            return Err(format!(
                "layer \"{}\" ({}): the model names no reference system; give the layer a `crs`",
                layer.id,
                path.display()
            ));
        }
    };
    let to_grid = Transformer::new(crs, grid).map_err(|e| format!("layer \"{}\": {e}", layer.id))?;
    let mut positions: Vec<Option<Coord<f64>>> = vec![None; model.positions.len()];
    let mut at = |i: u32| -> Result<Coord<f64>, String> {
        let i = i as usize;
        if let Some(Some(c)) = positions.get(i) {
            return Ok(*c);
        }
        let p = model.positions.get(i).ok_or_else(|| format!("vertex {i} out of range"))?;
        let [x, y, _] = to_grid.transform(*p).map_err(|e| e.to_string())?;
        let c = Coord { x, y };
        positions[i] = Some(c);
        Ok(c)
    };
    let mut out = Vec::new();
    for object in &model.objects {
        let kind = match object.kind.as_str() {
            "Building" => FeatureKind::Building,
            "Road" | "Railway" | "TransportSquare" => FeatureKind::Road,
            _ => continue,
        };
        // A building's parts are its footprint; they are not reported on their own.
        let mut geometries: Vec<&sontinh_city::Geometry> = object.geometries.iter().collect();
        for child in &object.children {
            if let Some(part) = model.object(child).filter(|o| o.kind == "BuildingPart") {
                geometries.extend(&part.geometries);
            }
        }
        let wanted = if kind == FeatureKind::Building {
            SurfaceClass::Ground
        } else {
            SurfaceClass::Traffic
        };
        let has_wanted = geometries
            .iter()
            .any(|g| (0..g.triangles.len()).any(|t| g.triangle_class(t) == wanted));
        let mut triangles = Vec::new();
        for g in &geometries {
            for (t, tri) in g.triangles.iter().enumerate() {
                if has_wanted && g.triangle_class(t) != wanted {
                    continue;
                }
                let [a, b, c] = [at(tri[0]), at(tri[1]), at(tri[2])];
                let [a, b, c] = [a, b, c].map(|r| r.map_err(|e| format!("layer \"{}\", city object \"{}\": {e}", layer.id, object.id)));
                let (a, b, c) = (a?, b?, c?);
                // Walls seen from above have no area.
                if ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)).abs() / 2.0 > 1e-4 {
                    triangles.push(Polygon::new(LineString::new(vec![a, b, c, a]), vec![]));
                }
            }
        }
        if triangles.is_empty() {
            continue;
        }
        let footprint: MultiPolygon<f64> = unary_union(&triangles);
        let name = object.attributes.get("name").and_then(|v| v.as_str()).map(str::to_owned);
        out.push(Feature {
            layer: layer.id.clone(),
            id: object.id.clone(),
            name,
            kind,
            geometry: Geometry::MultiPolygon(footprint),
        });
    }
    Ok(out)
}
