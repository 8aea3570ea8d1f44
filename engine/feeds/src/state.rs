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
    max_future_skew_ms: i64,
    /// Snapshot files named by the readings kept in history: file → camera → readings naming it.
    snapshot_refs: HashMap<String, HashMap<String, u32>>,
}

/// How far ahead of the receiver's clock a reading may be by default: device
/// clocks drift, but a reading from the future would freeze the device.
pub const DEFAULT_MAX_FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

/// Where a page of history ended: the next page starts after this observation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryCursor {
    pub time_ms: i64,
    pub device: String,
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
            max_future_skew_ms: DEFAULT_MAX_FUTURE_SKEW_MS,
            snapshot_refs: HashMap::new(),
        }
    }

    /// Readings later than `now + skew` are rejected as `future`.
    pub fn with_max_future_skew_ms(mut self, skew_ms: i64) -> FeedState {
        self.max_future_skew_ms = skew_ms.max(0);
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Applies an observation received at `now_ms` (milliseconds since
    /// 1970); a device's state never goes back in time, and a reading later
    /// than `now_ms` plus the allowed skew is refused (it would freeze the
    /// device: every real reading after it would be out of order).
    pub fn apply(&mut self, o: Observation, now_ms: i64) -> Result<(), Reject> {
        if self.registry.get(&o.device).is_none() {
            return Err(Reject::UnknownDevice(o.device));
        }
        let limit_ms = now_ms.saturating_add(self.max_future_skew_ms);
        if o.time_ms > limit_ms {
            return Err(Reject::Future {
                device: o.device,
                time_ms: o.time_ms,
                limit_ms,
            });
        }
        if let Some(latest) = self.latest.get(&o.device) {
            if o.time_ms == latest.time_ms {
                // A redelivered message is harmless; another reading at the same time is a conflict.
                return Err(if o.reading == latest.reading {
                    Reject::Duplicate {
                        device: o.device,
                        time_ms: o.time_ms,
                    }
                } else {
                    Reject::Conflict {
                        device: o.device,
                        time_ms: o.time_ms,
                    }
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
        if history.len() == self.history_len
            && let Some(evicted) = history.pop_front()
        {
            forget_snapshot(&mut self.snapshot_refs, &evicted);
        }
        history.push_back(o.clone());
        if let Some(file) = o.reading.snapshot_url().and_then(|u| crate::parse::snapshot_file(u).ok()) {
            *self.snapshot_refs.entry(file.to_owned()).or_default().entry(o.device.clone()).or_insert(0) += 1;
        }
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
        self.history_page(&[device], from_ms, to_ms, None, usize::MAX).0
    }

    /// One page of the history of `devices` between two times (inclusive),
    /// ordered by time then device, starting after `after`, at most `limit`
    /// observations; the cursor of the next page when there is more.
    pub fn history_page(&self, devices: &[&str], from_ms: i64, to_ms: i64, after: Option<&HistoryCursor>, limit: usize) -> (Vec<Observation>, Option<HistoryCursor>) {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let key = |o: &Observation| (o.time_ms, o.device.clone());
        let start = |h: &VecDeque<Observation>| match after {
            // Times of one device are unique, so (time, device) orders every observation.
            Some(c) => h.partition_point(|o| (o.time_ms, o.device.as_str()) <= (c.time_ms, c.device.as_str()) || o.time_ms < from_ms),
            None => h.partition_point(|o| o.time_ms < from_ms),
        };
        let queues: Vec<&VecDeque<Observation>> = devices.iter().filter_map(|d| self.history.get(*d)).collect();
        let mut heap = BinaryHeap::new();
        for (q, h) in queues.iter().enumerate() {
            let i = start(h);
            if let Some(o) = h.get(i).filter(|o| o.time_ms <= to_ms) {
                heap.push(Reverse((key(o), q, i)));
            }
        }
        let limit = limit.max(1);
        let mut page: Vec<Observation> = Vec::new();
        while let Some(Reverse((_, q, i))) = heap.pop() {
            if let Some(last) = page.last().filter(|_| page.len() == limit) {
                let next = HistoryCursor {
                    time_ms: last.time_ms,
                    device: last.device.clone(),
                };
                return (page, Some(next));
            }
            page.push(queues[q][i].clone());
            if let Some(o) = queues[q].get(i + 1).filter(|o| o.time_ms <= to_ms) {
                heap.push(Reverse((key(o), q, i + 1)));
            }
        }
        (page, None)
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

    /// Whether `role` may fetch snapshot `file`: some camera visible to the
    /// role names it (in the device list, or in a reading still in history).
    /// Tourists never may.
    pub fn snapshot_visible_to(&self, file: &str, role: Role) -> bool {
        if role == Role::Tourist {
            return false;
        }
        let visible = |id: &str| self.registry.get(id).is_some_and(|d| d.visible_to(role));
        let listed = self.registry.devices().iter().any(|d| {
            d.visible_to(role)
                && matches!(&d.kind, crate::model::DeviceKind::Camera { snapshot_url: Some(u), .. } if crate::parse::snapshot_file(u) == Ok(file))
        });
        listed || self.snapshot_refs.get(file).is_some_and(|cameras| cameras.keys().any(|c| visible(c)))
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

fn forget_snapshot(refs: &mut HashMap<String, HashMap<String, u32>>, o: &Observation) {
    let Some(file) = o.reading.snapshot_url().and_then(|u| crate::parse::snapshot_file(u).ok()) else { return };
    if let Some(cameras) = refs.get_mut(file) {
        if let Some(count) = cameras.get_mut(&o.device) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                cameras.remove(&o.device);
            }
        }
        if cameras.is_empty() {
            refs.remove(file);
        }
    }
}
