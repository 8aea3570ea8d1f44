//! What a stop wants shown: its layers' visibility and opacity, its
//! measurements, its point-cloud colours and size. Applied once as the stop
//! begins, so that the visitor may change them while there.

use bevy::prelude::*;
use sontinh_layers::{ActiveScene, LayerStates};
use sontinh_measure_view::MeasureAction;
use sontinh_pointcloud_view::{ColorMode, PointCloudSettings};
use sontinh_scene::PointColor;

use crate::ActiveTour;

pub(crate) fn color_mode(color: PointColor) -> ColorMode {
    match color {
        PointColor::Rgb => ColorMode::Rgb,
        PointColor::Elevation => ColorMode::Elevation,
        PointColor::Intensity => ColorMode::Intensity,
        PointColor::Classification => ColorMode::Classification,
        PointColor::Return => ColorMode::ReturnNumber,
    }
}

pub(crate) fn apply_stop_settings(
    scene: Option<Res<ActiveScene>>,
    mut active: ResMut<ActiveTour>,
    mut layers: ResMut<LayerStates>,
    mut measure: MessageWriter<MeasureAction>,
    point_clouds: Option<ResMut<PointCloudSettings>>,
) {
    let (Some(scene), Some(playing)) = (scene, active.0.as_mut()) else {
        return;
    };
    let Some(stop_index) = playing.player.sample().map(|s| s.stop) else {
        return;
    };
    if playing.applied_stop == Some(stop_index) {
        return;
    }
    playing.applied_stop = Some(stop_index);
    let Some(stop) = scene.0.tours.get(playing.tour).and_then(|t| t.stops.get(stop_index)) else {
        return;
    };
    for wanted in &stop.layers {
        if let Some(state) = layers.layers.get_mut(wanted.layer) {
            if let Some(visible) = wanted.visible {
                state.visible = visible;
            }
            if let Some(opacity) = wanted.opacity {
                state.opacity = opacity;
            }
        }
    }
    // The stop's measurements, and only those, are drawn while at it.
    measure.write(MeasureAction::ShowOnly(stop.measurements.clone()));
    if let (Some(wanted), Some(mut settings)) = (&stop.point_cloud, point_clouds) {
        if let Some(color) = wanted.color {
            settings.color_mode = color_mode(color);
        }
        if let Some(size) = wanted.point_size {
            settings.min_px = size;
            settings.max_px = size;
        }
    }
}
