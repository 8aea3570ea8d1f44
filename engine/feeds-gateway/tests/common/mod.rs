#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)] // test helpers: failing loudly is the point

//! A real mosquitto on loopback, a gateway, clients: shared by the gateway tests.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use rumqttc::{AsyncClient, MqttOptions};
use sontinh_feeds::Role;
use sontinh_feeds_gateway::{GatewayConfig, run_gateway, token};

pub const DEVICES: &str = r#"[
  {"id": "thach-han", "names": {"vi": "Trạm Thạch Hãn", "en": "Thạch Hãn gauge"},
   "kind": "water_gauge", "river": "Thạch Hãn", "alarm_levels_m": [3.0, 4.5, 6.0],
   "position": [107.19, 16.75, 0.0], "owner": "KTTV", "visible_to": ["tourist", "operator", "planner"], "expected_period_s": 900},
  {"id": "cam-gate", "names": {"vi": "Camera cổng", "en": "Gate camera"}, "kind": "camera",
   "heading_deg": 180.0, "pitch_deg": -10.0, "fov_deg": 60.0, "snapshot_url": "/snapshots/human.jpg",
   "position": [107.194, 16.745, 6.0], "owner": "IOC", "visible_to": ["tourist", "operator"], "expected_period_s": 60},
  {"id": "cam-pump", "names": {"vi": "Camera trạm bơm", "en": "Pump camera"}, "kind": "camera",
   "heading_deg": 90.0, "pitch_deg": -20.0, "fov_deg": 70.0, "position": [107.1, 16.8, 4.0],
   "owner": "IOC", "visible_to": ["operator"], "expected_period_s": 60}
]"#;

/// The broker of a test, kept while the test runs.
pub struct Broker(pub sontinh_feeds_gateway::broker::LocalBroker);

impl Broker {
    pub fn start(dir: &Path, port: u16) -> Broker {
        Broker(sontinh_feeds_gateway::broker::LocalBroker::start(dir, port).expect("mosquitto runs (tools/setup-debian.sh installs it)"))
    }

    pub fn restart(&mut self) {
        self.0.restart().unwrap();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn start_gateway(dir: &Path, port: u16) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = gateway_config(dir, port, "127.0.0.1:0");
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        run_gateway(config, Some(bound_tx), async move {
            let _ = stop_rx.await;
        })
        .await
        .unwrap();
    });
    (bound_rx.await.unwrap(), stop_tx)
}

pub fn bearer(role: Role) -> String {
    token::issue(b"test-secret-123", role, chrono_now() + 3600)
}

pub fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

pub async fn publisher(port: u16) -> AsyncClient {
    let mut options = MqttOptions::new(format!("pub-{port}"), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    client
}

pub async fn http_get(address: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// Reads WebSocket text messages until `until` holds or two seconds pass.
pub async fn collect(ws: &mut (impl StreamExt<Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>> + Unpin), until: impl Fn(&[String]) -> bool) -> Vec<String> {
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


/// A gateway config in `dir` for the broker on `port`, serving on `listen`.
pub fn gateway_config(dir: &Path, port: u16, listen: &str) -> GatewayConfig {
    std::fs::write(dir.join("devices.json"), DEVICES).unwrap();
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!("broker = \"mqtt://127.0.0.1:{port}\"\nlisten = \"{listen}\"\ndevices = \"devices.json\"\nsecret = \"test-secret-123\"\nclient_id = \"gw-test-{port}\"\n"),
    )
    .unwrap();
    GatewayConfig::load(&config).unwrap()
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
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.spawn(async move {
                let (tx, rx) = tokio::sync::oneshot::channel();
                tokio::spawn(async move {
                    if let Ok(a) = rx.await {
                        let _ = bound_tx.send(a);
                    }
                });
                run_gateway(config, Some(tx), std::future::pending()).await.unwrap();
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
        assert!(!left.is_zero(), "timed out waiting for {what}; connection {:?}", client.connection());
        if let Ok(event) = rx.recv_timeout(left.min(Duration::from_millis(100))) {
            client.handle(event);
        }
    }
}

/// Publishes one compact message with QoS 1 and waits for the broker's acknowledgement.
pub fn publish_acked(port: u16, id: &str, messages: &[String]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        for m in messages {
            client
                .publish(sontinh_feeds_gateway::COMPACT_TOPIC, rumqttc::QoS::AtLeastOnce, false, m.clone())
                .await
                .unwrap();
        }
        let mut acks = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while acks < messages.len() {
            match tokio::time::timeout_at(deadline, eventloop.poll()).await {
                Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)))) => acks += 1,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("publishing: {e}"),
                Err(_) => panic!("the broker acknowledged {acks} of {}", messages.len()),
            }
        }
    });
}

pub fn gauge_message(hour: u32, level_m: f64) -> String {
    format!(r#"{{"device":"thach-han","time":"2020-10-17T{hour:02}:00:00Z","level_m":{level_m}}}"#)
}
