//! Feed messages in: OGC SensorThings observations and the compact format
//! (see the crate README). Every failure is a [`Reject`] with its kind.

use serde::Deserialize;

use crate::model::{DeviceKind, Observation, Reading};
use crate::registry::Registry;

/// Messages larger than this are rejected unread.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest free text a reading may carry (a light's `fault`), in characters.
pub const MAX_TEXT_CHARS: usize = 256;
/// Longest snapshot address, in bytes.
pub const MAX_URL_BYTES: usize = 160;
/// Longest time text, in bytes (an RFC 3339 interval fits easily).
pub const MAX_TIME_BYTES: usize = 80;

/// Compact messages are published on one topic per device,
/// `sontinh/v1/devices/<id>/observations`, so that the broker's ACL can let
/// each device publish only its own.
pub const COMPACT_TOPIC_FILTER: &str = "sontinh/v1/devices/+/observations";
const COMPACT_TOPIC_PREFIX: &str = "sontinh/v1/devices/";
const COMPACT_TOPIC_SUFFIX: &str = "/observations";

/// The topic a device publishes its compact messages on.
pub fn compact_topic(device: &str) -> String {
    format!("{COMPACT_TOPIC_PREFIX}{device}{COMPACT_TOPIC_SUFFIX}")
}

/// The device of a compact topic (`sontinh/v1/devices/<id>/observations`).
pub fn device_of_compact_topic(topic: &str) -> Option<&str> {
    let id = topic.strip_prefix(COMPACT_TOPIC_PREFIX)?.strip_suffix(COMPACT_TOPIC_SUFFIX)?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Where the gateway serves camera snapshots; the only addresses a feed may carry.
pub const SNAPSHOT_PATH_PREFIX: &str = "/snapshots/";

/// The file name of a snapshot address, which must be the gateway's own
/// `/snapshots/<file>`: 1–128 letters, digits, `-`, `_` or `.`, not starting
/// with a dot, ending in `.jpg`, `.jpeg` or `.png`. Anything else (an absolute
/// URL, `@host`, `..`, a query) is refused, so that a viewer never sends its
/// token anywhere but to its gateway.
pub fn snapshot_file(url: &str) -> Result<&str, String> {
    let shown: String = url.chars().take(64).collect();
    if url.len() > MAX_URL_BYTES {
        return Err(format!("snapshot address of {} bytes is longer than {MAX_URL_BYTES}", url.len()));
    }
    let file = url
        .strip_prefix(SNAPSHOT_PATH_PREFIX)
        .ok_or_else(|| format!("snapshot address \"{shown}\" is not the gateway's {SNAPSHOT_PATH_PREFIX}<file>"))?;
    let lower = file.to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if file.is_empty() || file.len() > 128 || file.starts_with('.') || file.contains("..") || !file.chars().all(allowed) {
        return Err(format!("snapshot address \"{shown}\": the file name must be 1–128 letters, digits, '-', '_' or '.'"));
    }
    if ![".jpg", ".jpeg", ".png"].iter().any(|ext| lower.ends_with(ext)) {
        return Err(format!("snapshot address \"{shown}\": only .jpg, .jpeg and .png snapshots are served"));
    }
    Ok(file)
}

/// Longest camera stream address, in bytes.
pub const MAX_STREAM_URL_BYTES: usize = 256;

/// A camera's upstream MJPEG address, checked: plain HTTP, no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamAddress {
    /// A host name or IP address (an IPv6 one without its brackets).
    pub host: String,
    pub port: u16,
    /// The path and query to request, starting with `/`.
    pub path: String,
}

impl StreamAddress {
    /// The `Host` header of a request to it.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == 80 { host } else { format!("{host}:{}", self.port) }
    }
}

/// Checks a camera's `stream_url`: `http://host[:port][/path][?query]`,
/// printable ASCII, no user name or password, no fragment. Other schemes
/// (`https://`, `rtsp://`) are refused: the gateway relays plain HTTP only.
pub fn parse_stream_url(url: &str) -> Result<StreamAddress, String> {
    let shown: String = url.chars().take(64).collect();
    if url.len() > MAX_STREAM_URL_BYTES {
        return Err(format!("stream address of {} bytes is longer than {MAX_STREAM_URL_BYTES}", url.len()));
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("stream address \"{shown}\" must be printable ASCII without spaces"));
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("stream address \"{shown}\" is not plain http://host:port/path (the gateway relays MJPEG over plain HTTP only)"))?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if path.contains('#') {
        return Err(format!("stream address \"{shown}\" has a fragment (#…)"));
    }
    if authority.contains('@') {
        return Err(format!("stream address \"{shown}\": a user name or password in the address is not supported"));
    }
    let bad_host = || format!("stream address \"{shown}\": the host must be a name, an IPv4 address or a bracketed IPv6 address");
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or_else(bad_host)?;
            if host.is_empty() || !host.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                return Err(bad_host());
            }
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').ok_or_else(bad_host)?)),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if host.is_empty() || (!authority.starts_with('[') && !host.chars().all(name_char)) {
        return Err(bad_host());
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("stream address \"{shown}\": the port must be 1–65535"))?,
    };
    let path = if path.starts_with('?') { format!("/{path}") } else { path.to_owned() };
    Ok(StreamAddress {
        host: host.to_owned(),
        port,
        path,
    })
}

/// Why a message was not applied.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Reject {
    #[error("message of {0} bytes is larger than the {MAX_MESSAGE_BYTES}-byte limit")]
    Oversized(usize),
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("unknown device \"{0}\"")]
    UnknownDevice(String),
    #[error("no device reads datastream {0}")]
    UnknownDatastream(String),
    #[error("bad time \"{0}\": expected RFC 3339, like 2020-10-18T01:30:00Z")]
    BadTime(String),
    #[error("device \"{device}\" ({kind}) cannot take this reading: {why}")]
    WrongReading { device: String, kind: &'static str, why: String },
    #[error("observation of \"{device}\" at {time_ms} ms is older than its latest ({latest_ms} ms)")]
    OutOfOrder { device: String, time_ms: i64, latest_ms: i64 },
    #[error("observation of \"{device}\" at {time_ms} ms repeats its latest one")]
    Duplicate { device: String, time_ms: i64 },
    #[error("observation of \"{device}\" at {time_ms} ms has the time of its latest but another reading")]
    Conflict { device: String, time_ms: i64 },
    #[error("observation of \"{device}\" at {time_ms} ms is later than now plus the allowed clock skew ({limit_ms} ms)")]
    Future { device: String, time_ms: i64, limit_ms: i64 },
    #[error("message on the topic of \"{topic_device}\" says it is from \"{payload_device}\"")]
    TopicMismatch { topic_device: String, payload_device: String },
    #[error("{field} is longer than {limit}")]
    FieldTooLong { field: &'static str, limit: String },
    #[error("{0}")]
    BadSnapshotUrl(String),
}

impl Reject {
    /// A short name per kind, for counters and log-once.
    pub fn kind(&self) -> &'static str {
        match self {
            Reject::Oversized(_) => "oversized",
            Reject::Malformed(_) => "malformed",
            Reject::UnknownDevice(_) => "unknown_device",
            Reject::UnknownDatastream(_) => "unknown_datastream",
            Reject::BadTime(_) => "bad_time",
            Reject::WrongReading { .. } => "wrong_reading",
            Reject::OutOfOrder { .. } => "out_of_order",
            Reject::Duplicate { .. } => "duplicate",
            Reject::Conflict { .. } => "conflicting_duplicate",
            Reject::Future { .. } => "future",
            Reject::TopicMismatch { .. } => "topic_mismatch",
            Reject::FieldTooLong { .. } => "field_too_long",
            Reject::BadSnapshotUrl(_) => "bad_snapshot_url",
        }
    }
}

/// An RFC 3339 instant, or a SensorThings interval `start/end` (both
/// RFC 3339, start not after end), whose end is taken.
pub fn parse_time(text: &str) -> Result<i64, Reject> {
    let bad = || Reject::BadTime(text.chars().take(64).collect());
    if text.len() > MAX_TIME_BYTES {
        return Err(bad());
    }
    let instant = |t: &str| chrono::DateTime::parse_from_rfc3339(t).map(|t| t.timestamp_millis()).map_err(|_| bad());
    match text.split_once('/') {
        None => instant(text),
        Some((start, end)) => {
            let (start, end) = (instant(start)?, instant(end)?);
            if start > end { Err(bad()) } else { Ok(end) }
        }
    }
}

fn bounded_text(field: &'static str, text: Option<String>) -> Result<Option<String>, Reject> {
    match text {
        Some(t) if t.chars().count() > MAX_TEXT_CHARS => Err(Reject::FieldTooLong {
            field,
            limit: format!("{MAX_TEXT_CHARS} characters"),
        }),
        other => Ok(other),
    }
}

fn checked_snapshot_url(url: Option<String>) -> Result<Option<String>, Reject> {
    match url {
        Some(u) => snapshot_file(&u).map(|_| Some(u.clone())).map_err(Reject::BadSnapshotUrl),
        None => Ok(None),
    }
}

fn check_size(bytes: &[u8]) -> Result<(), Reject> {
    if bytes.len() > MAX_MESSAGE_BYTES { Err(Reject::Oversized(bytes.len())) } else { Ok(()) }
}

/// The compact message: the device, the time, and the fields of its kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Compact {
    device: String,
    time: String,
    #[serde(default)]
    level_m: Option<f64>,
    #[serde(default)]
    online: Option<bool>,
    #[serde(default)]
    snapshot_url: Option<String>,
    #[serde(default)]
    on: Option<bool>,
    #[serde(default)]
    dim: Option<f64>,
    #[serde(default)]
    fault: Option<String>,
    #[serde(default)]
    value: Option<f64>,
}

/// A compact message published on `topic` (see [`compact_topic`]): the
/// device it names must be the topic's.
pub fn parse_compact(topic: &str, bytes: &[u8], registry: &Registry) -> Result<Observation, Reject> {
    check_size(bytes)?;
    let topic_device = device_of_compact_topic(topic)
        .ok_or_else(|| Reject::Malformed(format!("not a compact observations topic: {}", topic.chars().take(128).collect::<String>())))?;
    let m: Compact = serde_json::from_slice(bytes).map_err(|e| Reject::Malformed(e.to_string()))?;
    if m.device != topic_device {
        return Err(Reject::TopicMismatch {
            topic_device: topic_device.chars().take(64).collect(),
            payload_device: m.device.chars().take(64).collect(),
        });
    }
    let device = registry.get(&m.device).ok_or_else(|| Reject::UnknownDevice(m.device.chars().take(64).collect()))?;
    let time_ms = parse_time(&m.time)?;
    let wrong = |why: &str| Reject::WrongReading {
        device: device.id.clone(),
        kind: kind_name(&device.kind),
        why: why.to_owned(),
    };
    let reading = match &device.kind {
        DeviceKind::WaterGauge { .. } => Reading::WaterLevel {
            level_m: finite(m.level_m.ok_or_else(|| wrong("a gauge reading needs level_m"))?, &wrong)?,
        },
        DeviceKind::Camera { .. } => Reading::Camera {
            online: m.online.ok_or_else(|| wrong("a camera reading needs online"))?,
            snapshot_url: checked_snapshot_url(m.snapshot_url)?,
        },
        DeviceKind::StreetLight => {
            let on = m.on.ok_or_else(|| wrong("a street light reading needs on"))?;
            let dim = finite(m.dim.unwrap_or(if on { 1.0 } else { 0.0 }), &wrong)?;
            if !(0.0..=1.0).contains(&dim) {
                return Err(wrong("dim must be between 0 and 1"));
            }
            Reading::Light {
                on,
                dim,
                fault: bounded_text("fault", m.fault)?,
            }
        }
        DeviceKind::Sensor { .. } => Reading::Value {
            value: finite(m.value.ok_or_else(|| wrong("a sensor reading needs value"))?, &wrong)?,
        },
    };
    Ok(Observation {
        device: device.id.clone(),
        time_ms,
        reading,
    })
}

fn finite(v: f64, wrong: &dyn Fn(&str) -> Reject) -> Result<f64, Reject> {
    if v.is_finite() { Ok(v) } else { Err(wrong("the value is not a finite number")) }
}

pub fn kind_name(kind: &DeviceKind) -> &'static str {
    match kind {
        DeviceKind::WaterGauge { .. } => "water gauge",
        DeviceKind::Camera { .. } => "camera",
        DeviceKind::StreetLight => "street light",
        DeviceKind::Sensor { .. } => "sensor",
    }
}

/// The Datastream id of a SensorThings MQTT topic
/// `v1.1/Datastreams(<id>)/Observations` (also `v1.0`, quoted string ids).
pub fn datastream_of_topic(topic: &str) -> Option<String> {
    let rest = topic.strip_prefix("v1.1/").or_else(|| topic.strip_prefix("v1.0/"))?;
    let inner = rest.strip_prefix("Datastreams(")?.strip_suffix(")/Observations")?;
    let id = inner.trim_matches('\'');
    (!id.is_empty() && id.len() <= 128).then(|| id.to_owned())
}

#[derive(Deserialize)]
struct SensorThingsObservation {
    #[serde(rename = "phenomenonTime")]
    phenomenon_time: String,
    result: serde_json::Value,
}

/// An OGC SensorThings Observation published on a Datastream topic.
pub fn parse_sensorthings(topic: &str, bytes: &[u8], registry: &Registry) -> Result<Observation, Reject> {
    check_size(bytes)?;
    let datastream = datastream_of_topic(topic).ok_or_else(|| Reject::Malformed(format!("not a SensorThings Observations topic: {topic}")))?;
    let device = registry
        .by_datastream(&datastream)
        .ok_or_else(|| Reject::UnknownDatastream(datastream.clone()))?;
    let o: SensorThingsObservation = serde_json::from_slice(bytes).map_err(|e| Reject::Malformed(e.to_string()))?;
    let time_ms = parse_time(&o.phenomenon_time)?;
    let wrong = |why: &str| Reject::WrongReading {
        device: device.id.clone(),
        kind: kind_name(&device.kind),
        why: why.to_owned(),
    };
    let number = |v: &serde_json::Value| v.as_f64().filter(|x| x.is_finite());
    let reading = match (&device.kind, &o.result) {
        (DeviceKind::WaterGauge { .. }, v) => Reading::WaterLevel {
            level_m: number(v).ok_or_else(|| wrong("result must be a number of metres"))?,
        },
        (DeviceKind::Sensor { .. }, v) => Reading::Value {
            value: number(v).ok_or_else(|| wrong("result must be a number"))?,
        },
        (DeviceKind::Camera { .. }, serde_json::Value::Bool(online)) => Reading::Camera {
            online: *online,
            snapshot_url: None,
        },
        (DeviceKind::Camera { .. }, serde_json::Value::Object(map)) => Reading::Camera {
            online: map.get("online").and_then(|v| v.as_bool()).ok_or_else(|| wrong("result.online must be true or false"))?,
            snapshot_url: checked_snapshot_url(map.get("snapshot_url").and_then(|v| v.as_str()).map(str::to_owned))?,
        },
        (DeviceKind::StreetLight, serde_json::Value::Bool(on)) => Reading::Light {
            on: *on,
            dim: if *on { 1.0 } else { 0.0 },
            fault: None,
        },
        (DeviceKind::StreetLight, serde_json::Value::Object(map)) => {
            let on = map.get("on").and_then(|v| v.as_bool()).ok_or_else(|| wrong("result.on must be true or false"))?;
            let dim = map.get("dim").and_then(number).unwrap_or(if on { 1.0 } else { 0.0 });
            if !(0.0..=1.0).contains(&dim) {
                return Err(wrong("result.dim must be between 0 and 1"));
            }
            Reading::Light {
                on,
                dim,
                fault: bounded_text("result.fault", map.get("fault").and_then(|v| v.as_str()).map(str::to_owned))?,
            }
        }
        _ => return Err(wrong("result has the wrong shape for this device")),
    };
    Ok(Observation {
        device: device.id.clone(),
        time_ms,
        reading,
    })
}
