//! The egui panels. Thin: state lives in resources, text in `i18n`.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_camera::{CameraRig, FlyTo, NavigationMode, SetNavigationMode};
use sontinh_layers::{ActiveScene, LayerStates, LayerStatus, MemoryBudget, MemoryPreset, MemoryUse};
use sontinh_scene::Lang;

use crate::{CursorReadout, UiLang, UserMode, fly_to_bookmark, format_lat_lon, tr};

/// Narrower than this (logical pixels), the view is a phone's.
pub const PHONE_WIDTH: f32 = 600.0;

#[allow(clippy::too_many_arguments)]
pub fn draw_panels(
    mut contexts: EguiContexts,
    scene: Option<Res<ActiveScene>>,
    mut layers: ResMut<LayerStates>,
    mut lang: ResMut<UiLang>,
    mut mode: ResMut<UserMode>,
    cursor: Res<CursorReadout>,
    (mut tour, now): (MessageWriter<sontinh_tour_view::TourAction>, Res<sontinh_tour_view::TourNow>),
    rigs: Query<&CameraRig>,
    mut fly: MessageWriter<FlyTo>,
    mut navigation: MessageWriter<SetNavigationMode>,
    flood: Option<Res<sontinh_flood_view::FloodOverlayStatus>>,
    mut timeline: Option<ResMut<sontinh_flood_view::FloodTimeline>>,
    (memory, mut budget): (Option<Res<MemoryUse>>, Option<ResMut<MemoryBudget>>),
    mut folded: Local<bool>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let l = lang.0;
    let Some(scene) = scene else { return Ok(()) };
    let scene = &scene.0;

    // Floating windows over a full-size 3D view, as in Cesium or Potree; egui
    // registers their areas, so the camera knows when the pointer is on them.
    egui::Window::new("sontinh-top")
        .title_bar(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 6.0))
        .show(ctx, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(tr("app_title", l));
                ui.separator();
                ui.label(scene.name.get(l));
                if scene.reconstruction {
                    ui.colored_label(egui::Color32::from_rgb(200, 140, 40), tr("reconstruction", l));
                }
                ui.separator();
                ui.label(tr("mode", l));
                for (m, key) in [
                    (UserMode::Tourist, "mode_tourist"),
                    (UserMode::Operator, "mode_operator"),
                    (UserMode::Planner, "mode_planner"),
                ] {
                    if ui.selectable_label(*mode == m, tr(key, l)).clicked() {
                        *mode = m;
                    }
                }
                ui.separator();
                ui.label(tr("navigation", l));
                let current = rigs.iter().next().map(|r| r.mode).unwrap_or_default();
                for (m, key) in [(NavigationMode::Orbit, "nav_orbit"), (NavigationMode::Walk, "nav_walk")] {
                    if ui.selectable_label(current == m, tr(key, l)).clicked() {
                        navigation.write(SetNavigationMode(m));
                    }
                }
                ui.separator();
                ui.label(tr("language", l));
                for (choice, label) in [(Lang::Vi, "Tiếng Việt"), (Lang::En, "English")] {
                    if ui.selectable_label(lang.0 == choice, label).clicked() {
                        lang.0 = choice;
                    }
                }
            });
        });

    // On a phone the panels fold once the screen's width is known (the first
    // frames may not know it yet): the twin, and a tour, get the screen.
    let width = ctx.content_rect().width();
    let phone = width < PHONE_WIDTH;
    if phone && width > 1.0 && !*folded {
        *folded = true;
        for id in ["sontinh-left", "sontinh-right"] {
            let key = egui::Id::new(id).with("collapsing");
            let mut state = egui::collapsing_header::CollapsingState::load_with_default_open(ctx, key, true);
            state.set_open(false);
            state.store(ctx);
        }
    }
    egui::Window::new(tr("layers", l))
        .id(egui::Id::new("sontinh-left"))
        .anchor(egui::Align2::LEFT_TOP, egui::vec2(8.0, 64.0))
        .default_open(!phone)
        .default_width(260.0)
        .resizable(false)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                for state in &mut layers.layers {
                    ui.horizontal(|ui| {
                        ui.checkbox(&mut state.visible, state.name.get(l));
                        match &state.status {
                            LayerStatus::Loading(p) => {
                                ui.add(egui::ProgressBar::new(*p).desired_width(60.0).text(tr("layer_loading", l)));
                            }
                            LayerStatus::Failed(_) => {
                                ui.colored_label(egui::Color32::LIGHT_RED, tr("layer_failed", l));
                            }
                            LayerStatus::Ready => {}
                        }
                    });
                    if let LayerStatus::Failed(why) = &state.status {
                        ui.small(why);
                    }
                    ui.add(egui::Slider::new(&mut state.opacity, 0.0..=1.0).text(tr("opacity", l)));
                }
                if let (Some(memory), Some(budget)) = (memory.as_ref(), budget.as_mut()) {
                    ui.separator();
                    memory_line(ui, memory, budget, l);
                }
                ui.separator();
                ui.heading(tr("bookmarks", l));
                for b in &scene.bookmarks {
                    if ui.button(b.name.get(l)).clicked() {
                        // The visitor takes the camera: the tour waits.
                        tour.write(sontinh_tour_view::TourAction::Pause);
                        fly.write(fly_to_bookmark(b));
                    }
                }
                if !scene.tours.is_empty() {
                    ui.separator();
                    ui.heading(tr("tours", l));
                    for (i, t) in scene.tours.iter().enumerate() {
                        ui.horizontal(|ui| {
                            let playing = now.tour.as_ref().is_some_and(|(index, _)| *index == i);
                            if ui.selectable_label(playing, format!("▶ {}", t.name.get(l))).clicked() {
                                tour.write(sontinh_tour_view::TourAction::Start { tour: i, stop: None });
                            }
                            ui.small(format!("{} {}", t.stops.len(), tr("tour_stops", l)));
                        });
                    }
                }
                match *mode {
                    UserMode::Tourist => {}
                    UserMode::Operator => {
                        ui.separator();
                        ui.label(tr("operator_hint", l));
                    }
                    UserMode::Planner => {
                        ui.separator();
                        ui.label(tr("planner_hint", l));
                        for s in &scene.flood_scenarios {
                            ui.label(format!("• {} ({} h, {} mm/h)", s.name.get(l), s.duration_hours, s.rain_mm_per_hour));
                        }
                        match flood.as_deref().and_then(|f| f.0.as_ref()) {
                            Some(Ok(summary)) => {
                                ui.label(format!(
                                    "{}: {:.2} km², {} {:.2} m",
                                    tr("flood_shown", l),
                                    summary.wet_cells as f64 * summary.cell_area_m2 / 1e6,
                                    tr("deepest", l),
                                    summary.max_depth_m
                                ));
                                if let Some(timeline) = timeline.as_deref_mut()
                                    && !timeline.times_s.is_empty()
                                {
                                    // The last position of the slider is the maximum over the run.
                                    let last = timeline.times_s.len();
                                    let mut index = timeline.shown.unwrap_or(last);
                                    let label = match timeline.shown {
                                        Some(i) => format!("{} {:.2} h", tr("flood_at", l), timeline.times_s[i] / 3600.0),
                                        None => tr("flood_max", l).to_owned(),
                                    };
                                    ui.horizontal(|ui| {
                                        let play = if timeline.playing { "⏸" } else { "▶" };
                                        if ui.button(play).clicked() {
                                            timeline.playing = !timeline.playing;
                                        }
                                        if ui.add(egui::Slider::new(&mut index, 0..=last).show_value(false)).changed() {
                                            timeline.playing = false;
                                        }
                                        ui.label(label);
                                    });
                                    let wanted = (index < last).then_some(index);
                                    if wanted != timeline.shown {
                                        timeline.shown = wanted;
                                    }
                                }
                                ui.horizontal(|ui| {
                                    for (depth, rgb) in sontinh_flood_view::DEPTH_RAMP {
                                        let [r, g, b] = rgb.map(|c| (c.powf(1.0 / 2.2) * 255.0) as u8);
                                        ui.colored_label(egui::Color32::from_rgb(r, g, b), format!("■ {depth} m"));
                                    }
                                });
                            }
                            Some(Err(why)) => {
                                ui.colored_label(egui::Color32::LIGHT_RED, why);
                            }
                            None => {
                                ui.small(tr("flood_hint", l));
                            }
                        }
                    }
                }
            });
        });

    egui::Window::new(tr("scene_info", l))
        .id(egui::Id::new("sontinh-right"))
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-8.0, 64.0))
        .default_open(!phone)
        .default_width(300.0)
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(scene.description.get(l));
            if let Some(a) = &scene.attribution {
                ui.small(a);
            }
            ui.separator();
            ui.heading(tr("coordinates", l));
            match &cursor.0 {
                Some(r) => {
                    egui::Grid::new("coords").num_columns(2).show(ui, |ui| {
                        ui.label(tr("lat_lon", l));
                        ui.monospace(format_lat_lon(&r.geodetic));
                        ui.end_row();
                        ui.label(tr("vn2000", l));
                        // Vietnamese surveying names northing x and easting y.
                        match r.vn2000 {
                            Some([easting, northing]) => ui.monospace(format!("x {northing:.2} m\ny {easting:.2} m")),
                            None => ui.monospace("—"),
                        };
                        ui.end_row();
                        ui.label(tr("height", l));
                        ui.monospace(format!("{:.2} m", r.height_m));
                        ui.end_row();
                    });
                }
                None => {
                    ui.label(tr("no_hit", l));
                }
            }
            ui.separator();
            ui.small(tr("controls", l));
        });

    if !layers.all_settled() {
        egui::Window::new(tr("loading", l))
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.add(egui::ProgressBar::new(layers.progress()).show_percentage().desired_width(240.0));
            });
    }
    Ok(())
}

/// What the scene holds against its budget, and the preset to switch to.
fn memory_line(ui: &mut egui::Ui, memory: &MemoryUse, budget: &mut MemoryBudget, l: Lang) {
    let vietnamese = l == Lang::Vi;
    let used_mib = memory.total() as f64 / (1024.0 * 1024.0);
    ui.label(format!("{}: {used_mib:.0} / {}", tr("memory", l), budget.describe(vietnamese)));
    let share = (memory.total() as f64 / budget.bytes.max(1) as f64) as f32;
    ui.add(egui::ProgressBar::new(share.min(1.0)).desired_width(200.0));
    ui.horizontal(|ui| {
        for preset in [MemoryPreset::Phone, MemoryPreset::Desktop, MemoryPreset::Wall] {
            if ui.selectable_label(budget.preset == Some(preset), preset.name(vietnamese)).clicked() {
                *budget = MemoryBudget::of(preset);
            }
        }
    });
}
