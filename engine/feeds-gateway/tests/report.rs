#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! `GET /report`: a flood wave's figures worked out by hand, the alarm log
//! with an operator's acknowledgement, the printable page in both
//! languages, and the role rules (a tourist's report has neither the
//! operator-only camera nor anyone's acknowledgements).

use sontinh_feeds::Role;
use sontinh_feeds_gateway::token;

mod common;

use common::*;

const PERIOD: &str = "from=2020-10-17T00:00:00Z&to=2020-10-17T08:00:00Z";
/// 2020-10-17T00:00:00Z in milliseconds.
const START_MS: i64 = 1_602_892_800_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_gives_the_flood_waves_figures_as_each_role_may_see_them() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    // The level rises over the three alarm levels (3.0, 4.5, 6.0 m) and falls back.
    let levels = [2.5, 3.1, 4.7, 6.2, 7.4, 5.0, 4.0, 2.8];
    let messages: Vec<String> = levels.iter().enumerate().map(|(i, l)| gauge_message(i as u32, *l)).collect();
    publish_as(&broker, "thach-han", &messages).await;
    publish_as(&broker, "cam-pump", &[camera_message("cam-pump", 3, "pump.jpg")]).await;
    wait_stats(address, &config, 20, "nine commits", |s| s["committed"] == 9).await;

    // An operator acknowledges alarm II, raised by the 02:00 reading (4.7 m),
    // with a token that names them; the first acknowledgement is the one kept.
    let secret = config.secret.as_bytes();
    let named = |name: &str, role: Role| token::issue_named(secret, role, now_s() + 3600, name);
    let ack_body = r#"{"device": "thach-han", "alarm_time": "2020-10-17T02:00:00Z"}"#;
    let reply = http_post(address, "/acknowledge", &bearer(&config, Role::Operator), ack_body).await;
    assert!(reply.starts_with("HTTP/1.1 403") && reply.contains("--subject"), "an unnamed token: {reply}");
    let reply = http_post(address, "/acknowledge", &named("Khách", Role::Tourist), ack_body).await;
    assert!(reply.starts_with("HTTP/1.1 403"), "a tourist: {reply}");
    let reply = http_post(address, "/acknowledge", &named("Nguyễn Văn A", Role::Operator), ack_body).await;
    assert!(reply.starts_with("HTTP/1.1 201") && reply.contains("Nguyễn Văn A"), "{reply}");
    let reply = http_post(address, "/acknowledge", &named("Trần Thị B", Role::Operator), ack_body).await;
    assert!(reply.starts_with("HTTP/1.1 200") && reply.contains("Nguyễn Văn A") && reply.contains("already"), "{reply}");
    for (bad, status) in [
        (r#"{"device": "thach-han", "alarm_time": "2020-10-17T00:00:00Z"}"#, "404"), // 2.5 m: below alarm I
        (r#"{"device": "thach-han", "alarm_time": "2020-10-17T05:00:00Z"}"#, "404"), // 5.0 m after 7.4 m: no alarm raised
        (r#"{"device": "cam-pump", "alarm_time": "2020-10-17T03:00:00Z"}"#, "422"),
        (r#"{"device": "nowhere", "alarm_time": 0}"#, "404"),
        (r#"{"device": "thach-han"}"#, "400"),
        ("not json", "400"),
    ] {
        let reply = http_post(address, "/acknowledge", &named("Nguyễn Văn A", Role::Operator), bad).await;
        assert!(reply.starts_with(&format!("HTTP/1.1 {status}")), "{bad}: {reply}");
    }

    let operator = bearer(&config, Role::Operator);
    let reply = http_get(address, &format!("/report?{PERIOD}&format=json"), Some(&operator)).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let report: serde_json::Value = serde_json::from_slice(body(reply.as_bytes())).unwrap();
    let gauge = &report["gauges"][0];
    assert_eq!(gauge["device"], "thach-han");
    assert_eq!(gauge["readings"], 8);
    assert_eq!(gauge["peak"], serde_json::json!([START_MS + 4 * 3_600_000, 7.4]));
    assert_eq!(gauge["highest_alarm"], 3);
    // By hand, the level linear between readings: above I from 00:50 to
    // 06:50, above II from 01:52:30 to 05:30, above III from 02:52 to 04:35.
    assert_eq!(gauge["above_ms"], serde_json::json!([6 * 3_600_000, 13_050_000, 6_180_000]));
    let log: Vec<(i64, u64, bool, serde_json::Value)> = report["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a[0]["time_ms"].as_i64().unwrap() - START_MS, a[0]["alarm"].as_u64().unwrap(), a[0]["rising"].as_bool().unwrap(), a[1].clone()))
        .collect();
    let acked = log[1].3.clone();
    assert_eq!(acked[0], "Nguyễn Văn A");
    assert!(acked[1].as_i64().unwrap() > START_MS, "{acked}");
    let none = serde_json::Value::Null;
    assert_eq!(
        log,
        [
            (3_000_000, 1, true, none.clone()),
            (6_750_000, 2, true, acked),
            (10_320_000, 3, true, none.clone()),
            (16_500_000, 3, false, none.clone()),
            (19_800_000, 2, false, none.clone()),
            (24_600_000, 1, false, none.clone()),
        ]
    );
    let cameras: Vec<&str> = report["cameras"].as_array().unwrap().iter().map(|c| c["device"].as_str().unwrap()).collect();
    assert!(cameras.contains(&"cam-pump"), "{cameras:?}");

    // A tourist: only the tourists' devices, nobody's acknowledgement.
    let tourist = bearer(&config, Role::Tourist);
    let reply = http_get(address, &format!("/report?{PERIOD}&format=json"), Some(&tourist)).await;
    let report: serde_json::Value = serde_json::from_slice(body(reply.as_bytes())).unwrap();
    let cameras: Vec<&str> = report["cameras"].as_array().unwrap().iter().map(|c| c["device"].as_str().unwrap()).collect();
    assert!(!cameras.contains(&"cam-pump"), "{cameras:?}");
    assert!(report["alarms"].as_array().unwrap().iter().all(|a| a[1].is_null()), "{}", report["alarms"]);
    assert_eq!(report["alarms"].as_array().unwrap().len(), 6, "the water level is the tourists' too");
    let page = http_get(address, &format!("/report?{PERIOD}"), Some(&tourist)).await;
    assert!(!page.contains("Nguyễn Văn A") && !page.contains("cam-pump") && !page.contains("Camera trạm bơm"), "{page}");

    // The printable page, in Vietnamese by default and in English.
    let page = http_get(address, &format!("/report?{PERIOD}"), Some(&operator)).await;
    assert!(page.contains("text/html"), "{page}");
    for text in ["Báo cáo vận hành", "Nhật ký báo động", "<svg", "7.40 m (11:00 17/10/2020)", "BĐ III", "Nguyễn Văn A", "6 h 00", "1 h 43"] {
        assert!(page.contains(text), "the Vietnamese page lacks {text:?}");
    }
    let page = http_get(address, &format!("/report?{PERIOD}&lang=en"), Some(&operator)).await;
    for text in ["Operations report", "Alarm log", "rose above", "7.40 m (2020-10-17 11:00)", "3 h 38"] {
        assert!(page.contains(text), "the English page lacks {text:?}");
    }

    // Bad requests say what was wrong; no token, no report.
    for (query, expected) in [("lang=fr", "lang"), ("format=pdf", "format"), ("from=2020-10-18T00:00:00Z&to=2020-10-17T00:00:00Z", "before"), ("from=yesterday", "from")] {
        let reply = http_get(address, &format!("/report?{query}"), Some(&operator)).await;
        assert!(reply.starts_with("HTTP/1.1 400") && reply.contains(expected), "{query}: {reply}");
    }
    assert!(http_get(address, "/report", None).await.starts_with("HTTP/1.1 401"));
}

async fn http_post(address: std::net::SocketAddr, path: &str, token: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

/// The viewer's acknowledge button: the native link POSTs the alarm with
/// the operator's named token and the alarm list shows who the gateway
/// recorded; a refusal comes back in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_acknowledges_a_flood_alarm_through_its_link_and_sees_who_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    let messages: Vec<String> = [2.5, 3.1, 4.7].iter().enumerate().map(|(i, l)| gauge_message(i as u32, *l)).collect();
    publish_as(&broker, "thach-han", &messages).await;
    wait_stats(address, &config, 20, "three commits", |s| s["committed"] == 3).await;

    let secret = config.secret.as_bytes();
    let mut named = WatchedClient::link(address, &token::issue_named(secret, Role::Operator, now_s() + 3600, "Phạm Thu C"));
    // Alarm I (3.1 m at 01:00) and II (4.7 m at 02:00) reach the viewer.
    named.until("alarms", |c| c.alarms().count() == 2).await;
    let alarm_ii = named.client().alarms().find(|a| a.time_ms == START_MS + 2 * 3_600_000).unwrap().id;
    assert!(named.client().request_acknowledgement(alarm_ii));
    named.until("the acknowledgement", |c| c.alarms().any(|a| a.id == alarm_ii && a.acknowledged)).await;
    let by = named.client().alarms().find(|a| a.id == alarm_ii).unwrap().acknowledged_by.clone();
    assert_eq!(by.as_deref(), Some("Phạm Thu C"));
    // The gateway's report keeps it.
    let report = http_get(address, &format!("/report?{PERIOD}&format=json"), Some(&bearer(&config, Role::Operator))).await;
    assert!(report.contains("Phạm Thu C"), "{report}");

    // A token that names nobody: the gateway refuses, and the alarm says why.
    let mut anonymous = WatchedClient::link(address, &bearer(&config, Role::Operator));
    anonymous.until("alarms for the second viewer", |c| c.alarms().count() == 2).await;
    let alarm_i = anonymous.client().alarms().find(|a| a.time_ms == START_MS + 3_600_000).unwrap().id;
    anonymous.client().request_acknowledgement(alarm_i);
    anonymous.until("an answer for the anonymous acknowledgement", |c| c.alarms().any(|a| a.id == alarm_i && a.refused.is_some())).await;
    let refused = anonymous.client().alarms().find(|a| a.id == alarm_i).and_then(|a| a.refused.clone()).unwrap();
    assert!(refused.starts_with("403") && refused.contains("--subject"), "{refused}");
    assert!(!anonymous.client().alarms().any(|a| a.id == alarm_i && a.acknowledged));
}

/// A viewer's client behind a real link that says each time it changed, so
/// that a test waits on what it holds rather than polling it.
struct WatchedClient {
    client: std::sync::Arc<std::sync::Mutex<sontinh_feeds::FeedClient>>,
    changed: tokio::sync::watch::Receiver<u64>,
}

struct WatchedSink {
    client: std::sync::Arc<std::sync::Mutex<sontinh_feeds::FeedClient>>,
    changed: tokio::sync::watch::Sender<u64>,
}

impl sontinh_feeds_gateway::link::LinkSink for WatchedSink {
    fn deliver(&self, event: sontinh_feeds::LinkEvent) -> bool {
        let listening = self.client.deliver(event);
        self.changed.send_modify(|n| *n += 1);
        listening
    }

    fn take_acknowledgements(&self) -> Vec<sontinh_feeds::AcknowledgementRequest> {
        self.client.take_acknowledgements()
    }

    fn acknowledgement_answered(&self, alarm_id: u64, answer: Result<String, String>) {
        self.client.acknowledgement_answered(alarm_id, answer);
        self.changed.send_modify(|n| *n += 1);
    }
}

impl WatchedClient {
    fn link(address: std::net::SocketAddr, token: &str) -> WatchedClient {
        let client = std::sync::Arc::new(std::sync::Mutex::new(sontinh_feeds::FeedClient::new(100)));
        let (tx, changed) = tokio::sync::watch::channel(0);
        let config = sontinh_feeds_gateway::link::LinkConfig::new(&format!("ws://{address}/ws"), token);
        sontinh_feeds_gateway::link::spawn_link_into(config, WatchedSink { client: client.clone(), changed: tx }).unwrap();
        WatchedClient { client, changed }
    }

    fn client(&self) -> std::sync::MutexGuard<'_, sontinh_feeds::FeedClient> {
        self.client.lock().unwrap()
    }

    /// Waits (20 s at most) until `done` holds of the client.
    async fn until(&mut self, what: &str, done: impl Fn(&sontinh_feeds::FeedClient) -> bool) {
        let client = self.client.clone();
        let waited = tokio::time::timeout(std::time::Duration::from_secs(20), self.changed.wait_for(|_| done(&client.lock().unwrap()))).await;
        assert!(matches!(waited, Ok(Ok(_))), "no {what} within 20 s");
    }
}

/// The viewer's report button, native side: the page in the operator's
/// language through the gateway crate's client; a tourist's is theirs, an
/// impossible period is refused in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_fetches_a_period_s_report_with_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    let messages: Vec<String> = [2.5, 3.1, 4.7, 6.2, 7.4].iter().enumerate().map(|(i, l)| gauge_message(i as u32, *l)).collect();
    publish_as(&broker, "thach-han", &messages).await;
    wait_stats(address, &config, 20, "five commits", |s| s["committed"] == 5).await;
    let gateway = format!("ws://{address}/ws");
    let operator = bearer(&config, Role::Operator);
    let path = format!("/report?from={START_MS}&to={}&lang=vi&format=html", START_MS + 8 * 3_600_000);
    let fetch = |token: String, path: String| {
        let gateway = gateway.clone();
        tokio::task::spawn_blocking(move || sontinh_feeds_gateway::video::fetch_page(&gateway, &token, &path))
    };
    let page = String::from_utf8(fetch(operator.clone(), path.clone()).await.unwrap().unwrap()).unwrap();
    // The Vietnamese page, with the period's peak: 7.40 m, the fifth reading.
    assert!(page.contains("lang=\"vi\"") && page.contains("Đỉnh") && page.contains("7.40 m ("), "{}", &page[..page.len().min(600)]);
    let refused = fetch(operator, format!("/report?from={}&to={START_MS}", START_MS + 1)).await.unwrap().unwrap_err();
    assert!(refused.starts_with("400") && refused.contains("before"), "{refused}");
    let nobody = fetch("not-a-token".into(), path).await.unwrap().unwrap_err();
    assert!(nobody.starts_with("401"), "{nobody}");
}
