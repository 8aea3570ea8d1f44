//! Renders one frame of a scene to a PNG with no window: the camera renders
//! into an image, which is read back and written out. Works on Mesa's
//! lavapipe (software Vulkan), so no GPU is needed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use sontinh_layers::LayerStates;
use sontinh_scene::Scene;

use crate::viewer::{add_scene_plugins, scene_camera};

pub struct RenderRequest {
    pub scene: Scene,
    pub bookmark: Option<String>,
    pub width: u32,
    pub height: u32,
    pub out: PathBuf,
    /// A flood run's output folder to draw over the scene.
    pub flood: Option<PathBuf>,
    /// Hours into the flood to show (the maximum when `None`).
    pub flood_time: Option<f64>,
    /// How point clouds are coloured (their default when `None`).
    pub point_color: Option<sontinh_pointcloud_view::ColorMode>,
    /// Frames to time after loading (0: none), for frame-time figures.
    pub time_frames: u32,
    /// Live feeds to draw, and the moment to show (the newest when `None`).
    pub feeds: Option<(crate::viewer::FeedLink, Option<i64>)>,
    /// The scene's one memory budget (meshes, textures, tiles, points).
    pub memory: sontinh_layers::MemoryBudget,
    /// What the section cuts away (nothing when empty).
    pub section: sontinh_layers::Section,
    /// A measurement placed by picking these pixels of the picture, in order.
    pub measure: Option<(sontinh_scene::MeasureTool, Vec<[f32; 2]>)>,
    /// A tour's stop (0-based) to show as its player does, instead of a bookmark.
    pub tour: Option<(String, usize)>,
}

#[derive(Debug)]
pub struct RenderReport {
    pub bookmark: String,
    pub seconds: f64,
    /// Layers that could not be drawn, with the reason.
    pub failed_layers: Vec<(String, String)>,
    /// Median time of the timed frames, milliseconds.
    pub frame_ms: Option<f64>,
    /// LiDAR points drawn in the final frame.
    pub points_drawn: u64,
    /// The most the scene held at once, bytes (see `sontinh_layers::MemoryUse`).
    pub memory_peak_bytes: u64,
    /// The measurement asked for ([`sontinh_measure_view::measure_signal`]).
    pub measured: Option<String>,
}

/// How long loading may take before the render gives up.
const LOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// Frames rendered after loading, so that every pipeline is ready and the
/// shadow maps are filled before the picture is taken.
const SETTLE_FRAMES: u32 = 3;

/// Renders `request`. Bevy panics when it finds no graphics adapter; that
/// panic is caught here and turned into an error that says what to install.
pub fn render(request: &RenderRequest) -> Result<RenderReport, String> {
    let message: Arc<Mutex<Option<String>>> = Arc::default();
    let slot = message.clone();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut slot) = slot.lock() {
            slot.get_or_insert_with(|| info.to_string());
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render_frame(request)));
    std::panic::set_hook(previous_hook);
    result.unwrap_or_else(|_| {
        let why = message.lock().ok().and_then(|m| m.clone()).unwrap_or_default();
        Err(format!(
            "the renderer failed: {why}\nHeadless rendering needs a Vulkan driver; without a GPU, install Mesa's lavapipe (Debian package mesa-vulkan-drivers)."
        ))
    })
}

fn render_frame(request: &RenderRequest) -> Result<RenderReport, String> {
    let started = Instant::now();
    let scene = &request.scene;
    let bookmark = match &request.bookmark {
        Some(id) => scene.bookmark(id).ok_or_else(|| {
            let known: Vec<&str> = scene.bookmarks.iter().map(|b| b.id.as_str()).collect();
            format!(
                "scene {} has no bookmark \"{id}\"; it has: {}",
                scene.source.display(),
                known.join(", ")
            )
        })?,
        None => scene.default_bookmark(),
    }
    .clone();
    // A tour's stop: the camera (its far plane and haze) is made for the
    // stop's view, where the player then holds it.
    let bookmark = match request.tour.as_ref().and_then(|(id, stop)| {
        let tour = scene.tours.iter().find(|t| &t.id == id)?;
        tour.stops.get(*stop)?.view(&scene.bookmarks)
    }) {
        Some(view) => sontinh_scene::Bookmark {
            eye: view.eye,
            target: view.target,
            fov_deg: view.fov_deg,
            ..bookmark
        },
        None => bookmark,
    };
    if let Some(dir) = request.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                ..default()
            })
            .set(RenderPlugin {
                synchronous_pipeline_compilation: true,
                ..default()
            })
            .disable::<WinitPlugin>(),
    );
    add_scene_plugins(&mut app, scene.clone(), request.flood.clone());
    app.world_mut().resource_mut::<sontinh_flood_view::FloodTimeline>().requested_hours = request.flood_time;
    app.insert_resource(request.memory);
    app.insert_resource(request.section.clone());
    if let Some(mode) = request.point_color {
        app.world_mut().resource_mut::<sontinh_pointcloud_view::PointCloudSettings>().color_mode = mode;
    }
    app.finish();
    app.cleanup();

    let target = new_target(&mut app, request.width, request.height);
    let (origin, camera) = scene_camera(&bookmark);
    app.insert_resource(origin);
    app.world_mut().spawn((camera, RenderTarget::Image(target.clone().into())));

    #[cfg(not(target_arch = "wasm32"))]
    if let Some((link, _)) = &request.feeds {
        crate::viewer::connect_feeds(&mut app, link)?;
    }
    if let Some(tour) = &request.tour {
        open_tour_stop(&mut app, tour)?;
    }

    // Load every layer.
    loop {
        app.update();
        let states = app.world().resource::<LayerStates>();
        if states.all_settled() && flood_settled(app.world()) {
            break;
        }
        if started.elapsed() > LOAD_TIMEOUT {
            return Err(format!("the scene's layers did not load within {} s", LOAD_TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Some((link, at)) = &request.feeds {
        wait_for_feeds(&mut app, link, *at)?;
    }
    for _ in 0..SETTLE_FRAMES {
        app.update();
    }
    let measured = request.measure.as_ref().map(|(tool, pixels)| measure(&mut app, *tool, pixels)).transpose()?;
    let mut frame_times: Vec<f64> = (0..request.time_frames)
        .map(|_| {
            let t = std::time::Instant::now();
            app.update();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    frame_times.sort_by(f64::total_cmp);
    let frame_ms = frame_times.get(frame_times.len() / 2).copied();
    let points_drawn = app
        .world_mut()
        .query::<(&sontinh_pointcloud_view::NodePoints, &InheritedVisibility)>()
        .iter(app.world())
        .filter(|(_, v)| v.get())
        .map(|(n, _)| n.positions.len() as u64)
        .sum();

    let captured: Arc<Mutex<Option<Image>>> = Arc::default();
    let slot = captured.clone();
    app.world_mut()
        .spawn(Screenshot::image(target))
        .observe(move |event: On<ScreenshotCaptured>| {
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(event.image.clone());
            }
        });
    let image = loop {
        app.update();
        if let Some(image) = captured.lock().ok().and_then(|mut s| s.take()) {
            break image;
        }
        if started.elapsed() > LOAD_TIMEOUT {
            return Err("the rendered frame was never read back from the GPU".to_owned());
        }
    };
    let rgba = image
        .try_into_dynamic()
        .map_err(|e| format!("the rendered frame cannot be converted: {e}"))?
        .to_rgb8();
    rgba.save(&request.out)
        .map_err(|e| format!("cannot write {}: {e}", request.out.display()))?;

    let mut failed_layers: Vec<(String, String)> = app
        .world()
        .resource::<LayerStates>()
        .failures()
        .map(|(id, why)| (id.to_owned(), why.to_owned()))
        .collect();
    if let Some(Err(why)) = &app.world().resource::<sontinh_flood_view::FloodOverlayStatus>().0 {
        failed_layers.push(("flood results".to_owned(), why.clone()));
    }
    Ok(RenderReport {
        bookmark: match &request.tour {
            Some((tour, stop)) => format!("tour {tour}, stop {}", stop + 1),
            None => bookmark.id,
        },
        seconds: started.elapsed().as_secs_f64(),
        failed_layers,
        frame_ms,
        points_drawn,
        memory_peak_bytes: app.world().resource::<sontinh_layers::MemoryUse>().peak_bytes,
        measured,
    })
}

/// Opens a tour at its stop as a deep link does, and holds it there (the
/// picture is the stop's view at rest, however long the layers take).
fn open_tour_stop(app: &mut App, (tour, stop): &(String, usize)) -> Result<(), String> {
    app.insert_resource(sontinh_tour_view::TourRequest(Some((tour.clone(), *stop))));
    for _ in 0..3 {
        app.update();
        if let Some(why) = &app.world().resource::<sontinh_tour_view::RefusedTourRequest>().0 {
            return Err(why.clone());
        }
        let now = app.world().resource::<sontinh_tour_view::TourNow>();
        if now.tour.is_some() {
            if now.playing {
                app.world_mut().write_message(sontinh_tour_view::TourAction::Pause);
                app.update();
            }
            return Ok(());
        }
    }
    Err(format!("tour \"{tour}\" did not open"))
}

/// How long the renderer waits for the feed gateway.
const FEED_TIMEOUT: Duration = Duration::from_secs(30);

/// Waits until the gateway has sent its snapshot and history, and the
/// snapshots of the cameras in view at the shown moment; then shows that moment.
fn wait_for_feeds(app: &mut App, link: &crate::viewer::FeedLink, at: Option<i64>) -> Result<(), String> {
    let started = Instant::now();
    if let Some(t) = at {
        *app.world_mut().resource_mut::<sontinh_feeds_view::FeedTimeline>() = sontinh_feeds_view::FeedTimeline { live: false, time_ms: t };
    }
    loop {
        app.update();
        let view = app.world().resource::<sontinh_feeds_view::FeedView>().clone();
        let client = view.lock();
        let timeline = app.world().resource::<sontinh_feeds_view::FeedTimeline>();
        let ready = client.role().is_some() && client.history_received();
        if ready {
            let now = timeline.shown_ms(&client).unwrap_or(i64::MAX);
            // Tourists get no snapshot addresses; for others, wait for each camera's picture (briefly).
            let images = app.world().resource::<sontinh_feeds_view::FeedImages>();
            let urls: Vec<String> = (0..client.devices().len()).filter_map(|i| sontinh_feeds_view::latest_snapshot_url(&client, i, now)).collect();
            let pictures_in = urls.iter().all(|url| client.image(url).is_some());
            let textures_made = urls.iter().all(|url| images.by_url.contains_key(url));
            if (pictures_in && textures_made) || started.elapsed() > FEED_TIMEOUT / 3 {
                if !pictures_in {
                    eprintln!("warning: some camera snapshots did not arrive from {}", link.url);
                }
                break;
            }
        }
        if started.elapsed() > FEED_TIMEOUT {
            return Err(format!(
                "the feed gateway at {} sent no snapshot and history within {} s (connection: {:?})",
                link.url,
                FEED_TIMEOUT.as_secs(),
                client.connection()
            ));
        }
        drop(client);
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Some(t) = at {
        let client = app.world().resource::<sontinh_feeds_view::FeedView>().clone();
        let range = client.lock().time_range();
        if let Some((first, last)) = range
            && (t < first || t > last)
        {
            eprintln!(
                "warning: {} is outside the feed's history ({} to {})",
                sontinh_feeds::format_local_time(t),
                sontinh_feeds::format_local_time(first),
                sontinh_feeds::format_local_time(last)
            );
        }
    }
    Ok(())
}

fn new_target(app: &mut App, width: u32, height: u32) -> Handle<Image> {
    let mut image = Image::new_uninit(
        Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
    app.world_mut().resource_mut::<Assets<Image>>().add(image)
}

/// Whether the flood results the render shows (if any) are read and drawn.
/// Places a measurement by picking `pixels` as clicks there would, and
/// says what it measured; a pixel that shows nothing is an error.
fn measure(app: &mut App, tool: sontinh_scene::MeasureTool, pixels: &[[f32; 2]]) -> Result<String, String> {
    use sontinh_measure_view::{MeasureAction, Measuring};
    app.world_mut().write_message(MeasureAction::Start(tool));
    app.update();
    for [x, y] in pixels {
        app.world_mut().write_message(MeasureAction::AddAtScreen(Vec2::new(*x, *y)));
        let started = std::time::Instant::now();
        app.update();
        // The frame that placed the point and computed the figures, for the figures' cost.
        eprintln!("measure: point at {x},{y} placed and figures computed in a frame of {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
        if let Some(why) = &app.world().resource::<Measuring>().refused {
            return Err(format!("--at {x},{y}: {why}"));
        }
    }
    let measuring = app.world().resource::<Measuring>();
    if let Some(Err(e)) = &measuring.figures {
        return Err(format!("--measure {}: {e}", tool.id()));
    }
    sontinh_measure_view::measure_signal(measuring).ok_or_else(|| "the measuring tool did not start".to_owned())
}

pub(crate) fn flood_settled(world: &World) -> bool {
    sontinh_flood_view::flood_settled(
        world.get_resource::<sontinh_flood_view::FloodResults>(),
        world.resource::<sontinh_flood_view::FloodOverlayStatus>(),
        world.resource::<sontinh_flood_view::FloodTimeline>(),
        world.resource::<sontinh_flood_view::FloodLoading>(),
    )
}
