//! From the broker into the feed state: the MQTT session and each message.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeReasonCode};
use sontinh_feeds::{COMPACT_TOPIC_FILTER, Reject, Role, ServerMessage, device_of_compact_topic, parse_compact, parse_sensorthings};

use crate::{Delta, SENSORTHINGS_FILTER, Shared, to_text};

pub(crate) async fn mqtt_loop(options: MqttOptions, shared: Arc<Shared>) {
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let mut backoff = Duration::from_millis(200);
    let mut logged_down = false;
    let mut subscriptions_acked = 0;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                shared.broker_connected.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(200);
                if logged_down {
                    eprintln!("feeds gateway: broker connection back");
                    logged_down = false;
                }
                if ack.session_present {
                    // The broker kept our session, subscriptions included.
                    shared.subscribed.store(true, Ordering::Relaxed);
                } else {
                    // A new session (first start, or a broker that forgot us) needs the subscriptions again.
                    subscriptions_acked = 0;
                    for topic in [COMPACT_TOPIC_FILTER, SENSORTHINGS_FILTER] {
                        if let Err(e) = client.subscribe(topic, QoS::AtLeastOnce).await {
                            eprintln!("feeds gateway: cannot subscribe to {topic}: {e}");
                        }
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack.return_codes.iter().any(|c| matches!(c, SubscribeReasonCode::Failure)) {
                    eprintln!("feeds gateway: the broker refused a subscription (check the gateway user's ACL)");
                } else {
                    subscriptions_acked += 1;
                    if subscriptions_acked >= 2 {
                        shared.subscribed.store(true, Ordering::Relaxed);
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                handle_message(&shared, &publish.topic, &publish.payload).await;
            }
            Ok(_) => {}
            Err(e) => {
                shared.broker_connected.store(false, Ordering::Relaxed);
                shared.subscribed.store(false, Ordering::Relaxed);
                if !logged_down {
                    eprintln!("feeds gateway: broker connection lost ({e}); retrying with backoff");
                    logged_down = true;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

pub(crate) async fn handle_message(shared: &Shared, topic: &str, payload: &[u8]) {
    let parsed = {
        let state = shared.state.read().await;
        if device_of_compact_topic(topic).is_some() {
            parse_compact(topic, payload, state.registry())
        } else if topic.starts_with("v1.1/") || topic.starts_with("v1.0/") {
            parse_sensorthings(topic, payload, state.registry())
        } else {
            Err(Reject::Malformed(format!(
                "unexpected topic {}",
                topic.chars().take(128).collect::<String>()
            )))
        }
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut state = shared.state.write().await;
    let result = parsed.and_then(|o| state.apply(o.clone(), now_ms).map(|()| o));
    match result {
        Ok(o) => {
            let delta: Delta = [Role::Tourist, Role::Operator, Role::Planner].map(|role| {
                state
                    .delta_for(&o, role)
                    .map(|observation| to_text(&ServerMessage::Observation { observation }))
            });
            drop(state);
            let _ = shared.deltas.send(Arc::new(delta));
        }
        Err(reject) => {
            if state.count_reject(&reject) {
                eprintln!(
                    "feeds gateway: rejected ({}): {reject} (further rejects of this kind are counted, not logged)",
                    reject.kind()
                );
            }
        }
    }
}
