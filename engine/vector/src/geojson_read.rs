//! GeoJSON (RFC 7946, and the older `crs` member GDAL still writes) through
//! the `geojson` crate; its geometries are turned into `geo_types` here, each
//! position and ring checked (the crate's own conversion assumes them).

use std::path::Path;

use geo_types::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use geojson::{GeoJson, GeometryValue, Position};

use crate::{Crs, Feature, Value, VectorData, VectorError};

pub(crate) fn read(path: &Path, bytes: &[u8]) -> Result<VectorData, VectorError> {
    let text = std::str::from_utf8(bytes).map_err(|e| VectorError::malformed(path, format!("GeoJSON that is not UTF-8 ({e})")))?;
    let text = text.trim_start_matches('\u{feff}');
    let parsed: GeoJson = text
        .parse()
        .map_err(|e| VectorError::malformed(path, format!("not GeoJSON: {e}")))?;
    let mut data = VectorData {
        driver: crate::Driver::GeoJson,
        // RFC 7946: longitude, latitude on WGS 84 unless a (pre-RFC) `crs` member says otherwise.
        crs: Some(Crs::Wgs84),
        crs_definition: None,
        features: Vec::new(),
        skipped: 0,
    };
    match parsed {
        GeoJson::FeatureCollection(collection) => {
            if let Some(name) = collection.foreign_members.as_ref().and_then(crs_member_name) {
                data.crs = crate::crs::from_name_or_urn(&name);
                if data.crs.is_none() {
                    return Err(VectorError::unsupported(
                        path,
                        format!("the GeoJSON crs {name:?} (not a system sontinh knows)"),
                    ));
                }
                data.crs_definition = Some(name);
            }
            data.features.reserve(collection.features.len());
            for (index, feature) in collection.features.into_iter().enumerate() {
                push_feature(path, index, feature.geometry, feature.properties, &mut data)?;
            }
        }
        GeoJson::Feature(feature) => push_feature(path, 0, feature.geometry, feature.properties, &mut data)?,
        GeoJson::Geometry(geometry) => push_feature(path, 0, Some(geometry), None, &mut data)?,
    }
    Ok(data)
}

fn crs_member_name(members: &geojson::JsonObject) -> Option<String> {
    let crs = members.get("crs")?;
    crs.get("properties")?.get("name")?.as_str().map(str::to_owned)
}

fn push_feature(
    path: &Path,
    index: usize,
    geometry: Option<geojson::Geometry>,
    properties: Option<geojson::JsonObject>,
    data: &mut VectorData,
) -> Result<(), VectorError> {
    let Some(geometry) = geometry else {
        data.skipped += 1;
        return Ok(());
    };
    let geometry = convert(&geometry.value).map_err(|what| VectorError::malformed(path, format!("feature {index}: {what}")))?;
    let properties = properties
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, json_value(value)))
        .collect();
    data.features.push(Feature { geometry, properties });
    Ok(())
}

fn json_value(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Null, Value::Float),
        },
        serde_json::Value::String(s) => Value::Text(s),
        other => Value::Text(other.to_string()),
    }
}

fn coord(p: &Position) -> Result<Coord<f64>, String> {
    match p.as_slice() {
        [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
        [_, _, ..] => Err("a position that is not a finite number".to_owned()),
        _ => Err(format!("a position with {} number(s), not at least 2", p.len())),
    }
}

fn line(points: &[Position], least: usize, what: &str) -> Result<LineString<f64>, String> {
    if points.len() < least {
        return Err(format!("a {what} of {} position(s) (at least {least} needed)", points.len()));
    }
    points.iter().map(coord).collect::<Result<Vec<_>, _>>().map(LineString::new)
}

fn polygon(rings: &[Vec<Position>]) -> Result<Polygon<f64>, String> {
    let Some((exterior, holes)) = rings.split_first() else {
        return Err("a polygon without rings".to_owned());
    };
    let exterior = ring(exterior)?;
    let holes = holes.iter().map(|r| ring(r)).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn ring(points: &[Position]) -> Result<LineString<f64>, String> {
    let ring = line(points, 4, "polygon ring")?;
    if ring.0.first() != ring.0.last() {
        return Err("a polygon ring that is not closed (first and last positions differ)".to_owned());
    }
    Ok(ring)
}

fn convert(value: &GeometryValue) -> Result<Geometry<f64>, String> {
    Ok(match value {
        GeometryValue::Point { coordinates } => Geometry::Point(Point(coord(coordinates)?)),
        GeometryValue::MultiPoint { coordinates } => Geometry::MultiPoint(MultiPoint(
            coordinates.iter().map(|p| coord(p).map(Point)).collect::<Result<_, _>>()?,
        )),
        GeometryValue::LineString { coordinates } => Geometry::LineString(line(coordinates, 2, "line")?),
        GeometryValue::MultiLineString { coordinates } => Geometry::MultiLineString(MultiLineString(
            coordinates.iter().map(|l| line(l, 2, "line")).collect::<Result<_, _>>()?,
        )),
        GeometryValue::Polygon { coordinates } => Geometry::Polygon(polygon(coordinates)?),
        GeometryValue::MultiPolygon { coordinates } => {
            Geometry::MultiPolygon(MultiPolygon(coordinates.iter().map(|p| polygon(p)).collect::<Result<_, _>>()?))
        }
        GeometryValue::GeometryCollection { geometries } => Geometry::GeometryCollection(GeometryCollection(
            geometries.iter().map(|g| convert(&g.value)).collect::<Result<_, _>>()?,
        )),
    })
}
