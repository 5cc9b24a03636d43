//! The `attest` binary under test: `attest pat create` for a token, and `attest serve` as a
//! child process whose address comes from its banner and whose memory comes from
//! `/proc/<pid>/status`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

/// The banner line `attest serve` prints once it listens.
const BANNER: &str = "Attest is serving on http://";

/// Creates a personal access token for `identity` with `authorities` through
/// `attest pat create --json`; returns its client id and secret.
pub fn create_pat(
    attest: &Path,
    database: &str,
    identity: &str,
    authorities: &[&str],
) -> anyhow::Result<(String, String)> {
    let mut command = Command::new(attest);
    command.args([
        "--database",
        database,
        "--log",
        "warn",
        "pat",
        "create",
        "--identity",
        identity,
        "--name",
        "attest-bench",
        "--json",
    ]);
    for authority in authorities {
        command.args(["--authority", authority]);
    }
    let output = command
        .output()
        .with_context(|| format!("cannot run {}", attest.display()))?;
    if !output.status.success() {
        bail!(
            "attest pat create failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let created: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "attest pat create --json printed no JSON: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })?;
    let field = |name: &str| {
        created
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("attest pat create --json: no {name}"))
    };
    Ok((field("clientId")?, field("clientSecret")?))
}

/// CPU time (user + system) that process `pid` (or `self`) has used, in seconds, from
/// `/proc/<pid>/stat` (clock ticks of 1/100 s, Linux's USER_HZ).
pub fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // Fields after the command name (which may hold spaces) start at field 3, `state`;
    // utime and stime are fields 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("{path}: unexpected format"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("{path}: no field {}", i + 3))
    };
    Ok((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// A running `attest serve`. Dropping it kills the process if [`Server::stop`] was not called.
pub struct Server {
    child: Child,
    /// `http://ADDR` as the banner printed it.
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// Starts `attest serve` on a free loopback port with `args` added, its log (standard
    /// error) going to `log`, and waits for its banner (at most `startup`).
    pub fn start(
        attest: &Path,
        database: &str,
        args: &[String],
        log: &Path,
        startup: Duration,
    ) -> anyhow::Result<Server> {
        let log_file =
            File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = Command::new(attest)
            .args(["--database", database, "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .with_context(|| format!("cannot start {} serve", attest.display()))?;
        let stdout = child.stdout.take().context("no standard output to read")?;
        let (tx, rx) = mpsc::channel::<String>();
        // Reads the banner, then keeps draining standard output so the server never blocks.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if let Some(addr) = line.trim().strip_prefix(BANNER) {
                    let _ = tx.send(format!("http://{addr}"));
                }
                line.clear();
            }
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        });
        let deadline = Instant::now() + startup;
        let mut server = Server {
            child,
            base: String::new(),
            log: log.to_owned(),
        };
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(base) => {
                    server.base = base;
                    return Ok(server);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "attest serve exited ({status}) before listening; its log {}:\n{}",
                    server.log.display(),
                    server.log_tail()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "attest serve printed no banner within {startup:?}; its log {}:\n{}",
                    server.log.display(),
                    server.log_tail()
                );
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        self.status_field("VmHWM")
    }

    /// Resident memory now (VmRSS), in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        self.status_field("VmRSS")
    }

    /// Resident anonymous memory now (RssAnon: heap, stacks), in KiB.
    pub fn rss_anon_kib(&self) -> anyhow::Result<u64> {
        self.status_field("RssAnon")
    }

    /// Resident file-backed memory now (RssFile: the binary, mapped database files), in KiB.
    pub fn rss_file_kib(&self) -> anyhow::Result<u64> {
        self.status_field("RssFile")
    }

    /// CPU time the server has used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds(&self.pid().to_string())
    }

    fn status_field(&self, name: &str) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.pid());
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        status
            .lines()
            .find_map(|line| {
                let rest = line.strip_prefix(name)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
            .with_context(|| format!("{path} has no {name}"))
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Asks the server to stop (SIGTERM) and waits for it (killing it after `grace`).
    pub fn stop(mut self, grace: Duration) -> anyhow::Result<()> {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        bail!("attest serve did not stop within {grace:?} of SIGTERM; killed")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
