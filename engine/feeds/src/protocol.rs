//! What the gateway and a viewer say to each other over the WebSocket.
//!
//! Gateway → viewer: one JSON object per text frame, tagged by `type`.
//! Viewer → gateway: requests, also tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::model::{Observation, Role};
use crate::state::{HistoryCursor, Snapshot};

/// Most observations in one history reply; the rest comes page by page.
pub const MAX_HISTORY_PAGE: usize = 2000;

/// A message from the gateway to a viewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Everything the viewer's role may see now: the first message, and again
    /// whenever the viewer fell behind (`lagged` messages were skipped).
    Snapshot {
        role: Role,
        snapshot: Snapshot,
        broker_connected: bool,
        #[serde(default, skip_serializing_if = "is_zero")]
        lagged: u64,
    },
    /// One accepted observation.
    Observation { observation: Observation },
    /// The gateway's link to the broker went down or came back.
    Status { broker_connected: bool },
    /// The reply to [`ClientRequest::History`], oldest first, at most
    /// [`MAX_HISTORY_PAGE`] observations; `next` asks for the following page.
    History {
        observations: Vec<Observation>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<HistoryCursor>,
    },
    /// A request the gateway could not serve.
    Error { message: String },
    /// A gauge crossed an alarm level: what the current levels flood.
    FloodWarning { warning: FloodWarning },
}

/// The live flood warning: the connected inundation for the gauges' current
/// levels over the scene's terrain, computed by the gateway when a gauge
/// rises past an alarm level (also published on [`FLOOD_ALERT_TOPIC`] and
/// to the configured webhook, as this JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloodWarning {
    /// The gauge that crossed, its reading and the alarm level reached (1–3).
    pub device: String,
    pub time_ms: i64,
    pub level_m: f64,
    pub alarm_level: u8,
    /// Every warned gauge's level used (device id, metres).
    pub levels_m: Vec<(String, f64)>,
    pub flooded_area_km2: f64,
    pub max_depth_m: f64,
    /// The scene's places under water, deepest first.
    pub places: Vec<WarnedPlace>,
    /// The flooded extent, GeoJSON (WGS 84).
    pub extent: serde_json::Value,
    /// Milliseconds from the gauge's message reaching the gateway to this warning.
    pub computed_in_ms: i64,
}

/// A place under water in a [`FloodWarning`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WarnedPlace {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    pub depth_m: f64,
}

/// Where the gateway publishes flood warnings (retained: a newcomer gets the latest).
pub const FLOOD_ALERT_TOPIC: &str = "sontinh/v1/alerts/flood";

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A request from a viewer to the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientRequest {
    /// The history of every device the role may see, between two times
    /// (milliseconds since 1970, inclusive), so that the timeline can scrub back.
    /// Pages after the first carry the previous reply's `next`.
    History {
        from_ms: i64,
        to_ms: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<HistoryCursor>,
    },
}

/// Largest request a gateway reads from a viewer.
pub const MAX_REQUEST_BYTES: usize = 4096;

/// Parses a viewer's request, naming what was wrong.
pub fn parse_request(text: &str) -> Result<ClientRequest, String> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err(format!("request of {} bytes is larger than {MAX_REQUEST_BYTES}", text.len()));
    }
    serde_json::from_str(text).map_err(|e| format!("bad request: {e}"))
}

impl ServerMessage {
    /// The camera snapshot addresses this message carries (the link fetches
    /// them for roles that may see images); a snapshot message also tells
    /// the viewer's role, written into `role`.
    pub fn snapshot_urls(&self, role: &mut Option<crate::Role>) -> Vec<String> {
        let mut urls = Vec::new();
        let mut take = |reading: &crate::Reading| urls.extend(reading.snapshot_url().map(str::to_owned));
        match self {
            ServerMessage::Snapshot { role: r, snapshot, .. } => {
                *role = Some(*r);
                snapshot.latest.iter().for_each(|o| take(&o.reading));
            }
            ServerMessage::Observation { observation } => take(&observation.reading),
            _ => {}
        }
        urls
    }
}
