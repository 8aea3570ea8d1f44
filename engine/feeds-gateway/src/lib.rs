//! The feed gateway and the scenario replayer (native, tokio).
//!
//! The gateway subscribes to the broker with a persistent session (QoS 1
//! messages queued while it is away are delivered when it returns),
//! reconnects with backoff, applies every message to a [`FeedState`], and
//! serves viewers: `GET /ws` (a snapshot, then deltas), `GET /devices`,
//! `GET /devices/{id}/history?from=&to=`, `GET /snapshots/{file}` and
//! `GET /stats`. Every request carries a signed role token (`Authorization:
//! Bearer …` or `?token=`); each client receives only what its role may see.

pub mod broker;
pub mod link;
pub mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde::Deserialize;
use axum::extract::ws::Utf8Bytes;
use sontinh_feeds::{ClientRequest, FeedState, Observation, Registry, Role, ServerMessage, parse_compact, parse_request, parse_sensorthings, parse_time};
use tokio::sync::{RwLock, broadcast};

/// Topic of the compact format.
pub const COMPACT_TOPIC: &str = "sontinh/v1/observations";
/// SensorThings observations arrive below this prefix.
pub const SENSORTHINGS_FILTER: &str = "v1.1/#";

/// `sontinh feeds gateway --config FILE` (TOML).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// `mqtt://host:port`.
    pub broker: String,
    /// Address to serve viewers on, e.g. `127.0.0.1:8787` (port 0: any free port).
    pub listen: String,
    /// Device list (JSON, see the `sontinh-feeds` README), relative to the config.
    pub devices: PathBuf,
    /// Key that signs role tokens.
    pub secret: String,
    /// Observations kept per device.
    #[serde(default = "default_history")]
    pub history: usize,
    /// Folder of camera snapshots served to operators and planners.
    #[serde(default)]
    pub snapshots: Option<PathBuf>,
    /// MQTT client id: the broker keeps this client's session across restarts.
    #[serde(default = "default_client_id")]
    pub client_id: String,
}

fn default_history() -> usize {
    10_000
}

fn default_client_id() -> String {
    "sontinh-gateway".to_owned()
}

impl GatewayConfig {
    /// Reads the config, resolving paths against its folder.
    pub fn load(path: &Path) -> Result<GatewayConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut config: GatewayConfig = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.devices = base.join(&config.devices);
        config.snapshots = config.snapshots.map(|s| base.join(s));
        if config.secret.len() < 8 {
            return Err(format!("{}: the secret must be at least 8 characters", path.display()));
        }
        Ok(config)
    }
}

/// `mqtt://host:port` → (host, port).
pub fn parse_broker(url: &str) -> Result<(String, u16), String> {
    let rest = url.strip_prefix("mqtt://").ok_or_else(|| format!("broker \"{url}\": expected mqtt://host:port"))?;
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "1883"));
    let port = port.trim_end_matches('/').parse().map_err(|_| format!("broker \"{url}\": bad port"))?;
    if host.is_empty() {
        return Err(format!("broker \"{url}\": no host"));
    }
    Ok((host.to_owned(), port))
}

/// An accepted observation, serialised once for each role that may see it
/// (tourist, operator, planner), so that fanning out to many viewers costs a
/// clone of shared bytes per viewer.
type Delta = [Option<Utf8Bytes>; 3];

fn role_slot(role: Role) -> usize {
    match role {
        Role::Tourist => 0,
        Role::Operator => 1,
        Role::Planner => 2,
    }
}

fn to_text(message: &ServerMessage) -> Utf8Bytes {
    // Serialising our own plain data cannot fail; an empty frame would be ignored by viewers.
    serde_json::to_string(message).unwrap_or_default().into()
}

struct Shared {
    state: RwLock<FeedState>,
    deltas: broadcast::Sender<Arc<Delta>>,
    broker_connected: AtomicBool,
    secret: Vec<u8>,
    snapshots: Option<PathBuf>,
    /// Set when the gateway stops: viewers get a close frame.
    closing: tokio::sync::watch::Sender<bool>,
}

/// Runs until `shutdown` completes; `bound` receives the address served.
pub async fn run_gateway(
    config: GatewayConfig,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let devices = std::fs::read_to_string(&config.devices).map_err(|e| format!("{}: {e}", config.devices.display()))?;
    let registry = Registry::from_json(&devices).map_err(|e| format!("{}: {e}", config.devices.display()))?;
    let (host, port) = parse_broker(&config.broker)?;
    let (deltas, _) = broadcast::channel(65_536);
    let shared = Arc::new(Shared {
        state: RwLock::new(FeedState::new(registry, config.history)),
        deltas,
        broker_connected: AtomicBool::new(false),
        secret: config.secret.as_bytes().to_vec(),
        snapshots: config.snapshots.clone(),
        closing: tokio::sync::watch::channel(false).0,
    });

    let mut options = MqttOptions::new(config.client_id.clone(), host, port);
    options.set_clean_session(false);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_max_packet_size(sontinh_feeds::MAX_MESSAGE_BYTES * 4, sontinh_feeds::MAX_MESSAGE_BYTES * 4);
    let (client, eventloop) = AsyncClient::new(options, 1024);
    let mqtt = tokio::spawn(mqtt_loop(client, eventloop, shared.clone()));

    let router = Router::new()
        .route("/devices", get(devices_handler))
        .route("/devices/{id}/history", get(history_handler))
        .route("/ws", get(ws_handler))
        .route("/snapshots/{file}", get(snapshot_handler))
        .route("/stats", get(stats_handler))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(tx) = bound {
        let _ = tx.send(address);
    }
    let served = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
    // WebSocket sessions live outside the server's connection tracking: close them.
    let _ = shared.closing.send(true);
    mqtt.abort();
    served.map_err(|e| e.to_string())
}

async fn mqtt_loop(client: AsyncClient, mut eventloop: rumqttc::EventLoop, shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(200);
    let mut logged_down = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                shared.broker_connected.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(200);
                if logged_down {
                    eprintln!("feeds gateway: broker connection back");
                    logged_down = false;
                }
                // A new session (first start, or a broker that forgot us) needs the subscriptions again.
                if !ack.session_present {
                    for topic in [COMPACT_TOPIC, SENSORTHINGS_FILTER] {
                        if let Err(e) = client.subscribe(topic, QoS::AtLeastOnce).await {
                            eprintln!("feeds gateway: cannot subscribe to {topic}: {e}");
                        }
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                handle_message(&shared, &publish.topic, &publish.payload).await;
            }
            Ok(_) => {}
            Err(e) => {
                shared.broker_connected.store(false, Ordering::Relaxed);
                if !logged_down {
                    eprintln!("feeds gateway: broker connection lost ({e}); retrying with backoff");
                    logged_down = true;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn handle_message(shared: &Shared, topic: &str, payload: &[u8]) {
    let parsed = {
        let state = shared.state.read().await;
        if topic == COMPACT_TOPIC {
            parse_compact(payload, state.registry())
        } else {
            parse_sensorthings(topic, payload, state.registry())
        }
    };
    let mut state = shared.state.write().await;
    let result = parsed.and_then(|o| state.apply(o.clone()).map(|()| o));
    match result {
        Ok(o) => {
            let delta: Delta = [Role::Tourist, Role::Operator, Role::Planner]
                .map(|role| state.delta_for(&o, role).map(|observation| to_text(&ServerMessage::Observation { observation })));
            drop(state);
            let _ = shared.deltas.send(Arc::new(delta));
        }
        Err(reject) => {
            if state.count_reject(&reject) {
                eprintln!("feeds gateway: rejected ({}): {reject} (further rejects of this kind are counted, not logged)", reject.kind());
            }
        }
    }
}

/// Why a request is refused: a status and a message.
type Refusal = (StatusCode, String);

fn role_of(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> Result<Role, Refusal> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = bearer.or_else(|| query.get("token").cloned()) else {
        return Err((StatusCode::UNAUTHORIZED, "a role token is required (Authorization: Bearer … or ?token=)".to_owned()));
    };
    token::verify(&shared.secret, &token, chrono::Utc::now().timestamp()).map_err(|why| (StatusCode::UNAUTHORIZED, why.to_owned()))
}

async fn devices_handler(State(shared): State<Arc<Shared>>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    let role = match role_of(&shared, &headers, &query) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let state = shared.state.read().await;
    let now = chrono::Utc::now().timestamp_millis();
    let snapshot = state.snapshot_for(role);
    let stale: Vec<&str> = snapshot.devices.iter().filter(|d| state.is_stale(&d.id, now)).map(|d| d.id.as_str()).collect();
    Json(serde_json::json!({
        "devices": snapshot.devices,
        "latest": snapshot.latest,
        "stale": stale,
        "broker_connected": shared.broker_connected.load(Ordering::Relaxed),
    }))
    .into_response()
}

/// `from`/`to` as RFC 3339 or milliseconds since 1970.
fn time_param(query: &HashMap<String, String>, key: &str, default: i64) -> Result<i64, Refusal> {
    match query.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .map_or_else(|| parse_time(v), Ok)
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("{key}: {e}"))),
    }
}

async fn history_handler(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let role = match role_of(&shared, &headers, &query) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let (from, to) = match (time_param(&query, "from", i64::MIN), time_param(&query, "to", i64::MAX)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let state = shared.state.read().await;
    if !state.registry().get(&id).is_some_and(|d| d.visible_to(role)) {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    }
    let history: Vec<Observation> = state.history(&id, from, to).iter().map(|o| o.view_for(role)).collect();
    Json(history).into_response()
}

async fn stats_handler(State(shared): State<Arc<Shared>>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    match role_of(&shared, &headers, &query) {
        Ok(Role::Operator | Role::Planner) => {}
        Ok(Role::Tourist) => return (StatusCode::FORBIDDEN, "operators only").into_response(),
        Err(e) => return e.into_response(),
    }
    let state = shared.state.read().await;
    Json(serde_json::json!({
        "accepted": state.accepted(),
        "rejected": state.rejects(),
        "broker_connected": shared.broker_connected.load(Ordering::Relaxed),
    }))
    .into_response()
}

async fn snapshot_handler(
    State(shared): State<Arc<Shared>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match role_of(&shared, &headers, &query) {
        Ok(Role::Operator | Role::Planner) => {}
        Ok(Role::Tourist) => return (StatusCode::FORBIDDEN, "camera snapshots are for operators").into_response(),
        Err(e) => return e.into_response(),
    }
    let Some(dir) = &shared.snapshots else {
        return (StatusCode::NOT_FOUND, "no snapshots folder").into_response();
    };
    if file.contains('/') || file.contains('\\') || file.starts_with('.') {
        return (StatusCode::BAD_REQUEST, "bad file name").into_response();
    }
    match tokio::fs::read(dir.join(&file)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such snapshot").into_response(),
    }
}

async fn ws_handler(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let role = match role_of(&shared, &headers, &query) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    upgrade.on_upgrade(move |socket| serve_viewer(socket, shared, role))
}

/// One viewer: the snapshot, then every visible delta; the broker's state
/// whenever it changes; history on request.
async fn serve_viewer(mut socket: WebSocket, shared: Arc<Shared>, role: Role) {
    // Subscribe before the snapshot so that nothing falls between them.
    let mut deltas = shared.deltas.subscribe();
    // The broker state the viewer is told is the one later changes are compared with.
    let mut connected = shared.broker_connected.load(Ordering::Relaxed);
    let snapshot = snapshot_message(&shared, role, 0, connected).await;
    if socket.send(Message::Text(snapshot)).await.is_err() {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let slot = role_slot(role);
    let mut closing = shared.closing.subscribe();
    loop {
        tokio::select! {
            _ = closing.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            delta = deltas.recv() => match delta {
                Ok(delta) => {
                    if let Some(text) = &delta[slot]
                        && socket.send(Message::Text(text.clone())).await.is_err()
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // A slow viewer gets a fresh snapshot instead of a gap.
                    connected = shared.broker_connected.load(Ordering::Relaxed);
                    let text = snapshot_message(&shared, role, n, connected).await;
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                let now = shared.broker_connected.load(Ordering::Relaxed);
                if now != connected {
                    connected = now;
                    if socket.send(Message::Text(to_text(&ServerMessage::Status { broker_connected: now }))).await.is_err() {
                        return;
                    }
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(Message::Text(text))) => {
                    let reply = answer_request(&shared, role, &text).await;
                    if socket.send(Message::Text(reply)).await.is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn snapshot_message(shared: &Shared, role: Role, lagged: u64, broker_connected: bool) -> Utf8Bytes {
    let state = shared.state.read().await;
    to_text(&ServerMessage::Snapshot {
        role,
        snapshot: state.snapshot_for(role),
        broker_connected,
        lagged,
    })
}

/// A viewer's request, answered with what its role may see.
async fn answer_request(shared: &Shared, role: Role, text: &str) -> Utf8Bytes {
    let reply = match parse_request(text) {
        Ok(ClientRequest::History { from_ms, to_ms }) => {
            let state = shared.state.read().await;
            let mut observations = Vec::new();
            for device in state.registry().devices().iter().filter(|d| d.visible_to(role)) {
                observations.extend(state.history(&device.id, from_ms, to_ms).iter().map(|o| o.view_for(role)));
            }
            ServerMessage::History { observations }
        }
        Err(message) => ServerMessage::Error { message },
    };
    to_text(&reply)
}

/// A recorded scenario line: a compact message (its `time` paces the replay).
pub fn replay_times(lines: &[String]) -> Result<Vec<i64>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            let t = v.get("time").and_then(|t| t.as_str()).ok_or_else(|| format!("line {}: no \"time\"", i + 1))?;
            parse_time(t).map_err(|e| format!("line {}: {e}", i + 1))
        })
        .collect()
}

/// Publishes a scenario (JSON lines of compact messages, `#` comments
/// allowed) to the broker with QoS 1, `speed` times faster than recorded
/// (0: as fast as possible). `progress` gets (sent, total).
pub async fn replay(path: &Path, broker: &str, speed: f64, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let times = replay_times(&lines).map_err(|e| format!("{}: {e}", path.display()))?;
    let (host, port) = parse_broker(broker)?;
    let mut options = MqttOptions::new(format!("sontinh-replay-{}", std::process::id()), host, port);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_max_packet_size(sontinh_feeds::MAX_MESSAGE_BYTES * 4, sontinh_feeds::MAX_MESSAGE_BYTES * 4);
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let acks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let loop_acks = acks.clone();
    let driver = tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    loop_acks.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => backoff = Duration::from_millis(200),
                Err(e) => {
                    eprintln!("replay: broker connection: {e}; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    });
    let start = tokio::time::Instant::now();
    let first = times.first().copied().unwrap_or(0);
    for (i, (line, t)) in lines.iter().zip(&times).enumerate() {
        if speed > 0.0 {
            let due = Duration::from_secs_f64(((t - first).max(0) as f64 / 1000.0) / speed);
            tokio::time::sleep_until(start + due).await;
        }
        client
            .publish(COMPACT_TOPIC, QoS::AtLeastOnce, false, line.clone().into_bytes())
            .await
            .map_err(|e| format!("publishing line {}: {e}", i + 1))?;
        progress(i + 1, lines.len());
    }
    // Wait for the broker to acknowledge every message (QoS 1).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while acks.load(Ordering::Relaxed) < lines.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    driver.abort();
    let acked = acks.load(Ordering::Relaxed);
    if acked < lines.len() {
        return Err(format!("the broker acknowledged {acked} of {} messages", lines.len()));
    }
    Ok(lines.len())
}
