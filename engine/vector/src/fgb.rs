//! FlatGeobuf (v3): the layout (magic, header size, index size from the
//! feature count and node size, each feature's size prefix) is walked and
//! checked against the file's length first; the header and each feature are
//! then verified FlatBuffers read through the `flatgeobuf` crate's schema,
//! and their coordinates and properties are read with checked offsets (the
//! crate's own property reader slices unchecked).

use std::path::Path;

use flatgeobuf::{ColumnType, GeometryType};
use geo_types::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

use crate::{Driver, Feature, Value, VectorData, VectorError};

/// `fgb`, then the major version (3), `fgb`, then the patch version.
pub(crate) const MAGIC_START: &[u8] = b"fgb\x03fgb";
const NODE_ITEM_BYTES: usize = 40;
/// FlatGeobuf's own limit on the header's size (the reference readers' 10 MiB).
const HEADER_MAX: usize = 10 * 1024 * 1024;

pub(crate) fn read(path: &Path, bytes: &[u8]) -> Result<VectorData, VectorError> {
    let bad = |what: String| VectorError::malformed(path, format!("FlatGeobuf: {what}"));
    if bytes.len() < 12 || !bytes.starts_with(MAGIC_START) {
        return Err(bad("no FlatGeobuf v3 magic bytes".to_owned()));
    }
    let header_size = u32_at(bytes, 8).ok_or_else(|| bad("no header size".to_owned()))? as usize;
    if !(8..=HEADER_MAX).contains(&header_size) {
        return Err(bad(format!("header size {header_size} (8 to {HEADER_MAX} bytes)")));
    }
    let header_end = 12 + header_size;
    let header_buf = bytes.get(8..header_end).ok_or_else(|| {
        bad(format!(
            "header of {header_size} bytes, the file has {} after its size",
            bytes.len() - 12
        ))
    })?;
    let header = flatgeobuf::size_prefixed_root_as_header(header_buf).map_err(|e| bad(format!("header: {e}")))?;
    let count = header.features_count();
    let node_size = header.index_node_size();
    let index_bytes = if node_size > 0 && count > 0 {
        index_size(count, node_size).ok_or_else(|| bad(format!("index of {count} features overflows")))?
    } else {
        0
    };
    let mut pos = header_end.checked_add(index_bytes).filter(|p| *p <= bytes.len()).ok_or_else(|| {
        bad(format!(
            "spatial index of {index_bytes} bytes runs past the file's end ({} bytes)",
            bytes.len()
        ))
    })?;

    let header_columns = columns(header.columns());
    let (crs, crs_definition) = match header.crs() {
        None => (None, None),
        Some(c) => {
            let org = c.org().unwrap_or("EPSG");
            let by_code = if org.eq_ignore_ascii_case("EPSG") && c.code() > 0 {
                u16::try_from(c.code()).ok().and_then(crate::Crs::from_epsg)
            } else {
                None
            };
            let by_wkt = c.wkt().and_then(crate::crs::from_wkt);
            let definition = c
                .wkt()
                .map(str::to_owned)
                .or_else(|| (c.code() > 0).then(|| format!("{org}:{}", c.code())));
            (by_code.or(by_wkt), definition)
        }
    };
    let header_type = header.geometry_type();
    let mut data = VectorData {
        driver: Driver::FlatGeobuf,
        crs,
        crs_definition,
        features: Vec::new(),
        skipped: 0,
    };
    let mut index = 0usize;
    while pos < bytes.len() {
        let size = u32_at(bytes, pos).ok_or_else(|| bad(format!("feature {index}: the file ends inside its size")))? as usize;
        let end = pos
            .checked_add(4)
            .and_then(|p| p.checked_add(size))
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| bad(format!("feature {index} of {size} bytes runs past the file's end")))?;
        let feature = flatgeobuf::size_prefixed_root_as_feature(&bytes[pos..end]).map_err(|e| bad(format!("feature {index}: {e}")))?;
        let feature_columns = feature.columns().map_or_else(|| header_columns.clone(), |c| columns(Some(c)));
        let geometry = match feature.geometry() {
            None => None,
            Some(g) => geometry(&g, header_type, 0).map_err(|what| bad(format!("feature {index}: {what}")))?,
        };
        match geometry {
            None => data.skipped += 1,
            Some(geometry) => {
                let properties = match feature.properties() {
                    None => Vec::new(),
                    Some(p) => properties(p.bytes(), &feature_columns).map_err(|what| bad(format!("feature {index}: {what}")))?,
                };
                data.features.push(Feature { geometry, properties });
            }
        }
        index += 1;
        pos = end;
    }
    if count > 0 && index as u64 != count {
        return Err(bad(format!("the header counts {count} features, the file holds {index}")));
    }
    Ok(data)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The packed Hilbert R-tree's size: every level's nodes, 40 bytes each.
fn index_size(count: u64, node_size: u16) -> Option<usize> {
    let node_size = u64::from(node_size.max(2));
    let mut n = count;
    let mut nodes = count;
    loop {
        n = n.div_ceil(node_size);
        nodes = nodes.checked_add(n)?;
        if n <= 1 {
            break;
        }
    }
    usize::try_from(nodes).ok()?.checked_mul(NODE_ITEM_BYTES)
}

fn columns(list: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<flatgeobuf::Column<'_>>>>) -> Vec<(String, ColumnType)> {
    list.map(|list| list.iter().map(|c| (c.name().to_owned(), c.type_())).collect())
        .unwrap_or_default()
}

fn geometry(g: &flatgeobuf::Geometry<'_>, header_type: GeometryType, depth: u32) -> Result<Option<Geometry<f64>>, String> {
    if depth > 32 {
        return Err("geometries nested deeper than 32".to_owned());
    }
    let kind = if header_type == GeometryType::Unknown || depth > 0 {
        g.type_()
    } else {
        header_type
    };
    let xy: Vec<f64> = g.xy().map(|v| v.iter().collect()).unwrap_or_default();
    if !xy.len().is_multiple_of(2) {
        return Err(format!("an odd number ({}) of x/y values", xy.len()));
    }
    if xy.iter().any(|v| !v.is_finite()) && kind != GeometryType::Point {
        return Err("a coordinate that is not a finite number".to_owned());
    }
    let coords: Vec<Coord<f64>> = xy.chunks_exact(2).map(|c| Coord { x: c[0], y: c[1] }).collect();
    let ends: Vec<usize> = g.ends().map(|v| v.iter().map(|e| e as usize).collect()).unwrap_or_default();
    let split = |coords: Vec<Coord<f64>>| -> Result<Vec<LineString<f64>>, String> {
        if ends.is_empty() {
            return Ok(vec![LineString::new(coords)]);
        }
        let mut start = 0;
        let mut parts = Vec::with_capacity(ends.len());
        for &end in &ends {
            if end <= start || end > coords.len() {
                return Err(format!("part end {end} outside {start}..={}", coords.len()));
            }
            parts.push(LineString::new(coords[start..end].to_vec()));
            start = end;
        }
        Ok(parts)
    };
    let polygon = |rings: Vec<LineString<f64>>| -> Result<Option<Polygon<f64>>, String> {
        for ring in &rings {
            if ring.0.len() < 4 || ring.0.first() != ring.0.last() {
                return Err(format!("a polygon ring of {} point(s) that is not closed", ring.0.len()));
            }
        }
        let mut rings = rings.into_iter();
        Ok(rings.next().map(|exterior| Polygon::new(exterior, rings.collect())))
    };
    let parts = || -> Result<Vec<Geometry<f64>>, String> {
        let mut out = Vec::new();
        if let Some(parts) = g.parts() {
            for part in parts.iter() {
                if let Some(part) = geometry(&part, GeometryType::Unknown, depth + 1)? {
                    out.push(part);
                }
            }
        }
        Ok(out)
    };
    Ok(match kind {
        GeometryType::Point => match coords.first() {
            None => None,
            Some(c) if c.x.is_nan() && c.y.is_nan() => None,
            Some(c) if c.x.is_finite() && c.y.is_finite() => Some(Geometry::Point(Point(*c))),
            Some(_) => return Err("a point that is not a finite number".to_owned()),
        },
        GeometryType::MultiPoint => (!coords.is_empty()).then(|| Geometry::MultiPoint(MultiPoint(coords.into_iter().map(Point).collect()))),
        GeometryType::LineString => (!coords.is_empty()).then(|| Geometry::LineString(LineString::new(coords))),
        GeometryType::MultiLineString => (!coords.is_empty())
            .then(|| split(coords).map(|l| Geometry::MultiLineString(MultiLineString(l))))
            .transpose()?,
        GeometryType::Polygon => {
            if coords.is_empty() {
                None
            } else {
                polygon(split(coords)?)?.map(Geometry::Polygon)
            }
        }
        GeometryType::MultiPolygon => {
            let polygons: Vec<Polygon<f64>> = parts()?
                .into_iter()
                .filter_map(|p| if let Geometry::Polygon(p) = p { Some(p) } else { None })
                .collect();
            (!polygons.is_empty()).then_some(Geometry::MultiPolygon(MultiPolygon(polygons)))
        }
        GeometryType::GeometryCollection => {
            let parts = parts()?;
            (!parts.is_empty()).then_some(Geometry::GeometryCollection(GeometryCollection(parts)))
        }
        other => {
            return Err(format!(
                "FlatGeobuf geometry type {} (curves, surfaces and TINs are not read)",
                other.0
            ));
        }
    })
}

fn properties(bytes: &[u8], columns: &[(String, ColumnType)]) -> Result<Vec<(String, Value)>, String> {
    let mut out: Vec<(String, Value)> = columns.iter().map(|(name, _)| (name.clone(), Value::Null)).collect();
    let mut pos = 0usize;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = pos
            .checked_add(n)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| format!("properties end inside a value at byte {pos}"))?;
        let slice = &bytes[*pos..end];
        *pos = end;
        Ok(slice)
    };
    // The reference writers may leave one trailing byte after the last value.
    while pos + 1 < bytes.len() {
        let b = take(&mut pos, 2)?;
        let column = usize::from(u16::from_le_bytes([b[0], b[1]]));
        let Some((_, kind)) = columns.get(column) else {
            return Err(format!("property of column {column}, the layer has {}", columns.len()));
        };
        let kind = *kind;
        let value = match kind {
            ColumnType::Byte => Value::Int(i64::from(take(&mut pos, 1)?[0] as i8)),
            ColumnType::UByte => Value::Int(i64::from(take(&mut pos, 1)?[0])),
            ColumnType::Bool => Value::Bool(take(&mut pos, 1)?[0] != 0),
            ColumnType::Short => {
                let b = take(&mut pos, 2)?;
                Value::Int(i64::from(i16::from_le_bytes([b[0], b[1]])))
            }
            ColumnType::UShort => {
                let b = take(&mut pos, 2)?;
                Value::Int(i64::from(u16::from_le_bytes([b[0], b[1]])))
            }
            ColumnType::Int | ColumnType::UInt | ColumnType::Float => {
                let b = take(&mut pos, 4)?;
                let b = [b[0], b[1], b[2], b[3]];
                match kind {
                    ColumnType::Int => Value::Int(i64::from(i32::from_le_bytes(b))),
                    ColumnType::UInt => Value::Int(i64::from(u32::from_le_bytes(b))),
                    _ => Value::Float(f64::from(f32::from_le_bytes(b))),
                }
            }
            ColumnType::Long | ColumnType::ULong | ColumnType::Double => {
                let b = take(&mut pos, 8)?;
                let b = [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
                match kind {
                    ColumnType::Long => Value::Int(i64::from_le_bytes(b)),
                    ColumnType::ULong => {
                        let v = u64::from_le_bytes(b);
                        i64::try_from(v).map_or(Value::Float(v as f64), Value::Int)
                    }
                    _ => Value::Float(f64::from_le_bytes(b)),
                }
            }
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let b = take(&mut pos, 4)?;
                let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                let raw = take(&mut pos, len)?;
                if kind == ColumnType::Binary {
                    Value::Text(format!("({len} byte blob)"))
                } else {
                    Value::Text(
                        std::str::from_utf8(raw)
                            .map_err(|_| format!("column {column}: text that is not UTF-8"))?
                            .to_owned(),
                    )
                }
            }
            other => return Err(format!("column {column}: FlatGeobuf column type {}", other.0)),
        };
        if let Some(slot) = out.get_mut(column) {
            slot.1 = value;
        }
    }
    Ok(out)
}
