//! A CityJSON model's objects made into chunks: each object at its most
//! detailed level, its surfaces coloured by their semantics.

use sontinh_city::{CityModel, CityObject, SurfaceClass};
use sontinh_geo::EnuFrame;
use sontinh_scene::VectorStyle;

use crate::style::{AttributeValue, color_attribute, feature_color, passes, to_linear};
use crate::{Built, ChunkGrid, FeatureInfo, renumber_features};

/// The colour (sRGB) of a surface by its semantic class, or by its object's
/// type where the surface has no semantics: roofs tile-red, walls plaster,
/// water blue, roads asphalt, vegetation green.
pub fn semantic_color(class: SurfaceClass, kind: &str) -> [f32; 4] {
    match class {
        SurfaceClass::Roof | SurfaceClass::OuterCeiling => [0.66, 0.30, 0.24, 1.0],
        SurfaceClass::Wall | SurfaceClass::Closure => [0.86, 0.83, 0.77, 1.0],
        SurfaceClass::Ground | SurfaceClass::OuterFloor => [0.45, 0.43, 0.40, 1.0],
        SurfaceClass::Window => [0.35, 0.50, 0.62, 1.0],
        SurfaceClass::Door => [0.45, 0.32, 0.22, 1.0],
        SurfaceClass::Water => [0.20, 0.45, 0.72, 1.0],
        SurfaceClass::Traffic => [0.36, 0.36, 0.38, 1.0],
        SurfaceClass::Interior | SurfaceClass::Other | SurfaceClass::Unclassified => by_type(kind),
    }
}

fn by_type(kind: &str) -> [f32; 4] {
    match kind {
        "Building" | "BuildingPart" | "BuildingInstallation" => [0.86, 0.83, 0.77, 1.0],
        "Road" | "Railway" | "TransportSquare" | "Waterway" => [0.36, 0.36, 0.38, 1.0],
        "WaterBody" => [0.20, 0.45, 0.72, 1.0],
        "PlantCover" | "SolitaryVegetationObject" => [0.30, 0.55, 0.25, 1.0],
        "LandUse" => [0.78, 0.75, 0.60, 1.0],
        "Bridge" | "BridgePart" | "Tunnel" | "TunnelPart" => [0.62, 0.62, 0.60, 1.0],
        _ => [0.70, 0.70, 0.74, 1.0],
    }
}

fn attribute_value(v: &serde_json::Value) -> AttributeValue {
    match v {
        serde_json::Value::String(s) => AttributeValue::new(s.clone(), None),
        serde_json::Value::Number(n) => AttributeValue::new(n.to_string(), n.as_f64()),
        serde_json::Value::Null => AttributeValue::new(String::new(), None),
        other => AttributeValue::new(other.to_string(), None),
    }
}

/// The geometries of an object's most detailed level (all, when no level is written).
fn most_detailed(object: &CityObject) -> Vec<&sontinh_city::Geometry> {
    let level = |g: &sontinh_city::Geometry| g.lod.as_deref().and_then(|l| l.parse::<f64>().ok()).unwrap_or(0.0);
    let best = object.geometries.iter().map(level).fold(f64::NEG_INFINITY, f64::max);
    object.geometries.iter().filter(|g| level(g) == best).collect()
}

/// Makes a city model drawable in the scene's frame.
pub fn build_city(model: &CityModel, style: &VectorStyle, frame: &EnuFrame, progress: &mut dyn FnMut(f32)) -> Result<Built, String> {
    let positions = model.positions_in(frame).map_err(|e| e.to_string())?;
    let at = |i: u32| {
        positions
            .get(i as usize)
            .copied()
            .ok_or_else(|| format!("{}: vertex {i} is out of range", model.file))
    };
    let mut built = Built::default();
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &positions {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    if positions.is_empty() {
        return Ok(built);
    }
    let mut grid = ChunkGrid::new(lo, hi);
    let colour_attribute = color_attribute(style);
    let total = model.objects.len().max(1);
    for (n, object) in model.objects.iter().enumerate() {
        if n % 512 == 0 {
            progress(n as f32 / total as f32);
        }
        let geometries = most_detailed(object);
        let drawable = geometries.iter().any(|g| !g.triangles.is_empty() || !g.lines.is_empty());
        if object.geometries.is_empty() {
            continue; // a parent whose parts carry the geometry
        }
        let value_of = |name: &str| object.attributes.get(name).map(attribute_value);
        if let Some(filter) = &style.filter
            && !passes(filter, value_of(&filter.attribute).as_ref())
        {
            built.filtered_out += 1;
            continue;
        }
        if !drawable {
            built.empty += 1;
            continue;
        }
        let mut fmin = [f64::INFINITY; 3];
        let mut fmax = [f64::NEG_INFINITY; 3];
        for g in &geometries {
            for i in g.triangles.iter().flatten().chain(g.lines.iter().flatten()) {
                let p = at(*i)?;
                for k in 0..3 {
                    fmin[k] = fmin[k].min(p[k]);
                    fmax[k] = fmax[k].max(p[k]);
                }
            }
        }
        let centre = [(fmin[0] + fmax[0]) / 2.0, (fmin[1] + fmax[1]) / 2.0, fmin[2]];
        let chunk = grid.chunk_at(centre);
        let feature = built.features.len() as u32;
        let override_color = style
            .color_by
            .as_ref()
            .map(|_| feature_color(style, colour_attribute.and_then(value_of).as_ref()));
        for g in &geometries {
            for (t, tri) in g.triangles.iter().enumerate() {
                let color = override_color.unwrap_or_else(|| semantic_color(g.triangle_class(t), &object.kind));
                grid.solid(chunk, [at(tri[0])?, at(tri[1])?, at(tri[2])?], to_linear(color), feature)?;
            }
            for line in &g.lines {
                let points = line.iter().map(|&i| at(i)).collect::<Result<Vec<_>, _>>()?;
                grid.polyline(
                    chunk,
                    &points,
                    to_linear(override_color.unwrap_or_else(|| by_type(&object.kind))),
                    feature,
                )?;
            }
        }
        let label = style.label.as_ref().and_then(|l| crate::style::label(l, value_of));
        let mut attributes: Vec<(String, String)> = object
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), attribute_value(v).text))
            .collect();
        if let Some(lod) = geometries.iter().find_map(|g| g.lod.clone()) {
            attributes.insert(0, ("LoD".to_owned(), lod));
        }
        built.features.push(FeatureInfo {
            id: object.id.clone(),
            kind: object.kind.clone(),
            attributes,
            label,
            anchor: [centre[0], centre[1], fmax[2]],
            min: fmin,
            max: fmax,
            chunk,
        });
    }
    let (chunks, renumber) = grid.finish();
    renumber_features(&mut built.features, &renumber);
    built.chunks = chunks;
    progress(1.0);
    Ok(built)
}
