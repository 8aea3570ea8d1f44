//! `GET /report?from=…&to=…[&lang=vi|en][&format=html|json]`: the report of
//! a period that replaces the paper one, from the history database, as the
//! caller's role may see it (tourists: only their devices, no one's
//! acknowledgements).

pub mod figures;
pub mod html;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sontinh_feeds::{Observation, Role};

use crate::Shared;
use crate::http::{admit_request, query_of, time_param};
use figures::{AlarmEvent, CameraFigures, GaugeFigures, LightFigures};

/// Observations one report reads at most: a longer period is asked for in parts.
const MAX_REPORT_OBSERVATIONS: i64 = 2_000_000;
/// The period when none is given: the last day.
const DEFAULT_PERIOD_MS: i64 = 24 * 3_600_000;

/// Everything a report shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub from_ms: i64,
    pub to_ms: i64,
    pub made_ms: i64,
    pub role: Role,
    pub observations: usize,
    pub gauges: Vec<GaugeFigures>,
    /// Each crossing, oldest first, with who acknowledged it and when
    /// (operators and planners only).
    pub alarms: Vec<(AlarmEvent, Option<(String, i64)>)>,
    pub cameras: Vec<CameraFigures>,
    pub lights: Vec<LightFigures>,
}

pub(crate) async fn report_handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let role = match admit_request(&shared, &request) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let query = query_of(&request);
    let now = chrono::Utc::now().timestamp_millis();
    let (from_ms, to_ms) = match (time_param(&query, "from", now - DEFAULT_PERIOD_MS), time_param(&query, "to", now)) {
        (Ok(f), Ok(t)) if f < t => (f, t),
        (Ok(_), Ok(_)) => return (StatusCode::BAD_REQUEST, "from must be before to".to_owned()).into_response(),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let language = match query.get("lang").map(String::as_str) {
        None | Some("vi") => html::Language::Vi,
        Some("en") => html::Language::En,
        Some(other) => return (StatusCode::BAD_REQUEST, format!("lang {other:?}: vi or en")).into_response(),
    };
    let json = match query.get("format").map(String::as_str) {
        None | Some("html") => false,
        Some("json") => true,
        Some(other) => return (StatusCode::BAD_REQUEST, format!("format {other:?}: html or json")).into_response(),
    };
    let devices: Vec<sontinh_feeds::Device> = {
        let state = shared.state.read().await;
        state.registry().devices().iter().filter(|d| d.visible_to(role)).cloned().collect()
    };
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    let database = |e: sontinh_feeds_store::StoreError| (StatusCode::SERVICE_UNAVAILABLE, format!("the history database: {e}")).into_response();
    let stored = match shared.store.count_of(&ids, from_ms, to_ms).await {
        Ok(n) => n,
        Err(e) => return database(e),
    };
    if stored > MAX_REPORT_OBSERVATIONS {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{stored} observations in the period, more than a report reads ({MAX_REPORT_OBSERVATIONS}): ask for a shorter one"),
        )
            .into_response();
    }
    let observations = if ids.is_empty() {
        Vec::new()
    } else {
        match shared.store.range_of(&ids, from_ms, to_ms, false, MAX_REPORT_OBSERVATIONS, 0).await {
            Ok(o) => o,
            Err(e) => return database(e),
        }
    };
    let acknowledgements = if role == Role::Tourist {
        Vec::new()
    } else {
        match shared.store.acknowledgements().await {
            Ok(a) => a,
            Err(e) => return database(e),
        }
    };
    let report = build(&devices, &observations, &acknowledgements, role, (from_ms, to_ms), now);
    if json {
        match serde_json::to_string(&report) {
            Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    } else {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html::render(&report, language)).into_response()
    }
}

/// The report of `devices` (those the role may see) from their observations.
pub fn build(
    devices: &[sontinh_feeds::Device],
    observations: &[Observation],
    acknowledgements: &[sontinh_feeds_store::Acknowledgement],
    role: Role,
    (from_ms, to_ms): (i64, i64),
    made_ms: i64,
) -> Report {
    let mut by_device: HashMap<&str, Vec<&Observation>> = HashMap::new();
    for o in observations {
        by_device.entry(o.device.as_str()).or_default().push(o);
    }
    let mut report = Report {
        from_ms,
        to_ms,
        made_ms,
        role,
        observations: observations.len(),
        gauges: Vec::new(),
        alarms: Vec::new(),
        cameras: Vec::new(),
        lights: Vec::new(),
    };
    for device in devices {
        let readings = by_device.get(device.id.as_str()).map(Vec::as_slice).unwrap_or_default();
        if let Some((gauge, events)) = figures::gauge(device, readings) {
            report.gauges.push(gauge);
            for event in events {
                // An acknowledgement names the reading that raised the alarm:
                // the first reading at or after the crossing.
                let raised_by = readings.iter().map(|o| o.time_ms).filter(|t| *t >= event.time_ms).min();
                let acknowledged = event
                    .rising
                    .then(|| acknowledgements.iter().find(|a| a.device == event.device && Some(a.alarm_time_ms) == raised_by))
                    .flatten()
                    .map(|a| (a.by.clone(), a.at_ms));
                report.alarms.push((event, acknowledged));
            }
        }
        report.cameras.extend(figures::camera(device, readings));
        report.lights.extend(figures::light(device, readings));
    }
    report.alarms.sort_by_key(|(e, _)| (e.time_ms, e.device.clone(), e.alarm));
    report
}
