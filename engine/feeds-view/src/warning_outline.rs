//! The latest flood warning's extent on the twin.

use bevy::prelude::*;
use sontinh_layers::{ActiveScene, FloatingOrigin};

use crate::{FeedTimeline, FeedView, color3, geometry};

/// The flood warning's extent as drawn: the warning's time and its rings
/// in scene ENU (none while the timeline shows a moment before it).
#[derive(Resource, Default, Debug)]
pub struct FloodWarningOutline {
    pub time_ms: Option<i64>,
    pub rings: Vec<Vec<[f64; 3]>>,
    /// Whether the rings were drawn in the last frame.
    pub shown: bool,
}

impl FloodWarningOutline {
    /// Rings drawn in the last frame.
    pub fn drawn(&self) -> usize {
        if self.shown { self.rings.len() } else { 0 }
    }
}

/// The latest flood warning's extent, outlined at the warned level, from
/// the moment of the warning on (a timeline before it shows none).
pub(crate) fn draw_flood_warning(
    view: Res<FeedView>,
    timeline: Res<FeedTimeline>,
    scene: Option<Res<ActiveScene>>,
    origin: Res<FloatingOrigin>,
    mut outline: ResMut<FloodWarningOutline>,
    mut gizmos: Gizmos,
) {
    let client = view.lock();
    let (Some(scene), Some(now), Some(warning)) = (scene, timeline.shown_ms(&client), client.flood_warning()) else {
        outline.shown = false;
        return;
    };
    if warning.time_ms > now {
        outline.shown = false;
        return;
    }
    if outline.time_ms != Some(warning.time_ms) {
        outline.rings = geometry::warning_rings(&scene.0.frame, &warning.extent, warning.level_m);
        outline.time_ms = Some(warning.time_ms);
    }
    outline.shown = true;
    let color = color3(geometry::WARNING_COLOR);
    for ring in &outline.rings {
        gizmos.linestrip(ring.iter().map(|p| origin.to_world(*p)), color);
    }
}
