//! The page's XR glue (`web/xr.js`) talks to the viewer here: it starts and
//! ends a session and hands over each XR frame (poses, projections,
//! controllers, hit-test) as JSON, before the viewer's update of that frame.
//! The session's state goes back as `data-sontinh-xr` on `<html>`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use bevy::prelude::*;
use bevy::winit::WinitSettings;
use sontinh_xr_view::{XrCommand, XrInbox, XrSession, XrStatus};
use wasm_bindgen::prelude::*;

/// The running viewer's inbox (one viewer per page).
static INBOX: OnceLock<XrInbox> = OnceLock::new();
/// The last status written, for `xrStatus()`.
static STATUS: Mutex<String> = Mutex::new(String::new());
/// The viewer's updates so far (wrapping), for `viewerUpdates()`.
static UPDATES: AtomicU32 = AtomicU32::new(0);

/// Connects the exports below to `app`'s session.
pub fn connect(app: &mut App) {
    let inbox = app.world().resource::<XrInbox>().clone();
    let _ = INBOX.set(inbox);
    app.add_systems(First, count_update)
        .add_systems(Last, (signal_xr, pace_by_xr_frames));
}

fn send(command: XrCommand) -> Result<(), JsValue> {
    let inbox = INBOX.get().ok_or_else(|| JsValue::from_str("the viewer has not started yet"))?;
    inbox.send(command);
    Ok(())
}

/// Starts a session: `vr`, `ar`, `magic` (the phone's orientation turns
/// the view) or `cardboard` (side-by-side stereo).
#[wasm_bindgen(js_name = xrBegin)]
pub fn xr_begin(mode: &str) -> Result<(), JsValue> {
    let mode = sontinh_xr::XrMode::parse(mode).map_err(|e| JsValue::from_str(&format!("xrBegin: {e}")))?;
    send(XrCommand::Begin(mode))
}

/// One XR frame's data (see `sontinh_xr::frame` for its keys); a bad one
/// is refused with what was wrong.
#[wasm_bindgen(js_name = xrFrame)]
pub fn xr_frame(json: &str) -> Result<(), JsValue> {
    let frame = sontinh_xr::parse_frame(json).map_err(|e| JsValue::from_str(&format!("xrFrame: {e}")))?;
    send(XrCommand::Frame(Box::new(frame)))
}

/// Ends the session: the page's own view comes back where the user was.
#[wasm_bindgen(js_name = xrEnd)]
pub fn xr_end() -> Result<(), JsValue> {
    send(XrCommand::End)
}

/// The session's state, as `data-sontinh-xr`.
#[wasm_bindgen(js_name = xrStatus)]
pub fn xr_status() -> String {
    STATUS.lock().map(|s| s.clone()).unwrap_or_default()
}

/// How many updates the viewer has run (wrapping): the page's XR glue
/// reads it around each XR frame's callback to know the viewer drew in it.
#[wasm_bindgen(js_name = viewerUpdates)]
pub fn viewer_updates() -> u32 {
    UPDATES.load(Ordering::Relaxed)
}

fn count_update() {
    UPDATES.fetch_add(1, Ordering::Relaxed);
}

/// While a session runs the viewer updates only when its redraw comes, and
/// the page runs that redraw inside the XR frame's callback (the only place
/// a headset shows what is drawn). Bevy's default paces an unfocused window
/// by a timer instead (winit then queues the redraw and updates in a task of
/// its own), and a page often loses focus to the button that entered the
/// session: so in a session the viewer is continuous whether focused or
/// not, and its settings before are given back at the end. Runs in `Last`,
/// after anything else that paces frames (a flood run on the GPU).
fn pace_by_xr_frames(session: Res<XrSession>, settings: Option<ResMut<WinitSettings>>, mut saved: Local<Option<WinitSettings>>) {
    let Some(mut settings) = settings else { return };
    if session.mode.is_some() {
        if saved.is_none() {
            *saved = Some(settings.clone());
        }
        let continuous = WinitSettings::continuous();
        if settings.focused_mode != continuous.focused_mode || settings.unfocused_mode != continuous.unfocused_mode {
            *settings = continuous;
        }
    } else if let Some(before) = saved.take() {
        *settings = before;
    }
}

fn signal_xr(status: Res<XrStatus>) {
    if !status.is_changed() || status.0.is_empty() {
        return;
    }
    if let Ok(mut last) = STATUS.lock() {
        last.clone_from(&status.0);
    }
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        // Fails only for an invalid attribute name, and this one is constant.
        let _ = root.set_attribute("data-sontinh-xr", &status.0);
    }
}
