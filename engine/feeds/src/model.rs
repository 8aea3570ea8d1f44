//! Devices and observations.

use serde::{Deserialize, Serialize};

/// Who is looking: each role sees only the devices and fields allowed to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Tourist,
    Operator,
    Planner,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "tourist" => Some(Role::Tourist),
            "operator" => Some(Role::Operator),
            "planner" => Some(Role::Planner),
            _ => None,
        }
    }

    /// The role's name, as [`Role::parse`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Tourist => "tourist",
            Role::Operator => "operator",
            Role::Planner => "planner",
        }
    }
}

/// A name in both languages of the interface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Names {
    pub vi: String,
    pub en: String,
}

/// What a device is, with what only that kind carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeviceKind {
    /// A river water-level gauge with the flood alarm levels in force there
    /// (Báo động I, II, III), metres on the gauge datum.
    WaterGauge { river: String, alarm_levels_m: [f64; 3] },
    /// A CCTV camera: where it looks, its snapshot address (operators
    /// only), and whether it has live video.
    Camera {
        heading_deg: f64,
        pitch_deg: f64,
        fov_deg: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot_url: Option<String>,
        /// The camera's own MJPEG-over-HTTP address (`http://host:port/path`),
        /// read from the device list for the gateway alone: never serialised,
        /// so no viewer, database or API ever sees it.
        #[serde(default, skip_serializing)]
        stream_url: Option<String>,
        /// In a role's view: the gateway relays this camera's live video to
        /// that role at [`Device::stream_path`]. Never set in the device list.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        stream: bool,
    },
    StreetLight,
    /// Any other numeric sensor.
    Sensor { quantity: String, unit: String },
}

/// A device of the operations centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: String,
    pub names: Names,
    #[serde(flatten)]
    pub kind: DeviceKind,
    /// WGS 84 longitude, latitude (degrees) and height (m).
    pub position: [f64; 3],
    pub owner: String,
    /// Roles that may see the device at all.
    pub visible_to: Vec<Role>,
    /// How often it reports; later than twice this, it is stale.
    pub expected_period_s: f64,
    /// OGC SensorThings Datastream ids whose observations belong to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datastreams: Vec<String>,
}

impl Device {
    pub fn visible_to(&self, role: Role) -> bool {
        self.visible_to.contains(&role)
    }

    /// Stale at `now_ms` when its last observation (if any) is older than twice its expected period.
    pub fn is_stale(&self, last: Option<&Observation>, now_ms: i64) -> bool {
        last.is_none_or(|o| (now_ms - o.time_ms) as f64 > 2.0 * self.expected_period_s * 1000.0)
    }

    /// The device as `role` may see it: tourists never get camera
    /// addresses; nobody gets a stream's upstream address, only `stream`.
    pub fn view_for(&self, role: Role) -> Option<Device> {
        if !self.visible_to(role) {
            return None;
        }
        let mut device = self.clone();
        device.datastreams.clear();
        if let DeviceKind::Camera { snapshot_url, stream_url, stream, .. } = &mut device.kind {
            *stream = stream_url.is_some() && role != Role::Tourist;
            *stream_url = None;
            if role == Role::Tourist {
                *snapshot_url = None;
            }
        }
        Some(device)
    }

    /// The upstream MJPEG address the gateway may relay to `role`: a camera
    /// with a stream, visible to the role, which is not a tourist (the roles
    /// that may see its snapshots).
    pub fn stream_url_for(&self, role: Role) -> Option<&str> {
        match &self.kind {
            DeviceKind::Camera { stream_url: Some(url), .. } if role != Role::Tourist && self.visible_to(role) => Some(url),
            _ => None,
        }
    }

    /// In a view a viewer received: the gateway path of the camera's live
    /// video (`/cameras/<id>/stream`), when its role may watch it.
    pub fn stream_path(&self) -> Option<String> {
        matches!(self.kind, DeviceKind::Camera { stream: true, .. }).then(|| camera_stream_path(&self.id))
    }
}

/// What one observation says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reading {
    /// Water level on the gauge datum, metres.
    WaterLevel { level_m: f64 },
    Camera {
        online: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot_url: Option<String>,
    },
    Light {
        on: bool,
        /// 0 (off) to 1 (full).
        dim: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fault: Option<String>,
    },
    Value { value: f64 },
}

/// A timestamped reading of one device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub device: String,
    /// Milliseconds since 1970-01-01 UTC.
    pub time_ms: i64,
    pub reading: Reading,
}

impl Reading {
    /// The snapshot address a camera reading carries.
    pub fn snapshot_url(&self) -> Option<&str> {
        match self {
            Reading::Camera { snapshot_url: Some(u), .. } => Some(u),
            _ => None,
        }
    }
}

impl Observation {
    /// The observation as `role` may see it.
    pub fn view_for(&self, role: Role) -> Observation {
        let mut o = self.clone();
        if role == Role::Tourist
            && let Reading::Camera { snapshot_url, .. } = &mut o.reading
        {
            *snapshot_url = None;
        }
        o
    }
}

/// Where the gateway serves a camera's live MJPEG video (`GET`, role token
/// in `Authorization`).
pub fn camera_stream_path(camera: &str) -> String {
    format!("/cameras/{camera}/stream")
}

/// Flood alarm level of a gauge reading: 0 (below Báo động I) to 3.
pub fn alarm_level(levels: &[f64; 3], level_m: f64) -> u8 {
    levels.iter().filter(|threshold| level_m >= **threshold).count() as u8
}
