//! Guided tours on the twin. The player ([`sontinh_tour::Player`]) owns the
//! clock; each frame this plugin puts the camera where the tour's course is,
//! keeps the narration audio and captions of the current stop and language
//! in step with that clock, and applies the stop's layer, measurement and
//! point-cloud settings when a stop begins. Touching the view pauses the
//! tour and gives the camera back.
//!
//! Hotspots' markers are placed by [`hotspots`]; the panels that draw the
//! player, the captions, the markers and the articles are the UI's.

pub mod hotspots;
mod media;
mod stop_settings;

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::input::touch::Touches;
use bevy::prelude::*;
use sontinh_camera::{CameraRig, CameraSystems, FloatingOrigin, NavigationMode, OrbitState, PointerCaptured};
use sontinh_layers::ActiveScene;
use sontinh_scene::{Lang, Scene, View};
use sontinh_tour::course::{Phase, StopPlan, plans};
use sontinh_tour::{Player, PlayerOptions};

pub use hotspots::{HotspotMarker, HotspotMarkers, OpenArticle};
pub use media::{NarrationAudio, NarrationMedia};

pub struct TourViewPlugin;

impl Plugin for TourViewPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TourSettings>()
            .init_resource::<ActiveTour>()
            .init_resource::<TourNow>()
            .init_resource::<TourRequest>()
            .init_resource::<RefusedTourRequest>()
            .init_resource::<NarrationMedia>()
            .init_resource::<HotspotMarkers>()
            .init_resource::<OpenArticle>()
            .add_message::<TourAction>()
            .add_systems(
                Update,
                (
                    forget_tour_of_old_scene,
                    start_requested_tour,
                    yield_to_user,
                    handle_actions,
                    media::load_narration,
                    follow_narration_lengths,
                    advance_player,
                    stop_settings::apply_stop_settings,
                    drive_camera,
                    media::sync_audio,
                    publish_now,
                )
                    .chain()
                    .before(CameraSystems),
            )
            .add_systems(
                PostUpdate,
                hotspots::place_markers.after(bevy::transform::TransformSystems::Propagate),
            );
    }
}

/// The visitor's choices, kept across tours.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct TourSettings {
    pub lang: Lang,
    pub captions: bool,
    /// Narration volume, 0 to 1.
    pub volume: f32,
    pub autoplay: bool,
    /// Cuts instead of flights.
    pub reduced_motion: bool,
}

impl Default for TourSettings {
    fn default() -> Self {
        Self {
            lang: Lang::Vi,
            captions: true,
            volume: 1.0,
            autoplay: true,
            reduced_motion: false,
        }
    }
}

impl TourSettings {
    fn options(&self) -> PlayerOptions {
        PlayerOptions {
            autoplay: self.autoplay,
            reduced_motion: self.reduced_motion,
        }
    }
}

/// What the visitor asks of the player.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum TourAction {
    /// Start a tour (index into the scene's tours), at its first stop or
    /// opened straight at `stop` (0-based).
    Start {
        tour: usize,
        stop: Option<usize>,
    },
    Play,
    Pause,
    Next,
    Previous,
    GoTo(usize),
    Stop,
}

/// A tour to open once the scene is loaded, by id: a deep link's
/// (`--tour ID --stop N`, `?tour=ID&stop=N`).
#[derive(Resource, Default, Clone, Debug, PartialEq)]
pub struct TourRequest(pub Option<(String, usize)>);

/// Why the last [`TourRequest`] could not be followed.
#[derive(Resource, Default, Clone, Debug, PartialEq)]
pub struct RefusedTourRequest(pub Option<String>);

/// The tour being played.
#[derive(Resource, Default)]
pub struct ActiveTour(pub Option<Playing>);

pub struct Playing {
    /// Index into the scene's tours.
    pub tour: usize,
    pub player: Player,
    /// The narration lengths the plans were made with, per stop.
    lengths: Vec<f64>,
    lang: Lang,
    /// The view the player last gave the camera (scene ENU).
    last_view: Option<View>,
    /// The stop whose settings were last applied.
    applied_stop: Option<usize>,
    /// Layers' visibility and opacity before the tour, restored after it.
    saved_layers: Vec<(bool, f32)>,
}

/// What the tour shows now; the UI and the page read it.
#[derive(Resource, Default, Clone, Debug, PartialEq)]
pub struct TourNow {
    /// Index into the scene's tours, and its id.
    pub tour: Option<(usize, String)>,
    /// 0-based.
    pub stop: usize,
    pub stops: usize,
    pub arrived: bool,
    pub playing: bool,
    pub finished: bool,
    /// Seconds into the stop: the narration's clock.
    pub since_start: f64,
    /// The caption showing now, in the tour's language, when captions are on.
    pub caption: Option<String>,
    /// The narration audio playing now, as the scene file writes its path.
    pub audio: Option<String>,
    /// Narration files that could not be read.
    pub problems: Vec<String>,
    pub lang: Lang,
}

fn current_view(rigs: &Query<(&mut CameraRig, &mut Projection)>, origin: &FloatingOrigin) -> Option<View> {
    let (rig, projection) = rigs.iter().next()?;
    let pose = rig.pose();
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => sontinh_camera::rig::DEFAULT_FOV,
    };
    Some(View {
        eye: origin.to_enu(pose.eye),
        target: origin.to_enu(pose.target),
        fov_deg: f64::from(fov.to_degrees()),
    })
}

/// How long each stop's narration lasts in a language, as its captions say
/// (0 until they are loaded): cheap, so it can be compared every frame.
fn narration_lengths(scene: &Scene, tour: usize, lang: Lang, media: &NarrationMedia) -> Vec<f64> {
    scene.tours.get(tour).map_or_else(Vec::new, |t| {
        t.stops
            .iter()
            .map(|s| s.narration.as_ref().and_then(|n| media.captions(n.captions.get(lang))).map_or(0.0, |c| c.end()))
            .collect()
    })
}

/// The stops' plans with those narration lengths.
fn tour_plans(scene: &Scene, tour: usize, lengths: &[f64]) -> Vec<StopPlan> {
    scene.tours.get(tour).map_or_else(Vec::new, |t| plans(t, &scene.bookmarks, |i| lengths.get(i).copied().unwrap_or(0.0)))
}

fn forget_tour_of_old_scene(scene: Option<Res<ActiveScene>>, mut active: ResMut<ActiveTour>, mut seen: Local<Option<std::path::PathBuf>>) {
    let source = scene.map(|s| s.0.source.clone());
    if *seen != source {
        *seen = source;
        active.0 = None;
    }
}

fn start_requested_tour(
    scene: Option<Res<ActiveScene>>,
    mut request: ResMut<TourRequest>,
    mut actions: MessageWriter<TourAction>,
    mut refused: ResMut<RefusedTourRequest>,
) {
    let (Some(scene), Some((id, stop))) = (scene, request.0.clone()) else {
        return;
    };
    request.0 = None;
    refused.0 = match scene.0.tours.iter().position(|t| t.id == id) {
        Some(tour) if stop < scene.0.tours[tour].stops.len() => {
            actions.write(TourAction::Start { tour, stop: Some(stop) });
            None
        }
        Some(tour) => Some(format!(
            "tour \"{id}\" has {} stops: there is no stop {}",
            scene.0.tours[tour].stops.len(),
            stop + 1
        )),
        None => {
            let known: Vec<&str> = scene.0.tours.iter().map(|t| t.id.as_str()).collect();
            Some(format!(
                "tour \"{id}\" is not a tour of this scene (its tours: {})",
                known.join(", ")
            ))
        }
    };
}

/// Moving the view — a drag, a pinch, a wheel turn or a navigation key —
/// pauses the tour: the visitor takes the camera. A tap does not (it picks a
/// feature or opens a hotspot, and egui cannot claim a touch before it lands).
fn yield_to_user(
    mut active: ResMut<ActiveTour>,
    captured: Res<PointerCaptured>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    motion: Option<Res<AccumulatedMouseMotion>>,
    keys: Option<Res<ButtonInput<KeyCode>>>,
    touches: Option<Res<Touches>>,
    scroll: Option<Res<AccumulatedMouseScroll>>,
) {
    let Some(playing) = active.0.as_mut().filter(|p| p.player.playing) else { return };
    if captured.0 {
        return;
    }
    let dragged = mouse.is_some_and(|m| m.get_pressed().next().is_some()) && motion.is_some_and(|m| m.delta.length() > 2.0);
    let swiped = touches.is_some_and(|t| t.iter().any(|touch| touch.distance().length() > TAP_SLOP_PX));
    let scrolled = scroll.is_some_and(|s| s.delta != Vec2::ZERO);
    let moved = keys.is_some_and(|k| {
        k.any_just_pressed([
            KeyCode::KeyW,
            KeyCode::KeyA,
            KeyCode::KeyS,
            KeyCode::KeyD,
            KeyCode::ArrowUp,
            KeyCode::ArrowDown,
            KeyCode::ArrowLeft,
            KeyCode::ArrowRight,
            KeyCode::KeyF,
        ])
    });
    if dragged || swiped || scrolled || moved {
        playing.player.playing = false;
    }
}

/// How far a finger may move and still be tapping, logical pixels.
const TAP_SLOP_PX: f32 = 10.0;

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
fn handle_actions(
    mut actions: MessageReader<TourAction>,
    scene: Option<Res<ActiveScene>>,
    mut active: ResMut<ActiveTour>,
    settings: Res<TourSettings>,
    media: Res<NarrationMedia>,
    origin: Res<FloatingOrigin>,
    rigs: Query<(&mut CameraRig, &mut Projection)>,
    mut layers: ResMut<sontinh_layers::LayerStates>,
) {
    let Some(scene) = scene else {
        actions.clear();
        return;
    };
    let here = current_view(&rigs, &origin);
    for action in actions.read() {
        match action {
            TourAction::Start { tour, stop } => {
                let lengths = narration_lengths(&scene.0, *tour, settings.lang, &media);
                let plans = tour_plans(&scene.0, *tour, &lengths);
                if plans.is_empty() {
                    continue;
                }
                let player = match (stop, here) {
                    (Some(stop), _) => Player::opened_at(plans, *stop, settings.options()),
                    (None, Some(here)) => Some(Player::new(here, plans, settings.options())),
                    (None, None) => Player::opened_at(plans, 0, settings.options()),
                };
                let Some(player) = player else { continue };
                let saved_layers = match active.0.take() {
                    // A tour started from another keeps the layers as they were before both.
                    Some(previous) => previous.saved_layers,
                    None => layers.layers.iter().map(|l| (l.visible, l.opacity)).collect(),
                };
                active.0 = Some(Playing {
                    tour: *tour,
                    player,
                    lengths,
                    lang: settings.lang,
                    last_view: None,
                    applied_stop: None,
                    saved_layers,
                });
            }
            TourAction::Stop => {
                if let Some(playing) = active.0.take() {
                    for (state, (visible, opacity)) in layers.layers.iter_mut().zip(playing.saved_layers) {
                        state.visible = visible;
                        state.opacity = opacity;
                    }
                }
            }
            other => {
                let (Some(playing), Some(here)) = (active.0.as_mut(), here) else {
                    continue;
                };
                let player = &mut playing.player;
                match other {
                    TourAction::Play => {
                        // Moved away while paused: fly back into the stop from here.
                        let moved = playing.last_view.is_some_and(|v| view_moved(&v, &here));
                        if moved || player.finished() {
                            let stop = if player.finished() { 0 } else { player.stop() };
                            player.go_to(stop, here);
                        }
                        player.playing = true;
                    }
                    TourAction::Pause => player.playing = false,
                    TourAction::Next => player.next(here),
                    TourAction::Previous => player.previous(here),
                    TourAction::GoTo(stop) => player.go_to(*stop, here),
                    TourAction::Start { .. } | TourAction::Stop => {}
                }
            }
        }
    }
}

fn view_moved(a: &View, b: &View) -> bool {
    let d = |p: [f64; 3], q: [f64; 3]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
    d(a.eye, b.eye) > 0.5 || d(a.target, b.target) > 0.5
}

/// Captions arriving (or another language, or another motion setting) change
/// how long stops last: the player is re-planned at the same moment.
fn follow_narration_lengths(
    scene: Option<Res<ActiveScene>>,
    mut active: ResMut<ActiveTour>,
    settings: Res<TourSettings>,
    media: Res<NarrationMedia>,
    origin: Res<FloatingOrigin>,
    rigs: Query<(&mut CameraRig, &mut Projection)>,
) {
    let (Some(scene), Some(playing)) = (scene, active.0.as_mut()) else {
        return;
    };
    let lengths = narration_lengths(&scene.0, playing.tour, settings.lang, &media);
    let options = settings.options();
    if lengths == playing.lengths && settings.lang == playing.lang && options == playing.player.options() {
        return;
    }
    let Some(here) = current_view(&rigs, &origin) else { return };
    // The plans are made only when what they depend on changed, not each frame.
    playing.player.replan(tour_plans(&scene.0, playing.tour, &lengths), options, here);
    playing.lengths = lengths;
    playing.lang = settings.lang;
}

fn advance_player(time: Res<Time>, mut active: ResMut<ActiveTour>) {
    if let Some(playing) = active.0.as_mut() {
        playing.player.advance(f64::from(time.delta_secs()));
    }
}

/// Puts the camera where the course is: the rig orbits the view's target,
/// so that when the tour pauses the visitor goes on from there.
fn drive_camera(mut active: ResMut<ActiveTour>, origin: Res<FloatingOrigin>, mut rigs: Query<(&mut CameraRig, &mut Projection)>) {
    let Some(playing) = active.0.as_mut() else { return };
    if !playing.player.playing && playing.last_view.is_some() {
        return;
    }
    let Some(sample) = playing.player.sample() else { return };
    let view = sample.view;
    if playing.last_view == Some(view) {
        return;
    }
    playing.last_view = Some(view);
    let orbit = orbit_of(&view, &origin);
    for (mut rig, mut projection) in &mut rigs {
        rig.flight = None;
        rig.mode = NavigationMode::Orbit;
        rig.orbit = orbit;
        if let Projection::Perspective(p) = projection.as_mut() {
            p.fov = (view.fov_deg as f32).to_radians();
        }
    }
}

/// The orbit that shows `view`, worked out in f64: the pitch from the
/// horizontal and vertical parts of the offset (an arcsine of their ratio
/// loses the horizontal part in f32 when looking nearly straight down, and
/// the eye would wander by a metre from frame to frame over a plan view).
fn orbit_of(view: &View, origin: &FloatingOrigin) -> OrbitState {
    // Scene ENU (east, north, up) to world (x east, y up, z south).
    let offset = [
        view.eye[0] - view.target[0],
        view.eye[2] - view.target[2],
        -(view.eye[1] - view.target[1]),
    ];
    let horizontal = offset[0].hypot(offset[2]);
    let distance = horizontal.hypot(offset[1]);
    OrbitState {
        focus: origin.to_world(view.target),
        yaw: offset[0].atan2(offset[2]) as f32,
        pitch: offset[1].atan2(horizontal) as f32,
        distance: distance as f32,
    }
}

fn publish_now(
    scene: Option<Res<ActiveScene>>,
    active: Res<ActiveTour>,
    settings: Res<TourSettings>,
    media: Res<NarrationMedia>,
    audio: Query<&NarrationAudio>,
    refused: Res<RefusedTourRequest>,
    mut now: ResMut<TourNow>,
) {
    let mut problems = media.problems();
    problems.extend(refused.0.clone());
    let mut next = TourNow {
        problems,
        lang: settings.lang,
        ..TourNow::default()
    };
    if let (Some(scene), Some(playing)) = (scene, active.0.as_ref())
        && let Some(tour) = scene.0.tours.get(playing.tour)
        && let Some(sample) = playing.player.sample()
    {
        next.tour = Some((playing.tour, tour.id.clone()));
        next.stop = sample.stop;
        next.stops = playing.player.stops();
        next.arrived = sample.phase == Phase::Dwell;
        next.playing = playing.player.playing;
        next.finished = playing.player.finished();
        next.since_start = sample.since_start;
        let narration = tour.stops.get(sample.stop).and_then(|s| s.narration.as_ref());
        if settings.captions {
            next.caption = narration
                .and_then(|n| media.captions(n.captions.get(settings.lang)))
                .and_then(|c| c.cue_at(sample.since_start))
                .map(|cue| cue.text.clone());
        }
        next.audio = audio.iter().next().map(|a| a.written.clone());
    }
    if *now != next {
        *now = next;
    }
}
