//! The devices a feed knows, loaded from a JSON list and checked.

use std::collections::HashMap;

use crate::model::{Device, DeviceKind};

#[derive(Clone, Debug, Default)]
pub struct Registry {
    devices: Vec<Device>,
    by_id: HashMap<String, usize>,
    by_datastream: HashMap<String, usize>,
}

impl Registry {
    /// Checks ids, positions, alarm levels, roles and periods.
    pub fn new(devices: Vec<Device>) -> Result<Registry, String> {
        let mut by_id = HashMap::new();
        let mut by_datastream = HashMap::new();
        for (i, d) in devices.iter().enumerate() {
            let at = format!("device {} (\"{}\")", i + 1, d.id);
            if d.id.is_empty() || d.id.len() > 64 || !d.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(format!("{at}: ids are 1–64 letters, digits, '-' or '_'"));
            }
            if by_id.insert(d.id.clone(), i).is_some() {
                return Err(format!("{at}: the id is used twice"));
            }
            let [lon, lat, h] = d.position;
            if !(lon.is_finite() && lat.is_finite() && h.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
                return Err(format!("{at}: position {:?} is not a WGS 84 longitude, latitude, height", d.position));
            }
            let texts = [("names.vi", &d.names.vi), ("names.en", &d.names.en), ("owner", &d.owner)];
            if let Some((field, _)) = texts.iter().find(|(_, t)| t.chars().count() > crate::parse::MAX_TEXT_CHARS) {
                return Err(format!("{at}: {field} is longer than {} characters", crate::parse::MAX_TEXT_CHARS));
            }
            match &d.kind {
                DeviceKind::Camera {
                    snapshot_url,
                    stream_url,
                    stream,
                    ..
                } => {
                    if let Some(url) = snapshot_url {
                        crate::parse::snapshot_file(url).map_err(|e| format!("{at}: {e}"))?;
                    }
                    if let Some(url) = stream_url {
                        crate::parse::parse_stream_url(url).map_err(|e| format!("{at}: {e}"))?;
                    }
                    if *stream {
                        return Err(format!("{at}: \"stream\" is the gateway's to set; give the camera's stream_url instead"));
                    }
                }
                DeviceKind::WaterGauge { river: text, .. } | DeviceKind::Sensor { quantity: text, .. } if text.chars().count() > crate::parse::MAX_TEXT_CHARS => {
                    return Err(format!("{at}: a text field is longer than {} characters", crate::parse::MAX_TEXT_CHARS));
                }
                _ => {}
            }
            if d.datastreams.iter().any(|s| s.is_empty() || s.len() > 128) {
                return Err(format!("{at}: datastream ids are 1–128 characters"));
            }
            if d.visible_to.is_empty() {
                return Err(format!("{at}: visible_to names no role"));
            }
            if !(d.expected_period_s.is_finite() && d.expected_period_s > 0.0) {
                return Err(format!("{at}: expected_period_s must be positive"));
            }
            if let DeviceKind::WaterGauge { alarm_levels_m, .. } = &d.kind
                && !(alarm_levels_m.iter().all(|l| l.is_finite()) && alarm_levels_m[0] <= alarm_levels_m[1] && alarm_levels_m[1] <= alarm_levels_m[2])
            {
                return Err(format!("{at}: alarm levels {alarm_levels_m:?} must rise from I to III"));
            }
            for stream in &d.datastreams {
                if by_datastream.insert(stream.clone(), i).is_some() {
                    return Err(format!("{at}: datastream {stream} belongs to two devices"));
                }
            }
        }
        Ok(Registry {
            devices,
            by_id,
            by_datastream,
        })
    }

    pub fn from_json(text: &str) -> Result<Registry, String> {
        let devices: Vec<Device> = serde_json::from_str(text).map_err(|e| format!("device list: {e}"))?;
        Registry::new(devices)
    }

    pub fn get(&self, id: &str) -> Option<&Device> {
        self.by_id.get(id).map(|i| &self.devices[*i])
    }

    pub fn by_datastream(&self, id: &str) -> Option<&Device> {
        self.by_datastream.get(id).map(|i| &self.devices[*i])
    }

    pub fn devices(&self) -> &[Device] {
        &self.devices
    }
}
