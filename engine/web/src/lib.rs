//! The viewer in the browser. The page's loader (`web/loader.js`) fetches
//! this module, initialises it and calls `runViewer()`, which reads the
//! page's address (`?scene=…&bookmark=…&ui=0`), fetches the scene file from
//! the same site, and starts the viewer on the page's `#sontinh-canvas`.
//!
//! Natively the crate is empty: it exists for the wasm32 build only.
#![cfg(target_arch = "wasm32")]

mod feeds;
mod xr;

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
    let (scene, planner) = match &request.scene {
        None => (
            sontinh::embedded_default_scene().map_err(|e| JsValue::from_str(&e.to_string()))?,
            sontinh_flood_view::WorkerPlanner { scene_url: sontinh::DEFAULT_SCENE.to_owned(), scene_text: sontinh::DEFAULT_SCENE_TEXT.to_owned(), use_gpu: !request.flood_on_cpu },
        ),
        Some(url) => {
            let text = fetch_text(url).await?;
            let scene = sontinh_scene::parse(&text, Path::new(url), &sontinh_scene::SiteResolver::new(url.clone()))
                .map_err(|e| JsValue::from_str(&format!("{url}: {e}")))?;
            (scene, sontinh_flood_view::WorkerPlanner { scene_url: url.clone(), scene_text: text, use_gpu: !request.flood_on_cpu })
        }
    };
    // `plan=` names a flood scenario of this scene to run at once.
    let plan = match &request.plan {
        Some(id) => Some(scene.flood_scenarios.iter().position(|s| &s.id == id).ok_or_else(|| {
            let known: Vec<&str> = scene.flood_scenarios.iter().map(|s| s.id.as_str()).collect();
            JsValue::from_str(&format!("plan={id}: the scene's flood scenarios are {}", if known.is_empty() { "none".to_owned() } else { known.join(", ") }))
        })?),
        None => None,
    };
    // After a lost graphics context the page starts again where the user was.
    let resumed = take_resume_view(&window, &query, &scene);
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
    let bookmark = resumed.unwrap_or(bookmark);
    let mut page_window = sontinh::viewer::viewer_window(&scene);
    page_window.canvas = Some(CANVAS.to_owned());
    // Touch gestures belong to the viewer, not to the page's scrolling and zoom.
    page_window.prevent_default_event_handling = true;
    page_window.resolution = WindowResolution::default().with_scale_factor_override(render_scale(window.device_pixel_ratio()));
    let has_feeds = scene.feeds.is_some();
    let flood = request.flood.as_ref().map(PathBuf::from);
    let mut app = sontinh::viewer::viewer_app(scene, page_window, bookmark, flood, request.ui);
    app.world_mut().resource_mut::<sontinh_flood_view::FloodTimeline>().requested_hours = request.flood_hours;
    if let Some(points) = request.point_budget
        && let Some(mut settings) = app.world_mut().get_resource_mut::<sontinh_pointcloud_view::PointCloudSettings>()
    {
        settings.point_budget = points;
    }
    app.add_plugins((PageSignalsPlugin, sontinh::web_tour::TourPageSignalsPlugin));
    // VR, AR, magic window and cardboard: the page's XR glue hands frames in.
    xr::connect(&mut app);
    // `?tour=ID&stop=N` opens the tour there once the scene is up.
    app.insert_resource(sontinh_tour_view::TourRequest(request.tour.clone()));
    if let Some(tool) = request.measure {
        app.world_mut().write_message(sontinh_measure_view::MeasureAction::Start(tool));
    }
    // Planners' floods run in the page (its WebGPU device, or its flood worker).
    app.insert_resource(planner).insert_resource(sontinh_flood_view::PlannerRunner);
    app.add_systems(bevy::prelude::Update, (take_pending_plan, take_measure_asks, take_tour_ask));
    if let Some(index) = plan {
        app.world_mut().resource_mut::<sontinh_flood_view::PlannerRun>().autostart = Some(index);
        if request.ui {
            app.insert_resource(sontinh_ui::UserMode::Planner);
        }
    }
    // The memory budget the address names, else the one for this device.
    let preset = sontinh_layers::MemoryPreset::for_device(&device(&window));
    let memory = request.memory.unwrap_or_else(|| sontinh_layers::MemoryBudget::of(preset));
    app.insert_resource(memory);
    // The quality the address names, else low on a phone (its GPU and battery), high elsewhere.
    let quality = request.quality.unwrap_or(if preset == sontinh_layers::MemoryPreset::Phone { sontinh_layers::Quality::Low } else { sontinh_layers::Quality::High });
    app.insert_resource(quality);
    if let Some(camera) = request.camera.clone() {
        // Selected once the feed lists it.
        app.add_systems(
            bevy::prelude::Update,
            move |view: bevy::prelude::Res<sontinh_feeds_view::FeedView>, mut selected: bevy::prelude::ResMut<sontinh_feeds_view::SelectedCamera>, mut done: bevy::prelude::Local<bool>| {
                if !*done && let Some(i) = view.lock().device_index(&camera) {
                    selected.0 = Some(i);
                    *done = true;
                }
            },
        );
    }
    if let Some(time_ms) = request.feeds_at {
        app.insert_resource(sontinh_feeds_view::FeedTimeline { live: false, time_ms });
    }
    if has_feeds {
        // The address's token, else the one signed in with earlier in this tab.
        if let Some(token) = request.token.or_else(|| session::get(&window, session::TOKEN)) {
            app.world_mut().resource_mut::<sontinh_feeds_view::FeedSignIn>().requested = Some(token);
        }
        app.add_systems(bevy::prelude::Update, bevy::prelude::IntoScheduleConfigs::chain((connect_signed_in, take_feed_asks, start_live_video, fetch_reports)));
    }
    app.insert_resource(bevy::render::error_handler::RenderErrorHandler(stop_and_tell_the_page));
    // In the browser the event loop is handed to the page and this returns at once.
    app.run();
    Ok(())
}

/// A renderer error (a lost WebGPU device, a wgpu validation error) stops
/// the viewer as Bevy's own handler does, and tells the page why at once
/// (the app may stop before its page signals run again): the loader then
/// starts the WebGL2 bundle instead of a WebGPU one that failed.
fn stop_and_tell_the_page(
    error: &bevy::render::error_handler::RenderError,
    main_world: &mut bevy::prelude::World,
    _render_world: &mut bevy::prelude::World,
) -> bevy::render::error_handler::RenderErrorPolicy {
    bevy::log::error!("the viewer stops: {:?} renderer error: {}", error.ty, error.description);
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-sontinh-error", &format!("the graphics device failed ({:?}): {}", error.ty, error.description));
        let _ = root.set_attribute("data-sontinh-render-error", &format!("{:?}", error.ty));
        let _ = root.set_attribute("data-sontinh-state", "error");
    }
    main_world.write_message(bevy::app::AppExit::error());
    bevy::render::error_handler::RenderErrorPolicy::StopRendering
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
        headset: window.navigator().user_agent().is_ok_and(|ua| sontinh_layers::is_headset_browser(&ua)),
    }
}

/// Runs flood scenario `id` of the page's scene, as `plan=` does at load:
/// for pages that embed the viewer (a "run" button of their own), and for
/// tests that start a run once the page is ready. `edits`, when given, is
/// a JSON object of the planner's edits (see
/// `sontinh_flood_plan::ScenarioEdits::with_page_json`); a bad one fails
/// the run with what was wrong (`data-sontinh-flood-run`).
#[wasm_bindgen(js_name = floodPlan)]
pub fn flood_plan(id: &str, edits: Option<String>) {
    if let Ok(mut pending) = PENDING_PLAN.lock() {
        *pending = Some((id.to_owned(), edits));
    }
}

/// Pauses the planner's run (`data-sontinh-flood-run` says `paused` once
/// it holds), or the one a `floodPlan` just asked for once it starts;
/// nothing without a run.
#[wasm_bindgen(js_name = floodPause)]
pub fn flood_pause() {
    ask_run(RunAsk::Pause);
}

#[wasm_bindgen(js_name = floodResume)]
pub fn flood_resume() {
    ask_run(RunAsk::Resume);
}

/// Cancels the planner's run: it fails with "cancelled" and its worker ends.
#[wasm_bindgen(js_name = floodCancel)]
pub fn flood_cancel() {
    ask_run(RunAsk::Cancel);
}

#[derive(Clone, Copy, Debug)]
enum RunAsk {
    Pause,
    Resume,
    Cancel,
}

fn ask_run(ask: RunAsk) {
    if let Ok(mut pending) = PENDING_RUN_ASK.lock() {
        *pending = Some(ask);
    }
}

/// Acknowledges the unacknowledged alarms (of `device` only, when given) as
/// the operator's buttons do: a flood alarm goes to the gateway, which
/// records who (`data-sontinh-feeds` counts `acknowledged=N`).
#[wasm_bindgen(js_name = acknowledgeAlarms)]
pub fn acknowledge_alarms(device: Option<String>) {
    if let Ok(mut pending) = PENDING_FEED_ASKS.lock() {
        pending.push(FeedAsk::Acknowledge(device));
    }
}

/// Makes the report of `period` (`day`, `week` or `received`, ending at the
/// shown moment) in the panels' language and offers it as a download, as
/// the dashboard's button does.
#[wasm_bindgen(js_name = feedReport)]
pub fn feed_report(period: &str) -> Result<(), JsValue> {
    let period = match period {
        "day" => sontinh_feeds_view::report::ReportPeriod::Day,
        "week" => sontinh_feeds_view::report::ReportPeriod::Week,
        "received" => sontinh_feeds_view::report::ReportPeriod::Received,
        other => return Err(JsValue::from_str(&format!("feedReport(\"{other}\"): the period is day, week or received"))),
    };
    if let Ok(mut pending) = PENDING_FEED_ASKS.lock() {
        pending.push(FeedAsk::Report(period));
    }
    Ok(())
}

/// Takes a measuring tool in hand, as its button does: `point`,
/// `distance`, `height`, `angle`, `area`, `profile` or `volume`.
#[wasm_bindgen(js_name = measureTool)]
pub fn measure_tool(tool: &str) -> Result<(), JsValue> {
    let tool = sontinh_scene::MeasureTool::from_id(tool).ok_or_else(|| JsValue::from_str(&format!("measureTool(\"{tool}\"): the tools are point, distance, height, angle, area, profile and volume")))?;
    push_measure_ask(sontinh_measure_view::MeasureAction::Start(tool));
    Ok(())
}

/// Presses one of the measuring window's buttons: `undo`, `redo`,
/// `remove` (the selected or last point), `clear`, `keep`, `cancel`,
/// `geojson`, `csv` (downloads), `save` (the edited scene file, downloaded).
#[wasm_bindgen(js_name = measureAction)]
pub fn measure_action(action: &str) -> Result<(), JsValue> {
    use sontinh_measure_view::MeasureAction as A;
    let ask = match action {
        "undo" => A::Undo,
        "redo" => A::Redo,
        "remove" => A::RemoveVertex,
        "clear" => A::Clear,
        "keep" => A::Keep { name: sontinh_scene::Text { vi: String::new(), en: String::new() } },
        "cancel" => A::Cancel,
        "geojson" => A::ExportGeoJson,
        "csv" => A::ExportCsv,
        "save" => A::SaveScene,
        other => return Err(JsValue::from_str(&format!("measureAction(\"{other}\"): the actions are undo, redo, remove, clear, keep, cancel, geojson, csv and save"))),
    };
    push_measure_ask(ask);
    Ok(())
}

/// Opens a tour of the scene at a stop (from 1), as a link's
/// `tour=ID&stop=N` does: for pages with buttons of their own. A tour the
/// scene lacks, or a stop past its last, is refused in `data-sontinh-tour`.
#[wasm_bindgen(js_name = tourOpen)]
pub fn tour_open(id: &str, stop: u32) -> Result<(), JsValue> {
    let stop = usize::try_from(stop).ok().and_then(|n| n.checked_sub(1)).ok_or_else(|| JsValue::from_str(&format!("tourOpen(\"{id}\", {stop}): stops count from 1")))?;
    if let Ok(mut pending) = PENDING_TOUR.lock() {
        *pending = Some((id.to_owned(), stop));
    }
    Ok(())
}

/// The tour the page last asked for, taken by the app's next update.
static PENDING_TOUR: std::sync::Mutex<Option<(String, usize)>> = std::sync::Mutex::new(None);

fn take_tour_ask(mut request: bevy::prelude::ResMut<sontinh_tour_view::TourRequest>) {
    if let Some(ask) = PENDING_TOUR.lock().ok().and_then(|mut p| p.take()) {
        request.0 = Some(ask);
    }
}

/// What the page asked of the measuring tools, taken by the app's next update.
static PENDING_MEASURE_ASKS: std::sync::Mutex<Vec<sontinh_measure_view::MeasureAction>> = std::sync::Mutex::new(Vec::new());

fn push_measure_ask(ask: sontinh_measure_view::MeasureAction) {
    if let Ok(mut pending) = PENDING_MEASURE_ASKS.lock() {
        pending.push(ask);
    }
}

fn take_measure_asks(mut actions: bevy::prelude::MessageWriter<sontinh_measure_view::MeasureAction>) {
    let asks = PENDING_MEASURE_ASKS.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    for ask in asks {
        actions.write(ask);
    }
}

#[derive(Clone, Debug)]
enum FeedAsk {
    Acknowledge(Option<String>),
    Report(sontinh_feeds_view::report::ReportPeriod),
}

/// What the page asked of the feed, taken by the app's next update.
static PENDING_FEED_ASKS: std::sync::Mutex<Vec<FeedAsk>> = std::sync::Mutex::new(Vec::new());

fn take_feed_asks(
    view: bevy::prelude::Res<sontinh_feeds_view::FeedView>,
    timeline: bevy::prelude::Res<sontinh_feeds_view::FeedTimeline>,
    lang: Option<bevy::prelude::Res<sontinh_ui::UiLang>>,
    mut reports: bevy::prelude::ResMut<sontinh_feeds_view::report::Reports>,
) {
    let asks = PENDING_FEED_ASKS.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    if asks.is_empty() {
        return;
    }
    let mut client = view.lock();
    for ask in asks {
        match ask {
            FeedAsk::Acknowledge(device) => client.request_acknowledgements(device.as_deref()),
            FeedAsk::Report(period) => {
                let Some(now) = timeline.shown_ms(&client) else { continue };
                let lang = lang.as_ref().map_or(sontinh_scene::Lang::Vi, |l| l.0);
                reports.asked.push(period.ask(&client, now, lang));
            }
        }
    }
}

/// A run asked for by [`flood_plan`] (scenario and edits), taken by the
/// app's next update.
static PENDING_PLAN: std::sync::Mutex<Option<(String, Option<String>)>> = std::sync::Mutex::new(None);
/// A pause, resume or cancel asked for by the page.
static PENDING_RUN_ASK: std::sync::Mutex<Option<RunAsk>> = std::sync::Mutex::new(None);

/// Starts the run [`flood_plan`] asked for, and passes the page's pause,
/// resume and cancel on to the running one.
fn take_pending_plan(
    scene: Option<bevy::prelude::Res<sontinh_layers::ActiveScene>>,
    mut run: bevy::prelude::ResMut<sontinh_flood_view::PlannerRun>,
    mut mode: Option<bevy::prelude::ResMut<sontinh_ui::UserMode>>,
) {
    // An ask waits for the run a floodPlan just asked for (a page may start
    // a run and pause it at once); with no run coming it is dropped.
    let plan = PENDING_PLAN.lock().ok().and_then(|mut p| p.take());
    // Asked with the plan (in the same task of the page): the run starts so.
    if plan.is_some()
        && let Ok(mut pending) = PENDING_RUN_ASK.lock()
        && let Some(ask) = pending.take()
    {
        run.start_paused = matches!(ask, RunAsk::Pause);
        run.start_cancelled = matches!(ask, RunAsk::Cancel);
    }
    let run_coming = plan.is_some() || run.autostart.is_some() || run.requested;
    if let Ok(mut pending) = PENDING_RUN_ASK.lock()
        && (run.is_running() || !run_coming)
        && let Some(ask) = pending.take()
        && let Some(control) = run.control.as_ref().filter(|_| run.is_running())
    {
        match ask {
            RunAsk::Pause => control.set_paused(true),
            RunAsk::Resume => control.set_paused(false),
            RunAsk::Cancel => control.cancel(),
        }
    }
    let Some((id, edits)) = plan else { return };
    let Some(scene) = scene else { return };
    let Some(index) = scene.0.flood_scenarios.iter().position(|s| s.id == id) else {
        run.outcome = Some(Err(format!("floodPlan(\"{id}\"): the scene has no such flood scenario")));
        return;
    };
    let base = sontinh_flood_plan::ScenarioEdits::from_scenario(index, &scene.0.flood_scenarios[index]);
    match edits.map(|json| base.with_page_json(&json)).transpose() {
        Ok(edits) => {
            run.autostart = Some(index);
            run.autostart_edits = edits;
            if let Some(mode) = mode.as_mut() {
                **mode = sontinh_ui::UserMode::Planner;
            }
        }
        Err(why) => run.outcome = Some(Err(format!("floodPlan(\"{id}\"): {why}"))),
    }
}

/// Offers file `name` of a planner's run in this page (`folder`, as
/// `data-sontinh-flood-run` names it) as a download, as the planner
/// panel's buttons do: for pages that embed the viewer, and for tests.
#[wasm_bindgen(js_name = floodDownload)]
pub fn flood_download(folder: &str, name: &str) -> Result<(), JsValue> {
    sontinh_flood_view::download_result(Path::new(folder), name).map_err(|e| JsValue::from_str(&e))
}

/// The scene file's text, fetched as every layer file is.
async fn fetch_text(url: &str) -> Result<String, JsValue> {
    let bytes = sontinh_layers::file_bytes(Path::new(url)).await.map_err(|e| JsValue::from_str(&e))?;
    String::from_utf8(bytes).map_err(|_| JsValue::from_str(&format!("{url}: not UTF-8 text")))
}

/// Connects the feed at this site's gateway with the token signed in with
/// (the address's, the panel's, or this tab's earlier one), keeping it for
/// the tab (a reload after a lost context signs in again); forgets it on
/// sign-out.
fn connect_signed_in(mut commands: bevy::prelude::Commands, mut sign_in: bevy::prelude::ResMut<sontinh_feeds_view::FeedSignIn>, mut view: bevy::prelude::ResMut<sontinh_feeds_view::FeedView>, mut generation: bevy::prelude::Local<u64>) {
    let Some(window) = web_sys::window() else { return };
    if *generation != view.generation {
        *generation = view.generation;
        session::remove(&window, session::TOKEN);
    }
    let Some(token) = sign_in.requested.take() else { return };
    match feeds::same_origin_gateway(&window.location()) {
        Ok(url) => {
            session::set(&window, session::TOKEN, &token);
            feeds::connect(view.shared.clone(), url.clone(), token.clone());
            view.linked = true;
            commands.insert_resource(sontinh_feeds_view::video::FeedCredentials { gateway: url, token });
        }
        Err(e) => sign_in.error = Some(format!("cannot tell this page's address: {e:?}")),
    }
}

/// Fetches the reports the operator asked for and offers each as a
/// download (a printable HTML page).
fn fetch_reports(mut reports: bevy::prelude::ResMut<sontinh_feeds_view::report::Reports>, credentials: Option<bevy::prelude::Res<sontinh_feeds_view::video::FeedCredentials>>) {
    if reports.asked.is_empty() {
        return;
    }
    let asked = std::mem::take(&mut reports.asked);
    let Some(token) = credentials.map(|c| c.token.clone()) else { return };
    let outcome = reports.outcome.clone();
    for ask in asked {
        let (token, outcome) = (token.clone(), outcome.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let result = match feeds::fetch_page(&token, &ask.path()).await {
                Ok(bytes) => sontinh_layers::offer_download(&ask.file_name(), &bytes, "text/html").map(|()| ask.file_name()),
                Err(e) => Err(e),
            };
            outcome.set(result);
        });
    }
}

/// Opens the stream of the camera the operator watches (one per change of
/// camera; the old one stops when its slot is dropped).
fn start_live_video(
    video: bevy::prelude::Res<sontinh_feeds_view::video::LiveVideo>,
    credentials: Option<bevy::prelude::Res<sontinh_feeds_view::video::FeedCredentials>>,
    mut started: bevy::prelude::Local<u64>,
) {
    if *started == video.generation {
        return;
    }
    *started = video.generation;
    let (Some((camera, slot)), Some(credentials)) = (&video.watching, credentials) else { return };
    feeds::watch_video(credentials.token.clone(), camera.clone(), slot.clone());
}

/// The view the page kept when the graphics context was lost, for the same
/// address (scene and bookmark) only; read once.
fn take_resume_view(window: &web_sys::Window, query: &str, scene: &sontinh_scene::Scene) -> Option<sontinh_scene::Bookmark> {
    let kept_for = session::get(window, session::RESUME_QUERY);
    let view = session::get(window, session::RESUME_VIEW);
    session::remove(window, session::RESUME_QUERY);
    session::remove(window, session::RESUME_VIEW);
    if kept_for.as_deref() != Some(query) {
        return None;
    }
    let (eye, target) = sontinh::web::parse_view(&view?).ok()?;
    Some(sontinh_scene::Bookmark { eye, target, ..scene.default_bookmark().clone() })
}

/// The tab's `sessionStorage`, through `Reflect` (no web-sys feature for
/// it: a new feature rebuilds every crate that uses web-sys). Storage can
/// be refused (private modes): then nothing is kept.
mod session {
    use wasm_bindgen::{JsCast, JsValue};

    pub const TOKEN: &str = "sontinh-feeds-token";
    /// Written by the page's loader when the graphics context is lost.
    pub const RESUME_QUERY: &str = "sontinh-resume-query";
    pub const RESUME_VIEW: &str = "sontinh-resume-view";

    fn call(window: &web_sys::Window, method: &str, args: &[&str]) -> Option<JsValue> {
        let storage = js_sys::Reflect::get(window, &JsValue::from_str("sessionStorage")).ok().filter(JsValue::is_object)?;
        let function: js_sys::Function = js_sys::Reflect::get(&storage, &JsValue::from_str(method)).ok()?.dyn_into().ok()?;
        let args: js_sys::Array = args.iter().map(|a| JsValue::from_str(a)).collect();
        function.apply(&storage, &args).ok()
    }

    pub fn get(window: &web_sys::Window, key: &str) -> Option<String> {
        call(window, "getItem", &[key])?.as_string()
    }

    pub fn set(window: &web_sys::Window, key: &str, value: &str) {
        let _ = call(window, "setItem", &[key, value]);
    }

    pub fn remove(window: &web_sys::Window, key: &str) {
        let _ = call(window, "removeItem", &[key]);
    }
}
