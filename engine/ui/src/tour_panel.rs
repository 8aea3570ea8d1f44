//! The tour player for tourists: controls (previous, play/pause, next, stop),
//! progress, captions, autoplay, reduced motion, volume and language; the
//! stop's narration text; hotspot markers on the twin, the list of the view's
//! hotspots (reachable with Tab and Enter) and the article of the one opened.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_layers::ActiveScene;
use sontinh_scene::Lang;
use sontinh_tour_view::{HotspotMarkers, OpenArticle, TourAction, TourNow, TourSettings};

use crate::markdown_view::{self, ArticleImages};
use crate::{UiLang, tr};

/// The tour's language is the interface's.
pub fn follow_language(lang: Res<UiLang>, mut settings: ResMut<TourSettings>) {
    if settings.lang != lang.0 {
        settings.lang = lang.0;
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are what it reads
pub fn draw_tour_player(
    mut contexts: EguiContexts,
    scene: Option<Res<ActiveScene>>,
    now: Res<TourNow>,
    mut settings: ResMut<TourSettings>,
    mut lang: ResMut<UiLang>,
    mut actions: MessageWriter<TourAction>,
    images: Res<ArticleImages>,
) -> Result {
    let (Some(scene), Some((tour_index, _))) = (scene, now.tour.clone()) else {
        return Ok(());
    };
    let Some(tour) = scene.0.tours.get(tour_index) else { return Ok(()) };
    let l = lang.0;
    let stop = tour.stops.get(now.stop);
    let ctx = contexts.ctx_mut()?.clone();
    if let Some(caption) = &now.caption {
        // Captions sit over the view, above the player, large and on a dark band.
        egui::Area::new(egui::Id::new("sontinh-captions"))
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -150.0))
            .interactable(false)
            .show(&ctx, |ui| {
                egui::Frame::new()
                    .fill(egui::Color32::from_black_alpha(190))
                    .inner_margin(egui::Margin::symmetric(14, 8))
                    .corner_radius(6.0)
                    .show(ui, |ui| {
                        // Wrapped within the screen, a phone's too.
                        ui.set_max_width((ctx.content_rect().width() - 40.0).clamp(120.0, 640.0));
                        ui.label(egui::RichText::new(caption).size(20.0).color(egui::Color32::WHITE));
                    });
            });
    }
    egui::Window::new(tr("tour_player", l))
        .id(egui::Id::new("sontinh-tour-player"))
        .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -8.0))
        .resizable(false)
        .collapsible(true)
        .default_width(460.0)
        .show(&ctx, |ui| {
            ui.strong(tour.name.get(l));
            let title = stop.and_then(|s| s.title.as_ref()).map(|t| t.get(l).to_owned());
            ui.label(format!(
                "{} {} / {}{}",
                tr("tour_stop_number", l),
                now.stop + 1,
                now.stops,
                title.map(|t| format!(" — {t}")).unwrap_or_default()
            ));
            ui.add(
                egui::ProgressBar::new((now.stop as f32 + if now.arrived { 0.5 } else { 0.0 }) / now.stops.max(1) as f32)
                    .desired_height(6.0),
            );
            ui.horizontal(|ui| {
                if ui.button(tr("tour_previous", l)).clicked() {
                    actions.write(TourAction::Previous);
                }
                let (label, action) = if now.playing {
                    ("tour_pause", TourAction::Pause)
                } else {
                    ("tour_play", TourAction::Play)
                };
                if ui.button(tr(label, l)).clicked() {
                    actions.write(action);
                }
                if ui.button(tr("tour_next", l)).clicked() {
                    actions.write(TourAction::Next);
                }
                if ui.button(tr("tour_stop", l)).clicked() {
                    actions.write(TourAction::Stop);
                }
                ui.separator();
                for (value, name) in [(Lang::Vi, "VI"), (Lang::En, "EN")] {
                    if ui.selectable_label(lang.0 == value, name).clicked() {
                        lang.0 = value;
                    }
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(&mut settings.captions, tr("tour_captions", l));
                ui.checkbox(&mut settings.autoplay, tr("tour_autoplay", l));
                ui.checkbox(&mut settings.reduced_motion, tr("tour_reduced_motion", l));
            });
            ui.add(egui::Slider::new(&mut settings.volume, 0.0..=1.0).text(tr("tour_volume", l)));
            for problem in &now.problems {
                ui.colored_label(egui::Color32::from_rgb(240, 150, 90), problem);
            }
            if let Some(stop) = stop {
                egui::CollapsingHeader::new(tr("tour_narration", l))
                    .id_salt("sontinh-tour-narration")
                    .default_open(!settings.captions)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical().max_height(160.0).show(ui, |ui| {
                            markdown_view::show(ui, &mut contexts, &images, &scene.0.source, stop.text.get(l));
                        });
                    });
            }
        });
    Ok(())
}

/// Markers readable at any distance (a fixed size on the screen), dimmed
/// when the scene stands in front of them; a click opens the article.
#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are what it reads
pub fn draw_hotspots(
    mut contexts: EguiContexts,
    scene: Option<Res<ActiveScene>>,
    markers: Res<HotspotMarkers>,
    lang: Res<UiLang>,
    mut open: ResMut<OpenArticle>,
    mut images: ResMut<ArticleImages>,
    mut image_assets: ResMut<Assets<Image>>,
    mut fly: MessageWriter<sontinh_camera::FlyTo>,
    mut actions: MessageWriter<TourAction>,
) -> Result {
    let Some(scene) = scene else { return Ok(()) };
    let scene = &scene.0;
    if scene.hotspots.is_empty() {
        return Ok(());
    }
    let l = lang.0;
    let ctx = contexts.ctx_mut()?.clone();
    for marker in &markers.0 {
        let Some(h) = scene.hotspots.get(marker.index) else { continue };
        let alpha = if marker.occluded { 0.4 } else { 1.0 };
        egui::Area::new(egui::Id::new(("sontinh-hotspot", marker.index)))
            .fixed_pos(egui::pos2(marker.screen.x - 9.0, marker.screen.y - 9.0))
            .order(egui::Order::Background)
            .show(&ctx, |ui| {
                ui.set_opacity(alpha);
                let pin = egui::Button::new(egui::RichText::new(format!("● {}", h.title.get(l))).color(egui::Color32::WHITE))
                    .fill(egui::Color32::from_rgba_unmultiplied(150, 40, 30, 220))
                    .corner_radius(9.0);
                if ui.add(pin).on_hover_text(tr("hotspot_open", l)).clicked() {
                    open.0 = Some(marker.index);
                }
            });
    }
    // Every hotspot of the view in a list: Tab reaches each, Enter opens it.
    egui::Window::new(tr("hotspots", l))
        .id(egui::Id::new("sontinh-hotspot-list"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -8.0))
        .default_open(false)
        .resizable(false)
        .show(&ctx, |ui| {
            for marker in &markers.0 {
                if let Some(h) = scene.hotspots.get(marker.index)
                    && ui.button(h.title.get(l)).clicked()
                {
                    open.0 = Some(marker.index);
                }
            }
        });
    let Some(index) = open.0 else { return Ok(()) };
    let Some(h) = scene.hotspots.get(index) else {
        open.0 = None;
        return Ok(());
    };
    if let Ok(md) = sontinh_scene::markdown::parse_markdown(h.article.get(l)) {
        images.fetch(&scene.source, &md, &mut image_assets);
    }
    let mut still_open = true;
    egui::Window::new(h.title.get(l))
        .id(egui::Id::new("sontinh-article"))
        .open(&mut still_open)
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-8.0, 60.0))
        .default_width(360.0)
        .show(&ctx, |ui| {
            egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
                markdown_view::show(ui, &mut contexts, &images, &scene.source, h.article.get(l));
            });
            if let Some(b) = h.bookmark.and_then(|b| scene.bookmarks.get(b))
                && ui.button(format!("{} {}", tr("hotspot_fly", l), b.name.get(l))).clicked()
            {
                actions.write(TourAction::Pause);
                fly.write(crate::fly_to_bookmark(b));
            }
        });
    if !still_open {
        open.0 = None;
    }
    Ok(())
}
