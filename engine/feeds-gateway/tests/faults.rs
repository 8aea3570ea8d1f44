#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Faults between broker, gateway and viewer, against a real mosquitto:
//! the broker absent at start, the gateway killed and restarted, and a
//! connection cut silently. The viewer side is the native link and the
//! same `FeedClient` the twin uses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sontinh_feeds::{Connection, FeedClient, Reading, Role};
use sontinh_feeds_gateway::link::{LinkConfig, spawn_link};

mod common;

use common::*;

fn level(client: &FeedClient) -> Option<f64> {
    let i = client.device_index("thach-han")?;
    match client.latest(i)?.reading {
        Reading::WaterLevel { level_m } => Some(level_m),
        _ => None,
    }
}

fn link(
    address: std::net::SocketAddr,
    gateway: &sontinh_feeds_gateway::GatewayConfig,
    role: Role,
) -> std::sync::mpsc::Receiver<sontinh_feeds::LinkEvent> {
    let mut config = LinkConfig::new(&format!("ws://{address}/ws"), &bearer(gateway, role));
    config.max_backoff = Duration::from_millis(500);
    spawn_link(config).unwrap()
}

#[test]
fn broker_absent_at_start_then_arriving() {
    let dir = tempfile::tempdir().unwrap();
    // The broker is not there yet, so nothing holds its port: take one the
    // system just had free (start_on fails clearly should another process take it).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = gateway_config(dir.path(), &format!("mqtt://127.0.0.1:{port}"), "127.0.0.1:0");
    let gateway = GatewayProcess::start(config.clone());
    let rx = link(gateway.address, &config, Role::Operator);
    let mut client = FeedClient::new(100);
    pump(&rx, &mut client, 10, "a snapshot without a broker", |c| c.devices().len() == 4);
    assert_eq!(client.connection(), &Connection::Connected { broker_connected: false });

    let broker = sontinh_feeds_gateway::broker::LocalBroker::start_on(dir.path(), &registry(), port).unwrap();
    pump(&rx, &mut client, 15, "the gateway to reach the broker", |c| {
        c.connection() == &Connection::Connected { broker_connected: true }
    });
    // Connected is not yet subscribed: wait for the subscriptions.
    block_on(wait_subscribed(gateway.address, &config));
    publish_as_blocking(&broker, "thach-han", &[gauge_message(1, 4.7)]);
    pump(&rx, &mut client, 10, "the first reading", |c| level(c) == Some(4.7));
    let gauge = client.device_index("thach-han").unwrap();
    assert_eq!(client.alarm_at(gauge, i64::MAX), Some(2));
}

#[test]
fn gateway_killed_and_restarted_viewer_keeps_state_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let gateway = GatewayProcess::start(config.clone());
    // The restarted gateway must come back on the same address: the one the first one bound.
    let listen = gateway.address.to_string();
    let rx = link(gateway.address, &config, Role::Operator);
    let mut client = FeedClient::new(100);
    pump(&rx, &mut client, 15, "the broker link", |c| {
        c.connection() == &Connection::Connected { broker_connected: true }
    });
    block_on(wait_subscribed(gateway.address, &config));
    publish_as_blocking(&broker, "thach-han", &[gauge_message(1, 3.2)]);
    pump(&rx, &mut client, 10, "the first reading", |c| level(c) == Some(3.2));

    gateway.kill();
    pump(&rx, &mut client, 10, "the viewer to notice", |c| {
        matches!(c.connection(), Connection::Disconnected { .. })
    });
    assert_eq!(level(&client), Some(3.2), "the last known state stays on screen");

    // Published while the gateway is down: the broker keeps it in the gateway's persistent session.
    publish_as_blocking(&broker, "thach-han", &[gauge_message(2, 5.1), gauge_message(3, 6.3)]);
    let mut again = config.clone();
    again.listen = listen;
    let _gateway = GatewayProcess::start(again);
    let gauge = client.device_index("thach-han").unwrap();
    // The snapshot brings the latest reading, the history reply the one before it.
    pump(&rx, &mut client, 20, "the readings sent while the gateway was down", |c| {
        level(c) == Some(6.3) && c.history(gauge).count() == 3
    });
    let levels: Vec<f64> = client
        .history(gauge)
        .filter_map(|o| match o.reading {
            Reading::WaterLevel { level_m } => Some(level_m),
            _ => None,
        })
        .collect();
    assert_eq!(
        levels,
        vec![3.2, 5.1, 6.3],
        "history after the restart: the gateway's new history plus what the viewer kept"
    );
    assert!(matches!(client.connection(), Connection::Connected { .. }));
}

/// A TCP relay that can be cut silently: it stops forwarding but keeps the
/// sockets open, as a dead NAT or a pulled cable does.
fn start_cuttable_relay(upstream: std::net::SocketAddr) -> (std::net::SocketAddr, Arc<AtomicBool>) {
    let cut = Arc::new(AtomicBool::new(false));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let relay_cut = cut.clone();
    std::thread::spawn(move || {
        let graveyard = Arc::new(std::sync::Mutex::new(Vec::new()));
        for downstream in listener.incoming().flatten() {
            let Ok(up) = std::net::TcpStream::connect(upstream) else { continue };
            for (mut from, mut to) in [
                (downstream.try_clone().unwrap(), up.try_clone().unwrap()),
                (up.try_clone().unwrap(), downstream.try_clone().unwrap()),
            ] {
                let cut = relay_cut.clone();
                let graveyard = graveyard.clone();
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    from.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    let mut buffer = [0u8; 16_384];
                    loop {
                        if cut.load(Ordering::Relaxed) {
                            // Hold both ends open and say nothing.
                            graveyard.lock().unwrap().push((from, to));
                            return;
                        }
                        match from.read(&mut buffer) {
                            Ok(0) => return,
                            Ok(n) => {
                                if to.write_all(&buffer[..n]).is_err() {
                                    return;
                                }
                            }
                            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                            Err(_) => return,
                        }
                    }
                });
            }
            drop(downstream);
            drop(up);
        }
    });
    (address, cut)
}

#[test]
fn a_silently_cut_connection_is_noticed_and_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let gateway = GatewayProcess::start(config.clone());
    let (relay, cut) = start_cuttable_relay(gateway.address);
    let rx = link(relay, &config, Role::Operator);
    let mut client = FeedClient::new(100);
    pump(&rx, &mut client, 15, "the broker link", |c| {
        c.connection() == &Connection::Connected { broker_connected: true }
    });
    block_on(wait_subscribed(gateway.address, &config));
    publish_as_blocking(&broker, "thach-han", &[gauge_message(1, 2.5)]);
    pump(&rx, &mut client, 10, "the first reading", |c| level(c) == Some(2.5));

    cut.store(true, Ordering::Relaxed);
    let cut_at = std::time::Instant::now();
    pump(&rx, &mut client, 15, "the viewer to notice the cut", |c| {
        matches!(c.connection(), Connection::Disconnected { .. })
    });
    assert!(cut_at.elapsed() < Duration::from_secs(8), "noticed after {:?}", cut_at.elapsed());
    assert_eq!(level(&client), Some(2.5), "the last known state stays on screen");

    // Repaired: new connections go through; the reconnect brings what was missed.
    publish_as_blocking(&broker, "thach-han", &[gauge_message(2, 3.9)]);
    cut.store(false, Ordering::Relaxed);
    pump(&rx, &mut client, 15, "the reading sent during the cut", |c| level(c) == Some(3.9));
    assert!(matches!(client.connection(), Connection::Connected { .. }));
}

#[test]
fn a_tourist_link_never_fetches_snapshots_and_history_is_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let gateway = GatewayProcess::start(config.clone());
    let rx = link(gateway.address, &config, Role::Tourist);
    let mut client = FeedClient::new(100);
    pump(&rx, &mut client, 15, "the broker link", |c| {
        c.connection() == &Connection::Connected { broker_connected: true }
    });
    block_on(wait_subscribed(gateway.address, &config));
    publish_as_blocking(&broker, "cam-gate", &[camera_message("cam-gate", 1, "human.jpg")]);
    publish_as_blocking(&broker, "cam-pump", &[camera_message("cam-pump", 1, "pump.jpg")]);
    publish_as_blocking(&broker, "thach-han", &[gauge_message(1, 1.0)]);
    pump(&rx, &mut client, 10, "the gauge reading", |c| level(c) == Some(1.0));
    assert_eq!(client.devices().len(), 2, "the operator-only cameras are not listed");
    let camera = client.device_index("cam-gate").unwrap();
    assert_eq!(
        client.latest(camera).unwrap().reading,
        Reading::Camera {
            online: true,
            snapshot_url: None
        }
    );
    assert_eq!(client.images_version(), 0);
}

/// No test showed an operator ever receiving a camera image: the native
/// link fetches it (token in the header) and the bytes are the file's.
#[test]
fn an_operator_link_receives_the_camera_image() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let gateway = GatewayProcess::start(config.clone());
    let rx = link(gateway.address, &config, Role::Operator);
    let mut client = FeedClient::new(100);
    pump(&rx, &mut client, 15, "the broker link", |c| {
        c.connection() == &Connection::Connected { broker_connected: true }
    });
    block_on(wait_subscribed(gateway.address, &config));
    publish_as_blocking(&broker, "cam-gate", &[camera_message("cam-gate", 1, "human.jpg")]);
    pump(&rx, &mut client, 15, "the camera image", |c| {
        c.image("/snapshots/human.jpg").is_some()
    });
    let expected = std::fs::read(shared_data().join("images/human.jpg")).unwrap();
    assert_eq!(client.image("/snapshots/human.jpg").unwrap(), expected.as_slice());
}

/// A forged `snapshot_url` ("@evil:80/x", an absolute URL) used to make the
/// link send the operator's token to another host. A listening socket there
/// must see no connection at all.
#[test]
fn a_forged_snapshot_url_never_receives_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let gateway = GatewayProcess::start(config.clone());
    let evil = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let evil_address = evil.local_addr().unwrap();
    evil.set_nonblocking(true).unwrap();
    let rx = link(gateway.address, &config, Role::Operator);
    let mut client = FeedClient::new(100);
    pump(&rx, &mut client, 15, "the broker link", |c| {
        c.connection() == &Connection::Connected { broker_connected: true }
    });
    block_on(wait_subscribed(gateway.address, &config));
    let forged: Vec<String> = [
        format!("@{evil_address}/x.jpg"),
        format!("http://{evil_address}/x.jpg"),
        format!("//{evil_address}/x.jpg"),
    ]
    .iter()
    .enumerate()
    .map(|(i, url)| {
        format!(
            r#"{{"device":"cam-gate","time":"2020-10-17T0{}:00:00Z","online":true,"snapshot_url":"{url}"}}"#,
            i + 1
        )
    })
    .collect();
    publish_as_blocking(&broker, "cam-gate", &forged);
    // A good image after them: once it is in, the link has handled every message before it.
    publish_as_blocking(&broker, "cam-gate", &[camera_message("cam-gate", 5, "human.jpg")]);
    pump(&rx, &mut client, 15, "the genuine image", |c| {
        c.image("/snapshots/human.jpg").is_some()
    });
    match evil.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the forged address was contacted: {other:?}"),
    }
    let stats = block_on(wait_stats(gateway.address, &config, 10, "the rejects", |s| {
        s["rejected"]["bad_snapshot_url"] == 3
    }));
    assert_eq!(stats["accepted"], 1, "{stats}");
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}
