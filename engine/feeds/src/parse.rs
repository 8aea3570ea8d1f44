//! Feed messages in: OGC SensorThings observations and the compact format
//! (see the crate README). Every failure is a [`Reject`] with its kind.

use serde::Deserialize;

use crate::model::{DeviceKind, Observation, Reading};
use crate::registry::Registry;

/// Messages larger than this are rejected unread.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

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
    #[error("observation of \"{device}\" at {time_ms} ms repeats its latest timestamp")]
    Duplicate { device: String, time_ms: i64 },
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
        }
    }
}

pub fn parse_time(text: &str) -> Result<i64, Reject> {
    // SensorThings allows an interval "start/end" for phenomenonTime: take its end.
    let instant = text.rsplit('/').next().unwrap_or(text);
    chrono::DateTime::parse_from_rfc3339(instant)
        .map(|t| t.timestamp_millis())
        .map_err(|_| Reject::BadTime(text.chars().take(64).collect()))
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

pub fn parse_compact(bytes: &[u8], registry: &Registry) -> Result<Observation, Reject> {
    check_size(bytes)?;
    let m: Compact = serde_json::from_slice(bytes).map_err(|e| Reject::Malformed(e.to_string()))?;
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
            snapshot_url: m.snapshot_url,
        },
        DeviceKind::StreetLight => {
            let on = m.on.ok_or_else(|| wrong("a street light reading needs on"))?;
            let dim = finite(m.dim.unwrap_or(if on { 1.0 } else { 0.0 }), &wrong)?;
            if !(0.0..=1.0).contains(&dim) {
                return Err(wrong("dim must be between 0 and 1"));
            }
            Reading::Light { on, dim, fault: m.fault }
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
            snapshot_url: map.get("snapshot_url").and_then(|v| v.as_str()).map(str::to_owned),
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
                fault: map.get("fault").and_then(|v| v.as_str()).map(str::to_owned),
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
