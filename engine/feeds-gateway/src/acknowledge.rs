//! `POST /acknowledge` (`{"device": ID, "alarm_time": RFC 3339 or ms}`): an
//! operator acknowledges the alarm a gauge's reading raised (a reading at a
//! higher alarm level than the one before it). The token must
//! name its holder (`sontinh feeds token --subject NAME`): the database
//! keeps who and when, the first acknowledgement only, and the period's
//! report shows it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sontinh_feeds::{DeviceKind, Reading, Role, alarm_level, parse_time};
use sontinh_feeds_store::Acknowledgement;

use crate::Shared;
use crate::http::admit_request_claims;

const JSON: [(axum::http::HeaderName, &str); 1] = [(axum::http::header::CONTENT_TYPE, "application/json")];

/// Largest request body: a device id and a time.
const MAX_BODY_BYTES: usize = 4096;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AcknowledgeRequest {
    device: String,
    alarm_time: serde_json::Value,
}

pub(crate) async fn acknowledge_handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let claims = match admit_request_claims(&shared, &request) {
        Ok(c) => c,
        Err(refusal) => return refusal.into_response(),
    };
    let role = claims.role;
    if role != Role::Operator {
        return (StatusCode::FORBIDDEN, "only operators acknowledge alarms".to_owned()).into_response();
    }
    let Some(by) = claims.sub else {
        return (
            StatusCode::FORBIDDEN,
            "an acknowledgement records who made it: use a token that names its holder (sontinh feeds token --subject NAME)".to_owned(),
        )
            .into_response();
    };
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, format!("the request is over {MAX_BODY_BYTES} bytes")).into_response(),
    };
    let asked: AcknowledgeRequest = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("expected {{\"device\": ID, \"alarm_time\": TIME}}: {e}")).into_response(),
    };
    let alarm_time_ms = match &asked.alarm_time {
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(|| "alarm_time: whole milliseconds".to_owned()),
        serde_json::Value::String(text) => parse_time(text).map_err(|e| format!("alarm_time: {e}")),
        _ => Err("alarm_time: RFC 3339 text or milliseconds".to_owned()),
    };
    let alarm_time_ms = match alarm_time_ms {
        Ok(t) => t,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let alarm_levels = {
        let state = shared.state.read().await;
        match state.registry().devices().iter().find(|d| d.id == asked.device && d.visible_to(role)).map(|d| &d.kind) {
            Some(DeviceKind::WaterGauge { alarm_levels_m, .. }) => *alarm_levels_m,
            Some(_) => return (StatusCode::UNPROCESSABLE_ENTITY, format!("{} is not a gauge: only gauges raise alarms", asked.device)).into_response(),
            None => return (StatusCode::NOT_FOUND, format!("no device {}", asked.device)).into_response(),
        }
    };
    let reading = match shared.store.range(Some(&asked.device), alarm_time_ms, alarm_time_ms.saturating_add(1), false, 1, 0).await {
        Ok(r) => r,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, format!("the history database: {e}")).into_response(),
    };
    // An alarm is raised by a reading at a higher alarm level than the one before it.
    let alarm_of = |reading: Option<&Reading>| match reading {
        Some(Reading::WaterLevel { level_m }) => alarm_level(&alarm_levels, *level_m),
        _ => 0,
    };
    let alarm = alarm_of(reading.first().map(|o| &o.reading));
    if alarm == 0 {
        return (
            StatusCode::NOT_FOUND,
            format!("{} has no reading at {alarm_time_ms} ms at or above its first alarm level ({} m)", asked.device, alarm_levels[0]),
        )
            .into_response();
    }
    let before = match shared.store.range(Some(&asked.device), i64::MIN, alarm_time_ms, true, 1, 0).await {
        Ok(r) => r,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, format!("the history database: {e}")).into_response(),
    };
    let previous = alarm_of(before.first().map(|o| &o.reading));
    if previous >= alarm {
        return (
            StatusCode::NOT_FOUND,
            format!("the reading of {} at {alarm_time_ms} ms raised no alarm: the one before was already at alarm level {previous}", asked.device),
        )
            .into_response();
    }
    let ack = Acknowledgement {
        device: asked.device,
        alarm_time_ms,
        by,
        at_ms: chrono::Utc::now().timestamp_millis(),
    };
    match shared.store.acknowledge(&ack).await {
        Ok(true) => (StatusCode::CREATED, JSON, json!({"device": ack.device, "alarm_time_ms": ack.alarm_time_ms, "by": ack.by, "at_ms": ack.at_ms}).to_string()).into_response(),
        Ok(false) => {
            // Acknowledged before: say by whom.
            let earlier = shared.store.acknowledgements().await.ok().and_then(|all| all.into_iter().find(|a| a.device == ack.device && a.alarm_time_ms == ack.alarm_time_ms));
            match earlier {
                Some(a) => (StatusCode::OK, JSON, json!({"device": a.device, "alarm_time_ms": a.alarm_time_ms, "by": a.by, "at_ms": a.at_ms, "already": true}).to_string()).into_response(),
                None => (StatusCode::OK, JSON, json!({"already": true}).to_string()).into_response(),
            }
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("the history database: {e}")).into_response(),
    }
}
