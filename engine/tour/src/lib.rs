//! Guided tours as data and time, free of any engine: what the player shows
//! at each moment of a tour is a plain function of the tour, the loaded
//! captions and the clock, so tests play tours without a window.
//!
//! - [`vtt`]: WebVTT captions, checked with line numbers;
//! - [`course`]: the camera's course through the stops, one curve with
//!   continuous velocity (no jolt where one flight hands over to the next);
//! - [`player`]: play, pause, next, previous, autoplay, language, reduced motion;
//! - [`link`]: deep links (`?tour=…&stop=…`) read and written.

pub mod check;
pub mod course;
pub mod link;
pub mod player;
pub mod vtt;

pub use course::{Course, Phase, Sample};
pub use player::{Player, PlayerOptions};
pub use vtt::{Captions, Cue};
