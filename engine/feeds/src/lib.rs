#![doc = include_str!("../README.md")]

pub mod client;
mod model;
mod parse;
pub mod protocol;
mod registry;
mod state;

pub use model::{Device, DeviceKind, Names, Observation, Reading, Role, alarm_level};
pub use parse::{MAX_MESSAGE_BYTES, Reject, datastream_of_topic, kind_name, parse_compact, parse_sensorthings, parse_time};
pub use registry::Registry;
pub use state::{FeedState, Snapshot};
pub use client::{Alarm, AlarmKind, Connection, FeedClient, LinkEvent, format_local_time, reach_surface};
pub use protocol::{ClientRequest, ServerMessage, parse_request};

#[cfg(test)]
mod tests;
