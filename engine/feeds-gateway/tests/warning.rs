#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The live flood warning: the Thạch Hãn gauge rising past an alarm level
//! makes the gateway compute what the current level floods over the
//! Citadel scene's terrain, and the warning reaches a tourist's viewer, the
//! broker's alert topic (retained) and a webhook, with the figures of
//! `sontinh flood inundate` at that level.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use rumqttc::{Event, Packet, QoS};
use sontinh_feeds::{FLOOD_ALERT_TOPIC, FloodWarning, Role};
use sontinh_feeds_gateway::GatewayConfig;

mod common;

use common::*;

/// A webhook receiver on a free port: each POST's body comes out of the channel.
fn webhook() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/warnings", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut data = Vec::new();
            let mut buf = [0u8; 65536];
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&data);
                if let Some(at) = text.find("\r\n\r\n") {
                    let length: usize = text[..at]
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                        .unwrap_or(0);
                    if data.len() >= at + 4 + length {
                        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                        let _ = tx.send(String::from_utf8_lossy(&data[at + 4..at + 4 + length]).into_owned());
                        break;
                    }
                }
            }
        }
    });
    (url, rx)
}

fn with_warning(config: &GatewayConfig, dir: &Path, hook: &str) -> GatewayConfig {
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml");
    let path = dir.join("gateway.toml");
    let text = std::fs::read_to_string(&path).unwrap()
        + &format!("[warning]\nscene = \"{}\"\nscenario = \"thach-han-flood\"\ngauges = {{ \"thach-han\" = \"thach-han\" }}\nwebhook = \"{hook}\"\n", scene.display());
    std::fs::write(&path, text).unwrap();
    let loaded = GatewayConfig::load(&path).unwrap();
    assert_eq!(loaded.client_id, config.client_id);
    loaded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gauge_past_its_alarm_warns_viewers_the_broker_and_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let (hook, posted) = webhook();
    let config = with_warning(&gateway_config(dir.path(), &broker.url(), "127.0.0.1:0"), dir.path(), &hook);
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    let mut tourist = viewer(address, &bearer(&config, Role::Tourist)).await;

    // Below Báo động I (3.0 m): no warning. Then 7.4 m, past III: one warning.
    publish_as(&broker, "thach-han", &[gauge_message(1, 2.0), gauge_message(2, 7.4)]).await;
    let got = collect(&mut tourist, |m| m.iter().any(|t| t.contains("\"flood_warning\""))).await;
    let text = got.iter().find(|t| t.contains("\"flood_warning\"")).expect("the tourist's viewer gets the flood warning");
    let message: serde_json::Value = serde_json::from_str(text).unwrap();
    let warning: FloodWarning = serde_json::from_value(message["warning"].clone()).unwrap();
    assert_eq!((warning.device.as_str(), warning.level_m, warning.alarm_level), ("thach-han", 7.4, 3));
    assert_eq!(warning.levels_m, vec![("thach-han".to_owned(), 7.4)]);

    // The figures of the inundation command at the same level.
    let scene = sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap();
    let (files, _) = sontinh_flood_plan::inundate(&scene, Some("thach-han-flood"), &[("thach-han".to_owned(), 7.4)], &sontinh_flood_plan::disk_files).unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&files.iter().find(|f| f.name == "summary.json").unwrap().bytes).unwrap();
    assert!(warning.flooded_area_km2 > 0.0, "7.4 m floods something around the citadel");
    assert_eq!(warning.flooded_area_km2, summary["flooded_area_km2"].as_f64().unwrap());
    assert_eq!(warning.max_depth_m, summary["max_depth_m"].as_f64().unwrap());
    let extent: serde_json::Value = serde_json::from_slice(&files.iter().find(|f| f.name == "extent.geojson").unwrap().bytes).unwrap();
    assert_eq!(warning.extent, extent);
    assert!(warning.places.windows(2).all(|w| w[0].depth_m >= w[1].depth_m), "places deepest first");
    assert!(warning.places.iter().all(|p| p.depth_m > 0.1), "only places under water");

    // The webhook and the broker's retained alert carry the same warning.
    let body = tokio::task::spawn_blocking(move || posted.recv_timeout(Duration::from_secs(20)).expect("the webhook's POST")).await.unwrap();
    assert_eq!(serde_json::from_str::<FloodWarning>(&body).unwrap(), warning);
    let (client, mut events) = mqtt_client(&broker.url(), &broker.gateway_auth(), "alert-reader");
    client.subscribe(FLOOD_ALERT_TOPIC, QoS::AtLeastOnce).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let alert = loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Incoming(Packet::Publish(p)))) if p.topic == FLOOD_ALERT_TOPIC => break p,
            Ok(Some(_)) => {}
            other => panic!("no retained alert on {FLOOD_ALERT_TOPIC}: {other:?}"),
        }
    };
    assert!(alert.retain, "a newcomer gets the latest warning");
    assert_eq!(serde_json::from_slice::<FloodWarning>(&alert.payload).unwrap(), warning);
    // REST: the latest warning.
    let rest = http_get(address, "/warning", Some(&bearer(&config, Role::Operator))).await;
    assert_eq!(serde_json::from_slice::<FloodWarning>(body_of(&rest)).unwrap(), warning);
    // A viewer connecting after the warning gets it right after its snapshot.
    let mut late = viewer(address, &bearer(&config, Role::Operator)).await;
    let got = collect(&mut late, |m| m.iter().any(|t| t.contains("\"flood_warning\""))).await;
    assert!(got[0].contains("\"snapshot\""), "{}", &got[0][..got[0].len().min(200)]);
    let text = got.iter().find(|t| t.contains("\"flood_warning\"")).unwrap();
    let message: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::from_value::<FloodWarning>(message["warning"].clone()).unwrap(), warning);
}

fn body_of(response: &str) -> &[u8] {
    body(response.as_bytes())
}
