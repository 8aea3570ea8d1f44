//! From the broker into the database and the feed state: the MQTT session,
//! and each batch of messages, acknowledged to the broker only once what it
//! brought is committed (a gateway killed in between gets the messages
//! again from the broker, and the database keeps each once).
//!
//! Neither side ever waits on the other: the MQTT task must keep polling,
//! since polling is what sends the acknowledgements (waiting for room in a
//! queue while the writer waited for room among the requests to poll was
//! a deadlock, seen when a restarted gateway got 20,000 queued messages at
//! once). The MQTT task hands messages over without waiting and stops
//! reading only while [`MAX_BACKLOG`] wait for the writer; the writer hands
//! acknowledgements to rumqttc without waiting and keeps those that do not
//! fit for its next turn.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS, SubscribeReasonCode};
use sontinh_feeds::{COMPACT_TOPIC_FILTER, Observation, Reading, Reject, Role, ServerMessage, device_of_compact_topic, parse_compact, parse_sensorthings};
use sontinh_feeds_store::RejectRecord;
use tokio::sync::mpsc;

use crate::{Delta, SENSORTHINGS_FILTER, Shared, to_text};

/// Messages committed in one transaction at most: under load, one commit
/// (one disk flush) serves many messages.
const MAX_BATCH: usize = 1024;
/// Messages received but not yet taken by the writer, past which the MQTT
/// task stops reading (the broker holds the rest) until half are taken.
const MAX_BACKLOG: usize = 16_384;
/// Requests (acknowledgements, mostly) queued for the MQTT event loop.
const REQUEST_QUEUE: usize = 4096;
/// How soon the writer tries again to hand over acknowledgements that did not fit.
const ACK_RETRY: Duration = Duration::from_millis(5);

pub(crate) async fn mqtt_loop(mut options: MqttOptions, shared: Arc<Shared>) {
    // Acknowledged by the writer after the commit, not by rumqttc on receipt.
    options.set_manual_acks(true);
    let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
    // Unbounded, so that handing over never waits; bounded in practice by the backlog check.
    let (queue, received) = mpsc::unbounded_channel();
    let backlog = Arc::new(Backlog::default());
    let writer = tokio::spawn(write_loop(received, client.clone(), shared.clone(), backlog.clone()));
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
                backlog.waiting.fetch_add(1, Ordering::Relaxed);
                if queue.send(publish).is_err() {
                    break;
                }
                if backlog.waiting.load(Ordering::Relaxed) >= MAX_BACKLOG {
                    // Far behind: stop reading until the writer has taken half.
                    while backlog.waiting.load(Ordering::Relaxed) > MAX_BACKLOG / 2 {
                        backlog.taken.notified().await;
                    }
                }
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
    writer.abort();
}

/// Messages handed to the writer and not yet taken.
#[derive(Default)]
struct Backlog {
    waiting: AtomicUsize,
    taken: tokio::sync::Notify,
}

/// Takes what has arrived (up to [`MAX_BATCH`]), applies it to the state,
/// commits it, then tells viewers and acknowledges it to the broker.
async fn write_loop(mut received: mpsc::UnboundedReceiver<Publish>, client: AsyncClient, shared: Arc<Shared>, backlog: Arc<Backlog>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Acknowledgements rumqttc had no room for yet, oldest first (MQTT wants them in order).
    let mut unsent: VecDeque<Publish> = VecDeque::new();
    loop {
        hand_over_acks(&client, &mut unsent);
        let taken = if unsent.is_empty() {
            received.recv_many(&mut batch, MAX_BATCH).await
        } else {
            tokio::select! {
                n = received.recv_many(&mut batch, MAX_BATCH) => n,
                () = tokio::time::sleep(ACK_RETRY) => continue,
            }
        };
        if taken == 0 {
            break;
        }
        backlog.waiting.fetch_sub(taken, Ordering::Relaxed);
        backlog.taken.notify_one();
        let applied = apply(&shared, &batch).await;
        let mut backoff = Duration::from_millis(100);
        let mut logged = false;
        // Until the database takes the batch, nothing is acknowledged: the
        // broker keeps the messages for a gateway that restarts meanwhile.
        while let Err(e) = shared.store.commit(&applied.accepted, &applied.rejects, applied.received_ms).await {
            if !logged {
                eprintln!("feeds gateway: the database refused {} observations ({e}); retrying", applied.accepted.len());
                logged = true;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        if logged {
            eprintln!("feeds gateway: the database took the batch");
        }
        shared.committed.fetch_add(applied.accepted.len() as u64, Ordering::Relaxed);
        for delta in applied.deltas {
            let _ = shared.deltas.send(Arc::new(delta));
        }
        if let Some(trigger) = applied.trigger {
            tokio::spawn(crate::warning::warn(shared.clone(), client.clone(), trigger));
        }
        // What an acknowledgement needs of a message: its packet id and QoS, not its payload.
        unsent.extend(batch.drain(..).map(|p| {
            let mut ack = Publish::new("", p.qos, Vec::new());
            ack.pkid = p.pkid;
            ack
        }));
    }
}

/// Hands acknowledgements to rumqttc, in order, until its queue is full.
fn hand_over_acks(client: &AsyncClient, unsent: &mut VecDeque<Publish>) {
    while let Some(ack) = unsent.front() {
        if client.try_ack(ack).is_err() {
            return;
        }
        unsent.pop_front();
    }
}

/// What a batch of messages did to the state.
struct Applied {
    /// The last gauge of the batch that rose to a higher alarm level, if watched.
    trigger: Option<crate::warning::Trigger>,
    accepted: Vec<Observation>,
    deltas: Vec<Delta>,
    rejects: Vec<RejectRecord>,
    received_ms: i64,
}

async fn apply(shared: &Shared, batch: &[Publish]) -> Applied {
    let received_ms = chrono::Utc::now().timestamp_millis();
    let received = std::time::Instant::now();
    let mut applied = Applied { trigger: None, accepted: Vec::new(), deltas: Vec::new(), rejects: Vec::new(), received_ms };
    let mut state = shared.state.write().await;
    for publish in batch {
        let (topic, payload) = (&publish.topic, &publish.payload);
        let parsed = if device_of_compact_topic(topic).is_some() {
            parse_compact(topic, payload, state.registry())
        } else if topic.starts_with("v1.1/") || topic.starts_with("v1.0/") {
            parse_sensorthings(topic, payload, state.registry())
        } else {
            Err(Reject::Malformed(format!("unexpected topic {}", topic.chars().take(128).collect::<String>())))
        };
        let watched = |o: &Observation| shared.warner.as_ref().is_some_and(|w| w.watches(&o.device));
        let alarm_before = parsed.as_ref().ok().filter(|o| watched(o)).map(|o| state.alarm(&o.device).unwrap_or(0));
        match parsed.and_then(|o| state.apply(o.clone(), received_ms).map(|()| o)) {
            Ok(o) => {
                if let (Some(before), Some(after), Reading::WaterLevel { level_m }) = (alarm_before, state.alarm(&o.device), &o.reading)
                    && after > before
                {
                    applied.trigger = Some(crate::warning::Trigger { device: o.device.clone(), time_ms: o.time_ms, level_m: *level_m, alarm_level: after, received });
                }
                applied.deltas.push([Role::Tourist, Role::Operator, Role::Planner].map(|role| {
                    state.delta_for(&o, role).map(|observation| to_text(&ServerMessage::Observation { observation }))
                }));
                applied.accepted.push(o);
            }
            Err(reject) => {
                if state.count_reject(&reject) {
                    eprintln!("feeds gateway: rejected ({}): {reject} (further rejects of this kind are counted, not logged)", reject.kind());
                }
                applied.rejects.push(RejectRecord { received_ms, kind: reject.kind().to_owned(), detail: reject.to_string() });
            }
        }
    }
    applied
}
