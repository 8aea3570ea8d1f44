//! The operator's view of the live feeds: the connection state (always on
//! screen while a feed is linked), the alarm list with acknowledgement, the
//! timeline, the devices with their state and staleness, and the selected
//! camera's latest snapshot.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiTextureHandle, egui};
use sontinh_feeds::{AlarmKind, Connection, DeviceKind, FeedClient, Reading, format_local_time};
use sontinh_feeds_view::video::LiveVideo;
use sontinh_feeds_view::{FeedImages, FeedSignIn, FeedTimeline, FeedView, SelectedCamera, latest_snapshot_url};
use sontinh_scene::Lang;

use crate::{UiLang, UserMode, tr};

/// The connection badge: what an operator must always know.
pub fn connection_text(connection: &Connection, lang: Lang) -> (String, [u8; 3]) {
    match connection {
        Connection::Connecting => (tr("feed_connecting", lang).to_owned(), [230, 180, 20]),
        Connection::Connected { broker_connected: true } => (tr("feed_connected", lang).to_owned(), [40, 170, 60]),
        Connection::Connected { broker_connected: false } => (tr("feed_broker_down", lang).to_owned(), [230, 120, 20]),
        Connection::Disconnected { reason } => (format!("{} — {reason}", tr("feed_disconnected", lang)), [220, 40, 40]),
    }
}

fn device_name(client: &FeedClient, id: &str, lang: Lang) -> String {
    client
        .device_index(id)
        .and_then(|i| client.devices().get(i))
        .map(|d| match lang {
            Lang::Vi => d.names.vi.clone(),
            Lang::En => d.names.en.clone(),
        })
        .unwrap_or_else(|| id.to_owned())
}

/// One line of the alarm list.
pub fn alarm_text(kind: &AlarmKind, lang: Lang) -> String {
    match kind {
        AlarmKind::Flood { level, level_m } => format!("{} {} — {level_m:.2} m", tr("alarm_flood", lang), ["", "I", "II", "III"][usize::from((*level).min(3))]),
        AlarmKind::CameraOffline => tr("alarm_camera_offline", lang).to_owned(),
        AlarmKind::LightFault { fault } => format!("{}: {fault}", tr("alarm_light_fault", lang)),
    }
}

/// A flood warning in words: its headline (gauge, level, alarm, area,
/// deepest water), then each place under water with its depth, deepest first.
pub fn warning_lines(warning: &sontinh_feeds::FloodWarning, gauge: &str, lang: Lang) -> Vec<String> {
    let mut lines = vec![format!(
        "{}: {gauge} {:.2} m ({} {}) — {:.2} km² {}, {} {:.1} m",
        tr("flood_warning", lang),
        warning.level_m,
        tr("alarm_flood", lang),
        ["", "I", "II", "III"][usize::from(warning.alarm_level.min(3))],
        warning.flooded_area_km2,
        tr("flood_warning_area", lang),
        tr("flood_warning_deepest", lang),
        warning.max_depth_m
    )];
    for place in &warning.places {
        let name = match lang {
            Lang::Vi => &place.name_vi,
            Lang::En => &place.name_en,
        };
        lines.push(format!("  {name}: {:.2} m", place.depth_m));
    }
    lines
}

/// What a device reports, in words.
pub fn reading_text(reading: &Reading, lang: Lang) -> String {
    match reading {
        Reading::WaterLevel { level_m } => format!("{level_m:.2} m"),
        Reading::Camera { online, .. } => tr(if *online { "camera_online" } else { "camera_offline" }, lang).to_owned(),
        Reading::Light { on, dim, fault } => match fault {
            Some(f) => format!("{}: {f}", tr("alarm_light_fault", lang)),
            None if *on => format!("{} {:.0} %", tr("light_on", lang), dim * 100.0),
            None => tr("light_off", lang).to_owned(),
        },
        Reading::Value { value } => format!("{value}"),
    }
}

pub(crate) const ALARM_RGB: [[u8; 3]; 4] = [[40, 160, 60], [230, 190, 20], [240, 110, 10], [220, 20, 20]];

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its resources
pub fn draw_operator_panel(
    mut contexts: EguiContexts,
    view: Res<FeedView>,
    lang: Res<UiLang>,
    mode: Res<UserMode>,
    mut timeline: ResMut<FeedTimeline>,
    mut selected: ResMut<SelectedCamera>,
    images: Res<FeedImages>,
    mut sign_in: ResMut<FeedSignIn>,
    video: Res<LiveVideo>,
) -> Result {
    if !view.linked {
        return Ok(());
    }
    let l = lang.0;
    // The watched camera's live frame, else its latest snapshot.
    let live_texture = video.texture.clone().map(|h| contexts.add_image(EguiTextureHandle::Strong(h)));
    let snapshot_texture = {
        let client = view.lock();
        let now = timeline.shown_ms(&client);
        selected
            .0
            .zip(now)
            .and_then(|(i, now)| latest_snapshot_url(&client, i, now))
            .and_then(|url| images.by_url.get(&url).cloned())
    };
    let texture = snapshot_texture.map(|h| contexts.add_image(EguiTextureHandle::Strong(h)));
    let ctx = contexts.ctx_mut()?;
    let mut client = view.lock();

    // Always visible, in every mode.
    let (text, rgb) = connection_text(client.connection(), l);
    egui::Area::new(egui::Id::new("sontinh-feed-connection"))
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-8.0, 8.0))
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2]), format!("● {text}"));
                    if ui.small_button(tr("sign_out", l)).clicked() {
                        sign_in.sign_out = true;
                    }
                });
                let unacknowledged = client.unacknowledged();
                if unacknowledged > 0 {
                    ui.colored_label(egui::Color32::from_rgb(220, 20, 20), format!("⚠ {unacknowledged} {}", tr("alarms_new", l)));
                }
            });
        });
    if *mode != UserMode::Operator {
        return Ok(());
    }
    egui::Window::new(tr("operations_window", l))
        .id(egui::Id::new("sontinh-operations"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -8.0))
        .default_width(380.0)
        .show(ctx, |ui| {
            // Timeline: live, or any moment of the received history.
            if let Some((first, last)) = client.time_range() {
                ui.horizontal(|ui| {
                    ui.checkbox(&mut timeline.live, tr("feed_live", l));
                    let mut t = timeline.shown_ms(&client).unwrap_or(last);
                    let slider = egui::Slider::new(&mut t, first..=last).show_value(false);
                    if ui.add(slider).changed() {
                        timeline.live = false;
                        timeline.time_ms = t;
                    }
                    ui.label(format_local_time(t));
                });
            }
            let now = timeline.shown_ms(&client).unwrap_or(0);
            ui.separator();
            ui.horizontal(|ui| {
                ui.strong(tr("alarms", l));
                if client.unacknowledged() > 0 && ui.small_button(tr("acknowledge_all", l)).clicked() {
                    client.request_acknowledgements(None);
                }
            });
            let mut acknowledge = None;
            egui::ScrollArea::vertical().id_salt("alarms").max_height(160.0).show(ui, |ui| {
                for alarm in client.alarms().take(200) {
                    ui.horizontal(|ui| {
                        let rgb = match alarm.kind {
                            AlarmKind::Flood { level, .. } => ALARM_RGB[usize::from(level.min(3))],
                            _ => [200, 60, 200],
                        };
                        let color = if alarm.acknowledged { egui::Color32::GRAY } else { egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2]) };
                        ui.colored_label(color, format!("{} {} — {}", format_local_time(alarm.time_ms), device_name(&client, &alarm.device, l), alarm_text(&alarm.kind, l)));
                        if let Some(by) = &alarm.acknowledged_by {
                            ui.small(format!("✔ {} {by}", tr("acknowledged_by", l)));
                        } else if alarm.pending {
                            ui.spinner();
                        } else if !alarm.acknowledged && ui.small_button(tr("acknowledge", l)).clicked() {
                            acknowledge = Some(alarm.id);
                        }
                        if let Some(why) = &alarm.refused {
                            ui.colored_label(egui::Color32::from_rgb(230, 120, 20), format!("{}: {why}", tr("acknowledge_failed", l)));
                        }
                    });
                }
            });
            if let Some(id) = acknowledge {
                client.request_acknowledgement(id);
            }
            // The latest flood warning, from its moment on: what goes under water.
            if let Some(warning) = client.flood_warning().filter(|w| w.time_ms <= now) {
                ui.separator();
                let lines = warning_lines(warning, &device_name(&client, &warning.device, l), l);
                if let Some((headline, places)) = lines.split_first() {
                    ui.colored_label(egui::Color32::from_rgb(220, 20, 20), headline);
                    egui::ScrollArea::vertical().id_salt("warned-places").max_height(120.0).show(ui, |ui| {
                        for place in places {
                            ui.label(place);
                        }
                    });
                }
            }
            ui.separator();
            egui::CollapsingHeader::new(tr("devices", l)).default_open(true).show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("devices").max_height(220.0).show(ui, |ui| {
                    for (i, device) in client.devices().iter().enumerate() {
                        let observation = client.at(i, now);
                        let stale = client.is_stale(i, now);
                        let name = match l {
                            Lang::Vi => &device.names.vi,
                            Lang::En => &device.names.en,
                        };
                        let state = observation.map_or_else(|| tr("no_reading", l).to_owned(), |o| reading_text(&o.reading, l));
                        let mut line = format!("{name}: {state}");
                        if stale {
                            line.push_str(&format!(" ({})", tr("stale", l)));
                        }
                        let color = match (&device.kind, stale) {
                            (_, true) => egui::Color32::GRAY,
                            (DeviceKind::WaterGauge { .. }, false) => {
                                let level = client.alarm_at(i, now).unwrap_or(0);
                                let c = ALARM_RGB[usize::from(level.min(3))];
                                egui::Color32::from_rgb(c[0], c[1], c[2])
                            }
                            _ => ui.visuals().text_color(),
                        };
                        if matches!(device.kind, DeviceKind::Camera { .. }) {
                            let text = egui::RichText::new(format!("◉ {line}")).color(color);
                            if ui.selectable_label(selected.0 == Some(i), text).clicked() {
                                selected.0 = Some(i);
                            }
                        } else {
                            ui.colored_label(color, line);
                        }
                    }
                });
            });
            if let Some(i) = selected.0
                && let Some(device) = client.devices().get(i)
            {
                ui.separator();
                ui.strong(match l {
                    Lang::Vi => &device.names.vi,
                    Lang::En => &device.names.en,
                });
                let watched = video.camera() == Some(device.id.as_str());
                if watched {
                    ui.colored_label(egui::Color32::from_rgb(230, 40, 40), format!("● {} · {} {}", tr("live_video", l), video.frames_shown, tr("frames", l)));
                    if let Some(why) = &video.ended {
                        ui.colored_label(egui::Color32::from_rgb(230, 120, 20), format!("{}: {why}", tr("video_ended", l)));
                    }
                }
                match live_texture.filter(|_| watched).or(texture) {
                    Some(id) => {
                        ui.add(egui::Image::new(egui::load::SizedTexture::new(id, egui::vec2(360.0, 202.0))));
                    }
                    None => {
                        ui.label(tr("no_snapshot", l));
                    }
                }
            }
            let (bad, why) = client.bad_messages();
            if bad > 0 {
                ui.colored_label(egui::Color32::from_rgb(220, 120, 20), format!("{}: {bad} ({})", tr("feed_bad_messages", l), why.unwrap_or("")));
            }
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_warning_reads_as_its_headline_then_each_place_under_water() {
        let warning = sontinh_feeds::FloodWarning {
            device: "gauge-thach-han".into(),
            time_ms: 0,
            level_m: 6.09,
            alarm_level: 3,
            levels_m: vec![("gauge-thach-han".into(), 6.09)],
            flooded_area_km2: 8.9392,
            max_depth_m: 10.09,
            places: vec![sontinh_feeds::WarnedPlace { id: "wharf".into(), name_vi: "Bến thả hoa".into(), name_en: "Flower wharf".into(), depth_m: 4.256 }],
            extent: Default::default(),
            computed_in_ms: 5,
        };
        assert_eq!(
            warning_lines(&warning, "Trạm Thạch Hãn", Lang::Vi),
            ["Cảnh báo ngập: Trạm Thạch Hãn 6.09 m (Báo động III) — 8.94 km² diện tích ngập, sâu nhất 10.1 m", "  Bến thả hoa: 4.26 m"]
        );
        assert_eq!(
            warning_lines(&warning, "Thạch Hãn gauge", Lang::En),
            ["Flood warning: Thạch Hãn gauge 6.09 m (Flood alarm III) — 8.94 km² under water, deepest 10.1 m", "  Flower wharf: 4.26 m"]
        );
    }
}
