#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! No message lost: `sontinh feeds gateway` killed with SIGKILL in the middle
//! of a QoS 1 replay (`sontinh feeds replay`, a real mosquitto), then
//! started again: every message published is in the history database
//! exactly once, on SQLite and on PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sontinh_feeds::{Reading, Registry, Role};
use sontinh_feeds_gateway::broker::{GATEWAY_USER, LocalBroker};
use sontinh_feeds_gateway::{Secret, token};
use sontinh_feeds_store::Store;
use sontinh_feeds_store::postgres_server::TemporaryPostgres;

const DEVICES: &str = r#"[
  {"id": "gauge-a", "names": {"vi": "Trạm A", "en": "Gauge A"}, "kind": "water_gauge", "river": "Thạch Hãn",
   "alarm_levels_m": [3.0, 4.5, 6.0], "position": [107.19, 16.75, 0.0], "owner": "KTTV", "visible_to": ["operator"], "expected_period_s": 60},
  {"id": "gauge-b", "names": {"vi": "Trạm B", "en": "Gauge B"}, "kind": "water_gauge", "river": "Hiếu",
   "alarm_levels_m": [2.0, 3.0, 4.0], "position": [107.1, 16.8, 0.0], "owner": "KTTV", "visible_to": ["operator"], "expected_period_s": 60}
]"#;

/// Messages replayed: enough that the gateway is still taking them when killed.
const MESSAGES: usize = 20_000;
/// 2020-10-14 00:00 UTC.
const START_MS: i64 = 1_602_633_600_000;

fn sontinh() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sontinh"))
}

/// The replay file: both gauges, one reading a second each, levels that say which line they came from.
fn write_replay(file: &Path) -> Vec<(String, i64, f64)> {
    let mut expected = Vec::new();
    let mut text = String::new();
    for i in 0..MESSAGES {
        let device = if i % 2 == 0 { "gauge-a" } else { "gauge-b" };
        let time_ms = START_MS + (i / 2) as i64 * 1000;
        let level = 1.0 + (i as f64) / 10_000.0;
        let time = chrono_rfc3339(time_ms);
        text.push_str(&format!("{{\"device\":\"{device}\",\"time\":\"{time}\",\"level_m\":{level}}}\n"));
        expected.push((device.to_owned(), time_ms, level));
    }
    std::fs::write(file, text).unwrap();
    expected
}

/// RFC 3339 in UTC for a time after 2020-10-14 (whole seconds).
fn chrono_rfc3339(time_ms: i64) -> String {
    let s = (time_ms - START_MS) / 1000;
    let (day, rest) = (14 + s / 86_400, s % 86_400);
    format!("2020-10-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

struct Gateway {
    child: Child,
    address: SocketAddr,
}

impl Drop for Gateway {
    /// A failing test leaves no gateway running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sontinh feeds gateway` and reads the address it serves from its log.
fn start_gateway(config: &Path) -> Gateway {
    let mut child = sontinh().args(["feeds", "gateway", "--config"]).arg(config).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("serving viewers on http://").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
            eprintln!("[gateway] {line}");
        }
    });
    let address = rx.recv_timeout(Duration::from_secs(60)).expect("the gateway to say where it serves").parse().unwrap();
    Gateway { child, address }
}

fn stats(address: SocketAddr, token: &str) -> serde_json::Value {
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return serde_json::Value::Null };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(stream, "GET /stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.split("\r\n\r\n").nth(1).and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default()
}

fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn killed_mid_replay_loses_nothing(database_url: &str, dir: &Path) {
    let registry = Registry::from_json(DEVICES).unwrap();
    let broker = LocalBroker::start(dir, &registry).expect("mosquitto runs with the shipped config (tools/setup-debian.sh installs it)");
    std::fs::write(dir.join("devices.json"), DEVICES).unwrap();
    let secret = Secret::generate().unwrap();
    secret.write_new(&dir.join("gateway.secret")).unwrap();
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "broker = \"{}\"\nlisten = \"127.0.0.1:0\"\ndevices = \"devices.json\"\nsecret_file = \"gateway.secret\"\nclient_id = \"gw-history\"\n\
             [mqtt]\nusername = \"{GATEWAY_USER}\"\npassword_file = \"passwords/{GATEWAY_USER}\"\n[database]\nurl = \"{database_url}\"\nraw_days = 36500\n",
            broker.url()
        ),
    )
    .unwrap();
    let operator = token::issue(secret.as_bytes(), Role::Operator, chrono_now_s() + 3600);
    let replay_file = dir.join("replay.jsonl");
    let expected = write_replay(&replay_file);

    let mut gateway = start_gateway(&config);
    wait_for("the gateway's subscriptions", 30, || stats(gateway.address, &operator)["subscribed"] == true);
    let mut replay = sontinh()
        .args(["feeds", "replay"])
        .arg(&replay_file)
        .args(["--broker", &broker.url(), "--speed", "0", "--credentials"])
        .arg(broker.credentials_dir())
        .stderr(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut committed = 0;
    wait_for("the gateway to commit a tenth of the replay", 120, || {
        committed = stats(gateway.address, &operator)["committed"].as_u64().unwrap_or(0);
        committed >= (MESSAGES / 10) as u64
    });
    gateway.child.kill().unwrap(); // SIGKILL: no goodbye to the broker or the database
    gateway.child.wait().unwrap();
    drop(gateway);
    assert!((committed as usize) < MESSAGES, "the gateway took the whole replay ({committed}) before it was killed: replay more");
    assert!(replay.wait().unwrap().success(), "the replay's every message is acknowledged by the broker");

    // Started again, it takes what the broker kept for it.
    let gateway = start_gateway(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let store = runtime.block_on(Store::open(database_url)).unwrap();
    let mut count = 0;
    let mut last_report = Instant::now();
    wait_for("every message in the database", 180, || {
        count = runtime.block_on(store.count(None, i64::MIN, i64::MAX)).unwrap() as usize;
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("{count} of {MESSAGES} in the database; gateway: {}", stats(gateway.address, &operator));
            last_report = Instant::now();
        }
        count >= MESSAGES
    });
    // The database holds each published message once, as published.
    let mut stored: Vec<(String, i64, f64)> = runtime
        .block_on(store.range(None, i64::MIN, i64::MAX, false, (2 * MESSAGES) as i64, 0))
        .unwrap()
        .into_iter()
        .map(|o| match o.reading {
            Reading::WaterLevel { level_m } => (o.device, o.time_ms, level_m),
            other => panic!("a stored reading that was never published: {other:?}"),
        })
        .collect();
    stored.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    assert_eq!(stored.len(), MESSAGES, "every message once, after a kill at {committed} of {MESSAGES}");
    if let Some(i) = (0..MESSAGES).find(|&i| stored[i] != expected[i]) {
        panic!("what is stored is not what was published: line {}: stored {:?}, published {:?}", i + 1, stored[i], expected[i]);
    }
    // The restarted gateway's state is the history's last readings.
    let s = stats(gateway.address, &operator);
    eprintln!("killed after {committed} of {MESSAGES} committed; after the restart: {s}");
    drop(gateway);
    runtime.block_on(store.close());
}

fn chrono_now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn a_gateway_killed_mid_replay_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    killed_mid_replay_loses_nothing(&format!("sqlite:{}", dir.path().join("history.sqlite").display()), dir.path());
}

#[test]
fn a_gateway_killed_mid_replay_loses_nothing_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let server = TemporaryPostgres::start().unwrap_or_else(|e| panic!("this test needs PostgreSQL's server: {e}"));
    let url = server.create_database("history").unwrap();
    killed_mid_replay_loses_nothing(&url, dir.path());
}
