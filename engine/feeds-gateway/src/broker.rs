//! The broker's setup step (passwords, hashed password file, ACL, a ready
//! config) and a private mosquitto on loopback for tests, benches and demos.
//! Both run the shipped `assets/feeds/mosquitto.conf`: only the listener
//! port and the paths of the password file, ACL and store are rewritten;
//! its security lines are checked and kept as they are.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sontinh_feeds::{Registry, compact_topic};

use crate::mqtt::{MqttAuth, read_password_file};

/// The broker user of the gateway.
pub const GATEWAY_USER: &str = "sontinh-gateway";

/// The shipped config, built in so that the setup step finds it wherever it runs.
const SHIPPED_CONFIG: &str = include_str!("../../../assets/feeds/mosquitto.conf");

/// Where the shipped config lives in the repository (for messages and docs).
pub fn shipped_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/feeds/mosquitto.conf")
}

/// How long mosquitto may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// Ports tried when another process takes the one chosen.
const PORT_ATTEMPTS: usize = 8;

/// An extra TLS listener (tests of `mqtts://`): PEM certificate chain and key.
#[derive(Clone, Debug)]
pub struct TlsListener {
    pub port: u16,
    pub certfile: PathBuf,
    pub keyfile: PathBuf,
}

/// A running mosquitto on loopback, stopped when dropped.
#[derive(Debug)]
pub struct LocalBroker {
    pub port: u16,
    tls: Option<TlsListener>,
    dir: PathBuf,
    config: PathBuf,
    child: Child,
}

impl LocalBroker {
    /// Credentials for the gateway user and every device of `registry` are
    /// made in `dir` by [`setup_credentials`]; a free port is chosen by
    /// mosquitto binding it (another one is tried when it was taken).
    pub fn start(dir: &Path, registry: &Registry) -> Result<LocalBroker, String> {
        Self::start_inner(dir, registry, None, None)
    }

    /// On a given port (for the test where the gateway starts before the broker).
    pub fn start_on(dir: &Path, registry: &Registry, port: u16) -> Result<LocalBroker, String> {
        Self::start_inner(dir, registry, Some(port), None)
    }

    /// With a second, TLS listener using the PEM `certfile` and `keyfile`; see [`LocalBroker::tls_url`].
    pub fn start_tls(dir: &Path, registry: &Registry, certfile: &Path, keyfile: &Path) -> Result<LocalBroker, String> {
        Self::start_inner(dir, registry, None, Some((certfile, keyfile)))
    }

    fn start_inner(dir: &Path, registry: &Registry, port: Option<u16>, tls: Option<(&Path, &Path)>) -> Result<LocalBroker, String> {
        setup_credentials(dir, registry)?;
        let dir = absolute(dir)?;
        let attempts = if port.is_some() { 1 } else { PORT_ATTEMPTS };
        let mut taken = Vec::new();
        for _ in 0..attempts {
            let port = match port {
                Some(p) => p,
                None => candidate_port()?,
            };
            let tls = match tls {
                Some((certfile, keyfile)) => Some(TlsListener {
                    port: candidate_port()?,
                    certfile: absolute(certfile)?,
                    keyfile: absolute(keyfile)?,
                }),
                None => None,
            };
            let config = write_config_with(&dir, port, tls.as_ref())?;
            match spawn(&config) {
                Ok(child) => {
                    return Ok(LocalBroker {
                        port,
                        tls,
                        dir,
                        config,
                        child,
                    });
                }
                Err(Start::PortTaken) => taken.push(port),
                Err(Start::Failed(e)) => return Err(e),
            }
        }
        Err(format!("mosquitto could not listen: ports {taken:?} were taken by other processes"))
    }

    /// A clean stop (SIGTERM: the broker saves its sessions), then a new broker on the same port and store.
    pub fn restart(&mut self) -> Result<(), String> {
        let pid = self.child.id().to_string();
        let stopped = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("kill -TERM {pid}: {e}"))?;
        if !stopped.success() {
            return Err(format!("kill -TERM {pid}: {stopped}"));
        }
        self.child.wait().map_err(|e| format!("waiting for mosquitto to stop: {e}"))?;
        self.child = spawn(&self.config).map_err(|e| match e {
            Start::PortTaken => format!("mosquitto restart: port {} was taken meanwhile", self.port),
            Start::Failed(e) => e,
        })?;
        Ok(())
    }

    /// `mqtt://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// `mqtts://127.0.0.1:port` of the TLS listener, when started with one.
    pub fn tls_url(&self) -> Option<String> {
        self.tls.as_ref().map(|t| format!("mqtts://127.0.0.1:{}", t.port))
    }

    /// The gateway's login.
    pub fn gateway_auth(&self) -> MqttAuth {
        self.auth_of(GATEWAY_USER)
    }

    /// A device's login (its id and its password file).
    pub fn device_auth(&self, device: &str) -> MqttAuth {
        self.auth_of(device)
    }

    fn auth_of(&self, user: &str) -> MqttAuth {
        MqttAuth {
            username: Some(user.to_owned()),
            password_file: Some(password_path(&self.dir, user)),
            ca_file: None,
        }
    }

    /// The folder of the credentials, config and store.
    pub fn credentials_dir(&self) -> &Path {
        &self.dir
    }

    /// A device's password, if it has one.
    pub fn device_password(&self, device: &str) -> Option<String> {
        read_password_file(&password_path(&self.dir, device)).ok()
    }
}

impl Drop for LocalBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the system just had free; mosquitto binding it is what reserves it.
fn candidate_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))
}

enum Start {
    PortTaken,
    Failed(String),
}

fn find_binary(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Starts mosquitto and waits until it says it runs (all listeners bound),
/// or exits. Its log comes on stderr; errors and warnings are passed on.
fn spawn(config: &Path) -> Result<Child, Start> {
    let mut child = Command::new(find_binary("mosquitto"))
        .arg("-c")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Start::Failed(format!("cannot start mosquitto ({e}); tools/setup-debian.sh installs it")))?;
    let Some(stderr) = child.stderr.take() else {
        return Err(Start::Failed("mosquitto: no stderr pipe".to_owned()));
    };
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut starting = true;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if starting && tx.send(line.clone()).is_ok() {
                continue;
            }
            starting = false;
            // After start: only what needs a look.
            if (line.contains("Error") || line.contains("Warning")) && !line.contains("should not be run as root") {
                eprintln!("mosquitto: {line}");
            }
        }
    });
    let deadline = Instant::now() + START_DEADLINE;
    let mut log = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(" running") => return Ok(child),
            Ok(line) => log.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Its stderr closed: it exited.
                let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                if log.iter().any(|l| l.contains("Address already in use")) {
                    return Err(Start::PortTaken);
                }
                return Err(Start::Failed(format!(
                    "mosquitto -c {} stopped ({status}):\n{}",
                    config.display(),
                    log.join("\n")
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Start::Failed(format!(
                    "mosquitto -c {} did not start within {} s:\n{}",
                    config.display(),
                    START_DEADLINE.as_secs(),
                    log.join("\n")
                )));
            }
        }
    }
}

fn password_path(dir: &Path, user: &str) -> PathBuf {
    dir.join("passwords").join(user)
}

/// A topic a device may publish on must be a plain topic name (no wildcard,
/// no extra level) and fit on one line of the ACL.
fn check_acl_topic_part(what: &str, part: &str) -> Result<(), String> {
    if part.is_empty() || part.contains(['+', '#', '/', '\0']) || part.chars().any(char::is_control) || part.trim() != part {
        return Err(format!(
            "{what} \"{}\" cannot be used in a broker ACL (no '+', '#', '/', control characters or edge spaces)",
            part.escape_debug()
        ));
    }
    Ok(())
}

/// The ACL: the gateway reads every device topic and SensorThings; each
/// device writes only its own compact topic and its datastreams.
fn acl_text(registry: &Registry) -> Result<String, String> {
    let mut acl = String::from("# Written by the Sơn Tinh broker setup from the device list: do not edit.\n");
    acl.push_str(&format!(
        "user {GATEWAY_USER}\ntopic read {}\ntopic read v1.1/#\ntopic readwrite {}\n",
        sontinh_feeds::COMPACT_TOPIC_FILTER,
        sontinh_feeds::FLOOD_ALERT_TOPIC
    ));
    for device in registry.devices() {
        check_acl_topic_part("device id", &device.id)?;
        acl.push_str(&format!("\nuser {}\ntopic write {}\n", device.id, compact_topic(&device.id)));
        for stream in &device.datastreams {
            check_acl_topic_part(&format!("datastream of device \"{}\"", device.id), stream)?;
            acl.push_str(&format!("topic write v1.1/Datastreams({stream})/Observations\n"));
            acl.push_str(&format!("topic write v1.1/Datastreams('{stream}')/Observations\n"));
        }
    }
    Ok(acl)
}

/// Writes `text` to `path`, readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // An existing file keeps its mode on open: set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

fn private_dir(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(|e| format!("{}: {e}", path.display()))
}

/// The setup step: a random password for the gateway and each device of
/// `registry` in `dir/passwords/<user>` (0600; kept when already there),
/// `dir/passwd` hashed by `mosquitto_passwd -U`, and `dir/acl`. Safe to run again.
pub fn setup_credentials(dir: &Path, registry: &Registry) -> Result<(), String> {
    use base64::Engine;
    let users: Vec<&str> = std::iter::once(GATEWAY_USER)
        .chain(registry.devices().iter().map(|d| d.id.as_str()))
        .collect();
    if registry.get(GATEWAY_USER).is_some() {
        return Err(format!(
            "device id \"{GATEWAY_USER}\" is the gateway's broker user; rename the device"
        ));
    }
    let acl = acl_text(registry)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    private_dir(&dir.join("passwords"))?;
    private_dir(&dir.join("store"))?;
    let mut plain = String::new();
    for user in &users {
        let path = password_path(dir, user);
        let password = if path.exists() {
            read_password_file(&path)?
        } else {
            let password = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::mqtt::random_bytes(32)?);
            write_private(&path, &format!("{password}\n"))?;
            password
        };
        plain.push_str(&format!("{user}:{password}\n"));
    }
    // Hashed in place, then moved where the broker reads it: it never sees plain text.
    let unhashed = dir.join("passwd.unhashed");
    write_private(&unhashed, &plain)?;
    let tool = find_binary("mosquitto_passwd");
    let hashed = Command::new(&tool).arg("-U").arg(&unhashed).stdin(Stdio::null()).output();
    let result = match hashed {
        Ok(out) if out.status.success() => {
            std::fs::rename(&unhashed, dir.join("passwd")).map_err(|e| format!("{}: {e}", dir.join("passwd").display()))
        }
        Ok(out) => Err(format!(
            "mosquitto_passwd -U: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!(
            "cannot run {} ({e}); install mosquitto (tools/setup-debian.sh)",
            tool.display()
        )),
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&unhashed);
    }
    result?;
    write_private(&dir.join("acl"), &acl)
}

/// The shipped config for the broker of `dir` on `port` (and a TLS listener):
/// the listener and paths rewritten, logs to stderr, every other line kept.
/// Fails when the shipped config lacks a security line the gateway relies on.
fn render_config(shipped: &str, dir: &Path, port: u16, tls: Option<&TlsListener>, as_root: bool) -> Result<String, String> {
    let from = shipped_config_path();
    let bad = |why: String| format!("{}: {why}", from.display());
    let path_text = |p: &Path| -> Result<String, String> {
        let text = p.to_str().ok_or_else(|| format!("{}: not UTF-8", p.display()))?;
        if text.chars().any(char::is_control) || text.trim() != text {
            return Err(format!(
                "{}: a path in a mosquitto config cannot hold control characters or edge spaces",
                text.escape_debug()
            ));
        }
        Ok(text.to_owned())
    };
    let dir_text = path_text(dir)?;
    let mut out = format!("# Written from {} for {dir_text}: edit that file, not this one.\n", from.display());
    let mut seen = std::collections::HashMap::<&str, Vec<&str>>::new();
    for line in shipped.lines() {
        let trimmed = line.trim();
        let (key, value) = trimmed
            .split_once(char::is_whitespace)
            .map(|(k, v)| (k, v.trim()))
            .unwrap_or((trimmed, ""));
        if trimmed.is_empty() || trimmed.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        seen.entry(key).or_default().push(value);
        match key {
            "listener" => out.push_str(&format!("listener {port} 127.0.0.1\n")),
            "persistence_location" => out.push_str(&format!("persistence_location {dir_text}/store/\n")),
            "password_file" => out.push_str(&format!("password_file {dir_text}/passwd\n")),
            "acl_file" => out.push_str(&format!("acl_file {dir_text}/acl\n")),
            // Logging and the user are set below for this instance.
            "log_dest" | "log_type" | "user" => {}
            "include_dir" | "per_listener_settings" | "port" | "bind_address" => {
                return Err(bad(format!(
                    "\"{key}\" is not supported by the broker helper (one listener, global security settings)"
                )));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let only = |key: &str| -> Result<&str, String> {
        match seen.get(key).map(Vec::as_slice) {
            Some([value]) => Ok(value),
            Some(_) => Err(bad(format!("\"{key}\" is given more than once"))),
            None => Err(bad(format!("\"{key}\" is missing"))),
        }
    };
    if only("allow_anonymous")? != "false" {
        return Err(bad("must say \"allow_anonymous false\"".to_owned()));
    }
    if only("persistence")? != "true" {
        return Err(bad("must say \"persistence true\"".to_owned()));
    }
    if !only("max_packet_size")?.parse::<u32>().is_ok_and(|n| n > 0) {
        return Err(bad("max_packet_size must be a positive number of bytes".to_owned()));
    }
    only("password_file")?;
    only("acl_file")?;
    only("listener")?;
    only("persistence_location")?;
    out.push_str("\n# This instance.\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
    if as_root {
        // Mosquitto would drop root for user "mosquitto", which cannot read
        // these 0600 files; run the setup as the broker's own user instead.
        out.push_str("user root\n");
    }
    if let Some(tls) = tls {
        out.push_str(&format!(
            "\nlistener {} 127.0.0.1\ncertfile {}\nkeyfile {}\n",
            tls.port,
            path_text(&tls.certfile)?,
            path_text(&tls.keyfile)?
        ));
    }
    Ok(out)
}

/// A mosquitto.conf for `dir` (made by [`setup_credentials`]), from the
/// shipped one, listening on `port`: `dir/mosquitto.conf`.
pub fn write_config(dir: &Path, port: u16) -> Result<PathBuf, String> {
    write_config_with(&absolute(dir)?, port, None)
}

fn write_config_with(dir: &Path, port: u16, tls: Option<&TlsListener>) -> Result<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    // Files made by this process tell whose it is.
    let passwd = dir.join("passwd");
    let as_root = std::fs::metadata(&passwd)
        .map_err(|e| format!("{} (run setup_credentials first): {e}", passwd.display()))?
        .uid()
        == 0;
    let text = render_config(SHIPPED_CONFIG, dir, port, tls, as_root)?;
    let config = dir.join("mosquitto.conf");
    write_private(&config, &text)?;
    Ok(config)
}

/// `sontinh feeds broker-setup --devices FILE --dir DIR`: credentials for
/// the devices of `devices_json` and the gateway, and a ready config
/// listening on `port`; returns the config's path.
pub fn broker_setup(devices_json: &Path, dir: &Path, port: u16) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(devices_json).map_err(|e| format!("{}: {e}", devices_json.display()))?;
    let registry = Registry::from_json(&text).map_err(|e| format!("{}: {e}", devices_json.display()))?;
    setup_credentials(dir, &registry)?;
    write_config(dir, port)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const DEVICES: &str = r#"[
      {"id": "gauge-1", "names": {"vi": "a", "en": "a"}, "kind": "water_gauge", "river": "r", "alarm_levels_m": [1.0, 2.0, 3.0],
       "position": [107.0, 16.0, 0.0], "owner": "o", "visible_to": ["operator"], "expected_period_s": 60, "datastreams": ["41", "g1-level"]},
      {"id": "light-2", "names": {"vi": "b", "en": "b"}, "kind": "street_light",
       "position": [107.0, 16.0, 0.0], "owner": "o", "visible_to": ["operator"], "expected_period_s": 60}
    ]"#;

    #[test]
    fn the_shipped_config_is_kept_and_only_instance_lines_change() {
        let tls = TlsListener {
            port: 9001,
            certfile: "/c/cert.pem".into(),
            keyfile: "/c/key.pem".into(),
        };
        let text = render_config(SHIPPED_CONFIG, Path::new("/srv/b"), 4242, Some(&tls), false).unwrap();
        for line in [
            "listener 4242 127.0.0.1",
            "allow_anonymous false",
            "password_file /srv/b/passwd",
            "acl_file /srv/b/acl",
            "persistence true",
            "persistence_location /srv/b/store/",
            "max_packet_size 262144",
            "max_inflight_messages 1000",
            "listener 9001 127.0.0.1\ncertfile /c/cert.pem\nkeyfile /c/key.pem",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(!text.contains("user root"));
        assert!(!text.contains("listener 1883"));
    }

    #[test]
    fn a_weakened_config_is_refused() {
        for (from, to, says) in [
            ("allow_anonymous false", "allow_anonymous true", "allow_anonymous false"),
            ("allow_anonymous false", "", "\"allow_anonymous\" is missing"),
            ("persistence true", "persistence false", "persistence true"),
            ("max_packet_size 262144", "", "\"max_packet_size\" is missing"),
            ("acl_file acl", "", "\"acl_file\" is missing"),
            ("password_file passwd", "password_file a\npassword_file b", "more than once"),
            ("acl_file acl", "acl_file acl\nper_listener_settings true", "per_listener_settings"),
        ] {
            assert!(SHIPPED_CONFIG.contains(from));
            let e = render_config(&SHIPPED_CONFIG.replace(from, to), Path::new("/d"), 1, None, false).unwrap_err();
            assert!(e.contains(says), "{to}: {e}");
        }
    }

    #[test]
    fn each_device_writes_only_its_own_topics() {
        let registry = Registry::from_json(DEVICES).unwrap();
        let acl = acl_text(&registry).unwrap();
        // The gateway reads every device's topics and alone writes (and reads) the flood alerts.
        let expected = "user sontinh-gateway\ntopic read sontinh/v1/devices/+/observations\ntopic read v1.1/#\ntopic readwrite sontinh/v1/alerts/flood\n\n\
            user gauge-1\ntopic write sontinh/v1/devices/gauge-1/observations\n\
            topic write v1.1/Datastreams(41)/Observations\ntopic write v1.1/Datastreams('41')/Observations\n\
            topic write v1.1/Datastreams(g1-level)/Observations\ntopic write v1.1/Datastreams('g1-level')/Observations\n\n\
            user light-2\ntopic write sontinh/v1/devices/light-2/observations\n";
        assert!(acl.ends_with(expected), "{acl}");
        let wild = Registry::from_json(&DEVICES.replace("\"g1-level\"", "\"x/#\"")).unwrap();
        let e = acl_text(&wild).unwrap_err();
        assert!(e.contains("x/#") && e.contains("gauge-1"), "{e}");
    }
}
