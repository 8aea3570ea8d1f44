#![doc = include_str!("../README.md")]

pub mod client;
mod mjpeg;
mod model;
mod parse;
pub mod protocol;
mod registry;
mod state;
mod video;

pub use mjpeg::{MAX_MJPEG_FRAME_BYTES, MjpegError, MjpegParser};
pub use model::{Device, DeviceKind, Names, Observation, Reading, Role, alarm_level, camera_stream_path};
pub use parse::{
    COMPACT_TOPIC_FILTER, MAX_MESSAGE_BYTES, MAX_STREAM_URL_BYTES, MAX_TEXT_CHARS, MAX_URL_BYTES, Reject, SNAPSHOT_PATH_PREFIX, StreamAddress, compact_topic, datastream_of_topic,
    device_of_compact_topic, kind_name, parse_compact, parse_sensorthings, parse_stream_url, parse_time, snapshot_file,
};
pub use registry::Registry;
pub use video::{SharedVideo, VideoChannel, VideoReceiver, VideoSlot, end as video_end};
pub use state::{DEFAULT_MAX_FUTURE_SKEW_MS, FeedState, HistoryCursor, Snapshot};
pub use client::{AcknowledgementRequest, Alarm, AlarmKind, Connection, FeedClient, LinkEvent, acknowledgement_answer, format_local_time, reach_surface};
pub use protocol::{ClientRequest, FLOOD_ALERT_TOPIC, FloodWarning, MAX_HISTORY_PAGE, ServerMessage, WarnedPlace, parse_request};

#[cfg(test)]
mod tests;
