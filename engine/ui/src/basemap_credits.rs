//! The credits of the base maps on screen, at the view's lower right (as
//! map services require while their tiles are shown): each visible, loaded
//! `basemap` layer's `attribution` from the scene.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_layers::{ActiveScene, LayerStates, LayerStatus};
use sontinh_scene::{LayerKind, Scene};

/// The credit lines to show: visible base map layers that are not failed, in scene order, without repeats.
pub fn basemap_credits(scene: &Scene, states: &LayerStates) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (layer, state) in scene.layers.iter().zip(&states.layers) {
        if layer.kind != LayerKind::Basemap || !state.visible || matches!(state.status, LayerStatus::Failed(_)) {
            continue;
        }
        if let Some(credit) = layer.basemap.as_ref().and_then(|b| b.attribution.clone())
            && !out.contains(&credit)
        {
            out.push(credit);
        }
    }
    out
}

pub fn draw_basemap_credits(mut contexts: EguiContexts, scene: Option<Res<ActiveScene>>, states: Res<LayerStates>) -> Result {
    let Some(scene) = scene else { return Ok(()) };
    let credits = basemap_credits(&scene.0, &states);
    if credits.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    egui::Area::new(egui::Id::new("sontinh-basemap-credits"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-6.0, -4.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_rgba_unmultiplied(255, 255, 255, 190))
                .inner_margin(egui::Margin::symmetric(6, 2))
                .show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(credits.join(" · "))
                            .small()
                            .color(egui::Color32::from_rgb(40, 40, 40)),
                    );
                });
        });
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::basemap_credits;
    use sontinh_layers::{LayerState, LayerStates, LayerStatus};

    #[test]
    fn only_visible_working_base_maps_are_credited() {
        let text = r#"format = 1
[site]
id = "credits"
name = { vi = "A", en = "A" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]
[[layer]]
id = "osm"
kind = "basemap"
url = "https://tile.example.org/{z}/{x}/{y}.png"
attribution = "© OpenStreetMap contributors"
name = { vi = "Bản đồ", en = "Map" }
[[layer]]
id = "ortho"
kind = "basemap"
service = "wmts"
url = "https://gis.example.vn/wmts/{TileMatrix}/{TileRow}/{TileCol}.jpg"
attribution = "Sở TN&MT Quảng Trị"
name = { vi = "Ảnh", en = "Photo" }
[[layer]]
id = "plain"
kind = "basemap"
url = "https://other.example.org/{z}/{x}/{y}.png"
name = { vi = "Khác", en = "Other" }
"#;
        let scene = sontinh_scene::parse(
            text,
            std::path::Path::new("credits.toml"),
            &sontinh_scene::FileResolver::new(".".into()),
        )
        .unwrap();
        let state = |id: &str, visible: bool, status: LayerStatus| LayerState {
            id: id.into(),
            name: scene.layers[0].name.clone(),
            kind: sontinh_scene::LayerKind::Basemap,
            status,
            visible,
            opacity: 1.0,
        };
        let states = |a: bool, b: LayerStatus| {
            LayerStates::for_scene(
                "x".into(),
                vec![
                    state("osm", a, LayerStatus::Ready),
                    state("ortho", true, b),
                    state("plain", true, LayerStatus::Ready),
                ],
            )
        };
        assert_eq!(
            basemap_credits(&scene, &states(true, LayerStatus::Loading(0.5))),
            ["© OpenStreetMap contributors", "Sở TN&MT Quảng Trị"]
        );
        assert_eq!(basemap_credits(&scene, &states(false, LayerStatus::Ready)), ["Sở TN&MT Quảng Trị"]);
        assert!(basemap_credits(&scene, &states(false, LayerStatus::Failed("404".into()))).is_empty());
    }
}
