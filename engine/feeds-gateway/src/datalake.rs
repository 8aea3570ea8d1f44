//! For the provincial data lake: the devices and their current state as
//! GeoJSON, and a range of the history as CSV, each as the caller's role
//! may see them.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sontinh_feeds::Reading;

use crate::Shared;
use crate::http::{admit_request, time_param};

/// Rows of one CSV reply at most: a longer range is asked for in parts.
const MAX_CSV_ROWS: i64 = 1_000_000;

/// `GET /devices.geojson`: a FeatureCollection of the devices (WGS 84 points
/// with height) with their latest reading, alarm level and staleness.
pub(crate) async fn devices_geojson(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let role = match admit_request(&shared, &request) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let state = shared.state.read().await;
    let now = chrono::Utc::now().timestamp_millis();
    let features: Vec<serde_json::Value> = state
        .registry()
        .devices()
        .iter()
        .filter_map(|d| d.view_for(role))
        .map(|d| {
            let latest = state.latest(&d.id).map(|o| o.view_for(role));
            json!({
                "type": "Feature",
                "id": d.id,
                "geometry": {"type": "Point", "coordinates": d.position},
                "properties": {
                    "device": d,
                    "latest": latest,
                    "alarm_level": state.alarm(&d.id),
                    "stale": state.is_stale(&d.id, now),
                },
            })
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
        .into_response()
}

/// `GET /history.csv?from=…&to=…[&device=ID]`: every stored observation in
/// `[from, to)` (RFC 3339 or milliseconds), oldest first (then by device), one row each:
/// `device,time,kind,value,on,dim,online,fault`.
pub(crate) async fn history_csv(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let role = match admit_request(&shared, &request) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let query: std::collections::HashMap<String, String> =
        request.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let (from, to) = match (time_param(&query, "from", i64::MIN), time_param(&query, "to", i64::MAX)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let visible: Vec<String> = {
        let state = shared.state.read().await;
        state.registry().devices().iter().filter(|d| d.visible_to(role)).map(|d| d.id.clone()).collect()
    };
    let devices: Vec<&str> = match query.get("device") {
        Some(id) if visible.contains(id) => vec![id.as_str()],
        Some(id) => return (StatusCode::NOT_FOUND, format!("no device {id} for this role")).into_response(),
        None => visible.iter().map(String::as_str).collect(),
    };
    if devices.is_empty() {
        return csv(String::from(HEADER));
    }
    let rows = match shared.store.range_of(&devices, from, to, false, MAX_CSV_ROWS + 1, 0).await {
        Ok(rows) => rows,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, format!("the history database: {e}")).into_response(),
    };
    if rows.len() as i64 > MAX_CSV_ROWS {
        return (StatusCode::PAYLOAD_TOO_LARGE, format!("more than {MAX_CSV_ROWS} rows: ask for a shorter range")).into_response();
    }
    let mut text = String::from(HEADER);
    for o in rows {
        let o = o.view_for(role);
        let time = chrono::DateTime::from_timestamp_millis(o.time_ms).map_or_else(String::new, |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let line = match &o.reading {
            Reading::WaterLevel { level_m } => format!("{},{time},water_level,{level_m},,,,\n", o.device),
            Reading::Value { value } => format!("{},{time},value,{value},,,,\n", o.device),
            Reading::Light { on, dim, fault } => format!("{},{time},light,,{on},{dim},,{}\n", o.device, quote(fault.as_deref().unwrap_or(""))),
            Reading::Camera { online, .. } => format!("{},{time},camera,,,,{online},\n", o.device),
        };
        text.push_str(&line);
    }
    csv(text)
}

const HEADER: &str = "device,time,kind,value,on,dim,online,fault\n";

fn csv(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response()
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// `GET /warning`: the latest flood warning (JSON, as on the alert topic), or 404 when none was sent.
pub(crate) async fn last_warning(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if let Err(refusal) = admit_request(&shared, &request) {
        return refusal.into_response();
    }
    match shared.last_warning.read().await.as_ref() {
        Some(w) => axum::Json(w.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "no flood warning yet").into_response(),
    }
}
