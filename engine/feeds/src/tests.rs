#![allow(clippy::unwrap_used)]

use super::*;

const DEVICES: &str = r#"[
  {"id": "thach-han", "names": {"vi": "Trạm Thạch Hãn", "en": "Thạch Hãn gauge"},
   "kind": "water_gauge", "river": "Thạch Hãn", "alarm_levels_m": [3.0, 4.5, 6.0],
   "position": [107.19, 16.75, 0.0], "owner": "KTTV", "visible_to": ["tourist", "operator", "planner"],
   "expected_period_s": 900, "datastreams": ["17"]},
  {"id": "cam-citadel-gate", "names": {"vi": "Camera cổng", "en": "Gate camera"},
   "kind": "camera", "heading_deg": 180.0, "pitch_deg": -10.0, "fov_deg": 60.0,
   "snapshot_url": "/snapshots/gate.jpg",
   "position": [107.194, 16.745, 6.0], "owner": "IOC", "visible_to": ["tourist", "operator"],
   "expected_period_s": 60, "datastreams": ["cam-1"]},
  {"id": "cam-pump-station", "names": {"vi": "Camera trạm bơm", "en": "Pump station camera"},
   "kind": "camera", "heading_deg": 90.0, "pitch_deg": -20.0, "fov_deg": 70.0,
   "position": [107.1, 16.8, 4.0], "owner": "IOC", "visible_to": ["operator"], "expected_period_s": 60},
  {"id": "light-1", "names": {"vi": "Đèn 1", "en": "Light 1"}, "kind": "street_light",
   "position": [107.194, 16.746, 8.0], "owner": "Đô thị", "visible_to": ["operator", "planner"], "expected_period_s": 300}
]"#;

/// The receiver's clock in these tests: 2021-01-01T00:00:00Z.
const NOW: i64 = 1_609_459_200_000;

fn state() -> FeedState {
    FeedState::new(Registry::from_json(DEVICES).unwrap(), 4)
}

#[test]
fn compact_messages_of_each_kind() {
    let r = Registry::from_json(DEVICES).unwrap();
    let o = parse_compact(&compact_topic("thach-han"), br#"{"device":"thach-han","time":"2020-10-18T01:30:00+07:00","level_m":7.40}"#, &r).unwrap();
    assert_eq!(o.reading, Reading::WaterLevel { level_m: 7.40 });
    assert_eq!(o.time_ms, parse_time("2020-10-17T18:30:00Z").unwrap());
    let l = parse_compact(&compact_topic("light-1"), br#"{"device":"light-1","time":"2020-10-18T01:30:00Z","on":true,"dim":0.6}"#, &r).unwrap();
    assert_eq!(l.reading, Reading::Light { on: true, dim: 0.6, fault: None });
    let c = parse_compact(&compact_topic("cam-citadel-gate"), br#"{"device":"cam-citadel-gate","time":"2020-10-18T01:30:00Z","online":false}"#, &r).unwrap();
    assert_eq!(c.reading, Reading::Camera { online: false, snapshot_url: None });
}

#[test]
fn bad_messages_are_rejected_by_kind() {
    let r = Registry::from_json(DEVICES).unwrap();
    // Each message on its own device's topic (thach-han's when it names none).
    let kind = |bytes: &[u8]| {
        let named = serde_json::from_slice::<serde_json::Value>(bytes).ok().and_then(|v| v["device"].as_str().map(str::to_owned));
        parse_compact(&compact_topic(named.as_deref().unwrap_or("thach-han")), bytes, &r).unwrap_err().kind()
    };
    assert_eq!(kind(b"{not json"), "malformed");
    assert_eq!(parse_compact(&compact_topic("nope"), br#"{"device":"nope","time":"2020-10-18T01:30:00Z","level_m":1}"#, &r).unwrap_err().kind(), "unknown_device");
    assert_eq!(kind(br#"{"device":"thach-han","time":"yesterday","level_m":1}"#), "bad_time");
    assert_eq!(kind(br#"{"device":"thach-han","time":"2020-10-18T01:30:00Z","on":true}"#), "wrong_reading");
    assert_eq!(kind(br#"{"device":"light-1","time":"2020-10-18T01:30:00Z","on":true,"dim":7}"#), "wrong_reading");
    assert_eq!(kind(br#"{"device":"thach-han","time":"2020-10-18T01:30:00Z","level_m":1,"extra":2}"#), "malformed");
    assert_eq!(kind(&vec![b' '; MAX_MESSAGE_BYTES + 1]), "oversized");
}

#[test]
fn sensorthings_observations() {
    let r = Registry::from_json(DEVICES).unwrap();
    assert_eq!(datastream_of_topic("v1.1/Datastreams(17)/Observations").as_deref(), Some("17"));
    assert_eq!(datastream_of_topic("v1.1/Datastreams('cam-1')/Observations").as_deref(), Some("cam-1"));
    assert_eq!(datastream_of_topic("v1.1/Things(1)"), None);
    let o = parse_sensorthings(
        "v1.1/Datastreams(17)/Observations",
        br#"{"phenomenonTime":"2020-10-17T00:00:00Z/2020-10-18T00:00:00Z","result":6.2,"resultTime":"2020-10-18T00:01:00Z"}"#,
        &r,
    )
    .unwrap();
    assert_eq!(o.device, "thach-han");
    assert_eq!(o.time_ms, parse_time("2020-10-18T00:00:00Z").unwrap());
    let c = parse_sensorthings(
        "v1.1/Datastreams('cam-1')/Observations",
        br#"{"phenomenonTime":"2020-10-18T00:00:00Z","result":{"online":true,"snapshot_url":"/snapshots/1.jpg"}}"#,
        &r,
    )
    .unwrap();
    assert_eq!(c.reading, Reading::Camera { online: true, snapshot_url: Some("/snapshots/1.jpg".into()) });
    let e = parse_sensorthings("v1.1/Datastreams(99)/Observations", br#"{"phenomenonTime":"2020-10-18T00:00:00Z","result":1}"#, &r);
    assert_eq!(e.unwrap_err().kind(), "unknown_datastream");
    let e = parse_sensorthings("v1.1/Datastreams(17)/Observations", br#"{"phenomenonTime":"2020-10-18T00:00:00Z","result":"high"}"#, &r);
    assert_eq!(e.unwrap_err().kind(), "wrong_reading");
}

#[test]
fn state_never_goes_back_in_time_and_history_is_bounded() {
    let mut s = state();
    let at = |ms: i64, level: f64| Observation {
        device: "thach-han".into(),
        time_ms: ms,
        reading: Reading::WaterLevel { level_m: level },
    };
    s.apply(at(1000, 2.0), NOW).unwrap();
    s.apply(at(2000, 4.6), NOW).unwrap();
    assert_eq!(s.apply(at(1500, 9.0), NOW).unwrap_err().kind(), "out_of_order");
    assert_eq!(s.apply(at(2000, 9.0), NOW).unwrap_err().kind(), "conflicting_duplicate");
    assert_eq!(s.apply(at(2000, 4.6), NOW).unwrap_err().kind(), "duplicate", "a redelivery");
    assert_eq!(s.latest("thach-han").unwrap().reading, Reading::WaterLevel { level_m: 4.6 });
    assert_eq!(s.alarm("thach-han"), Some(2), "4.6 m is above Báo động II (4.5 m)");
    for t in 3..10 {
        s.apply(at(t * 1000, 5.0), NOW).unwrap();
    }
    assert_eq!(s.history("thach-han", 0, i64::MAX).len(), 4, "bounded");
    assert_eq!(s.history("thach-han", 8000, 9000).len(), 2);
    assert!(!s.is_stale("thach-han", 9000 + 1_799_000));
    assert!(s.is_stale("thach-han", 9000 + 1_801_000));
    assert!(s.is_stale("light-1", 0), "never reported");
}

#[test]
fn tourists_never_see_camera_addresses_or_operator_devices() {
    let mut s = state();
    let cam = Observation {
        device: "cam-citadel-gate".into(),
        time_ms: 1,
        reading: Reading::Camera {
            online: true,
            snapshot_url: Some("/snapshots/gate-1.jpg".into()),
        },
    };
    s.apply(cam.clone(), NOW).unwrap();
    let tourist = serde_json::to_string(&s.snapshot_for(Role::Tourist)).unwrap();
    assert!(!tourist.contains("snapshot") && !tourist.contains("cam-pump-station") && !tourist.contains("light-1"), "{tourist}");
    assert!(tourist.contains("cam-citadel-gate") && tourist.contains("thach-han"));
    let operator = serde_json::to_string(&s.snapshot_for(Role::Operator)).unwrap();
    assert!(operator.contains("/snapshots/gate.jpg") && operator.contains("gate-1.jpg") && operator.contains("cam-pump-station"));
    assert!(!serde_json::to_string(&s.delta_for(&cam, Role::Tourist)).unwrap().contains("snapshot"));
    assert_eq!(s.delta_for(&cam, Role::Planner), None, "not visible to planners");
}

#[test]
fn rejects_are_counted_and_each_kind_logged_once() {
    let mut s = state();
    let r = Reject::Malformed("x".into());
    assert!(s.count_reject(&r));
    assert!(!s.count_reject(&r));
    assert_eq!(s.rejects()["malformed"], 2);
}

#[test]
fn registry_checks() {
    let bad_levels = DEVICES.replace("[3.0, 4.5, 6.0]", "[3.0, 2.0, 6.0]");
    assert!(Registry::from_json(&bad_levels).unwrap_err().contains("rise"));
    let twice = DEVICES.replace("\"light-1\"", "\"thach-han\"");
    assert!(Registry::from_json(&twice).unwrap_err().contains("twice"));
    assert!(Registry::from_json("[{]").is_err());
}

/// The shipped October 2020 scenario: every message is valid, in time order,
/// and the Thạch Hãn reaches its observed 7.40 m peak, above Báo động III.
#[test]
fn the_october_2020_scenario_replays_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/feeds/flood-2020-10");
    let registry = Registry::from_json(&std::fs::read_to_string(dir.join("devices.json")).unwrap()).unwrap();
    let mut state = FeedState::new(registry.clone(), 100_000);
    let text = std::fs::read_to_string(dir.join("observations.jsonl")).unwrap();
    let mut peak = (0.0f64, 0i64);
    let mut count = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let device: serde_json::Value = serde_json::from_str(line).unwrap();
        let o = parse_compact(&compact_topic(device["device"].as_str().unwrap()), line.as_bytes(), &registry).unwrap();
        if o.device == "gauge-thach-han"
            && let Reading::WaterLevel { level_m } = o.reading
            && level_m > peak.0
        {
            peak = (level_m, o.time_ms);
        }
        state.apply(o, NOW).unwrap();
        count += 1;
    }
    assert!(count > 5000);
    assert_eq!(peak, (7.40, parse_time("2020-10-18T01:30:00+07:00").unwrap()));
    assert!(text.contains("RECONSTRUCTED"));
    let tourist = serde_json::to_string(&state.snapshot_for(Role::Tourist)).unwrap();
    assert!(!tourist.contains("snapshot_url") && !tourist.contains("light-"), "tourists see gauges and public cameras only");
}

fn gauge_obs(time_ms: i64, level_m: f64) -> Observation {
    Observation {
        device: "thach-han".to_owned(),
        time_ms,
        reading: Reading::WaterLevel { level_m },
    }
}

fn operator_client() -> FeedClient {
    let mut s = state();
    s.apply(gauge_obs(1_000, 2.0), NOW).unwrap();
    let message = ServerMessage::Snapshot {
        role: Role::Operator,
        snapshot: s.snapshot_for(Role::Operator),
        broker_connected: true,
        lagged: 0,
    };
    let mut client = FeedClient::new(8);
    client.handle(LinkEvent::Connected);
    client.handle(LinkEvent::Text(serde_json::to_string(&message).unwrap()));
    client
}

#[test]
fn client_takes_the_snapshot_then_deltas_in_time_order() {
    let mut client = operator_client();
    assert_eq!(client.connection(), &Connection::Connected { broker_connected: true });
    assert_eq!(client.devices().len(), 4, "operators see the gauge, both cameras and the light");
    let gauge = client.device_index("thach-han").unwrap();
    assert_eq!(client.take_changed().len(), 4);
    let delta = serde_json::to_string(&ServerMessage::Observation { observation: gauge_obs(2_000, 4.6) }).unwrap();
    client.handle(LinkEvent::Text(delta));
    assert_eq!(client.take_changed(), vec![gauge]);
    assert_eq!(client.alarm_at(gauge, 2_000), Some(2));
    assert_eq!(client.alarm_at(gauge, 1_500), Some(0), "the timeline shows the past as it was");
    // History arriving late fills the past without changing the present or raising alarms.
    client.apply(ServerMessage::History { observations: vec![gauge_obs(500, 6.5), gauge_obs(1_000, 2.0)], next: None });
    assert_eq!(client.latest(gauge).unwrap().time_ms, 2_000);
    assert!(client.take_changed().is_empty());
    assert_eq!(client.history(gauge).count(), 3);
    assert_eq!(client.time_range(), Some((500, 2_000)));
    // The history's own crossings are listed too: III at 500, then II at 2000 after falling back.
    let listed: Vec<i64> = client.alarms().map(|a| a.time_ms).collect();
    assert_eq!(listed, vec![2_000, 500]);
}

#[test]
fn client_alarm_list_is_newest_first_and_acknowledged() {
    let mut client = operator_client();
    for (t, level) in [(2_000, 3.5), (3_000, 4.0), (4_000, 6.2), (5_000, 5.0), (6_000, 6.1)] {
        client.apply(ServerMessage::Observation { observation: gauge_obs(t, level) });
    }
    let levels: Vec<(i64, u8)> = client
        .alarms()
        .map(|a| match a.kind {
            AlarmKind::Flood { level, .. } => (a.time_ms, level),
            _ => panic!("only flood alarms here"),
        })
        .collect();
    // Rises only: I at 3.5 m, III at 6.2 m, III again after falling back to II.
    assert_eq!(levels, vec![(6_000, 3), (4_000, 3), (2_000, 1)]);
    assert_eq!(client.unacknowledged(), 3);
    let newest = client.alarms().next().unwrap().id;
    assert!(client.acknowledge(newest));
    assert!(!client.acknowledge(9_999));
    assert_eq!(client.unacknowledged(), 2);
    client.apply(ServerMessage::Observation {
        observation: Observation {
            device: "light-1".to_owned(),
            time_ms: 7_000,
            reading: Reading::Light { on: false, dim: 0.0, fault: Some("lamp".to_owned()) },
        },
    });
    assert!(matches!(client.alarms().next().unwrap().kind, AlarmKind::LightFault { .. }));
}

#[test]
fn client_keeps_its_state_when_disconnected_and_counts_garbage() {
    let mut client = operator_client();
    let gauge = client.device_index("thach-han").unwrap();
    client.handle(LinkEvent::Disconnected("connection reset".to_owned()));
    client.handle(LinkEvent::Connecting);
    assert!(matches!(client.connection(), Connection::Disconnected { .. }), "retrying still shows disconnected");
    assert_eq!(client.latest(gauge).unwrap().time_ms, 1_000);
    client.handle(LinkEvent::Text("{not json".to_owned()));
    client.handle(LinkEvent::Text(r#"{"type":"observation","observation":{"device":"x"}}"#.to_owned()));
    assert_eq!(client.bad_messages().0, 2);
    // Unknown devices are ignored, not invented.
    client.apply(ServerMessage::Observation { observation: Observation { device: "nobody".to_owned(), ..gauge_obs(9, 1.0) } });
    assert_eq!(client.devices().len(), 4);
}

#[test]
fn client_staleness_follows_the_timeline() {
    let client = operator_client();
    let gauge = client.device_index("thach-han").unwrap();
    assert!(!client.is_stale(gauge, 1_000 + 1_800_000));
    assert!(client.is_stale(gauge, 1_000 + 1_800_001), "900 s period: stale after 1800 s");
    assert!(client.is_stale(gauge, 999), "nothing reported yet at that time");
}

#[test]
fn client_history_is_bounded() {
    let mut client = operator_client();
    let gauge = client.device_index("thach-han").unwrap();
    for t in 2..40 {
        client.apply(ServerMessage::Observation { observation: gauge_obs(t * 1_000, 1.0) });
    }
    assert_eq!(client.history(gauge).count(), 8);
    assert_eq!(client.latest(gauge).unwrap().time_ms, 39_000);
}

#[test]
fn reach_surface_interpolates_between_gauges() {
    let levels = reach_surface(&[(1000.0, 7.4), (0.0, 8.0)], &[-50.0, 0.0, 500.0, 1000.0, 2000.0]).unwrap();
    approx::assert_relative_eq!(levels.as_slice(), [8.0, 8.0, 7.7, 7.4, 7.4].as_slice(), epsilon = 1e-12);
    assert_eq!(reach_surface(&[(5.0, 2.0)], &[0.0, 9.0]).unwrap(), vec![2.0, 2.0]);
    assert!(reach_surface(&[], &[0.0]).is_none());
}

#[test]
fn requests_are_parsed_with_limits() {
    assert_eq!(
        parse_request(r#"{"type":"history","from_ms":0,"to_ms":5}"#).unwrap(),
        ClientRequest::History { from_ms: 0, to_ms: 5, after: None }
    );
    assert!(parse_request("{}").unwrap_err().contains("bad request"));
    assert!(parse_request(&"x".repeat(5000)).unwrap_err().contains("larger"));
}

#[test]
fn feed_times_read_in_local_time() {
    assert_eq!(format_local_time(parse_time("2020-10-17T18:30:00Z").unwrap()), "18/10/2020 01:30");
}

#[test]
fn a_viewer_connecting_mid_flood_lists_the_alarms_of_the_history_and_keeps_acknowledgements() {
    let mut client = operator_client();
    client.apply(ServerMessage::Observation { observation: gauge_obs(5_000, 4.7) });
    let live = client.alarms().next().unwrap().id;
    client.acknowledge(live);
    client.apply(ServerMessage::History {
        observations: vec![gauge_obs(100, 1.0), gauge_obs(200, 3.1), gauge_obs(300, 6.5), gauge_obs(400, 2.0), gauge_obs(1_000, 2.0)],
        next: None,
    });
    let listed: Vec<(i64, bool)> = client.alarms().map(|a| (a.time_ms, a.acknowledged)).collect();
    assert_eq!(listed, vec![(5_000, true), (300, false), (200, false)]);
}

fn gauge_at(ms: i64, level_m: f64) -> Observation {
    Observation {
        device: "thach-han".into(),
        time_ms: ms,
        reading: Reading::WaterLevel { level_m },
    }
}

/// A year-9999 reading used to freeze a device: every real reading after it
/// was out of order, and the device never went stale.
#[test]
fn a_future_dated_reading_is_rejected_and_does_not_freeze_the_device() {
    let mut s = state();
    let year_9999 = parse_time("9999-12-31T23:59:59Z").unwrap();
    assert_eq!(s.apply(gauge_at(year_9999, 9.9), NOW).unwrap_err().kind(), "future");
    // Within the allowed skew (5 minutes by default) a reading is accepted; beyond it, not.
    assert!(s.apply(gauge_at(NOW + 4 * 60_000, 1.0), NOW).is_ok());
    assert_eq!(s.apply(gauge_at(NOW + 6 * 60_000, 1.0), NOW).unwrap_err().kind(), "future");
    assert!(s.apply(gauge_at(NOW + 5 * 60_000, 1.5), NOW + 60_000).is_ok(), "the real readings go on");
    let mut strict = state().with_max_future_skew_ms(0);
    assert_eq!(strict.apply(gauge_at(NOW + 1, 1.0), NOW).unwrap_err().kind(), "future");
}

#[test]
fn times_with_junk_around_them_are_rejected() {
    assert_eq!(parse_time("junk/2020-10-18T00:00:00Z").unwrap_err().kind(), "bad_time");
    assert_eq!(parse_time("2020-10-18T00:00:00Z/junk").unwrap_err().kind(), "bad_time");
    assert_eq!(parse_time("2020-10-19T00:00:00Z/2020-10-18T00:00:00Z").unwrap_err().kind(), "bad_time", "an interval ending before it starts");
    assert_eq!(parse_time("a/b/2020-10-18T00:00:00Z").unwrap_err().kind(), "bad_time");
    assert_eq!(parse_time(&"9".repeat(10_000)).unwrap_err().kind(), "bad_time");
    // 2020-10-18T00:00:00Z is 1,602,979,200 s after the epoch.
    assert_eq!(parse_time("2020-10-17T00:00:00Z/2020-10-18T00:00:00Z").unwrap(), 1_602_979_200_000);
    assert_eq!(parse_time("2020-10-18T07:00:00+07:00").unwrap(), 1_602_979_200_000);
}

#[test]
fn snapshot_addresses_must_be_the_gateways_own_paths() {
    let r = Registry::from_json(DEVICES).unwrap();
    let camera = |url: &str| {
        let message = format!(r#"{{"device":"cam-citadel-gate","time":"2020-10-18T01:30:00Z","online":true,"snapshot_url":"{url}"}}"#);
        parse_compact(&compact_topic("cam-citadel-gate"), message.as_bytes(), &r).map(|o| o.reading)
    };
    for forged in ["@evil:80/x.jpg", "http://evil.example/x.jpg", "//evil.example/x.jpg", "/snapshots/../etc/x.jpg", "/snapshots/.hidden.jpg", "/snapshots/a.jpg?x=1", "/snapshots/a/b.jpg", "/snapshots/notes.txt", "/snapshots/", "/other/a.jpg"] {
        assert_eq!(camera(forged).unwrap_err().kind(), "bad_snapshot_url", "{forged}");
    }
    assert_eq!(camera(&format!("/snapshots/{}.jpg", "a".repeat(200))).unwrap_err().kind(), "bad_snapshot_url");
    assert_eq!(camera("/snapshots/gate-1.JPG").unwrap(), Reading::Camera { online: true, snapshot_url: Some("/snapshots/gate-1.JPG".into()) });
    assert_eq!(snapshot_file("/snapshots/human.jpg"), Ok("human.jpg"));
    let st = parse_sensorthings("v1.1/Datastreams('cam-1')/Observations", br#"{"phenomenonTime":"2020-10-18T00:00:00Z","result":{"online":true,"snapshot_url":"@evil:80/x"}}"#, &r);
    assert_eq!(st.unwrap_err().kind(), "bad_snapshot_url");
    let bad_device = DEVICES.replace("/snapshots/gate.jpg", "http://evil.example/gate.jpg");
    assert!(Registry::from_json(&bad_device).unwrap_err().contains("snapshot address"));
}

#[test]
fn a_device_cannot_publish_on_another_devices_topic() {
    let r = Registry::from_json(DEVICES).unwrap();
    let as_light = br#"{"device":"light-1","time":"2020-10-18T01:30:00Z","on":false}"#;
    assert_eq!(parse_compact(&compact_topic("thach-han"), as_light, &r).unwrap_err().kind(), "topic_mismatch");
    assert_eq!(parse_compact("sontinh/v1/observations", as_light, &r).unwrap_err().kind(), "malformed", "the old shared topic");
    assert_eq!(device_of_compact_topic("sontinh/v1/devices/light-1/observations"), Some("light-1"));
    assert_eq!(device_of_compact_topic("sontinh/v1/devices/a/b/observations"), None);
    assert_eq!(compact_topic("light-1"), "sontinh/v1/devices/light-1/observations");
}

#[test]
fn every_string_field_is_bounded() {
    let r = Registry::from_json(DEVICES).unwrap();
    let long_fault = format!(r#"{{"device":"light-1","time":"2020-10-18T01:30:00Z","on":true,"fault":"{}"}}"#, "x".repeat(MAX_TEXT_CHARS + 1));
    assert_eq!(parse_compact(&compact_topic("light-1"), long_fault.as_bytes(), &r).unwrap_err().kind(), "field_too_long");
    let fine_fault = format!(r#"{{"device":"light-1","time":"2020-10-18T01:30:00Z","on":true,"fault":"{}"}}"#, "đ".repeat(MAX_TEXT_CHARS));
    assert!(parse_compact(&compact_topic("light-1"), fine_fault.as_bytes(), &r).is_ok(), "the limit counts characters, not bytes");
    let long_name = DEVICES.replace("Light 1", &"L".repeat(MAX_TEXT_CHARS + 1));
    assert!(Registry::from_json(&long_name).unwrap_err().contains("names.en"));
}

/// Pages of at most `limit` observations, followed by their cursors, give
/// every observation in the span exactly once, ordered by time then device.
#[test]
fn history_pages_cover_the_span_once_in_order() {
    let mut s = FeedState::new(Registry::from_json(DEVICES).unwrap(), 1000);
    let mut expected = Vec::new();
    for t in 0..50i64 {
        let gauge = gauge_at(1_000 + t * 10, t as f64);
        let light = Observation {
            device: "light-1".into(),
            // Every other light reading shares its time with a gauge reading.
            time_ms: 1_000 + t * 10 + (t % 2) * 5,
            reading: Reading::Light { on: true, dim: 1.0, fault: None },
        };
        for o in [gauge, light] {
            s.apply(o.clone(), NOW).unwrap();
            if (1_100..=1_400).contains(&o.time_ms) {
                expected.push((o.time_ms, o.device.clone()));
            }
        }
    }
    expected.sort();
    let devices = ["thach-han", "light-1", "cam-pump-station"];
    let mut got = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let (page, next) = s.history_page(&devices, 1_100, 1_400, after.as_ref(), 7);
        assert!(page.len() <= 7);
        got.extend(page.iter().map(|o| (o.time_ms, o.device.clone())));
        pages += 1;
        match next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(got, expected);
    assert_eq!(pages, expected.len().div_ceil(7));
}

/// A planner could fetch an operator-only camera's snapshot: files are
/// authorised by the cameras that name them.
#[test]
fn snapshots_are_visible_only_to_the_roles_of_their_cameras() {
    let mut s = FeedState::new(Registry::from_json(DEVICES).unwrap(), 2);
    let camera = |device: &str, ms: i64, file: &str| Observation {
        device: device.into(),
        time_ms: ms,
        reading: Reading::Camera {
            online: true,
            snapshot_url: Some(format!("/snapshots/{file}")),
        },
    };
    s.apply(camera("cam-pump-station", 1, "pump.jpg"), NOW).unwrap();
    assert!(s.snapshot_visible_to("pump.jpg", Role::Operator));
    assert!(!s.snapshot_visible_to("pump.jpg", Role::Planner), "the pump camera is the operators' only");
    assert!(!s.snapshot_visible_to("pump.jpg", Role::Tourist));
    assert!(s.snapshot_visible_to("gate.jpg", Role::Operator), "named in the device list");
    assert!(!s.snapshot_visible_to("gate.jpg", Role::Tourist));
    assert!(!s.snapshot_visible_to("unknown.jpg", Role::Operator), "no camera names it");
    // Once the readings naming a file leave the bounded history, it is no longer served.
    s.apply(camera("cam-pump-station", 2, "pump-2.jpg"), NOW).unwrap();
    s.apply(camera("cam-pump-station", 3, "pump-3.jpg"), NOW).unwrap();
    assert!(!s.snapshot_visible_to("pump.jpg", Role::Operator));
    assert!(s.snapshot_visible_to("pump-3.jpg", Role::Operator));
}

#[test]
fn stream_addresses_stay_in_the_gateway_and_viewers_learn_only_that_a_stream_exists() {
    let upstream = "http://10.1.2.3:8080/video.mjpg?res=hd";
    let devices = DEVICES.replace(r#""snapshot_url": "/snapshots/gate.jpg","#, &format!(r#""snapshot_url": "/snapshots/gate.jpg", "stream_url": "{upstream}","#));
    let state = FeedState::new(Registry::from_json(&devices).unwrap(), 4);
    let gate = state.registry().get("cam-citadel-gate").unwrap();
    assert_eq!(gate.stream_url_for(Role::Operator), Some(upstream));
    assert_eq!(gate.stream_url_for(Role::Tourist), None, "tourists see no camera video");
    assert_eq!(gate.stream_url_for(Role::Planner), None, "the camera is not the planner's");
    assert_eq!(state.registry().get("cam-pump-station").unwrap().stream_url_for(Role::Operator), None, "no stream");
    for role in [Role::Tourist, Role::Operator, Role::Planner] {
        let text = serde_json::to_string(&state.snapshot_for(role)).unwrap();
        assert!(!text.contains("10.1.2.3") && !text.contains("stream_url"), "{role:?}: {text}");
        let snapshot: Snapshot = serde_json::from_str(&text).unwrap();
        let path = snapshot.devices.iter().find(|d| d.id == "cam-citadel-gate").and_then(|d| d.stream_path());
        let expected = (role == Role::Operator).then(|| camera_stream_path("cam-citadel-gate"));
        assert_eq!(path, expected, "{role:?}");
    }
    assert_eq!(camera_stream_path("cam-1"), "/cameras/cam-1/stream");
    // Not even the gateway's own serialisation (the database, SensorThings) carries it.
    assert!(!serde_json::to_string(state.registry().devices()).unwrap().contains("10.1.2.3"));

    let address = parse_stream_url(upstream).unwrap();
    assert_eq!((address.host.as_str(), address.port, address.path.as_str()), ("10.1.2.3", 8080, "/video.mjpg?res=hd"));
    assert_eq!(address.host_header(), "10.1.2.3:8080");
    let v6 = parse_stream_url("http://[::1]/cam").unwrap();
    assert_eq!((v6.host.as_str(), v6.port, v6.host_header()), ("::1", 80, "[::1]".to_owned()));
    assert_eq!(parse_stream_url("http://cam.local?x=1").unwrap().path, "/?x=1");
    for (bad, why) in [
        ("https://cam.local/video", "plain http"),
        ("rtsp://cam.local/video", "plain http"),
        ("/cameras/x/stream", "plain http"),
        ("http://admin:secret@cam.local/video", "user name or password"),
        ("http://cam.local:99999/video", "port"),
        ("http://cam.local:0/", "port"),
        ("http:///video", "host"),
        ("http://cam local/video", "printable ASCII"),
        ("http://cam.local/video#x", "fragment"),
        ("http://[::1/video", "host"),
    ] {
        let devices = DEVICES.replace(r#""snapshot_url": "/snapshots/gate.jpg","#, &format!(r#""stream_url": "{bad}","#));
        let err = Registry::from_json(&devices).unwrap_err();
        assert!(err.contains("cam-citadel-gate") && err.contains(why), "{bad}: {err}");
    }
    let long = format!("http://cam.local/{}", "a".repeat(300));
    assert!(parse_stream_url(&long).unwrap_err().contains("longer than"));
    let set_by_hand = DEVICES.replace(r#""snapshot_url": "/snapshots/gate.jpg","#, r#""stream": true,"#);
    assert!(Registry::from_json(&set_by_hand).unwrap_err().contains("stream_url"));
}

#[test]
fn a_flood_alarm_is_acknowledged_at_the_gateway_and_a_lamp_fault_here() {
    let mut client = operator_client();
    client.apply(ServerMessage::Observation { observation: gauge_obs(2_000, 3.5) });
    client.apply(ServerMessage::Observation {
        observation: Observation {
            device: "light-1".to_owned(),
            time_ms: 3_000,
            reading: Reading::Light { on: false, dim: 0.0, fault: Some("lamp".to_owned()) },
        },
    });
    let ids: Vec<(u64, bool)> = client.alarms().map(|a| (a.id, matches!(a.kind, AlarmKind::Flood { .. }))).collect();
    let (flood, lamp) = (ids.iter().find(|a| a.1).unwrap().0, ids.iter().find(|a| !a.1).unwrap().0);
    // The lamp's fault is this viewer's alone: acknowledged at once, nothing to send.
    assert!(client.request_acknowledgement(lamp));
    assert!(client.take_acknowledgement_requests().is_empty());
    // The flood alarm waits for the gateway, and is sent once however often asked.
    assert!(client.request_acknowledgement(flood));
    assert!(client.request_acknowledgement(flood));
    let sent = client.take_acknowledgement_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].device.as_str(), sent[0].alarm_time_ms), ("thach-han", 2_000));
    assert_eq!(client.unacknowledged(), 1, "pending is not acknowledged");
    client.acknowledgement_answered(flood, Err("the history database: down".into()));
    let alarm = client.alarms().find(|a| a.id == flood).unwrap();
    assert_eq!((alarm.acknowledged, alarm.pending, alarm.refused.as_deref()), (false, false, Some("the history database: down")));
    // Asked again, then recorded with the name the gateway gives.
    assert!(client.request_acknowledgement(flood));
    assert_eq!(client.take_acknowledgement_requests().len(), 1);
    client.acknowledgement_answered(flood, Ok("Lê Minh Trực".into()));
    let alarm = client.alarms().find(|a| a.id == flood).unwrap();
    assert_eq!((alarm.acknowledged, alarm.acknowledged_by.as_deref()), (true, Some("Lê Minh Trực")));
    assert_eq!(client.unacknowledged(), 0);
    assert!(!client.request_acknowledgement(9_999));
}
