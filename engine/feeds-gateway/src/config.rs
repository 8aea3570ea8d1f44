//! The gateway's configuration file and the key that signs role tokens.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::mqtt::MqttAuth;

/// Environment variable holding the token-signing secret when the config names no file.
pub const SECRET_ENV: &str = "SONTINH_FEEDS_SECRET";

/// Fewest random bytes a token-signing secret may have.
pub const MIN_SECRET_BYTES: usize = 32;

/// `sontinh feeds gateway --config FILE` (TOML).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// `mqtt://host:port`, or `mqtts://host:port` for TLS.
    pub broker: String,
    /// How the gateway logs in to the broker.
    #[serde(default)]
    pub mqtt: MqttAuth,
    /// Address to serve viewers on, e.g. `127.0.0.1:8787` (port 0: any free port).
    pub listen: String,
    /// Device list (JSON, see the `sontinh-feeds` README), relative to the config.
    pub devices: PathBuf,
    /// File holding the key that signs role tokens (hex or base64 of at least
    /// 32 random bytes, readable by its owner only); without it, `$SONTINH_FEEDS_SECRET`.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// The key itself, read by [`GatewayConfig::load`]; never in the file.
    #[serde(skip)]
    pub secret: Secret,
    /// Observations kept per device.
    #[serde(default = "default_history")]
    pub history: usize,
    /// Folder of camera snapshots served to the roles that may see their camera.
    #[serde(default)]
    pub snapshots: Option<PathBuf>,
    /// MQTT client id: the broker keeps this client's session across restarts.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// How far ahead of the gateway's clock a reading may be (device clocks
    /// drift); later readings are rejected as `future`.
    #[serde(default = "default_skew")]
    pub max_future_skew_s: u32,
    /// Where the history is kept (`[database]`).
    #[serde(default)]
    pub database: DatabaseConfig,
    /// The live flood warning (`[warning]`), when configured.
    #[serde(default)]
    pub warning: Option<WarningConfig>,
}

/// `[warning]`: when a gauge rises past an alarm level, the connected
/// inundation for the current levels over a scene's terrain.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningConfig {
    /// The scene whose flood scenario gives the terrain, gauges and places (relative to the config).
    pub scene: PathBuf,
    /// The scenario's id; the scene's first when absent.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Feed gauge (device id) → the scenario's gauge id; the gauge's level
    /// is taken on the terrain's vertical datum.
    pub gauges: std::collections::BTreeMap<String, String>,
    /// Where each warning is also POSTed as JSON (`http://` only).
    #[serde(default)]
    pub webhook: Option<String>,
}

/// `[database]`: the history's database and how long raw observations stay.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite:PATH` (relative to the config; the default is
    /// `sqlite:feeds-history.sqlite` beside it) or `postgres://USER@HOST:PORT/DATABASE`.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// Days raw observations are kept; older ones are folded into hourly
    /// minimum, mean and maximum (each device's latest stays raw).
    #[serde(default = "default_raw_days")]
    pub raw_days: u32,
}

impl Default for DatabaseConfig {
    fn default() -> DatabaseConfig {
        DatabaseConfig { url: default_database_url(), raw_days: default_raw_days() }
    }
}

fn default_database_url() -> String {
    "sqlite:feeds-history.sqlite".to_owned()
}

fn default_raw_days() -> u32 {
    90
}

fn default_history() -> usize {
    10_000
}

fn default_client_id() -> String {
    "sontinh-gateway".to_owned()
}

fn default_skew() -> u32 {
    300
}

impl GatewayConfig {
    /// Reads the config, resolving paths against its folder, and the secret.
    pub fn load(path: &Path) -> Result<GatewayConfig, String> {
        let mut config = GatewayConfig::load_without_secret(path)?;
        config.secret = match &config.secret_file {
            Some(file) => Secret::from_file(file)?,
            None => match std::env::var(SECRET_ENV) {
                Ok(text) => Secret::from_text(&text).map_err(|e| format!("${SECRET_ENV}: {e}"))?,
                Err(_) => {
                    return Err(format!(
                        "{}: no secret: set secret_file (create one with `sontinh feeds token --config {} --create-secret`) or ${SECRET_ENV}",
                        path.display(),
                        path.display()
                    ));
                }
            },
        };
        Ok(config)
    }

    /// The config with its paths resolved, before the secret is read (the
    /// secret file may not exist yet).
    pub fn load_without_secret(path: &Path) -> Result<GatewayConfig, String> {
        let metadata = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if metadata.len() > 1024 * 1024 {
            return Err(format!("{}: a gateway config is at most 1 MiB", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut config: GatewayConfig = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.devices = base.join(&config.devices);
        config.snapshots = config.snapshots.map(|s| base.join(s));
        config.secret_file = config.secret_file.map(|s| base.join(s));
        config.mqtt.resolve_paths(base);
        if let Some(file) = config.database.url.strip_prefix("sqlite:") {
            config.database.url = format!("sqlite:{}", base.join(file.trim_start_matches("//")).display());
        }
        if let Some(warning) = &mut config.warning {
            warning.scene = base.join(&warning.scene);
            if warning.gauges.is_empty() {
                return Err(format!("{}: [warning] gauges names no gauge", path.display()));
            }
            if let Some(hook) = &warning.webhook
                && !hook.starts_with("http://")
            {
                return Err(format!("{}: [warning] webhook {hook}: only http:// addresses", path.display()));
            }
        }
        if !(1..=36_500).contains(&config.database.raw_days) {
            return Err(format!("{}: database.raw_days must be between 1 and 36,500 days", path.display()));
        }
        if config.history == 0 || config.history > 10_000_000 {
            return Err(format!(
                "{}: history must be between 1 and 10,000,000 observations per device",
                path.display()
            ));
        }
        Ok(config)
    }
}

/// A token-signing key. Its `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes, not shown)", self.0.len())
    }
}

/// Strings that have appeared in this repository as examples: never keys.
const KNOWN_EXAMPLES: [&str; 3] = ["sontinh-dev-secret-change-me", "test-secret-123", "secret"];

impl Secret {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A key from its text: hex, or base64 (standard or URL-safe, padded or
    /// not), of at least [`MIN_SECRET_BYTES`] bytes that look random.
    pub fn from_text(text: &str) -> Result<Secret, String> {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let text = text.trim();
        if KNOWN_EXAMPLES.iter().any(|e| e.eq_ignore_ascii_case(text)) {
            return Err("the secret is an example from the repository; create your own (`sontinh feeds token --create-secret`)".to_owned());
        }
        let decoded = decode_hex(text)
            .or_else(|| {
                [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                    .iter()
                    .find_map(|e| e.decode(text).ok())
            })
            .ok_or_else(|| "the secret must be hex or base64 text".to_owned())?;
        if decoded.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the secret has {} bytes; at least {MIN_SECRET_BYTES} random bytes are required",
                decoded.len()
            ));
        }
        // 32 random bytes almost surely hold more than 16 different values (the
        // chance of fewer is below 1e-13); a patterned key does not.
        let distinct = decoded.iter().collect::<std::collections::HashSet<_>>().len();
        if distinct < 16 {
            return Err(format!(
                "the secret does not look random ({distinct} different byte values); use `sontinh feeds token --create-secret`"
            ));
        }
        Ok(Secret(decoded))
    }

    /// Reads a key file, which only its owner may read or write.
    pub fn from_file(path: &Path) -> Result<Secret, String> {
        let metadata = std::fs::metadata(path).map_err(|e| format!("secret file {}: {e}", path.display()))?;
        check_private(path, &metadata)?;
        if metadata.len() > 4096 {
            return Err(format!("secret file {}: larger than 4 KiB", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("secret file {}: {e}", path.display()))?;
        Secret::from_text(&text).map_err(|e| format!("secret file {}: {e}", path.display()))
    }

    /// 32 new random bytes.
    pub fn generate() -> Result<Secret, String> {
        let mut bytes = vec![0u8; MIN_SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret: {e}"))?;
        Ok(Secret(bytes))
    }

    /// Writes a new key file (hex), readable by its owner only; never overwrites one.
    pub fn write_new(&self, path: &Path) -> Result<(), String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("secret file {}: {e}", path.display()))?;
        let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
        file.write_all(format!("{hex}\n").as_bytes())
            .map_err(|e| format!("secret file {}: {e}", path.display()))
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Refuses a secret file that its group or others may read or write.
pub fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{}: mode {:o} lets others read it; chmod 600 it",
            path.display(),
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn weak_or_example_secrets_are_refused() {
        assert!(Secret::from_text("sontinh-dev-secret-change-me").unwrap_err().contains("example"));
        assert!(Secret::from_text("test-secret-123").unwrap_err().contains("example"));
        // 16 bytes of hex: too short.
        assert!(
            Secret::from_text("00112233445566778899aabbccddeeff")
                .unwrap_err()
                .contains("16 bytes")
        );
        // 32 bytes, but all zero: not random.
        assert!(Secret::from_text(&"00".repeat(32)).unwrap_err().contains("random"));
        assert!(Secret::from_text("a long passphrase that is not encoded at all!!").is_err());
        let fresh = Secret::generate().unwrap();
        let hex: String = fresh.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(Secret::from_text(&hex).unwrap(), fresh);
        assert_eq!(fresh.as_bytes().len(), 32);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::generate().unwrap();
        let hex: String = secret.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&hex[..8]) && shown.contains("not shown"), "{shown}");
    }

    #[test]
    fn secret_files_must_be_private_and_are_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        let secret = Secret::generate().unwrap();
        secret.write_new(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Secret::from_file(&path).unwrap(), secret);
        assert!(Secret::generate().unwrap().write_new(&path).is_err(), "an existing key is kept");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Secret::from_file(&path).unwrap_err().contains("chmod 600"));
    }
}
