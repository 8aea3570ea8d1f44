#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::mpsc;

use bevy::prelude::*;
use sontinh_feeds::{FeedState, Registry, Role, ServerMessage, parse_compact};

use super::*;

const SCENARIO: &str = "../../assets/feeds/flood-2020-10";

/// The October 2020 scenario applied up to `until` (RFC 3339), as the gateway would hold it.
fn scenario_state(until: &str) -> FeedState {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let registry = Registry::from_json(&std::fs::read_to_string(dir.join("devices.json")).unwrap()).unwrap();
    let until = sontinh_feeds::parse_time(until).unwrap();
    let mut state = FeedState::new(registry, 10_000);
    let text = std::fs::read_to_string(dir.join("observations.jsonl")).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let device: serde_json::Value = serde_json::from_str(line).unwrap();
        let topic = sontinh_feeds::compact_topic(device["device"].as_str().unwrap());
        let o = parse_compact(&topic, line.as_bytes(), state.registry()).unwrap();
        if o.time_ms <= until {
            // Received as the scenario unfolds: each reading "now".
            state.apply(o.clone(), o.time_ms).unwrap();
        }
    }
    state
}

fn messages_for(state: &FeedState, role: Role) -> Vec<LinkEvent> {
    let snapshot = ServerMessage::Snapshot {
        role,
        snapshot: state.snapshot_for(role),
        broker_connected: true,
        lagged: 0,
    };
    let visible: Vec<_> = state.registry().devices().iter().filter(|d| d.visible_to(role)).collect();
    let history = ServerMessage::History {
        observations: visible.iter().flat_map(|d| state.history(&d.id, i64::MIN, i64::MAX)).map(|o| o.view_for(role)).collect(),
        next: None,
    };
    vec![
        LinkEvent::Connected,
        LinkEvent::Text(serde_json::to_string(&snapshot).unwrap()),
        LinkEvent::Text(serde_json::to_string(&history).unwrap()),
    ]
}

fn citadel_app() -> (App, mpsc::Sender<LinkEvent>) {
    let scene = sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap();
    app_without_renderer(scene)
}

fn base_color(app: &App, entity: Entity) -> [f32; 3] {
    let handle = &app.world().get::<MeshMaterial3d<StandardMaterial>>(entity).unwrap().0;
    let c = app.world().resource::<Assets<StandardMaterial>>().get(handle).unwrap().base_color.to_linear();
    [c.red, c.green, c.blue]
}

fn marker(app: &App, id: &str) -> DeviceMarker {
    let i = app.world().resource::<FeedView>().lock().device_index(id).unwrap();
    app.world().resource::<FeedMarkers>().devices[i]
}

#[test]
fn the_2020_peak_shows_each_gauge_in_its_alarm_colour_and_the_river_raised() {
    let (mut app, tx) = citadel_app();
    let state = scenario_state("2020-10-18T01:30:00+07:00");
    for m in messages_for(&state, Role::Operator) {
        tx.send(m).unwrap();
    }
    app.update();
    app.update();
    // Thạch Hãn 7.40 m ≥ III (6.0); Đông Hà 5.33 m ≥ III (4.0); Hiền Lương 2.87 m ≥ III (2.5).
    for id in ["gauge-thach-han", "gauge-dong-ha", "gauge-hien-luong"] {
        let m = marker(&app, id);
        assert_eq!(base_color(&app, m.body), geometry::ALARM_COLORS[3], "{id}");
        assert_eq!(base_color(&app, m.extra.unwrap()), geometry::ALARM_COLORS[3], "{id}");
    }
    let bar = app.world().get::<Transform>(marker(&app, "gauge-thach-han").body).unwrap();
    approx::assert_relative_eq!(bar.scale.y, GAUGE_SYMBOL_M * (7.40 / 7.5) as f32, epsilon = 0.01);

    // The Thạch Hãn reach of the Citadel scene is drawn at the gauge's 7.40 m.
    let markers = app.world().resource::<FeedMarkers>();
    let reach = &markers.reaches[0];
    let thach_han = app.world().resource::<FeedView>().lock().device_index("gauge-thach-han").unwrap();
    assert_eq!(reach.stations.iter().map(|s| s.0).collect::<Vec<_>>(), vec![thach_han], "the Thạch Hãn gauge only");
    let handle = &app.world().get::<Mesh3d>(reach.entity).unwrap().0;
    let mesh = app.world().resource::<Assets<Mesh>>().get(handle).unwrap();
    let heights: Vec<f32> = mesh.attribute(Mesh::ATTRIBUTE_POSITION).unwrap().as_float3().unwrap().iter().map(|p| p[1]).collect();
    assert!(!heights.is_empty());
    assert!(heights.iter().all(|h| (h - 7.40).abs() < 1e-4), "one gauge on the reach: level everywhere");

    // The Citadel's street lights are flooded at the peak: dark, in the fault colour.
    let light = marker(&app, "light-citadel-01");
    assert_eq!(app.world().get::<PointLight>(light.extra.unwrap()).unwrap().intensity, 0.0);
    assert_eq!(base_color(&app, light.body), [0.9, 0.1, 0.8]);
    // The night of 14–15 October they shone at 80 %.
    let night = sontinh_feeds::parse_time("2020-10-15T01:00:00+07:00").unwrap();
    *app.world_mut().resource_mut::<FeedTimeline>() = FeedTimeline { live: false, time_ms: night };
    app.update();
    assert!(app.world().get::<PointLight>(light.extra.unwrap()).unwrap().intensity > 0.0);
}

#[test]
fn the_timeline_scrubs_back_to_before_the_flood_and_forward_to_staleness() {
    let (mut app, tx) = citadel_app();
    let state = scenario_state("2020-10-18T01:30:00+07:00");
    for m in messages_for(&state, Role::Operator) {
        tx.send(m).unwrap();
    }
    app.update();
    let before = sontinh_feeds::parse_time("2020-10-14T12:00:00+07:00").unwrap();
    *app.world_mut().resource_mut::<FeedTimeline>() = FeedTimeline { live: false, time_ms: before };
    app.update();
    let gauge = marker(&app, "gauge-thach-han");
    let alarm_then = {
        let client = app.world().resource::<FeedView>().lock();
        client.alarm_at(client.device_index("gauge-thach-han").unwrap(), before)
    };
    assert_eq!(alarm_then, Some(0));
    assert_eq!(base_color(&app, gauge.body), geometry::ALARM_COLORS[0]);
    // Three hours after the last reading of an hourly gauge: stale, grey.
    let later = sontinh_feeds::parse_time("2020-10-18T04:31:00+07:00").unwrap();
    app.world_mut().resource_mut::<FeedTimeline>().time_ms = later;
    app.update();
    assert_eq!(base_color(&app, gauge.body), geometry::STALE_COLOR);
}

#[test]
fn a_tourist_sees_no_operator_devices_and_only_changed_devices_are_redrawn() {
    let (mut app, tx) = citadel_app();
    let state = scenario_state("2020-10-17T00:00:00+07:00");
    for m in messages_for(&state, Role::Tourist) {
        tx.send(m).unwrap();
    }
    app.update();
    let count = {
        let client = app.world().resource::<FeedView>().lock();
        assert!(client.device_index("cam-thach-han-bridge").is_none());
        assert!(client.device_index("light-citadel-01").is_none());
        client.devices().len()
    };
    assert_eq!(app.world().resource::<FeedMarkers>().updated_last_frame, count);
    app.update();
    assert_eq!(app.world().resource::<FeedMarkers>().updated_last_frame, 0, "nothing changed, nothing redrawn");
    let o = ServerMessage::Observation {
        observation: sontinh_feeds::Observation {
            device: "gauge-dong-ha".to_owned(),
            time_ms: sontinh_feeds::parse_time("2020-10-17T00:00:10+07:00").unwrap(),
            reading: sontinh_feeds::Reading::WaterLevel { level_m: 3.5 },
        },
    };
    tx.send(LinkEvent::Text(serde_json::to_string(&o).unwrap())).unwrap();
    app.update();
    assert_eq!(app.world().resource::<FeedMarkers>().updated_last_frame, 1);
    // A reading that changes nothing drawn (same alarm level, same centimetre) is skipped.
    let same = device_look(&sample_gauge(), Some(&gauge_reading(3.501, 0)), 0);
    assert_eq!(same, device_look(&sample_gauge(), Some(&gauge_reading(3.5012, 0)), 0));
    assert_ne!(same, device_look(&sample_gauge(), Some(&gauge_reading(4.6, 0)), 0));
    assert_eq!(device_look(&sample_gauge(), Some(&gauge_reading(4.6, 0)), 7_200_001).paint, Paint::Stale);
    assert_eq!(base_color(&app, marker(&app, "gauge-dong-ha").body), geometry::ALARM_COLORS[2]);
}

#[test]
fn snapshots_decode_and_garbage_is_an_error() {
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(2048, 16).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let decoded = decode_snapshot(&png).unwrap();
    assert_eq!(decoded.width(), 1024, "large snapshots are shrunk");
    assert!(decode_snapshot(b"not an image").unwrap_err().contains("not a readable image"));
}

fn sample_gauge() -> sontinh_feeds::Device {
    serde_json::from_str(
        r#"{"id": "g", "names": {"vi": "g", "en": "g"}, "kind": "water_gauge", "river": "r", "alarm_levels_m": [2.0, 3.0, 4.0],
            "position": [107.0, 16.0, 0.0], "owner": "o", "visible_to": ["operator"], "expected_period_s": 3600}"#,
    )
    .unwrap()
}

fn gauge_reading(level_m: f64, time_ms: i64) -> sontinh_feeds::Observation {
    sontinh_feeds::Observation {
        device: "g".to_owned(),
        time_ms,
        reading: sontinh_feeds::Reading::WaterLevel { level_m },
    }
}

#[test]
fn markers_grow_with_distance_in_steps() {
    assert_eq!(marker_scale(10.0), 1.0);
    assert_eq!(marker_scale(400.0), 1.0);
    let far = marker_scale(4000.0);
    assert!((far - 10.0).abs() / 10.0 < 0.06, "{far}");
    assert_eq!(marker_scale(4000.0), marker_scale(4050.0), "small moves keep the step");
}

#[test]
fn history_arriving_after_the_snapshot_redraws_a_past_moment() {
    let (mut app, tx) = citadel_app();
    let state = scenario_state("2020-10-19T00:00:00+07:00");
    let peak = sontinh_feeds::parse_time("2020-10-18T01:30:00+07:00").unwrap();
    *app.world_mut().resource_mut::<FeedTimeline>() = FeedTimeline { live: false, time_ms: peak };
    let mut messages = messages_for(&state, Role::Operator).into_iter();
    tx.send(messages.next().unwrap()).unwrap();
    tx.send(messages.next().unwrap()).unwrap();
    app.update();
    let gauge = marker(&app, "gauge-thach-han");
    assert_eq!(base_color(&app, gauge.body), geometry::STALE_COLOR, "only the snapshot so far: nothing known at the peak");
    tx.send(messages.next().unwrap()).unwrap();
    app.update();
    assert_eq!(base_color(&app, gauge.body), geometry::ALARM_COLORS[3]);
}

/// Devices of the scenario's list that `role` may see, read from the JSON itself.
fn visible_in_json(role: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let devices: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("devices.json")).unwrap()).unwrap();
    devices.as_array().unwrap().iter().filter(|d| d["visible_to"].as_array().unwrap().iter().any(|r| r == role)).count()
}

#[test]
fn signing_out_drops_the_operators_markers_and_a_tourist_sign_in_draws_only_the_tourists() {
    let (mut app, tx) = citadel_app();
    let state = scenario_state("2020-10-18T01:30:00+07:00");
    for m in messages_for(&state, Role::Operator) {
        tx.send(m).unwrap();
    }
    app.update();
    let operator_markers: Vec<Entity> = app.world().resource::<FeedMarkers>().devices.iter().map(|m| m.root).collect();
    assert_eq!(operator_markers.len(), visible_in_json("operator"));

    app.world_mut().resource_mut::<FeedSignIn>().sign_out = true;
    app.update();
    assert!(app.world().resource::<FeedMarkers>().devices.is_empty());
    for entity in &operator_markers {
        assert!(app.world().get_entity(*entity).is_err(), "an operator marker outlived the sign-out");
    }
    let view = app.world().resource::<FeedView>();
    assert!(!view.linked);
    assert!(view.lock().devices().is_empty() && view.lock().role().is_none());

    for m in messages_for(&state, Role::Tourist) {
        tx.send(m).unwrap();
    }
    app.update();
    let tourist = visible_in_json("tourist");
    assert!(tourist < visible_in_json("operator"));
    assert_eq!(app.world().resource::<FeedMarkers>().devices.len(), tourist);
    assert_eq!(app.world().resource::<FeedView>().lock().role(), Some(Role::Tourist));
}

#[test]
fn a_pasted_token_is_trimmed_and_text_that_cannot_be_one_is_refused() {
    assert_eq!(sign_in_token("  abc.DEF-_=\n").unwrap(), "abc.DEF-_=");
    assert!(sign_in_token(" \t ").unwrap_err().contains("paste"));
    assert!(sign_in_token("two words").unwrap_err().contains("spaces"));
    assert!(sign_in_token("a\u{7}b").unwrap_err().contains("control"));
    let long = "x".repeat(MAX_TOKEN_LEN + 1);
    assert!(sign_in_token(&long).unwrap_err().contains(&(MAX_TOKEN_LEN + 1).to_string()));
    assert!(sign_in_token(&"x".repeat(MAX_TOKEN_LEN)).is_ok());
}

/// A warning's extent lands where its coordinates say: a square of ±0.001°
/// around the Citadel scene's origin spans the distances WGS 84's radii of
/// curvature give there, at the warned level; what is not a polygon is
/// drawn as nothing.
#[test]
fn a_warnings_extent_is_outlined_where_its_coordinates_say_at_the_warned_level() {
    let scene = sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap();
    let o = scene.frame.origin();
    let d = 0.001;
    let square = [[-d, -d], [d, -d], [d, d], [-d, d], [-d, -d]].map(|[x, y]| [o.lon_deg + x, o.lat_deg + y]);
    let extent = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [[square]]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [o.lon_deg, o.lat_deg]}},
    ]});
    let level = o.height_m + 5.0;
    let rings = geometry::warning_rings(&scene.frame, &extent, level);
    assert_eq!(rings.len(), 1, "the point is not drawn");
    assert_eq!(rings[0].len(), 5);
    // WGS 84: N = a/√(1−e²sin²φ) east-west, M = a(1−e²)/(1−e²sin²φ)^1.5 north-south.
    let (a, e2) = (6_378_137.0f64, 0.006_694_379_990_14f64);
    let phi = o.lat_deg.to_radians();
    let w = 1.0 - e2 * phi.sin().powi(2);
    let (n, m) = (a / w.sqrt(), a * (1.0 - e2) / w.powf(1.5));
    let (east, north) = (n * phi.cos() * d.to_radians(), m * d.to_radians());
    let corner = rings[0][2];
    approx::assert_abs_diff_eq!(corner[0], east, epsilon = 0.05);
    approx::assert_abs_diff_eq!(corner[1], north, epsilon = 0.05);
    // 5 m above the origin, less the Earth's curvature over 150 m (2 mm).
    approx::assert_abs_diff_eq!(corner[2], 5.0, epsilon = 0.01);
    approx::assert_abs_diff_eq!(rings[0][0][0], -east, epsilon = 0.05);

    for junk in [serde_json::json!(null), serde_json::json!({"features": "no"}), serde_json::json!({"features": [{"geometry": {"type": "Polygon", "coordinates": [[["a", 1]]]}}]})] {
        assert!(geometry::warning_rings(&scene.frame, &junk, level).is_empty(), "{junk}");
    }
    // A huge extent is cut at the bound instead of drawn whole.
    let big: Vec<[f64; 2]> = (0..geometry::MAX_WARNING_POINTS + 10).map(|i| [o.lon_deg + i as f64 * 1e-9, o.lat_deg]).collect();
    let huge = serde_json::json!({"features": [{"geometry": {"type": "Polygon", "coordinates": [big]}}]});
    assert!(geometry::warning_rings(&scene.frame, &huge, level).is_empty());
}

#[test]
fn far_gauges_stand_on_the_map_beyond_the_scene_ground_and_near_ones_keep_their_height() {
    let (mut app, tx) = citadel_app();
    // The citadel's ground as its layer would load it: 3.2 km square around the origin.
    let root = app.world_mut().spawn((sontinh_layers::LayerRoot { index: 0 }, Transform::IDENTITY, Visibility::default())).id();
    let ground = app
        .world_mut()
        .spawn((
            bevy::camera::primitives::Aabb::from_min_max(Vec3::new(-1600.0, -5.0, -1600.0), Vec3::new(1600.0, 10.0, 1600.0)),
            Transform::IDENTITY,
        ))
        .id();
    app.world_mut().entity_mut(root).add_child(ground);
    let state = scenario_state("2020-10-18T01:30:00+07:00");
    for m in messages_for(&state, Role::Operator) {
        tx.send(m).unwrap();
    }
    for _ in 0..3 {
        app.update();
    }
    let frame = app.world().resource::<ActiveScene>().0.frame;
    let map = app.world().resource::<map_ground::MapGround>();
    assert_eq!(map.ground.map(|g| (g.min, g.max)), Some(([-1600.0, -1600.0], [1600.0, 1600.0])));
    let registry = state.registry();
    for device in registry.devices() {
        let m = marker(&app, &device.id);
        let standing = app.world().get::<GeoPosition>(m.root).unwrap().0;
        let own = frame.geodetic_to_enu(sontinh_geo::Geodetic::new(device.position[0], device.position[1], device.position[2]));
        let inside = own[0].abs() <= 1650.0 && own[1].abs() <= 1650.0;
        let height = frame.enu_to_geodetic(standing).height_m;
        if inside {
            assert_eq!(standing, own, "{} is on the scene's ground", device.id);
        } else {
            // On the map: the ellipsoid under it, at height 0.
            assert!(height.abs() < 0.01, "{} stands {height} m off the map", device.id);
        }
    }
    let far = registry.devices().iter().filter(|d| {
        let p = frame.geodetic_to_enu(sontinh_geo::Geodetic::new(d.position[0], d.position[1], d.position[2]));
        p[0].abs() > 1650.0 || p[1].abs() > 1650.0
    });
    assert!(far.clone().any(|d| d.id == "gauge-hien-luong"), "Hiền Lương is far from the citadel");
    assert_eq!(map.on_map, far.count());
    let entity = map.entity.expect("a map is drawn under the far devices");
    assert!(app.world().get::<Mesh3d>(entity).is_some());
}

#[test]
fn the_dashboard_at_the_2020_peak_counts_three_gauges_at_alarm_iii_one_camera_down_and_every_lamp_flooded() {
    let (mut app, tx) = citadel_app();
    for m in messages_for(&scenario_state("2020-10-18T01:30:00+07:00"), Role::Operator) {
        tx.send(m).unwrap();
    }
    app.update();
    let client = app.world().resource::<FeedView>().lock();
    let now = sontinh_feeds::parse_time("2020-10-18T01:30:00+07:00").unwrap();
    // observations.jsonl up to 01:30: Thạch Hãn 7.40, Đông Hà 5.30, Hiền Lương 2.87 m (each ≥ its III);
    // the Thạch Hãn bridge camera offline, the other three online; all twelve lamps "flooded".
    assert_eq!(
        dashboard::indicators(&client, now),
        dashboard::Indicators {
            gauges_by_alarm: [0, 0, 0, 3],
            gauges: 3,
            cameras_online: 3,
            cameras: 4,
            lights_on: 0,
            lights_faulted: 12,
            lights: 12,
            stale: 0,
            devices: 19,
        }
    );
    // Two days on without a report, everything is stale and nothing counts as alarmed.
    let later = dashboard::indicators(&client, now + 2 * 86_400_000);
    assert_eq!((later.stale, later.gauges_by_alarm, later.cameras_online), (19, [0; 4], 0));

    let i = client.device_index("gauge-thach-han").unwrap();
    let forecast = dashboard::forecast_points(&[(0.0, 7.0), (0.5, 7.6), (f64::NAN, 1.0)], now);
    assert_eq!(forecast, [(now, 7.0), (now + 1_800_000, 7.6)]);
    let h = dashboard::hydrograph(&client, i, now, forecast).unwrap();
    assert_eq!(h.observed.last(), Some(&(now, 7.4)));
    assert_eq!(h.alarm_levels_m, [3.0, 4.5, 6.0]);
    assert_eq!(h.time_range.1, now + 1_800_000, "the chart runs to the forecast's end");
    // The lowest and highest of readings, forecast and alarm lines are inside the chart.
    let low = h.observed.iter().map(|p| p.1).fold(3.0, f64::min);
    assert!(h.level_range.0 < low && h.level_range.1 > 7.6);
    let [x, y] = dashboard::chart_position(&h, h.time_range.0, h.level_range.1, [400.0, 200.0]);
    assert_eq!((x, y), (0.0, 0.0));
    assert!(dashboard::hydrograph(&client, client.device_index("light-citadel-01").unwrap(), now, Vec::new()).is_none());
}
