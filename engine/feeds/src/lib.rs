#![doc = include_str!("../README.md")]

mod model;
mod parse;
mod registry;
mod state;

pub use model::{Device, DeviceKind, Names, Observation, Reading, Role, alarm_level};
pub use parse::{MAX_MESSAGE_BYTES, Reject, datastream_of_topic, kind_name, parse_compact, parse_sensorthings, parse_time};
pub use registry::Registry;
pub use state::{FeedState, Snapshot};

#[cfg(test)]
mod tests;
