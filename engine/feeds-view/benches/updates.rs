#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench: failing loudly is the point

//! How much one frame grows when 10,000 device updates arrive in it.
//!
//! `cargo bench -p sontinh-feeds-view --bench updates [-- DEVICES FRAMES]`
//!
//! 10,000 devices are on the twin. Frames alternate, in one run: a frame with
//! nothing new (the baseline); a frame after every device reported through
//! the native link, which parses and applies on its own thread (the frame
//! redraws 10,000 markers); and a frame that applies 10,000 queued updates
//! itself, as a single-threaded browser would. Medians printed side by side.

use std::path::Path;
use std::time::Instant;

use bevy::prelude::*;
use sontinh_feeds::{Device, DeviceKind, LinkEvent, Names, Observation, Reading, Role, ServerMessage, Snapshot};
use sontinh_feeds_view::{FeedMarkers, FeedView};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let devices: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let frames: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);

    let scene = sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap();
    let (mut app, tx) = sontinh_feeds_view::app_without_renderer(scene);

    // A grid of devices 20 m apart around the Citadel, a third each gauges,
    // street lights and sensors (an IOC's thousands are mostly the latter two;
    // the gauges are on a river without a drawn reach, as no reach has thousands).
    let side = (devices as f64).sqrt().ceil() as usize;
    let kind_of = |i: usize| match i % 3 {
        0 => DeviceKind::WaterGauge { river: "bench".to_owned(), alarm_levels_m: [3.0, 4.5, 6.0] },
        1 => DeviceKind::StreetLight,
        _ => DeviceKind::Sensor { quantity: "rain".to_owned(), unit: "mm/h".to_owned() },
    };
    let gauges: Vec<Device> = (0..devices)
        .map(|i| Device {
            id: format!("g{i}"),
            names: Names { vi: format!("Thiết bị {i}"), en: format!("Device {i}") },
            kind: kind_of(i),
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

    let shared = app.world().resource::<FeedView>().shared.clone();
    let mut idle = Vec::new();
    let mut linked = Vec::new();
    let mut linked_apply = Vec::new();
    let mut inboxed = Vec::new();
    let mut time_ms = 1_600_000_000_000i64;
    let updates = |frame: usize, time_ms: i64| -> Vec<ServerMessage> {
        (0..devices)
            .map(|i| {
                let x = ((i + frame) % 80) as f64 * 0.1;
                let reading = match i % 3 {
                    0 => Reading::WaterLevel { level_m: 1.0 + x },
                    1 => Reading::Light { on: x > 2.0, dim: x / 8.0, fault: None },
                    _ => Reading::Value { value: x },
                };
                ServerMessage::Observation { observation: Observation { device: format!("g{i}"), time_ms, reading } }
            })
            .collect()
    };
    for frame in 0..frames {
        let t = Instant::now();
        app.update();
        idle.push(t.elapsed().as_secs_f64() * 1e3);

        // The native viewer: the link thread parses and applies (one lock per
        // message, as `LinkSink` does); the frame then redraws what changed.
        time_ms += 1000;
        let messages = updates(frame, time_ms);
        let link_shared = shared.clone();
        let applied = std::thread::spawn(move || {
            let t = Instant::now();
            for m in messages {
                link_shared.lock().unwrap().handle(LinkEvent::Message(m));
            }
            t.elapsed().as_secs_f64() * 1e3
        })
        .join()
        .unwrap();
        linked_apply.push(applied);
        let t = Instant::now();
        app.update();
        linked.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(app.world().resource::<FeedMarkers>().updated_last_frame, devices, "every device redrawn");

        // The browser path: messages queued for the frame, applied in it.
        time_ms += 1000;
        for m in updates(frame + 1, time_ms) {
            tx.send(LinkEvent::Message(m)).unwrap();
        }
        let t = Instant::now();
        app.update();
        inboxed.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(app.world().resource::<FeedMarkers>().updated_last_frame, devices, "every device redrawn");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (idle, linked, linked_apply, inboxed) = (median(&mut idle), median(&mut linked), median(&mut linked_apply), median(&mut inboxed));
    println!("{devices} devices, {frames} frames of each kind, medians:");
    println!("  frame with no updates:                              {idle:8.3} ms");
    println!("  frame after {devices} updates applied by the link:   {linked:8.3} ms  (growth {:.3} ms)", linked - idle);
    println!("    the link thread's time to apply them (off-frame): {linked_apply:8.3} ms");
    println!("  frame applying {devices} queued updates itself:      {inboxed:8.3} ms  (growth {:.3} ms)", inboxed - idle);
}
