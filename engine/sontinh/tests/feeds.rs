#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Replay, gateway and viewer together: the October 2020 scenario replayed
//! at full speed into a real mosquitto, the gateway keeping it, and the
//! headless renderer connecting as an operator and drawing the peak (gauges
//! red at Báo động III, the Thạch Hãn raised and brown) and a day before the
//! flood (gauges green, the river at its normal level).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sontinh_feeds::Role;
use sontinh_feeds_gateway::broker::{LocalBroker, free_port};
use sontinh_feeds_gateway::{GatewayConfig, replay, run_gateway, token};

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

#[test]
fn replay_gateway_and_viewer_show_the_2020_peak() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().unwrap();
    let broker = LocalBroker::start(dir.path(), port).unwrap();
    let scenario = repo().join("assets/feeds/flood-2020-10");
    let config_path = dir.path().join("gateway.toml");
    std::fs::write(
        &config_path,
        format!(
            "broker = \"{}\"\nlisten = \"127.0.0.1:0\"\ndevices = \"{}\"\nsecret = \"feeds-render-test\"\nsnapshots = \"{}\"\nclient_id = \"render-test-{port}\"\n",
            broker.url(),
            scenario.join("devices.json").display(),
            repo().join("../shared/data/images").display()
        ),
    )
    .unwrap();
    let config = GatewayConfig::load(&config_path).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    runtime.spawn(async move { run_gateway(config, Some(bound_tx), std::future::pending()).await.unwrap() });
    let address = runtime.block_on(bound_rx).unwrap();
    std::thread::sleep(Duration::from_millis(500));

    // Full speed: the broker and the gateway's persistent session must keep every message.
    let sent = runtime.block_on(replay(&scenario.join("observations.jsonl"), &broker.url(), 0.0, &|_, _| {})).unwrap();
    assert_eq!(sent, 5209);

    let token = token::issue(b"feeds-render-test", Role::Operator, chrono_now() + 3600);
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
