//! The nested-query benchmark: closed loops at concurrency 64 and 1, an open loop at
//! half the highest rate, over plain HTTP/1.1 keep-alive connections (hyper, no pool).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::procs;
use crate::stats::{summarize, Summary};

pub const QUERY: &str = "{ allSeries(first: 10) { nodes { title installments(first: 5) { nodes { title publishedAt credits(first: 8) { nodes { character person { name } } } } } } } }";

/// The figures of one server.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Valid responses per second at the highest concurrency.
    pub max_rate: f64,
    pub max_invalid: u64,
    pub c1: Summary,
    pub c1_rate: f64,
    pub half_rate: f64,
    pub half: Summary,
    pub half_invalid: u64,
    pub c1_invalid: u64,
    /// SQL statements per request at concurrency 1 and at the highest concurrency.
    pub sql_c1: f64,
    pub sql_max: f64,
}

/// Phase lengths, concurrency and the query sent.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub warmup: Duration,
    pub phase: Duration,
    pub concurrency: usize,
    /// The document (PostGraphile's schema names the same query differently).
    pub query: &'static str,
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { addr, sender })
    }

    /// POSTs `body` to /graphql; returns status and body.
    async fn post(&mut self, body: &Bytes) -> Result<(u16, Bytes)> {
        if self.sender.ready().await.is_err() {
            *self = Conn::open(self.addr).await?;
        }
        let request = hyper::Request::post("/graphql")
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(body.clone()))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

pub fn request_body(query: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "query": query }).to_string())
}

/// One request, checked: the response body as JSON, with the expected shape.
pub async fn reference(addr: SocketAddr) -> Result<(Bytes, Value)> {
    let mut conn = Conn::open(addr).await?;
    let (status, body) = conn.post(&request_body(QUERY)).await?;
    ensure!(
        status == 200,
        "status {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let value: Value = serde_json::from_slice(&body).context("response is not JSON")?;
    ensure!(
        value.get("errors").is_none(),
        "response has errors: {value}"
    );
    let series = value["data"]["allSeries"]["nodes"]
        .as_array()
        .context("no allSeries.nodes")?;
    ensure!(series.len() == 10, "{} series, not 10", series.len());
    for s in series {
        let installments = s["installments"]["nodes"]
            .as_array()
            .context("no installments")?;
        ensure!(
            installments.len() == 5,
            "{} installments",
            installments.len()
        );
        for i in installments {
            let credits = i["credits"]["nodes"].as_array().context("no credits")?;
            ensure!(credits.len() == 8, "{} credits", credits.len());
            ensure!(
                credits.iter().all(|c| c["person"]["name"].is_string()),
                "a credit without a person name"
            );
        }
    }
    Ok((body, value))
}

struct Outcome {
    valid: u64,
    invalid: u64,
    latencies: Vec<u64>,
    elapsed: Duration,
}

/// `concurrency` workers, each sending its next request as soon as the last returned.
async fn closed_loop(
    addr: SocketAddr,
    expected: &Bytes,
    concurrency: usize,
    length: Duration,
    query: &str,
) -> Result<Outcome> {
    let body = request_body(query);
    let start = Instant::now();
    let end = start + length;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let body = body.clone();
        let expected = expected.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let (mut valid, mut invalid, mut latencies) = (0u64, 0u64, Vec::new());
            while Instant::now() < end {
                let sent = Instant::now();
                match conn.post(&body).await {
                    Ok((200, got)) if got == expected => {
                        valid += 1;
                        latencies.push(sent.elapsed().as_nanos() as u64);
                    }
                    Ok(_) => invalid += 1,
                    Err(_) => {
                        invalid += 1;
                        conn = Conn::open(addr).await?;
                    }
                }
            }
            anyhow::Ok((valid, invalid, latencies))
        }));
    }
    let mut outcome = Outcome {
        valid: 0,
        invalid: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (valid, invalid, latencies) = task.await??;
        outcome.valid += valid;
        outcome.invalid += invalid;
        outcome.latencies.extend(latencies);
    }
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

/// Requests scheduled at a constant `rate`, spread over `workers` connections. Latency
/// counts from the scheduled time when a worker was still busy with its previous
/// request (no coordinated omission), else from the actual send (the timer's own
/// millisecond granularity is not the server's fault).
async fn open_loop(
    addr: SocketAddr,
    expected: &Bytes,
    rate: f64,
    workers: usize,
    length: Duration,
    query: &str,
) -> Result<Outcome> {
    let body = request_body(query);
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let total = (rate * length.as_secs_f64()) as u64;
    let mut tasks = Vec::new();
    for worker in 0..workers as u64 {
        let body = body.clone();
        let expected = expected.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let (mut valid, mut invalid, mut latencies) = (0u64, 0u64, Vec::new());
            let mut i = worker;
            while i < total {
                let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
                let from = if tokio::time::Instant::now() < scheduled {
                    tokio::time::sleep_until(scheduled).await;
                    Instant::now()
                } else {
                    scheduled.into_std()
                };
                match conn.post(&body).await {
                    Ok((200, got)) if got == expected => {
                        valid += 1;
                        latencies.push(from.elapsed().as_nanos() as u64);
                    }
                    Ok(_) => invalid += 1,
                    Err(_) => {
                        invalid += 1;
                        conn = Conn::open(addr).await?;
                    }
                }
                i += workers as u64;
            }
            anyhow::Ok((valid, invalid, latencies))
        }));
    }
    let mut outcome = Outcome {
        valid: 0,
        invalid: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (valid, invalid, latencies) = task.await??;
        outcome.valid += valid;
        outcome.invalid += invalid;
        outcome.latencies.extend(latencies);
    }
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

/// The server's statement count; NaN for a server that does not count (PostGraphile).
async fn statements(client: &reqwest::Client, addr: SocketAddr) -> Result<f64> {
    Ok(procs::metric(client, addr, "premiere_sql_statements_total")
        .await
        .unwrap_or(f64::NAN))
}

/// One request to a peer (PostGraphile): its body, checked to hold 10 × 5 × 8 nodes.
pub async fn peer_reference(addr: SocketAddr, query: &str) -> Result<Bytes> {
    let mut conn = Conn::open(addr).await?;
    let (status, body) = conn.post(&request_body(query)).await?;
    ensure!(
        status == 200,
        "status {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let value: Value = serde_json::from_slice(&body).context("response is not JSON")?;
    ensure!(
        value.get("errors").is_none(),
        "response has errors: {value}"
    );
    let names = body.windows(7).filter(|w| w == b"\"name\":").count();
    ensure!(
        names == 400,
        "{names} person names, not 10 × 5 × 8: {value}"
    );
    Ok(body)
}

/// Measures one server; `expected` is the body every valid response must equal.
pub async fn measure(addr: SocketAddr, expected: &Bytes, plan: Plan) -> Result<Figures> {
    let client = reqwest::Client::new();
    let mut figures = Figures::default();

    closed_loop(addr, expected, plan.concurrency, plan.warmup, plan.query).await?;

    let before = statements(&client, addr).await?;
    let busy = closed_loop(addr, expected, plan.concurrency, plan.phase, plan.query).await?;
    let after = statements(&client, addr).await?;
    if busy.valid == 0 {
        bail!("no valid response at concurrency {}", plan.concurrency);
    }
    figures.max_rate = busy.valid as f64 / busy.elapsed.as_secs_f64();
    figures.max_invalid = busy.invalid;
    figures.sql_max = (after - before) / (busy.valid + busy.invalid) as f64;

    let before = statements(&client, addr).await?;
    let single = closed_loop(addr, expected, 1, plan.phase, plan.query).await?;
    let after = statements(&client, addr).await?;
    if single.valid == 0 {
        bail!("no valid response at concurrency 1");
    }
    figures.sql_c1 = (after - before) / (single.valid + single.invalid) as f64;
    figures.c1_rate = single.valid as f64 / single.elapsed.as_secs_f64();
    figures.c1_invalid = single.invalid;
    figures.c1 = summarize(single.latencies);

    figures.half_rate = figures.max_rate / 2.0;
    let half = open_loop(
        addr,
        expected,
        figures.half_rate,
        plan.concurrency,
        plan.phase,
        plan.query,
    )
    .await?;
    figures.half_invalid = half.invalid;
    figures.half = summarize(half.latencies);
    Ok(figures)
}
