#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The gateway against a real mosquitto on loopback (the shipped config):
//! role filtering through the real WebSocket, rejects counted, no QoS 1
//! message lost when the broker restarts mid-replay, and everything a
//! client can make the gateway hold bounded.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rumqttc::QoS;
use sontinh_feeds::Role;
use sontinh_feeds_gateway::{Limits, replay};
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tourists_never_receive_camera_urls_or_operator_devices() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;

    let mut tourist = viewer(address, &bearer(&config, Role::Tourist)).await;
    let mut operator = viewer(address, &bearer(&config, Role::Operator)).await;
    publish_as(
        &broker,
        "thach-han",
        &[r#"{"device":"thach-han","time":"2020-10-18T01:30:00+07:00","level_m":7.40}"#.to_owned()],
    )
    .await;
    publish_as(
        &broker,
        "cam-gate",
        &[r#"{"device":"cam-gate","time":"2020-10-18T01:30:00+07:00","online":true,"snapshot_url":"/snapshots/vehicle.jpg"}"#.to_owned()],
    )
    .await;
    publish_as(
        &broker,
        "cam-pump",
        &[r#"{"device":"cam-pump","time":"2020-10-18T01:30:00+07:00","online":true,"snapshot_url":"/snapshots/pump.jpg"}"#.to_owned()],
    )
    .await;
    publish_as(
        &broker,
        "thach-han",
        &[
            r#"{"device":"thach-han","time":"2020-10-18T00:30:00+07:00","level_m":9.9}"#.to_owned(),
            r#"{not json"#.to_owned(),
            r#"{"device":"ghost","time":"2020-10-18T01:30:00+07:00","level_m":1}"#.to_owned(),
            r#"{"device":"thach-han","time":"9999-01-01T00:00:00Z","level_m":1}"#.to_owned(),
        ],
    )
    .await;
    let tourist_got = collect(&mut tourist, |m| m.iter().filter(|t| t.contains("\"observation\"")).count() >= 2).await;
    let operator_got = collect(&mut operator, |m| m.iter().filter(|t| t.contains("\"observation\"")).count() >= 3).await;
    let tourist_text = tourist_got.join("\n");
    assert!(tourist_got.first().unwrap().contains("\"snapshot\""), "{tourist_text}");
    assert!(tourist_text.contains("7.4") && tourist_text.contains("cam-gate"), "{tourist_text}");
    assert!(
        !tourist_text.contains("snapshot_url") && !tourist_text.contains("/snapshots/"),
        "{tourist_text}"
    );
    assert!(!tourist_text.contains("cam-pump"), "{tourist_text}");
    assert!(!tourist_text.contains("9.9"), "out-of-order reading rejected");
    let operator_text = operator_got.join("\n");
    assert!(
        operator_text.contains("/snapshots/vehicle.jpg") && operator_text.contains("cam-pump"),
        "{operator_text}"
    );

    // The rejects were published after the observations the viewers waited for.
    let stats = wait_stats(address, &config, 10, "the rejects", |s| {
        let r = &s["rejected"];
        // "ghost" on thach-han's topic names another device than its topic.
        r["malformed"] == 1 && r["topic_mismatch"] == 1 && r["out_of_order"] == 1 && r["future"] == 1
    })
    .await;
    assert_eq!(stats["accepted"], 3, "{stats}");
    let tourist_token = bearer(&config, Role::Tourist);
    assert!(http_get(address, "/stats", Some(&tourist_token)).await.starts_with("HTTP/1.1 403"));
    assert!(http_get(address, "/devices", None).await.starts_with("HTTP/1.1 401"));
    let devices = http_get(address, "/devices", Some(&tourist_token)).await;
    assert!(
        devices.starts_with("HTTP/1.1 200") && !devices.contains("snapshot_url") && !devices.contains("cam-pump"),
        "{devices}"
    );
    let history = http_get(
        address,
        "/devices/thach-han/history?from=2020-10-17T00:00:00Z",
        Some(&tourist_token),
    )
    .await;
    assert!(history.contains("7.4"), "{history}");
    let hidden = http_get(address, "/devices/cam-pump/history", Some(&tourist_token)).await;
    assert!(hidden.starts_with("HTTP/1.1 404"), "{hidden}");
}

/// Tokens in URLs end up in logs and proxies: REST takes them only in the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_refuses_tokens_in_urls() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    let token = bearer(&config, Role::Operator);
    let in_url = http_get(address, &format!("/devices?token={token}"), None).await;
    assert!(in_url.starts_with("HTTP/1.1 401") && in_url.contains("Authorization"), "{in_url}");
    assert!(http_get(address, "/devices", Some(&token)).await.starts_with("HTTP/1.1 200"));
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert!(http_get(address, "/devices", Some(&forged)).await.starts_with("HTTP/1.1 401"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_replay_loses_no_qos1_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;

    // 300 gauge readings a minute apart, replayed at 6000× (about 3 s).
    let scenario = dir.path().join("scenario.jsonl");
    let lines: Vec<String> = (0..300)
        .map(|i| {
            let t = chrono_base() + i * 60;
            format!(
                r#"{{"device":"thach-han","time":"{}","level_m":{:.2}}}"#,
                rfc3339(t),
                2.0 + i as f64 * 0.01
            )
        })
        .collect();
    std::fs::write(&scenario, lines.join("\n")).unwrap();
    let broker_url = broker.url();
    let credentials = broker.credentials_dir().to_owned();
    let (sent_tx, mut sent_rx) = tokio::sync::watch::channel(0usize);
    let replayer = tokio::spawn(async move {
        replay(&scenario, &broker_url, Some(&credentials), 6000.0, &move |sent, _| {
            let _ = sent_tx.send(sent);
        })
        .await
    });
    // Restart the broker once a third of the scenario is out.
    tokio::time::timeout(Duration::from_secs(30), sent_rx.wait_for(|sent| *sent >= 100))
        .await
        .unwrap()
        .unwrap();
    let _broker = tokio::task::spawn_blocking(move || {
        broker.restart().unwrap();
        broker
    })
    .await
    .unwrap();
    let sent = replayer.await.unwrap().unwrap();
    assert_eq!(sent, 300);

    // The gateway catches up from its persistent session.
    wait_stats(address, &config, 30, "every message", |s| s["accepted"] == 300).await;
    // Read back page by page: 300 readings in pages of 120.
    let token = bearer(&config, Role::Operator);
    let mut levels = 0;
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let response = http_get_bytes(address, &format!("/devices/thach-han/history?limit=120{after}"), Some(&token)).await;
        let page: serde_json::Value = serde_json::from_slice(body(&response)).unwrap();
        levels += page["observations"].as_array().unwrap().len();
        pages += 1;
        match page["next_after"].as_i64() {
            Some(t) => after = format!("&after={t}"),
            None => break,
        }
    }
    assert_eq!((levels, pages), (300, 3));
}

/// One oversized message used to stop the gateway for good: rumqttc dropped
/// the connection before its PUBACK and the session redelivered it forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_a_counted_reject_and_relaying_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    let mut operator = viewer(address, &bearer(&config, Role::Operator)).await;

    // 200 KiB: within the broker's limit, over the gateway's: counted.
    let padded = format!(
        r#"{{"device":"thach-han","time":"2020-10-17T01:00:00Z","level_m":1.0,"pad":"{}"}}"#,
        "x".repeat(200 * 1024)
    );
    publish_as(&broker, "thach-han", &[padded]).await;
    wait_stats(address, &config, 10, "the oversized reject", |s| s["rejected"]["oversized"] == 1).await;
    // 1 MiB: the broker refuses it (and drops that publisher); nothing reaches the gateway.
    let (big, mut events) = mqtt_client(&broker.url(), &broker.device_auth("thach-han"), "pub-too-big");
    big.publish(
        sontinh_feeds::compact_topic("thach-han"),
        QoS::AtLeastOnce,
        false,
        vec![b' '; 1024 * 1024],
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)))) => panic!("the broker took a 1 MiB message"),
            Ok(Some(_)) => {}
            Ok(None) => break, // disconnected by the broker
            Err(_) => panic!("the broker neither refused nor took the 1 MiB message"),
        }
    }
    publish_as(&broker, "thach-han", &[gauge_message(2, 4.2)]).await;
    let got = collect(&mut operator, |m| m.iter().any(|t| t.contains("4.2"))).await;
    assert!(got.iter().any(|t| t.contains("4.2")), "relaying stopped: {got:?}");
    let stats = wait_stats(address, &config, 10, "the reading after", |s| s["accepted"] == 1).await;
    assert_eq!(stats["broker_connected"], true, "{stats}");
}

/// A planner could fetch an operator-only camera's snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_follow_their_cameras_roles_and_stay_in_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let real = std::fs::read(shared_data().join("images/human.jpg")).unwrap();
    for file in ["pump.jpg", "road.jpg", "human.jpg"] {
        std::fs::write(images.join(file), &real).unwrap();
    }
    std::fs::write(dir.path().join("outside.jpg"), b"secret plans").unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.jpg"), images.join("link.jpg")).unwrap();
    let mut config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    config.snapshots = Some(images);
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    publish_as(&broker, "cam-pump", &[camera_message("cam-pump", 1, "pump.jpg")]).await;
    publish_as(
        &broker,
        "cam-road",
        &[camera_message("cam-road", 1, "road.jpg"), camera_message("cam-road", 2, "link.jpg")],
    )
    .await;
    wait_stats(address, &config, 10, "the camera readings", |s| s["accepted"] == 3).await;

    let operator = bearer(&config, Role::Operator);
    let planner = bearer(&config, Role::Planner);
    let image = http_get_bytes(address, "/snapshots/pump.jpg", Some(&operator)).await;
    let head = String::from_utf8_lossy(&image[..image.len().min(400)]).to_ascii_lowercase();
    assert!(
        head.starts_with("http/1.1 200") && head.contains("x-content-type-options: nosniff") && head.contains("content-type: image/jpeg"),
        "{head}"
    );
    assert_eq!(body(&image), real.as_slice(), "the operator receives the camera's image");
    assert!(
        http_get(address, "/snapshots/pump.jpg", Some(&planner))
            .await
            .starts_with("HTTP/1.1 404"),
        "the pump camera is the operators' only"
    );
    assert_eq!(
        body(&http_get_bytes(address, "/snapshots/road.jpg", Some(&planner)).await),
        real.as_slice()
    );
    assert!(
        http_get(address, "/snapshots/human.jpg", Some(&planner))
            .await
            .starts_with("HTTP/1.1 404"),
        "the gate camera is not the planners'"
    );
    assert!(
        http_get(address, "/snapshots/human.jpg", Some(&bearer(&config, Role::Tourist)))
            .await
            .starts_with("HTTP/1.1 403")
    );
    let link = http_get(address, "/snapshots/link.jpg", Some(&operator)).await;
    assert!(
        link.starts_with("HTTP/1.1 404") && !link.contains("secret plans"),
        "a symlink out of the folder is not followed: {link}"
    );
    assert!(
        http_get(address, "/snapshots/unnamed.jpg", Some(&operator))
            .await
            .starts_with("HTTP/1.1 404"),
        "a file no camera names"
    );
    assert!(
        http_get(address, "/snapshots/..%2Foutside.jpg", Some(&operator))
            .await
            .starts_with("HTTP/1.1 400")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_closes_when_its_token_expires() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    let short = sontinh_feeds_gateway::token::issue(config.secret.as_bytes(), Role::Operator, now_s() + 2);
    let mut ws = viewer(address, &short).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let close = loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => {}
            other => panic!("the connection outlived its token: {other:?}"),
        }
    };
    let frame = close.expect("a close frame with a reason");
    assert_eq!(u16::from(frame.code), sontinh_feeds_gateway::CLOSE_TOKEN_EXPIRED);
    assert_eq!(frame.reason.as_str(), "token expired");
}

/// Client frames over a few KiB end the connection before they are
/// buffered; history comes in pages; requests are rate-limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_frames_history_replies_and_request_rates_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let limits = Limits {
        history_page: 50,
        requests_per_second: 2.0,
        ..Limits::default()
    };
    let (address, _stop) = start_gateway_with(config.clone(), limits).await;
    wait_subscribed(address, &config).await;
    let readings: Vec<String> = (0..120)
        .map(|i| {
            format!(
                r#"{{"device":"thach-han","time":"{}","level_m":1.0}}"#,
                rfc3339(chrono_base() + i * 60)
            )
        })
        .collect();
    publish_as(&broker, "thach-han", &readings).await;
    wait_stats(address, &config, 10, "the readings", |s| s["accepted"] == 120).await;

    let token = bearer(&config, Role::Operator);
    let mut big = viewer(address, &token).await;
    let _ = big.send(Message::Text("x".repeat(64 * 1024).into())).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, big.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => break,
            Ok(Some(Ok(Message::Text(t)))) => assert!(!t.contains("\"error\""), "a 64 KiB frame was read and answered"),
            Ok(Some(Ok(_))) => {}
            Err(_) => panic!("a 64 KiB frame did not end the connection"),
        }
    }

    let mut ws = viewer(address, &token).await;
    let mut request = serde_json::json!({"type": "history", "from_ms": i64::MIN, "to_ms": i64::MAX});
    let mut total = 0;
    let mut pages = 0;
    let mut refused = 0;
    while pages < 3 {
        ws.send(Message::Text(request.to_string().into())).await.unwrap();
        let reply = collect(&mut ws, |m| m.iter().any(|t| t.contains("\"history\"") || t.contains("\"error\""))).await;
        let text = reply
            .iter()
            .find(|t| t.contains("\"history\"") || t.contains("\"error\""))
            .expect("a reply");
        let message: serde_json::Value = serde_json::from_str(text).unwrap();
        if message["type"] == "error" {
            assert!(text.contains("too many requests"), "{text}");
            refused += 1;
            // Wait for the bucket to refill: two requests a second.
            tokio::time::sleep(Duration::from_millis(600)).await;
            continue;
        }
        let n = message["observations"].as_array().unwrap().len();
        assert!(n <= 50, "a page of {n}");
        total += n;
        pages += 1;
        match message.get("next") {
            Some(next) if !next.is_null() => request["after"] = next.clone(),
            _ => break,
        }
    }
    assert_eq!((total, pages), (120, 3));
    // A burst beyond the rate is refused.
    for _ in 0..10 {
        ws.send(Message::Text(r#"{"type":"history","from_ms":0,"to_ms":1}"#.into()))
            .await
            .unwrap();
    }
    let replies = collect(&mut ws, |m| m.len() >= 10).await;
    refused += replies.iter().filter(|t| t.contains("too many requests")).count();
    assert!(
        refused >= 5,
        "10 requests at once against 2 per second (burst 4): {refused} refused"
    );
}

/// A client that sends its headers a byte at a time is cut off (slowloris).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_header_writer_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let limits = Limits {
        header_read_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let (address, _stop) = start_gateway_with(config.clone(), limits).await;
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /devices HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // Never finish the headers: the gateway must close within its timeout (with a 408 or nothing).
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the half-sent request was held open");
    let text = String::from_utf8_lossy(&rest);
    assert!(!text.contains("200 OK"), "{text}");
    // A normal request still works.
    assert!(
        http_get(address, "/devices", Some(&bearer(&config, Role::Tourist)))
            .await
            .starts_with("HTTP/1.1 200")
    );
}

fn chrono_base() -> i64 {
    1_602_950_400 // 2020-10-17T16:00:00Z
}

fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    // 2020-10-17 is day 18552 since 1970; the test stays within October 2020.
    let day_of_month = 17 + (days - 18_552);
    format!(
        "2020-10-{day_of_month:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Past `max_viewers` a WebSocket upgrade gets 503; past `max_connections`
/// a TCP connection is closed unanswered. Either frees up when a client goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_and_connections_past_their_caps_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let limits = Limits {
        max_viewers: 2,
        max_connections: 4,
        ..Limits::default()
    };
    let (address, _stop) = start_gateway_with(config.clone(), limits).await;
    let token = bearer(&config, Role::Operator);

    let first = viewer(address, &token).await;
    let _second = viewer(address, &token).await;
    let third = ws_upgrade(address, &token).await;
    assert!(third.starts_with("HTTP/1.1 503"), "a third viewer past a cap of 2: {third}");
    wait_stats(address, &config, 10, "two viewers counted", |s| s["viewers"] == 2).await;
    drop(first);
    wait_stats(address, &config, 10, "the first viewer's slot freed", |s| s["viewers"] == 1).await;
    let again = ws_upgrade(address, &token).await;
    assert!(again.starts_with("HTTP/1.1 101"), "a viewer once a slot is free: {again}");

    // Two viewers hold two connections (an upgraded connection still counts);
    // two idle ones fill the cap of four.
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(tokio::net::TcpStream::connect(address).await.unwrap());
    }
    // The fifth is closed without an answer (the accept loop may still be
    // taking the idle ones: it is refused once all four are held).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut extra = tokio::net::TcpStream::connect(address).await.unwrap();
        let _ = extra
            .write_all(b"GET /devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let mut response = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), extra.read_to_end(&mut response)).await;
        if response.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a connection past the cap of 4 was answered: {}",
            String::from_utf8_lossy(&response)
        );
    }
    drop(idle);
    // Freed: a request is answered again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let _ = stream
            .write_all(format!("GET /devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").as_bytes())
            .await;
        let mut response = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
        if response.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no connection was answered after the idle ones closed"
        );
    }
}

/// A raw WebSocket upgrade request; the response's head as text.
async fn ws_upgrade(address: std::net::SocketAddr, token: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 4096 {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await {
            Ok(Ok(1)) => head.push(byte[0]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    // An accepted upgrade stays open (a viewer the caller counts on); a
    // refused one is closed here.
    if text.starts_with("HTTP/1.1 101") {
        tokio::spawn(async move {
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink).await;
        });
    }
    text
}
