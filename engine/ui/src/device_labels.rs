//! Labels on the twin: each gauge, camera and light carries its name, its
//! state (a gauge's level with its trend and alarm), placed where it covers
//! no other label; alarms and gauges win the space over lamps.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_camera::CameraRig;
use sontinh_feeds::{Device, DeviceKind, FeedClient, Reading};
use sontinh_feeds_view::labels::{LabelRequest, level_trend, place_labels, trend_arrow};
use sontinh_feeds_view::{DeviceLabelsShown, FeedImages, FeedMarkers, FeedTimeline, FeedView, geometry::GAUGE_SYMBOL_M, latest_snapshot_url};
use sontinh_scene::Lang;

use crate::operator_panel::reading_text;
use crate::{UiLang, tr};

/// At most this many labels are laid out, and fewer placed, per frame.
pub const MAX_LABEL_CANDIDATES: usize = 400;
pub const MAX_LABELS: usize = 120;

/// A device's label: its name, then its state in a few words.
pub fn label_lines(device: &Device, client: &FeedClient, index: usize, now: i64, has_snapshot: bool, lang: Lang) -> [String; 2] {
    let name = match lang {
        Lang::Vi => device.names.vi.clone(),
        Lang::En => device.names.en.clone(),
    };
    let observation = client.at(index, now);
    let mut state = match (&device.kind, observation.map(|o| &o.reading)) {
        (_, None) => tr("no_reading", lang).to_owned(),
        (DeviceKind::WaterGauge { alarm_levels_m, .. }, Some(Reading::WaterLevel { level_m })) => {
            let mut s = format!("{level_m:.2} m");
            if let Some(rate) = level_trend(client.history(index), now) {
                s.push_str(&format!(" {} {:+.2} m/h", trend_arrow(rate), rate));
            }
            let alarm = sontinh_feeds::alarm_level(alarm_levels_m, *level_m);
            if alarm > 0 {
                s.push_str(&format!(" · {} {}", tr("alarm_flood", lang), ["", "I", "II", "III"][usize::from(alarm.min(3))]));
            }
            s
        }
        (DeviceKind::Camera { .. }, Some(reading @ Reading::Camera { online, .. })) => {
            let mut s = reading_text(reading, lang);
            if *online && !has_snapshot {
                s.push_str(&format!(" · {}", tr("no_snapshot", lang)));
            }
            s
        }
        (DeviceKind::Sensor { unit, .. }, Some(Reading::Value { value })) => format!("{value} {unit}"),
        (_, Some(reading)) => reading_text(reading, lang),
    };
    if client.is_stale(index, now) {
        state.push_str(&format!(" ({})", tr("stale", lang)));
    }
    [name, state]
}

/// Who wins the space: alarms first, then gauges, cameras, faults, lamps.
pub fn label_priority(device: &Device, client: &FeedClient, index: usize, now: i64) -> u32 {
    match (&device.kind, client.at(index, now).map(|o| &o.reading)) {
        (DeviceKind::WaterGauge { .. }, _) => 100 + 10 * u32::from(client.alarm_at(index, now).unwrap_or(0)),
        (DeviceKind::Camera { .. }, Some(Reading::Camera { online: false, .. })) => 80,
        (DeviceKind::Camera { .. }, _) => 60,
        (DeviceKind::StreetLight, Some(Reading::Light { fault: Some(_), .. })) => 70,
        (DeviceKind::Sensor { .. }, _) => 40,
        (DeviceKind::StreetLight, _) => 20,
    }
}

/// Height of a marker's top above its foot, before the marker's scale, m.
fn marker_top(kind: &DeviceKind) -> f32 {
    match kind {
        DeviceKind::WaterGauge { .. } => GAUGE_SYMBOL_M + 12.0,
        DeviceKind::Camera { .. } => 26.0,
        DeviceKind::StreetLight => 2.0,
        DeviceKind::Sensor { .. } => 1.5,
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its resources
pub fn draw_device_labels(
    mut contexts: EguiContexts,
    view: Res<FeedView>,
    lang: Res<UiLang>,
    timeline: Res<FeedTimeline>,
    markers: Res<FeedMarkers>,
    images: Res<FeedImages>,
    mut shown: ResMut<DeviceLabelsShown>,
    cameras: Query<(&Camera, &GlobalTransform), With<CameraRig>>,
    roots: Query<&GlobalTransform>,
) -> Result {
    if !view.linked {
        return Ok(());
    }
    let Ok((camera, eye)) = cameras.single() else { return Ok(()) };
    let Some(viewport) = camera.logical_viewport_size() else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let client = view.lock();
    let Some(now) = timeline.shown_ms(&client) else { return Ok(()) };
    let l = lang.0;
    // Where each marker's top is on screen, nearest and most urgent first.
    let mut candidates: Vec<(usize, egui::Pos2, u32, f32)> = Vec::new();
    for (i, (device, marker)) in client.devices().iter().zip(&markers.devices).enumerate() {
        let Ok(root) = roots.get(marker.root) else { continue };
        let scale = root.compute_transform().scale.y;
        let top = root.translation() + Vec3::Y * marker_top(&device.kind) * scale;
        let Ok(at) = camera.world_to_viewport(eye, top) else { continue };
        if at.x < 0.0 || at.y < 0.0 || at.x > viewport.x || at.y > viewport.y {
            continue;
        }
        candidates.push((i, egui::pos2(at.x, at.y), label_priority(device, &client, i, now), top.distance(eye.translation())));
    }
    candidates.sort_by(|a, b| b.2.cmp(&a.2).then(a.3.total_cmp(&b.3)));
    candidates.truncate(MAX_LABEL_CANDIDATES);
    let painter = ctx.layer_painter(egui::LayerId::background());
    let font = egui::FontId::proportional(13.0);
    let mut galleys = Vec::with_capacity(candidates.len());
    let mut requests = Vec::with_capacity(candidates.len());
    for (k, &(i, at, priority, distance)) in candidates.iter().enumerate() {
        let device = &client.devices()[i];
        let has_snapshot = latest_snapshot_url(&client, i, now).is_some_and(|u| images.by_url.contains_key(&u));
        let [name, state] = label_lines(device, &client, i, now, has_snapshot, l);
        let color = label_color(device, &client, i, now);
        let mut job = egui::text::LayoutJob::default();
        job.append(&name, 0.0, egui::TextFormat::simple(font.clone(), egui::Color32::WHITE));
        job.append(&format!("\n{state}"), 0.0, egui::TextFormat::simple(font.clone(), color));
        let galley = painter.layout_job(job);
        let size = galley.size() + egui::vec2(10.0, 6.0);
        requests.push(LabelRequest {
            key: k,
            anchor: [at.x, at.y],
            size: [size.x, size.y],
            priority,
            distance,
        });
        galleys.push(galley);
    }
    let panels = panel_rects(ctx);
    let placed_labels = place_labels(&requests, [viewport.x, viewport.y], &panels, MAX_LABELS);
    if shown.0 != Some(placed_labels.len()) {
        shown.0 = Some(placed_labels.len());
    }
    for placed in placed_labels {
        let (_, at, _, _) = candidates[placed.key];
        let rect = egui::Rect::from_min_size(egui::pos2(placed.min[0], placed.min[1]), egui::vec2(placed.size[0], placed.size[1]));
        if placed.moved {
            painter.line_segment([at, rect.center()], egui::Stroke::new(1.0, egui::Color32::from_white_alpha(160)));
        }
        painter.rect_filled(rect, 4.0, egui::Color32::from_rgba_unmultiplied(15, 20, 28, 200));
        painter.galley(rect.min + egui::vec2(5.0, 3.0), galleys[placed.key].clone(), egui::Color32::WHITE);
    }
    Ok(())
}

/// Where the panels are (last frame's places, as (min, size)): no place for
/// a label on the twin.
pub(crate) fn panel_rects(ctx: &egui::Context) -> Vec<([f32; 2], [f32; 2])> {
    ctx.memory(|m| {
        m.areas()
            .visible_layer_ids()
            .into_iter()
            .filter(|layer| layer.order != egui::Order::Background)
            .filter_map(|layer| m.area_rect(layer.id))
            .map(|r| ([r.min.x, r.min.y], [r.width(), r.height()]))
            .collect()
    })
}

/// The state line's colour: the alarm colour of a gauge, red for a camera
/// offline or a faulty lamp, grey when stale.
fn label_color(device: &Device, client: &FeedClient, index: usize, now: i64) -> egui::Color32 {
    if client.is_stale(index, now) {
        return egui::Color32::from_gray(170);
    }
    match (&device.kind, client.at(index, now).map(|o| &o.reading)) {
        (DeviceKind::WaterGauge { .. }, _) => {
            let c = crate::operator_panel::ALARM_RGB[usize::from(client.alarm_at(index, now).unwrap_or(0).min(3))];
            egui::Color32::from_rgb(c[0], c[1], c[2])
        }
        (_, Some(Reading::Camera { online: false, .. } | Reading::Light { fault: Some(_), .. })) => egui::Color32::from_rgb(255, 90, 90),
        _ => egui::Color32::from_rgb(200, 225, 255),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use sontinh_feeds::{FeedState, LinkEvent, Registry, Role, ServerMessage, parse_compact};

    use super::*;

    /// The October 2020 scenario as an operator's viewer holds it at `until`.
    fn client_at(until: &str) -> FeedClient {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/feeds/flood-2020-10");
        let registry = Registry::from_json(&std::fs::read_to_string(dir.join("devices.json")).unwrap()).unwrap();
        let until = sontinh_feeds::parse_time(until).unwrap();
        let mut state = FeedState::new(registry, 10_000);
        for line in std::fs::read_to_string(dir.join("observations.jsonl")).unwrap().lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let o = parse_compact(&sontinh_feeds::compact_topic(v["device"].as_str().unwrap()), line.as_bytes(), state.registry()).unwrap();
            if o.time_ms <= until {
                state.apply(o.clone(), o.time_ms).unwrap();
            }
        }
        let mut client = FeedClient::new(10_000);
        client.handle(LinkEvent::Connected);
        let snapshot = ServerMessage::Snapshot { role: Role::Operator, snapshot: state.snapshot_for(Role::Operator), broker_connected: true, lagged: 0 };
        client.apply(snapshot);
        let ids: Vec<String> = state.registry().devices().iter().map(|d| d.id.clone()).collect();
        let observations = ids.iter().flat_map(|id| state.history(id, i64::MIN, i64::MAX)).collect();
        client.apply(ServerMessage::History { observations, next: None });
        client
    }

    #[test]
    fn the_thach_han_label_at_noon_on_17_october_reads_its_level_rise_and_alarm() {
        let now = sontinh_feeds::parse_time("2020-10-17T12:00:00+07:00").unwrap();
        let client = client_at("2020-10-17T12:00:00+07:00");
        let i = client.device_index("gauge-thach-han").unwrap();
        let device = &client.devices()[i];
        // The scenario file: 5.92 m at 11:00, 6.09 m at 12:00, and Báo động III at 6.0 m.
        assert_eq!(
            label_lines(device, &client, i, now, false, Lang::Vi),
            ["Trạm thủy văn Thạch Hãn (sông Thạch Hãn)".to_owned(), "6.09 m ↑ +0.17 m/h · Báo động III".to_owned()]
        );
        assert_eq!(label_lines(device, &client, i, now, false, Lang::En)[1], "6.09 m ↑ +0.17 m/h · Flood alarm III");
        // A gauge at alarm III wins the space over every camera and lamp (Đông Hà, also at III, ties).
        let mine = label_priority(device, &client, i, now);
        for (k, other) in client.devices().iter().enumerate().filter(|&(k, _)| k != i) {
            let theirs = label_priority(other, &client, k, now);
            match other.kind {
                DeviceKind::WaterGauge { .. } => assert!(theirs <= mine, "{}", other.id),
                _ => assert!(theirs < mine, "{}", other.id),
            }
        }
    }
}
