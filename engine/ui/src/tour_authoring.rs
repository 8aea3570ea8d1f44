//! The curators' tour authoring window ("Soạn tour / Edit tour", Operator
//! and Planner modes): the camera's view captured as a new stop, a hotspot
//! placed at a picked point, stops' and hotspots' texts edited in both
//! languages (Markdown checked before anything is kept), stops moved and
//! removed, and the whole saved into the scene file with its comments kept
//! (`sontinh_scene::add_stop` and its siblings). Natively the file is
//! rewritten (checked first) and the scene in memory replaced, so the tour
//! plays what was saved; in the browser the file is downloaded and the page's
//! scene replaced the same way.
//!
//! Edits are kept as a list and replayed on the file as it is when saving,
//! so a save of the measuring window in between is not overwritten.

mod edits;

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use bevy_egui::{EguiContexts, egui};
use sontinh_camera::{CameraRig, PointerCaptured};
use sontinh_geo::EnuFrame;
use sontinh_layers::{ActiveScene, FloatingOrigin};
use sontinh_scene::{Coords, HotspotDraft, Lang, Scene, StopDraft, Text, View};

use crate::{CursorReadout, UiLang, UserMode, tr};
use edits::{AnyPath, TourEdit, camera_view, save};

/// Texts of the two languages being typed.
#[derive(Default, Clone)]
struct TwoTexts {
    vi: String,
    en: String,
}

impl TwoTexts {
    fn of(t: &Text) -> Self {
        TwoTexts {
            vi: t.vi.clone(),
            en: t.en.clone(),
        }
    }
    fn text(&self) -> Text {
        Text {
            vi: self.vi.clone(),
            en: self.en.clone(),
        }
    }
    fn is_empty(&self) -> bool {
        self.vi.trim().is_empty() && self.en.trim().is_empty()
    }
}

/// What the window keeps between frames.
#[derive(Default)]
pub struct Authoring {
    /// The scene file this state belongs to.
    source: Option<PathBuf>,
    loading: Option<Task<Result<String, String>>>,
    /// The file as read, the edits made since, and the two together.
    base: Option<String>,
    edits: Vec<TourEdit>,
    working: Option<(String, Scene)>,
    tour: usize,
    /// The stop being edited; `None`: a new stop is being written.
    stop: Option<usize>,
    title: TwoTexts,
    body: TwoTexts,
    narrated: bool,
    /// The hotspot being edited; `None`: a new one.
    hotspot: Option<String>,
    hotspot_id: String,
    hotspot_title: TwoTexts,
    article: TwoTexts,
    picking: bool,
    picked: Option<[f64; 3]>,
    show_at_stop: bool,
    lonlat: bool,
    message: Option<Result<String, String>>,
}

impl Authoring {
    fn coords(&self) -> Coords {
        if self.lonlat { Coords::Wgs84 } else { Coords::Local }
    }

    /// Makes `edit` on the working copy, or says why not (nothing kept then).
    fn edit(&mut self, edit: TourEdit, frame: &EnuFrame) -> bool {
        let Some((text, _)) = &self.working else { return false };
        let result = edit.apply(text, frame).map_err(|e| e.to_string()).and_then(|t| {
            let path = self.source.clone().unwrap_or_default();
            let scene = sontinh_scene::parse(&t, &path, &AnyPath).map_err(|e| e.to_string())?;
            Ok((t, scene))
        });
        match result {
            Ok(working) => {
                self.working = Some(working);
                self.edits.push(edit);
                self.message = None;
                true
            }
            Err(why) => {
                self.message = Some(Err(why));
                false
            }
        }
    }

    fn select_stop(&mut self, scene: &Scene, stop: Option<usize>) {
        self.stop = stop;
        let s = stop.and_then(|i| scene.tours.get(self.tour)?.stops.get(i));
        self.title = s.and_then(|s| s.title.as_ref()).map(TwoTexts::of).unwrap_or_default();
        self.body = s.map(|s| TwoTexts::of(&s.text)).unwrap_or_default();
        self.narrated = s.is_some_and(|s| s.narration.is_some());
    }

    fn select_hotspot(&mut self, scene: &Scene, id: Option<String>) {
        let h = id.as_ref().and_then(|id| scene.hotspots.iter().find(|h| &h.id == id));
        self.hotspot_title = h.map(|h| TwoTexts::of(&h.title)).unwrap_or_default();
        self.article = h.map(|h| TwoTexts::of(&h.article)).unwrap_or_default();
        self.hotspot_id = id.clone().unwrap_or_default();
        self.hotspot = id;
    }
}

fn red(ui: &mut egui::Ui, text: impl Into<String>) {
    ui.colored_label(egui::Color32::from_rgb(240, 150, 90), text.into());
}

fn two_lines(ui: &mut egui::Ui, label: &str, t: &mut TwoTexts) {
    ui.label(label);
    ui.horizontal(|ui| {
        ui.label("vi");
        ui.add(egui::TextEdit::singleline(&mut t.vi).desired_width(130.0));
        ui.label("en");
        ui.add(egui::TextEdit::singleline(&mut t.en).desired_width(130.0));
    });
}

fn two_boxes(ui: &mut egui::Ui, label: &str, t: &mut TwoTexts) {
    ui.label(label);
    for (lang, value) in [("vi", &mut t.vi), ("en", &mut t.en)] {
        ui.horizontal_top(|ui| {
            ui.label(lang);
            ui.add(egui::TextEdit::multiline(value).desired_rows(3).desired_width(290.0));
        });
    }
}

/// Keeps the working copy on the scene shown: read once per scene file.
fn follow_scene(a: &mut Authoring, scene: &Scene) {
    if a.source.as_ref() != Some(&scene.source) {
        *a = Authoring {
            source: Some(scene.source.clone()),
            lonlat: a.lonlat,
            ..Authoring::default()
        };
        let path = scene.source.clone();
        a.loading = Some(AsyncComputeTaskPool::get().spawn(async move {
            let bytes = sontinh_layers::file_bytes(&path).await?;
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))
        }));
    }
    if let Some(task) = a.loading.as_mut()
        && let Some(result) = check_ready(task)
    {
        a.loading = None;
        match result {
            Ok(text) => {
                a.working = Some((text.clone(), scene.clone()));
                a.base = Some(text);
            }
            Err(why) => a.message = Some(Err(why)),
        }
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are what it reads
pub fn draw_tour_authoring(
    mut contexts: EguiContexts,
    lang: Res<UiLang>,
    mode: Res<UserMode>,
    mut scene: Option<ResMut<ActiveScene>>,
    cameras: Query<(&CameraRig, &Projection)>,
    origin: Res<FloatingOrigin>,
    (cursor, captured, mouse): (Res<CursorReadout>, Res<PointerCaptured>, Option<Res<ButtonInput<MouseButton>>>),
    now: Option<Res<sontinh_tour_view::TourNow>>,
    measuring: Option<Res<sontinh_measure_view::Measuring>>,
    mut a: Local<Authoring>,
) -> Result {
    if *mode == UserMode::Tourist {
        return Ok(());
    }
    let Some(active) = scene.as_mut() else { return Ok(()) };
    let frame = active.0.frame;
    follow_scene(&mut a, &active.0);
    // A pick waits for a click on the view (not on a window).
    if a.picking
        && !captured.0
        && mouse.is_some_and(|m| m.just_pressed(MouseButton::Left))
        && let Some(r) = cursor.0.as_ref()
    {
        a.picked = Some(frame.geodetic_to_enu(r.geodetic));
        a.picking = false;
    }
    let l = lang.0;
    let view = cameras.iter().next().map(|(rig, p)| camera_view(rig, p, &origin));
    let playing = now.and_then(|n| n.tour.as_ref().map(|(t, _)| (*t, n.stop)));
    let unsaved_measurements = measuring.is_some_and(|m| m.unsaved);
    let ctx = contexts.ctx_mut()?;
    let mut saved: Option<(String, Scene)> = None;
    // Movable, first on the right under the site's information: the lower
    // right corner is the planner's and the hotspots' list's.
    let right = ctx.content_rect().right();
    egui::Window::new(tr("tour_edit", l))
        .id(egui::Id::new("sontinh-tour-authoring"))
        .pivot(egui::Align2::RIGHT_TOP)
        .default_pos([right - 8.0, 290.0])
        .default_open(false)
        .default_width(340.0)
        .vscroll(true)
        .show(ctx, |ui| {
            let Some((_, working)) = a.working.clone() else {
                match &a.message {
                    Some(Err(why)) => red(ui, why),
                    _ => {
                        ui.label(tr("tour_edit_loading", l));
                    }
                }
                return;
            };
            if working.tours.is_empty() {
                ui.label(tr("tour_edit_no_tour", l));
                return;
            }
            a.tour = a.tour.min(working.tours.len() - 1);
            let tour_id = working.tours[a.tour].id.clone();
            egui::ComboBox::from_label(tr("tours", l))
                .selected_text(working.tours[a.tour].name.get(l))
                .show_ui(ui, |ui| {
                    for (i, t) in working.tours.iter().enumerate() {
                        if ui.selectable_label(a.tour == i, t.name.get(l)).clicked() {
                            a.tour = i;
                            a.select_stop(&working, None);
                        }
                    }
                });
            stops_list(ui, &mut a, &working, &tour_id, &frame, l);
            stop_form(ui, &mut a, &working, &tour_id, view, playing, &frame, l);
            ui.separator();
            hotspot_form(ui, &mut a, &working, &tour_id, &frame, l);
            ui.separator();
            ui.checkbox(&mut a.lonlat, tr("tour_edit_lonlat", l));
            ui.horizontal_wrapped(|ui| {
                let pending = !a.edits.is_empty();
                let label = if pending {
                    format!("{} •", tr("tour_edit_save", l))
                } else {
                    tr("tour_edit_save", l).to_owned()
                };
                if ui.add_enabled(pending && !unsaved_measurements, egui::Button::new(label)).clicked()
                    && let (Some(source), Some(base)) = (a.source.clone(), a.base.clone())
                {
                    match save(&source, &base, &a.edits, &frame) {
                        Ok((where_, text, scene)) => {
                            saved = Some((text, scene));
                            a.message = Some(Ok(format!("{} {where_}", tr("tour_edit_saved", l))));
                        }
                        Err(why) => a.message = Some(Err(why)),
                    }
                }
                if ui.add_enabled(pending, egui::Button::new(tr("tour_edit_discard", l))).clicked() {
                    a.edits.clear();
                    a.working = a.base.clone().map(|t| (t, active.0.as_ref().clone()));
                    a.select_stop(&active.0, None);
                }
            });
            if unsaved_measurements && !a.edits.is_empty() {
                red(ui, tr("tour_edit_unsaved_measurements", l));
            }
            match &a.message {
                Some(Ok(text)) => {
                    ui.small(text);
                }
                Some(Err(why)) => red(ui, why),
                None => {}
            }
        });
    if let Some((text, scene)) = saved {
        // The file now holds what was edited: it is the base from here on.
        a.edits.clear();
        a.working = Some((text.clone(), scene.clone()));
        a.base = Some(text);
        let scene = Arc::new(scene);
        // Only the tours and hotspots changed: the layers, flood scenarios
        // and feeds are the same, so the scene's change is not announced (the
        // planner's flood edits would start over); the tour player and the
        // panels read the scene each frame and play the new stops.
        active.bypass_change_detection().0 = scene;
    }
    Ok(())
}

fn stops_list(ui: &mut egui::Ui, a: &mut Authoring, scene: &Scene, tour_id: &str, frame: &EnuFrame, l: Lang) {
    let stops = &scene.tours[a.tour].stops;
    ui.label(tr("tour_edit_stops", l));
    let mut edit = None;
    for (i, stop) in stops.iter().enumerate() {
        ui.horizontal(|ui| {
            let title = stop
                .title
                .as_ref()
                .map(|t| t.get(l).to_owned())
                .unwrap_or_else(|| stop.text.get(l).chars().take(32).collect());
            if ui.selectable_label(a.stop == Some(i), format!("{}. {title}", i + 1)).clicked() {
                a.select_stop(scene, Some(i));
            }
            if ui
                .add_enabled(i > 0, egui::Button::new("▲").small())
                .on_hover_text(tr("tour_edit_up", l))
                .clicked()
            {
                edit = Some(TourEdit::MoveStop {
                    tour: tour_id.to_owned(),
                    from: i,
                    to: i - 1,
                });
            }
            if ui
                .add_enabled(i + 1 < stops.len(), egui::Button::new("▼").small())
                .on_hover_text(tr("tour_edit_down", l))
                .clicked()
            {
                edit = Some(TourEdit::MoveStop {
                    tour: tour_id.to_owned(),
                    from: i,
                    to: i + 1,
                });
            }
            if ui
                .add_enabled(stops.len() > 1, egui::Button::new("✕").small())
                .on_hover_text(tr("tour_edit_remove", l))
                .clicked()
            {
                edit = Some(TourEdit::RemoveStop {
                    tour: tour_id.to_owned(),
                    index: i,
                });
            }
        });
    }
    if let Some(edit) = edit {
        let follow = match &edit {
            TourEdit::MoveStop { to, .. } => Some(*to),
            _ => None,
        };
        if a.edit(edit, frame)
            && let Some((_, working)) = a.working.clone()
        {
            a.select_stop(&working, follow);
        }
    }
    if ui.selectable_label(a.stop.is_none(), tr("tour_edit_new_stop", l)).clicked() {
        a.select_stop(scene, None);
    }
}

#[allow(clippy::too_many_arguments)] // the window's parts share its state
fn stop_form(
    ui: &mut egui::Ui,
    a: &mut Authoring,
    scene: &Scene,
    tour_id: &str,
    view: Option<View>,
    playing: Option<(usize, usize)>,
    frame: &EnuFrame,
    l: Lang,
) {
    ui.separator();
    two_lines(ui, tr("tour_edit_title", l), &mut a.title);
    two_boxes(ui, tr("tour_edit_text", l), &mut a.body);
    if a.narrated {
        ui.small(tr("tour_edit_narrated", l));
    }
    let title = (!a.title.is_empty()).then(|| a.title.text());
    let stops = scene.tours[a.tour].stops.len();
    match a.stop {
        Some(index) => {
            if ui.button(tr("tour_edit_apply", l)).clicked() {
                let edit = TourEdit::StopTexts {
                    tour: tour_id.to_owned(),
                    index,
                    title,
                    text: a.body.text(),
                };
                a.edit(edit, frame);
            }
        }
        None => {
            // "After the current stop": the one the player is at, else the one last selected.
            let current = playing.filter(|(t, _)| *t == a.tour).map(|(_, s)| s);
            ui.horizontal_wrapped(|ui| {
                let Some(view) = view else { return };
                let draft = StopDraft {
                    view,
                    title,
                    text: a.body.text(),
                };
                let mut at = None;
                if ui.button(tr("tour_edit_capture_end", l)).clicked() {
                    at = Some(stops);
                }
                if let Some(current) = current
                    && ui.button(format!("{} {}", tr("tour_edit_capture_after", l), current + 1)).clicked()
                {
                    at = Some(current + 1);
                }
                if let Some(at) = at {
                    let edit = TourEdit::AddStop {
                        tour: tour_id.to_owned(),
                        at,
                        draft,
                        coords: a.coords(),
                    };
                    if a.edit(edit, frame)
                        && let Some((_, working)) = a.working.clone()
                    {
                        a.select_stop(&working, Some(at));
                    }
                }
            });
        }
    }
}

fn hotspot_form(ui: &mut egui::Ui, a: &mut Authoring, scene: &Scene, tour_id: &str, frame: &EnuFrame, l: Lang) {
    ui.label(tr("tour_edit_hotspot", l));
    let current = a.hotspot.clone();
    egui::ComboBox::from_id_salt("sontinh-tour-authoring-hotspot")
        .selected_text(current.clone().unwrap_or_else(|| tr("tour_edit_hotspot_new", l).to_owned()))
        .show_ui(ui, |ui| {
            if ui.selectable_label(current.is_none(), tr("tour_edit_hotspot_new", l)).clicked() {
                a.select_hotspot(scene, None);
            }
            for h in &scene.hotspots {
                if ui.selectable_label(current.as_deref() == Some(h.id.as_str()), &h.id).clicked() {
                    a.select_hotspot(scene, Some(h.id.clone()));
                }
            }
        });
    if current.is_none() {
        ui.horizontal(|ui| {
            ui.label(tr("tour_edit_id", l));
            ui.add(egui::TextEdit::singleline(&mut a.hotspot_id).desired_width(140.0));
        });
        ui.horizontal_wrapped(|ui| {
            let label = if a.picking {
                tr("tour_edit_picking", l)
            } else {
                tr("tour_edit_pick", l)
            };
            if ui.selectable_label(a.picking, label).clicked() {
                a.picking = !a.picking;
            }
            match a.picked {
                Some(p) => ui.monospace(format!("E {:.1} N {:.1} U {:.1}", p[0], p[1], p[2])),
                None => ui.small(tr("tour_edit_no_point", l)),
            };
        });
    }
    two_lines(ui, tr("tour_edit_title", l), &mut a.hotspot_title);
    two_boxes(ui, tr("tour_edit_article", l), &mut a.article);
    if let Some(stop) = a.stop {
        ui.checkbox(&mut a.show_at_stop, format!("{} {}", tr("tour_edit_show_at_stop", l), stop + 1));
    }
    let (title, article) = (a.hotspot_title.text(), a.article.text());
    match current {
        Some(id) => {
            if ui.button(tr("tour_edit_apply", l)).clicked() {
                a.edit(TourEdit::HotspotTexts { id, title, article }, frame);
            }
        }
        None => {
            let Some(enu) = a.picked else { return };
            if ui.button(tr("tour_edit_add_hotspot", l)).clicked() {
                let id = a.hotspot_id.trim().to_owned();
                let draft = HotspotDraft {
                    id: id.clone(),
                    enu,
                    title,
                    article,
                };
                if a.edit(TourEdit::AddHotspot { draft, coords: a.coords() }, frame) {
                    if let Some(index) = a.stop.filter(|_| a.show_at_stop) {
                        a.edit(
                            TourEdit::ShowHotspot {
                                tour: tour_id.to_owned(),
                                index,
                                id: id.clone(),
                            },
                            frame,
                        );
                    }
                    a.picked = None;
                    if let Some((_, working)) = a.working.clone() {
                        a.select_hotspot(&working, Some(id));
                    }
                }
            }
        }
    }
}
