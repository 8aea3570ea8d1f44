//! A throw-away PostgreSQL server for tests and benches: Debian's server
//! binaries (`postgresql` package), a cluster in a temporary folder, on a
//! free loopback port, trusted local logins, stopped when dropped. Run as
//! root (CI), the cluster belongs to the `postgres` user, since PostgreSQL
//! refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A running cluster; stopped (immediately) and deleted on drop.
#[derive(Debug)]
pub struct TemporaryPostgres {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    as_postgres: bool,
    port: u16,
}

/// Where Debian installs the server: the newest `/usr/lib/postgresql/N/bin`,
/// or `$SONTINH_POSTGRES_BIN`.
fn server_bin() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("SONTINH_POSTGRES_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| format!("PostgreSQL's server is not installed ({}: {e}); tools/setup-debian.sh installs Debian's postgresql", root.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no PostgreSQL server under {} (tools/setup-debian.sh installs Debian's postgresql)", root.display()))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl TemporaryPostgres {
    /// Creates and starts a cluster; waits (with a deadline) until it accepts connections.
    pub fn start() -> Result<TemporaryPostgres, String> {
        let bin = server_bin()?;
        let dir = tempfile::Builder::new().prefix("sontinh-pg").tempdir().map_err(|e| e.to_string())?;
        let as_postgres = is_root();
        let data = dir.path().join("data");
        if as_postgres {
            let status = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status().map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("cannot give the temporary cluster's folder to the postgres user".to_owned());
            }
        }
        let server = TemporaryPostgres { bin, data, _dir: dir, as_postgres, port: free_port()? };
        server.run("initdb", &["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", &server.data.to_string_lossy()])?;
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", server.port, server.data.to_string_lossy());
        server.run("pg_ctl", &["-D", &server.data.to_string_lossy(), "-o", &options, "-l", &server.data.join("log").to_string_lossy(), "start"])?;
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = server.port.to_string();
        loop {
            let ready = server
                .command("pg_isready", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres"])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("the temporary PostgreSQL did not accept connections within 60 s (log: {})", server.data.join("log").display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates a database of the cluster and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        self.run("createdb", &["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", name])?;
        Ok(format!("postgres://postgres@127.0.0.1:{}/{name}", self.port))
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).stdin(Stdio::null());
        command
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let output = self.command(tool, args).output().map_err(|e| format!("{tool}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!("{tool} failed: {}", String::from_utf8_lossy(&output.stderr).trim()))
        }
    }
}

impl Drop for TemporaryPostgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data.to_string_lossy(), "-m", "immediate", "stop"]);
    }
}

/// A free TCP port on loopback (PostgreSQL cannot be told to pick one itself).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}
