//! The live flood warning: when a watched gauge's reading reaches a higher
//! alarm level than its last, the gateway computes the connected inundation
//! for every watched gauge's current level over the scene's terrain (the
//! priority flood of `sontinh flood inundate`), lists the scene's places
//! under water, and sends the warning to viewers, to the broker
//! ([`FLOOD_ALERT_TOPIC`], retained) and to the webhook if one is set.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use rumqttc::{AsyncClient, QoS};
use sontinh_feeds::{DeviceKind, FLOOD_ALERT_TOPIC, FloodWarning, FeedState, Reading, Registry, ServerMessage, WarnedPlace};

use crate::config::WarningConfig;
use crate::{Shared, to_text};

/// Levels by gauge or device id, metres.
type Levels = Vec<(String, f64)>;

/// What the gateway needs to warn: the scene's scenario, prepared once
/// (grid, terrain, gauge cells), and the gauges watched.
pub(crate) struct Warner {
    prepared: Arc<sontinh_flood_plan::PreparedWarning>,
    /// Feed gauge → the scenario's gauge.
    gauges: BTreeMap<String, String>,
    webhook: Option<String>,
}

/// A gauge that rose to a higher alarm level.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    pub device: String,
    pub time_ms: i64,
    pub level_m: f64,
    pub alarm_level: u8,
    pub received: Instant,
}

impl Warner {
    /// Loads the scene and checks the gauges against the registry and the scenario.
    pub(crate) fn load(config: &WarningConfig, registry: &Registry) -> Result<Warner, String> {
        let scene = sontinh_scene::load(&config.scene).map_err(|e| format!("[warning] scene {}: {e}", config.scene.display()))?;
        let scenario = sontinh_flood_plan::find_scenario(&scene, config.scenario.as_deref()).map_err(|e| format!("[warning]: {e}"))?;
        for (device, gauge) in &config.gauges {
            match registry.get(device).map(|d| &d.kind) {
                Some(DeviceKind::WaterGauge { .. }) => {}
                Some(_) => return Err(format!("[warning] gauges: device \"{device}\" is not a water gauge")),
                None => return Err(format!("[warning] gauges: no device \"{device}\" in the registry")),
            }
            if !scenario.gauges.iter().any(|g| &g.id == gauge) {
                return Err(format!("[warning] gauges: scenario \"{}\" has no gauge \"{gauge}\"", scenario.id));
            }
        }
        let prepared = sontinh_flood_plan::PreparedWarning::new(&scene, Some(&scenario.id), &sontinh_flood_plan::disk_files)
            .map_err(|e| format!("[warning] scenario \"{}\": {e}", scenario.id))?;
        Ok(Warner { prepared: Arc::new(prepared), gauges: config.gauges.clone(), webhook: config.webhook.clone() })
    }

    pub(crate) fn watches(&self, device: &str) -> bool {
        self.gauges.contains_key(device)
    }

    /// The watched gauges' current levels, by the scenario's gauge ids, and by device.
    fn levels(&self, state: &FeedState) -> (Levels, Levels) {
        let mut by_gauge = Vec::new();
        let mut by_device = Vec::new();
        for (device, gauge) in &self.gauges {
            if let Some(Reading::WaterLevel { level_m }) = state.latest(device).map(|o| &o.reading) {
                by_gauge.push((gauge.clone(), *level_m));
                by_device.push((device.clone(), *level_m));
            }
        }
        (by_gauge, by_device)
    }
}

/// Computes and sends the warning for `trigger` (errors are logged: a warning that cannot be made must not stop the feed).
pub(crate) async fn warn(shared: Arc<Shared>, client: AsyncClient, trigger: Trigger) {
    let Some(warner) = shared.warner.as_ref() else { return };
    let (by_gauge, by_device) = warner.levels(&*shared.state.read().await);
    let prepared = warner.prepared.clone();
    let computed = tokio::task::spawn_blocking(move || prepared.warning(&by_gauge)).await;
    let inundation = match computed {
        Ok(Ok(i)) => i,
        Ok(Err(e)) => return eprintln!("feeds gateway: no flood warning for {}: {e}", trigger.device),
        Err(e) => return eprintln!("feeds gateway: the flood warning's computation failed: {e}"),
    };
    let extent = serde_json::from_str(&inundation.extent).unwrap_or(serde_json::Value::Null);
    let warning = FloodWarning {
        device: trigger.device.clone(),
        time_ms: trigger.time_ms,
        level_m: trigger.level_m,
        alarm_level: trigger.alarm_level,
        levels_m: by_device,
        flooded_area_km2: inundation.flooded_area_km2,
        max_depth_m: inundation.max_depth_m,
        places: inundation
            .places
            .iter()
            .map(|p| WarnedPlace { id: p.id.clone(), name_vi: p.name.vi.clone(), name_en: p.name.en.clone(), depth_m: p.max_depth_m })
            .collect(),
        extent,
        computed_in_ms: i64::try_from(trigger.received.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    let json = serde_json::to_string(&warning).unwrap_or_default();
    eprintln!(
        "feeds gateway: flood warning: {} at {:.2} m (alarm {}): {:.3} km² under water, {} places, in {} ms",
        warning.device,
        warning.level_m,
        warning.alarm_level,
        warning.flooded_area_km2,
        warning.places.len(),
        warning.computed_in_ms
    );
    // Every role: a flood warning is for the public too.
    let text: Utf8Bytes = to_text(&ServerMessage::FloodWarning { warning: warning.clone() });
    let _ = shared.deltas.send(Arc::new([Some(text.clone()), Some(text.clone()), Some(text)]));
    *shared.last_warning.write().await = Some(warning);
    if let Err(e) = client.publish(FLOOD_ALERT_TOPIC, QoS::AtLeastOnce, true, alert_payload(&json, MAX_ALERT_BYTES)).await {
        eprintln!("feeds gateway: cannot publish the flood warning: {e}");
    }
    if let Some(hook) = warner.webhook.clone() {
        let posted = tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(std::time::Duration::from_secs(10))).build().into();
            agent.post(&hook).header("Content-Type", "application/json").send(json.as_bytes()).map(|_| ()).map_err(|e| format!("{hook}: {e}"))
        })
        .await;
        match posted {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("feeds gateway: the flood warning's webhook failed: {e}"),
            Err(e) => eprintln!("feeds gateway: the flood warning's webhook failed: {e}"),
        }
    }
}

/// The largest alert the gateway publishes: under the broker's packet
/// limit with room for the topic and headers. A larger warning (a wide
/// extent: 750 kB on 10 M cells) would be refused by the broker and break
/// the gateway's session at every reconnect.
pub const MAX_ALERT_BYTES: usize = crate::BROKER_MAX_PACKET_BYTES - 16 * 1024;

/// The warning's JSON as published on the alert topic: whole when it fits
/// in `max_bytes`; otherwise its extent is an empty FeatureCollection and
/// `extent_omitted` says how big it was and where to get it (`GET
/// /warning`, the viewers' link and the webhook carry it whole).
pub fn alert_payload(json: &str, max_bytes: usize) -> String {
    if json.len() <= max_bytes {
        return json.to_owned();
    }
    let Ok(serde_json::Value::Object(mut warning)) = serde_json::from_str::<serde_json::Value>(json) else { return json.to_owned() };
    warning.insert("extent".to_owned(), serde_json::json!({"type": "FeatureCollection", "features": []}));
    warning.insert("extent_omitted".to_owned(), serde_json::json!({"bytes": json.len(), "get": "/warning"}));
    serde_json::Value::Object(warning).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_warning_too_big_for_the_broker_goes_out_without_its_extent_and_says_where_it_is() {
        let small = r#"{"device":"g","level_m":6.1,"extent":{"type":"FeatureCollection","features":[1]}}"#;
        assert_eq!(alert_payload(small, 1000), small);
        let big = format!(r#"{{"device":"g","level_m":6.1,"extent":{{"type":"FeatureCollection","features":[{}]}}}}"#, vec!["1"; 2000].join(","));
        let alert: serde_json::Value = serde_json::from_str(&alert_payload(&big, 1000)).unwrap();
        assert_eq!(alert["device"], "g");
        assert_eq!(alert["extent"]["features"].as_array().unwrap().len(), 0);
        assert_eq!(alert["extent_omitted"]["bytes"], big.len());
        assert_eq!(alert["extent_omitted"]["get"], "/warning");
        assert!(alert.to_string().len() <= 1000);
    }
}
