//! GeoPackage (OGC 12-128r18): an SQLite database read through `rusqlite`,
//! opened read-only. The first features table of `gpkg_contents` (by name)
//! is the layer; its geometry column's blobs are the GeoPackage binary
//! header (magic `GP`, version, flags, SRS id, optional envelope) followed
//! by WKB, both checked here.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::{Crs, Driver, Feature, Value, VectorData, VectorError};

pub(crate) fn read(path: &Path) -> Result<VectorData, VectorError> {
    let sql = |e: rusqlite::Error| VectorError::malformed(path, format!("GeoPackage: {e}"));
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(sql)?;
    let has_contents: bool = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = 'gpkg_contents'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql)?
        > 0;
    if !has_contents {
        return Err(VectorError::malformed(
            path,
            "an SQLite database that is not a GeoPackage (no gpkg_contents table)",
        ));
    }
    let table: String = db
        .query_row(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name LIMIT 1",
            [],
            |r| r.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => VectorError::malformed(path, "a GeoPackage without a features table"),
            other => sql(other),
        })?;
    let (geometry_column, srs_id): (String, i64) = db
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| {
            VectorError::malformed(
                path,
                format!("GeoPackage table {table:?} has no row in gpkg_geometry_columns ({e})"),
            )
        })?;
    let (crs, crs_definition) = srs(&db, srs_id).map_err(sql)?;

    // Columns in table order; the integer primary key is the feature id, not an attribute.
    let mut columns = Vec::new();
    {
        let mut info = db.prepare(&format!("PRAGMA table_info({})", quote(&table))).map_err(sql)?;
        let rows = info
            .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(5)?)))
            .map_err(sql)?;
        for row in rows {
            let (name, decl, pk) = row.map_err(sql)?;
            let is_fid = pk > 0 && decl.eq_ignore_ascii_case("INTEGER");
            // GeoPackage's BOOLEAN is stored as an integer 0 or 1.
            let is_bool = decl.eq_ignore_ascii_case("BOOLEAN");
            columns.push((name, is_fid, is_bool));
        }
    }
    let Some(geometry_index) = columns.iter().position(|(name, _, _)| name.eq_ignore_ascii_case(&geometry_column)) else {
        return Err(VectorError::malformed(
            path,
            format!("GeoPackage table {table:?} lacks its geometry column {geometry_column:?}"),
        ));
    };
    let select = columns.iter().map(|(name, _, _)| quote(name)).collect::<Vec<_>>().join(", ");
    let mut statement = db
        .prepare(&format!("SELECT {select} FROM {} ORDER BY rowid", quote(&table)))
        .map_err(sql)?;
    let mut rows = statement.query([]).map_err(sql)?;
    let mut data = VectorData {
        driver: Driver::GeoPackage,
        crs,
        crs_definition,
        features: Vec::new(),
        skipped: 0,
    };
    let mut index = 0usize;
    while let Some(row) = rows.next().map_err(sql)? {
        let geometry = match row.get_ref(geometry_index).map_err(sql)? {
            ValueRef::Null => None,
            ValueRef::Blob(blob) => gpkg_geometry(blob)
                .map_err(|what| VectorError::malformed(path, format!("GeoPackage table {table:?}, feature {index}: {what}")))?,
            _ => {
                return Err(VectorError::malformed(
                    path,
                    format!("GeoPackage table {table:?}, feature {index}: a geometry that is not a blob"),
                ));
            }
        };
        index += 1;
        let Some(geometry) = geometry else {
            data.skipped += 1;
            continue;
        };
        let mut properties = Vec::with_capacity(columns.len().saturating_sub(1));
        for (i, (name, is_fid, is_bool)) in columns.iter().enumerate() {
            if i == geometry_index || *is_fid {
                continue;
            }
            let value = match row.get_ref(i).map_err(sql)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) if *is_bool => Value::Bool(v != 0),
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Float(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Text(format!("({} byte blob)", b.len())),
            };
            properties.push((name.clone(), value));
        }
        data.features.push(Feature { geometry, properties });
    }
    Ok(data)
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The layer's system: by organisation code where it is EPSG's, else by
/// its WKT. GeoPackage's own ids −1 and 0 are "undefined".
fn srs(db: &Connection, srs_id: i64) -> Result<(Option<Crs>, Option<String>), rusqlite::Error> {
    let row: Option<(String, i64, String)> = match db.query_row(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
        [srs_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    ) {
        Ok(row) => Some(row),
        Err(rusqlite::Error::QueryReturnedNoRows) => None,
        Err(e) => return Err(e),
    };
    let Some((organization, code, definition)) = row else {
        return Ok((None, None));
    };
    let by_code = if organization.eq_ignore_ascii_case("EPSG") {
        u16::try_from(code).ok().and_then(Crs::from_epsg)
    } else {
        None
    };
    let crs = by_code.or_else(|| crate::crs::from_wkt(&definition));
    let definition = (definition != "undefined").then_some(definition);
    Ok((crs, definition.or(Some(format!("{organization}:{code}")))))
}

/// The GeoPackage binary geometry: header, then WKB. `Ok(None)` when empty.
fn gpkg_geometry(blob: &[u8]) -> Result<Option<geo_types::Geometry<f64>>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("a geometry blob without the GeoPackage \"GP\" header".to_owned());
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err("an extended GeoPackage geometry type".to_owned());
    }
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("GeoPackage envelope indicator {other} (0 to 4)")),
    };
    let start = 8 + envelope_len;
    let Some(wkb) = blob.get(start..) else {
        return Err(format!(
            "a geometry blob of {} bytes, shorter than its {start}-byte header",
            blob.len()
        ));
    };
    if flags & 0b0001_0000 != 0 && wkb.is_empty() {
        return Ok(None);
    }
    crate::wkb::parse(wkb)
}
