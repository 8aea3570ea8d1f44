//! The point cloud settings window: colour mode, budget, point size, class
//! filter and clipping box, shown when the scene has point cloud layers.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_layers::ActiveScene;
use sontinh_pointcloud_view::{ColorMode, PointCloudSettings};
use sontinh_scene::LayerKind;

use crate::{UiLang, tr};

/// ASPRS classes offered in the filter, with their i18n keys.
const CLASSES: [(u8, &str); 9] = [
    (1, "class_unclassified"),
    (2, "class_ground"),
    (3, "class_low_vegetation"),
    (4, "class_medium_vegetation"),
    (5, "class_high_vegetation"),
    (6, "class_building"),
    (7, "class_noise"),
    (9, "class_water"),
    (17, "class_bridge"),
];

pub fn draw_point_cloud_panel(
    mut contexts: EguiContexts,
    scene: Option<Res<ActiveScene>>,
    lang: Res<UiLang>,
    settings: Option<ResMut<PointCloudSettings>>,
) -> Result {
    let (Some(scene), Some(mut settings)) = (scene, settings) else { return Ok(()) };
    if !scene.0.layers.iter().any(|l| l.kind == LayerKind::PointCloud) {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let l = lang.0;
    // Edit a copy so that the settings only count as changed (and node
    // meshes are rebuilt) when the user really changes something.
    let mut edited = settings.clone();
    egui::Window::new(tr("point_clouds", l))
        .id(egui::Id::new("sontinh-pointclouds"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -8.0))
        .default_width(240.0)
        .default_open(true)
        .show(ctx, |ui| {
            ui.label(tr("color_by", l));
            ui.horizontal_wrapped(|ui| {
                for (mode, key) in [
                    (ColorMode::Rgb, "color_rgb"),
                    (ColorMode::Elevation, "color_elevation"),
                    (ColorMode::Intensity, "color_intensity"),
                    (ColorMode::Classification, "color_classification"),
                    (ColorMode::ReturnNumber, "color_return"),
                ] {
                    if ui.selectable_label(edited.color_mode == mode, tr(key, l)).clicked() {
                        edited.color_mode = mode;
                    }
                }
            });
            let mut millions = edited.point_budget as f64 / 1e6;
            ui.add(egui::Slider::new(&mut millions, 0.1..=10.0).text(tr("point_budget", l)).suffix(" M"));
            edited.point_budget = (millions * 1e6) as u64;
            ui.add(egui::Slider::new(&mut edited.size_scale, 0.25..=4.0).text(tr("point_size", l)));
            ui.add(egui::Slider::new(&mut edited.eye_dome_lighting, 0.0..=3.0).text(tr("eye_dome_lighting", l)));
            ui.separator();
            ui.label(tr("classes_shown", l));
            for (class, key) in CLASSES {
                let mut shown = !edited.hidden_classes.contains(&class);
                if ui.checkbox(&mut shown, format!("{class} {}", tr(key, l))).changed() {
                    if shown {
                        edited.hidden_classes.retain(|c| *c != class);
                    } else {
                        edited.hidden_classes.push(class);
                    }
                }
            }
            ui.separator();
            let mut clip = edited.clip_box.is_some();
            if ui.checkbox(&mut clip, tr("clip_box", l)).changed() {
                edited.clip_box = clip.then_some(([-100.0, -100.0, -50.0], [100.0, 100.0, 200.0]));
            }
            if let Some((min, max)) = &mut edited.clip_box {
                for (axis, name) in ["E", "N", "U"].iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.label(*name);
                        ui.add(egui::DragValue::new(&mut min[axis]).speed(1.0).suffix(" m"));
                        ui.add(egui::DragValue::new(&mut max[axis]).speed(1.0).suffix(" m"));
                    });
                }
            }
        });
    if edited != *settings {
        *settings = edited;
    }
    Ok(())
}
