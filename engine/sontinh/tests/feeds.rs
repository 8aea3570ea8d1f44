#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Replay, gateway and viewer together: the October 2020 scenario replayed
//! at full speed into a real mosquitto, the gateway keeping it, and the
//! headless renderer connecting as an operator and drawing the peak (gauges
//! red at Báo động III, the Thạch Hãn raised and brown) and a day before the
//! flood (gauges green, the river at its normal level).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sontinh_feeds::{Registry, Role};
use sontinh_feeds_gateway::broker::{GATEWAY_USER, LocalBroker};
use sontinh_feeds_gateway::{GatewayConfig, Secret, replay, run_gateway, token};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn render(ws: &str, token: &str, at: &str, out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(["render", "scenes/quang-tri-citadel.toml", "--bookmark", "ioc", "--width", "640", "--height", "360"])
        .args(["--feeds", ws, "--token", token, "--feeds-at", at, "--out"])
        .arg(out)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

fn count(img: &image::RgbImage, class: impl Fn([i32; 3]) -> bool) -> usize {
    img.pixels().filter(|p| class(p.0.map(i32::from))).count()
}

fn alarm_red(p: [i32; 3]) -> bool {
    p[0] > 180 && p[1] < 110 && p[2] < 110
}

fn gauge_green(p: [i32; 3]) -> bool {
    p[1] > 150 && p[0] < 120 && p[2] < 150
}

/// The river's middle in the `ioc` bookmark at 640×360.
fn river_sample(img: &image::RgbImage) -> [i32; 3] {
    let mut sum = [0i32; 3];
    for dx in 0..5 {
        for dy in 0..5 {
            let p = img.get_pixel(148 + dx, 223 + dy).0;
            for k in 0..3 {
                sum[k] += i32::from(p[k]);
            }
        }
    }
    sum.map(|s| s / 25)
}

/// `$SONTINH_SHARED_DATA`, else `../shared/data` beside the repository.
fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SONTINH_SHARED_DATA").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared/data"));
    assert!(dir.is_dir(), "shared test data missing: {} (set SONTINH_SHARED_DATA)", dir.display());
    dir
}

#[test]
fn replay_gateway_and_viewer_show_the_2020_peak() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo().join("assets/feeds/flood-2020-10");
    let registry = Registry::from_json(&std::fs::read_to_string(scenario.join("devices.json")).unwrap()).unwrap();
    let broker = LocalBroker::start(dir.path(), &registry).unwrap();
    Secret::generate().unwrap().write_new(&dir.path().join("gateway.secret")).unwrap();
    let config_path = dir.path().join("gateway.toml");
    std::fs::write(
        &config_path,
        format!(
            "broker = \"{}\"\nlisten = \"127.0.0.1:0\"\ndevices = \"{}\"\nsecret_file = \"gateway.secret\"\nsnapshots = \"{}\"\nclient_id = \"render-test-{}\"\n[mqtt]\nusername = \"{GATEWAY_USER}\"\npassword_file = \"passwords/{GATEWAY_USER}\"\n",
            broker.url(),
            scenario.join("devices.json").display(),
            shared_data().join("images").display(),
            broker.port
        ),
    )
    .unwrap();
    let config = GatewayConfig::load(&config_path).unwrap();
    let secret = config.secret.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    runtime.spawn(async move { run_gateway(config, Some(bound_tx), std::future::pending()).await.unwrap() });
    let address = runtime.block_on(bound_rx).unwrap();
    let token = token::issue(secret.as_bytes(), Role::Operator, chrono_now() + 3600);
    // Replay only once the gateway's subscriptions are acknowledged.
    wait_stats(address, &token, "the gateway's subscriptions", |s| s["subscribed"] == true);

    // Full speed: the broker and the gateway's persistent session must keep every message.
    let sent = runtime
        .block_on(replay(&scenario.join("observations.jsonl"), &broker.url(), Some(broker.credentials_dir()), 0.0, &|_, _| {}))
        .unwrap();
    assert_eq!(sent, 5209);
    wait_stats(address, &token, "every replayed message", |s| s["accepted"] == 5209);

    let ws = format!("ws://{address}/ws");
    let peak = dir.path().join("peak.png");
    let before = dir.path().join("before.png");
    render(&ws, &token, "2020-10-18T01:30:00+07:00", &peak);
    render(&ws, &token, "2020-10-14T12:00:00+07:00", &before);
    let peak = image::open(&peak).unwrap().to_rgb8();
    let before = image::open(&before).unwrap().to_rgb8();

    // Three gauges above Báo động III at the peak: red bars and caps; none before.
    assert!(count(&peak, alarm_red) > 400, "red at the peak: {}", count(&peak, alarm_red));
    assert!(count(&before, alarm_red) < 20, "red before the flood: {}", count(&before, alarm_red));
    assert!(count(&before, gauge_green) > count(&peak, gauge_green) + 100, "green gauges before the flood");
    // The Thạch Hãn at 7.40 m: brown flood water over the banks; before, the blue river.
    let high = river_sample(&peak);
    let low = river_sample(&before);
    assert!(high[0] > high[2] + 25, "brown water at the peak: {high:?}");
    assert!(low[2] > low[0] + 30, "blue river before the flood: {low:?}");
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Polls the gateway's `/stats` (token in the header) until `done`, for at most 60 s.
fn wait_stats(address: std::net::SocketAddr, token: &str, what: &str, done: impl Fn(&serde_json::Value) -> bool) {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(stream, "GET /stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
        let stats: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if done(&stats) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}: {stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
