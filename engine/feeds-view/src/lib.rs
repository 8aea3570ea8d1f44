//! The IOC's live feeds on the twin (Operator mode): water gauges as
//! level bars coloured by flood alarm level, river reaches drawn at the level
//! interpolated between their gauges, cameras with their view pyramid and
//! latest snapshot on a billboard, street lights as lights showing their
//! state, stale devices greyed, and a timeline over the received history.
//!
//! The feed itself is a [`sontinh_feeds::FeedClient`] (transport-free, also
//! used by the browser build); a transport delivers [`LinkEvent`]s into
//! [`FeedInbox`]. Only devices whose state changed are touched each frame,
//! so thousands of updates per frame stay cheap.

pub mod dashboard;
pub mod geometry;
mod look;
mod snapshots;
mod warning_outline;
pub mod labels;
pub mod map_ground;
pub mod placeholder;
pub mod report;
pub mod video;

use std::sync::{Arc, Mutex, MutexGuard};
use std::sync::mpsc::Receiver;

use bevy::prelude::*;
use sontinh_feeds::{DeviceKind, FeedClient, LinkEvent, Reading};
use sontinh_layers::{ActiveScene, FloatingOrigin, GeoPosition, enu_to_world, mesh_from_part};

use geometry::{GAUGE_SYMBOL_M, ReachLine, frustum_corners};
pub use look::{LAMP_LUMENS, Look, Paint, Shape, device_look};
pub use snapshots::{Billboard, FeedImages, decode_snapshot, latest_snapshot_url};
pub use warning_outline::FloodWarningOutline;
use snapshots::{face_billboards, update_images};
use warning_outline::draw_flood_warning;

/// Draws the feed of [`FeedView`] once a transport fills [`FeedInbox`].
pub struct FeedsViewPlugin;

impl Plugin for FeedsViewPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<sontinh_camera::FloatingOriginPlugin>() {
            app.add_plugins(sontinh_camera::FloatingOriginPlugin);
        }
        app.insert_resource(FeedView::default())
            .init_resource::<FeedTimeline>()
            .init_resource::<SelectedCamera>()
            .init_resource::<FeedMarkers>()
            .init_resource::<FeedImages>()
            .init_resource::<FeedSignIn>()
            .init_resource::<FloodWarningOutline>()
            .init_resource::<DeviceLabelsShown>()
            .init_resource::<video::LiveVideo>()
            .init_resource::<report::Reports>()
            .init_resource::<map_ground::MapGround>()
            .add_systems(
                Update,
                (
                    sign_out,
                    drain_inbox,
                    rebuild_markers,
                    map_ground::measure_ground,
                    map_ground::place_on_map,
                    update_markers,
                    update_reaches,
                    update_images,
                    video::follow_selected_camera,
                    video::show_video_frames,
                    face_billboards,
                    scale_markers,
                    draw_camera_frustums.run_if(resource_exists::<bevy::gizmos::config::GizmoConfigStore>),
                    draw_flood_warning.run_if(resource_exists::<bevy::gizmos::config::GizmoConfigStore>),
                )
                    .chain(),
            );
    }
}

/// An App with the feed view and no renderer on `scene`, fed through the
/// returned sender: for tests and benches of the feed logic and markers.
pub fn app_without_renderer(scene: sontinh_scene::Scene) -> (App, std::sync::mpsc::Sender<LinkEvent>) {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, TransformPlugin, FeedsViewPlugin))
        .init_asset::<StandardMaterial>()
        .init_asset::<Image>()
        .insert_resource(ActiveScene(Arc::new(scene)));
    let (tx, rx) = std::sync::mpsc::channel();
    app.insert_resource(FeedInbox(Mutex::new(rx)));
    (app, tx)
}

/// Observations kept per device for the timeline.
pub const HISTORY_PER_DEVICE: usize = 5_000;

/// The feed as this viewer knows it, shared with the transport: a native
/// link applies what it receives on its own thread, so a burst of updates
/// costs the frame only the redrawing of what changed.
#[derive(Resource, Debug, Clone)]
pub struct FeedView {
    pub shared: Arc<Mutex<FeedClient>>,
    /// Whether a transport was started (otherwise the panels stay hidden).
    pub linked: bool,
    /// Counts sign-outs: what was drawn from an earlier client is redrawn.
    pub generation: u64,
}

impl Default for FeedView {
    fn default() -> Self {
        FeedView {
            shared: Arc::new(Mutex::new(FeedClient::new(HISTORY_PER_DEVICE))),
            linked: false,
            generation: 0,
        }
    }
}

/// Signing in and out from the viewer's panel (or the page), for a scene
/// with a feed gateway: the platform's transport connects with
/// `requested`; signing out drops the link and everything it brought.
#[derive(Resource, Default, Debug)]
pub struct FeedSignIn {
    /// A checked token waiting for the transport to connect with it.
    pub requested: Option<String>,
    /// Set by the panel: forget the feed.
    pub sign_out: bool,
    /// Why the last sign-in was refused before connecting, for the panel.
    pub error: Option<String>,
}

/// The longest token accepted from a sign-in field: gateway tokens are a
/// few hundred bytes; a pasted page of text is not a token.
pub const MAX_TOKEN_LEN: usize = 4096;

/// A token as typed or pasted into the sign-in field: surrounding space is
/// dropped; empty, over-long or with spaces or control characters inside
/// (it travels in a header or an address) is refused with the reason.
pub fn sign_in_token(text: &str) -> Result<String, String> {
    let token = text.trim();
    if token.is_empty() {
        return Err("paste the role token you were given (sontinh feeds token)".to_owned());
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(format!("a role token is at most {MAX_TOKEN_LEN} characters; this text has {}", token.len()));
    }
    if let Some(c) = token.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("a role token has no spaces or control characters; found {c:?}"));
    }
    Ok(token.to_owned())
}

/// Signing out: a fresh client (a native link sees it is no longer
/// listened to and stops; the page's link closes its socket).
fn sign_out(mut sign_in: ResMut<FeedSignIn>, mut view: ResMut<FeedView>) {
    if !std::mem::take(&mut sign_in.sign_out) {
        return;
    }
    let generation = view.generation.wrapping_add(1);
    *view = FeedView { generation, ..FeedView::default() };
    sign_in.requested = None;
}

impl FeedView {
    /// The client; a transport that panicked while holding it leaves it usable.
    pub fn lock(&self) -> MutexGuard<'_, FeedClient> {
        self.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where the transport delivers what it receives.
#[derive(Resource)]
pub struct FeedInbox(pub Mutex<Receiver<LinkEvent>>);

/// Which moment is shown: the live feed, or a time scrubbed back to.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct FeedTimeline {
    pub live: bool,
    /// Shown when not live, milliseconds since 1970.
    pub time_ms: i64,
}

impl Default for FeedTimeline {
    fn default() -> Self {
        FeedTimeline { live: true, time_ms: 0 }
    }
}

impl FeedTimeline {
    /// The moment to draw: the feed's newest time when live.
    pub fn shown_ms(&self, client: &FeedClient) -> Option<i64> {
        if self.live { client.latest_time_ms() } else { Some(self.time_ms) }
    }
}

/// The camera whose snapshot the panel shows (a device index).
#[derive(Resource, Default, Debug)]
pub struct SelectedCamera(pub Option<usize>);

/// The entities drawn for each device, by device index.
#[derive(Resource, Default, Debug)]
pub struct FeedMarkers {
    /// The client's generation and device-list version last drawn.
    version: (u64, u64),
    pub devices: Vec<DeviceMarker>,
    /// Each reach's surface entity, line and gauges on it (device index, chainage).
    reaches: Vec<ReachMarker>,
    materials: Option<MarkerMaterials>,
    /// The moment last drawn, and when stale states were last re-checked.
    drawn_ms: Option<i64>,
    stale_checked_ms: Option<i64>,
    /// Devices redrawn in the last frame (for the panel and the bench).
    pub updated_last_frame: usize,
    /// Which devices those were (`None`: all of them).
    redrawn: Option<Vec<usize>>,
    /// The reach each gauge feeds, by device index.
    reach_of_device: Vec<Option<usize>>,
    /// How each device was last drawn.
    looks: Vec<Option<Look>>,
    /// The client's past version last drawn.
    past_seen: u64,
}

#[derive(Debug)]
struct ReachMarker {
    entity: Entity,
    line: ReachLine,
    stations: Vec<(usize, f64)>,
}

/// Gauges farther than this from a reach's centre line are not on it, m.
pub const REACH_GAUGE_DISTANCE_M: f64 = 3_000.0;

/// One device's entities.
#[derive(Debug, Clone, Copy)]
pub struct DeviceMarker {
    pub root: Entity,
    /// The level bar of a gauge, the bulb of a light, the body of a camera or sensor.
    pub body: Entity,
    /// A gauge's alarm-coloured cap; a light's lamp; a camera's billboard.
    pub extra: Option<Entity>,
}

#[derive(Debug, Clone)]
struct MarkerMaterials {
    alarm: [Handle<StandardMaterial>; 4],
    stale: Handle<StandardMaterial>,
    camera_online: Handle<StandardMaterial>,
    camera_offline: Handle<StandardMaterial>,
    light_levels: [Handle<StandardMaterial>; 6],
    light_off: Handle<StandardMaterial>,
    light_fault: Handle<StandardMaterial>,
    post: Handle<StandardMaterial>,
    water: Handle<StandardMaterial>,
    /// A camera's billboard before its first snapshot.
    billboard_blank: Handle<StandardMaterial>,
}

fn color3(c: [f32; 3]) -> Color {
    Color::linear_rgb(c[0], c[1], c[2])
}

// Markers are symbols: distance fog must not wash out an alarm colour.
fn flat(materials: &mut Assets<StandardMaterial>, c: [f32; 3]) -> Handle<StandardMaterial> {
    materials.add(StandardMaterial {
        base_color: color3(c),
        perceptual_roughness: 0.7,
        fog_enabled: false,
        ..default()
    })
}

fn glowing(materials: &mut Assets<StandardMaterial>, c: [f32; 3], strength: f32) -> Handle<StandardMaterial> {
    materials.add(StandardMaterial {
        base_color: color3(c),
        emissive: LinearRgba::rgb(c[0] * strength, c[1] * strength, c[2] * strength),
        fog_enabled: false,
        ..default()
    })
}

impl MarkerMaterials {
    fn new(materials: &mut Assets<StandardMaterial>, images: &mut Assets<Image>) -> MarkerMaterials {
        // Alarm colours glow a little so that they read at a glance, even in shadow.
        let alarm = geometry::ALARM_COLORS.map(|c| glowing(materials, c, 0.6));
        let lamp = [1.0, 0.85, 0.55];
        MarkerMaterials {
            alarm,
            stale: flat(materials, geometry::STALE_COLOR),
            camera_online: flat(materials, [0.05, 0.25, 0.75]),
            camera_offline: glowing(materials, [0.85, 0.05, 0.05], 0.5),
            light_levels: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0].map(|d| glowing(materials, lamp, 0.5 + 6.0 * d)),
            light_off: flat(materials, [0.25, 0.25, 0.25]),
            light_fault: glowing(materials, [0.9, 0.1, 0.8], 2.0),
            post: flat(materials, [0.85, 0.85, 0.82]),
            water: materials.add(StandardMaterial {
                base_color: Color::WHITE,
                perceptual_roughness: 0.12,
                reflectance: 0.45,
                alpha_mode: AlphaMode::Blend,
                double_sided: true,
                cull_mode: None,
                ..default()
            }),
            billboard_blank: materials.add(StandardMaterial {
                base_color_texture: Some(images.add(placeholder::placeholder_image())),
                unlit: true,
                fog_enabled: false,
                double_sided: true,
                cull_mode: None,
                ..default()
            }),
        }
    }
}

/// Flood water of a raised river: brown, as the Thạch Hãn runs in flood.
pub const FLOOD_WATER: [f32; 4] = [0.50, 0.30, 0.10, 0.9];

/// Applies what the transport delivered since the last frame.
fn drain_inbox(inbox: Option<Res<FeedInbox>>, view: Res<FeedView>) {
    let Some(inbox) = inbox else { return };
    let Ok(rx) = inbox.0.lock() else { return };
    let mut client = view.lock();
    // Bounded per frame so that a flood of messages cannot freeze the picture.
    for _ in 0..200_000 {
        match rx.try_recv() {
            Ok(event) => client.handle(event),
            Err(_) => break,
        }
    }
}

/// The scene position of a device (WGS 84 lon/lat/h) in ENU metres.
pub fn device_enu(scene: &sontinh_scene::Scene, position: [f64; 3]) -> [f64; 3] {
    scene.frame.geodetic_to_enu(sontinh_geo::Geodetic::new(position[0], position[1], position[2]))
}

/// Spawns every device's entities when the device list changes.
#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
fn rebuild_markers(
    mut commands: Commands,
    view: Res<FeedView>,
    scene: Option<Res<ActiveScene>>,
    mut markers: ResMut<FeedMarkers>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(scene) = scene else { return };
    let client = view.lock();
    if markers.version == (view.generation, client.devices_version()) && markers.materials.is_some() {
        return;
    }
    for m in markers.devices.drain(..) {
        commands.entity(m.root).despawn();
    }
    for r in markers.reaches.drain(..) {
        commands.entity(r.entity).despawn();
    }
    let mats = markers.materials.get_or_insert_with(|| MarkerMaterials::new(&mut materials, &mut images)).clone();
    let post_mesh = meshes.add(Cylinder::new(0.6, GAUGE_SYMBOL_M));
    let bar_mesh = meshes.add(Cylinder::new(3.0, 1.0));
    let cap_mesh = meshes.add(Sphere::new(6.0));
    let camera_mesh = meshes.add(Cuboid::new(3.0, 2.0, 2.0));
    let pole_mesh = meshes.add(Cylinder::new(0.15, 8.0));
    let bulb_mesh = meshes.add(Sphere::new(1.2));
    let sensor_mesh = meshes.add(Cuboid::new(2.0, 2.0, 2.0));
    let billboard_mesh = meshes.add(Rectangle::new(32.0, 18.0));
    let lights = client.devices().iter().filter(|d| matches!(d.kind, DeviceKind::StreetLight)).count();

    let mut devices = Vec::with_capacity(client.devices().len());
    for device in client.devices() {
        let enu = device_enu(&scene.0, device.position);
        let root = commands
            .spawn((
                Name::new(format!("feed device {}", device.id)),
                Transform::from_translation(enu_to_world(enu)),
                GeoPosition(enu),
                Visibility::default(),
            ))
            .id();
        let (body, extra) = match &device.kind {
            DeviceKind::WaterGauge { .. } => {
                let post = commands
                    .spawn((Mesh3d(post_mesh.clone()), MeshMaterial3d(mats.post.clone()), Transform::from_xyz(0.0, GAUGE_SYMBOL_M / 2.0, 0.0)))
                    .id();
                let bar = commands
                    .spawn((Mesh3d(bar_mesh.clone()), MeshMaterial3d(mats.stale.clone()), Transform::from_scale(Vec3::new(1.0, 0.001, 1.0))))
                    .id();
                let cap = commands
                    .spawn((Mesh3d(cap_mesh.clone()), MeshMaterial3d(mats.stale.clone()), Transform::from_xyz(0.0, GAUGE_SYMBOL_M + 6.0, 0.0)))
                    .id();
                commands.entity(root).add_children(&[post, bar, cap]);
                (bar, Some(cap))
            }
            DeviceKind::Camera { .. } => {
                let body = commands.spawn((Mesh3d(camera_mesh.clone()), MeshMaterial3d(mats.stale.clone()), Transform::IDENTITY)).id();
                let board = commands
                    .spawn((
                        Mesh3d(billboard_mesh.clone()),
                        MeshMaterial3d(mats.billboard_blank.clone()),
                        Transform::from_xyz(0.0, 16.0, 0.0),
                        Billboard,
                        Visibility::Hidden,
                    ))
                    .id();
                commands.entity(root).add_children(&[body, board]);
                (body, Some(board))
            }
            DeviceKind::StreetLight => {
                let pole = commands
                    .spawn((Mesh3d(pole_mesh.clone()), MeshMaterial3d(mats.post.clone()), Transform::from_xyz(0.0, -4.0, 0.0)))
                    .id();
                let bulb = commands.spawn((Mesh3d(bulb_mesh.clone()), MeshMaterial3d(mats.stale.clone()), Transform::IDENTITY)).id();
                commands.entity(root).add_children(&[pole, bulb]);
                // Real lights cost a lot in a forward renderer: only the first few hundred shine.
                let lamp = (lights <= MAX_SHINING_LIGHTS).then(|| {
                    let lamp = commands
                        .spawn((
                            PointLight {
                                color: Color::linear_rgb(1.0, 0.85, 0.55),
                                intensity: 0.0,
                                range: 45.0,
                                shadow_maps_enabled: false,
                                ..default()
                            },
                            Transform::from_xyz(0.0, -1.5, 0.0),
                        ))
                        .id();
                    commands.entity(root).add_child(lamp);
                    lamp
                });
                (bulb, lamp)
            }
            DeviceKind::Sensor { .. } => {
                let body = commands.spawn((Mesh3d(sensor_mesh.clone()), MeshMaterial3d(mats.stale.clone()), Transform::IDENTITY)).id();
                commands.entity(root).add_child(body);
                (body, None)
            }
        };
        devices.push(DeviceMarker { root, body, extra });
    }
    markers.devices = devices;
    if let Some(feeds) = &scene.0.feeds {
        for reach in &feeds.reaches {
            let line = ReachLine::new(&reach.path, reach.width_m, 25.0);
            let e = commands
                .spawn((
                    Name::new(format!("river reach {}", reach.river)),
                    // No mesh until a gauge gives the surface a level: Bevy's
                    // mesh allocator logs use-after-free errors for empty meshes.
                    MeshMaterial3d(mats.water.clone()),
                    Transform::IDENTITY,
                    GeoPosition([0.0; 3]),
                ))
                .id();
            let stations = client
                .devices()
                .iter()
                .enumerate()
                .filter(|(_, d)| matches!(&d.kind, DeviceKind::WaterGauge { river, .. } if *river == reach.river))
                .filter_map(|(i, d)| {
                    let enu = device_enu(&scene.0, d.position);
                    let (chainage, distance) = line.project([enu[0], enu[1]]);
                    (distance <= REACH_GAUGE_DISTANCE_M).then_some((i, chainage))
                })
                .collect();
            markers.reaches.push(ReachMarker {
                entity: e,
                line,
                stations,
            });
        }
    }
    let mut reach_of_device = vec![None; client.devices().len()];
    for (k, reach) in markers.reaches.iter().enumerate() {
        for &(i, _) in &reach.stations {
            reach_of_device[i] = Some(k);
        }
    }
    markers.reach_of_device = reach_of_device;
    markers.version = (view.generation, client.devices_version());
    markers.drawn_ms = None;
    markers.looks = Vec::new();
}

/// Lights beyond this many are drawn as glowing bulbs without a light source.
pub const MAX_SHINING_LIGHTS: usize = 256;

/// Redraws the devices whose state changed, or all of them when the shown
/// moment moved (timeline) or stale states must be re-checked.
fn update_markers(
    view: Res<FeedView>,
    timeline: Res<FeedTimeline>,
    mut markers: ResMut<FeedMarkers>,
    mut transforms: Query<&mut Transform>,
    mut materials: Query<&mut MeshMaterial3d<StandardMaterial>>,
    mut lights: Query<&mut PointLight>,
    mut visibility: Query<&mut Visibility>,
) {
    let mut client = view.lock();
    let changed = client.take_changed();
    let Some(mats) = markers.materials.clone() else { return };
    let Some(now) = timeline.shown_ms(&client) else {
        markers.updated_last_frame = 0;
        return;
    };
    // Staleness changes with time alone: re-check everything once a minute of feed time.
    let recheck = markers.stale_checked_ms.is_none_or(|t| (now - t).abs() >= 60_000);
    // A new moment (scrubbed, or a stale re-check), or history filed into the past: redraw all.
    let past_changed = markers.past_seen != client.past_version();
    markers.past_seen = client.past_version();
    let all = (markers.drawn_ms != Some(now) && (!timeline.live || recheck)) || past_changed;
    let indices: Vec<usize> = if all || markers.drawn_ms.is_none() { (0..markers.devices.len()).collect() } else { changed };
    if all {
        markers.stale_checked_ms = Some(now);
    }
    markers.drawn_ms = Some(now);
    markers.updated_last_frame = indices.len();
    markers.redrawn = if indices.len() == markers.devices.len() { None } else { Some(indices.clone()) };
    if markers.looks.len() != markers.devices.len() {
        markers.looks = vec![None; markers.devices.len()];
    }
    for i in indices {
        let (Some(device), Some(&marker)) = (client.devices().get(i), markers.devices.get(i)) else { continue };
        let look = device_look(device, client.at(i, now), now);
        // Most updates (a sensor's value, a level within a centimetre) change nothing drawn.
        if markers.looks[i] == Some(look) {
            continue;
        }
        markers.looks[i] = Some(look);
        let mut set_material = |entity: Entity, handle: &Handle<StandardMaterial>| {
            if let Ok(mut m) = materials.get_mut(entity)
                && m.0 != *handle
            {
                m.0 = handle.clone();
            }
        };
        set_material(marker.body, mats.get(look.paint));
        match look.shape {
            Shape::Gauge { bar_cm } => {
                if let Some(cap) = marker.extra {
                    set_material(cap, mats.get(look.paint));
                }
                if let Ok(mut t) = transforms.get_mut(marker.body) {
                    let height = (bar_cm as f32 / 100.0).max(0.01);
                    t.scale = Vec3::new(1.0, height, 1.0);
                    t.translation = Vec3::new(0.0, height / 2.0, 0.0);
                }
            }
            Shape::Camera { board_shown } => {
                if let Some(board) = marker.extra
                    && let Ok(mut v) = visibility.get_mut(board)
                {
                    let shown = if board_shown { Visibility::Inherited } else { Visibility::Hidden };
                    if *v != shown {
                        *v = shown;
                    }
                }
            }
            Shape::Light { lumens } => {
                if let Some(lamp) = marker.extra
                    && let Ok(mut light) = lights.get_mut(lamp)
                {
                    light.intensity = lumens as f32;
                }
            }
            Shape::Sensor => {}
        }
    }
}

impl MarkerMaterials {
    fn get(&self, paint: Paint) -> &Handle<StandardMaterial> {
        match paint {
            Paint::Alarm(l) => &self.alarm[usize::from(l.min(3))],
            Paint::Stale => &self.stale,
            Paint::CameraOnline => &self.camera_online,
            Paint::CameraOffline => &self.camera_offline,
            Paint::Light(l) => &self.light_levels[usize::from(l.min(5))],
            Paint::LightOff => &self.light_off,
            Paint::LightFault => &self.light_fault,
        }
    }
}

/// The marker version and (chainage, level) stations a reach was last drawn with.
type DrawnStations = ((u64, u64), Vec<(f64, f64)>);

/// The water surface of each reach at the shown moment, from the gauges on
/// its river (within [`REACH_GAUGE_DISTANCE_M`] of its centre line).
#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
fn update_reaches(
    view: Res<FeedView>,
    timeline: Res<FeedTimeline>,
    scene: Option<Res<ActiveScene>>,
    markers: Res<FeedMarkers>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    handles: Query<&Mesh3d>,
    mut drawn: Local<Vec<DrawnStations>>,
) {
    let client = view.lock();
    let (Some(scene), Some(now)) = (scene, timeline.shown_ms(&client)) else { return };
    let datum = scene.0.frame.origin().height_m;
    drawn.resize(markers.reaches.len(), ((0, 0), Vec::new()));
    // Only reaches with a redrawn gauge can have moved.
    let mut touched = vec![markers.redrawn.is_none(); markers.reaches.len()];
    for &i in markers.redrawn.iter().flatten() {
        if let Some(Some(k)) = markers.reach_of_device.get(i) {
            touched[*k] = true;
        }
    }
    for (k, reach) in markers.reaches.iter().enumerate() {
        if !touched[k] && drawn[k].0 == markers.version {
            continue;
        }
        let stations: Vec<(f64, f64)> = reach
            .stations
            .iter()
            .filter(|(i, _)| !client.is_stale(*i, now))
            .filter_map(|&(i, chainage)| match client.at(i, now).map(|o| &o.reading) {
                // Gauge datum taken as the national height datum, like the scene's heights.
                Some(Reading::WaterLevel { level_m }) => Some((chainage, level_m - datum)),
                _ => None,
            })
            .collect();
        // Redrawn only when a level on it changed.
        if drawn[k].0 == markers.version && drawn[k].1 == stations {
            continue;
        }
        let mesh = reach.line.surface(&stations, FLOOD_WATER).unwrap_or_default();
        drawn[k] = (markers.version, stations);
        // A new asset rather than an edit in place: the vertex count changes.
        if let Ok(handle) = handles.get(reach.entity) {
            meshes.remove(&handle.0);
        }
        if mesh.indices.is_empty() {
            commands.entity(reach.entity).remove::<Mesh3d>();
        } else {
            commands.entity(reach.entity).insert(Mesh3d(meshes.add(mesh_from_part(&mesh))));
        }
    }
}

/// Markers keep a readable size on screen: beyond this distance they grow with it, m.
pub const MARKER_REFERENCE_DISTANCE_M: f32 = 400.0;

/// The scale of a marker seen from `distance` metres, in steps of 10 % so
/// that small camera moves do not touch thousands of transforms.
pub fn marker_scale(distance: f32) -> f32 {
    let raw = (distance / MARKER_REFERENCE_DISTANCE_M).clamp(1.0, 60.0);
    1.1f32.powf((raw.ln() / 1.1f32.ln()).round())
}

fn scale_markers(
    cameras: Query<&GlobalTransform, With<Camera3d>>,
    markers: Res<FeedMarkers>,
    mut transforms: Query<&mut Transform>,
    mut scaled_for: Local<Option<(Vec3, (u64, u64))>>,
) {
    let Some(eye) = cameras.iter().next().map(GlobalTransform::translation) else { return };
    if *scaled_for == Some((eye, markers.version)) {
        return;
    }
    *scaled_for = Some((eye, markers.version));
    for marker in &markers.devices {
        let Ok(mut t) = transforms.get_mut(marker.root) else { continue };
        let s = marker_scale(t.translation.distance(eye));
        if (t.scale.x - s).abs() > 1e-4 {
            t.scale = Vec3::splat(s);
        }
    }
}

/// Each camera's view pyramid, coloured by its state.
fn draw_camera_frustums(view: Res<FeedView>, timeline: Res<FeedTimeline>, scene: Option<Res<ActiveScene>>, origin: Res<FloatingOrigin>, mut gizmos: Gizmos) {
    let client = view.lock();
    let (Some(scene), Some(now)) = (scene, timeline.shown_ms(&client)) else { return };
    for (i, device) in client.devices().iter().enumerate() {
        let DeviceKind::Camera { heading_deg, pitch_deg, fov_deg, .. } = device.kind else { continue };
        let eye = device_enu(&scene.0, device.position);
        let online = matches!(client.at(i, now).map(|o| &o.reading), Some(Reading::Camera { online: true, .. }));
        let color = if client.is_stale(i, now) {
            color3(geometry::STALE_COLOR)
        } else if online {
            Color::linear_rgb(0.2, 0.6, 1.0)
        } else {
            Color::linear_rgb(1.0, 0.1, 0.1)
        };
        let corners = frustum_corners(eye, heading_deg, pitch_deg, fov_deg, 80.0).map(|c| origin.to_world(c));
        let apex = origin.to_world(eye);
        for k in 0..4 {
            gizmos.line(apex, corners[k], color);
            gizmos.line(corners[k], corners[(k + 1) % 4], color);
        }
    }
}

/// How many device labels the panels put on screen in the last frame
/// (`None` where nothing draws them: no panels).
#[derive(Resource, Default, Debug)]
pub struct DeviceLabelsShown(pub Option<usize>);

#[cfg(test)]
mod tests;
