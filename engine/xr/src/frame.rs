//! The per-frame XR data the web page sends as JSON (poses, views, inputs,
//! hit test, device orientation), parsed into raw structs and then checked
//! into the validated types below, so the viewer never sees a NaN, a
//! viewport off the canvas or a matrix it cannot read.
//!
//! Wire format (unknown keys are ignored; missing optional keys mean null,
//! empty or 0):
//!
//! ```text
//! {"t": 1234.5, "canvas": [w, h],
//!  "viewer": {"p": [x,y,z], "q": [x,y,z,w]} | null,
//!  "views": [{"eye": "left"|"right"|"none", "vp": [x,y,w,h], "p": [..], "q": [..], "proj": [16 numbers]}],
//!  "inputs": [{"hand": "left"|"right"|"none", "mode": "tracked-pointer"|"screen"|"gaze",
//!              "ray": {"p":..,"q":..}, "grip": {"p":..,"q":..} | null,
//!              "buttons": [[true, 1.0], ..], "axes": [..], "select": 0, "squeeze": 0, "hand_tracked": false}],
//!  "hit": {"p":..,"q":..} | null,
//!  "orientation": {"alpha": 10, "beta": 80, "gamma": 0, "screen": 0} | null}
//! ```

use glam::{DQuat, DVec3};
use serde::Deserialize;

pub use crate::mode::XrMode;
use crate::projection::Frustum;

/// The longest frame text accepted (bytes).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// At most this many views (a headset has 2; some have 4).
pub const MAX_VIEWS: usize = 4;
/// At most this many input sources.
pub const MAX_INPUTS: usize = 8;
/// At most this many buttons on one input source.
pub const MAX_BUTTONS: usize = 32;
/// At most this many axes on one input source.
pub const MAX_AXES: usize = 16;
/// The largest canvas side (pixels).
pub const MAX_CANVAS_SIDE: u32 = 16384;

/// A pose in the XR reference space: a position (metres) and a unit
/// orientation (local to reference).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct XrPose {
    pub position: DVec3,
    pub orientation: DQuat,
}

/// Which eye a view is for (`None` for a mono view, e.g. AR on a phone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eye {
    Left,
    Right,
    None,
}

/// One view to render: its viewport in canvas pixels (x, y, width, height,
/// origin top-left, as the page's WebGL viewport after the y flip), its eye
/// pose in the reference space and its projection (column-major GL, as
/// `XRView.projectionMatrix`; checked readable by
/// [`Frustum::from_gl_projection`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct XrView {
    pub eye: Eye,
    pub viewport: [u32; 4],
    pub pose: XrPose,
    pub projection: [f32; 16],
}

/// Which hand an input source is held in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handedness {
    Left,
    Right,
    None,
}

/// How an input source points (`XRInputSource.targetRayMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetRayMode {
    TrackedPointer,
    Screen,
    Gaze,
}

/// One input source this frame: its pointing ray (down the pose's -z), its
/// grip pose if it has one, gamepad buttons as (pressed, value), axes, and
/// how many `select` and `squeeze` events ended since the last frame.
#[derive(Clone, Debug, PartialEq)]
pub struct XrInput {
    pub handedness: Handedness,
    pub mode: TargetRayMode,
    pub ray: XrPose,
    pub grip: Option<XrPose>,
    pub buttons: Vec<(bool, f32)>,
    pub axes: Vec<f32>,
    pub selects: u32,
    pub squeezes: u32,
    pub hand_tracked: bool,
}

/// A `deviceorientation` event (degrees) and the screen's rotation
/// (`screen.orientation.angle`), for the magic window without WebXR.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceOrientation {
    pub alpha_deg: f64,
    pub beta_deg: f64,
    pub gamma_deg: f64,
    pub screen_deg: f64,
}

/// One frame from the page, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct XrFrame {
    pub time_ms: f64,
    pub canvas: [u32; 2],
    pub viewer: Option<XrPose>,
    pub views: Vec<XrView>,
    pub inputs: Vec<XrInput>,
    pub hit: Option<XrPose>,
    pub orientation: Option<DeviceOrientation>,
}

// Raw wire structs: what serde reads, before any check. Unknown keys ignored.

#[derive(Deserialize)]
struct RawPose {
    p: Option<Vec<f64>>,
    q: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct RawView {
    eye: Option<String>,
    vp: Option<Vec<u32>>,
    p: Option<Vec<f64>>,
    q: Option<Vec<f64>>,
    proj: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct RawInput {
    hand: Option<String>,
    mode: Option<String>,
    ray: Option<RawPose>,
    grip: Option<RawPose>,
    buttons: Option<Vec<(bool, f64)>>,
    axes: Option<Vec<f64>>,
    select: Option<u32>,
    squeeze: Option<u32>,
    hand_tracked: Option<bool>,
}

#[derive(Deserialize)]
struct RawOrientation {
    alpha: Option<f64>,
    beta: Option<f64>,
    gamma: Option<f64>,
    screen: Option<f64>,
}

#[derive(Deserialize)]
struct RawFrame {
    t: Option<f64>,
    canvas: Option<Vec<u32>>,
    viewer: Option<RawPose>,
    views: Option<Vec<RawView>>,
    inputs: Option<Vec<RawInput>>,
    hit: Option<RawPose>,
    orientation: Option<RawOrientation>,
}

/// Parses and checks one frame. Errors name the field (`views[1].proj`,
/// `inputs[0].ray.q`); JSON that does not have the wire format's shape (a
/// string where a number belongs) is reported with serde's line and column.
pub fn parse_frame(json: &str) -> Result<XrFrame, String> {
    if json.len() > MAX_FRAME_BYTES {
        return Err(format!("XR frame is {} bytes, over the {MAX_FRAME_BYTES}-byte limit", json.len()));
    }
    let raw: RawFrame = serde_json::from_str(json).map_err(|e| format!("XR frame is not valid frame JSON: {e}"))?;
    let time_ms = finite("t", raw.t.unwrap_or(0.0))?;
    let canvas = canvas(raw.canvas.as_deref())?;
    let viewer = raw
        .viewer
        .as_ref()
        .map(|p| pose("viewer", p.p.as_deref(), p.q.as_deref()))
        .transpose()?;
    let raw_views = raw.views.unwrap_or_default();
    if raw_views.len() > MAX_VIEWS {
        return Err(format!("views: {} views, at most {MAX_VIEWS} accepted", raw_views.len()));
    }
    let views = raw_views
        .iter()
        .enumerate()
        .map(|(i, v)| view(&format!("views[{i}]"), v, canvas))
        .collect::<Result<Vec<_>, _>>()?;
    let raw_inputs = raw.inputs.unwrap_or_default();
    if raw_inputs.len() > MAX_INPUTS {
        return Err(format!("inputs: {} input sources, at most {MAX_INPUTS} accepted", raw_inputs.len()));
    }
    let inputs = raw_inputs
        .iter()
        .enumerate()
        .map(|(i, r)| input(&format!("inputs[{i}]"), r))
        .collect::<Result<Vec<_>, _>>()?;
    let hit = raw.hit.as_ref().map(|p| pose("hit", p.p.as_deref(), p.q.as_deref())).transpose()?;
    let orientation = raw
        .orientation
        .as_ref()
        .map(|o| {
            Ok::<_, String>(DeviceOrientation {
                alpha_deg: finite("orientation.alpha", o.alpha.unwrap_or(0.0))?,
                beta_deg: finite("orientation.beta", o.beta.unwrap_or(0.0))?,
                gamma_deg: finite("orientation.gamma", o.gamma.unwrap_or(0.0))?,
                screen_deg: finite("orientation.screen", o.screen.unwrap_or(0.0))?,
            })
        })
        .transpose()?;
    Ok(XrFrame {
        time_ms,
        canvas,
        viewer,
        views,
        inputs,
        hit,
        orientation,
    })
}

fn finite(field: &str, value: f64) -> Result<f64, String> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("{field}: {value} is not a finite number"))
    }
}

fn finite_f32(field: &str, value: f64) -> Result<f32, String> {
    let narrow = value as f32;
    if value.is_finite() && narrow.is_finite() {
        Ok(narrow)
    } else {
        Err(format!("{field}: {value} is not a finite single-precision number"))
    }
}

fn numbers<const N: usize>(field: &str, values: Option<&[f64]>) -> Result<[f64; N], String> {
    let values = values.ok_or_else(|| format!("{field}: missing"))?;
    let array: [f64; N] = values
        .try_into()
        .map_err(|_| format!("{field}: {} numbers, expected {N}", values.len()))?;
    for (i, v) in array.iter().enumerate() {
        finite(&format!("{field}[{i}]"), *v)?;
    }
    Ok(array)
}

fn canvas(values: Option<&[u32]>) -> Result<[u32; 2], String> {
    let values = values.ok_or("canvas: missing")?;
    let [w, h]: [u32; 2] = values
        .try_into()
        .map_err(|_| format!("canvas: {} numbers, expected 2 (width, height)", values.len()))?;
    for (name, side) in [("width", w), ("height", h)] {
        if side == 0 || side > MAX_CANVAS_SIDE {
            return Err(format!("canvas: {name} {side} is not in 1..={MAX_CANVAS_SIDE}"));
        }
    }
    Ok([w, h])
}

fn pose(field: &str, p: Option<&[f64]>, q: Option<&[f64]>) -> Result<XrPose, String> {
    let [x, y, z] = numbers::<3>(&format!("{field}.p"), p)?;
    let [qx, qy, qz, qw] = numbers::<4>(&format!("{field}.q"), q)?;
    let q = DQuat::from_xyzw(qx, qy, qz, qw);
    let norm = q.length();
    if !(0.5..=2.0).contains(&norm) {
        return Err(format!("{field}.q: quaternion norm {norm} is outside [0.5, 2]"));
    }
    Ok(XrPose {
        position: DVec3::new(x, y, z),
        orientation: q / norm,
    })
}

fn view(field: &str, raw: &RawView, canvas: [u32; 2]) -> Result<XrView, String> {
    let eye = match raw.eye.as_deref() {
        None | Some("none") => Eye::None,
        Some("left") => Eye::Left,
        Some("right") => Eye::Right,
        Some(other) => {
            return Err(format!(
                "{field}.eye: unknown eye {other:?} (expected \"left\", \"right\" or \"none\")"
            ));
        }
    };
    let vp = raw.vp.as_deref().ok_or_else(|| format!("{field}.vp: missing"))?;
    let viewport: [u32; 4] = vp
        .try_into()
        .map_err(|_| format!("{field}.vp: {} numbers, expected 4 (x, y, width, height)", vp.len()))?;
    let [x, y, w, h] = viewport;
    let inside = |start: u32, size: u32, limit: u32| size > 0 && start.checked_add(size).is_some_and(|end| end <= limit);
    if !inside(x, w, canvas[0]) || !inside(y, h, canvas[1]) {
        return Err(format!(
            "{field}.vp: viewport {viewport:?} is empty or not inside the {}x{} canvas",
            canvas[0], canvas[1]
        ));
    }
    let pose = pose(field, raw.p.as_deref(), raw.q.as_deref())?;
    let proj_field = format!("{field}.proj");
    let values = numbers::<16>(&proj_field, raw.proj.as_deref())?;
    let mut projection = [0.0f32; 16];
    for (i, (out, v)) in projection.iter_mut().zip(values).enumerate() {
        *out = finite_f32(&format!("{proj_field}[{i}]"), v)?;
    }
    Frustum::from_gl_projection(&projection).map_err(|e| format!("{proj_field}: {e}"))?;
    Ok(XrView {
        eye,
        viewport,
        pose,
        projection,
    })
}

fn input(field: &str, raw: &RawInput) -> Result<XrInput, String> {
    let handedness = match raw.hand.as_deref() {
        None | Some("none") => Handedness::None,
        Some("left") => Handedness::Left,
        Some("right") => Handedness::Right,
        Some(other) => {
            return Err(format!(
                "{field}.hand: unknown hand {other:?} (expected \"left\", \"right\" or \"none\")"
            ));
        }
    };
    let mode = match raw.mode.as_deref() {
        Some("tracked-pointer") => TargetRayMode::TrackedPointer,
        Some("screen") => TargetRayMode::Screen,
        Some("gaze") => TargetRayMode::Gaze,
        Some(other) => {
            return Err(format!(
                "{field}.mode: unknown target-ray mode {other:?} (expected \"tracked-pointer\", \"screen\" or \"gaze\")"
            ));
        }
        None => return Err(format!("{field}.mode: missing")),
    };
    let ray = raw.ray.as_ref().ok_or_else(|| format!("{field}.ray: missing"))?;
    let ray = pose(&format!("{field}.ray"), ray.p.as_deref(), ray.q.as_deref())?;
    let grip = raw
        .grip
        .as_ref()
        .map(|g| pose(&format!("{field}.grip"), g.p.as_deref(), g.q.as_deref()))
        .transpose()?;
    let raw_buttons = raw.buttons.as_deref().unwrap_or_default();
    if raw_buttons.len() > MAX_BUTTONS {
        return Err(format!(
            "{field}.buttons: {} buttons, at most {MAX_BUTTONS} accepted",
            raw_buttons.len()
        ));
    }
    let buttons = raw_buttons
        .iter()
        .enumerate()
        .map(|(i, (pressed, value))| Ok((*pressed, finite_f32(&format!("{field}.buttons[{i}]"), *value)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let raw_axes = raw.axes.as_deref().unwrap_or_default();
    if raw_axes.len() > MAX_AXES {
        return Err(format!("{field}.axes: {} axes, at most {MAX_AXES} accepted", raw_axes.len()));
    }
    let axes = raw_axes
        .iter()
        .enumerate()
        .map(|(i, v)| finite_f32(&format!("{field}.axes[{i}]"), *v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(XrInput {
        handedness,
        mode,
        ray,
        grip,
        buttons,
        axes,
        selects: raw.select.unwrap_or(0),
        squeezes: raw.squeeze.unwrap_or(0),
        hand_tracked: raw.hand_tracked.unwrap_or(false),
    })
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
