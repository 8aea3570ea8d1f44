//! The pointer (mouse or finger) and the keyboard as measuring edits. The
//! decisions are plain functions (`snap`, `is_tap`); these systems only
//! read the devices and send edits.

use bevy::input::touch::Touches;
use bevy::picking::mesh_picking::ray_cast::MeshRayCast;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use sontinh_camera::{PointerCaptured, ToolHasPointer};
use sontinh_layers::FloatingOrigin;
use sontinh_pointcloud_view::NodePoints;

use crate::snap::{Candidates, SnapKind, is_tap, snap};
use crate::{MeasureAction, Measuring, hit_along};

/// Four pixels, as an angle from the pointer's ray.
pub(crate) fn pick_tolerance(camera: &Camera, projection: &Projection) -> f32 {
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    let height = camera.logical_viewport_size().map_or(800.0, |s| s.y.max(1.0));
    4.0 * fov / height
}

/// Where the pointer is: the first finger down (or just lifted: a tap is
/// read on the frame the finger leaves), else the mouse cursor. Fingers
/// first: a browser may also move the cursor for a touch, later.
fn pointer_position(window: &Window, touches: Option<&Touches>) -> Option<Vec2> {
    touches.and_then(|t| t.iter().chain(t.iter_just_released()).next().map(|t| t.position())).or_else(|| window.cursor_position())
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub(crate) fn track_pointer(
    mut measuring: ResMut<Measuring>,
    captured: Res<PointerCaptured>,
    windows: Query<&Window, With<PrimaryWindow>>,
    touches: Option<Res<Touches>>,
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<Camera3d>>,
    clouds: Query<(&NodePoints, &GlobalTransform, &InheritedVisibility)>,
    origin: Res<FloatingOrigin>,
    mut ray_cast: MeshRayCast,
    mut last: Local<Option<(Vec2, u64)>>,
) {
    if measuring.editor.is_none() || captured.0 {
        if measuring.hover.is_some() {
            measuring.hover = None;
        }
        return;
    }
    let Ok(window) = windows.single() else { return };
    let Some((camera, transform, projection)) = cameras.iter().find(|(c, _, _)| c.is_active) else { return };
    let Some(pointer) = pointer_position(window, touches.as_deref()) else {
        measuring.hover = None;
        return;
    };
    let key = (pointer, measuring.revision);
    if *last == Some(key) && !origin.is_changed() {
        return;
    }
    *last = Some(key);
    let dragging = measuring.dragging;
    let own: Vec<Vec3> = measuring
        .editor
        .as_ref()
        .map(|e| e.points().iter().enumerate().filter(|(i, _)| Some(*i) != dragging).map(|(_, p)| origin.to_world(*p)).collect())
        .unwrap_or_default();
    let mut found = snap_at(pointer, camera, transform, pick_tolerance(camera, projection), &mut ray_cast, &clouds, &own);
    // Indices among the vertices offered: the dragged one was left out.
    if let (Some(s), Some(d)) = (found.as_mut(), dragging)
        && let SnapKind::OwnVertex(i) = s.kind
        && i >= d
    {
        s.kind = SnapKind::OwnVertex(i + 1);
    }
    measuring.hover = found;
}

/// What a vertex placed at `pointer` (pixels) snaps to, `own` being the
/// measurement's vertices it may snap to (world).
pub(crate) fn snap_at(
    pointer: Vec2,
    camera: &Camera,
    transform: &GlobalTransform,
    tolerance: f32,
    ray_cast: &mut MeshRayCast,
    clouds: &Query<(&NodePoints, &GlobalTransform, &InheritedVisibility)>,
    own: &[Vec3],
) -> Option<crate::Snap> {
    let ray = camera.viewport_to_world(transform, pointer).ok()?;
    let hit = hit_along(ray, ray_cast, clouds, tolerance);
    let to_screen = |w: Vec3| camera.world_to_viewport(transform, w).ok();
    snap(&Candidates {
        cursor: pointer,
        surface: hit.as_ref().map(|h| h.point),
        triangle: hit.as_ref().and_then(|h| h.triangle),
        cloud_point: hit.as_ref().is_some_and(|h| h.cloud_point),
        own,
        to_screen: &to_screen,
    })
}

/// A press in progress.
#[derive(Default)]
pub(crate) struct Press {
    at: Option<Vec2>,
    vertex: Option<usize>,
    moved: bool,
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub(crate) fn pointer_gestures(
    mut measuring: ResMut<Measuring>,
    captured: Res<PointerCaptured>,
    mut tool_pointer: ResMut<ToolHasPointer>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    origin: Res<FloatingOrigin>,
    mut press: Local<Press>,
) {
    if measuring.editor.is_none() {
        *press = Press::default();
        if tool_pointer.0 {
            tool_pointer.0 = false;
        }
        return;
    }
    let Ok(window) = windows.single() else { return };
    let mouse_down = mouse.as_ref().is_some_and(|m| m.just_pressed(MouseButton::Left));
    let mouse_up = mouse.as_ref().is_some_and(|m| m.just_released(MouseButton::Left));
    let right_up = mouse.as_ref().is_some_and(|m| m.just_released(MouseButton::Right));
    let touch_down = touches.as_ref().and_then(|t| t.iter_just_pressed().next().map(|t| t.position()));
    let touch_up = touches.as_ref().and_then(|t| t.iter_just_released().next().map(|t| t.position()));
    let fingers = touches.as_ref().map_or(0, |t| t.iter().count());
    let pointer = touch_up.or(touch_down).or_else(|| pointer_position(window, touches.as_deref()));

    if (mouse_down || touch_down.is_some()) && !captured.0 && fingers <= 1 {
        let vertex = match measuring.hover.map(|h| h.kind) {
            Some(SnapKind::OwnVertex(i)) => Some(i),
            _ => None,
        };
        *press = Press { at: pointer, vertex, moved: false };
        if vertex.is_some() {
            tool_pointer.0 = true;
            measuring.selected_vertex = vertex;
        }
    }
    if let (Some(at), Some(now)) = (press.at, pointer) {
        press.moved |= at.distance(now) > 6.0;
    }
    // A second finger makes it a pinch: not a tap, not a drag.
    if fingers > 1 {
        *press = Press::default();
        tool_pointer.0 = false;
    }
    if let (Some(index), true) = (press.vertex, press.moved) {
        measuring.dragging = Some(index);
        if let Some(hover) = measuring.hover
            && !matches!(hover.kind, SnapKind::OwnVertex(_))
        {
            let enu = origin.to_enu(hover.world);
            if let Some(editor) = measuring.editor.as_mut()
                && editor.move_to(index, enu).is_ok()
            {
                measuring.touched();
            }
        }
    }
    if mouse_up || touch_up.is_some() {
        let done = std::mem::take(&mut *press);
        tool_pointer.0 = false;
        if measuring.dragging.take().is_some() {
            if let Some(editor) = measuring.editor.as_mut() {
                editor.end_move();
            }
            return;
        }
        let (Some(at), Some(now)) = (done.at, pointer) else { return };
        if !is_tap(at, now) || captured.0 {
            return;
        }
        match measuring.hover {
            Some(h) if matches!(h.kind, SnapKind::OwnVertex(_)) => {
                if let SnapKind::OwnVertex(i) = h.kind {
                    measuring.selected_vertex = Some(i);
                }
            }
            Some(h) => {
                let enu = origin.to_enu(h.world);
                crate::add_vertex(&mut measuring, enu);
            }
            None => measuring.refused = Some("nothing is shown there".into()),
        }
    }
    if right_up
        && !captured.0
        && let Some(SnapKind::OwnVertex(i)) = measuring.hover.map(|h| h.kind)
        && let Some(editor) = measuring.editor.as_mut()
        && editor.remove(i).is_ok()
    {
        measuring.selected_vertex = None;
        measuring.touched();
    }
}

pub(crate) fn keys(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    captured: Res<PointerCaptured>,
    measuring: Res<Measuring>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut actions: MessageWriter<MeasureAction>,
) {
    let Some(keys) = keys else { return };
    if captured.0 || measuring.editor.is_none() {
        return;
    }
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight, KeyCode::SuperLeft, KeyCode::SuperRight]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    if ctrl && keys.just_pressed(KeyCode::KeyZ) {
        actions.write(if shift { MeasureAction::Redo } else { MeasureAction::Undo });
    } else if ctrl && keys.just_pressed(KeyCode::KeyY) {
        actions.write(MeasureAction::Redo);
    } else if keys.any_just_pressed([KeyCode::Delete, KeyCode::Backspace]) {
        actions.write(MeasureAction::RemoveVertex);
    } else if keys.just_pressed(KeyCode::Escape) {
        actions.write(MeasureAction::Cancel);
    } else if keys.just_pressed(KeyCode::Space)
        && let Ok(window) = windows.single()
    {
        actions.write(MeasureAction::AddAtScreen(Vec2::new(window.width(), window.height()) / 2.0));
    }
}
