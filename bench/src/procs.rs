//! Child processes (the server under test and the floors), ports, limits and memory.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::process::{Child, Command};

/// Raises the open-file limit of this process (and so of its children) as far as
/// allowed: first to 1,048,576, else the soft limit to the hard one. Returns the limit.
pub fn raise_nofile() -> Result<u64> {
    let wanted = 1 << 20;
    if rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, wanted).is_err() {
        let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).context("getrlimit")?;
        rlimit::setrlimit(rlimit::Resource::NOFILE, hard, hard).context("setrlimit")?;
    }
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).context("getrlimit")?;
    Ok(soft)
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a probe port")?;
    Ok(listener.local_addr()?)
}

/// Resident memory of a process in KiB, from `/proc/PID/smaps_rollup`.
pub fn rss_kib(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .with_context(|| format!("reading /proc/{pid}/smaps_rollup"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("Rss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no Rss line in smaps_rollup")
}

/// CPU time (user + system) a process has used so far, in seconds, from fields 14
/// and 15 of `/proc/PID/stat` (in clock ticks of 1/100 s: `getconf CLK_TCK` is 100
/// on Linux, whatever the kernel's HZ).
pub fn cpu_secs(pid: u32) -> Result<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = text.rsplit_once(')').context("no ')' in /proc/PID/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields
            .get(i - 3)
            .context("short /proc/PID/stat")?
            .parse::<f64>()?)
    };
    Ok((ticks(14)? + ticks(15)?) / 100.0)
}

/// A running child server, killed when dropped.
pub struct Proc {
    pub name: String,
    pub addr: SocketAddr,
    pub pid: u32,
    pub log: PathBuf,
    child: Child,
}

impl Proc {
    /// Starts `command` (output to `log`) and waits until `GET /healthz` answers.
    pub async fn start(name: &str, command: Command, addr: SocketAddr, log: &Path) -> Result<Self> {
        Self::start_ready(name, command, addr, log, "/healthz").await
    }

    /// Starts `command` and waits until `GET path` answers with any status (a server
    /// without a health route: PostGraphile).
    pub async fn start_ready(
        name: &str,
        mut command: Command,
        addr: SocketAddr,
        log: &Path,
        path: &str,
    ) -> Result<Self> {
        let out = std::fs::File::create(log).with_context(|| format!("creating {log:?}"))?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let pid = child.id().context("child has no pid")?;
        let mut proc = Proc {
            name: name.to_string(),
            addr,
            pid,
            log: log.to_path_buf(),
            child,
        };
        proc.wait_healthy(Duration::from_secs(60), path).await?;
        Ok(proc)
    }

    async fn wait_healthy(&mut self, timeout: Duration, path: &str) -> Result<()> {
        let client = reqwest::Client::new();
        let url = format!("http://{}{path}", self.addr);
        let any = path != "/healthz";
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited with {status} during start-up; see {:?}:\n{}",
                    self.name,
                    self.log,
                    tail(&self.log)
                );
            }
            if let Ok(resp) = client.get(&url).send().await {
                if any || resp.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("{} did not become healthy; see {:?}", self.name, self.log);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails if the process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited with {status}; see {:?}:\n{}",
                self.name,
                self.log,
                tail(&self.log)
            );
        }
        Ok(())
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The last lines of a log file.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Reads one sample from a Prometheus text page.
pub async fn metric(client: &reqwest::Client, addr: SocketAddr, name: &str) -> Result<f64> {
    let text = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .context("GET /metrics")?
        .error_for_status()?
        .text()
        .await?;
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.split_once(' ')?;
            (key == name).then(|| value.trim().parse::<f64>().ok())?
        })
        .with_context(|| format!("metric {name} missing at {addr}"))
}

/// The server's SQL statement counts: everything, the HTTP handlers' (the publishing
/// mutations'), the release dispatcher's. A server that does not tell the shares
/// apart (the floors) gives NaN for them.
pub async fn sql_statements(client: &reqwest::Client, addr: SocketAddr) -> Result<[f64; 3]> {
    let total = metric(client, addr, "premiere_sql_statements_total").await?;
    let mut shares = [f64::NAN; 2];
    for (share, name) in shares.iter_mut().zip([
        "premiere_sql_statements_requests_total",
        "premiere_sql_statements_dispatcher_total",
    ]) {
        *share = metric(client, addr, name).await.unwrap_or(f64::NAN);
    }
    Ok([total, shares[0], shares[1]])
}

/// Polls `name` until it reaches `value` or `timeout` passes.
pub async fn wait_metric(
    client: &reqwest::Client,
    addr: SocketAddr,
    name: &str,
    value: f64,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = metric(client, addr, name).await?;
        if now >= value {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{name} at {addr} reached {now}, not {value}, within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
