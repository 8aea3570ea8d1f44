//! `sontinh feeds`: the gateway, the scenario replayer and role tokens.

use std::path::Path;

use sontinh_feeds::Role;
use sontinh_feeds_gateway::{GatewayConfig, Secret, replay, run_gateway, token};

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Runs the gateway until Ctrl-C.
pub fn gateway(config: &Path) -> Result<String, String> {
    let config = GatewayConfig::load(config)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let broker = config.broker.clone();
        let server = tokio::spawn(run_gateway(config, Some(bound_tx), async {
            let _ = tokio::signal::ctrl_c().await;
        }));
        if let Ok(address) = bound_rx.await {
            eprintln!("feeds gateway: serving viewers on http://{address} (ws://{address}/ws), broker {broker}; Ctrl-C stops");
        }
        server.await.map_err(|e| e.to_string())?
    })?;
    Ok("feeds gateway stopped".to_owned())
}

/// Publishes a recorded scenario with a progress bar.
pub fn replay_file(file: &Path, broker: &str, credentials: Option<&Path>, speed: f64) -> Result<String, String> {
    if !(speed.is_finite() && speed >= 0.0) {
        return Err(format!("--speed {speed}: expected a number ≥ 0 (0 sends as fast as possible)"));
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("replay [{bar:40}] {pos}/{len} messages, {elapsed} elapsed") {
        bar.set_style(style.progress_chars("=> "));
    }
    let rt = runtime()?;
    let progress = |sent: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(sent as u64);
    };
    let sent = rt.block_on(replay(file, broker, credentials, speed, &progress))?;
    bar.finish_and_clear();
    Ok(format!("Replayed {sent} messages from {} to {broker} (QoS 1, all acknowledged)", file.display()))
}

/// A signed token for `role`, valid for `hours` (at most 720); with
/// `create_secret`, the config's secret file is made first when absent.
pub fn issue_token(config: &Path, role: &str, hours: f64, create_secret: bool, subject: Option<&str>) -> Result<String, String> {
    let role = Role::parse(role).ok_or_else(|| format!("unknown role \"{role}\": expected tourist, operator or planner"))?;
    if let Some(subject) = subject {
        token::check_subject(subject)?;
    }
    let exp = token::expiry(chrono::Utc::now().timestamp(), hours)?;
    if create_secret {
        let draft = GatewayConfig::load_without_secret(config)?;
        let file = draft
            .secret_file
            .ok_or_else(|| format!("{}: --create-secret needs a secret_file in the config", config.display()))?;
        if !file.exists() {
            Secret::generate()?.write_new(&file)?;
            eprintln!("feeds token: created the secret {} (mode 0600)", file.display());
        }
    }
    let config = GatewayConfig::load(config)?;
    Ok(match subject {
        Some(subject) => token::issue_named(config.secret.as_bytes(), role, exp, subject),
        None => token::issue(config.secret.as_bytes(), role, exp),
    })
}

/// `sontinh feeds broker-setup`: credentials, ACL and a mosquitto config.
pub fn broker_setup(devices: &Path, dir: &Path, port: u16) -> Result<String, String> {
    let config = sontinh_feeds_gateway::broker::broker_setup(devices, dir, port)?;
    Ok(format!(
        "Broker credentials and ACL in {}; start the broker with: mosquitto -c {}",
        dir.display(),
        config.display()
    ))
}
