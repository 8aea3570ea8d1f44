//! The scenario replayer: recorded compact messages published again, each
//! by its own device on its own topic.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, Packet, QoS};
use sontinh_feeds::{compact_topic, device_of_compact_topic, parse_time};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::mqtt::{MqttAuth, mqtt_options};

/// How long the broker may take to acknowledge the last message.
const ACK_DEADLINE: Duration = Duration::from_secs(120);
/// How long a device's connection may stay down before the replay gives up.
const DOWN_LIMIT: Duration = Duration::from_secs(60);

/// A recorded scenario line: a compact message (its `time` paces the replay).
pub fn replay_times(lines: &[String]) -> Result<Vec<i64>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            let t = v
                .get("time")
                .and_then(|t| t.as_str())
                .ok_or_else(|| format!("line {}: no \"time\"", i + 1))?;
            parse_time(t).map_err(|e| format!("line {}: {e}", i + 1))
        })
        .collect()
}

/// The device of each line, which is also who publishes it.
fn replay_devices(lines: &[String]) -> Result<Vec<String>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            let d = v
                .get("device")
                .and_then(|d| d.as_str())
                .ok_or_else(|| format!("line {}: no \"device\"", i + 1))?;
            let topic = compact_topic(d);
            if d.contains(['+', '#']) || device_of_compact_topic(&topic) != Some(d) {
                return Err(format!("line {}: device \"{}\" cannot name a topic", i + 1, d.escape_debug()));
            }
            Ok(d.to_owned())
        })
        .collect()
}

/// What a device's connection reports to the replay.
enum Report {
    Acked,
    Failed(String),
}

/// Runs one device's connection: counts acknowledgements; stops (dropping
/// the connection, so that publishing fails) when the broker refuses the
/// login or stays unreachable.
async fn drive(device: String, mut eventloop: EventLoop, reports: mpsc::UnboundedSender<Report>) {
    let mut backoff = Duration::from_millis(200);
    let mut down_since: Option<Instant> = None;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                if reports.send(Report::Acked).is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                down_since = None;
                backoff = Duration::from_millis(200);
            }
            Ok(_) => {}
            Err(ConnectionError::ConnectionRefused(code)) => {
                let _ = reports.send(Report::Failed(format!("the broker refused device \"{device}\": {code:?}")));
                return;
            }
            Err(ConnectionError::Tls(e)) => {
                let _ = reports.send(Report::Failed(format!("device \"{device}\": TLS: {e}")));
                return;
            }
            Err(e) => {
                let since = *down_since.get_or_insert_with(Instant::now);
                if since.elapsed() > DOWN_LIMIT {
                    let _ = reports.send(Report::Failed(format!(
                        "device \"{device}\": broker unreachable for {} s: {e}",
                        DOWN_LIMIT.as_secs()
                    )));
                    return;
                }
                eprintln!("replay: device \"{device}\": broker connection: {e}; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Publishes a scenario (JSON lines of compact messages, `#` comments
/// allowed) with QoS 1, `speed` times faster than recorded (0: as fast as
/// possible). Each line goes on its device's topic, sent by a client of
/// that device: logged in as the device with the password in
/// `credentials/passwords/<device>` when `credentials` is given (see
/// [`crate::broker::setup_credentials`]), else without credentials.
/// `progress` gets (sent, total). Returns once the broker acknowledged every message.
pub async fn replay(
    path: &Path,
    broker: &str,
    credentials: Option<&Path>,
    speed: f64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let times = replay_times(&lines).map_err(|e| format!("{}: {e}", path.display()))?;
    let devices = replay_devices(&lines).map_err(|e| format!("{}: {e}", path.display()))?;

    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let mut clients: HashMap<&str, AsyncClient> = HashMap::new();
    let mut drivers = Vec::new();
    for device in &devices {
        if clients.contains_key(device.as_str()) {
            continue;
        }
        let auth = match credentials {
            Some(dir) => MqttAuth {
                username: Some(device.clone()),
                password_file: Some(dir.join("passwords").join(device)),
                ca_file: None,
            },
            None => MqttAuth::default(),
        };
        let limit = sontinh_feeds::MAX_MESSAGE_BYTES * 4;
        let mut options = mqtt_options(
            broker,
            &auth,
            &format!("sontinh-replay-{}-{device}", std::process::id()),
            limit,
            limit,
        )?;
        // A persistent session: a message the broker had not acknowledged
        // when the connection dropped is sent again once the broker (which
        // keeps sessions across restarts, `persistence true`) says the
        // session is still there; with a clean session the client drops
        // those messages on reconnecting, and they are lost.
        options.set_clean_session(false);
        let (client, eventloop) = AsyncClient::new(options, 1024);
        drivers.push(tokio::spawn(drive(device.clone(), eventloop, reports_tx.clone())));
        clients.insert(device, client);
    }
    drop(reports_tx);
    let stop = |drivers: &[tokio::task::JoinHandle<()>]| drivers.iter().for_each(|d| d.abort());

    // A failure reported by a connection explains a failed publish best.
    let failure = |reports: &mut mpsc::UnboundedReceiver<Report>| {
        std::iter::from_fn(|| reports.try_recv().ok()).find_map(|r| match r {
            Report::Failed(e) => Some(e),
            Report::Acked => None,
        })
    };
    let start = Instant::now();
    let first = times.first().copied().unwrap_or(0);
    let mut acked = 0;
    for (i, ((line, t), device)) in lines.iter().zip(&times).zip(&devices).enumerate() {
        if speed > 0.0 {
            let due = Duration::from_secs_f64(((t - first).max(0) as f64 / 1000.0) / speed);
            tokio::time::sleep_until(start + due).await;
        }
        let Some(client) = clients.get(device.as_str()) else {
            stop(&drivers);
            return Err(format!("line {}: no client for device \"{device}\"", i + 1));
        };
        if let Err(e) = client
            .publish(compact_topic(device), QoS::AtLeastOnce, false, line.clone().into_bytes())
            .await
        {
            let why = failure(&mut reports).unwrap_or_else(|| e.to_string());
            stop(&drivers);
            return Err(format!("publishing line {}: {why}", i + 1));
        }
        progress(i + 1, lines.len());
    }
    // Wait for the broker to acknowledge every message (QoS 1).
    let deadline = Instant::now() + ACK_DEADLINE;
    let outcome = loop {
        if acked >= lines.len() {
            break Ok(lines.len());
        }
        match tokio::time::timeout_at(deadline, reports.recv()).await {
            Ok(Some(Report::Acked)) => acked += 1,
            Ok(Some(Report::Failed(e))) => break Err(e),
            Ok(None) => {
                break Err(format!(
                    "every broker connection ended; {acked} of {} messages acknowledged",
                    lines.len()
                ));
            }
            Err(_) => {
                break Err(format!(
                    "the broker acknowledged {acked} of {} messages within {} s",
                    lines.len(),
                    ACK_DEADLINE.as_secs()
                ));
            }
        }
    };
    stop(&drivers);
    outcome
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_line_names_a_device_that_can_be_a_topic() {
        let lines = vec![r#"{"device": "g-1", "time": "2020-10-10T00:00:00Z"}"#.to_owned()];
        assert_eq!(replay_devices(&lines).unwrap(), vec!["g-1".to_owned()]);
        for (line, says) in [
            (r#"{"time": "2020-10-10T00:00:00Z"}"#, "no \"device\""),
            (r#"{"device": "a/b"}"#, "cannot name a topic"),
            (r#"{"device": "+"}"#, "cannot name a topic"),
            (r#"{"device": ""}"#, "cannot name a topic"),
        ] {
            let e = replay_devices(&[line.to_owned()]).unwrap_err();
            assert!(e.contains(says) && e.starts_with("line 1"), "{line}: {e}");
        }
    }
}
