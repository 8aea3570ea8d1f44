//! The viewer in the browser. The page's loader (`web/loader.js`) fetches
//! this module, initialises it and calls `runViewer()`, which reads the
//! page's address (`?scene=…&bookmark=…&ui=0`), fetches the scene file from
//! the same site, and starts the viewer on the page's `#sontinh-canvas`.
//!
//! Natively the crate is empty: it exists for the wasm32 build only.
#![cfg(target_arch = "wasm32")]

mod feeds;

use std::path::{Path, PathBuf};

use bevy::window::WindowResolution;
use sontinh::web::{PageRequest, PageSignalsPlugin, render_scale};
use wasm_bindgen::prelude::*;

/// The canvas the page gives the viewer.
const CANVAS: &str = "#sontinh-canvas";

/// Starts the viewer; the promise rejects with a message naming what was
/// wrong (a bad address, a scene that cannot be fetched or parsed).
#[wasm_bindgen(js_name = runViewer)]
pub async fn run_viewer() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window: the viewer runs in a page"))?;
    let query = window.location().search()?;
    let request = PageRequest::parse(&query).map_err(|e| JsValue::from_str(&e))?;
    let scene = match &request.scene {
        None => sontinh::embedded_default_scene().map_err(|e| JsValue::from_str(&e.to_string()))?,
        Some(url) => {
            let text = fetch_text(url).await?;
            sontinh_scene::parse(&text, Path::new(url), &SiteResolver { scene_url: url.clone() })
                .map_err(|e| JsValue::from_str(&format!("{url}: {e}")))?
        }
    };
    let bookmark = match &request.bookmark {
        Some(id) => scene
            .bookmark(id)
            .ok_or_else(|| {
                let known: Vec<&str> = scene.bookmarks.iter().map(|b| b.id.as_str()).collect();
                JsValue::from_str(&format!("bookmark={id}: the scene has {}", known.join(", ")))
            })?
            .clone(),
        None => scene.default_bookmark().clone(),
    };
    let mut page_window = sontinh::viewer::viewer_window(&scene);
    page_window.canvas = Some(CANVAS.to_owned());
    // Touch gestures belong to the viewer, not to the page's scrolling and zoom.
    page_window.prevent_default_event_handling = true;
    page_window.resolution = WindowResolution::default().with_scale_factor_override(render_scale(window.device_pixel_ratio()));
    let has_feeds = scene.feeds.is_some();
    let mut app = sontinh::viewer::viewer_app(scene, page_window, bookmark, None, request.ui);
    app.add_plugins(PageSignalsPlugin);
    // The memory budget the address names, else the one for this device.
    let memory = request.memory.unwrap_or_else(|| sontinh_layers::MemoryBudget::of(sontinh_layers::MemoryPreset::for_device(&device(&window))));
    app.insert_resource(memory);
    if let Some(token) = request.token.filter(|_| has_feeds) {
        let url = feeds::same_origin_gateway(&window.location())?;
        let mut view = app.world_mut().resource_mut::<sontinh_feeds_view::FeedView>();
        feeds::connect(view.shared.clone(), url, token);
        view.linked = true;
        app.add_systems(bevy::prelude::Update, operator_mode_from_role);
    }
    // In the browser the event loop is handed to the page and this returns at once.
    app.run();
    Ok(())
}

/// What the browser says of the device, for its memory preset.
fn device(window: &web_sys::Window) -> sontinh_layers::Device {
    let screen = window.screen().ok();
    let size = |f: fn(&web_sys::Screen) -> Result<i32, JsValue>| screen.as_ref().and_then(|s| f(s).ok()).map_or(0.0, f64::from);
    let coarse_pointer = window.match_media("(pointer: coarse)").ok().flatten().is_some_and(|m| m.matches());
    // `navigator.deviceMemory` (GiB, Chromium only): not in web-sys's bindings.
    let memory_gib = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("deviceMemory")).ok().and_then(|v| v.as_f64());
    sontinh_layers::Device {
        screen_css_px: [size(web_sys::Screen::width), size(web_sys::Screen::height)],
        pixel_ratio: window.device_pixel_ratio(),
        coarse_pointer,
        memory_gib,
    }
}

/// Files a scene names, as addresses on the site that serves it (the same
/// mapping `sontinh serve` uses to find them on disk).
struct SiteResolver {
    scene_url: String,
}

impl sontinh_scene::PathResolver for SiteResolver {
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        sontinh_scene::site_path(&self.scene_url, path).map(PathBuf::from)
    }
}

/// The scene file's text, fetched as every layer file is.
async fn fetch_text(url: &str) -> Result<String, JsValue> {
    let bytes = sontinh_layers::file_bytes(Path::new(url)).await.map_err(|e| JsValue::from_str(&e))?;
    String::from_utf8(bytes).map_err(|_| JsValue::from_str(&format!("{url}: not UTF-8 text")))
}

/// An operator's token opens the operations centre, as the native viewer does.
fn operator_mode_from_role(view: bevy::prelude::Res<sontinh_feeds_view::FeedView>, mode: Option<bevy::prelude::ResMut<sontinh_ui::UserMode>>, mut done: bevy::prelude::Local<bool>) {
    if *done {
        return;
    }
    let role = view.shared.lock().ok().and_then(|c| c.role());
    if let Some(role) = role {
        *done = true;
        // Without panels (`ui=0`) there is no mode to set.
        if let Some(mut mode) = mode
            && role == sontinh_feeds::Role::Operator
            && *mode == sontinh_ui::UserMode::Tourist
        {
            *mode = sontinh_ui::UserMode::Operator;
        }
    }
}
