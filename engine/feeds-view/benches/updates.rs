#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench: failing loudly is the point

//! How much one frame grows when 10,000 device updates arrive in it.
//!
//! `cargo bench -p sontinh-feeds-view --bench updates [-- DEVICES FRAMES]`
//!
//! 10,000 gauges are on the twin. Frames alternate, in one run: a frame with
//! nothing new (the baseline), and a frame in which every gauge reports
//! (10,000 messages, parsed by the link's thread as in the viewer, applied,
//! and their markers redrawn).
//! Medians of each are printed side by side.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use bevy::prelude::*;
use sontinh_feeds::{Device, DeviceKind, LinkEvent, Names, Observation, Reading, Role, ServerMessage, Snapshot};
use sontinh_feeds_view::{FeedInbox, FeedMarkers, FeedsViewPlugin};
use sontinh_layers::ActiveScene;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let devices: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let frames: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);

    let scene = sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, TransformPlugin, FeedsViewPlugin))
        .init_asset::<StandardMaterial>()
        .init_asset::<Image>()
        .insert_resource(ActiveScene(Arc::new(scene)));
    let (tx, rx) = mpsc::channel();
    app.insert_resource(FeedInbox(std::sync::Mutex::new(rx)));

    // A grid of gauges 20 m apart around the Citadel.
    let side = (devices as f64).sqrt().ceil() as usize;
    let gauges: Vec<Device> = (0..devices)
        .map(|i| Device {
            id: format!("g{i}"),
            names: Names { vi: format!("Trạm {i}"), en: format!("Gauge {i}") },
            kind: DeviceKind::WaterGauge { river: "Thạch Hãn".to_owned(), alarm_levels_m: [3.0, 4.5, 6.0] },
            position: [107.19 + (i % side) as f64 * 0.0002, 16.74 + (i / side) as f64 * 0.0002, 0.0],
            owner: "bench".to_owned(),
            visible_to: vec![Role::Operator],
            expected_period_s: 3600.0,
            datastreams: Vec::new(),
        })
        .collect();
    let snapshot = ServerMessage::Snapshot {
        role: Role::Operator,
        snapshot: Snapshot { devices: gauges, latest: Vec::new() },
        broker_connected: true,
        lagged: 0,
    };
    tx.send(LinkEvent::Connected).unwrap();
    tx.send(LinkEvent::Text(serde_json::to_string(&snapshot).unwrap())).unwrap();
    for _ in 0..5 {
        app.update();
    }

    let mut idle = Vec::new();
    let mut busy = Vec::new();
    let mut time_ms = 1_600_000_000_000i64;
    for frame in 0..frames {
        let t = Instant::now();
        app.update();
        idle.push(t.elapsed().as_secs_f64() * 1e3);

        time_ms += 1000;
        // Prepared before the frame: the transport thread does this work in the viewer.
        // Parsed before the frame, as the native link does on its own thread.
        let messages: Vec<ServerMessage> = (0..devices)
            .map(|i| {
                let level_m = 1.0 + ((i + frame) % 80) as f64 * 0.1;
                ServerMessage::Observation {
                    observation: Observation { device: format!("g{i}"), time_ms, reading: Reading::WaterLevel { level_m } },
                }
            })
            .collect();
        for m in messages {
            tx.send(LinkEvent::Message(m)).unwrap();
        }
        let t = Instant::now();
        app.update();
        busy.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(app.world().resource::<FeedMarkers>().updated_last_frame, devices, "every device redrawn");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (idle, busy) = (median(&mut idle), median(&mut busy));
    println!("{devices} devices, {frames} frames of each kind, medians:");
    println!("  frame with no updates:            {idle:8.3} ms");
    println!("  frame with {devices} updates:       {busy:8.3} ms");
    println!("  growth:                           {:8.3} ms", busy - idle);
}
