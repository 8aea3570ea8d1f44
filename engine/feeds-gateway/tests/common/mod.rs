#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)] // test helpers: failing loudly is the point

//! A real mosquitto on loopback, run with the shipped config (credentials,
//! ACL), a gateway, clients: shared by the gateway tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use rumqttc::{AsyncClient, QoS};
use sontinh_feeds::{Registry, Role};
use sontinh_feeds_gateway::broker::{GATEWAY_USER, LocalBroker, setup_credentials};
use sontinh_feeds_gateway::mqtt::{MqttAuth, mqtt_options};
use sontinh_feeds_gateway::{GatewayConfig, Limits, Secret, run_gateway_with_limits, token};

pub const DEVICES: &str = r#"[
  {"id": "thach-han", "names": {"vi": "Trạm Thạch Hãn", "en": "Thạch Hãn gauge"},
   "kind": "water_gauge", "river": "Thạch Hãn", "alarm_levels_m": [3.0, 4.5, 6.0],
   "position": [107.19, 16.75, 0.0], "owner": "KTTV", "visible_to": ["tourist", "operator", "planner"], "expected_period_s": 900},
  {"id": "cam-gate", "names": {"vi": "Camera cổng", "en": "Gate camera"}, "kind": "camera",
   "heading_deg": 180.0, "pitch_deg": -10.0, "fov_deg": 60.0, "snapshot_url": "/snapshots/human.jpg",
   "position": [107.194, 16.745, 6.0], "owner": "IOC", "visible_to": ["tourist", "operator"], "expected_period_s": 60},
  {"id": "cam-pump", "names": {"vi": "Camera trạm bơm", "en": "Pump camera"}, "kind": "camera",
   "heading_deg": 90.0, "pitch_deg": -20.0, "fov_deg": 70.0, "position": [107.1, 16.8, 4.0],
   "owner": "IOC", "visible_to": ["operator"], "expected_period_s": 60},
  {"id": "cam-road", "names": {"vi": "Camera đường", "en": "Road camera"}, "kind": "camera",
   "heading_deg": 0.0, "pitch_deg": -15.0, "fov_deg": 60.0, "position": [107.2, 16.76, 5.0],
   "owner": "IOC", "visible_to": ["operator", "planner"], "expected_period_s": 60}
]"#;

pub fn registry() -> Registry {
    Registry::from_json(DEVICES).unwrap()
}

/// The shipped mosquitto config, with credentials for the gateway and every test device.
pub fn start_broker(dir: &Path) -> LocalBroker {
    LocalBroker::start(dir, &registry()).expect("mosquitto runs with the shipped config (tools/setup-debian.sh installs it)")
}

/// The shared test data folder: `$SONTINH_SHARED_DATA`, else `../shared/data` beside the repository.
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        dir.is_dir(),
        "shared test data missing: {} (set SONTINH_SHARED_DATA)",
        dir.display()
    );
    dir
}

/// A gateway for the broker at `broker_url` (logging in as the gateway user
/// whose credentials are in `dir`), serving on `listen`, with a fresh
/// secret in a private file and the shared camera images as snapshots.
pub fn gateway_config(dir: &Path, broker_url: &str, listen: &str) -> GatewayConfig {
    std::fs::write(dir.join("devices.json"), DEVICES).unwrap();
    let secret = dir.join("gateway.secret");
    if !secret.exists() {
        Secret::generate().unwrap().write_new(&secret).unwrap();
    }
    let config = dir.join("gateway.toml");
    let images = shared_data().join("images");
    let port = broker_url.rsplit(':').next().unwrap();
    std::fs::write(
        &config,
        format!(
            "broker = \"{broker_url}\"\nlisten = \"{listen}\"\ndevices = \"devices.json\"\nsecret_file = \"gateway.secret\"\nsnapshots = \"{}\"\nclient_id = \"gw-test-{port}\"\n[mqtt]\nusername = \"{GATEWAY_USER}\"\npassword_file = \"passwords/{GATEWAY_USER}\"\n",
            images.display()
        ),
    )
    .unwrap();
    setup_credentials(dir, &registry()).unwrap();
    GatewayConfig::load(&config).unwrap()
}

pub fn bearer(config: &GatewayConfig, role: Role) -> String {
    token::issue(config.secret.as_bytes(), role, now_s() + 3600)
}

pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub async fn start_gateway(config: GatewayConfig) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    start_gateway_with(config, Limits::default()).await
}

pub async fn start_gateway_with(config: GatewayConfig, limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        run_gateway_with_limits(config, limits, Some(bound_tx), async move {
            let _ = stop_rx.await;
        })
        .await
        .unwrap();
    });
    (bound_rx.await.unwrap(), stop_tx)
}

/// A GET with the token in the `Authorization` header; the whole response as text.
pub async fn http_get(address: SocketAddr, path: &str, token: Option<&str>) -> String {
    String::from_utf8_lossy(&http_get_bytes(address, path, token).await).into_owned()
}

pub async fn http_get_bytes(address: SocketAddr, path: &str, token: Option<&str>) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n{authorization}Connection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    response
}

/// The body of an HTTP response.
pub fn body(response: &[u8]) -> &[u8] {
    let at = response.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    &response[at + 4..]
}

/// Waits until the gateway's `/stats` says `predicate`, or fails after `seconds`.
pub async fn wait_stats(
    address: SocketAddr,
    config: &GatewayConfig,
    seconds: u64,
    what: &str,
    predicate: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let token = bearer(config, Role::Operator);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let response = http_get_bytes(address, "/stats", Some(&token)).await;
        let stats: serde_json::Value = serde_json::from_slice(body(&response)).unwrap_or_default();
        if predicate(&stats) {
            return stats;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {stats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the gateway is subscribed to the broker.
pub async fn wait_subscribed(address: SocketAddr, config: &GatewayConfig) {
    wait_stats(address, config, 20, "the gateway's subscriptions", |s| s["subscribed"] == true).await;
}

/// A WebSocket viewer with its token in the `Authorization` header.
pub async fn viewer(
    address: SocketAddr,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{address}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// Reads WebSocket text messages until `until` holds or five seconds pass.
pub async fn collect(
    ws: &mut (impl StreamExt<Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
    until: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !until(&got) {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(message))) => {
                if let Ok(text) = message.into_text() {
                    got.push(text.to_string());
                }
            }
            _ => break,
        }
    }
    got
}

/// A gateway on its own runtime and thread, like a separate process: killing
/// it drops every task and socket at once, with no goodbye to anyone.
pub struct GatewayProcess {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub address: SocketAddr,
}

impl GatewayProcess {
    pub fn start(config: GatewayConfig) -> GatewayProcess {
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.spawn(async move {
                let (tx, rx) = tokio::sync::oneshot::channel();
                tokio::spawn(async move {
                    if let Ok(a) = rx.await {
                        let _ = bound_tx.send(a);
                    }
                });
                run_gateway_with_limits(config, Limits::default(), Some(tx), std::future::pending())
                    .await
                    .unwrap();
            });
            let _ = stop_rx.recv();
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        let address = bound_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        GatewayProcess {
            stop: Some(stop_tx),
            thread: Some(thread),
            address,
        }
    }

    pub fn kill(mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Feeds link events into `client` until `until` holds; panics with `what` after `seconds`.
pub fn pump(
    rx: &std::sync::mpsc::Receiver<sontinh_feeds::LinkEvent>,
    client: &mut sontinh_feeds::FeedClient,
    seconds: u64,
    what: &str,
    until: impl Fn(&sontinh_feeds::FeedClient) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while !until(client) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(
            !left.is_zero(),
            "timed out waiting for {what}; connection {:?}",
            client.connection()
        );
        if let Ok(event) = rx.recv_timeout(left.min(Duration::from_millis(100))) {
            client.handle(event);
        }
    }
}

/// An MQTT client logged in as `auth` with its event loop driven; PUBACKs
/// are counted on the returned channel.
pub fn mqtt_client(broker_url: &str, auth: &MqttAuth, id: &str) -> (AsyncClient, tokio::sync::mpsc::UnboundedReceiver<rumqttc::Event>) {
    let mut options = mqtt_options(broker_url, auth, id, 4 * 1024 * 1024, 4 * 1024 * 1024).unwrap();
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(event) => {
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    (client, rx)
}

/// Publishes compact messages as `device` on its own topic with QoS 1 and
/// waits for the broker's acknowledgements.
pub async fn publish_as(broker: &LocalBroker, device: &str, messages: &[String]) {
    let (client, mut events) = mqtt_client(&broker.url(), &broker.device_auth(device), &format!("pub-{device}-{}", now_s()));
    for m in messages {
        client
            .publish(sontinh_feeds::compact_topic(device), QoS::AtLeastOnce, false, m.clone())
            .await
            .unwrap();
    }
    let mut acks = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while acks < messages.len() {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)))) => acks += 1,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the broker closed the publisher of {device} after {acks} acknowledgements"),
            Err(_) => panic!("the broker acknowledged {acks} of {} from {device}", messages.len()),
        }
    }
    let _ = client.disconnect().await;
}

/// The same from a thread without a runtime.
pub fn publish_as_blocking(broker: &LocalBroker, device: &str, messages: &[String]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(publish_as(broker, device, messages));
}

pub fn gauge_message(hour: u32, level_m: f64) -> String {
    format!(r#"{{"device":"thach-han","time":"2020-10-17T{hour:02}:00:00Z","level_m":{level_m}}}"#)
}

pub fn camera_message(device: &str, hour: u32, file: &str) -> String {
    format!(r#"{{"device":"{device}","time":"2020-10-17T{hour:02}:00:00Z","online":true,"snapshot_url":"/snapshots/{file}"}}"#)
}
