//! Writing back into a scene file what a curator changes in the viewer's
//! tour authoring window: stops added from the camera's view, moved,
//! removed and retitled; hotspots placed and their articles edited. Each
//! function takes the file's text and gives the new text, edited as a TOML
//! document (`toml_edit`) so that comments, layout and every other table stay
//! as they were. Bad input is refused with an error naming it; nothing is
//! written that the scene's own checks would refuse for the edited part.

use std::str::FromStr;

use sontinh_geo::{Crs, EnuFrame};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use crate::markdown::parse_markdown;
use crate::model::{Text, View};

/// How the positions an edit writes are given in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Coords {
    /// Scene east-north-up metres (no `crs`): exact, and what the shipped
    /// scenes' bookmarks, stops and hotspots use; a view belongs to the
    /// scene's content, which is placed in the same frame.
    #[default]
    Local,
    /// WGS84 longitude, latitude and height (`crs = "EPSG:4326"`), as the
    /// measuring window writes: the position stays on the ground if the
    /// scene's origin is moved.
    Wgs84,
}

/// A stop made from the camera's view.
#[derive(Clone, Debug, PartialEq)]
pub struct StopDraft {
    pub view: View,
    pub title: Option<Text>,
    /// Narration text, a Markdown subset.
    pub text: Text,
}

/// A hotspot placed at a point of the scene.
#[derive(Clone, Debug, PartialEq)]
pub struct HotspotDraft {
    pub id: String,
    /// Scene ENU metres.
    pub enu: [f64; 3],
    pub title: Text,
    /// A Markdown subset.
    pub article: Text,
}

/// Why a tour or hotspot edit was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TourEditError {
    #[error("the scene file is not TOML the editor can keep: {0}")]
    Parse(String),
    #[error("the scene has no tour \"{tour}\" (its tours: {known})")]
    UnknownTour { tour: String, known: String },
    #[error("tour \"{tour}\" has {stops} stops (0 to {last}): there is no stop {index}", last = stops.saturating_sub(1))]
    StopOutOfRange { tour: String, index: usize, stops: usize },
    #[error("a stop can go at 0 to {stops} in tour \"{tour}\", not at {index}")]
    InsertOutOfRange { tour: String, index: usize, stops: usize },
    #[error("tour \"{tour}\" would have no stop left: a tour needs at least one")]
    LastStop { tour: String },
    #[error("hotspot id \"{0}\" is not valid: expected lowercase ASCII letters, digits, '-' or '_'")]
    InvalidId(String),
    #[error("hotspot id \"{0}\" is used already")]
    DuplicateHotspot(String),
    #[error("the scene has no hotspot \"{0}\"")]
    UnknownHotspot(String),
    #[error("tour \"{tour}\" stop {index} shows hotspot \"{id}\" already")]
    AlreadyShown { tour: String, index: usize, id: String },
    #[error("{what} needs a text in both Vietnamese (vi) and English (en)")]
    EmptyText { what: String },
    #[error("{what} ({lang}) must be one line")]
    MultiLineTitle { what: String, lang: &'static str },
    #[error("{what} ({lang}): {why}")]
    Markdown { what: String, lang: &'static str, why: String },
    #[error("the view is not usable: {0}")]
    BadView(String),
    #[error("[[{0}]] is not an array of tables in this file")]
    NotTables(&'static str),
}

fn parse(text: &str) -> Result<DocumentMut, TourEditError> {
    text.parse().map_err(|e: toml_edit::TomlError| TourEditError::Parse(e.to_string()))
}

/// The `[[tour]]` table whose id is `tour`.
fn tour_mut<'d>(doc: &'d mut DocumentMut, tour: &str) -> Result<&'d mut Table, TourEditError> {
    let tours = match doc.get_mut("tour") {
        Some(Item::ArrayOfTables(t)) => t,
        Some(_) => return Err(TourEditError::NotTables("tour")),
        None => {
            return Err(TourEditError::UnknownTour {
                tour: tour.to_owned(),
                known: "none".to_owned(),
            });
        }
    };
    let known: Vec<String> = tours
        .iter()
        .filter_map(|t| t.get("id").and_then(Item::as_str))
        .map(str::to_owned)
        .collect();
    match tours.iter_mut().find(|t| t.get("id").and_then(Item::as_str) == Some(tour)) {
        Some(t) => Ok(t),
        None => Err(TourEditError::UnknownTour {
            tour: tour.to_owned(),
            known: if known.is_empty() { "none".to_owned() } else { known.join(", ") },
        }),
    }
}

fn stops_mut<'d>(doc: &'d mut DocumentMut, tour: &str) -> Result<&'d mut ArrayOfTables, TourEditError> {
    let t = tour_mut(doc, tour)?;
    if !t.contains_key("stop") {
        t.insert("stop", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    match t.get_mut("stop") {
        Some(Item::ArrayOfTables(stops)) => Ok(stops),
        _ => Err(TourEditError::NotTables("tour.stop")),
    }
}

fn stop_mut<'d>(doc: &'d mut DocumentMut, tour: &str, index: usize) -> Result<&'d mut Table, TourEditError> {
    let stops = stops_mut(doc, tour)?;
    let count = stops.len();
    stops.get_mut(index).ok_or_else(|| TourEditError::StopOutOfRange {
        tour: tour.to_owned(),
        index,
        stops: count,
    })
}

/// `text` with a stop made from `draft` at `at` (0-based; the number of
/// stops appends) in tour `tour`. The pose is written as `eye`, `target`
/// and `fov_deg`, in `coords`.
pub fn add_stop(text: &str, tour: &str, at: usize, draft: &StopDraft, frame: &EnuFrame, coords: Coords) -> Result<String, TourEditError> {
    check_view(&draft.view)?;
    if let Some(title) = &draft.title {
        check_title(title, "the stop's title")?;
    }
    check_markdown(&draft.text, "the stop's text")?;
    let mut doc = parse(text)?;
    let stops = stops_mut(&mut doc, tour)?;
    if at > stops.len() {
        return Err(TourEditError::InsertOutOfRange {
            tour: tour.to_owned(),
            index: at,
            stops: stops.len(),
        });
    }
    let mut table = Table::new();
    if let Some(title) = &draft.title {
        table.insert("title", Item::Value(inline_text(title)));
    }
    if coords == Coords::Wgs84 {
        table.insert("crs", Item::Value(Crs::Wgs84.to_string().into()));
    }
    table.insert("eye", Item::Value(position(draft.view.eye, frame, coords)));
    table.insert("target", Item::Value(position(draft.view.target, frame, coords)));
    table.insert("fov_deg", Item::Value(rounded(draft.view.fov_deg, 2).into()));
    table.insert("text", Item::Table(dotted_text(&draft.text)?));
    // No position: printed right after the table before it (the previous
    // stop, or the tour's header), as toml_edit places unnumbered tables.
    stops.insert(at, table);
    Ok(doc.to_string())
}

/// `text` with stop `from` of tour `tour` moved to `to` (both 0-based; the
/// stops between shift by one), its comments and nested tables with it.
pub fn move_stop(text: &str, tour: &str, from: usize, to: usize) -> Result<String, TourEditError> {
    let mut doc = parse(text)?;
    let stops = stops_mut(&mut doc, tour)?;
    for index in [from, to] {
        if index >= stops.len() {
            return Err(TourEditError::StopOutOfRange {
                tour: tour.to_owned(),
                index,
                stops: stops.len(),
            });
        }
    }
    if from == to {
        return Ok(doc.to_string());
    }
    // toml_edit prints tables in the order of their positions in the file:
    // the stops' tables (with those nested in them) take the same places in
    // the file, handed out again in the new order.
    let mut places: Vec<isize> = Vec::new();
    for stop in stops.iter() {
        subtree_positions(stop, &mut places);
    }
    places.sort_unstable();
    let moving = stops.remove(from);
    stops.insert(to, moving);
    let mut next = places.into_iter();
    for stop in stops.iter_mut() {
        renumber(stop, &mut next);
    }
    Ok(doc.to_string())
}

/// The positions of `table` and of the tables nested in it, in the order
/// toml_edit visits them (dotted tables print no header and have none).
fn subtree_positions(table: &Table, out: &mut Vec<isize>) {
    if !table.is_dotted()
        && let Some(p) = table.position()
    {
        out.push(p);
    }
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => subtree_positions(t, out),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| subtree_positions(t, out)),
            _ => {}
        }
    }
}

fn renumber(table: &mut Table, next: &mut impl Iterator<Item = isize>) {
    if !table.is_dotted() && table.position().is_some() {
        table.set_position(next.next());
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => renumber(t, next),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| renumber(t, next)),
            _ => {}
        }
    }
}

/// `text` without stop `index` of tour `tour` (with its comments). The
/// last stop of a tour is kept: a tour without stops is refused.
pub fn remove_stop(text: &str, tour: &str, index: usize) -> Result<String, TourEditError> {
    let mut doc = parse(text)?;
    let stops = stops_mut(&mut doc, tour)?;
    if index >= stops.len() {
        return Err(TourEditError::StopOutOfRange {
            tour: tour.to_owned(),
            index,
            stops: stops.len(),
        });
    }
    if stops.len() == 1 {
        return Err(TourEditError::LastStop { tour: tour.to_owned() });
    }
    stops.remove(index);
    Ok(doc.to_string())
}

/// `text` with stop `index` of tour `tour` titled `title` (none: the title
/// is removed) and narrated by `body`. The comments beside them stay.
pub fn set_stop_texts(text: &str, tour: &str, index: usize, title: Option<&Text>, body: &Text) -> Result<String, TourEditError> {
    if let Some(title) = title {
        check_title(title, "the stop's title")?;
    }
    check_markdown(body, "the stop's text")?;
    let mut doc = parse(text)?;
    let stop = stop_mut(&mut doc, tour, index)?;
    match title {
        Some(title) => set_value(stop, "title", inline_text(title)),
        None => {
            stop.remove("title");
        }
    }
    set_long_text(stop, "text", body)?;
    Ok(doc.to_string())
}

/// `text` with a `[[hotspot]]` made from `draft`, after the last one.
pub fn add_hotspot(text: &str, draft: &HotspotDraft, frame: &EnuFrame, coords: Coords) -> Result<String, TourEditError> {
    check_id(&draft.id)?;
    if draft.enu.iter().any(|v| !v.is_finite()) {
        return Err(TourEditError::BadView(format!(
            "the hotspot's position {:?} is not finite",
            draft.enu
        )));
    }
    check_title(&draft.title, "the hotspot's title")?;
    check_markdown(&draft.article, "the hotspot's article")?;
    let mut doc = parse(text)?;
    if !doc.contains_key("hotspot") {
        doc.insert("hotspot", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let Some(Item::ArrayOfTables(hotspots)) = doc.get_mut("hotspot") else {
        return Err(TourEditError::NotTables("hotspot"));
    };
    if hotspots
        .iter()
        .any(|h| h.get("id").and_then(Item::as_str) == Some(draft.id.as_str()))
    {
        return Err(TourEditError::DuplicateHotspot(draft.id.clone()));
    }
    let mut table = Table::new();
    table.insert("id", Item::Value(draft.id.as_str().into()));
    if coords == Coords::Wgs84 {
        table.insert("crs", Item::Value(Crs::Wgs84.to_string().into()));
    }
    table.insert("position", Item::Value(position(draft.enu, frame, coords)));
    table.insert("title", Item::Value(inline_text(&draft.title)));
    table.insert("article", Item::Table(dotted_text(&draft.article)?));
    hotspots.push(table);
    Ok(doc.to_string())
}

/// `text` with hotspot `id`'s title and article replaced (its position,
/// bookmark and comments stay).
pub fn set_hotspot_texts(text: &str, id: &str, title: &Text, article: &Text) -> Result<String, TourEditError> {
    check_title(title, "the hotspot's title")?;
    check_markdown(article, "the hotspot's article")?;
    let mut doc = parse(text)?;
    let hotspot = match doc.get_mut("hotspot") {
        Some(Item::ArrayOfTables(h)) => h.iter_mut().find(|h| h.get("id").and_then(Item::as_str) == Some(id)),
        Some(_) => return Err(TourEditError::NotTables("hotspot")),
        None => None,
    };
    let Some(hotspot) = hotspot else {
        return Err(TourEditError::UnknownHotspot(id.to_owned()));
    };
    set_value(hotspot, "title", inline_text(title));
    set_long_text(hotspot, "article", article)?;
    Ok(doc.to_string())
}

/// `text` with hotspot `id` added to the `hotspots` shown at stop `index`
/// of tour `tour`.
pub fn show_hotspot_at_stop(text: &str, tour: &str, index: usize, id: &str) -> Result<String, TourEditError> {
    let mut doc = parse(text)?;
    let exists = doc
        .get("hotspot")
        .and_then(Item::as_array_of_tables)
        .is_some_and(|h| h.iter().any(|h| h.get("id").and_then(Item::as_str) == Some(id)));
    if !exists {
        return Err(TourEditError::UnknownHotspot(id.to_owned()));
    }
    let stop = stop_mut(&mut doc, tour, index)?;
    match stop.get_mut("hotspots") {
        Some(Item::Value(Value::Array(shown))) => {
            if shown.iter().any(|v| v.as_str() == Some(id)) {
                return Err(TourEditError::AlreadyShown {
                    tour: tour.to_owned(),
                    index,
                    id: id.to_owned(),
                });
            }
            shown.push(id);
        }
        Some(_) => return Err(TourEditError::NotTables("tour.stop hotspots (an array of ids)")),
        None => {
            let mut shown = Array::new();
            shown.push(id);
            stop.insert("hotspots", Item::Value(Value::Array(shown)));
        }
    }
    Ok(doc.to_string())
}

/// Scene ids: what `scene check` accepts.
pub fn check_id(id: &str) -> Result<(), TourEditError> {
    let valid = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(TourEditError::InvalidId(id.to_owned()))
    }
}

fn check_view(view: &View) -> Result<(), TourEditError> {
    if view.eye.iter().chain(&view.target).any(|v| !v.is_finite()) {
        return Err(TourEditError::BadView(format!(
            "eye {:?} or target {:?} is not finite",
            view.eye, view.target
        )));
    }
    let d = view.eye.iter().zip(&view.target).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    if d < 0.01 {
        return Err(TourEditError::BadView("the eye is on the target".to_owned()));
    }
    if !(1.0..=170.0).contains(&view.fov_deg) {
        return Err(TourEditError::BadView(format!(
            "the field of view is {}°: expected 1 to 170",
            view.fov_deg
        )));
    }
    Ok(())
}

fn languages(text: &Text) -> [(&'static str, &str); 2] {
    [("vi", text.vi.as_str()), ("en", text.en.as_str())]
}

fn check_title(title: &Text, what: &str) -> Result<(), TourEditError> {
    for (lang, value) in languages(title) {
        if value.trim().is_empty() {
            return Err(TourEditError::EmptyText { what: what.to_owned() });
        }
        if value.contains(['\n', '\r']) {
            return Err(TourEditError::MultiLineTitle {
                what: what.to_owned(),
                lang,
            });
        }
    }
    Ok(())
}

/// Non-empty in both languages and in the Markdown subset `scene check` accepts.
pub fn check_markdown(text: &Text, what: &str) -> Result<(), TourEditError> {
    for (lang, value) in languages(text) {
        if value.trim().is_empty() {
            return Err(TourEditError::EmptyText { what: what.to_owned() });
        }
        if let Err(why) = parse_markdown(value) {
            return Err(TourEditError::Markdown {
                what: what.to_owned(),
                lang,
                why,
            });
        }
    }
    Ok(())
}

/// Rounded so that files stay readable: 1e-9° is 0.1 mm, metres to 1 mm.
fn rounded(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

fn position(enu: [f64; 3], frame: &EnuFrame, coords: Coords) -> Value {
    let xyz = match coords {
        Coords::Local => enu.map(|v| rounded(v, 3)),
        Coords::Wgs84 => {
            let g = frame.enu_to_geodetic(enu);
            [rounded(g.lon_deg, 9), rounded(g.lat_deg, 9), rounded(g.height_m, 3)]
        }
    };
    let mut a = Array::new();
    a.extend(xyz);
    Value::Array(a)
}

fn inline_text(text: &Text) -> Value {
    let mut t = InlineTable::new();
    t.insert("vi", text.vi.as_str().into());
    t.insert("en", text.en.as_str().into());
    Value::InlineTable(t)
}

/// `text.vi = """…"""` and `text.en = """…"""`, as the shipped scenes write
/// long texts.
fn dotted_text(text: &Text) -> Result<Table, TourEditError> {
    let mut t = Table::new();
    t.set_dotted(true);
    t.insert("vi", Item::Value(multi_line(&text.vi)?));
    t.insert("en", Item::Value(multi_line(&text.en)?));
    Ok(t)
}

/// A TOML multi-line basic string: the text's lines as they are, ending
/// with one line break (as the shipped scenes' texts do), escaped only where
/// TOML needs it.
fn multi_line(text: &str) -> Result<Value, TourEditError> {
    let body = text.trim_end();
    let mut out = String::from("\"\"\"\n");
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            // A quote before another could close the string (`"""`).
            '"' if chars.peek() == Some(&'"') => out.push_str("\\\""),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push_str("\n\"\"\"");
    Value::from_str(&out).map_err(|e| TourEditError::Parse(format!("a text could not be written: {e}")))
}

/// Sets `key` to `new`, keeping the spacing around the old value (the
/// comments above the key belong to the key and stay).
fn set_value(table: &mut Table, key: &str, mut new: Value) {
    if let Some(Item::Value(old)) = table.get_mut(key) {
        *new.decor_mut() = old.decor().clone();
        *old = new;
    } else {
        table.insert(key, Item::Value(new));
    }
}

/// Sets a long text (`text`, `article`) as dotted multi-line strings,
/// whether the file gave a dotted table, an inline table or none.
fn set_long_text(table: &mut Table, key: &str, text: &Text) -> Result<(), TourEditError> {
    match table.get_mut(key) {
        Some(Item::Table(t)) => {
            for (lang, value) in languages(text) {
                set_value(t, lang, multi_line(value)?);
            }
        }
        Some(item) => *item = Item::Table(dotted_text(text)?),
        None => {
            table.insert(key, Item::Table(dotted_text(text)?));
        }
    }
    Ok(())
}
