//! Feed messages of arbitrary bytes: the compact format and SensorThings
//! observations (a first line, when there is one, is the MQTT topic), viewer
//! requests and gateway messages. A reject or a message,
//! never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sontinh_feeds::{FeedClient, Registry};

/// The October 2020 flood scenario's devices.
const DEVICES: &str = include_str!("../../assets/feeds/flood-2020-10/devices.json");

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::from_json(DEVICES).unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let registry = registry();
    // "topic\npayload"; a bare payload goes to the first gauge's topics.
    let (topic, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => (String::new(), data),
    };
    let (compact, sensorthings) = if topic.is_empty() {
        (
            sontinh_feeds::compact_topic("gauge-thach-han"),
            "v1.1/Datastreams(1)/Observations".to_owned(),
        )
    } else {
        (topic.clone(), topic)
    };
    let _ = sontinh_feeds::parse_compact(&compact, payload, registry);
    let _ = sontinh_feeds::parse_sensorthings(&sensorthings, payload, registry);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sontinh_feeds::parse_request(text);
        let mut client = FeedClient::new(16);
        if client.apply_text(text).is_ok() {
            let _ = client.take_changed();
            let _ = client.time_range();
        }
    }
});
