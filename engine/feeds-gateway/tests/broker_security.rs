#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

//! The shipped broker config (assets/feeds/mosquitto.conf) run by a real
//! mosquitto: who may connect, publish and read, over plain MQTT and TLS.

use std::path::Path;
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Packet, QoS, SubscribeReasonCode};
use sontinh_feeds::{COMPACT_TOPIC_FILTER, Registry, compact_topic};
use sontinh_feeds_gateway::broker::{GATEWAY_USER, LocalBroker, setup_credentials};
use sontinh_feeds_gateway::mqtt::{MqttAuth, mqtt_options};
use tokio::sync::mpsc;
use tokio::time::timeout;

const DEVICES: &str = r#"[
  {"id": "gauge-a", "names": {"vi": "A", "en": "A"}, "kind": "water_gauge", "river": "r", "alarm_levels_m": [1.0, 2.0, 3.0],
   "position": [107.19, 16.75, 0.0], "owner": "KTTV", "visible_to": ["operator"], "expected_period_s": 60, "datastreams": ["101"]},
  {"id": "gauge-b", "names": {"vi": "B", "en": "B"}, "kind": "water_gauge", "river": "r", "alarm_levels_m": [1.0, 2.0, 3.0],
   "position": [107.20, 16.76, 0.0], "owner": "KTTV", "visible_to": ["operator"], "expected_period_s": 60, "datastreams": ["201"]}
]"#;

/// Every wait in these tests ends by this deadline.
const DEADLINE: Duration = Duration::from_secs(10);
const MAX: usize = 256 * 1024;

fn registry() -> Registry {
    Registry::from_json(DEVICES).unwrap()
}

fn broker(dir: &Path) -> LocalBroker {
    LocalBroker::start(dir, &registry())
        .unwrap_or_else(|e| panic!("the shipped broker config must run (tools/setup-debian.sh installs mosquitto): {e}"))
}

fn options(url: &str, auth: &MqttAuth, id: &str) -> MqttOptions {
    let mut options = mqtt_options(url, auth, id, MAX, MAX).unwrap();
    options.set_clean_session(true);
    options
}

/// The broker's answer to a login: accepted (with the connection), or the error.
async fn login(options: MqttOptions) -> Result<(AsyncClient, EventLoop), ConnectionError> {
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let first = timeout(DEADLINE, async {
        loop {
            match eventloop.poll().await? {
                Event::Incoming(Packet::ConnAck(_)) => return Ok(()),
                _ => continue,
            }
        }
    })
    .await
    .expect("the broker answers a login within the deadline");
    first.map(|()| (client, eventloop))
}

fn assert_refused(result: Result<(AsyncClient, EventLoop), ConnectionError>, who: &str) {
    match result {
        Err(ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadUserNamePassword)) => {}
        Err(e) => panic!("{who}: expected a refused login, got {e}"),
        Ok(_) => panic!("{who}: the broker accepted the login"),
    }
}

/// What a connected client sees: its subscriptions' answers and the messages delivered.
enum Seen {
    SubAck(Vec<SubscribeReasonCode>),
    PubAck,
    Message(String, String),
}

/// Drives a connection; everything it sees comes on the channel.
fn watch(mut eventloop: EventLoop) -> mpsc::UnboundedReceiver<Seen> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            let seen = match event {
                Event::Incoming(Packet::SubAck(ack)) => Seen::SubAck(ack.return_codes),
                Event::Incoming(Packet::PubAck(_)) => Seen::PubAck,
                Event::Incoming(Packet::Publish(p)) => Seen::Message(p.topic.clone(), String::from_utf8_lossy(&p.payload).into_owned()),
                _ => continue,
            };
            if tx.send(seen).is_err() {
                return;
            }
        }
    });
    rx
}

async fn next(seen: &mut mpsc::UnboundedReceiver<Seen>, what: &str) -> Seen {
    timeout(DEADLINE, seen.recv())
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {} s", DEADLINE.as_secs()))
        .unwrap_or_else(|| panic!("{what}: the connection ended"))
}

async fn subscribe(client: &AsyncClient, seen: &mut mpsc::UnboundedReceiver<Seen>, topics: &[&str]) -> Vec<SubscribeReasonCode> {
    let mut codes = Vec::new();
    for topic in topics {
        client.subscribe(*topic, QoS::AtLeastOnce).await.unwrap();
        match next(seen, "a subscription answer").await {
            Seen::SubAck(c) => codes.extend(c),
            _ => panic!("expected the SUBACK of {topic} first"),
        }
    }
    codes
}

/// Publishes with QoS 1 and waits for the broker's acknowledgement.
async fn publish(client: &AsyncClient, seen: &mut mpsc::UnboundedReceiver<Seen>, topic: &str, payload: &str) {
    client
        .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
        .await
        .unwrap();
    match next(seen, &format!("PUBACK of {topic}")).await {
        Seen::PubAck => {}
        _ => panic!("expected the PUBACK of {topic}"),
    }
}

async fn message(seen: &mut mpsc::UnboundedReceiver<Seen>, what: &str) -> (String, String) {
    loop {
        if let Seen::Message(topic, payload) = next(seen, what).await {
            return (topic, payload);
        }
    }
}

/// The gateway's login, subscribed to everything it reads.
async fn gateway(broker: &LocalBroker, url: &str, auth: MqttAuth) -> (AsyncClient, mpsc::UnboundedReceiver<Seen>) {
    let (client, eventloop) = login(options(url, &auth, "gw-test"))
        .await
        .unwrap_or_else(|e| panic!("the gateway logs in to {}: {e}", broker.url()));
    let mut seen = watch(eventloop);
    let codes = subscribe(&client, &mut seen, &[COMPACT_TOPIC_FILTER, "v1.1/#"]).await;
    assert!(
        codes.iter().all(|c| matches!(c, SubscribeReasonCode::Success(_))),
        "the gateway may read: {codes:?}"
    );
    (client, seen)
}

async fn device(broker: &LocalBroker, url: &str, auth: MqttAuth, id: &str) -> (AsyncClient, mpsc::UnboundedReceiver<Seen>) {
    let (client, eventloop) = login(options(url, &auth, id))
        .await
        .unwrap_or_else(|e| panic!("device {id} logs in to {}: {e}", broker.url()));
    (client, watch(eventloop))
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_without_credentials_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    assert_refused(
        login(options(&broker.url(), &MqttAuth::default(), "anonymous-pub")).await,
        "no credentials",
    );
    // The same broker lets a device with its password in (so the refusal is about credentials).
    device(&broker, &broker.url(), broker.device_auth("gauge-a"), "gauge-a").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let wrong = dir.path().join("wrong");
    write_private(&wrong, "not-the-password");
    let auth = MqttAuth {
        username: Some("gauge-a".into()),
        password_file: Some(wrong),
        ca_file: None,
    };
    assert_refused(login(options(&broker.url(), &auth, "wrong-pw")).await, "a wrong password");
    // Another device's password is no better.
    let auth = MqttAuth {
        username: Some("gauge-a".into()),
        ..broker.device_auth("gauge-b")
    };
    assert_refused(
        login(options(&broker.url(), &auth, "b-as-a")).await,
        "gauge-b's password for gauge-a",
    );
    // A user the setup never made.
    let auth = MqttAuth {
        username: Some("gauge-z".into()),
        ..broker.device_auth("gauge-a")
    };
    assert_refused(login(options(&broker.url(), &auth, "nobody")).await, "an unknown user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_cannot_publish_as_another() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let url = broker.url();
    let (_gw, mut inbox) = gateway(&broker, &url, broker.gateway_auth()).await;
    let (a, mut a_seen) = device(&broker, &url, broker.device_auth("gauge-a"), "gauge-a").await;
    let (b, mut b_seen) = device(&broker, &url, broker.device_auth("gauge-b"), "gauge-b").await;

    // Denied first: mosquitto acknowledges them (MQTT 3.1.1 has no denial code) and drops them.
    publish(&a, &mut a_seen, &compact_topic("gauge-b"), "denied: a as b").await;
    publish(&a, &mut a_seen, "v1.1/Datastreams(201)/Observations", "denied: a on b's datastream").await;
    publish(
        &a,
        &mut a_seen,
        "v1.1/Datastreams('201')/Observations",
        "denied: a on b's datastream, quoted",
    )
    .await;
    publish(&a, &mut a_seen, "sontinh/v1/devices/gauge-a/other", "denied: outside its topics").await;
    // Then allowed ones, from the same connection: one publisher's messages arrive in order,
    // so any denied one delivered would come before these.
    publish(&a, &mut a_seen, &compact_topic("gauge-a"), "allowed: a").await;
    publish(&a, &mut a_seen, "v1.1/Datastreams(101)/Observations", "allowed: a's datastream").await;
    assert_eq!(
        message(&mut inbox, "a's own message").await,
        (compact_topic("gauge-a"), "allowed: a".to_owned())
    );
    assert_eq!(
        message(&mut inbox, "a's datastream").await,
        (
            "v1.1/Datastreams(101)/Observations".to_owned(),
            "allowed: a's datastream".to_owned()
        )
    );
    // b on its own topic is delivered, and nothing of a's denied ones came in between.
    publish(&b, &mut b_seen, &compact_topic("gauge-b"), "allowed: b").await;
    assert_eq!(
        message(&mut inbox, "b's own message").await,
        (compact_topic("gauge-b"), "allowed: b".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_subscriber_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    assert_refused(
        login(options(&broker.url(), &MqttAuth::default(), "anonymous-sub")).await,
        "an anonymous subscriber",
    );
    // A device may write but not read. Mosquitto accepts its subscriptions
    // and checks "read" on each delivery: b's message reaches the gateway but not a.
    let url = broker.url();
    let (_gw, mut inbox) = gateway(&broker, &url, broker.gateway_auth()).await;
    let (a, mut a_seen) = device(&broker, &url, broker.device_auth("gauge-a"), "gauge-a").await;
    let (b, mut b_seen) = device(&broker, &url, broker.device_auth("gauge-b"), "gauge-b").await;
    let codes = subscribe(&a, &mut a_seen, &[&compact_topic("gauge-b"), COMPACT_TOPIC_FILTER, "#"]).await;
    assert_eq!(codes.len(), 3);
    publish(&b, &mut b_seen, &compact_topic("gauge-b"), "for the gateway only").await;
    assert_eq!(
        message(&mut inbox, "b's message").await,
        (compact_topic("gauge-b"), "for the gateway only".to_owned())
    );
    // The broker routed b's message before this publish of a: had it been
    // queued to a, a would see it before this acknowledgement.
    a.publish(compact_topic("gauge-a"), QoS::AtLeastOnce, false, b"fence".to_vec())
        .await
        .unwrap();
    match next(&mut a_seen, "a's PUBACK").await {
        Seen::PubAck => {}
        Seen::Message(topic, payload) => panic!("device gauge-a read {topic}: {payload}"),
        Seen::SubAck(_) => panic!("unexpected SUBACK"),
    }
}

#[test]
fn the_setup_step_keeps_passwords_private_and_hashed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    setup_credentials(dir.path(), &registry()).unwrap_or_else(|e| panic!("setup (tools/setup-debian.sh installs mosquitto_passwd): {e}"));
    let read = |user: &str| std::fs::read_to_string(dir.path().join("passwords").join(user)).unwrap();
    let first: Vec<String> = [GATEWAY_USER, "gauge-a", "gauge-b"].iter().map(|u| read(u)).collect();
    for password in &first {
        assert!(password.trim().len() >= 32, "a password of 24 random bytes or more: {password}");
    }
    assert_ne!(first[1], first[2], "each device has its own password");
    let passwd = std::fs::read_to_string(dir.path().join("passwd")).unwrap();
    for (user, password) in [GATEWAY_USER, "gauge-a", "gauge-b"].iter().zip(&first) {
        let line = passwd
            .lines()
            .find(|l| l.starts_with(&format!("{user}:")))
            .unwrap_or_else(|| panic!("{user} in passwd:\n{passwd}"));
        assert!(line.starts_with(&format!("{user}:$")), "hashed: {line}");
        assert!(!passwd.contains(password.trim()), "no plain password in passwd");
    }
    for file in ["passwd", "acl", "passwords", "passwords/gauge-a"] {
        let mode = std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{file} is private: {mode:o}");
    }
    assert!(!dir.path().join("passwd.unhashed").exists());
    // Again: the same passwords.
    setup_credentials(dir.path(), &registry()).unwrap();
    let again: Vec<String> = [GATEWAY_USER, "gauge-a", "gauge-b"].iter().map(|u| read(u)).collect();
    assert_eq!(first, again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replayer_publishes_as_each_device() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(dir.path());
    let url = broker.url();
    let (_gw, mut inbox) = gateway(&broker, &url, broker.gateway_auth()).await;
    let scenario = dir.path().join("scenario.jsonl");
    std::fs::write(
        &scenario,
        "# two devices\n\
         {\"device\": \"gauge-a\", \"time\": \"2020-10-10T00:00:00Z\", \"level_m\": 1.5}\n\
         {\"device\": \"gauge-b\", \"time\": \"2020-10-10T00:00:01Z\", \"level_m\": 2.5}\n",
    )
    .unwrap();
    let sent = sontinh_feeds_gateway::replay(&scenario, &url, Some(broker.credentials_dir()), 0.0, &|_, _| {})
        .await
        .unwrap();
    assert_eq!(sent, 2);
    let mut got = vec![message(&mut inbox, "replayed").await.0, message(&mut inbox, "replayed").await.0];
    got.sort();
    assert_eq!(got, vec![compact_topic("gauge-a"), compact_topic("gauge-b")]);
    // Without credentials the shipped broker refuses the replayer, and it says so.
    let e = sontinh_feeds_gateway::replay(&scenario, &url, None, 0.0, &|_, _| {})
        .await
        .unwrap_err();
    assert!(e.contains("refused") && e.contains("NotAuthorized"), "{e}");
}

/// A CA and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`: (ca, cert, key).
fn make_certificates(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} test CA"));
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let paths = (
        dir.join(format!("{name}-ca.pem")),
        dir.join(format!("{name}-cert.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    write_private(&paths.2, &leaf_key.serialize_pem());
    (paths.0, paths.1, paths.2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_the_brokers_ca_connects_and_without_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certificates(dir.path(), "broker");
    let (other_ca, _, _) = make_certificates(dir.path(), "other");
    let broker = LocalBroker::start_tls(dir.path(), &registry(), &cert, &key).unwrap_or_else(|e| {
        panic!("the shipped broker config with a TLS listener must run (tools/setup-debian.sh installs mosquitto): {e}")
    });
    let tls_url = broker.tls_url().unwrap();
    assert!(tls_url.starts_with("mqtts://127.0.0.1:"));
    let with_ca = |auth: MqttAuth| MqttAuth {
        ca_file: Some(ca.clone()),
        ..auth
    };

    // The gateway and a device over TLS, trusting the broker's CA: delivered.
    let (_gw, mut inbox) = gateway(&broker, &tls_url, with_ca(broker.gateway_auth())).await;
    let (a, mut a_seen) = device(&broker, &tls_url, with_ca(broker.device_auth("gauge-a")), "gauge-a").await;
    publish(&a, &mut a_seen, &compact_topic("gauge-a"), "over tls").await;
    assert_eq!(
        message(&mut inbox, "the TLS message").await,
        (compact_topic("gauge-a"), "over tls".to_owned())
    );

    // TLS does not replace credentials.
    assert_refused(
        login(options(
            &tls_url,
            &MqttAuth {
                ca_file: Some(ca.clone()),
                ..MqttAuth::default()
            },
            "tls-anon",
        ))
        .await,
        "anonymous over TLS",
    );

    // Another CA: the handshake fails.
    let other = MqttAuth {
        ca_file: Some(other_ca),
        ..broker.device_auth("gauge-a")
    };
    match login(options(&tls_url, &other, "other-ca")).await {
        Err(ConnectionError::Tls(_)) => {}
        Err(e) => panic!("another CA: expected a TLS error, got {e}"),
        Ok(_) => panic!("another CA: the client trusted the broker"),
    }
    // The system roots (no ca_file) do not know a test CA: refused one way or the other.
    match mqtt_options(&tls_url, &broker.device_auth("gauge-a"), "system-roots", MAX, MAX) {
        Err(e) => assert!(e.contains("ca_file"), "{e}"),
        Ok(mut o) => {
            o.set_clean_session(true);
            match login(o).await {
                Err(ConnectionError::Tls(_)) => {}
                Err(e) => panic!("system roots: expected a TLS error, got {e}"),
                Ok(_) => panic!("system roots: the client trusted a test CA"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_port_and_the_gateways_queued_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = broker(dir.path());
    let url = broker.url();
    // The gateway's persistent session (clean_session false, as mqtt_options makes it).
    let gateway_auth = broker.gateway_auth();
    let persistent = || mqtt_options(&url, &gateway_auth, "gw-persistent", MAX, MAX).unwrap();
    let (gw, eventloop) = login(persistent()).await.unwrap();
    let mut seen = watch(eventloop);
    subscribe(&gw, &mut seen, &[COMPACT_TOPIC_FILTER]).await;
    gw.disconnect().await.unwrap();
    timeout(DEADLINE, async { while seen.recv().await.is_some() {} })
        .await
        .expect("the gateway's connection closes");
    // Published while the gateway is away, then the broker restarts.
    let (a, mut a_seen) = device(&broker, &url, broker.device_auth("gauge-a"), "gauge-a").await;
    publish(&a, &mut a_seen, &compact_topic("gauge-a"), "kept across the restart").await;
    drop((a, a_seen));
    broker.restart().unwrap();
    assert_eq!(broker.url(), url);
    let (_gw, eventloop) = login(persistent()).await.unwrap();
    let mut seen = watch(eventloop);
    assert_eq!(
        message(&mut seen, "the queued message").await,
        (compact_topic("gauge-a"), "kept across the restart".to_owned())
    );
}
