//! Vector and city layers in the interface: feature labels on the twin
//! (placed clear of each other and of the panels), the picked feature's
//! attributes, and a filter by attribute per layer.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_camera::CameraRig;
use sontinh_feeds_view::labels::{LabelRequest, place_labels};
use sontinh_layers::{FloatingOrigin, LayerStates};
use sontinh_scene::{FeatureFilter, FilterTest};
use sontinh_vector_view::{PickedFeature, VectorAction, VectorLayers};

use crate::UiLang;
use crate::i18n::tr;

/// Labels considered per frame (the nearest), and drawn at most.
const MAX_LABEL_CANDIDATES: usize = 400;
const MAX_LABELS: usize = 60;

/// What the filter form holds for one layer.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct FilterForm {
    pub attribute: String,
    /// Values separated by commas, or a range `min..max` (either end may be empty).
    pub values: String,
}

/// The filter forms, by layer index.
#[derive(Resource, Default, Debug)]
pub struct VectorFilterForms(pub std::collections::HashMap<usize, FilterForm>);

/// A form as a filter: `a, b` is a list of values; `10..` / `..5` / `2..8`
/// a numeric range; empty values clear the filter.
pub fn filter_from_form(form: &FilterForm) -> Result<Option<FeatureFilter>, String> {
    let attribute = form.attribute.trim();
    let values = form.values.trim();
    if values.is_empty() {
        return Ok(None);
    }
    if attribute.is_empty() {
        return Err("attribute".into());
    }
    let test = if let Some((lo, hi)) = values.split_once("..") {
        let number = |s: &str| -> Result<Option<f64>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| s.to_owned())
        };
        let (min, max) = (number(lo)?, number(hi)?);
        if min.is_none() && max.is_none() {
            return Err(values.to_owned());
        }
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            return Err(values.to_owned());
        }
        FilterTest::Range { min, max }
    } else {
        FilterTest::OneOf(values.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
    };
    Ok(Some(FeatureFilter {
        attribute: attribute.to_owned(),
        test,
    }))
}

/// A filter written back into the form's words.
pub fn form_from_filter(filter: Option<&FeatureFilter>) -> FilterForm {
    let Some(f) = filter else { return FilterForm::default() };
    let values = match &f.test {
        FilterTest::OneOf(v) => v.join(", "),
        FilterTest::Range { min, max } => format!(
            "{}..{}",
            min.map(|v| v.to_string()).unwrap_or_default(),
            max.map(|v| v.to_string()).unwrap_or_default()
        ),
    };
    FilterForm {
        attribute: f.attribute.clone(),
        values,
    }
}

pub fn draw_vector_labels(
    mut contexts: EguiContexts,
    layers: Res<VectorLayers>,
    states: Res<LayerStates>,
    lang: Res<UiLang>,
    origin: Res<FloatingOrigin>,
    cameras: Query<(&Camera, &GlobalTransform), With<CameraRig>>,
) -> Result {
    if layers.layers.iter().all(|l| l.labelled.is_empty()) {
        return Ok(());
    }
    let Ok((camera, eye)) = cameras.single() else { return Ok(()) };
    let Some(viewport) = camera.logical_viewport_size() else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let mut candidates: Vec<(egui::Pos2, f32, &str)> = Vec::new();
    for layer in &layers.layers {
        if !states.layers.get(layer.layer_index).is_some_and(|s| s.visible) {
            continue;
        }
        for f in layer.labelled.iter().filter_map(|&i| layer.built.features.get(i)) {
            let Some(label) = &f.label else { continue };
            let world = origin.to_world(f.anchor);
            let Ok(at) = camera.world_to_viewport(eye, world) else { continue };
            if at.x < 0.0 || at.y < 0.0 || at.x > viewport.x || at.y > viewport.y {
                continue;
            }
            candidates.push((egui::pos2(at.x, at.y), world.distance(eye.translation()), label.get(lang.0)));
        }
    }
    candidates.sort_by(|a, b| a.1.total_cmp(&b.1));
    candidates.truncate(MAX_LABEL_CANDIDATES);
    let painter = ctx.layer_painter(egui::LayerId::background());
    let font = egui::FontId::proportional(13.0);
    let mut galleys = Vec::with_capacity(candidates.len());
    let mut requests = Vec::with_capacity(candidates.len());
    for (k, (at, distance, text)) in candidates.iter().enumerate() {
        let galley = painter.layout_no_wrap((*text).to_owned(), font.clone(), egui::Color32::WHITE);
        let size = galley.size() + egui::vec2(8.0, 4.0);
        requests.push(LabelRequest {
            key: k,
            anchor: [at.x, at.y],
            size: [size.x, size.y],
            priority: 0,
            distance: *distance,
        });
        galleys.push(galley);
    }
    let panels = crate::device_labels::panel_rects(ctx);
    for placed in place_labels(&requests, [viewport.x, viewport.y], &panels, MAX_LABELS) {
        let at = candidates[placed.key].0;
        let rect = egui::Rect::from_min_size(egui::pos2(placed.min[0], placed.min[1]), egui::vec2(placed.size[0], placed.size[1]));
        if placed.moved {
            painter.line_segment([at, rect.center()], egui::Stroke::new(1.0, egui::Color32::from_white_alpha(150)));
        }
        painter.circle_filled(at, 2.5, egui::Color32::WHITE);
        painter.rect_filled(rect, 3.0, egui::Color32::from_rgba_unmultiplied(20, 24, 30, 190));
        painter.galley(rect.min + egui::vec2(4.0, 2.0), galleys[placed.key].clone(), egui::Color32::WHITE);
    }
    Ok(())
}

/// The picked feature's attributes, and the filters of the vector layers.
pub fn draw_feature_panel(
    mut contexts: EguiContexts,
    layers: Res<VectorLayers>,
    mut picked: ResMut<PickedFeature>,
    mut forms: ResMut<VectorFilterForms>,
    mut actions: MessageWriter<VectorAction>,
    lang: Res<UiLang>,
) -> Result {
    if layers.layers.is_empty() {
        return Ok(());
    }
    let l = lang.0;
    let ctx = contexts.ctx_mut()?;
    if let Some(p) = picked.0.clone() {
        let mut open = true;
        egui::Window::new(tr("feature_attributes", l))
            .id(egui::Id::new("feature-attributes"))
            .open(&mut open)
            .default_pos(egui::pos2(12.0, 360.0))
            .default_width(300.0)
            .show(ctx, |ui| {
                ui.label(egui::RichText::new(format!("{} · {}", p.layer_name.get(l), p.feature.kind)).strong());
                if let Some(label) = &p.feature.label {
                    ui.label(label.get(l));
                }
                egui::ScrollArea::vertical().max_height(280.0).show(ui, |ui| {
                    egui::Grid::new("feature-attribute-grid")
                        .striped(true)
                        .num_columns(2)
                        .show(ui, |ui| {
                            ui.label("id");
                            ui.label(&p.feature.id);
                            ui.end_row();
                            for (k, v) in &p.feature.attributes {
                                ui.label(k);
                                ui.label(v);
                                ui.end_row();
                            }
                        });
                });
            });
        if !open {
            picked.0 = None;
        }
    }
    egui::Window::new(tr("feature_filters", l))
        .id(egui::Id::new("feature-filters"))
        .default_open(false)
        .default_pos(egui::pos2(12.0, 680.0))
        .show(ctx, |ui| {
            ui.label(tr("feature_filter_help", l));
            for layer in &layers.layers {
                let form = forms
                    .0
                    .entry(layer.layer_index)
                    .or_insert_with(|| form_from_filter(layer.filter.as_ref()));
                ui.separator();
                let count = layer.built.features.len();
                ui.label(format!("{} — {count} {}", layer.name.get(l), tr("feature_count", l)));
                let names: Vec<&str> = layer
                    .built
                    .features
                    .first()
                    .map(|f| f.attributes.iter().map(|(k, _)| k.as_str()).collect())
                    .unwrap_or_default();
                egui::ComboBox::from_id_salt(("filter-attribute", layer.layer_index))
                    .selected_text(if form.attribute.is_empty() {
                        tr("feature_attribute", l)
                    } else {
                        form.attribute.as_str()
                    })
                    .show_ui(ui, |ui| {
                        for name in names {
                            ui.selectable_value(&mut form.attribute, name.to_owned(), name);
                        }
                    });
                ui.text_edit_singleline(&mut form.values);
                ui.horizontal(|ui| {
                    let parsed = filter_from_form(form);
                    if ui
                        .add_enabled(parsed.is_ok(), egui::Button::new(tr("feature_filter_apply", l)))
                        .clicked()
                        && let Ok(filter) = parsed.clone()
                    {
                        actions.write(VectorAction::SetFilter {
                            layer_index: layer.layer_index,
                            filter,
                        });
                    }
                    if ui.button(tr("feature_filter_clear", l)).clicked() {
                        *form = FilterForm::default();
                        actions.write(VectorAction::SetFilter {
                            layer_index: layer.layer_index,
                            filter: None,
                        });
                    }
                    if let Err(bad) = parsed {
                        ui.colored_label(
                            egui::Color32::from_rgb(230, 120, 100),
                            format!("{}: {bad}", tr("feature_filter_bad", l)),
                        );
                    }
                });
            }
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(attribute: &str, values: &str) -> FilterForm {
        FilterForm {
            attribute: attribute.into(),
            values: values.into(),
        }
    }

    #[test]
    fn filter_forms_read_lists_and_ranges() {
        assert_eq!(filter_from_form(&form("use", "")), Ok(None));
        assert_eq!(
            filter_from_form(&form("use", "home, shop ,")),
            Ok(Some(FeatureFilter {
                attribute: "use".into(),
                test: FilterTest::OneOf(vec!["home".into(), "shop".into()])
            }))
        );
        assert_eq!(
            filter_from_form(&form("floors", "2..")),
            Ok(Some(FeatureFilter {
                attribute: "floors".into(),
                test: FilterTest::Range { min: Some(2.0), max: None }
            }))
        );
        assert_eq!(
            filter_from_form(&form("floors", "..7.5")),
            Ok(Some(FeatureFilter {
                attribute: "floors".into(),
                test: FilterTest::Range { min: None, max: Some(7.5) }
            }))
        );
        assert_eq!(filter_from_form(&form("floors", "8..2")), Err("8..2".into()));
        assert_eq!(filter_from_form(&form("floors", "a..2")), Err("a".into()));
        assert_eq!(filter_from_form(&form("", "x")), Err("attribute".into()));
        // Written back, a filter reads the same.
        for f in ["2..8", "home, shop", "..7.5"] {
            let parsed = filter_from_form(&form("a", f)).expect("parses");
            assert_eq!(filter_from_form(&form_from_filter(parsed.as_ref())), Ok(parsed));
        }
    }
}
