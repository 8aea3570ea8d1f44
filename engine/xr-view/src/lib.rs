//! VR, AR, magic window and cardboard on the twin.
//!
//! Bevy has no WebXR: the page (`web/xr.js`) runs the XR session and hands
//! each XR frame's poses, projections, controllers and hit-test result to
//! the viewer through an [`XrInbox`] before the viewer's update of that
//! frame. This crate turns them into cameras (the scene camera becomes the
//! left eye, a second camera the right), reads the controllers (pointer ray,
//! hotspot selection, parabolic teleport onto walkable ground, snap turn,
//! tour buttons), places the model on a real surface in AR, and hides cuts
//! behind fades. The maths is `sontinh-xr`'s; the systems here are thin.
//!
//! Frames: the XR reference space is y-up like Bevy's world, so a
//! [`Placement`] (a yaw, a scale and a translation) carries it into the
//! "scene render frame": Bevy's axes with the scene's ENU origin as zero,
//! in f64 (`(e, u, -n)`). The floating origin is subtracted last, so the
//! user's place survives the world being recentred under them.

mod controls;
mod eyes;
mod fade;
mod projection;
mod status;

use std::sync::{Arc, Mutex};

use bevy::math::{DQuat, DVec3};
use bevy::prelude::*;
use sontinh_camera::{CameraSystems, FloatingOrigin};
use sontinh_xr::frame::{XrFrame, XrMode};
use sontinh_xr::placement::Placement;

pub use eyes::RightEye;
pub use projection::XrProjection;
pub use status::status_json;

/// Adds the XR views. Without a page sending frames (natively) it idles.
pub struct XrViewPlugin;

impl Plugin for XrViewPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<XrInbox>()
            .init_resource::<XrSession>()
            .init_resource::<XrStatus>()
            .add_systems(
                Update,
                (
                    eyes::take_commands,
                    eyes::follow_the_rig,
                    controls::read_controllers,
                    eyes::drive_eyes,
                    fade::draw_comfort,
                    controls::draw_rays,
                    status::update_status,
                )
                    .chain()
                    .after(CameraSystems)
                    .in_set(XrSystems),
            );
    }
}

/// The XR systems, after the camera's.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct XrSystems;

/// What the page asks of the viewer.
#[derive(Debug, Clone)]
pub enum XrCommand {
    Begin(XrMode),
    Frame(Box<XrFrame>),
    End,
}

/// Where the page leaves its commands (shared with the page's glue, which
/// may run outside Bevy's schedule).
#[derive(Resource, Clone, Default, Debug)]
pub struct XrInbox(pub Arc<Mutex<Vec<XrCommand>>>);

impl XrInbox {
    pub fn send(&self, command: XrCommand) {
        // A poisoned lock means a panic elsewhere; the commands are still plain data.
        let mut queue = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Frames the viewer has not taken yet are superseded by newer ones.
        if matches!(command, XrCommand::Frame(_)) && matches!(queue.last(), Some(XrCommand::Frame(_))) {
            queue.pop();
        }
        queue.push(command);
    }

    fn take(&self) -> Vec<XrCommand> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// The view the user had before the session, given back after it.
#[derive(Clone)]
pub(crate) struct SavedView {
    pub eye_enu: [f64; 3],
    pub target_enu: [f64; 3],
    pub projection: Projection,
    pub viewport: Option<bevy::camera::Viewport>,
    pub clear_color: ClearColorConfig,
    pub reduced_motion: bool,
    pub skybox: Option<bevy::core_pipeline::Skybox>,
    /// The section before AR cut the model out of its surroundings.
    pub section: Option<sontinh_layers::Section>,
}

impl std::fmt::Debug for SavedView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bevy's sky box has no Debug.
        f.debug_struct("SavedView")
            .field("eye_enu", &self.eye_enu)
            .field("target_enu", &self.target_enu)
            .field("sky", &self.skybox.is_some())
            .finish_non_exhaustive()
    }
}

/// A teleport's outcome, for the page and the tests.
#[derive(Debug, Clone, PartialEq)]
pub enum TeleportOutcome {
    Landed { floor_enu: [f64; 3] },
    Refused(String),
}

/// AR: where the model sits on the real world.
#[derive(Debug, Clone, PartialEq)]
pub struct ArModel {
    /// Tapped into place (else it follows the hit-test point).
    pub placed: bool,
    /// Reference-space point the model's base sits on.
    pub anchor: DVec3,
    /// Scene render-frame point of the model that sits on the anchor.
    pub base: DVec3,
    /// The model's turn in the room, radians counter-clockwise seen from
    /// above (the placement's yaw is its opposite: it turns the room in
    /// the scene).
    pub yaw: f64,
    /// Reference metres per model metre (1: real size).
    pub scale: f64,
    /// The model's size, render metres.
    pub extent: DVec3,
}

/// The XR session as the viewer sees it.
#[derive(Resource, Debug, Default)]
pub struct XrSession {
    pub mode: Option<XrMode>,
    /// Frames received in this session.
    pub frames: u64,
    /// The reference space in the scene render frame.
    pub placement: Option<Placement>,
    pub(crate) saved: Option<SavedView>,
    pub(crate) frame: Option<XrFrame>,
    /// The head in the reference space (the viewer pose, else the origin).
    pub head: Option<(DVec3, DQuat)>,
    pub teleports: u32,
    pub last_teleport: Option<TeleportOutcome>,
    /// The teleport arc being aimed (scene render frame) and its landing.
    pub aiming: Option<(Vec<DVec3>, Result<DVec3, String>)>,
    pub selected_hotspot: Option<usize>,
    pub ar: Option<ArModel>,
    /// Comfort: 0..1.
    pub vignette: f64,
    pub fade: f64,
    /// Seconds into the current fade, if one runs.
    pub(crate) fade_clock: Option<f64>,
    /// The placement to switch to at the fade's darkest moment.
    pub(crate) pending: Option<Placement>,
    /// The scene camera's ENU eye the session last followed (tour stops move it).
    pub(crate) rig_eye: Option<[f64; 3]>,
    /// Edge detection of stick and buttons: (turn latched, A, B).
    pub(crate) latches: (bool, bool, bool),
    /// Magic window: the turn that makes the first orientation face the camera's way.
    pub(crate) heading: Option<DQuat>,
    /// The previous head position (render frame) and time, for the vignette's speed.
    pub(crate) last_move: Option<(DVec3, f64)>,
    /// Vertical field of view of the mono and cardboard eyes, radians.
    pub(crate) fov: f64,
    /// AR: the two touches' points on the model's plane last frame (pinch and turn).
    pub(crate) touches: Option<[bevy::math::DVec2; 2]>,
}

impl XrSession {
    pub fn active(&self) -> bool {
        self.mode.is_some()
    }

    /// The head's position and orientation in the scene render frame.
    pub fn head_in_render(&self) -> Option<(DVec3, DQuat)> {
        eyes::head_in_render(self)
    }

    /// Render metres per reference metre (1 in VR; large for a table-top AR model).
    pub fn scale(&self) -> f64 {
        self.placement.map_or(1.0, |p| p.scale)
    }
}

/// Something drawn for the user in a headset (a comfort veil, a text
/// panel): never ground, wall or target for the pointer and the teleport.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct XrOverlay;

/// The session's state as JSON (`data-sontinh-xr` in the page).
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct XrStatus(pub String);

/// Scene ENU to the scene render frame (f64 Bevy axes, the scene's origin as zero).
pub fn enu_to_render(enu: [f64; 3]) -> DVec3 {
    DVec3::new(enu[0], enu[2], -enu[1])
}

/// Inverse of [`enu_to_render`].
pub fn render_to_enu(p: DVec3) -> [f64; 3] {
    [p.x, -p.z, p.y]
}

/// The scene render frame to Bevy's world (the floating origin subtracted).
pub fn render_to_world(origin: &FloatingOrigin, p: DVec3) -> Vec3 {
    origin.to_world(render_to_enu(p))
}

/// Bevy's world to the scene render frame.
pub fn world_to_render(origin: &FloatingOrigin, p: Vec3) -> DVec3 {
    enu_to_render(origin.to_enu(p))
}
