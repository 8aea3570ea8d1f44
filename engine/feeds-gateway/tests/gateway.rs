#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The gateway against a real mosquitto on loopback: role filtering through
//! the real WebSocket, rejects counted, and no QoS 1 message lost when the
//! broker restarts in the middle of a replay.

use std::time::Duration;

use rumqttc::QoS;
use sontinh_feeds::Role;
use sontinh_feeds_gateway::{COMPACT_TOPIC, replay};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tourists_never_receive_camera_urls_or_operator_devices() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _broker = Broker::start(dir.path(), port);
    let (address, _stop) = start_gateway(dir.path(), port).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (mut tourist, _) = tokio_tungstenite::connect_async(format!("ws://{address}/ws?token={}", bearer(Role::Tourist))).await.unwrap();
    let (mut operator, _) = tokio_tungstenite::connect_async(format!("ws://{address}/ws?token={}", bearer(Role::Operator))).await.unwrap();
    let client = publisher(port).await;
    for message in [
        r#"{"device":"thach-han","time":"2020-10-18T01:30:00+07:00","level_m":7.40}"#,
        r#"{"device":"cam-gate","time":"2020-10-18T01:30:00+07:00","online":true,"snapshot_url":"/snapshots/vehicle.jpg"}"#,
        r#"{"device":"cam-pump","time":"2020-10-18T01:30:00+07:00","online":true,"snapshot_url":"/snapshots/pump.jpg"}"#,
        r#"{"device":"thach-han","time":"2020-10-18T00:30:00+07:00","level_m":9.9}"#,
        r#"{not json"#,
        r#"{"device":"ghost","time":"2020-10-18T01:30:00+07:00","level_m":1}"#,
    ] {
        client.publish(COMPACT_TOPIC, QoS::AtLeastOnce, false, message).await.unwrap();
    }
    let tourist_got = collect(&mut tourist, |m| m.iter().filter(|t| t.contains("\"observation\"")).count() >= 2).await;
    let operator_got = collect(&mut operator, |m| m.iter().filter(|t| t.contains("\"observation\"")).count() >= 3).await;
    let tourist_text = tourist_got.join("\n");
    assert!(tourist_got.first().unwrap().contains("\"snapshot\""), "{tourist_text}");
    assert!(tourist_text.contains("7.4") && tourist_text.contains("cam-gate"), "{tourist_text}");
    assert!(!tourist_text.contains("snapshot_url") && !tourist_text.contains("/snapshots/"), "{tourist_text}");
    assert!(!tourist_text.contains("cam-pump"), "{tourist_text}");
    assert!(!tourist_text.contains("9.9"), "out-of-order reading rejected");
    let operator_text = operator_got.join("\n");
    assert!(operator_text.contains("/snapshots/vehicle.jpg") && operator_text.contains("cam-pump"), "{operator_text}");

    // The last two messages were published after the observations the
    // viewers waited for, so their rejection may still be on its way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let stats = http_get(address, &format!("/stats?token={}", bearer(Role::Operator))).await;
        if stats.contains("\"malformed\":1") && stats.contains("\"unknown_device\":1") && stats.contains("\"out_of_order\":1") {
            assert!(stats.contains("\"accepted\":3"), "{stats}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "rejects not all counted: {stats}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(http_get(address, &format!("/stats?token={}", bearer(Role::Tourist))).await.starts_with("HTTP/1.1 403"));
    assert!(http_get(address, "/devices").await.starts_with("HTTP/1.1 401"));
    let devices = http_get(address, &format!("/devices?token={}", bearer(Role::Tourist))).await;
    assert!(devices.starts_with("HTTP/1.1 200") && !devices.contains("snapshot_url") && !devices.contains("cam-pump"), "{devices}");
    let history = http_get(address, &format!("/devices/thach-han/history?from=2020-10-17T00:00:00Z&token={}", bearer(Role::Tourist))).await;
    assert!(history.contains("7.4"), "{history}");
    let hidden = http_get(address, &format!("/devices/cam-pump/history?token={}", bearer(Role::Tourist))).await;
    assert!(hidden.starts_with("HTTP/1.1 404"), "{hidden}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_replay_loses_no_qos1_message() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut broker = Broker::start(dir.path(), port);
    let (address, _stop) = start_gateway(dir.path(), port).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // 300 gauge readings a minute apart, replayed at 6000× (about 3 s).
    let scenario = dir.path().join("scenario.jsonl");
    let lines: Vec<String> = (0..300)
        .map(|i| {
            let t = chrono_base() + i * 60;
            format!(r#"{{"device":"thach-han","time":"{}","level_m":{:.2}}}"#, rfc3339(t), 2.0 + i as f64 * 0.01)
        })
        .collect();
    std::fs::write(&scenario, lines.join("\n")).unwrap();
    let broker_url = format!("mqtt://127.0.0.1:{port}");
    let replayer = tokio::spawn(async move { replay(&scenario, &broker_url, 6000.0, &|_, _| {}).await });
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let _broker = tokio::task::spawn_blocking(move || {
        broker.restart();
        broker
    })
    .await
    .unwrap();
    let sent = replayer.await.unwrap().unwrap();
    assert_eq!(sent, 300);

    // The gateway catches up from its persistent session.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let stats = http_get(address, &format!("/stats?token={}", bearer(Role::Operator))).await;
        if stats.contains("\"accepted\":300") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not every message arrived: {stats}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let history = http_get(address, &format!("/devices/thach-han/history?token={}", bearer(Role::Operator))).await;
    assert_eq!(history.matches("\"level_m\"").count(), 300);
}

fn chrono_base() -> i64 {
    1_602_950_400 // 2020-10-17T16:00:00Z
}

fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    // 2020-10-17 is day 18552 since 1970; the test stays within October 2020.
    let day_of_month = 17 + (days - 18_552);
    format!("2020-10-{day_of_month:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
