//! Measurements' figures written in the scene: each shown measurement's
//! headline at its last vertex (a polygon's at its middle), and while a
//! polyline is placed, each segment's length at its middle.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_camera::CameraRig;
use sontinh_layers::FloatingOrigin;
use sontinh_measure_view::Measuring;
use sontinh_scene::{Lang, MeasureTool};

use crate::UiLang;
use crate::measure_text::{headline, length};

/// Where a measurement's headline goes: a polygon's vertex mean, else its last vertex.
pub fn headline_anchor(tool: MeasureTool, points: &[[f64; 3]]) -> Option<[f64; 3]> {
    if tool.is_polygon() && points.len() >= 3 {
        let n = points.len() as f64;
        let sum = points.iter().fold([0.0; 3], |s, p| [s[0] + p[0], s[1] + p[1], s[2] + p[2]]);
        Some([sum[0] / n, sum[1] / n, sum[2] / n])
    } else {
        points.last().copied()
    }
}

/// Each segment's horizontal length (scene metres), at its middle.
pub fn segment_labels(points: &[[f64; 3]]) -> Vec<([f64; 3], String)> {
    points
        .windows(2)
        .map(|w| {
            let middle = [(w[0][0] + w[1][0]) / 2.0, (w[0][1] + w[1][1]) / 2.0, (w[0][2] + w[1][2]) / 2.0];
            (middle, length((w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1])))
        })
        .collect()
}

fn tag(painter: &egui::Painter, at: egui::Pos2, text: &str, colour: egui::Color32, size: f32) {
    let galley = painter.layout_no_wrap(text.to_owned(), egui::FontId::proportional(size), colour);
    let rect = egui::Rect::from_center_size(at + egui::vec2(0.0, -galley.size().y), galley.size() + egui::vec2(10.0, 6.0));
    painter.rect_filled(rect, 4.0, egui::Color32::from_rgba_unmultiplied(15, 20, 28, 210));
    painter.galley(rect.min + egui::vec2(5.0, 3.0), galley, colour);
}

pub fn draw_measure_labels(
    mut contexts: EguiContexts,
    lang: Res<UiLang>,
    measuring: Option<Res<Measuring>>,
    origin: Res<FloatingOrigin>,
    cameras: Query<(&Camera, &GlobalTransform), With<CameraRig>>,
) -> Result {
    let (Some(measuring), Ok((camera, eye))) = (measuring, cameras.single()) else { return Ok(()) };
    let l: Lang = lang.0;
    let ctx = contexts.ctx_mut()?;
    let painter = ctx.layer_painter(egui::LayerId::background());
    let screen = |enu: [f64; 3]| camera.world_to_viewport(eye, origin.to_world(enu)).ok().map(|p| egui::pos2(p.x, p.y));
    let kept = egui::Color32::from_rgb(120, 230, 255);
    for ((m, shown), figures) in measuring.kept.iter().zip(&measuring.shown).zip(&measuring.kept_figures) {
        if !shown {
            continue;
        }
        let name = if l == Lang::Vi { &m.name.vi } else { &m.name.en };
        let text = figures.as_ref().map_or_else(|| name.clone(), |f| format!("{name}: {}", headline(f, l)));
        if let Some(at) = headline_anchor(m.tool, &m.points).and_then(screen) {
            tag(&painter, at, &text, kept, 13.0);
        }
    }
    if let Some(editor) = &measuring.editor {
        let placing = egui::Color32::from_rgb(255, 220, 60);
        if matches!(editor.tool(), MeasureTool::Distance | MeasureTool::Profile | MeasureTool::Area | MeasureTool::Volume) && editor.points().len() > 2 {
            for (middle, text) in segment_labels(editor.points()) {
                if let Some(at) = screen(middle) {
                    tag(&painter, at, &text, placing, 11.0);
                }
            }
        }
        if let (Some(Ok(figures)), Some(at)) = (&measuring.figures, headline_anchor(editor.tool(), editor.points()).and_then(screen)) {
            tag(&painter, at, &headline(figures, l), placing, 14.0);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polygon_labels_its_middle_and_a_line_its_end() {
        let square = [[0.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 3.0, 1.0], [0.0, 3.0, 1.0]];
        assert_eq!(headline_anchor(MeasureTool::Area, &square), Some([2.0, 1.5, 1.0]));
        assert_eq!(headline_anchor(MeasureTool::Distance, &square), Some([0.0, 3.0, 1.0]));
        let segments = segment_labels(&square[..3]);
        assert_eq!(segments, vec![([2.0, 0.0, 1.0], "4.00 m".to_owned()), ([4.0, 1.5, 1.0], "3.00 m".to_owned())]);
    }
}
