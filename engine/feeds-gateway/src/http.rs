//! The REST side: devices, history (paged), camera snapshots, statistics.
//! Tokens come in the `Authorization` header only: a token in a URL ends up
//! in logs, proxies and browser history.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sontinh_feeds::{Observation, Role, parse_time, snapshot_file};

use crate::Shared;
use crate::token::{self, Claims};

/// Why a request is refused: a status and a message.
pub(crate) type Refusal = (StatusCode, String);

/// The claims of the bearer token in `Authorization`.
pub(crate) fn bearer_claims(shared: &Shared, headers: &HeaderMap) -> Result<Option<Claims>, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().ok().unwrap_or("");
    if let Some(token) = text.strip_prefix("Bearer ") {
        return verify(shared, token).map(Some);
    }
    // Basic, with the token as the password (any user name): what stock
    // SensorThings clients (FROST's Python client, QGIS) can send.
    if let Some(encoded) = text.strip_prefix("Basic ") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok().and_then(|b| String::from_utf8(b).ok());
        if let Some((_, token)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            return verify(shared, token).map(Some);
        }
    }
    Err((StatusCode::UNAUTHORIZED, "Authorization must be \"Bearer <token>\" (or Basic with the token as the password)".to_owned()))
}

pub(crate) fn verify(shared: &Shared, token: &str) -> Result<Claims, Refusal> {
    token::verify(shared.secret.as_bytes(), token, chrono::Utc::now().timestamp()).map_err(|why| (StatusCode::UNAUTHORIZED, why.to_owned()))
}

/// The claims of a REST request: a bearer token, never `?token=`.
fn claims_of(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> Result<Claims, Refusal> {
    if query.contains_key("token") {
        return Err((
            StatusCode::UNAUTHORIZED,
            "tokens in URLs are refused outside /ws: send \"Authorization: Bearer <token>\"".to_owned(),
        ));
    }
    match bearer_claims(shared, headers)? {
        Some(claims) => Ok(claims),
        None => Err((
            StatusCode::UNAUTHORIZED,
            "a role token is required (Authorization: Bearer …)".to_owned(),
        )),
    }
}

/// A token bucket: `rate` per second, bursts of twice that.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: f64) -> Bucket {
        Bucket {
            tokens: 2.0 * rate,
            at: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn take(&mut self, rate: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(2.0 * rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// REST request rates per client address, bounded in size.
#[derive(Default)]
pub(crate) struct RateTable(std::sync::Mutex<HashMap<IpAddr, Bucket>>);

impl RateTable {
    fn allow(&self, peer: Option<IpAddr>, rate: f64) -> bool {
        let Some(ip) = peer else { return true };
        let Ok(mut table) = self.0.lock() else { return true };
        let now = Instant::now();
        if table.len() > 10_000 {
            // Full buckets carry no information: forget them first.
            table.retain(|_, b| b.tokens < 2.0 * rate - 1.0 && now.saturating_duration_since(b.at).as_secs() < 10);
            if table.len() > 10_000 {
                table.clear();
            }
        }
        table.entry(ip).or_insert_with(|| Bucket::new(rate)).take(rate, now)
    }
}

/// Authorised and within its rate: the token's claims, else the response to send.
fn admit_claims(shared: &Shared, request: &Request, query: &HashMap<String, String>) -> Result<Claims, Refusal> {
    let claims = claims_of(shared, request.headers(), query)?;
    let peer = crate::server::peer(request.extensions()).map(|a| a.ip());
    if !shared.rest_rates.allow(peer, shared.limits.requests_per_second) {
        return Err((StatusCode::TOO_MANY_REQUESTS, "too many requests; slow down".to_owned()));
    }
    Ok(claims)
}

/// [`admit_claims`], the role only.
fn admit(shared: &Shared, request: &Request, query: &HashMap<String, String>) -> Result<Role, Refusal> {
    admit_claims(shared, request, query).map(|c| c.role)
}

/// [`admit`] with the request's own query.
pub(crate) fn admit_request(shared: &Shared, request: &Request) -> Result<Role, Refusal> {
    admit(shared, request, &query_of(request))
}

/// [`admit_claims`] with the request's own query: for a route that needs
/// who holds the token, not only its role.
pub(crate) fn admit_request_claims(shared: &Shared, request: &Request) -> Result<Claims, Refusal> {
    admit_claims(shared, request, &query_of(request))
}

pub(crate) fn query_of(request: &Request) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(request.uri())
        .map(|q| q.0)
        .unwrap_or_default()
}

pub(crate) async fn devices_handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let role = match admit(&shared, &request, &query_of(&request)) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let state = shared.state.read().await;
    let now = chrono::Utc::now().timestamp_millis();
    let snapshot = state.snapshot_for(role);
    let stale: Vec<&str> = snapshot
        .devices
        .iter()
        .filter(|d| state.is_stale(&d.id, now))
        .map(|d| d.id.as_str())
        .collect();
    Json(serde_json::json!({
        "devices": snapshot.devices,
        "latest": snapshot.latest,
        "stale": stale,
        "broker_connected": shared.broker_connected.load(Ordering::Relaxed),
    }))
    .into_response()
}

/// `from`/`to`/`after` as RFC 3339 or milliseconds since 1970.
pub(crate) fn time_param(query: &HashMap<String, String>, key: &str, default: i64) -> Result<i64, Refusal> {
    match query.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .map_or_else(|| parse_time(v), Ok)
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("{key}: {e}"))),
    }
}

/// `GET /devices/{id}/history?from=&to=&limit=&after=`: at most `limit`
/// (default and cap: the history page) observations, oldest first, and
/// `next_after`, the `after` of the following page, while there is more.
pub(crate) async fn history_handler(State(shared): State<Arc<Shared>>, UrlPath(id): UrlPath<String>, request: Request) -> Response {
    let query = query_of(&request);
    let role = match admit(&shared, &request, &query) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let page_cap = shared.limits.history_page;
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => page_cap,
        Some(Ok(l)) if (1..=page_cap).contains(&l) => l,
        Some(_) => return (StatusCode::BAD_REQUEST, format!("limit: expected 1 to {page_cap}")).into_response(),
    };
    let params = (
        time_param(&query, "from", i64::MIN),
        time_param(&query, "to", i64::MAX),
        time_param(&query, "after", i64::MIN),
    );
    let (from, to, after) = match params {
        (Ok(f), Ok(t), Ok(a)) => (f, t, a),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e.into_response(),
    };
    let state = shared.state.read().await;
    if !state.registry().get(&id).is_some_and(|d| d.visible_to(role)) {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    }
    // One device's times are unique: "after" a time is from the next millisecond.
    let from = if query.contains_key("after") {
        from.max(after.saturating_add(1))
    } else {
        from
    };
    let (page, next) = state.history_page(&[id.as_str()], from, to, None, limit);
    let observations: Vec<Observation> = page.iter().map(|o| o.view_for(role)).collect();
    Json(serde_json::json!({
        "observations": observations,
        "next_after": next.map(|c| c.time_ms),
    }))
    .into_response()
}

pub(crate) async fn stats_handler(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    match admit(&shared, &request, &query_of(&request)) {
        Ok(Role::Operator | Role::Planner) => {}
        Ok(Role::Tourist) => return (StatusCode::FORBIDDEN, "operators only").into_response(),
        Err(refusal) => return refusal.into_response(),
    }
    let state = shared.state.read().await;
    Json(serde_json::json!({
        "accepted": state.accepted(),
        "committed": shared.committed.load(Ordering::Relaxed),
        "rejected": state.rejects(),
        "broker_connected": shared.broker_connected.load(Ordering::Relaxed),
        "subscribed": shared.subscribed.load(Ordering::Relaxed),
        "viewers": shared.limits.max_viewers - shared.viewers.available_permits(),
    }))
    .into_response()
}

/// `GET /snapshots/{file}`: only files that a camera visible to the role
/// names, only plain files inside the snapshots folder.
pub(crate) async fn snapshot_handler(State(shared): State<Arc<Shared>>, UrlPath(file): UrlPath<String>, request: Request) -> Response {
    let role = match admit(&shared, &request, &query_of(&request)) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    if role == Role::Tourist {
        return (StatusCode::FORBIDDEN, "camera snapshots are for operators and planners").into_response();
    }
    if snapshot_file(&format!("{}{file}", sontinh_feeds::SNAPSHOT_PATH_PREFIX)).is_err() {
        return (StatusCode::BAD_REQUEST, "bad file name").into_response();
    }
    if !shared.state.read().await.snapshot_visible_to(&file, role) {
        // The same answer whether the file is another role's or no camera's.
        return (StatusCode::NOT_FOUND, "no such snapshot").into_response();
    }
    let Some(dir) = &shared.snapshots else {
        return (StatusCode::NOT_FOUND, "no snapshots folder").into_response();
    };
    match read_inside(dir, &file).await {
        Ok(bytes) => {
            let content_type = if file.to_ascii_lowercase().ends_with(".png") {
                "image/png"
            } else {
                "image/jpeg"
            };
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
        Err(status) => (status, "no such snapshot").into_response(),
    }
}

/// Largest snapshot served.
const MAX_SNAPSHOT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads `dir/file` if it is a plain file whose real location (symlinks
/// resolved) is directly inside the real `dir`.
async fn read_inside(dir: &std::path::Path, file: &str) -> Result<Vec<u8>, StatusCode> {
    let real_dir = tokio::fs::canonicalize(dir).await.map_err(|_| StatusCode::NOT_FOUND)?;
    let real = tokio::fs::canonicalize(dir.join(file)).await.map_err(|_| StatusCode::NOT_FOUND)?;
    if real.parent() != Some(real_dir.as_path()) {
        return Err(StatusCode::NOT_FOUND);
    }
    let metadata = tokio::fs::metadata(&real).await.map_err(|_| StatusCode::NOT_FOUND)?;
    if !metadata.is_file() || metadata.len() > MAX_SNAPSHOT_BYTES {
        return Err(StatusCode::NOT_FOUND);
    }
    tokio::fs::read(&real).await.map_err(|_| StatusCode::NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let rate = 10.0;
        let mut bucket = Bucket::new(rate);
        let start = bucket.at;
        let burst = (0..100).filter(|_| bucket.take(rate, start)).count();
        assert_eq!(burst, 20, "a burst of twice the rate");
        // Half a second later, five more.
        let later = start + std::time::Duration::from_millis(500);
        assert_eq!((0..100).filter(|_| bucket.take(rate, later)).count(), 5);
    }
}
