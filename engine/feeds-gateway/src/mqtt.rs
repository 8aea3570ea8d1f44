//! Connecting to the broker: `mqtt://` or `mqtts://` (TLS with rustls and
//! ring), with a username and a password kept out of the config file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Environment variable holding the broker password when no `password_file` is given.
pub const PASSWORD_ENV: &str = "SONTINH_MQTT_PASSWORD";

/// How the gateway (or the replayer) logs in to the broker; the `[mqtt]` table of gateway.toml.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttAuth {
    /// Broker user; none: connect without credentials.
    pub username: Option<String>,
    /// File holding the password alone (mode 0600); else `SONTINH_MQTT_PASSWORD`.
    pub password_file: Option<PathBuf>,
    /// PEM file of the CA that signed the broker's certificate (`mqtts://`); else the system roots.
    pub ca_file: Option<PathBuf>,
}

impl MqttAuth {
    /// Makes relative paths relative to `base` (the config's folder).
    pub fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.password_file, &mut self.ca_file].into_iter().flatten() {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    /// The password: from `password_file` (which only its owner may read), else from the environment.
    fn password(&self) -> Result<String, String> {
        if let Some(file) = &self.password_file {
            return read_password_file(file);
        }
        match std::env::var(PASSWORD_ENV) {
            Ok(p) if !p.is_empty() => Ok(p),
            _ => Err(format!(
                "mqtt: username is set but there is no password (give password_file, or set {PASSWORD_ENV})"
            )),
        }
    }
}

impl std::fmt::Debug for MqttAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only where the password lives, never the password.
        f.debug_struct("MqttAuth")
            .field("username", &self.username)
            .field("password_file", &self.password_file)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// Reads a password file: the password on its first line; group and others must have no access.
pub fn read_password_file(file: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).map_err(|e| format!("mqtt password_file {}: {e}", file.display()))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "mqtt password_file {}: mode {:o} lets group or others read it; run chmod 600 on it",
            file.display(),
            mode & 0o777
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("mqtt password_file {}: {e}", file.display()))?;
    let password = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if password.is_empty() {
        return Err(format!("mqtt password_file {}: empty", file.display()));
    }
    Ok(password.to_owned())
}

/// `mqtt://host[:port]` (default 1883) or `mqtts://host[:port]` (TLS, default 8883)
/// → (TLS?, host, port). IPv6 hosts in brackets: `mqtt://[::1]:1883`.
pub fn parse_broker(url: &str) -> Result<(bool, String, u16), String> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("mqtts://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("mqtt://") {
        (false, rest)
    } else {
        return Err(format!("broker \"{url}\": expected mqtt://host:port or mqtts://host:port"));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        return Err(format!(
            "broker \"{url}\": no credentials in the URL; give them in the [mqtt] table"
        ));
    }
    if rest.contains('/') || rest.contains('?') {
        return Err(format!("broker \"{url}\": expected only host and port after the scheme"));
    }
    let default_port = if tls { 8883 } else { 1883 };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("broker \"{url}\": unclosed [ in the host"))?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| format!("broker \"{url}\": expected :port after ]"))?,
                ),
            ),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("broker \"{url}\": no host"));
    }
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("broker \"{url}\": bad port \"{p}\"")),
        },
        None => default_port,
    };
    Ok((tls, host.to_owned(), port))
}

/// Options for `mqtt://host:port` or `mqtts://host:port` (TLS with rustls;
/// the CA from `ca_file`, else the system roots), with the credentials of
/// `auth`, keep-alive 5 s, a persistent session (clean_session false) and
/// the given largest packet sizes.
pub fn mqtt_options(
    broker_url: &str,
    auth: &MqttAuth,
    client_id: &str,
    incoming_max: usize,
    outgoing_max: usize,
) -> Result<MqttOptions, String> {
    let (tls, host, port) = parse_broker(broker_url)?;
    // rumqttc panics on these; say what is wrong instead.
    if client_id.is_empty() || client_id.starts_with(char::is_whitespace) {
        return Err(format!(
            "mqtt client id \"{client_id}\": must be non-empty and not start with a space"
        ));
    }
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_clean_session(false);
    options.set_max_packet_size(incoming_max, outgoing_max);
    match &auth.username {
        Some(user) if user.is_empty() => return Err("mqtt: username is empty".to_owned()),
        Some(user) => {
            options.set_credentials(user.clone(), auth.password()?);
        }
        None if auth.password_file.is_some() => return Err("mqtt: password_file is set but username is not".to_owned()),
        None => {}
    }
    if tls {
        let config = client_config(auth.ca_file.as_deref())?;
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(Arc::new(config))));
    } else if let Some(ca) = &auth.ca_file {
        return Err(format!(
            "mqtt: ca_file {} is set but broker \"{broker_url}\" is not mqtts://",
            ca.display()
        ));
    }
    Ok(options)
}

/// A rustls client config (ring) trusting `ca_file`, else the system's roots.
fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(file) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
                .map_err(|e| format!("mqtt ca_file {}: {e}", file.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("mqtt ca_file {}: {e}", file.display()))?;
            if certs.is_empty() {
                return Err(format!("mqtt ca_file {}: no PEM certificate in it", file.display()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("mqtt ca_file {}: {e}", file.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err("mqtts: no system root certificates found; give the broker's CA as ca_file".to_owned());
            }
        }
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("mqtts: {e}"))
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

/// Random bytes from the operating system (through ring), for passwords.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; n];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| "the operating system gave no random bytes".to_owned())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn broker_urls() {
        assert_eq!(
            parse_broker("mqtt://127.0.0.1:1884").unwrap(),
            (false, "127.0.0.1".to_owned(), 1884)
        );
        assert_eq!(
            parse_broker("mqtts://broker.example:8884/").unwrap(),
            (true, "broker.example".to_owned(), 8884)
        );
        assert_eq!(parse_broker("mqtts://h").unwrap(), (true, "h".to_owned(), 8883));
        assert_eq!(parse_broker("mqtt://h").unwrap(), (false, "h".to_owned(), 1883));
        assert_eq!(parse_broker("mqtt://[::1]:1885").unwrap(), (false, "::1".to_owned(), 1885));
        for (url, says) in [
            ("tcp://h:1", "expected mqtt://"),
            ("mqtt://:1883", "no host"),
            ("mqtt://h:x", "bad port"),
            ("mqtt://h:0", "bad port"),
            ("mqtt://u:p@h:1883", "no credentials in the URL"),
            ("mqtt://h:1883/topic", "only host and port"),
        ] {
            let e = parse_broker(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
    }

    #[test]
    fn password_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret-value\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let auth = MqttAuth {
            username: Some("u".into()),
            password_file: Some(file.clone()),
            ca_file: None,
        };
        let e = mqtt_options("mqtt://127.0.0.1:1", &auth, "c", 1024, 1024).unwrap_err();
        assert!(e.contains("chmod 600") && e.contains("644"), "{e}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let options = mqtt_options("mqtt://127.0.0.1:1", &auth, "c", 1024, 1024).unwrap();
        assert_eq!(options.credentials().unwrap().password, "s3cret-value");
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[test]
    fn inconsistent_settings_are_named() {
        let e = mqtt_options(
            "mqtt://h:1",
            &MqttAuth {
                ca_file: Some("ca.pem".into()),
                ..MqttAuth::default()
            },
            "c",
            1,
            1,
        )
        .unwrap_err();
        assert!(e.contains("not mqtts://"), "{e}");
        let e = mqtt_options(
            "mqtt://h:1",
            &MqttAuth {
                password_file: Some("pw".into()),
                ..MqttAuth::default()
            },
            "c",
            1,
            1,
        )
        .unwrap_err();
        assert!(e.contains("username is not"), "{e}");
        let e = mqtt_options("mqtt://h:1", &MqttAuth::default(), " c", 1, 1).unwrap_err();
        assert!(e.contains("client id"), "{e}");
        let e = mqtt_options(
            "mqtts://h:1",
            &MqttAuth {
                ca_file: Some("/nonexistent/ca.pem".into()),
                ..MqttAuth::default()
            },
            "c",
            1,
            1,
        )
        .unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn relative_paths_follow_the_config() {
        let mut auth = MqttAuth {
            username: Some("u".into()),
            password_file: Some("pw".into()),
            ca_file: Some("/etc/ca.pem".into()),
        };
        auth.resolve_paths(Path::new("/srv/gw"));
        assert_eq!(auth.password_file.as_deref(), Some(Path::new("/srv/gw/pw")));
        assert_eq!(auth.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
    }
}
