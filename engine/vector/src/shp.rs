//! ESRI Shapefile: the `.shp` with its `.shx` index, `.dbf` attributes and
//! `.prj` CRS (all found beside it, extension case ignored). Before the
//! `shapefile` and `dbase` crates decode anything, the `.shp`'s layout is
//! walked here (header length against the file, each record's content
//! length inside the file, each record's part and point counts inside its
//! content) and the `.shx` and `.dbf` record counts checked against it.
//! Attributes are read as UTF-8 (invalid bytes replaced): GDAL's default.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use geo_types::{Geometry, LineString, MultiLineString, MultiPolygon};

use crate::{Driver, Feature, Value, VectorData, VectorError};

pub(crate) fn read(path: &Path) -> Result<VectorData, VectorError> {
    let shp = std::fs::read(path).map_err(|e| VectorError::io(path, e))?;
    let part = |ext: &'static str, part: &'static str| -> Result<Vec<u8>, VectorError> {
        let Some(found) = sibling(path, ext) else {
            return Err(VectorError::MissingPart {
                path: path.to_path_buf(),
                part,
                missing: path.with_extension(ext),
            });
        };
        std::fs::read(&found).map_err(|e| VectorError::io(&found, e))
    };
    let shx = part("shx", "index")?;
    let dbf = part("dbf", "attribute (dBASE)")?;
    let prj = match sibling(path, "prj") {
        Some(prj_path) => {
            let bytes = std::fs::read(&prj_path).map_err(|e| VectorError::io(&prj_path, e))?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        None => None,
    };
    read_parts(path, &shp, &shx, &dbf, prj.as_deref())
}

/// The file beside `path` with the same stem and extension `ext`, in any case.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    let stem = path.file_stem()?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for candidate in [ext.to_owned(), ext.to_ascii_uppercase()] {
        let p = path.with_extension(&candidate);
        if p.is_file() {
            return Some(p);
        }
    }
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_stem() == Some(stem) && p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case(ext)))
}

pub(crate) fn read_parts(path: &Path, shp: &[u8], shx: &[u8], dbf: &[u8], prj: Option<&str>) -> Result<VectorData, VectorError> {
    let records = check_layout(shp).map_err(|what| VectorError::malformed(path, format!(".shp: {what}")))?;
    check_index(shx, &records).map_err(|what| VectorError::malformed(path, format!(".shx: {what}")))?;

    let shapes = shapefile::ShapeReader::with_shx(Cursor::new(shp), Cursor::new(shx))
        .map_err(|e| VectorError::malformed(path, format!(".shp: {e}")))?;
    let table = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::UnicodeLossy)
        .build(Cursor::new(dbf))
        .map_err(|e| VectorError::malformed(path, format!(".dbf: {e}")))?;
    let dbf_count = table.header().num_records as usize;
    if dbf_count != records.len() {
        return Err(VectorError::malformed(
            path,
            format!(".dbf holds {dbf_count} records, the .shp {} shapes", records.len()),
        ));
    }
    // The .dbf's rows must all be there: header length + rows × row length.
    let header = table.header();
    let need = usize::from(header.offset_to_first_record).saturating_add(dbf_count.saturating_mul(usize::from(header.size_of_record)));
    if need > dbf.len() {
        return Err(VectorError::malformed(
            path,
            format!(".dbf is {} bytes, its header needs {need}", dbf.len()),
        ));
    }
    let names: Vec<String> = table
        .fields()
        .iter()
        .map(|f| f.name().to_owned())
        .filter(|n| n != "DeletionFlag")
        .collect();

    let (crs, crs_definition) = match prj {
        None => (None, None),
        Some(text) => (crate::crs::from_wkt(text), Some(text.trim().to_owned())),
    };
    let mut data = VectorData {
        driver: Driver::Shapefile,
        crs,
        crs_definition,
        features: Vec::with_capacity(records.len()),
        skipped: 0,
    };
    let mut reader = shapefile::Reader::new(shapes, table);
    for (index, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.map_err(|e| VectorError::malformed(path, format!("record {index}: {e}")))?;
        if matches!(shape, shapefile::Shape::NullShape) {
            data.skipped += 1;
            continue;
        }
        let geometry = Geometry::<f64>::try_from(shape).map_err(|e| VectorError::malformed(path, format!("record {index}: {e}")))?;
        let properties = names
            .iter()
            .map(|name| (name.clone(), record.get(name).map_or(Value::Null, field_value)))
            .collect();
        data.features.push(Feature {
            geometry: simplify(geometry),
            properties,
        });
    }
    Ok(data)
}

/// A shapefile has no single-part types: one part is a LineString or a
/// Polygon, as GDAL reports them.
fn simplify(geometry: Geometry<f64>) -> Geometry<f64> {
    match geometry {
        Geometry::MultiPolygon(MultiPolygon(mut polygons)) if polygons.len() == 1 => match polygons.pop() {
            Some(p) => Geometry::Polygon(p),
            None => Geometry::MultiPolygon(MultiPolygon(polygons)),
        },
        Geometry::MultiLineString(MultiLineString(mut lines)) if lines.len() == 1 => match lines.pop() {
            Some(l) => Geometry::LineString(l),
            None => Geometry::MultiLineString(MultiLineString(Vec::<LineString<f64>>::new())),
        },
        other => other,
    }
}

fn field_value(value: &dbase::FieldValue) -> Value {
    use dbase::FieldValue as F;
    match value {
        F::Character(s) => s.as_ref().map_or(Value::Null, |s| Value::Text(s.trim_end().to_owned())),
        F::Numeric(n) => n.map_or(Value::Null, |n| {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                Value::Int(n as i64)
            } else {
                Value::Float(n)
            }
        }),
        F::Logical(b) => b.map_or(Value::Null, Value::Bool),
        F::Date(d) => d.map_or(Value::Null, |d| {
            Value::Text(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }),
        F::Float(f) => f.map_or(Value::Null, |f| Value::Float(f64::from(f))),
        F::Integer(i) => Value::Int(i64::from(*i)),
        F::Currency(f) | F::Double(f) => Value::Float(*f),
        F::DateTime(dt) => Value::Text(format!("{dt:?}")),
        F::Memo(s) => Value::Text(s.clone()),
    }
}

/// Where each record starts and how long its content is, in bytes.
#[derive(Debug)]
struct RecordSpan {
    offset: usize,
    content: usize,
}

fn be_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
fn le_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Shape types the `shapefile` crate reads (0 null, points, lines, polygons, multipoints, multipatch).
fn known_type(t: i32) -> bool {
    matches!(t, 0 | 1 | 3 | 5 | 8 | 11 | 13 | 15 | 18 | 21 | 23 | 25 | 28 | 31)
}

fn check_header(bytes: &[u8], what: &str) -> Result<(usize, i32), String> {
    if bytes.len() < 100 {
        return Err(format!("{} bytes, shorter than the 100-byte {what} header", bytes.len()));
    }
    if be_i32(bytes, 0) != Some(9994) {
        return Err("no file code 9994 at the start".to_owned());
    }
    let words = be_i32(bytes, 24).unwrap_or(-1);
    let declared = usize::try_from(words)
        .ok()
        .and_then(|w| w.checked_mul(2))
        .ok_or_else(|| format!("file length {words} in the header"))?;
    if declared > bytes.len() {
        return Err(format!(
            "the header says {declared} bytes, the file has {} (truncated?)",
            bytes.len()
        ));
    }
    if declared < 100 {
        return Err(format!("the header says {declared} bytes, less than the header itself"));
    }
    if le_i32(bytes, 28) != Some(1000) {
        return Err(format!("version {} (1000 expected)", le_i32(bytes, 28).unwrap_or(0)));
    }
    let shape_type = le_i32(bytes, 32).unwrap_or(-1);
    if !known_type(shape_type) {
        return Err(format!("shape type {shape_type}"));
    }
    Ok((declared, shape_type))
}

fn check_layout(shp: &[u8]) -> Result<Vec<RecordSpan>, String> {
    let (end, shape_type) = check_header(shp, ".shp")?;
    let mut records = Vec::new();
    let mut pos = 100usize;
    while pos < end {
        let n = records.len();
        let words = be_i32(shp, pos + 4).ok_or_else(|| format!("record {n}: the file ends inside its header at byte {pos}"))?;
        let content = usize::try_from(words)
            .ok()
            .and_then(|w| w.checked_mul(2))
            .ok_or_else(|| format!("record {n}: content length {words}"))?;
        let start = pos + 8;
        let record_end = start
            .checked_add(content)
            .filter(|e| *e <= end)
            .ok_or_else(|| format!("record {n} at byte {pos}: {content} bytes of content run past the end of the data ({end} bytes)"))?;
        let body = &shp[start..record_end];
        let t = le_i32(body, 0).ok_or_else(|| format!("record {n}: content shorter than its shape type"))?;
        if t != 0 && t != shape_type {
            return Err(format!("record {n}: shape type {t} in a file of type {shape_type}"));
        }
        check_record(t, body).map_err(|what| format!("record {n}: {what}"))?;
        records.push(RecordSpan { offset: pos, content });
        pos = record_end;
    }
    Ok(records)
}

/// The part and point counts of one record fit its content.
fn check_record(t: i32, body: &[u8]) -> Result<(), String> {
    let len = body.len();
    let count = |at: usize, what: &str| -> Result<usize, String> {
        let v = le_i32(body, at).ok_or_else(|| format!("content of {len} bytes ends before its {what}"))?;
        usize::try_from(v).map_err(|_| format!("{what} {v}"))
    };
    // Z adds a range (16 bytes) and a value per point; M values are optional.
    let z = matches!(t, 13 | 15 | 31);
    let need = match t {
        0 => 4,
        1 => 20,
        11 => 28, // x, y, z; the M value is optional
        21 => 28,
        8 | 18 | 28 => {
            let points = count(36, "point count")?;
            let xy = points.checked_mul(16).ok_or("point count overflows")?;
            40usize.checked_add(xy).ok_or("point count overflows")?
        }
        3 | 5 | 13 | 15 | 23 | 25 | 31 => {
            let parts = count(36, "part count")?;
            let points = count(40, "point count")?;
            let part_bytes = parts.checked_mul(if t == 31 { 8 } else { 4 }).ok_or("part count overflows")?;
            let xy = points.checked_mul(16).ok_or("point count overflows")?;
            let base = 44usize
                .checked_add(part_bytes)
                .and_then(|b| b.checked_add(xy))
                .ok_or("counts overflow")?;
            let z_bytes = if z {
                points
                    .checked_mul(8)
                    .and_then(|p| p.checked_add(16))
                    .ok_or("point count overflows")?
            } else {
                0
            };
            base.checked_add(z_bytes).ok_or("counts overflow")?
        }
        other => return Err(format!("shape type {other}")),
    };
    if need > len {
        return Err(format!("its counts need {need} bytes of content, it has {len}"));
    }
    Ok(())
}

fn check_index(shx: &[u8], records: &[RecordSpan]) -> Result<(), String> {
    let (end, _) = check_header(shx, ".shx")?;
    let entries = (end - 100) / 8;
    if entries != records.len() {
        return Err(format!("indexes {entries} records, the .shp holds {}", records.len()));
    }
    for (i, record) in records.iter().enumerate() {
        let at = 100 + i * 8;
        let offset = be_i32(shx, at).and_then(|w| usize::try_from(w).ok()).map(|w| w * 2);
        let content = be_i32(shx, at + 4).and_then(|w| usize::try_from(w).ok()).map(|w| w * 2);
        if offset != Some(record.offset) || content != Some(record.content) {
            return Err(format!(
                "entry {i} says offset {offset:?} and length {content:?}, the .shp record is at {} with {} bytes",
                record.offset, record.content
            ));
        }
    }
    Ok(())
}
