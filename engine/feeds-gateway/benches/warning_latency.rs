#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)] // a bench: failing loudly is the point

//! Warning latency, end to end, on a 10 M-cell DEM: from the publish of a
//! gauge level over an alarm to the moment a viewer's WebSocket has the
//! flood warning that carries the extent.
//!
//! `cargo bench -p sontinh-feeds-gateway --bench warning_latency [-- REPETITIONS [LEVEL_M]]`
//! (defaults 5 and 700 m, flood-plan's warning bench's level). Needs mosquitto and the shared test data
//! (`$SONTINH_SHARED_DATA`, else `../shared/data` beside the repository).
//!
//! The scene is flood-plan's warning bench's: the Mount Washington test scene
//! over the shared SRTM tile, its grid made 22 m over 70 × 70 km (3,182² =
//! 10,125,124 cells), a gauge in Pinkham Notch; written to a temporary
//! folder. A real mosquitto (the shipped config, ACL included) and a gateway
//! whose `[warning]` watches that gauge (on its own runtime and thread, as if
//! another process) are started; one operator viewer connects over the
//! WebSocket; the device publishes as itself with QoS 1 on one persistent
//! MQTT connection.
//!
//! Each repetition crosses the alarms again: a level below alarm I (seen by
//! the viewer before going on), then one above alarm III, the observation
//! times rising. The latency runs from just before the over-alarm publish
//! call to the moment the viewer's WebSocket hands over the whole warning
//! message (before it is parsed; the parse is timed apart). The warning must
//! be for that reading and its extent must hold polygons.
//!
//! A thread polls the gateway's `/stats` every 100 ms and counts the polls
//! that find its broker link down (an outage lasts at least the gateway's
//! 200 ms back-off): a warning over the MQTT packet limits cannot be
//! published as the retained alert, and the gateway's link then drops again
//! at every reconnection, which delays the readings after the first warning.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rumqttc::{AsyncClient, Event, Packet, QoS};
use sontinh_feeds::{FloodWarning, Role, ServerMessage};
use sontinh_feeds_gateway::broker::{GATEWAY_USER, LocalBroker};
use sontinh_feeds_gateway::mqtt::mqtt_options;
use sontinh_feeds_gateway::{GatewayConfig, Secret, run_gateway, token};
use tokio_tungstenite::tungstenite::Message;

/// The feed's gauge and the scenario's gauge it stands for.
const DEVICE: &str = "gauge-pinkham";
const GAUGE: &str = "pinkham";
/// The level over alarm III published by default (metres on the terrain's
/// datum; flood-plan's warning bench's level). Alarms I, II, III lie 60, 30
/// and 5 m below the level published, the level below alarm I 100 m below.
const DEFAULT_LEVEL_M: f64 = 700.0;
/// The grid's cell, metres (the scene's `cell_size_m`).
const CELL_M: f64 = 22.0;
/// How long the gateway may take to start (preparing 10 M cells) and a warning to arrive.
const START_DEADLINE: Duration = Duration::from_secs(600);
const WARNING_DEADLINE: Duration = Duration::from_secs(300);
const STEP_DEADLINE: Duration = Duration::from_secs(30);

type Viewer = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The shared SRTM tile, or a clear stop.
fn shared_dem() -> PathBuf {
    let (dir, from) = match std::env::var_os("SONTINH_SHARED_DATA").filter(|v| !v.is_empty()) {
        Some(v) => (PathBuf::from(v), "$SONTINH_SHARED_DATA"),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
            "../shared/data beside the repository",
        ),
    };
    let dem = dir.join("dem").join("N44W072.hgt");
    if !dem.is_file() {
        eprintln!(
            "warning_latency: the shared test data is missing: {} (from {from}) does not exist.\n\
             Set SONTINH_SHARED_DATA to the shared data folder (the one with dem/N44W072.hgt).",
            dem.display()
        );
        std::process::exit(2);
    }
    std::path::absolute(&dem).expect("an absolute path to the shared DEM")
}

/// The test scene of rain on Mount Washington, its grid made 10 M cells, a
/// gauge added (as flood-plan's warning bench), its terrain named by an
/// absolute path since the scene lies outside the repository.
fn scene_text(dem: &Path) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenes/flood-srtm.toml");
    let base = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dem_toml = quoted(dem);
    let text = base
        .replace("cell_size_m = 60.0", &format!("cell_size_m = {CELL_M:.1}"))
        .replace("extent_m = 1500.0", "extent_m = 35000.0")
        .replace("path = \"shared:dem/N44W072.hgt\"", &format!("path = {dem_toml}"));
    assert!(
        text.contains("cell_size_m = 22.0") && text.contains("extent_m = 35000.0") && text.contains(&dem_toml),
        "{} changed: update this bench",
        path.display()
    );
    text + &format!(
        "\n[[flood_scenario.gauge]]\nid = \"{GAUGE}\"\nname = {{ vi = \"Khe Pinkham\", en = \"Pinkham Notch\" }}\nposition = [4000.0, -1530.0]\n"
    )
}

/// A path as a TOML basic string (a JSON string is one).
fn quoted(path: &Path) -> String {
    serde_json::to_string(&path.display().to_string()).expect("a path as a string")
}

/// The levels: below alarm I, the alarms I–III, over alarm III.
#[derive(Clone, Copy)]
struct Levels {
    below_m: f64,
    alarms_m: [f64; 3],
    above_m: f64,
}

impl Levels {
    fn around(above_m: f64) -> Levels {
        Levels {
            below_m: above_m - 100.0,
            alarms_m: [above_m - 60.0, above_m - 30.0, above_m - 5.0],
            above_m,
        }
    }
}

fn devices_json(levels: Levels) -> String {
    serde_json::json!([{
        "id": DEVICE, "names": {"vi": "Trạm Khe Pinkham", "en": "Pinkham Notch gauge"}, "kind": "water_gauge",
        "river": "Ellis", "alarm_levels_m": levels.alarms_m, "position": [-71.2531, 44.2570, 0.0], "owner": "bench",
        "visible_to": ["tourist", "operator", "planner"], "expected_period_s": 900
    }])
    .to_string()
}

/// The gateway on its own runtime and thread: what it computes competes
/// with the viewer only for the machine's cores, as another process would.
struct Gateway {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Gateway {
    /// Starts it; its address once it serves (the warning prepared), or why not.
    fn start(config: GatewayConfig) -> (Gateway, std::sync::mpsc::Receiver<Result<std::net::SocketAddr, String>>) {
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the gateway's runtime");
            runtime.spawn(async move {
                let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
                let ready = ready_tx.clone();
                tokio::spawn(async move {
                    if let Ok(address) = bound_rx.await {
                        let _ = ready.send(Ok(address));
                    }
                });
                if let Err(e) = run_gateway(config, Some(bound_tx), std::future::pending()).await {
                    let _ = ready_tx.send(Err(e.to_string()));
                }
            });
            let _ = stop_rx.recv();
            runtime.shutdown_timeout(Duration::from_millis(500));
        });
        (
            Gateway {
                stop: Some(stop_tx),
                thread: Some(thread),
            },
            ready_rx,
        )
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Polls the gateway's `/stats` until it is subscribed to the broker, or fails at the deadline.
async fn wait_subscribed(address: std::net::SocketAddr, token: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = Instant::now() + STEP_DEADLINE;
    loop {
        let mut stream = tokio::net::TcpStream::connect(address).await.expect("the gateway's port");
        stream
            .write_all(format!("GET /stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").as_bytes())
            .await
            .expect("a /stats request");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("a /stats response");
        if response.contains("\"subscribed\":true") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the gateway did not subscribe within {STEP_DEADLINE:?}: {response}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await; // the poll's period, not a synchronisation
    }
}

async fn connect_viewer(address: std::net::SocketAddr, token: &str) -> Viewer {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    let mut request = format!("ws://{address}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    // The extent can be megabytes: no frame or message limit short of 1 GiB.
    let config = WebSocketConfig::default()
        .max_message_size(Some(1 << 30))
        .max_frame_size(Some(1 << 30));
    tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .expect("the viewer's WebSocket")
        .0
}

/// The next text message and when it was whole, or a failure at `deadline`.
async fn next_text(ws: &mut Viewer, deadline: Instant, what: &str) -> (String, Instant) {
    loop {
        match tokio::time::timeout_at(deadline.into(), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return (text.to_string(), Instant::now()),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("the viewer's WebSocket failed while waiting for {what}: {e}"),
            Ok(None) => panic!("the gateway closed the viewer's WebSocket while it waited for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// The device's MQTT connection: publishes as itself; its events come out of the channel.
struct Device {
    client: AsyncClient,
    events: tokio::sync::mpsc::UnboundedReceiver<Event>,
}

impl Device {
    async fn connect(broker: &LocalBroker) -> Device {
        let mut options = mqtt_options(&broker.url(), &broker.device_auth(DEVICE), "bench-warning-device", 1 << 20, 1 << 20)
            .expect("the device's MQTT options");
        options.set_clean_session(true);
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(event) = eventloop.poll().await {
                if tx.send(event).is_err() {
                    return;
                }
            }
        });
        let deadline = tokio::time::Instant::now() + STEP_DEADLINE;
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(Event::Incoming(Packet::ConnAck(_)))) => break,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the device's MQTT connection ended before the broker accepted it"),
                Err(_) => panic!("the broker did not accept the device within {STEP_DEADLINE:?}"),
            }
        }
        Device { client, events }
    }

    async fn publish(&self, time_ms: i64, level_m: f64) {
        let time = chrono::DateTime::from_timestamp_millis(time_ms)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let payload = format!(r#"{{"device":"{DEVICE}","time":"{time}","level_m":{level_m}}}"#);
        self.client
            .publish(sontinh_feeds::compact_topic(DEVICE), QoS::AtLeastOnce, false, payload)
            .await
            .expect("the device's publish");
    }

    /// Drops the events seen so far (acknowledgements), checking the connection held.
    fn drain(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            if let Event::Incoming(Packet::Disconnect) = event {
                panic!("the broker disconnected the device");
            }
        }
    }
}

/// One repetition's figures.
struct Sample {
    latency_ms: f64,
    parse_ms: f64,
    computed_in_ms: i64,
    message_bytes: usize,
    extent_bytes: usize,
    area_km2: f64,
    polygons: usize,
    vertices: usize,
    places: usize,
    max_depth_m: f64,
    /// Polls that found the gateway's broker link down since the previous warning (or the start).
    link_down: usize,
}

/// Polygons and vertices of the extent's MultiPolygons.
fn extent_shape(extent: &serde_json::Value) -> (usize, usize) {
    let mut polygons = 0;
    let mut vertices = 0;
    for feature in extent["features"].as_array().into_iter().flatten() {
        for polygon in feature["geometry"]["coordinates"].as_array().into_iter().flatten() {
            polygons += 1;
            for ring in polygon.as_array().into_iter().flatten() {
                vertices += ring.as_array().map_or(0, Vec::len);
            }
        }
    }
    (polygons, vertices)
}

async fn repetition(device: &mut Device, viewer: &mut Viewer, link: &LinkWatch, levels: Levels, base_ms: i64, i: i64) -> Sample {
    let down_before = link.down();
    // Below alarm I, and seen by the viewer: the gauge's alarm is back to none.
    let below_ms = base_ms + 2 * i * 1000;
    device.publish(below_ms, levels.below_m).await;
    let deadline = Instant::now() + STEP_DEADLINE;
    loop {
        let (text, _) = next_text(viewer, deadline, "the below-alarm reading on the viewer").await;
        match serde_json::from_str::<ServerMessage>(&text) {
            Ok(ServerMessage::Observation { observation }) if observation.device == DEVICE && observation.time_ms == below_ms => break,
            Ok(ServerMessage::FloodWarning { warning }) => {
                panic!("a warning for a reading below alarm I: {} at {}", warning.device, warning.time_ms)
            }
            _ => {}
        }
    }
    device.drain();

    // Above alarm III: timed from just before the publish call.
    let above_ms = below_ms + 1000;
    let published = Instant::now();
    device.publish(above_ms, levels.above_m).await;
    let deadline = published + WARNING_DEADLINE;
    let (text, received, parsed, warning) = loop {
        let (text, received) = next_text(viewer, deadline, "the flood warning on the viewer").await;
        // Only a warning is parsed to the end before the next read: the
        // observation of the same reading comes first and is small.
        let message = serde_json::from_str::<ServerMessage>(&text);
        let parsed = Instant::now();
        if let Ok(ServerMessage::FloodWarning { warning }) = message {
            break (text, received, parsed, warning);
        }
    };
    let link_down = link.down() - down_before;
    check(&warning, above_ms, levels.above_m);
    let (polygons, vertices) = extent_shape(&warning.extent);
    Sample {
        latency_ms: received.duration_since(published).as_secs_f64() * 1e3,
        parse_ms: parsed.duration_since(received).as_secs_f64() * 1e3,
        computed_in_ms: warning.computed_in_ms,
        message_bytes: text.len(),
        extent_bytes: serde_json::to_string(&warning.extent).map(|s| s.len()).unwrap_or(0),
        area_km2: warning.flooded_area_km2,
        polygons,
        vertices,
        places: warning.places.len(),
        max_depth_m: warning.max_depth_m,
        link_down,
    }
}

/// The warning is the one for the over-alarm reading, and its extent holds polygons.
fn check(warning: &FloodWarning, above_ms: i64, above_m: f64) {
    assert_eq!(
        (warning.device.as_str(), warning.time_ms, warning.level_m, warning.alarm_level),
        (DEVICE, above_ms, above_m, 3),
        "the warning is not the one for the reading over alarm III"
    );
    assert_eq!(warning.levels_m, vec![(DEVICE.to_owned(), above_m)], "the warning's levels");
    assert!(warning.flooded_area_km2 > 0.0, "the warning floods nothing at {above_m} m");
    let (polygons, vertices) = extent_shape(&warning.extent);
    assert!(
        polygons > 0 && vertices >= 4,
        "the warning's extent is empty: {}",
        warning.extent.to_string().chars().take(300).collect::<String>()
    );
}

/// Counts the polls of the gateway's `/stats` that find its broker link down, on a thread of its own.
struct LinkWatch {
    down: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    polls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LinkWatch {
    fn start(address: std::net::SocketAddr, token: String) -> LinkWatch {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let down = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let polls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (counted_down, counted, stopping) = (down.clone(), polls.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let mut response = String::new();
                if let Ok(mut stream) = std::net::TcpStream::connect(address) {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let request = format!("GET /stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
                    if stream.write_all(request.as_bytes()).is_ok() {
                        let _ = stream.read_to_string(&mut response);
                    }
                }
                if !response.contains("\"broker_connected\":true") {
                    counted_down.fetch_add(1, Ordering::Relaxed);
                }
                counted.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100)); // the poll's period
            }
        });
        LinkWatch {
            down,
            polls,
            stop,
            thread: Some(thread),
        }
    }

    fn down(&self) -> usize {
        self.down.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn polls(&self) -> usize {
        self.polls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for LinkWatch {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Nearest rank.
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let repetitions: usize = args
        .first()
        .map(|a| a.parse().expect("REPETITIONS: a whole number"))
        .unwrap_or(5)
        .max(1);
    let levels = Levels::around(args.get(1).map(|a| a.parse().expect("LEVEL_M: metres")).unwrap_or(DEFAULT_LEVEL_M));
    let dem = shared_dem();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let scene = dir.path().join("warning-10m.toml");
    std::fs::write(&scene, scene_text(&dem)).expect("the scene written");
    std::fs::write(dir.path().join("devices.json"), devices_json(levels)).expect("the device list written");
    let registry = sontinh_feeds::Registry::from_json(&devices_json(levels)).expect("the bench's device list");
    let broker =
        LocalBroker::start(dir.path(), &registry).expect("mosquitto runs with the shipped config (tools/setup-debian.sh installs it)");
    Secret::generate()
        .expect("a secret")
        .write_new(&dir.path().join("gateway.secret"))
        .expect("the secret written");
    let config_path = dir.path().join("gateway.toml");
    std::fs::write(
        &config_path,
        format!(
            "broker = \"{}\"\nlisten = \"127.0.0.1:0\"\ndevices = \"devices.json\"\nsecret_file = \"gateway.secret\"\nclient_id = \"bench-warning-{}\"\n\
             [mqtt]\nusername = \"{GATEWAY_USER}\"\npassword_file = \"passwords/{GATEWAY_USER}\"\n\
             [warning]\nscene = {}\nscenario = \"storm\"\ngauges = {{ \"{DEVICE}\" = \"{GAUGE}\" }}\n",
            broker.url(),
            broker.port,
            quoted(&scene)
        ),
    )
    .expect("the gateway's config written");
    let config = GatewayConfig::load(&config_path).expect("the gateway's config");
    let operator = token::issue(config.secret.as_bytes(), Role::Operator, chrono::Utc::now().timestamp() + 24 * 3600);

    println!(
        "warning latency bench: {repetitions} repetitions; 10 M-cell scene (22 m over 70 × 70 km of the shared SRTM), mosquitto and the gateway on loopback, one operator viewer"
    );
    println!(
        "gauge {DEVICE}: alarms {:?} m; each repetition publishes {} m, then {} m",
        levels.alarms_m, levels.below_m, levels.above_m
    );
    let started = Instant::now();
    let (gateway, ready) = Gateway::start(config);
    let address = match ready.recv_timeout(START_DEADLINE) {
        Ok(Ok(address)) => address,
        Ok(Err(e)) => panic!("the gateway did not start: {e}"),
        Err(e) => panic!("the gateway did not serve within {START_DEADLINE:?}: {e}"),
    };
    let start_s = started.elapsed().as_secs_f64();
    println!("gateway serving after {start_s:.1} s (the scene loaded and the warning prepared)");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the bench's runtime");
    let (samples, polls, polls_down) = runtime.block_on(async {
        wait_subscribed(address, &operator).await;
        let mut viewer = connect_viewer(address, &operator).await;
        let (first, _) = next_text(&mut viewer, Instant::now() + STEP_DEADLINE, "the viewer's snapshot").await;
        assert!(
            first.starts_with("{\"type\":\"snapshot\""),
            "the viewer's first message is not its snapshot: {}",
            &first[..first.len().min(200)]
        );
        let mut device = Device::connect(&broker).await;
        let link = LinkWatch::start(address, operator.clone());
        // Observation times an hour ago, a second apart, rising.
        let base_ms = (chrono::Utc::now().timestamp() - 3600) * 1000;
        let mut samples = Vec::new();
        for i in 0..repetitions {
            let sample = repetition(&mut device, &mut viewer, &link, levels, base_ms, i as i64).await;
            println!(
                "  {:>2}: publish → viewer {:>8.1} ms (gateway computed in {:>6} ms), viewer parse {:>6.1} ms, link down in {} polls",
                i + 1,
                sample.latency_ms,
                sample.computed_in_ms,
                sample.parse_ms,
                sample.link_down
            );
            samples.push(sample);
        }
        let (polls, polls_down) = (link.polls(), link.down());
        drop(link);
        let _ = device.client.disconnect().await;
        let _ = viewer.close(None).await;
        (samples, polls, polls_down)
    });
    drop(gateway);
    drop(broker);

    let latency: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
    let computed: Vec<f64> = samples.iter().map(|s| s.computed_in_ms as f64).collect();
    let parse: Vec<f64> = samples.iter().map(|s| s.parse_ms).collect();
    let after: Vec<f64> = samples.iter().map(|s| s.latency_ms - s.computed_in_ms as f64).collect();
    let last = samples.last().expect("at least one repetition");
    println!();
    println!(
        "| {:<57} |        p50 |        max |",
        format!("figure ({repetitions} repetitions)")
    );
    println!("|-----------------------------------------------------------|-----------:|-----------:|");
    for (name, values) in [
        ("publish → viewer has the warning message, ms", &latency),
        ("gateway's computed_in_ms (receipt → computed), ms", &computed),
        ("the rest (publish → receipt, send, transfer), ms", &after),
        ("viewer's JSON parse of the message, ms (not in the above)", &parse),
    ] {
        println!("| {name:<57} | {:>10.1} | {:>10.1} |", quantile(values, 0.5), quantile(values, 1.0));
    }
    let clean: Vec<f64> = samples.iter().filter(|s| s.link_down == 0).map(|s| s.latency_ms).collect();
    if polls_down > 0 && !clean.is_empty() {
        println!(
            "| {:<57} | {:>10.1} | {:>10.1} |",
            format!("publish → viewer, the {} with the link never seen down, ms", clean.len()),
            quantile(&clean, 0.5),
            quantile(&clean, 1.0)
        );
    }
    println!();
    println!("| the warning (last repetition)            |                        |");
    println!("|------------------------------------------|-----------------------:|");
    println!("| warning message, bytes                   | {:>22} |", last.message_bytes);
    println!("| extent GeoJSON, bytes                    | {:>22} |", last.extent_bytes);
    println!(
        "| extent polygons / vertices               | {:>22} |",
        format!("{} / {}", last.polygons, last.vertices)
    );
    println!("| flooded area, km²                        | {:>22.3} |", last.area_km2);
    println!(
        "| flooded cells ({CELL_M:.0} m, area / cell²)       | {:>22.0} |",
        last.area_km2 * 1e6 / (CELL_M * CELL_M)
    );
    println!("| grid cells                               | {:>22} |", "10,125,124 (3,182²)");
    println!("| deepest, m                               | {:>22.2} |", last.max_depth_m);
    println!("| places under water                       | {:>22} |", last.places);
    println!("| gateway start incl. preparation, s       | {:>22.1} |", start_s);
    println!(
        "| /stats polls with the broker link down   | {:>22} |",
        format!("{polls_down} of {polls}")
    );
    if polls_down > 0 {
        use sontinh_feeds_gateway::{BROKER_MAX_PACKET_BYTES, CLIENT_MAX_PACKET_BYTES};
        println!();
        println!(
            "NOTE: the gateway's broker link was down in {polls_down} of {polls} polls of /stats (every 100 ms) during the repetitions."
        );
        if last.message_bytes > BROKER_MAX_PACKET_BYTES {
            println!(
                "The warning's retained alert, about {} bytes, is over the shipped broker's max_packet_size ({BROKER_MAX_PACKET_BYTES} bytes){}: \
                 publishing it fails and is retried at each reconnection (see the gateway's log above), \
                 so latencies after the first warning include the reconnections.",
                last.message_bytes,
                if last.message_bytes > CLIENT_MAX_PACKET_BYTES {
                    format!(" and the gateway's own MQTT packet limit ({CLIENT_MAX_PACKET_BYTES} bytes)")
                } else {
                    String::new()
                }
            );
        } else {
            println!("The warning fits the MQTT packet limits: see the gateway's log above for why.");
        }
    }
    let sizes: Vec<usize> = samples.iter().map(|s| s.extent_bytes).collect();
    assert!(
        sizes.iter().all(|s| *s == last.extent_bytes),
        "the same reading gave extents of different sizes: {sizes:?}"
    );
}
