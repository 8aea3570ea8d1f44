//! A private mosquitto on loopback, for tests, benches and demos: its own
//! port, config and persistence folder, stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// A running mosquitto.
#[derive(Debug)]
pub struct LocalBroker {
    child: Child,
    config: PathBuf,
    pub port: u16,
}

impl LocalBroker {
    /// Starts mosquitto on `127.0.0.1:port`, keeping its sessions in `dir`.
    pub fn start(dir: &Path, port: u16) -> Result<LocalBroker, String> {
        // mosquitto started as root drops to its own user: let it write its store here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("mosquitto.conf");
        // As assets/feeds/mosquitto.conf: no dropped QoS 1 messages under load.
        let text = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nautosave_interval 1\nmax_inflight_messages 1000\nmax_queued_messages 1000000\nmax_queued_bytes 0\nlog_type error\n",
            dir.display()
        );
        std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
        let child = spawn(&config)?;
        Ok(LocalBroker { child, config, port })
    }

    /// A clean stop (the broker saves its sessions), then a new broker on the same port and store.
    pub fn restart(&mut self) -> Result<(), String> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(300));
        self.child = spawn(&self.config)?;
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &Path) -> Result<Child, String> {
    let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].into_iter().find(|p| Path::new(p).exists()).unwrap_or("mosquitto");
    let child = Command::new(binary)
        .arg("-c")
        .arg(config)
        .spawn()
        .map_err(|e| format!("cannot start mosquitto ({e}); tools/setup-debian.sh installs it"))?;
    // Wait until it listens.
    let port = std::fs::read_to_string(config)
        .ok()
        .and_then(|t| t.split_whitespace().nth(1).and_then(|p| p.parse::<u16>().ok()))
        .unwrap_or(1883);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(child);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("mosquitto did not listen on port {port} within 2 s"))
}

/// A free TCP port on loopback.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
