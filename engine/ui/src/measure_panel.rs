//! The measuring window: tools, the figures of the measurement being
//! placed, its editing buttons, a profile's chart, the kept measurements and
//! their exports. Every button sends a `MeasureAction`; the page's API
//! sends the same ones.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_measure::{Figures, ProfileSample};
use sontinh_measure_view::{FileOutcome, MeasureAction, MeasureLanguage, Measuring, VolumeChoice};
use sontinh_scene::{Lang, MeasureTool, Text};

use crate::measure_text::{Systems, figure_lines, headline, tool_name};
use crate::{UiLang, tr};

/// What the window keeps between frames: the name typed for the next kept
/// measurement, whether it is open.
#[derive(Default)]
pub struct MeasureWindow {
    name_vi: String,
    name_en: String,
    level: f64,
}

/// Layer lines of a profile chart.
const CHART_COLOURS: [egui::Color32; 6] = [
    egui::Color32::from_rgb(230, 190, 60),
    egui::Color32::from_rgb(90, 200, 250),
    egui::Color32::from_rgb(240, 110, 90),
    egui::Color32::from_rgb(140, 220, 120),
    egui::Color32::from_rgb(200, 140, 240),
    egui::Color32::from_rgb(240, 240, 240),
];

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are what it reads
pub fn draw_measure_panel(
    mut contexts: EguiContexts,
    lang: Res<UiLang>,
    measuring: Option<Res<Measuring>>,
    outcome: Option<Res<FileOutcome>>,
    mut actions: MessageWriter<MeasureAction>,
    mut window: Local<MeasureWindow>,
    systems: Local<Systems>,
    water: Query<(), With<sontinh_flood_view::FloodOverlay>>,
    mut measure_lang: Option<ResMut<MeasureLanguage>>,
    (mut section, mut fly): (Option<ResMut<sontinh_layers::Section>>, MessageWriter<sontinh_camera::FlyTo>),
) -> Result {
    let Some(measuring) = measuring else { return Ok(()) };
    let l = lang.0;
    if let Some(ml) = measure_lang.as_mut()
        && ml.0 != l
    {
        ml.0 = l;
    }
    let ctx = contexts.ctx_mut()?;
    let mut send = |a: MeasureAction| {
        actions.write(a);
    };
    egui::Window::new(tr("measure", l))
        .id(egui::Id::new("sontinh-measure"))
        .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(8.0, -8.0))
        .default_width(300.0)
        .default_open(measuring.editor.is_some() || !measuring.kept.is_empty())
        .show(ctx, |ui| {
            ui.horizontal_wrapped(|ui| {
                for tool in MeasureTool::ALL {
                    if ui.selectable_label(measuring.tool() == Some(tool), tool_name(tool, l)).clicked() {
                        send(MeasureAction::Start(tool));
                    }
                }
            });
            if let Some(editor) = &measuring.editor {
                ui.separator();
                ui.small(tr("measure_help", l));
                let needed = editor.tool().min_points();
                ui.label(format!("{}: {} / {}{}", tr("measure_points", l), editor.points().len(), needed, if editor.tool().max_points().is_none() { "+" } else { "" }));
                if let Some(refused) = &measuring.refused {
                    ui.colored_label(egui::Color32::from_rgb(240, 150, 90), refused);
                }
                if editor.tool() == MeasureTool::Volume {
                    volume_reference(ui, &measuring, &mut window, !water.is_empty(), l, &mut send);
                }
                match &measuring.figures {
                    Some(Ok(figures)) => {
                        for line in figure_lines(figures, l, &systems) {
                            ui.monospace(line);
                        }
                        if let Figures::Profile { layers, samples, .. } = figures {
                            profile_chart(ui, layers, samples, l);
                            if ui.button(tr("measure_profile_csv", l)).clicked() {
                                send(MeasureAction::ExportProfileCsv);
                            }
                        }
                    }
                    Some(Err(e)) => {
                        ui.colored_label(egui::Color32::from_rgb(240, 150, 90), e);
                    }
                    None => {}
                }
                ui.horizontal_wrapped(|ui| {
                    if ui.add_enabled(editor.can_undo(), egui::Button::new(tr("measure_undo", l))).clicked() {
                        send(MeasureAction::Undo);
                    }
                    if ui.add_enabled(editor.can_redo(), egui::Button::new(tr("measure_redo", l))).clicked() {
                        send(MeasureAction::Redo);
                    }
                    if ui.add_enabled(!editor.points().is_empty(), egui::Button::new(tr("measure_remove_vertex", l))).clicked() {
                        send(MeasureAction::RemoveVertex);
                    }
                    if ui.add_enabled(!editor.points().is_empty(), egui::Button::new(tr("measure_clear", l))).clicked() {
                        send(MeasureAction::Clear);
                    }
                });
                if let Some(section) = section.as_mut() {
                    section_buttons(ui, editor.tool(), editor.points(), section, &mut fly, l);
                }
                ui.horizontal(|ui| {
                    ui.label("vi");
                    ui.add(egui::TextEdit::singleline(&mut window.name_vi).desired_width(90.0));
                    ui.label("en");
                    ui.add(egui::TextEdit::singleline(&mut window.name_en).desired_width(90.0));
                });
                ui.horizontal(|ui| {
                    if ui.add_enabled(editor.is_complete(), egui::Button::new(tr("measure_keep", l))).clicked() {
                        send(MeasureAction::Keep { name: Text { vi: std::mem::take(&mut window.name_vi), en: std::mem::take(&mut window.name_en) } });
                    }
                    if ui.button(tr("measure_cancel", l)).clicked() {
                        send(MeasureAction::Cancel);
                    }
                });
            }
            if !measuring.kept.is_empty() {
                ui.separator();
                ui.label(tr("measure_kept", l));
                for (i, kept) in measuring.kept.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let mut shown = measuring.shown.get(i).copied().unwrap_or(false);
                        if ui.checkbox(&mut shown, "").changed() {
                            send(MeasureAction::SetShown(i, shown));
                        }
                        let name = if l == Lang::Vi { &kept.name.vi } else { &kept.name.en };
                        let figure = measuring.kept_figures.get(i).and_then(Option::as_ref).map(|f| headline(f, l)).unwrap_or_default();
                        ui.label(format!("{name} · {} {figure}", tool_name(kept.tool, l)));
                        if ui.small_button("✏").on_hover_text(tr("measure_edit", l)).clicked() {
                            send(MeasureAction::Edit(i));
                        }
                        if ui.small_button("🗑").on_hover_text(tr("measure_forget", l)).clicked() {
                            send(MeasureAction::Forget(i));
                        }
                    });
                }
            }
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                if ui.button("GeoJSON").clicked() {
                    send(MeasureAction::ExportGeoJson);
                }
                if ui.button("CSV").clicked() {
                    send(MeasureAction::ExportCsv);
                }
                let save = if measuring.unsaved { format!("{} •", tr("measure_save_scene", l)) } else { tr("measure_save_scene", l).to_owned() };
                if ui.button(save).clicked() {
                    send(MeasureAction::SaveScene);
                }
            });
            match outcome.as_deref().and_then(|o| o.get()) {
                Some(Ok(path)) if path.is_empty() => {
                    ui.spinner();
                }
                Some(Ok(path)) => {
                    ui.small(format!("{} {path}", tr("measure_saved_to", l)));
                }
                Some(Err(e)) => {
                    ui.colored_label(egui::Color32::from_rgb(240, 150, 90), e);
                }
                None => {}
            }
        });
    Ok(())
}

/// Cuts from the measurement being placed: a box around it, a section along its line, no cut.
fn section_buttons(ui: &mut egui::Ui, tool: MeasureTool, points: &[[f64; 3]], section: &mut sontinh_layers::Section, fly: &mut MessageWriter<sontinh_camera::FlyTo>, l: Lang) {
    ui.horizontal_wrapped(|ui| {
        if ui.add_enabled(!points.is_empty(), egui::Button::new(tr("section_box", l))).clicked()
            && let Some(b) = sontinh_measure_view::section::box_around(points, sontinh_measure_view::section::BOX_MARGIN_M)
        {
            section.clip_box = Some(b);
        }
        let line = matches!(tool, MeasureTool::Distance | MeasureTool::Profile) && points.len() >= 2;
        if ui.add_enabled(line, egui::Button::new(tr("section_along", l))).clicked()
            && let (Some(a), Some(b)) = (points.first(), points.last())
            && let Some((clip, view)) = sontinh_measure_view::section::section_along(*a, *b, 1.0)
        {
            section.clip_box = Some(clip);
            fly.write(view);
        }
        // A floor plan: everything above the last point's height cut away.
        if ui.add_enabled(!points.is_empty(), egui::Button::new(tr("section_plan", l))).clicked()
            && let Some(p) = points.last()
        {
            section.planes = vec![sontinh_layers::ClipPlane { point: *p, normal: [0.0, 0.0, -1.0] }];
        }
        if !section.is_empty() && ui.button(tr("section_clear", l)).clicked() {
            *section = sontinh_layers::Section::default();
        }
    });
}

fn volume_reference(ui: &mut egui::Ui, measuring: &Measuring, window: &mut MeasureWindow, has_water: bool, l: Lang, send: &mut impl FnMut(MeasureAction)) {
    ui.horizontal_wrapped(|ui| {
        ui.label(tr("measure_against", l));
        if ui.selectable_label(measuring.reference == VolumeChoice::LowestVertex, tr("measure_lowest_vertex", l)).clicked() {
            send(MeasureAction::SetReference(VolumeChoice::LowestVertex));
        }
        let level_chosen = matches!(measuring.reference, VolumeChoice::Level(_));
        if ui.selectable_label(level_chosen, tr("measure_level", l)).clicked() {
            send(MeasureAction::SetReference(VolumeChoice::Level(window.level)));
        }
        if level_chosen && ui.add(egui::DragValue::new(&mut window.level).speed(0.1).suffix(" m")).changed() {
            send(MeasureAction::SetReference(VolumeChoice::Level(window.level)));
        }
        if has_water && ui.selectable_label(measuring.reference == VolumeChoice::FloodWater, tr("measure_flood_water", l)).clicked() {
            send(MeasureAction::SetReference(VolumeChoice::FloodWater));
        }
    });
}

/// Every layer's height along the line: distance across, height up, a
/// line a layer, with its name in the legend.
fn profile_chart(ui: &mut egui::Ui, layers: &[String], samples: &[ProfileSample], l: Lang) {
    let heights = samples.iter().flat_map(|s| s.heights.iter().flatten().copied());
    let (lo, hi) = heights.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), h| (lo.min(h), hi.max(h)));
    let length = samples.last().map_or(0.0, |s| s.distance_m);
    let desired = egui::vec2(ui.available_width().max(200.0), 140.0);
    let (rect, _) = ui.allocate_exact_size(desired, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, egui::Color32::from_rgba_unmultiplied(10, 14, 20, 220));
    if lo > hi || length <= 0.0 {
        painter.text(rect.center(), egui::Align2::CENTER_CENTER, tr("measure_no_surface", l), egui::FontId::proportional(12.0), egui::Color32::GRAY);
        return;
    }
    let pad = (hi - lo).max(1.0) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let plot = rect.shrink2(egui::vec2(6.0, 14.0));
    let at = |d: f64, h: f64| egui::pos2(plot.left() + (d / length) as f32 * plot.width(), plot.bottom() - ((h - lo) / (hi - lo)) as f32 * plot.height());
    for (k, name) in layers.iter().enumerate() {
        let colour = CHART_COLOURS[k % CHART_COLOURS.len()];
        // A layer's line breaks where it has no height.
        let mut run: Vec<egui::Pos2> = Vec::new();
        for s in samples {
            match s.heights.get(k).copied().flatten() {
                Some(h) => run.push(at(s.distance_m, h)),
                None => {
                    if run.len() > 1 {
                        painter.add(egui::Shape::line(std::mem::take(&mut run), egui::Stroke::new(1.5, colour)));
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            painter.add(egui::Shape::line(run, egui::Stroke::new(1.5, colour)));
        }
        painter.text(egui::pos2(rect.left() + 6.0, rect.top() + 2.0 + 12.0 * k as f32), egui::Align2::LEFT_TOP, name, egui::FontId::proportional(11.0), colour);
    }
    let small = egui::FontId::proportional(10.0);
    painter.text(rect.right_top() + egui::vec2(-4.0, 2.0), egui::Align2::RIGHT_TOP, format!("{hi:.1} m"), small.clone(), egui::Color32::GRAY);
    painter.text(rect.right_bottom() + egui::vec2(-4.0, -2.0), egui::Align2::RIGHT_BOTTOM, format!("{lo:.1} m · {}", crate::measure_text::length(length)), small, egui::Color32::GRAY);
}
