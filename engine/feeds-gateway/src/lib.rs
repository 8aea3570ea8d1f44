//! The feed gateway and the scenario replayer (native, tokio).
//!
//! The gateway logs in to the broker (username and password, TLS for
//! `mqtts://`) with a persistent session (QoS 1 messages queued while it is
//! away are delivered when it returns), reconnects with backoff, applies
//! every message to a [`FeedState`], commits it to the history database
//! (`sontinh-feeds-store`) before acknowledging it to the broker, and serves
//! viewers: `GET /ws` (a snapshot, then deltas), `GET /devices`,
//! `GET /devices/{id}/history`, `GET /snapshots/{file}`,
//! `GET /cameras/{id}/stream` (a camera's live MJPEG, relayed), `GET /stats`, the
//! SensorThings API at `/v1.1/…`, `GET /devices.geojson`,
//! `GET /history.csv`, `GET /warning` (the live flood warning), `GET /report`
//! (a period's printable report) and `POST /acknowledge` (an operator's
//! acknowledgement of an alarm, by name). Every request carries a signed
//! role token in `Authorization: Bearer …` (the WebSocket also takes
//! `?token=`, since browsers cannot set its headers); each client receives
//! only what its role may see.
//!
//! Everything a client can make the gateway hold is bounded: connections,
//! viewers, header-read time, WebSocket frames from clients, history per
//! reply (paged), requests per second, the time a send to a stalled viewer
//! may take, and the broadcast queue (a viewer that falls behind gets a
//! fresh snapshot instead of the backlog).

mod acknowledge;
pub mod broker;
mod camera_stream;
pub mod config;
mod datalake;
mod history;
mod report;
mod http;
mod ingest;
mod sensorthings;
mod warning;
pub mod link;
pub mod mqtt;
pub mod replay;
mod server;
pub mod token;
pub mod video;
mod viewer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::Utf8Bytes;
use axum::routing::get;
use sontinh_feeds::{FeedState, Registry, Role, ServerMessage};
use sontinh_feeds_store::Store;
use tokio::sync::{RwLock, Semaphore, broadcast};

pub use config::{GatewayConfig, Secret};
pub use replay::{replay, replay_times};
pub use viewer::CLOSE_TOKEN_EXPIRED;

/// SensorThings observations arrive below this prefix.
pub const SENSORTHINGS_FILTER: &str = "v1.1/#";

/// The broker's `max_packet_size` in the shipped mosquitto config: larger
/// than a feed message may be ([`sontinh_feeds::MAX_MESSAGE_BYTES`]), so that
/// an oversized message still reaches the gateway and is counted as a reject.
pub const BROKER_MAX_PACKET_BYTES: usize = 256 * 1024;
/// What the gateway's MQTT client reads: more than the broker forwards, so
/// that no packet the broker delivers can break the session.
pub const CLIENT_MAX_PACKET_BYTES: usize = 2 * BROKER_MAX_PACKET_BYTES;

/// Limits on what clients may make the gateway hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Open TCP connections (viewers included); more are closed at once.
    pub max_connections: usize,
    /// Open WebSocket viewers; more get 503.
    pub max_viewers: usize,
    /// Time to send the request headers (slowloris).
    pub header_read_timeout: Duration,
    /// Longest a send to one viewer may take before it is dropped.
    pub send_timeout: Duration,
    /// Deltas queued per viewer before it lags and gets a fresh snapshot.
    pub broadcast_capacity: usize,
    /// Largest WebSocket message a viewer may send (requests are small).
    pub max_client_frame_bytes: usize,
    /// Observations per history reply; the rest is paged.
    pub history_page: usize,
    /// Requests per second per WebSocket connection and per client address for REST, with a burst of twice that.
    pub requests_per_second: f64,
    /// Camera streams relayed at once (each holds a connection to its camera); more get 503.
    pub max_camera_streams: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 2048,
            max_viewers: 1024,
            header_read_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(5),
            broadcast_capacity: 1024,
            max_client_frame_bytes: sontinh_feeds::protocol::MAX_REQUEST_BYTES,
            history_page: sontinh_feeds::MAX_HISTORY_PAGE,
            requests_per_second: 20.0,
            max_camera_streams: 64,
        }
    }
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
    /// Where every accepted observation is committed before the broker hears it was received.
    store: Store,
    /// Observations committed since the gateway started.
    committed: AtomicU64,
    /// The live flood warning, when configured, and the latest one sent.
    warner: Option<warning::Warner>,
    last_warning: RwLock<Option<sontinh_feeds::FloodWarning>>,
    deltas: broadcast::Sender<Arc<Delta>>,
    broker_connected: AtomicBool,
    /// Both subscriptions acknowledged by the broker in this session.
    subscribed: AtomicBool,
    secret: Secret,
    snapshots: Option<PathBuf>,
    limits: Limits,
    viewers: Arc<Semaphore>,
    rest_rates: http::RateTable,
    /// Set when the gateway stops: viewers get a close frame.
    closing: tokio::sync::watch::Sender<bool>,
}

/// Serves any router with the gateway's hardened HTTP loop (header-read
/// timeout, connection cap, peers known): `sontinh serve` without feeds.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    server::serve(listener, router, limits, shutdown).await;
}

/// Runs until `shutdown` completes; `bound` receives the address served.
pub async fn run_gateway(
    config: GatewayConfig,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    run_gateway_with_limits(config, Limits::default(), bound, shutdown).await
}

/// [`run_gateway`] with explicit [`Limits`].
pub async fn run_gateway_with_limits(
    config: GatewayConfig,
    limits: Limits,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    run_gateway_with_site(config, limits, None, bound, shutdown).await
}

/// [`run_gateway_with_limits`], answering every other address with `site`
/// (`sontinh serve --feeds`: the page, its data and the feeds on one origin,
/// so the browser's WebSocket and REST calls are same-origin).
pub async fn run_gateway_with_site(
    config: GatewayConfig,
    limits: Limits,
    site: Option<Router>,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    if config.secret.as_bytes().len() < config::MIN_SECRET_BYTES {
        return Err("the gateway has no token-signing secret (GatewayConfig::load reads it)".to_owned());
    }
    let devices = std::fs::read_to_string(&config.devices).map_err(|e| format!("{}: {e}", config.devices.display()))?;
    let registry = Registry::from_json(&devices).map_err(|e| format!("{}: {e}", config.devices.display()))?;
    let options = mqtt::mqtt_options(
        &config.broker,
        &config.mqtt,
        &config.client_id,
        CLIENT_MAX_PACKET_BYTES,
        CLIENT_MAX_PACKET_BYTES,
    )?;
    let (deltas, _) = broadcast::channel(limits.broadcast_capacity.max(1));
    let warner = config.warning.as_ref().map(|w| warning::Warner::load(w, &registry)).transpose()?;
    let store = Store::open(&config.database.url).await.map_err(|e| e.to_string())?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    store.put_devices(&registry, now_ms).await.map_err(|e| e.to_string())?;
    let mut state = FeedState::new(registry, config.history).with_max_future_skew_ms(i64::from(config.max_future_skew_s) * 1000);
    let restored = history::restore(&store, &mut state, config.history, now_ms).await?;
    if restored > 0 {
        eprintln!("feeds gateway: restored {restored} observations from the history database");
    }
    let shared = Arc::new(Shared {
        state: RwLock::new(state),
        store,
        committed: AtomicU64::new(0),
        warner,
        last_warning: RwLock::new(None),
        deltas,
        broker_connected: AtomicBool::new(false),
        subscribed: AtomicBool::new(false),
        secret: config.secret.clone(),
        snapshots: config.snapshots.clone(),
        viewers: Arc::new(Semaphore::new(limits.max_viewers)),
        rest_rates: http::RateTable::default(),
        limits,
        closing: tokio::sync::watch::channel(false).0,
    });

    let mqtt = tokio::spawn(ingest::mqtt_loop(options, shared.clone()));
    let retention = tokio::spawn(history::retention_loop(shared.store.clone(), config.database.raw_days));

    let router = Router::new()
        .route("/devices", get(http::devices_handler))
        .route("/devices/{id}/history", get(http::history_handler))
        .route("/ws", get(viewer::ws_handler))
        .route("/snapshots/{file}", get(http::snapshot_handler))
        .route("/stats", get(http::stats_handler))
        .route("/devices.geojson", get(datalake::devices_geojson))
        .route("/warning", get(datalake::last_warning))
        .route("/history.csv", get(datalake::history_csv))
        .route("/report", get(report::report_handler))
        .route("/acknowledge", axum::routing::post(acknowledge::acknowledge_handler))
        .route("/v1.1", get(sensorthings::handler))
        .route("/v1.1/", get(sensorthings::handler))
        .route("/v1.1/{*path}", get(sensorthings::handler))
        .with_state(shared.clone())
        .merge(camera_stream::router(shared.clone()));
    let router = match site {
        Some(site) => router.fallback_service(site),
        None => router,
    };
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(tx) = bound {
        let _ = tx.send(address);
    }
    server::serve(listener, router, &shared.limits, shutdown).await;
    // WebSocket sessions live outside the server's connection tracking: close them.
    let _ = shared.closing.send(true);
    mqtt.abort();
    retention.abort();
    shared.store.close().await;
    Ok(())
}
