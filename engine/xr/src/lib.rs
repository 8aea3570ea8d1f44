//! The maths of viewing the twin in WebXR (VR headsets, AR phones), in a
//! "magic window" (a phone's device orientation turns the camera) and in a
//! cardboard viewer (side-by-side stereo), free of any engine, so that the
//! Bevy plugin stays thin and every formula is tested without a window.
//!
//! Frames:
//! - **render frame**: the viewer's (Bevy's): x = east, y = up, z = south, so
//!   ENU (e, n, u) is render (e, u, -n); right-handed; a camera looks down its
//!   local -z with +y up;
//! - **reference space**: WebXR's (`local-floor`, `local`, `viewer`): also
//!   y up, right-handed, metres, the viewer looking down -z; it sits in the
//!   render frame through a [`Placement`] (a yaw about +y, a uniform scale and
//!   a translation);
//! - **Earth frame** of the W3C DeviceOrientation events: X east, Y north,
//!   Z up (ENU), see [`orientation`];
//! - **clip space**: Bevy's reverse-z, infinite far plane, see
//!   [`Frustum::reverse_z_infinite`]; WebXR hands OpenGL-style matrices,
//!   read by [`Frustum::from_gl_projection`].
//!
//! Modules:
//! - [`frame`]: the per-frame JSON the web page sends, parsed and checked;
//! - [`projection`]: view frusta from and to projection matrices;
//! - [`placement`]: the reference space in the twin (snap turns, teleports,
//!   AR anchoring);
//! - [`teleport`]: the ballistic pointer arc and where it may land;
//! - [`ar`]: tabletop scale, rays on planes, two-finger gestures;
//! - [`orientation`]: device orientation to a camera orientation;
//! - [`comfort`]: the motion vignette and cut fades;
//! - [`stereo`]: cardboard side-by-side eyes.

pub mod ar;
pub mod comfort;
pub mod frame;
mod mode;
pub mod orientation;
pub mod placement;
pub mod projection;
pub mod stereo;
pub mod teleport;

pub use frame::{DeviceOrientation, Eye, Handedness, TargetRayMode, XrFrame, XrInput, XrMode, XrPose, XrView, parse_frame};
pub use placement::Placement;
pub use projection::Frustum;
pub use stereo::{StereoEye, side_by_side};
pub use teleport::{Landing, TeleportRefusal, find_landing, parabola};
