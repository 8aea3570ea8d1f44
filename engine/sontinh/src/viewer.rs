//! The windowed viewer, and what it shares with the headless renderer so
//! that both show the same picture from a bookmark.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bevy::prelude::*;
use sontinh_camera::{CameraRig, SceneCameraPlugin};
use sontinh_flood_view::{FloodOverlayPlugin, FloodResults};
use sontinh_layers::{ActiveScene, EnvironmentPlugin, FloatingOrigin, SceneLayersPlugin};
use sontinh_pointcloud_view::PointCloudViewPlugin;
use sontinh_scene::{Bookmark, Scene};
use sontinh_ui::{ViewerUiPlugin, bookmark_view};

/// `true` when a window can be opened (an X11 display; Wayland sessions
/// provide one through XWayland).
pub fn display_available() -> bool {
    cfg!(target_arch = "wasm32") || std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
}

/// Where the live feeds come from: a gateway and a role token. `Debug`
/// leaves the token out.
#[derive(Clone)]
pub struct FeedLink {
    pub url: String,
    pub token: String,
}

impl std::fmt::Debug for FeedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedLink").field("url", &self.url).field("token", &"<redacted>").finish()
    }
}

impl FeedLink {
    /// The link asked for: `--feeds` or the scene's gateway, when a token is given
    /// (`--token` or `SONTINH_FEEDS_TOKEN`).
    pub fn resolve(scene: &Scene, url: Option<String>, token: Option<String>) -> Result<Option<FeedLink>, String> {
        let token = token.or_else(|| std::env::var("SONTINH_FEEDS_TOKEN").ok()).filter(|t| !t.trim().is_empty());
        let url = url.or_else(|| scene.feeds.as_ref().map(|f| f.gateway.clone()));
        match (url, token) {
            (Some(url), Some(token)) => Ok(Some(FeedLink { url, token: token.trim().to_owned() })),
            (Some(url), None) if scene.feeds.is_none() => Err(format!("--feeds {url}: a role token is needed (--token, or SONTINH_FEEDS_TOKEN; `sontinh feeds token`)")),
            (None, Some(_)) => Err(format!("scene {} has no [feeds] gateway: give one with --feeds ws://host:port/ws", scene.source.display())),
            _ => Ok(None),
        }
    }
}

/// Connects the live feeds: the link applies what arrives on its own thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn connect_feeds(app: &mut App, link: &FeedLink) -> Result<(), String> {
    let mut view = app.world_mut().resource_mut::<sontinh_feeds_view::FeedView>();
    sontinh_feeds_gateway::link::spawn_link_into(sontinh_feeds_gateway::link::LinkConfig::new(&link.url, &link.token), view.shared.clone())?;
    view.linked = true;
    app.insert_resource(sontinh_feeds_view::video::FeedCredentials {
        gateway: link.url.clone(),
        token: link.token.clone(),
    });
    Ok(())
}

/// Fetches the reports the operator asked for and saves each in the
/// temporary folder, telling the dashboard where.
#[cfg(not(target_arch = "wasm32"))]
fn fetch_reports(mut reports: ResMut<sontinh_feeds_view::report::Reports>, credentials: Option<Res<sontinh_feeds_view::video::FeedCredentials>>, lang: Option<Res<sontinh_ui::UiLang>>) {
    if reports.asked.is_empty() {
        return;
    }
    let asked = std::mem::take(&mut reports.asked);
    let Some(credentials) = credentials.map(|c| c.clone()) else {
        reports.outcome.set(Err("no feed is signed in".to_owned()));
        return;
    };
    let lang = lang.map_or(sontinh_scene::Lang::Vi, |l| l.0);
    let outcome = reports.outcome.clone();
    let _ = std::thread::Builder::new().name("sontinh-report".to_owned()).spawn(move || {
        for ask in asked {
            let result = sontinh_feeds_gateway::video::fetch_page(&credentials.gateway, &credentials.token, &ask.path()).and_then(|bytes| {
                let path = std::env::temp_dir().join(ask.file_name());
                std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(format!("{}: {}", sontinh_ui::tr("report_saved", lang), path.display()))
            });
            outcome.set(result);
        }
    });
}

/// Opens the stream of the camera the operator watches (one per change of
/// camera; the old one stops when its slot is dropped).
#[cfg(not(target_arch = "wasm32"))]
fn start_live_video(video: Res<sontinh_feeds_view::video::LiveVideo>, credentials: Option<Res<sontinh_feeds_view::video::FeedCredentials>>, mut started: Local<u64>) {
    if *started == video.generation {
        return;
    }
    *started = video.generation;
    let (Some((camera, slot)), Some(credentials)) = (&video.watching, credentials) else { return };
    if let Err(e) = sontinh_feeds_gateway::video::spawn_video(&credentials.gateway, &credentials.token, camera, slot.clone()) {
        sontinh_feeds::video_end(slot, Some(e));
    }
}

/// The plugins that put a scene on screen, shared by viewer and renderer;
/// `flood` is the output folder of a flood run to draw over it.
pub fn add_scene_plugins(app: &mut App, scene: Scene, flood: Option<PathBuf>) {
    app.add_plugins((
        EnvironmentPlugin,
        SceneLayersPlugin,
        SceneCameraPlugin,
        FloodOverlayPlugin,
        PointCloudViewPlugin,
        sontinh_feeds_view::FeedsViewPlugin,
        sontinh_measure_view::MeasurePlugin,
        sontinh_basemap_view::BasemapViewPlugin,
        sontinh_vector_view::VectorViewPlugin,
        sontinh_tour_view::TourViewPlugin,
        sontinh_xr_view::XrViewPlugin,
    ))
    .insert_resource(ActiveScene(Arc::new(scene)));
    if let Some(dir) = flood {
        app.insert_resource(FloodResults(dir));
    }
}

/// The scene camera looking from `bookmark`, without a render target, and
/// the floating origin it is placed against (insert it as a resource).
pub fn scene_camera(bookmark: &Bookmark) -> (FloatingOrigin, impl Bundle) {
    let origin = FloatingOrigin::at(bookmark.eye);
    let (pose, fov) = bookmark_view(bookmark, &origin);
    let distance = pose.eye.distance(pose.target);
    let camera = (
        Name::new("scene camera"),
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection {
            fov,
            near: 0.5,
            far: (distance * 10.0).max(60_000.0),
            ..default()
        }),
        Transform::from_translation(pose.eye).looking_at(pose.target, Vec3::Y),
        CameraRig::from_pose(pose),
        sontinh_layers::site_fog(distance),
    );
    (origin, camera)
}

/// The viewer's window on `scene`: its title, filling its parent in a page.
pub fn viewer_window(scene: &Scene) -> Window {
    Window {
        title: format!("Sơn Tinh — {} / {}", scene.name.vi, scene.name.en),
        fit_canvas_to_parent: true,
        ..default()
    }
}

/// Opens the viewer window on `scene`; returns when it is closed.
pub fn run(scene: Scene, flood: Option<PathBuf>, feeds: Option<FeedLink>, memory: sontinh_layers::MemoryBudget, tour: Option<(String, usize)>) -> ExitCode {
    let window = viewer_window(&scene);
    let bookmark = scene.default_bookmark().clone();
    let mut app = viewer_app(scene, window, bookmark, flood, true);
    app.insert_resource(memory);
    // A deep link: the tour opens at its stop once the scene is up.
    app.insert_resource(sontinh_tour_view::TourRequest(tour));
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(link) = &feeds {
        let planner = app.world().contains_resource::<FloodResults>();
        if let Err(e) = connect_feeds(&mut app, link) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        if !planner && sontinh_feeds_gateway::token::claimed_role(&link.token) == Some(sontinh_feeds::Role::Operator) {
            app.insert_resource(sontinh_ui::UserMode::Operator);
        }
    }
    #[cfg(target_arch = "wasm32")]
    let _ = feeds;
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// The viewer's app on `scene` in `window`, looking from `bookmark`; `ui`
/// false leaves the panels out (the browser tests compare such frames with
/// the headless renderer's, which has none).
pub fn viewer_app(scene: Scene, window: Window, bookmark: Bookmark, flood: Option<PathBuf>, ui: bool) -> App {
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(window),
        ..default()
    }));
    let planner = flood.is_some();
    add_scene_plugins(&mut app, scene, flood);
    #[cfg(not(target_arch = "wasm32"))]
    app.insert_resource(sontinh_flood_view::PlannerRunner)
        .add_systems(Update, (start_planner_runs, connect_signed_in, start_live_video, fetch_reports));
    if ui {
        app.add_plugins(ViewerUiPlugin);
    }
    app.add_systems(Startup, move |mut commands: Commands| {
        let (origin, camera) = scene_camera(&bookmark);
        commands.insert_resource(origin);
        commands.spawn(camera);
    });
    if planner {
        // Flood results are the planner's view.
        app.insert_resource(sontinh_ui::UserMode::Planner);
    }
    app
}

/// Connects the feed the user signed in to from the panel, at the scene's gateway.
#[cfg(not(target_arch = "wasm32"))]
fn connect_signed_in(mut commands: Commands, mut sign_in: ResMut<sontinh_feeds_view::FeedSignIn>, mut view: ResMut<sontinh_feeds_view::FeedView>, scene: Option<Res<ActiveScene>>) {
    let Some(token) = sign_in.requested.take() else { return };
    let Some(gateway) = scene.and_then(|s| s.0.feeds.as_ref().map(|f| f.gateway.clone())) else {
        sign_in.error = Some("this scene has no feed gateway".to_owned());
        return;
    };
    match sontinh_feeds_gateway::link::spawn_link_into(sontinh_feeds_gateway::link::LinkConfig::new(&gateway, &token), view.shared.clone()) {
        Ok(()) => {
            view.linked = true;
            commands.insert_resource(sontinh_feeds_view::video::FeedCredentials { gateway, token });
        }
        Err(e) => sign_in.error = Some(e),
    }
}

/// Starts the flood the planner asked for on a background thread, with the
/// planner's edits, writing into a fresh temporary folder that the overlay
/// follows as snapshots arrive.
#[cfg(not(target_arch = "wasm32"))]
fn start_planner_runs(
    mut run: ResMut<sontinh_flood_view::PlannerRun>,
    edits: Option<Res<sontinh_flood_view::PlannerEdits>>,
    scene: Option<Res<ActiveScene>>,
    mut runs: Local<u32>,
) {
    if !run.requested {
        return;
    }
    run.requested = false;
    let (Some(edits), Some(scene)) = (edits, scene) else { return };
    let Some(edited) = edits.apply(&scene.0) else {
        run.outcome = Some(Err("the chosen flood scenario is not in this scene".to_owned()));
        return;
    };
    let Some(id) = edited.flood_scenarios.get(edits.scenario).map(|s| s.id.clone()) else { return };
    *runs += 1;
    let dir = std::env::temp_dir().join(format!("sontinh-planner-{}-{}", std::process::id(), *runs));
    let _ = std::fs::remove_dir_all(&dir);
    let control = Arc::new(sontinh_flood::RunControl::default());
    let finished: sontinh_flood_view::RunResult = Arc::default();
    let (thread_control, thread_finished, thread_dir) = (control.clone(), finished.clone(), dir.clone());
    std::thread::spawn(move || {
        let result = crate::flood::run_controlled(&edited, Some(&id), &thread_dir, crate::flood::Backend::Cpu, &thread_control).map(|o| o.report);
        if let Ok(mut slot) = thread_finished.lock() {
            *slot = Some(result);
        }
    });
    run.started(control, dir, finished);
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use sontinh_flood_view::{PlannerEdits, PlannerRun};
    use std::path::Path;

    #[test]
    fn feed_link_debug_never_shows_the_token() {
        let link = FeedLink { url: "ws://127.0.0.1:8787/ws".into(), token: "v1.operator.9999999999.secret-signature".into() };
        let printed = format!("{link:?}");
        assert!(!printed.contains("secret-signature"), "{printed}");
    }

    /// The planner's Run button: the edited scenario runs on a thread, can be
    /// paused (time stands still) and resumed, and ends with places listed.
    #[test]
    fn planner_runs_an_edited_flood_in_the_background() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenes/flood-small.toml");
        let scene = sontinh_scene::load(&path).unwrap();
        let mut edits = PlannerEdits::from_scenario(0, &scene.flood_scenarios[0]);
        edits.rain_mm_per_hour = 30.0;
        edits.breach = Some([250.0, 0.0]);
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(ActiveScene(Arc::new(scene)))
            .insert_resource(edits)
            .init_resource::<PlannerRun>()
            .add_systems(Update, start_planner_runs);
        app.world_mut().resource_mut::<PlannerRun>().requested = true;
        app.update();
        let run = app.world().resource::<PlannerRun>();
        assert!(!run.requested && run.is_running());
        let control = run.control.clone().unwrap();
        let finished = run.finished.clone().unwrap();
        let dir = run.out_dir.clone().unwrap();

        // Paused at once: the run holds after its first step, well before its
        // end (the domain alone takes longer to build than this takes).
        control.set_paused(true);
        let holding = control.wait_until_holding(std::time::Duration::from_secs(120));
        assert!(
            holding,
            "the run never held at the pause (finished already: {})",
            finished.lock().unwrap().is_some()
        );
        let held = control.progress();
        assert!(held > 0.0 && held < 1.0, "held mid-run, at {held}");
        // Holding: blocked between two steps, so nothing moves however often we look.
        for _ in 0..1000 {
            assert!(control.is_holding(), "still holding");
            assert_eq!(control.progress(), held, "paused: no progress");
            assert!(finished.lock().unwrap().is_none(), "paused: not finished");
            std::thread::yield_now();
        }
        assert!(!dir.join("summary.json").exists(), "paused before the summary is written");
        control.set_paused(false);

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        let outcome = loop {
            if let Some(result) = finished.lock().unwrap().take() {
                break result;
            }
            assert!(std::time::Instant::now() < deadline, "the run did not finish");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(control.progress() > 0.999, "resumed and ran to the end: {}", control.progress());
        let report = outcome.unwrap();
        assert!(report.contains("Places under water"), "{report}");
        let places = sontinh_flood_view::read_places(&dir);
        assert_eq!(places.len(), 2);
        let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
        // The edited 30 mm/h (the scene says 10) for the scenario's half hour, over 4 km².
        let rain = summary["volume_m3"]["rain"].as_f64().unwrap();
        assert!((rain - 0.03 * 4.0e6 * (0.5 + 30.0 / 3600.0)).abs() < 1.0, "{summary}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
