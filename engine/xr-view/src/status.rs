//! The session's state as JSON: the page's `data-sontinh-xr`, read by
//! the browser tests and by pages that embed the viewer.

use bevy::math::DVec3;
use bevy::prelude::*;
use serde_json::{Value, json};
use sontinh_layers::ActiveScene;

use crate::{TeleportOutcome, XrSession, XrStatus, eyes, render_to_enu};

fn round(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (v * k).round() / k
}

fn point(p: DVec3) -> Value {
    json!([round(p.x, 4), round(p.y, 4), round(p.z, 4)])
}

fn enu(p: [f64; 3]) -> Value {
    json!([round(p[0], 4), round(p[1], 4), round(p[2], 4)])
}

/// The session as the page hears it; `{"mode": "off"}` outside one.
pub fn status_json(session: &XrSession, scene: Option<&sontinh_scene::Scene>) -> String {
    let Some(mode) = session.mode else {
        return json!({"mode": "off"}).to_string();
    };
    let placement = session.placement.as_ref();
    let head = eyes::head_in_render(session);
    let frame = session.frame.as_ref();
    let eyes: Vec<Value> = match (frame, placement) {
        (Some(frame), Some(placement)) => eyes::views_for(session, mode, frame.canvas)
            .iter()
            .map(|v| {
                let (p, _) = placement.to_render(&v.pose);
                json!({"enu": enu(render_to_enu(p)), "vp": v.viewport})
            })
            .collect(),
        _ => Vec::new(),
    };
    let hotspots: Vec<Value> = scene
        .map(|s| s.hotspots.iter().map(|h| json!({"id": h.id, "enu": enu(h.enu)})).collect())
        .unwrap_or_default();
    json!({
        "mode": mode.id(),
        "frames": session.frames,
        "views": eyes.len(),
        "placement": placement.map(|p| json!({"origin": point(p.origin), "yaw_deg": round(p.yaw.to_degrees(), 4), "scale": p.scale})),
        "head_enu": head.map(|(p, _)| enu(render_to_enu(p))),
        "head_q": head.map(|(_, q)| json!([round(q.x, 6), round(q.y, 6), round(q.z, 6), round(q.w, 6)])),
        "eyes": eyes,
        "teleports": session.teleports,
        "last_teleport": session.last_teleport.as_ref().map(|t| match t {
            TeleportOutcome::Landed { floor_enu } => json!({"ok": true, "floor_enu": enu(*floor_enu)}),
            TeleportOutcome::Refused(why) => json!({"ok": false, "why": why}),
        }),
        "aiming": session.aiming.is_some(),
        "selected_hotspot": session.selected_hotspot.and_then(|i| scene.and_then(|s| s.hotspots.get(i)).map(|h| h.id.clone())),
        "hotspots": hotspots,
        "ar": session.ar.as_ref().map(|a| json!({"placed": a.placed, "anchor": point(a.anchor), "scale": a.scale, "yaw_deg": round(a.yaw.to_degrees(), 4)})),
        "vignette": round(session.vignette, 3),
        "fade": round(session.fade, 3),
    })
    .to_string()
}

pub(crate) fn update_status(session: Res<XrSession>, scene: Option<Res<ActiveScene>>, mut status: ResMut<XrStatus>) {
    if !session.is_changed() && !status.0.is_empty() {
        return;
    }
    let text = status_json(&session, scene.as_deref().map(|s| &*s.0));
    if status.0 != text {
        status.0 = text;
    }
}
