//! What the viewer tells the page it runs in, and what the page's address
//! asks of the viewer. The logic is plain functions (tested natively); only
//! writing to the DOM is browser code.
//!
//! The page reads the viewer's state from attributes of `<html>`:
//! `data-sontinh-state` (`loading`, then `ready` once every layer settled and
//! frames were drawn after that), `data-sontinh-progress` (0 to 1),
//! `data-sontinh-layers` (`id=status` pairs, one a line) and
//! `data-sontinh-frames` (frames drawn so far), `data-sontinh-camera`
//! (the camera's position in the scene frame, metres, when it moves) and
//! `data-sontinh-memory` (held, peak and budget, MiB, and the preset),
//! `data-sontinh-view` (eye and target in scene metres: the page keeps it
//! to start again where the user was after a lost graphics context) and,
//! with live feeds, `data-sontinh-feeds` (connection, role, devices,
//! observations, whether the whole history arrived), and with point clouds
//! `data-sontinh-points` (points and nodes drawn), and while measuring
//! `data-sontinh-measure` (the tool, its points and figures), and the
//! feature of a vector or city layer last picked `data-sontinh-feature`.
//! Tests wait on them.

use bevy::prelude::*;
use sontinh_layers::{LayerStates, LayerStatus};

/// Frames drawn after every layer settled before the page hears "ready", so
/// that pipelines compiled and shadows filled (as the headless renderer does).
pub const FRAMES_BEFORE_READY: u32 = 3;

/// The largest device pixel ratio rendered at: phones report 3 or more,
/// which would triple the fill cost for a sharpness nobody sees in 3D.
pub const MAX_RENDER_SCALE: f32 = 2.0;

/// What the page's address asks for: `?scene=URL&bookmark=ID&ui=0`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageRequest {
    /// The scene file's URL, relative to the page; none: the default scene.
    pub scene: Option<String>,
    pub bookmark: Option<String>,
    /// False with `ui=0`: no panels (for comparisons with headless renders).
    pub ui: bool,
    /// A role token for the live feeds (`token=`), when the page is given one.
    pub token: Option<String>,
    /// `memory=phone|desktop|wall|MiB`: the budget, instead of the device's preset.
    pub memory: Option<sontinh_layers::MemoryBudget>,
    /// `quality=low|high`: the rendering quality, instead of the device's
    /// (the page takes low on phones).
    pub quality: Option<sontinh_layers::Quality>,
    /// `flood=floods/NAME`: a flood run's results on this site (`sontinh serve --flood`).
    pub flood: Option<String>,
    /// `flood_hours=H`: the snapshot nearest H hours into the flood (else the maximum).
    pub flood_hours: Option<f64>,
    /// `points=N`: the point clouds' point budget, instead of the viewer's default.
    pub point_budget: Option<u64>,
    /// `plan=SCENARIO`: open for planners and run that flood scenario of the scene.
    pub plan: Option<String>,
    /// `flood_solver=cpu`: planners' floods on the CPU in the page's worker
    /// even where the page's WebGPU device could run them (`gpu`, the default).
    pub flood_on_cpu: bool,
    /// `at=TIME` (RFC 3339): the live feed shown at that moment of its
    /// history instead of live (a moment to share, such as a flood's peak).
    pub feeds_at: Option<i64>,
    /// `camera=ID`: the operator's panel opens on that camera (its live
    /// video, where it has one).
    pub camera: Option<String>,
    /// `measure=TOOL`: the page opens with that measuring tool in hand
    /// (point, distance, height, angle, area, profile, volume).
    pub measure: Option<sontinh_scene::MeasureTool>,
    /// `tour=ID&stop=N`: the page opens that tour at stop N (from 1; the first when absent).
    pub tour: Option<(String, usize)>,
}

/// The largest point budget an address may ask for: the memory budget caps
/// what is held anyway; this only refuses nonsense.
pub const MAX_POINT_BUDGET: u64 = 100_000_000;

impl PageRequest {
    /// Reads a query string (with or without its `?`). Unknown keys are
    /// ignored as a browser ignores them; a bad value is an error naming it.
    pub fn parse(query: &str) -> Result<PageRequest, String> {
        let mut request = PageRequest { ui: true, ..PageRequest::default() };
        let mut stop = None;
        for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            match &*key {
                "scene" => {
                    if value.is_empty() || value.contains("://") || value.starts_with("//") {
                        return Err(format!("scene={value}: give a path on this site (for example scenes/relic-gallery.toml)"));
                    }
                    request.scene = Some(value.into_owned());
                }
                "bookmark" => request.bookmark = Some(value.into_owned()).filter(|v| !v.is_empty()),
                "camera" => request.camera = Some(value.into_owned()).filter(|v| !v.is_empty()),
                "tour" => request.tour = Some((value.into_owned(), 0)).filter(|(v, _)| !v.is_empty()),
                "stop" => stop = Some(sontinh_tour::link::parse_stop_number(&value)?),
                "measure" => {
                    request.measure = Some(sontinh_scene::MeasureTool::from_id(&value).ok_or_else(|| {
                        let tools: Vec<&str> = sontinh_scene::MeasureTool::ALL.iter().map(|t| t.id()).collect();
                        format!("measure={value}: the measuring tools are {}", tools.join(", "))
                    })?);
                }
                "plan" => request.plan = Some(value.into_owned()).filter(|v| !v.is_empty()),
                "flood_solver" => {
                    request.flood_on_cpu = match &*value {
                        "cpu" => true,
                        "gpu" => false,
                        other => return Err(format!("flood_solver={other}: use flood_solver=gpu (the page's WebGPU device where it has one) or flood_solver=cpu")),
                    }
                }
                "token" => request.token = Some(value.trim().to_owned()).filter(|v| !v.is_empty()),
                "at" => request.feeds_at = Some(sontinh_feeds::parse_time(&value).map_err(|e| format!("at={value}: {e} (for example at=2020-10-18T01:30:00%2B07:00)"))?),
                "memory" => request.memory = Some(sontinh_layers::MemoryBudget::parse(&value)?),
                "quality" => request.quality = Some(sontinh_layers::Quality::parse(&value).map_err(|e| format!("quality={value}: {e}"))?),
                "points" => {
                    let budget = value.parse::<u64>().ok().filter(|n| (1..=MAX_POINT_BUDGET).contains(n));
                    request.point_budget = Some(budget.ok_or_else(|| format!("points={value}: give the point budget, a whole number from 1 to {MAX_POINT_BUDGET}"))?);
                }
                "flood" => {
                    if value.is_empty() || value.contains("://") || value.starts_with("//") {
                        return Err(format!("flood={value}: give the results' path on this site (for example floods/thach-han)"));
                    }
                    request.flood = Some(value.trim_end_matches('/').to_owned());
                }
                "flood_hours" => {
                    let hours = value.parse::<f64>().ok().filter(|h| h.is_finite() && *h >= 0.0);
                    request.flood_hours = Some(hours.ok_or_else(|| format!("flood_hours={value}: give hours into the flood, a number ≥ 0"))?);
                }
                "ui" => {
                    request.ui = match &*value {
                        "0" | "false" | "off" => false,
                        "1" | "true" | "on" => true,
                        other => return Err(format!("ui={other}: use ui=0 or ui=1")),
                    }
                }
                _ => {}
            }
        }
        match (&mut request.tour, stop) {
            (Some((_, at)), Some(stop)) => *at = stop,
            (None, Some(stop)) => return Err(format!("stop={}: give the tour too (tour=ID&stop=N)", stop + 1)),
            _ => {}
        }
        Ok(request)
    }
}

/// The planner's run as `data-sontinh-flood-run` says it: `running 42%`,
/// `pausing 42%` (asked to), `paused 42%` (holding: no step until resumed),
/// `done FOLDER` or `failed: why`; `None` before any run.
pub fn flood_run_text(run: &sontinh_flood_view::PlannerRun) -> Option<String> {
    match (&run.outcome, &run.control) {
        (Some(Ok(_)), _) => Some(format!("done {}", run.out_dir.as_ref()?.display())),
        (Some(Err(why)), _) => Some(format!("failed: {}", why.replace('\n', " "))),
        (None, Some(control)) => {
            let state = match (control.is_paused(), control.is_holding()) {
                (true, true) => "paused",
                (true, false) => "pausing",
                _ => "running",
            };
            Some(format!("{state} {:.0}%", control.progress() * 100.0))
        }
        (None, None) => None,
    }
}

/// What the page is told.
#[derive(Clone, Debug, PartialEq)]
pub struct PageStatus {
    pub ready: bool,
    pub progress: f32,
    /// `id=loading 40%`, `id=ready` or `id=failed: why`, a line each.
    pub layers: String,
}

/// The page's status from the layers' states and the frames drawn since
/// they all settled.
pub fn page_status(states: &LayerStates, frames_since_settled: u32) -> PageStatus {
    let layers = states
        .layers
        .iter()
        .map(|l| match &l.status {
            LayerStatus::Loading(p) => format!("{}=loading {:.0}%", l.id, p.clamp(0.0, 1.0) * 100.0),
            LayerStatus::Ready => format!("{}=ready", l.id),
            LayerStatus::Failed(why) => format!("{}=failed: {}", l.id, why.replace('\n', " ")),
        })
        .collect::<Vec<_>>()
        .join("\n");
    PageStatus {
        ready: states.all_settled() && frames_since_settled >= FRAMES_BEFORE_READY,
        progress: states.progress(),
        layers,
    }
}

/// The render scale for a device pixel ratio: at most [`MAX_RENDER_SCALE`],
/// 1 when the browser reports nonsense.
pub fn render_scale(device_pixel_ratio: f64) -> f32 {
    if device_pixel_ratio.is_finite() && device_pixel_ratio > 0.0 {
        (device_pixel_ratio as f32).min(MAX_RENDER_SCALE)
    } else {
        1.0
    }
}

/// `used=MiB peak=MiB budget=MiB preset=NAME`, as `data-sontinh-memory` says it.
pub fn memory_text(used: u64, peak: u64, budget: &sontinh_layers::MemoryBudget) -> String {
    const MIB: u64 = 1024 * 1024;
    let preset = budget.preset.map_or("custom", |p| p.id());
    format!("used={} peak={} budget={} preset={preset}", used / MIB, peak / MIB, budget.bytes / MIB)
}

/// `connection=… role=… devices=N observations=N history=complete|partial`,
/// then, once a flood warning came, `warning=ALARM outline=RINGS` (the rings
/// of its extent drawn on the twin, 0 while not shown), and `labels=N` (the
/// device labels on screen) when the panels draw them, and `video=N` (live
/// frames shown) while a camera is watched, and `acknowledged=N` (alarms
/// the gateway recorded as acknowledged), as `data-sontinh-feeds` says it.
pub fn feeds_text(client: &sontinh_feeds::FeedClient, outline: Option<&sontinh_feeds_view::FloodWarningOutline>, labels: Option<usize>, video: Option<u64>) -> String {
    let connection = match client.connection() {
        sontinh_feeds::Connection::Connecting => "connecting",
        sontinh_feeds::Connection::Connected { broker_connected: true } => "connected",
        sontinh_feeds::Connection::Connected { broker_connected: false } => "broker-down",
        sontinh_feeds::Connection::Disconnected { .. } => "disconnected",
    };
    let role = client.role().map_or("none", |r| r.as_str());
    let observations: usize = (0..client.devices().len()).map(|i| client.history(i).count()).sum();
    let history = if client.history_received() { "complete" } else { "partial" };
    let mut text = format!("connection={connection} role={role} devices={} observations={observations} history={history}", client.devices().len());
    if let Some(warning) = client.flood_warning() {
        let rings = outline.map_or(0, sontinh_feeds_view::FloodWarningOutline::drawn);
        text += &format!(" warning={} outline={rings}", warning.alarm_level);
    }
    if let Some(labels) = labels {
        text += &format!(" labels={labels}");
    }
    if let Some(frames) = video {
        text += &format!(" video={frames}");
    }
    let acknowledged = client.alarms().filter(|a| a.acknowledged_by.is_some()).count();
    if acknowledged > 0 {
        text += &format!(" acknowledged={acknowledged}");
    }
    text
}

/// The camera's eye and target in scene metres (centimetres), as
/// `data-sontinh-view` says them.
pub fn view_text(eye: [f64; 3], target: [f64; 3]) -> String {
    format!("{:.2} {:.2} {:.2} {:.2} {:.2} {:.2}", eye[0], eye[1], eye[2], target[0], target[1], target[2])
}

/// Reads [`view_text`] back (the page hands it over after a lost context):
/// six finite numbers, the eye apart from the target.
pub fn parse_view(text: &str) -> Result<([f64; 3], [f64; 3]), String> {
    let numbers: Vec<f64> = text
        .split_whitespace()
        .map(|n| n.parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("view \"{text}\": expected six numbers (eye x y z, target x y z)"))?;
    let [ex, ey, ez, tx, ty, tz] = numbers[..] else {
        return Err(format!("view \"{text}\": expected six numbers (eye x y z, target x y z), got {}", numbers.len()));
    };
    let (eye, target) = ([ex, ey, ez], [tx, ty, tz]);
    if eye == target {
        return Err(format!("view \"{text}\": the eye is on the target"));
    }
    Ok((eye, target))
}

/// Tells the page how loading goes ([`PageStatus`], written when it changes).
pub struct PageSignalsPlugin;

/// The last status written, and frames counted since the layers settled.
#[derive(Resource, Default, Debug)]
pub struct PageSignals {
    pub last: Option<PageStatus>,
    /// Set once the app asked to exit (a lost GPU device, for one): the page
    /// is told `error` instead of waiting on a viewer that stopped.
    pub stopped: bool,
    /// The camera position last written, rounded to centimetres.
    pub camera: Option<String>,
    /// The memory figures last written ([`memory_text`]).
    pub memory: Option<String>,
    /// The view last written ([`view_text`]).
    pub view: Option<String>,
    /// The feed's state last written ([`feeds_text`]), and what it was made from.
    pub feeds: Option<String>,
    feeds_key: Option<FeedsKey>,
    /// Point cloud points and nodes drawn, as last written.
    pub points: Option<sontinh_pointcloud_view::PointsShown>,
    /// The planner's run, as last written ([`flood_run_text`]).
    pub flood_run: Option<String>,
    /// The measurement being placed, as last written ([`sontinh_measure_view::measure_signal`]).
    pub measure: Option<String>,
    /// The picked feature, as last written ([`sontinh_vector_view::picked_signal`]).
    pub feature: Option<String>,
    pub frames_since_settled: u32,
    pub frames: u64,
}

impl Plugin for PageSignalsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PageSignals>().add_systems(Last, signal_page);
    }
}

/// The camera's position as the page is told it (centimetres: a touch that
/// moves the view changes it, float noise does not).
pub fn camera_text(position: Vec3) -> String {
    format!("{:.2} {:.2} {:.2}", position.x, position.y, position.z)
}

/// How the flood results (when shown) are coming along.
#[derive(bevy::ecs::system::SystemParam)]
struct FloodProgress<'w> {
    results: Option<Res<'w, sontinh_flood_view::FloodResults>>,
    status: Option<Res<'w, sontinh_flood_view::FloodOverlayStatus>>,
    timeline: Option<Res<'w, sontinh_flood_view::FloodTimeline>>,
    loading: Option<Res<'w, sontinh_flood_view::FloodLoading>>,
}

impl FloodProgress<'_> {
    /// Settled, and the line the page lists it with (when results are shown).
    fn state(&self) -> (bool, Option<String>) {
        match (&self.results, &self.status, &self.timeline, &self.loading) {
            (Some(results), Some(status), Some(timeline), Some(loading)) => {
                let settled = sontinh_flood_view::flood_settled(Some(results), status, timeline, loading);
                (settled, Some(sontinh_flood_view::flood_state_text(status, settled)))
            }
            _ => (true, None),
        }
    }
}

/// What the page is told of the live feed.
#[derive(bevy::ecs::system::SystemParam)]
struct FeedSignals<'w> {
    view: Option<Res<'w, sontinh_feeds_view::FeedView>>,
    warning_outline: Option<Res<'w, sontinh_feeds_view::FloodWarningOutline>>,
    labels: Option<Res<'w, sontinh_feeds_view::DeviceLabelsShown>>,
    video: Option<Res<'w, sontinh_feeds_view::video::LiveVideo>>,
}

/// What [`feeds_text`] is made from, cheap to compare each frame.
type FeedsKey = (
    (u64, u64, u64, Option<i64>),
    bool,
    Option<sontinh_feeds::Role>,
    std::mem::Discriminant<sontinh_feeds::Connection>,
    (Option<i64>, usize),
    (Option<usize>, Option<u64>, usize),
);

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are what it reads
fn signal_page(
    states: Res<LayerStates>,
    cameras: Query<&GlobalTransform, With<Camera3d>>,
    rigs: Query<&sontinh_camera::CameraRig>,
    origin: Option<Res<sontinh_layers::FloatingOrigin>>,
    feed: FeedSignals,
    mut exits: MessageReader<AppExit>,
    mut signals: ResMut<PageSignals>,
    memory: Option<Res<sontinh_layers::MemoryUse>>,
    budget: Option<Res<sontinh_layers::MemoryBudget>>,
    flood: FloodProgress,
    points: Option<Res<sontinh_pointcloud_view::PointsShown>>,
    planner: (Option<Res<sontinh_flood_view::PlannerRun>>, Option<Res<sontinh_flood_view::PageSolver>>),
    measuring: Option<Res<sontinh_measure_view::Measuring>>,
    picked: (Option<Res<sontinh_vector_view::PickedFeature>>, Option<Res<sontinh_vector_view::VectorLayers>>),
) {
    signals.frames += 1;
    if let (Some(picked), Some(shown)) = &picked
        && picked.is_changed()
    {
        let text = sontinh_vector_view::picked_signal(picked, shown);
        if signals.feature.as_deref() != Some(text.as_str()) {
            #[cfg(target_arch = "wasm32")]
            page::write_attribute("data-sontinh-feature", &text);
            signals.feature = Some(text);
        }
    }
    if let Some(text) = measuring.filter(|m| m.is_changed()).and_then(|m| sontinh_measure_view::measure_signal(&m))
        && signals.measure.as_deref() != Some(text.as_str())
    {
        #[cfg(target_arch = "wasm32")]
        page::write_attribute("data-sontinh-measure", &text);
        signals.measure = Some(text);
    }
    if let Some(text) = planner.0.as_deref().and_then(flood_run_text)
        && signals.flood_run.as_deref() != Some(text.as_str())
    {
        #[cfg(target_arch = "wasm32")]
        {
            let solver = match planner.1.as_deref() {
                Some(sontinh_flood_view::PageSolver::Gpu) => "gpu",
                Some(sontinh_flood_view::PageSolver::Worker) => "worker",
                _ => "",
            };
            page::write_attribute("data-sontinh-flood-solver", solver);
            page::write_attribute("data-sontinh-flood-run", &text);
        }
        signals.flood_run = Some(text);
    }
    if let Some(points) = points.map(|p| *p)
        && signals.points != Some(points)
    {
        #[cfg(target_arch = "wasm32")]
        page::write_attribute("data-sontinh-points", &format!("{} {}", points.points, points.nodes));
        signals.points = Some(points);
    }
    let FeedSignals { view: feeds, warning_outline, labels, video } = feed;
    if let Some(feeds) = feeds.filter(|f| f.linked) {
        let client = feeds.lock();
        let outline = warning_outline.as_deref();
        let video_frames = video.as_deref().filter(|v| v.watching.is_some()).map(|v| v.frames_shown);
        let key = (
            (feeds.generation, client.devices_version(), client.past_version(), client.latest_time_ms()),
            client.history_received(),
            client.role(),
            std::mem::discriminant(client.connection()),
            (client.flood_warning().map(|w| w.time_ms), outline.map_or(0, sontinh_feeds_view::FloodWarningOutline::drawn)),
            (labels.as_deref().and_then(|l| l.0), video_frames, client.alarms().filter(|a| a.acknowledged_by.is_some()).count()),
        );
        if signals.feeds_key.as_ref() != Some(&key) {
            let text = feeds_text(&client, outline, labels.as_deref().and_then(|l| l.0), video_frames);
            #[cfg(target_arch = "wasm32")]
            page::write_attribute("data-sontinh-feeds", &text);
            signals.feeds = Some(text);
            signals.feeds_key = Some(key);
        }
    }
    if let (Some(rig), Some(origin)) = (rigs.iter().next(), origin) {
        let pose = rig.pose();
        let text = view_text(origin.to_enu(pose.eye), origin.to_enu(pose.target));
        if signals.view.as_deref() != Some(text.as_str()) {
            #[cfg(target_arch = "wasm32")]
            page::write_attribute("data-sontinh-view", &text);
            signals.view = Some(text);
        }
    }
    if let (Some(memory), Some(budget)) = (memory, budget) {
        let text = memory_text(memory.total(), memory.peak_bytes, &budget);
        if signals.memory.as_deref() != Some(text.as_str()) {
            #[cfg(target_arch = "wasm32")]
            page::write_memory(&text);
            signals.memory = Some(text);
        }
    }
    if let Some(exit) = exits.read().last()
        && !signals.stopped
    {
        signals.stopped = true;
        #[cfg(not(target_arch = "wasm32"))]
        let _ = exit;
        #[cfg(target_arch = "wasm32")]
        page::write_stopped(exit);
    }
    if let Some(camera) = cameras.iter().next() {
        let text = camera_text(camera.translation());
        if signals.camera.as_deref() != Some(text.as_str()) {
            #[cfg(target_arch = "wasm32")]
            page::write_camera(&text);
            signals.camera = Some(text);
        }
    }
    // Flood results, when the page shows some, are waited for as a layer is.
    let (flood_settled, flood_line) = flood.state();
    if states.all_settled() && flood_settled {
        signals.frames_since_settled = signals.frames_since_settled.saturating_add(1);
    } else {
        signals.frames_since_settled = 0;
    }
    let mut status = page_status(&states, signals.frames_since_settled);
    if let Some(line) = flood_line {
        status.layers.push('\n');
        status.layers.push_str(&line);
    }
    #[cfg(target_arch = "wasm32")]
    page::write_frames(signals.frames);
    if signals.last.as_ref() != Some(&status) {
        #[cfg(target_arch = "wasm32")]
        page::write_status(&status);
        signals.last = Some(status);
    }
}

#[cfg(target_arch = "wasm32")]
mod page {
    use super::PageStatus;

    fn root() -> Option<web_sys::Element> {
        web_sys::window()?.document()?.document_element()
    }

    pub fn write_status(status: &PageStatus) {
        if let Some(root) = root() {
            // Attribute writes fail only on invalid names, and these are constants.
            let _ = root.set_attribute("data-sontinh-progress", &format!("{:.3}", status.progress));
            let _ = root.set_attribute("data-sontinh-layers", &status.layers);
            let _ = root.set_attribute("data-sontinh-state", if status.ready { "ready" } else { "loading" });
        }
    }

    pub fn write_stopped(exit: &bevy::app::AppExit) {
        if let Some(root) = root() {
            let why = match exit {
                bevy::app::AppExit::Success => "the viewer stopped".to_owned(),
                bevy::app::AppExit::Error(code) => format!("the viewer stopped with error {code} (the browser console says why; a lost graphics device, for one)"),
            };
            let _ = root.set_attribute("data-sontinh-error", &why);
            let _ = root.set_attribute("data-sontinh-state", "error");
        }
    }

    pub fn write_attribute(name: &str, text: &str) {
        if let Some(root) = root() {
            let _ = root.set_attribute(name, text);
        }
    }

    pub fn write_camera(text: &str) {
        if let Some(root) = root() {
            let _ = root.set_attribute("data-sontinh-camera", text);
        }
    }

    pub fn write_memory(text: &str) {
        if let Some(root) = root() {
            let _ = root.set_attribute("data-sontinh-memory", text);
        }
    }

    pub fn write_frames(frames: u64) {
        // Every 30 frames is enough to show the page that frames are drawn.
        if frames % 30 == 1
            && let Some(root) = root()
        {
            let _ = root.set_attribute("data-sontinh-frames", &frames.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_opens_a_measuring_tool_and_names_a_wrong_one() {
        assert_eq!(PageRequest::parse("?scene=s.toml&measure=profile").unwrap().measure, Some(sontinh_scene::MeasureTool::Profile));
        let err = PageRequest::parse("measure=tape").unwrap_err();
        assert!(err.starts_with("measure=tape: the measuring tools are point, distance, height"), "{err}");
    }

    #[test]
    fn a_view_written_for_the_page_reads_back_and_nonsense_is_refused() {
        let text = view_text([1234.5678, -20.0, 35.001], [0.0, 0.25, -3.0]);
        assert_eq!(text, "1234.57 -20.00 35.00 0.00 0.25 -3.00");
        assert_eq!(parse_view(&text).unwrap(), ([1234.57, -20.0, 35.0], [0.0, 0.25, -3.0]));
        assert!(parse_view("1 2 3 4 5").unwrap_err().contains("got 5"));
        assert!(parse_view("1 2 3 4 5 NaN").unwrap_err().contains("six numbers"));
        assert!(parse_view("1 2 3 4 5 inf").is_err());
        assert!(parse_view("1 2 3 1 2 3").unwrap_err().contains("on the target"));
        assert!(parse_view("").is_err());
    }

    #[test]
    fn the_page_hears_the_feeds_state_as_the_gateway_gave_it() {
        use sontinh_feeds::{FeedClient, LinkEvent, Role, ServerMessage};
        let mut client = FeedClient::new(100);
        assert_eq!(feeds_text(&client, None, None, None), "connection=connecting role=none devices=0 observations=0 history=partial");
        let devices = include_str!("../../../assets/feeds/flood-2020-10/devices.json");
        let registry = sontinh_feeds::Registry::from_json(devices).unwrap();
        let mut state = sontinh_feeds::FeedState::new(registry, 100);
        let reading = r#"{"device": "gauge-thach-han", "time": "2020-10-18T01:30:00+07:00", "level_m": 7.4}"#;
        let topic = sontinh_feeds::compact_topic("gauge-thach-han");
        let observation = sontinh_feeds::parse_compact(&topic, reading.as_bytes(), state.registry()).unwrap();
        state.apply(observation.clone(), observation.time_ms).unwrap();
        client.handle(LinkEvent::Connected);
        client.apply(ServerMessage::Snapshot { role: Role::Tourist, snapshot: state.snapshot_for(Role::Tourist), broker_connected: true, lagged: 0 });
        client.apply(ServerMessage::History { observations: vec![observation.view_for(Role::Tourist)], next: None });
        // The scenario's list gives tourists three gauges and two cameras.
        assert_eq!(feeds_text(&client, None, None, None), "connection=connected role=tourist devices=5 observations=1 history=complete");
    }

    #[test]
    fn page_addresses_are_read_as_browsers_encode_them() {
        let request = PageRequest::parse("?scene=scenes%2Frelic-gallery.toml&bookmark=hien+luong&ui=0&utm=x").unwrap();
        assert_eq!(request.scene.as_deref(), Some("scenes/relic-gallery.toml"));
        assert_eq!(request.bookmark.as_deref(), Some("hien luong"));
        assert!(!request.ui);
        assert_eq!(request.token, None);
        assert_eq!(PageRequest::parse("token=abc.def%3D").unwrap().token.as_deref(), Some("abc.def="));
        assert_eq!(PageRequest::parse("").unwrap(), PageRequest { ui: true, ..PageRequest::default() });
        // Vietnamese in UTF-8, as a browser percent-encodes it.
        assert_eq!(PageRequest::parse("bookmark=c%E1%BB%95ng").unwrap().bookmark.as_deref(), Some("cổng"));
        // A lone or broken escape stays as written.
        assert_eq!(PageRequest::parse("bookmark=100%&x").unwrap().bookmark.as_deref(), Some("100%"));
        assert_eq!(PageRequest::parse("bookmark=%zz%4").unwrap().bookmark.as_deref(), Some("%zz%4"));
    }

    #[test]
    fn a_page_asks_for_flood_results_on_its_own_site_at_a_time() {
        let request = PageRequest::parse("scene=scenes%2Fquang-tri-citadel.toml&flood=floods%2Fthach-han%2F&flood_hours=6.5").unwrap();
        assert_eq!(request.flood.as_deref(), Some("floods/thach-han"));
        assert_eq!(request.flood_hours, Some(6.5));
        assert!(PageRequest::parse("flood=https://elsewhere.example/f").unwrap_err().contains("this site"));
        assert!(PageRequest::parse("flood=//elsewhere.example/f").is_err());
        assert!(PageRequest::parse("flood_hours=-1").unwrap_err().contains("≥ 0"));
        // 01:30 on 18 October 2020 in Quảng Trị (UTC+7) is 18:30 UTC the day before: 1,602,959,400 s.
        assert_eq!(PageRequest::parse("at=2020-10-18T01%3A30%3A00%2B07%3A00").unwrap().feeds_at, Some(1_602_959_400_000));
        assert!(PageRequest::parse("at=yesterday").unwrap_err().starts_with("at=yesterday"));
        assert_eq!(PageRequest::parse("camera=cam-citadel-south-gate").unwrap().camera.as_deref(), Some("cam-citadel-south-gate"));
        assert!(PageRequest::parse("flood_hours=soon").is_err());
        assert!(PageRequest::parse("flood_hours=NaN").is_err());
    }

    #[test]
    fn a_page_asks_to_run_a_scenario_on_a_solver() {
        let request = PageRequest::parse("scene=scenes%2Fflood-small.toml&plan=short&flood_solver=cpu").unwrap();
        assert_eq!((request.plan.as_deref(), request.flood_on_cpu), (Some("short"), true));
        let request = PageRequest::parse("plan=&flood_solver=gpu").unwrap();
        assert_eq!((request.plan, request.flood_on_cpu), (None, false));
        assert!(PageRequest::parse("flood_solver=tpu").unwrap_err().contains("flood_solver=tpu"));
    }

    #[test]
    fn the_page_is_told_how_a_run_goes() {
        let mut run = sontinh_flood_view::PlannerRun::default();
        assert_eq!(flood_run_text(&run), None);
        let control = std::sync::Arc::new(sontinh_flood::RunControl::default());
        control.set_progress(0.425);
        run.started(control.clone(), std::path::PathBuf::from("memory:flood-runs/3"), Default::default());
        assert_eq!(flood_run_text(&run).as_deref(), Some("running 42%"));
        control.set_paused(true);
        assert_eq!(flood_run_text(&run).as_deref(), Some("pausing 42%"));
        control.set_holding(true);
        assert_eq!(flood_run_text(&run).as_deref(), Some("paused 42%"));
        run.outcome = Some(Ok("report".into()));
        assert_eq!(flood_run_text(&run).as_deref(), Some("done memory:flood-runs/3"));
        run.outcome = Some(Err("no\nworkers".into()));
        assert_eq!(flood_run_text(&run).as_deref(), Some("failed: no workers"));
    }

    #[test]
    fn a_page_address_opens_a_tour_at_a_stop() {
        assert_eq!(PageRequest::parse("?scene=s.toml&tour=citadel-walk&stop=3").unwrap().tour, Some(("citadel-walk".to_owned(), 2)));
        assert_eq!(PageRequest::parse("?stop=2&tour=t").unwrap().tour, Some(("t".to_owned(), 1)));
        assert_eq!(PageRequest::parse("?tour=t").unwrap().tour, Some(("t".to_owned(), 0)));
        assert_eq!(PageRequest::parse("?stop=2").unwrap_err(), "stop=2: give the tour too (tour=ID&stop=N)");
        assert!(PageRequest::parse("?tour=t&stop=0").unwrap_err().starts_with("stop=0"));
    }

    #[test]
    fn a_page_asks_for_a_rendering_quality() {
        assert_eq!(PageRequest::parse("?quality=low").unwrap().quality, Some(sontinh_layers::Quality::Low));
        assert_eq!(PageRequest::parse("quality=high&scene=s.toml").unwrap().quality, Some(sontinh_layers::Quality::High));
        assert_eq!(PageRequest::parse("scene=s.toml").unwrap().quality, None);
        let e = PageRequest::parse("quality=ultra").unwrap_err();
        assert!(e.starts_with("quality=ultra: ") && e.contains("low") && e.contains("high"), "{e}");
    }

    #[test]
    fn a_page_asks_for_a_point_budget_within_bounds() {
        assert_eq!(PageRequest::parse("points=1000000").unwrap().point_budget, Some(1_000_000));
        assert_eq!(PageRequest::parse("points=100000000").unwrap().point_budget, Some(100_000_000));
        for bad in ["points=0", "points=-5", "points=1e6", "points=100000001", "points=", "points=18446744073709551616"] {
            let err = PageRequest::parse(bad).unwrap_err();
            assert!(err.starts_with(bad) && err.contains("point budget"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_page_address_cannot_point_the_viewer_at_another_site() {
        for bad in ["scene=https://evil.example/x.toml", "scene=//evil.example/x.toml", "scene="] {
            let err = PageRequest::parse(bad).unwrap_err();
            assert!(err.starts_with("scene="), "{bad}: {err}");
        }
        assert!(PageRequest::parse("ui=maybe").unwrap_err().contains("ui=maybe"));
        assert!(PageRequest::parse("memory=lots").unwrap_err().starts_with("memory \"lots\""));
        assert_eq!(PageRequest::parse("memory=phone").unwrap().memory, Some(sontinh_layers::MemoryBudget::of(sontinh_layers::MemoryPreset::Phone)));
    }

    #[test]
    fn the_page_hears_memory_in_whole_mebibytes() {
        let budget = sontinh_layers::MemoryBudget::of(sontinh_layers::MemoryPreset::Phone);
        assert_eq!(memory_text(3 * 1024 * 1024 + 1, 5 * 1024 * 1024, &budget), "used=3 peak=5 budget=384 preset=phone");
    }

    #[test]
    fn render_scale_is_capped_and_sane() {
        assert_eq!(render_scale(1.0), 1.0);
        assert_eq!(render_scale(1.5), 1.5);
        assert_eq!(render_scale(3.5), 2.0);
        assert_eq!(render_scale(f64::NAN), 1.0);
        assert_eq!(render_scale(0.0), 1.0);
    }

    fn layer(id: &str, status: LayerStatus) -> sontinh_layers::LayerState {
        sontinh_layers::LayerState {
            id: id.to_owned(),
            name: sontinh_scene::Text { vi: id.to_owned(), en: id.to_owned() },
            kind: sontinh_scene::LayerKind::Procedural,
            status,
            visible: true,
            opacity: 1.0,
        }
    }

    #[test]
    fn the_page_hears_ready_only_after_frames_are_drawn_on_settled_layers() {
        let source = std::path::PathBuf::from("scenes/x.toml");
        let loading = LayerStates::for_scene(source.clone(), vec![layer("citadel", LayerStatus::Loading(0.25)), layer("dem", LayerStatus::Ready)]);
        let status = page_status(&loading, 100);
        assert!(!status.ready);
        assert_eq!(status.layers, "citadel=loading 25%\ndem=ready");
        assert!((status.progress - 0.625).abs() < 1e-6);

        let settled = LayerStates::for_scene(source, vec![layer("citadel", LayerStatus::Ready), layer("dem", LayerStatus::Failed("no such file\nat x".into()))]);
        assert!(!page_status(&settled, FRAMES_BEFORE_READY - 1).ready);
        let ready = page_status(&settled, FRAMES_BEFORE_READY);
        assert!(ready.ready);
        assert_eq!(ready.layers, "citadel=ready\ndem=failed: no such file at x");
        // Before any scene: nothing is ready, however many frames.
        assert!(!page_status(&LayerStates::default(), 1000).ready);
    }

    #[test]
    fn the_signals_count_frames_from_when_the_layers_settle() {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins).add_plugins(PageSignalsPlugin).init_resource::<LayerStates>();
        app.update();
        assert!(!app.world().resource::<PageSignals>().last.as_ref().unwrap().ready);
        app.insert_resource(LayerStates::for_scene("scenes/x.toml".into(), vec![layer("citadel", LayerStatus::Ready)]));
        for frame in 1..=FRAMES_BEFORE_READY {
            app.update();
            let signals = app.world().resource::<PageSignals>();
            assert_eq!(signals.frames_since_settled, frame);
            assert_eq!(signals.last.as_ref().unwrap().ready, frame >= FRAMES_BEFORE_READY);
        }
        app.insert_resource(LayerStates::for_scene("scenes/x.toml".into(), vec![layer("citadel", LayerStatus::Loading(0.5))]));
        app.update();
        assert_eq!(app.world().resource::<PageSignals>().frames_since_settled, 0);
        // The camera's position is told once it exists, and again when it moves.
        let camera = app.world_mut().spawn((Camera3d::default(), GlobalTransform::from_translation(Vec3::new(1.0, 2.5, -3.0)))).id();
        app.update();
        assert_eq!(app.world().resource::<PageSignals>().camera.as_deref(), Some("1.00 2.50 -3.00"));
        app.world_mut().entity_mut(camera).insert(GlobalTransform::from_translation(Vec3::new(1.0, 2.5, -2.0)));
        app.update();
        assert_eq!(app.world().resource::<PageSignals>().camera.as_deref(), Some("1.00 2.50 -2.00"));
        // An exit the renderer asks for (a lost device) is noticed, once.
        assert!(!app.world().resource::<PageSignals>().stopped);
        app.world_mut().write_message(AppExit::error());
        app.update();
        assert!(app.world().resource::<PageSignals>().stopped);
    }
}
