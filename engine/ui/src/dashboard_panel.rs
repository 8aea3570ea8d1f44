//! The operator's dashboard beside the twin: the feed at a glance (gauges
//! at each alarm level, cameras online, lamps on and faulted, stale
//! devices) and one gauge's hydrograph with its alarm lines and, when a
//! flood run is loaded, the run's level at that gauge as the forecast.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_feeds::{DeviceKind, FeedClient, format_local_time};
use sontinh_feeds_view::dashboard::{Hydrograph, Indicators, chart_position, forecast_points, hydrograph, indicators};
use sontinh_feeds_view::report::{ReportPeriod, Reports};
use sontinh_feeds_view::{FeedTimeline, FeedView};
use sontinh_flood_view::gauges::FloodGaugeSeries;
use sontinh_layers::ActiveScene;
use sontinh_scene::{Lang, Scene};

use crate::operator_panel::ALARM_RGB;
use crate::{UiLang, UserMode, tr};

/// Which gauge the hydrograph shows, and the feed moment a loaded run's
/// hour 0 stands for (the moment its results were first shown: a forecast
/// starts when it is made).
#[derive(Resource, Default, Debug)]
pub struct Dashboard {
    pub gauge: Option<String>,
    pub forecast_start_ms: Option<i64>,
    /// The period of the report the operator may ask for.
    pub report_period: ReportPeriod,
    /// The run folder whose forecast is anchored at `forecast_start_ms`.
    pub forecast_folder: Option<std::path::PathBuf>,
}

/// The indicators in words, one chip each: (text, colour).
pub fn indicator_chips(n: &Indicators, lang: Lang) -> Vec<(String, [u8; 3])> {
    let [normal, i, ii, iii] = n.gauges_by_alarm;
    let grey = [200, 200, 200];
    vec![
        (format!("{}: {normal} {}", tr("dash_gauges", lang), tr("dash_below_alarm", lang)), ALARM_RGB[0]),
        (format!("I: {i}"), ALARM_RGB[1]),
        (format!("II: {ii}"), ALARM_RGB[2]),
        (format!("III: {iii}"), ALARM_RGB[3]),
        (format!("{}: {}/{}", tr("dash_cameras", lang), n.cameras_online, n.cameras), if n.cameras_online < n.cameras { [240, 90, 90] } else { grey }),
        (
            format!("{}: {} {}, {} {} / {}", tr("dash_lights", lang), n.lights_on, tr("dash_lights_on", lang), n.lights_faulted, tr("dash_lights_faulted", lang), n.lights),
            if n.lights_faulted > 0 { [220, 90, 220] } else { grey },
        ),
        (format!("{}: {}/{}", tr("dash_stale", lang), n.stale, n.devices), if n.stale > 0 { [170, 170, 170] } else { grey }),
    ]
}

/// The run's series for the live gauge `device`: the scene's scenario
/// gauge that names it, found among the loaded run's gauges.
pub fn forecast_series<'a>(scene: &Scene, runs: &'a FloodGaugeSeries, device: &str) -> Option<&'a [(f64, f64)]> {
    scene
        .flood_scenarios
        .iter()
        .flat_map(|s| &s.gauges)
        .filter(|g| g.device.as_deref() == Some(device))
        .find_map(|g| runs.0.iter().find(|r| r.id == g.id))
        .map(|r| r.points.as_slice())
}

/// The gauge shown first: the one at the highest alarm, then the first.
fn default_gauge(client: &FeedClient, now: i64) -> Option<String> {
    client
        .devices()
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.kind, DeviceKind::WaterGauge { .. }))
        .max_by_key(|(i, _)| (client.alarm_at(*i, now).unwrap_or(0), std::cmp::Reverse(*i)))
        .map(|(_, d)| d.id.clone())
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its resources
pub fn draw_dashboard(
    mut contexts: EguiContexts,
    view: Res<FeedView>,
    lang: Res<UiLang>,
    mode: Res<UserMode>,
    timeline: Res<FeedTimeline>,
    scene: Option<Res<ActiveScene>>,
    runs: Res<FloodGaugeSeries>,
    results: Option<Res<sontinh_flood_view::FloodResults>>,
    mut dashboard: ResMut<Dashboard>,
    mut reports: ResMut<Reports>,
) -> Result {
    // Planners see it too: their run's forecast beside what the gauges say.
    if !view.linked || *mode == UserMode::Tourist {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let client = view.lock();
    let Some(now) = timeline.shown_ms(&client) else { return Ok(()) };
    let l = lang.0;
    // A run's hour 0 is the moment its results were first shown: a run
    // that is still writing keeps the moment it started with.
    let folder = results.map(|r| r.0.clone());
    if folder != dashboard.forecast_folder {
        dashboard.forecast_folder = folder;
        dashboard.forecast_start_ms = dashboard.forecast_folder.as_ref().map(|_| now);
    }
    if dashboard.gauge.as_ref().is_none_or(|id| client.device_index(id).is_none()) {
        dashboard.gauge = default_gauge(&client, now);
    }
    egui::Window::new(tr("dashboard", l))
        .id(egui::Id::new("sontinh-dashboard"))
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(8.0, -8.0))
        .default_width(440.0)
        .show(ctx, |ui| {
            ui.horizontal_wrapped(|ui| {
                for (text, rgb) in indicator_chips(&indicators(&client, now), l) {
                    egui::Frame::new()
                        .fill(egui::Color32::from_rgba_unmultiplied(rgb[0], rgb[1], rgb[2], 40))
                        .stroke(egui::Stroke::new(1.0, egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2])))
                        .corner_radius(4.0)
                        .inner_margin(egui::Margin::symmetric(6, 2))
                        .show(ui, |ui| {
                            // A chip keeps its words on one line; the row wraps between chips.
                            ui.add(egui::Label::new(egui::RichText::new(text).color(egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2]))).extend())
                        });
                }
            });
            ui.separator();
            let name_of = |id: &str| {
                client.device_index(id).and_then(|i| client.devices().get(i)).map_or_else(
                    || id.to_owned(),
                    |d| match l {
                        Lang::Vi => d.names.vi.clone(),
                        Lang::En => d.names.en.clone(),
                    },
                )
            };
            let selected = dashboard.gauge.clone().unwrap_or_default();
            ui.horizontal(|ui| {
                ui.strong(tr("hydrograph", l));
                egui::ComboBox::from_id_salt("dashboard-gauge").selected_text(name_of(&selected)).show_ui(ui, |ui| {
                    for d in client.devices().iter().filter(|d| matches!(d.kind, DeviceKind::WaterGauge { .. })) {
                        let name = name_of(&d.id);
                        ui.selectable_value(&mut dashboard.gauge, Some(d.id.clone()), name);
                    }
                });
            });
            // The period's report: the printable page that replaces the paper one.
            ui.horizontal(|ui| {
                ui.strong(tr("report", l));
                egui::ComboBox::from_id_salt("dashboard-report-period")
                    .selected_text(period_name(dashboard.report_period, l))
                    .show_ui(ui, |ui| {
                        for p in [ReportPeriod::Day, ReportPeriod::Week, ReportPeriod::Received] {
                            ui.selectable_value(&mut dashboard.report_period, p, period_name(p, l));
                        }
                    });
                if ui.button(tr("report_make", l)).clicked() {
                    reports.asked.push(dashboard.report_period.ask(&client, now, l));
                    reports.outcome.set(Ok(tr("report_fetching", l).to_owned()));
                }
            });
            if let Some(outcome) = reports.outcome.get() {
                match outcome {
                    Ok(where_) => ui.small(where_),
                    Err(why) => ui.colored_label(egui::Color32::from_rgb(230, 120, 20), format!("{}: {why}", tr("report_failed", l))),
                };
            }
            ui.separator();
            let Some(i) = client.device_index(&selected) else { return };
            let forecast = match (scene.as_ref().and_then(|s| forecast_series(&s.0, &runs, &selected)), dashboard.forecast_start_ms) {
                (Some(series), Some(start)) => forecast_points(series, start),
                _ => Vec::new(),
            };
            let Some(chart) = hydrograph(&client, i, now, forecast) else { return };
            draw_chart(ui, &chart, l);
            if chart.forecast.is_empty() {
                ui.small(tr("no_forecast", l));
            }
        });
    Ok(())
}

fn period_name(p: ReportPeriod, lang: Lang) -> &'static str {
    match p {
        ReportPeriod::Day => tr("period_day", lang),
        ReportPeriod::Week => tr("period_week", lang),
        ReportPeriod::Received => tr("period_received", lang),
    }
}

/// The hydrograph: alarm lines, the observed levels, the forecast dashed,
/// and the shown moment.
fn draw_chart(ui: &mut egui::Ui, h: &Hydrograph, lang: Lang) {
    let (response, painter) = ui.allocate_painter(egui::vec2(ui.available_width().max(320.0), 190.0), egui::Sense::hover());
    let outer = response.rect;
    let plot = egui::Rect::from_min_max(outer.min + egui::vec2(44.0, 6.0), outer.max - egui::vec2(6.0, 22.0));
    painter.rect_filled(plot, 2.0, egui::Color32::from_gray(22));
    let to_screen = |t: i64, level: f64| {
        let [x, y] = chart_position(h, t, level, [plot.width(), plot.height()]);
        plot.min + egui::vec2(x, y)
    };
    let font = egui::FontId::proportional(11.0);
    let text_color = egui::Color32::from_gray(200);
    // Level axis: the range's ends and each whole metre between, when few.
    let (low, high) = h.level_range;
    let step = ((high - low) / 5.0).ceil().max(1.0);
    let mut level = (low / step).ceil() * step;
    while level <= high {
        let p = to_screen(h.time_range.0, level);
        painter.line_segment([egui::pos2(plot.min.x, p.y), egui::pos2(plot.max.x, p.y)], egui::Stroke::new(0.5, egui::Color32::from_gray(55)));
        // `+ 0.0` turns a −0 into 0: no "-0 m" on the axis.
        painter.text(egui::pos2(plot.min.x - 4.0, p.y), egui::Align2::RIGHT_CENTER, format!("{:.0} m", level + 0.0), font.clone(), text_color);
        level += step;
    }
    for (k, &alarm) in h.alarm_levels_m.iter().enumerate() {
        let rgb = ALARM_RGB[k + 1];
        let color = egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2]);
        let y = to_screen(h.time_range.0, alarm).y;
        let dashes = egui::Shape::dashed_line(&[egui::pos2(plot.min.x, y), egui::pos2(plot.max.x, y)], egui::Stroke::new(1.0, color), 6.0, 4.0);
        painter.extend(dashes);
        painter.text(egui::pos2(plot.max.x - 2.0, y - 1.0), egui::Align2::RIGHT_BOTTOM, format!("{} {}", tr("alarm_flood", lang), ["I", "II", "III"][k]), font.clone(), color);
    }
    let observed: Vec<egui::Pos2> = h.observed.iter().map(|&(t, l)| to_screen(t, l)).collect();
    painter.add(egui::Shape::line(observed, egui::Stroke::new(2.0, egui::Color32::from_rgb(110, 190, 255))));
    if !h.forecast.is_empty() {
        let forecast: Vec<egui::Pos2> = h.forecast.iter().map(|&(t, l)| to_screen(t, l)).collect();
        painter.extend(egui::Shape::dashed_line(&forecast, egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 170, 60)), 5.0, 3.0));
    }
    let now_x = to_screen(h.now_ms, low).x;
    painter.line_segment([egui::pos2(now_x, plot.min.y), egui::pos2(now_x, plot.max.y)], egui::Stroke::new(1.0, egui::Color32::WHITE));
    // Time axis: the chart's start, the shown moment, its end.
    let y = plot.max.y + 3.0;
    painter.text(egui::pos2(plot.min.x, y), egui::Align2::LEFT_TOP, format_local_time(h.time_range.0), font.clone(), text_color);
    painter.text(egui::pos2(plot.max.x, y), egui::Align2::RIGHT_TOP, format_local_time(h.time_range.1), font.clone(), text_color);
    // Legend.
    let legend = format!("— {}   - - {}", tr("observed", lang), tr("forecast", lang));
    painter.text(plot.min + egui::vec2(4.0, 2.0), egui::Align2::LEFT_TOP, legend, font, text_color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chips_name_each_count_in_both_languages() {
        let n = Indicators {
            gauges_by_alarm: [1, 0, 2, 3],
            gauges: 6,
            cameras_online: 3,
            cameras: 4,
            lights_on: 2,
            lights_faulted: 12,
            lights: 14,
            stale: 1,
            devices: 25,
        };
        let vi: Vec<String> = indicator_chips(&n, Lang::Vi).into_iter().map(|c| c.0).collect();
        assert_eq!(vi, ["Trạm đo: 1 bình thường", "I: 0", "II: 2", "III: 3", "Camera hoạt động: 3/4", "Đèn: 2 bật, 12 hỏng / 14", "Thiết bị quá hạn: 1/25"]);
        let en = indicator_chips(&n, Lang::En);
        assert_eq!(en[5].0, "Lights: 2 on, 12 faulted / 14");
        assert_eq!(en[3].1, ALARM_RGB[3], "alarm III in its colour");
    }

    #[test]
    fn the_citadel_s_simulated_thach_han_gauge_forecasts_the_live_one() {
        let scene = sontinh_scene::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap();
        let runs = FloodGaugeSeries(vec![
            sontinh_flood_view::gauges::GaugeSeries { id: "citadel-centre".into(), points: vec![(0.0, 4.0)] },
            sontinh_flood_view::gauges::GaugeSeries { id: "thach-han".into(), points: vec![(0.0, 2.5), (0.25, 2.75)] },
        ]);
        assert_eq!(forecast_series(&scene, &runs, "gauge-thach-han"), Some(&[(0.0, 2.5), (0.25, 2.75)][..]));
        assert_eq!(forecast_series(&scene, &runs, "gauge-dong-ha"), None, "no scenario gauge forecasts Đông Hà");
    }
}
