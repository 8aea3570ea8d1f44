//! Current state and bounded history per device, applied in time order.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::{Device, Observation, Reading, Role, alarm_level};
use crate::parse::Reject;
use crate::registry::Registry;

/// What the feed knows now.
#[derive(Debug)]
pub struct FeedState {
    registry: Registry,
    latest: HashMap<String, Observation>,
    history: HashMap<String, VecDeque<Observation>>,
    history_len: usize,
    rejects: BTreeMap<&'static str, u64>,
    accepted: u64,
}

/// Everything a role may see at one moment: the first message to a viewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub devices: Vec<Device>,
    pub latest: Vec<Observation>,
}

impl FeedState {
    pub fn new(registry: Registry, history_len: usize) -> FeedState {
        FeedState {
            registry,
            latest: HashMap::new(),
            history: HashMap::new(),
            history_len: history_len.max(1),
            rejects: BTreeMap::new(),
            accepted: 0,
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Applies an observation; a device's state never goes back in time.
    pub fn apply(&mut self, o: Observation) -> Result<(), Reject> {
        if self.registry.get(&o.device).is_none() {
            return Err(Reject::UnknownDevice(o.device));
        }
        if let Some(latest) = self.latest.get(&o.device) {
            if o.time_ms == latest.time_ms {
                return Err(Reject::Duplicate {
                    device: o.device,
                    time_ms: o.time_ms,
                });
            }
            if o.time_ms < latest.time_ms {
                return Err(Reject::OutOfOrder {
                    device: o.device,
                    time_ms: o.time_ms,
                    latest_ms: latest.time_ms,
                });
            }
        }
        let history = self.history.entry(o.device.clone()).or_default();
        if history.len() == self.history_len {
            history.pop_front();
        }
        history.push_back(o.clone());
        self.latest.insert(o.device.clone(), o);
        self.accepted += 1;
        Ok(())
    }

    /// Counts a rejected message; true the first time its kind is seen
    /// (callers log each kind once).
    pub fn count_reject(&mut self, reject: &Reject) -> bool {
        let count = self.rejects.entry(reject.kind()).or_insert(0);
        *count += 1;
        *count == 1
    }

    pub fn rejects(&self) -> &BTreeMap<&'static str, u64> {
        &self.rejects
    }

    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    pub fn latest(&self, device: &str) -> Option<&Observation> {
        self.latest.get(device)
    }

    /// Observations of a device between two times (inclusive), oldest first.
    pub fn history(&self, device: &str, from_ms: i64, to_ms: i64) -> Vec<Observation> {
        self.history
            .get(device)
            .map(|h| h.iter().filter(|o| o.time_ms >= from_ms && o.time_ms <= to_ms).cloned().collect())
            .unwrap_or_default()
    }

    /// A device that has not reported within twice its expected period.
    pub fn is_stale(&self, device: &str, now_ms: i64) -> bool {
        self.registry.get(device).is_some_and(|d| d.is_stale(self.latest.get(device), now_ms))
    }

    /// The alarm level (0–3) of a gauge's latest reading.
    pub fn alarm(&self, device: &str) -> Option<u8> {
        let d = self.registry.get(device)?;
        let crate::model::DeviceKind::WaterGauge { alarm_levels_m, .. } = &d.kind else { return None };
        match self.latest.get(device)?.reading {
            Reading::WaterLevel { level_m } => Some(alarm_level(alarm_levels_m, level_m)),
            _ => None,
        }
    }

    /// What `role` may see now.
    pub fn snapshot_for(&self, role: Role) -> Snapshot {
        let devices: Vec<Device> = self.registry.devices().iter().filter_map(|d| d.view_for(role)).collect();
        let mut latest: Vec<Observation> = devices
            .iter()
            .filter_map(|d| self.latest.get(&d.id))
            .map(|o| o.view_for(role))
            .collect();
        latest.sort_by(|a, b| a.device.cmp(&b.device));
        Snapshot { devices, latest }
    }

    /// An accepted observation as `role` may receive it, or nothing.
    pub fn delta_for(&self, o: &Observation, role: Role) -> Option<Observation> {
        let d = self.registry.get(&o.device)?;
        d.visible_to(role).then(|| o.view_for(role))
    }
}
