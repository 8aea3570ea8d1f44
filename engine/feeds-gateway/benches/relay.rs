#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench: failing loudly is the point

//! Relay throughput and latency of the gateway, side by side with raw
//! mosquitto in one run, on loopback.
//!
//! `cargo bench -p sontinh-feeds-gateway --bench relay [-- RATE SECONDS CLIENTS]`
//! (defaults 10000 messages/s, 5 s, 10 clients). Needs mosquitto installed.
//!
//! Each phase publishes the same compact observations with QoS 1 at RATE:
//! - raw: CLIENTS MQTT subscribers of mosquitto;
//! - gateway: the gateway subscribed to mosquitto, CLIENTS operator WebSockets.
//!
//! Latency runs from just before the publish call to the moment a client has
//! the message; the sequence number rides in the observation time. Then each
//! phase is repeated as fast as the publisher can go, for the maximum rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sontinh_feeds::{Role, ServerMessage};
use sontinh_feeds_gateway::broker::{LocalBroker, free_port};
use sontinh_feeds_gateway::{COMPACT_TOPIC, GatewayConfig, run_gateway, token};

const DEVICES: usize = 1000;
const BASE_MS: i64 = 1_600_000_000_000;

/// Publish instants (ns since `start`) by sequence number, and what arrived.
struct Clock {
    start: Instant,
    published: Vec<AtomicU64>,
    latencies_ns: std::sync::Mutex<Vec<u64>>,
    received: AtomicUsize,
    last_ns: AtomicU64,
}

impl Clock {
    fn new(messages: usize) -> Arc<Clock> {
        Arc::new(Clock {
            start: Instant::now(),
            published: (0..messages).map(|_| AtomicU64::new(0)).collect(),
            latencies_ns: std::sync::Mutex::new(Vec::with_capacity(messages * 10)),
            received: AtomicUsize::new(0),
            last_ns: AtomicU64::new(0),
        })
    }

    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn arrived(&self, seq: usize, batch: &mut Vec<u64>) {
        let now = self.now_ns();
        if let Some(p) = self.published.get(seq) {
            batch.push(now.saturating_sub(p.load(Ordering::Relaxed)));
        }
        self.received.fetch_add(1, Ordering::Relaxed);
        self.last_ns.fetch_max(now, Ordering::Relaxed);
    }

    fn flush(&self, batch: &mut Vec<u64>) {
        self.latencies_ns.lock().unwrap().append(batch);
    }
}

fn message(seq: usize) -> String {
    let time = chrono::DateTime::from_timestamp_millis(BASE_MS + seq as i64).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    format!(r#"{{"device":"d{}","time":"{time}","value":{}}}"#, seq % DEVICES, seq % 97)
}

async fn publish(port: u16, clock: Arc<Clock>, messages: usize, rate: f64) -> f64 {
    let mut options = MqttOptions::new(format!("bench-pub-{}", clock.now_ns()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 10_000);
    let acked = Arc::new(AtomicUsize::new(0));
    let acks = acked.clone();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            if let Event::Incoming(Packet::PubAck(_)) = event {
                acks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let started = Instant::now();
    for seq in 0..messages {
        if rate > 0.0 {
            let due = started + Duration::from_secs_f64(seq as f64 / rate);
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
        }
        clock.published[seq].store(clock.now_ns(), Ordering::Relaxed);
        client.publish(COMPACT_TOPIC, QoS::AtLeastOnce, false, message(seq)).await.unwrap();
    }
    while acked.load(Ordering::Relaxed) < messages {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    messages as f64 / started.elapsed().as_secs_f64()
}

async fn raw_subscribers(port: u16, clock: Arc<Clock>, clients: usize) {
    for c in 0..clients {
        let mut options = MqttOptions::new(format!("bench-raw-{c}-{}", clock.now_ns()), "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = AsyncClient::new(options, 10_000);
        client.subscribe(COMPACT_TOPIC, QoS::AtLeastOnce).await.unwrap();
        let clock = clock.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut batch = Vec::new();
            while let Ok(event) = eventloop.poll().await {
                match event {
                    Event::Incoming(Packet::SubAck(_)) => {
                        if let Some(tx) = ready.take() {
                            let _ = tx.send(());
                        }
                    }
                    Event::Incoming(Packet::Publish(p)) => {
                        let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                        let seq = (sontinh_feeds::parse_time(v["time"].as_str().unwrap()).unwrap() - BASE_MS) as usize;
                        clock.arrived(seq, &mut batch);
                        if batch.len() >= 256 {
                            clock.flush(&mut batch);
                        }
                    }
                    _ => {
                        if !batch.is_empty() {
                            clock.flush(&mut batch);
                        }
                    }
                }
            }
        });
        ready_rx.await.unwrap();
    }
}

async fn ws_clients(address: std::net::SocketAddr, token: &str, clock: Arc<Clock>, clients: usize) {
    for _ in 0..clients {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}/ws?token={token}")).await.unwrap();
        // The snapshot first.
        let _ = ws.next().await;
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(Ok(frame)) = ws.next().await {
                if let Ok(text) = frame.into_text()
                    && let Ok(ServerMessage::Observation { observation }) = serde_json::from_str::<ServerMessage>(&text)
                {
                    clock.arrived((observation.time_ms - BASE_MS) as usize, &mut batch);
                    if batch.len() >= 256 {
                        clock.flush(&mut batch);
                    }
                }
            }
        });
    }
}

struct Outcome {
    offered: f64,
    delivered_per_client: f64,
    p50_ms: f64,
    p99_ms: f64,
    lost: usize,
}

async fn finish(clock: Arc<Clock>, messages: usize, clients: usize, offered: f64, publish_started_ns: u64) -> Outcome {
    let expected = messages * clients;
    let deadline = Instant::now() + Duration::from_secs(30);
    while clock.received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await; // let batches flush
    let received = clock.received.load(Ordering::Relaxed);
    let span_s = (clock.last_ns.load(Ordering::Relaxed).saturating_sub(publish_started_ns)) as f64 / 1e9;
    let mut lat = std::mem::take(&mut *clock.latencies_ns.lock().unwrap());
    lat.sort_unstable();
    let pick = |q: f64| lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1))).map_or(f64::NAN, |&n| n as f64 / 1e6);
    Outcome {
        offered,
        delivered_per_client: received as f64 / clients as f64 / span_s.max(1e-9),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        lost: expected.saturating_sub(received),
    }
}

fn print(name: &str, o: &Outcome) {
    println!(
        "  {name:<28} published {:>8.0} msg/s, delivered {:>8.0} msg/s per client, p50 {:>7.2} ms, p99 {:>7.2} ms, lost {}",
        o.offered, o.delivered_per_client, o.p50_ms, o.p99_ms, o.lost
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let rate: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000.0);
    let seconds: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5.0);
    let clients: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let messages = (rate * seconds) as usize;

    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let devices: Vec<serde_json::Value> = (0..DEVICES)
        .map(|i| {
            serde_json::json!({"id": format!("d{i}"), "names": {"vi": "Cảm biến", "en": "Sensor"}, "kind": "sensor",
                "quantity": "rain", "unit": "mm/h", "position": [107.19, 16.75, 0.0], "owner": "bench",
                "visible_to": ["operator"], "expected_period_s": 60})
        })
        .collect();
    std::fs::write(dir.path().join("devices.json"), serde_json::to_string(&devices).unwrap()).unwrap();
    println!("relay bench: {clients} clients, {messages} messages per phase, QoS 1, loopback");

    for (phase_rate, label) in [(rate, format!("at {rate:.0} msg/s")), (0.0, "as fast as possible".to_owned())] {
        println!("{label}:");
        // Raw mosquitto: a fresh broker, the same publisher, MQTT subscribers.
        let raw = {
            let store = tempfile::tempdir().unwrap();
            let broker = LocalBroker::start(store.path(), free_port().unwrap()).unwrap();
            let clock = Clock::new(messages);
            let outcome = runtime.block_on(async {
                raw_subscribers(broker.port, clock.clone(), clients).await;
                let t0 = clock.now_ns();
                let offered = publish(broker.port, clock.clone(), messages, phase_rate).await;
                finish(clock.clone(), messages, clients, offered, t0).await
            });
            drop(broker);
            outcome
        };
        print("raw mosquitto pub→sub", &raw);
        // The gateway: a fresh broker and gateway, WebSocket clients.
        let relayed = {
            let store = tempfile::tempdir().unwrap();
            let broker = LocalBroker::start(store.path(), free_port().unwrap()).unwrap();
            let config_path = store.path().join("gateway.toml");
            std::fs::write(
                &config_path,
                format!(
                    "broker = \"{}\"\nlisten = \"127.0.0.1:0\"\ndevices = \"{}\"\nsecret = \"relay-bench-secret\"\nhistory = 100\nclient_id = \"bench-gw-{}\"\n",
                    broker.url(),
                    dir.path().join("devices.json").display(),
                    broker.port
                ),
            )
            .unwrap();
            let config = GatewayConfig::load(&config_path).unwrap();
            let clock = Clock::new(messages);
            let outcome = runtime.block_on(async {
                let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
                let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(run_gateway(config, Some(bound_tx), async move {
                    let _ = stop_rx.await;
                }));
                let address = bound_rx.await.unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await; // subscribed
                let token = token::issue(b"relay-bench-secret", Role::Operator, 4_000_000_000);
                ws_clients(address, &token, clock.clone(), clients).await;
                let t0 = clock.now_ns();
                let offered = publish(broker.port, clock.clone(), messages, phase_rate).await;
                let outcome = finish(clock.clone(), messages, clients, offered, t0).await;
                let _ = stop_tx.send(());
                outcome
            });
            drop(broker);
            outcome
        };
        print("gateway → WebSocket", &relayed);
        println!(
            "  gateway/raw delivered rate: {:.0} %",
            100.0 * relayed.delivered_per_client / raw.delivered_per_client.max(1e-9)
        );
    }
}
