//! Writing back into a scene file what the viewer's curators change
//! (measurements), keeping the file's comments and layout: the file is
//! edited as a TOML document (`toml_edit`), not re-serialised.

use sontinh_geo::{Crs, EnuFrame};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::model::{Measurement, Text};

/// Why a scene file could not be edited.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    #[error("the scene file is not TOML the editor can keep: {0}")]
    Parse(String),
    #[error("[[measurement]] is not an array of tables in this file")]
    NotTables,
    #[error("measurement \"{id}\" is shown by tour \"{tour}\" stop {stop}; take it out of that stop before removing it")]
    StillShown { id: String, tour: String, stop: usize },
}

/// `text` with its `[[measurement]]` tables made `measurements`, in that
/// order: a table whose id is kept is updated where it stands (its comments
/// stay), tables of ids no longer given are removed, new ones appended.
/// Points are written as WGS84 longitude, latitude and height unless the
/// table they replace gave local ENU metres.
pub fn with_measurements(text: &str, frame: &EnuFrame, measurements: &[Measurement]) -> Result<String, EditError> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| EditError::Parse(e.to_string()))?;
    refuse_removing_shown(&doc, measurements)?;
    let old = match doc.remove("measurement") {
        None => ArrayOfTables::new(),
        Some(Item::ArrayOfTables(tables)) => tables,
        Some(_) => return Err(EditError::NotTables),
    };
    let mut tables = ArrayOfTables::new();
    for m in measurements {
        let previous = old.iter().find(|t| t.get("id").and_then(Item::as_str) == Some(m.id.as_str()));
        let mut table = previous.cloned().unwrap_or_default();
        let local = previous.is_some_and(|t| match t.get("crs").and_then(Item::as_str) {
            None => true,
            Some(crs) => crs.eq_ignore_ascii_case("local"),
        });
        fill(&mut table, m, frame, local);
        tables.push(table);
    }
    if !tables.is_empty() {
        doc.insert("measurement", Item::ArrayOfTables(tables));
    }
    Ok(doc.to_string())
}

fn refuse_removing_shown(doc: &DocumentMut, kept: &[Measurement]) -> Result<(), EditError> {
    let Some(tours) = doc.get("tour").and_then(Item::as_array_of_tables) else { return Ok(()) };
    for tour in tours.iter() {
        let tour_id = tour.get("id").and_then(Item::as_str).unwrap_or("?");
        let Some(stops) = tour.get("stop").and_then(Item::as_array_of_tables) else { continue };
        for (n, stop) in stops.iter().enumerate() {
            let Some(shown) = stop.get("measurements").and_then(Item::as_array) else { continue };
            for id in shown.iter().filter_map(Value::as_str) {
                if !kept.iter().any(|m| m.id == id) {
                    return Err(EditError::StillShown { id: id.to_owned(), tour: tour_id.to_owned(), stop: n + 1 });
                }
            }
        }
    }
    Ok(())
}

fn text_table(text: &Text) -> Value {
    let mut t = toml_edit::InlineTable::new();
    t.insert("vi", text.vi.as_str().into());
    t.insert("en", text.en.as_str().into());
    Value::InlineTable(t)
}

/// Rounded so that files stay readable: 1e-9° is 0.1 mm; heights and
/// local metres to 0.1 mm.
fn rounded(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

/// Sets `key` to `new`, keeping the comments and spacing around the old value.
fn set(table: &mut Table, key: &str, mut new: Value) {
    if let Some(old) = table.get(key).and_then(Item::as_value) {
        *new.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(new));
}

fn fill(table: &mut Table, m: &Measurement, frame: &EnuFrame, local: bool) {
    set(table, "id", m.id.as_str().into());
    set(table, "name", text_table(&m.name));
    set(table, "tool", m.tool.id().into());
    let mut points = Array::new();
    for p in &m.points {
        let xyz = if local {
            [rounded(p[0], 4), rounded(p[1], 4), rounded(p[2], 4)]
        } else {
            let g = frame.enu_to_geodetic(*p);
            [rounded(g.lon_deg, 9), rounded(g.lat_deg, 9), rounded(g.height_m, 4)]
        };
        let mut point = Array::new();
        point.extend(xyz);
        points.push(point);
    }
    // One point a line when there are several: diffs stay readable.
    if points.len() > 1 {
        for p in points.iter_mut() {
            p.decor_mut().set_prefix("\n  ");
        }
        points.set_trailing("\n");
        points.set_trailing_comma(true);
    }
    if local {
        table.remove("crs");
    } else {
        set(table, "crs", Crs::Wgs84.to_string().into());
    }
    set(table, "points", Value::Array(points));
    match m.level_m {
        Some(level) => {
            set(table, "level_m", rounded(level, 4).into());
        }
        None => {
            table.remove("level_m");
        }
    }
}
