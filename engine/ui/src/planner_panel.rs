//! The planner's flood window: edit a scenario (rain, inflow, a breach at
//! the cursor), run it in the viewer, pause or cancel it, and read which
//! places go under water, how deep and when, and which buildings and road
//! segments the water reaches, per commune (one selected is shown on the twin).

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_flood_view::{DOWNLOADS, FloodImpact, FloodPlaces, PlannerEdits, PlannerRun, PlannerRunner, download_result};
use sontinh_layers::ActiveScene;

use crate::{CursorReadout, UiLang, UserMode, tr};

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its resources
pub fn draw_planner_panel(
    mut contexts: EguiContexts,
    scene: Option<Res<ActiveScene>>,
    lang: Res<UiLang>,
    mode: Res<UserMode>,
    edits: Option<ResMut<PlannerEdits>>,
    mut run: ResMut<PlannerRun>,
    places: Res<FloodPlaces>,
    cursor: Res<CursorReadout>,
    runner: Option<Res<PlannerRunner>>,
    (mut impact, mut fly): (ResMut<FloodImpact>, MessageWriter<sontinh_camera::FlyTo>),
) -> Result {
    let (Some(scene), Some(mut edits)) = (scene, edits) else { return Ok(()) };
    if *mode != UserMode::Planner || scene.0.flood_scenarios.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let l = lang.0;
    let mut changed = edits.clone();
    egui::Window::new(tr("planner_window", l))
        .id(egui::Id::new("sontinh-planner"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -8.0))
        .default_width(320.0)
        .show(ctx, |ui| {
            let scenarios = &scene.0.flood_scenarios;
            if scenarios.len() > 1 {
                egui::ComboBox::from_label(tr("scenario", l))
                    .selected_text(scenarios.get(changed.scenario).map(|s| s.name.get(l)).unwrap_or(""))
                    .show_ui(ui, |ui| {
                        for (i, s) in scenarios.iter().enumerate() {
                            if ui.selectable_label(changed.scenario == i, s.name.get(l)).clicked() {
                                changed = PlannerEdits::from_scenario(i, s);
                            }
                        }
                    });
            } else if let Some(s) = scenarios.first() {
                ui.strong(s.name.get(l));
            }
            let duration = scenarios.get(changed.scenario).map_or(24.0, |s| s.duration_hours);
            ui.add(egui::Slider::new(&mut changed.rain_mm_per_hour, 0.0..=100.0).text(tr("rain_rate", l)).suffix(" mm/h"));
            ui.add(egui::Slider::new(&mut changed.rain_hours, 0.0..=duration).text(tr("rain_duration", l)).suffix(" h"));
            ui.add(egui::Slider::new(&mut changed.inflow_scale, 0.0..=3.0).text(tr("inflow_scale", l)).suffix("×"));
            ui.horizontal(|ui| {
                let at_cursor = cursor.0.as_ref().map(|r| scene.0.frame.geodetic_to_enu(r.geodetic));
                if ui
                    .add_enabled(at_cursor.is_some(), egui::Button::new(tr("breach_here", l)))
                    .on_hover_text(tr("breach_hint", l))
                    .clicked()
                    && let Some(p) = at_cursor
                {
                    changed.breach = Some([p[0], p[1]]);
                }
                if changed.breach.is_some() && ui.button(tr("breach_clear", l)).clicked() {
                    changed.breach = None;
                }
            });
            if let Some([e, n]) = changed.breach {
                ui.small(format!("{}: E {e:.0} m, N {n:.0} m", tr("breach", l)));
                ui.add(egui::Slider::new(&mut changed.breach_width_m, 5.0..=200.0).text(tr("breach_width", l)).suffix(" m"));
                ui.add(egui::Slider::new(&mut changed.breach_level_m, -2.0..=10.0).text(tr("breach_level", l)).suffix(" m"));
            }
            ui.separator();
            match (&runner, run.control.clone()) {
                (None, _) => {
                    ui.small(tr("run_native_only", l));
                }
                (Some(_), Some(control)) if run.is_running() => {
                    ui.add(egui::ProgressBar::new(control.progress()).show_percentage());
                    ui.horizontal(|ui| {
                        let paused = control.is_paused();
                        if ui.button(if paused { tr("resume", l) } else { tr("pause", l) }).clicked() {
                            control.set_paused(!paused);
                        }
                        if ui.button(tr("cancel", l)).clicked() {
                            control.cancel();
                        }
                    });
                }
                (Some(_), _) => {
                    if ui.button(tr("run_flood", l)).clicked() {
                        run.requested = true;
                    }
                }
            }
            match &run.outcome {
                Some(Ok(report)) => {
                    ui.small(report.lines().next().unwrap_or_default());
                    if let Some(dir) = &run.out_dir {
                        results_links(ui, dir, l);
                    }
                }
                Some(Err(why)) => {
                    ui.colored_label(egui::Color32::LIGHT_RED, why);
                }
                None => {}
            }
            if !places.0.is_empty() {
                ui.separator();
                ui.strong(tr("places_under_water", l));
                egui::Grid::new("places").num_columns(3).striped(true).show(ui, |ui| {
                    for p in &places.0 {
                        ui.label(p.name.get(l));
                        if p.max_depth_m > 0.1 {
                            ui.monospace(format!("{:.2} m", p.max_depth_m));
                            ui.monospace(p.arrival_h.map(|h| format!("{} {h:.1} h", tr("after", l))).unwrap_or_default());
                        } else {
                            ui.label(tr("stays_dry", l));
                            ui.label("");
                        }
                        ui.end_row();
                    }
                });
            }
            if let Some(i) = impact_list(ui, &impact, l) {
                impact.selected = (impact.selected != Some(i)).then_some(i);
                if let Some(row) = impact.rows.get(i).filter(|_| impact.selected.is_some()) {
                    // Looking down at it from the south-south-west, 150 m off.
                    let [e, n] = row.centre();
                    let z = row.level.unwrap_or(0.0);
                    fly.write(sontinh_camera::FlyTo { eye: [e - 40.0, n - 110.0, z + 100.0], target: [e, n, z], fov: None });
                }
            }
        });
    if changed != *edits {
        *edits = changed;
    }
    Ok(())
}

/// Most features listed per area.
const IMPACT_ROWS_SHOWN: usize = 100;

/// The buildings and road segments reached, per area: the one clicked.
fn impact_list(ui: &mut egui::Ui, impact: &FloodImpact, l: crate::Lang) -> Option<usize> {
    if impact.rows.is_empty() {
        return None;
    }
    ui.separator();
    let count = |kind: &str| impact.rows.iter().filter(|r| r.kind == kind).count();
    ui.strong(tr("impact_reached", l));
    ui.small(format!("{} {}, {} {}", count("building"), tr("impact_buildings", l), count("road"), tr("impact_roads", l)))
        .on_hover_text(tr("impact_hint", l));
    let mut clicked = None;
    egui::ScrollArea::vertical().id_salt("impact-list").max_height(240.0).show(ui, |ui| {
        for (area, rows) in impact.by_area() {
            let buildings = rows.iter().filter(|&&i| impact.rows[i].kind == "building").count();
            let title = format!("{} — {buildings} {}, {} {}", area.unwrap_or(tr("impact_no_area", l)), tr("impact_buildings", l), rows.len() - buildings, tr("impact_roads", l));
            egui::CollapsingHeader::new(title).id_salt(("impact-area", area)).default_open(true).show(ui, |ui| {
                egui::Grid::new(("impact-rows", area)).num_columns(3).striped(true).show(ui, |ui| {
                    // The deepest first; a district's thousands would slow every frame.
                    for &i in rows.iter().take(IMPACT_ROWS_SHOWN) {
                        let row = &impact.rows[i];
                        // Signs the panels' font (DejaVu) has.
                        let icon = if row.kind == "road" { "━" } else { "⌂" };
                        if ui.selectable_label(impact.selected == Some(i), format!("{icon} {}", row.label())).clicked() {
                            clicked = Some(i);
                        }
                        ui.monospace(format!("{:.2} m", row.max_depth_m));
                        ui.monospace(row.arrival_h.map(|h| format!("{} {h:.1} h", tr("after", l))).unwrap_or_default());
                        ui.end_row();
                    }
                });
                if rows.len() > IMPACT_ROWS_SHOWN {
                    ui.small(format!("+ {} {}", rows.len() - IMPACT_ROWS_SHOWN, tr("impact_more", l)));
                }
            });
        }
    });
    clicked
}

/// Where a run's files are: a folder on disk natively; in the browser the
/// page keeps them, and offers each as a download (GeoTIFF, GeoJSON, CSV).
fn results_links(ui: &mut egui::Ui, dir: &std::path::Path, l: crate::Lang) {
    if sontinh_layers::memory_file(&dir.join("summary.json")).is_none() {
        ui.small(format!("{}: {}", tr("results_folder", l), dir.display()));
        return;
    }
    ui.label(tr("download_results", l));
    ui.horizontal_wrapped(|ui| {
        // The impact files exist only when the scenario asks for its impact.
        for (name, _) in DOWNLOADS.iter().filter(|(name, _)| sontinh_layers::memory_file(&dir.join(name)).is_some()) {
            if ui.small_button(*name).clicked()
                && let Err(why) = download_result(dir, name)
            {
                warn!("{why}");
            }
        }
    });
}
