//! A viewer's side of the feed: what the gateway has sent, kept so that the
//! twin can show it now or at any moment of the timeline. Transport-free
//! (the native viewer feeds it from a WebSocket thread, the browser from its
//! own WebSocket), so it builds for wasm32.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::{Device, DeviceKind, Observation, Reading, Role, alarm_level};
use crate::protocol::ServerMessage;

/// What a transport reports to the client.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkEvent {
    /// Trying to reach the gateway (first time, or again after a failure).
    Connecting,
    /// The WebSocket is open.
    Connected,
    /// A text frame from the gateway.
    Text(String),
    /// A frame the transport already parsed (off the viewer's thread).
    Message(ServerMessage),
    /// The WebSocket closed or could not open; the transport retries with backoff.
    Disconnected(String),
    /// A camera snapshot image fetched for `url`.
    Image { url: String, bytes: Vec<u8> },
}

/// The viewer's link to the gateway, always shown on screen.
#[derive(Clone, Debug, PartialEq)]
pub enum Connection {
    Connecting,
    /// The gateway is reachable; `broker_connected` is its own link to the broker.
    Connected { broker_connected: bool },
    /// Lost; the last known state stays on screen.
    Disconnected { reason: String },
}

/// Why an operator's attention is asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlarmKind {
    /// A gauge rose to Báo động `level` (1–3).
    Flood { level: u8, level_m: f64 },
    CameraOffline,
    LightFault { fault: String },
}

/// One entry of the alarm list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub id: u64,
    pub device: String,
    pub time_ms: i64,
    #[serde(flatten)]
    pub kind: AlarmKind,
    pub acknowledged: bool,
    /// Who acknowledged it at the gateway (a flood alarm, recorded there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// Sent to the gateway, no answer yet.
    #[serde(default)]
    pub pending: bool,
    /// Why the gateway did not record the acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// The gateway's answer to `POST /acknowledge` as the transport got it
/// (status and body): the name it recorded, or its refusal in words.
pub fn acknowledgement_answer(status: u16, body: &str) -> Result<String, String> {
    if !(200..300).contains(&status) {
        return Err(format!("{status}: {}", body.trim()));
    }
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("the gateway's answer is not JSON: {e}"))?;
    value["by"].as_str().map(str::to_owned).ok_or_else(|| "the gateway's answer names nobody".to_owned())
}

/// An acknowledgement for the transport to send (`POST /acknowledge`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcknowledgementRequest {
    pub alarm_id: u64,
    pub device: String,
    pub alarm_time_ms: i64,
}

/// Alarms kept; the oldest acknowledged ones go first when full.
pub const MAX_ALARMS: usize = 1000;

/// The feed as one viewer knows it.
#[derive(Debug)]
pub struct FeedClient {
    role: Option<Role>,
    devices: Vec<Device>,
    index: HashMap<String, usize>,
    /// Per device, oldest first, bounded by `history_len`.
    history: Vec<VecDeque<Observation>>,
    history_len: usize,
    connection: Connection,
    alarms: Vec<Alarm>,
    next_alarm: u64,
    /// Devices whose latest state changed since [`FeedClient::take_changed`].
    changed: Vec<usize>,
    changed_flag: Vec<bool>,
    /// Bumped when the device list itself changes (markers must be rebuilt).
    devices_version: u64,
    latest_time_ms: Option<i64>,
    /// Messages that could not be understood, with the last reason.
    bad_messages: u64,
    last_error: Option<String>,
    images: HashMap<String, Vec<u8>>,
    images_version: u64,
    history_received: bool,
    /// Bumped when observations are filed into the past (history replies).
    past_version: u64,
    /// The gateway's latest flood warning.
    flood_warning: Option<crate::protocol::FloodWarning>,
    /// Acknowledgements for the transport to send.
    outgoing_acknowledgements: Vec<AcknowledgementRequest>,
}

impl FeedClient {
    pub fn new(history_len: usize) -> FeedClient {
        FeedClient {
            role: None,
            devices: Vec::new(),
            index: HashMap::new(),
            history: Vec::new(),
            history_len: history_len.max(1),
            connection: Connection::Connecting,
            alarms: Vec::new(),
            next_alarm: 1,
            changed: Vec::new(),
            changed_flag: Vec::new(),
            devices_version: 0,
            latest_time_ms: None,
            bad_messages: 0,
            last_error: None,
            images: HashMap::new(),
            images_version: 0,
            history_received: false,
            past_version: 0,
            flood_warning: None,
            outgoing_acknowledgements: Vec::new(),
        }
    }

    /// Applies what the transport reports.
    pub fn handle(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Connecting => {
                // Keep "disconnected" visible while retrying: it is what the operator must know.
                if !matches!(self.connection, Connection::Disconnected { .. }) {
                    self.connection = Connection::Connecting;
                }
            }
            LinkEvent::Connected => self.connection = Connection::Connected { broker_connected: false },
            LinkEvent::Disconnected(reason) => self.connection = Connection::Disconnected { reason },
            LinkEvent::Text(text) => {
                if let Err(e) = self.apply_text(&text) {
                    self.bad_messages += 1;
                    self.last_error = Some(e);
                }
            }
            LinkEvent::Message(message) => self.apply(message),
            LinkEvent::Image { url, bytes } => {
                self.images.insert(url, bytes);
                self.images_version += 1;
            }
        }
    }

    /// The gateway's latest flood warning, if any came.
    pub fn flood_warning(&self) -> Option<&crate::protocol::FloodWarning> {
        self.flood_warning.as_ref()
    }

    /// Applies one message from the gateway.
    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        let message: ServerMessage = serde_json::from_str(text).map_err(|e| format!("message from the gateway not understood: {e}"))?;
        self.apply(message);
        Ok(())
    }

    pub fn apply(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Snapshot {
                role,
                snapshot,
                broker_connected,
                ..
            } => {
                self.role = Some(role);
                self.connection = Connection::Connected { broker_connected };
                self.set_devices(snapshot.devices);
                for o in snapshot.latest {
                    self.insert(o);
                }
            }
            ServerMessage::Observation { observation } => self.insert(observation),
            ServerMessage::Status { broker_connected } => self.connection = Connection::Connected { broker_connected },
            ServerMessage::History { observations, next } => {
                for o in observations {
                    self.insert(o);
                }
                // The link asks for the following pages; the history is complete with the last.
                self.history_received = next.is_none();
                self.rebuild_alarms();
            }
            ServerMessage::Error { message } => self.last_error = Some(message),
            ServerMessage::FloodWarning { warning } => self.flood_warning = Some(warning),
        }
    }

    /// A new device list: history is kept for devices that remain.
    fn set_devices(&mut self, devices: Vec<Device>) {
        let same = devices.len() == self.devices.len() && devices.iter().zip(&self.devices).all(|(a, b)| a == b);
        if same {
            return;
        }
        let mut old: HashMap<String, VecDeque<Observation>> = self
            .devices
            .iter()
            .map(|d| d.id.clone())
            .zip(std::mem::take(&mut self.history))
            .collect();
        self.index = devices.iter().enumerate().map(|(i, d)| (d.id.clone(), i)).collect();
        self.history = devices.iter().map(|d| old.remove(&d.id).unwrap_or_default()).collect();
        self.devices = devices;
        self.changed_flag = vec![true; self.devices.len()];
        self.changed = (0..self.devices.len()).collect();
        self.devices_version += 1;
    }

    /// Files an observation in time order. One older than the device's
    /// latest (history arriving after live data) goes into the past without
    /// changing the present; duplicates are dropped.
    fn insert(&mut self, o: Observation) {
        let Some(&i) = self.index.get(&o.device) else { return };
        let history = &self.history[i];
        let latest_ms = history.back().map(|p| p.time_ms);
        if latest_ms.is_none_or(|t| o.time_ms > t) {
            // The common case: a new present.
            let alarm = alarm_raised(&self.devices[i].kind, history.back().map(|p| &p.reading), &o.reading);
            self.latest_time_ms = Some(self.latest_time_ms.map_or(o.time_ms, |t| t.max(o.time_ms)));
            if let Some(kind) = alarm {
                self.push_alarm(&o, kind);
            }
            let history = &mut self.history[i];
            if history.len() == self.history_len {
                history.pop_front();
            }
            history.push_back(o);
            if !self.changed_flag[i] {
                self.changed_flag[i] = true;
                self.changed.push(i);
            }
            return;
        }
        let history = &mut self.history[i];
        if let Err(at) = history.binary_search_by_key(&o.time_ms, |h| h.time_ms) {
            self.past_version += 1;
            if history.len() == self.history_len {
                if at == 0 {
                    return; // older than everything kept
                }
                history.pop_front();
                history.insert(at - 1, o);
            } else {
                history.insert(at, o);
            }
        }
    }

    /// The alarms the whole known history raises, in time order, so that a
    /// viewer connecting mid-flood sees what happened; acknowledgements of
    /// alarms already listed are kept.
    fn rebuild_alarms(&mut self) {
        let mut raised: Vec<(i64, usize, AlarmKind)> = Vec::new();
        for (i, device) in self.devices.iter().enumerate() {
            let mut previous: Option<&Reading> = None;
            for o in &self.history[i] {
                if let Some(kind) = alarm_raised(&device.kind, previous, &o.reading) {
                    raised.push((o.time_ms, i, kind));
                }
                previous = Some(&o.reading);
            }
        }
        raised.sort_by_key(|(t, i, _)| (*t, *i));
        let skip = raised.len().saturating_sub(MAX_ALARMS);
        let old = std::mem::take(&mut self.alarms);
        for (time_ms, i, kind) in raised.into_iter().skip(skip) {
            let device = self.devices[i].id.clone();
            let kept = old.iter().find(|a| a.device == device && a.time_ms == time_ms && a.kind == kind);
            let (id, acknowledged, acknowledged_by, pending, refused) = match kept {
                Some(a) => (a.id, a.acknowledged, a.acknowledged_by.clone(), a.pending, a.refused.clone()),
                None => {
                    self.next_alarm += 1;
                    (self.next_alarm - 1, false, None, false, None)
                }
            };
            self.alarms.push(Alarm {
                id,
                device,
                time_ms,
                kind,
                acknowledged,
                acknowledged_by,
                pending,
                refused,
            });
        }
    }

    fn push_alarm(&mut self, o: &Observation, kind: AlarmKind) {
        if self.alarms.len() >= MAX_ALARMS {
            let drop_at = self.alarms.iter().position(|a| a.acknowledged).unwrap_or(0);
            self.alarms.remove(drop_at);
        }
        self.alarms.push(Alarm {
            id: self.next_alarm,
            device: o.device.clone(),
            time_ms: o.time_ms,
            kind,
            acknowledged: false,
            acknowledged_by: None,
            pending: false,
            refused: None,
        });
        self.next_alarm += 1;
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Changes whenever the past changed (history arrived): views of a past moment must be redrawn.
    pub fn past_version(&self) -> u64 {
        self.past_version
    }

    /// Whether the gateway has answered the history request.
    pub fn history_received(&self) -> bool {
        self.history_received
    }

    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    pub fn device_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Changes whenever the device list does.
    pub fn devices_version(&self) -> u64 {
        self.devices_version
    }

    /// Devices whose latest state changed since the last call.
    pub fn take_changed(&mut self) -> Vec<usize> {
        for &i in &self.changed {
            self.changed_flag[i] = false;
        }
        std::mem::take(&mut self.changed)
    }

    pub fn latest(&self, device: usize) -> Option<&Observation> {
        self.history.get(device)?.back()
    }

    /// The device's state at `time_ms`: its last observation at or before then.
    pub fn at(&self, device: usize, time_ms: i64) -> Option<&Observation> {
        let h = self.history.get(device)?;
        // Live views ask for the present: no search.
        if let Some(latest) = h.back().filter(|o| o.time_ms <= time_ms) {
            return Some(latest);
        }
        let after = h.partition_point(|o| o.time_ms <= time_ms);
        after.checked_sub(1).and_then(|i| h.get(i))
    }

    /// A device's observations, oldest first (from the newest with `.rev()`).
    pub fn history(&self, device: usize) -> impl DoubleEndedIterator<Item = &Observation> {
        self.history.get(device).into_iter().flatten()
    }

    /// A device that had not reported for twice its expected period at `time_ms`.
    pub fn is_stale(&self, device: usize, time_ms: i64) -> bool {
        self.devices.get(device).is_some_and(|d| d.is_stale(self.at(device, time_ms), time_ms))
    }

    /// The alarm level of a gauge at `time_ms`.
    pub fn alarm_at(&self, device: usize, time_ms: i64) -> Option<u8> {
        let DeviceKind::WaterGauge { alarm_levels_m, .. } = &self.devices.get(device)?.kind else { return None };
        match self.at(device, time_ms)?.reading {
            Reading::WaterLevel { level_m } => Some(alarm_level(alarm_levels_m, level_m)),
            _ => None,
        }
    }

    /// The newest observation time seen: "now" of the feed.
    pub fn latest_time_ms(&self) -> Option<i64> {
        self.latest_time_ms
    }

    /// The span the timeline can scrub over.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let first = self.history.iter().filter_map(|h| h.front()).map(|o| o.time_ms).min()?;
        Some((first, self.latest_time_ms?))
    }

    /// Alarms, newest first.
    pub fn alarms(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.iter().rev()
    }

    pub fn unacknowledged(&self) -> usize {
        self.alarms.iter().filter(|a| !a.acknowledged).count()
    }

    /// Marks an alarm as seen; false when there is no such alarm.
    pub fn acknowledge(&mut self, id: u64) -> bool {
        match self.alarms.iter_mut().find(|a| a.id == id) {
            Some(a) => {
                a.acknowledged = true;
                true
            }
            None => false,
        }
    }

    /// Acknowledges an alarm as an operator of the operations centre: a
    /// flood alarm goes to the gateway, which records who and when (see
    /// [`FeedClient::take_acknowledgement_requests`]); other alarms are
    /// this viewer's alone and are acknowledged at once.
    pub fn request_acknowledgement(&mut self, id: u64) -> bool {
        let Some(a) = self.alarms.iter_mut().find(|a| a.id == id) else { return false };
        if !matches!(a.kind, AlarmKind::Flood { .. }) {
            a.acknowledged = true;
            return true;
        }
        if !a.acknowledged && !a.pending {
            a.pending = true;
            a.refused = None;
            self.outgoing_acknowledgements.push(AcknowledgementRequest {
                alarm_id: a.id,
                device: a.device.clone(),
                alarm_time_ms: a.time_ms,
            });
        }
        true
    }

    /// Acknowledgements waiting for the transport to send.
    pub fn take_acknowledgement_requests(&mut self) -> Vec<AcknowledgementRequest> {
        std::mem::take(&mut self.outgoing_acknowledgements)
    }

    /// The gateway's answer: recorded (by whom), or why not.
    pub fn acknowledgement_answered(&mut self, id: u64, answer: Result<String, String>) {
        let Some(a) = self.alarms.iter_mut().find(|a| a.id == id) else { return };
        a.pending = false;
        match answer {
            Ok(by) => {
                a.acknowledged = true;
                a.acknowledged_by = Some(by);
                a.refused = None;
            }
            Err(why) => a.refused = Some(why),
        }
    }

    /// [`FeedClient::request_acknowledgement`] of every alarm not yet
    /// acknowledged (of `device` only, when given): the "acknowledge all" button.
    pub fn request_acknowledgements(&mut self, device: Option<&str>) {
        let waiting: Vec<u64> = self.alarms.iter().filter(|a| !a.acknowledged && device.is_none_or(|d| d == a.device)).map(|a| a.id).collect();
        for id in waiting {
            self.request_acknowledgement(id);
        }
    }

    /// Messages that were not understood, and the last reason.
    pub fn bad_messages(&self) -> (u64, Option<&str>) {
        (self.bad_messages, self.last_error.as_deref())
    }

    pub fn image(&self, url: &str) -> Option<&[u8]> {
        self.images.get(url).map(Vec::as_slice)
    }

    /// Addresses of the images fetched so far.
    pub fn image_urls(&self) -> impl Iterator<Item = &str> {
        self.images.keys().map(String::as_str)
    }

    /// Changes whenever an image arrives.
    pub fn images_version(&self) -> u64 {
        self.images_version
    }
}

/// The alarm a new reading raises, given the one before it: a gauge rising
/// to a higher Báo động level, a camera going offline, a light's new fault.
fn alarm_raised(kind: &DeviceKind, previous: Option<&Reading>, reading: &Reading) -> Option<AlarmKind> {
    match (kind, reading) {
        (DeviceKind::WaterGauge { alarm_levels_m, .. }, Reading::WaterLevel { level_m }) => {
            let before = match previous {
                Some(Reading::WaterLevel { level_m }) => alarm_level(alarm_levels_m, *level_m),
                _ => 0,
            };
            let now = alarm_level(alarm_levels_m, *level_m);
            (now > before).then_some(AlarmKind::Flood { level: now, level_m: *level_m })
        }
        (DeviceKind::Camera { .. }, Reading::Camera { online: false, .. }) => {
            let was_online = !matches!(previous, Some(Reading::Camera { online: false, .. }));
            was_online.then_some(AlarmKind::CameraOffline)
        }
        (DeviceKind::StreetLight, Reading::Light { fault: Some(fault), .. }) => {
            let same = matches!(previous, Some(Reading::Light { fault: Some(f), .. }) if f == fault);
            (!same).then(|| AlarmKind::LightFault { fault: fault.clone() })
        }
        _ => None,
    }
}

/// The water surface along a river reach: levels at `stations` (distance
/// along the reach, level) interpolated linearly at `chainages`, held level
/// beyond the first and last station. `None` without any station.
pub fn reach_surface(stations: &[(f64, f64)], chainages: &[f64]) -> Option<Vec<f64>> {
    let mut sorted: Vec<(f64, f64)> = stations.iter().copied().filter(|(c, l)| c.is_finite() && l.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(
        chainages
            .iter()
            .map(|&c| {
                let after = sorted.partition_point(|s| s.0 <= c);
                match (after.checked_sub(1).map(|i| sorted[i]), sorted.get(after)) {
                    (Some(a), Some(b)) if b.0 > a.0 => a.1 + (b.1 - a.1) * (c - a.0) / (b.0 - a.0),
                    (Some(a), _) => a.1,
                    (None, Some(b)) => b.1,
                    (None, None) => sorted[0].1,
                }
            })
            .collect(),
    )
}

/// A feed time as operators in Quảng Trị read it: local time (UTC+7).
pub fn format_local_time(time_ms: i64) -> String {
    let Some(offset) = chrono::FixedOffset::east_opt(7 * 3600) else { return time_ms.to_string() };
    match chrono::DateTime::from_timestamp_millis(time_ms) {
        Some(t) => t.with_timezone(&offset).format("%d/%m/%Y %H:%M").to_string(),
        None => time_ms.to_string(),
    }
}
