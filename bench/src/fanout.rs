//! The fan-out benchmark: N graphql-transport-ws clients (source addresses spread over
//! 127.0.0.1–127.0.0.4) subscribed to one series, events published at a fixed interval,
//! publish-to-delivery latency measured from just before each publish is sent.
//!
//! Over 400 lines on purpose: the clients, the publisher and the measurement of one
//! fan-out round share their state; split, each part would need all of it.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

use crate::procs;
use crate::stats::{summarize, Summary};

pub const SUBSCRIPTION: &str = "subscription Alerts($series: [ID!]) { releaseAlerts(filter: {seriesIds: $series}) { cursor kind occurredAt series { id title } installment { id number title publishedAt } } }";

const CREATE: &str = "mutation Publish($input: CreateInstallmentInput!) { createInstallment(input: $input) { id number status } }";

/// Clients connecting at the same time.
const CONNECTING: usize = 256;

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub n: usize,
    pub events: usize,
    pub interval: Duration,
    /// How long to wait for stragglers after the last publish.
    pub drain: Duration,
    /// Pause between the last subscription and the idle memory reading.
    pub settle: Duration,
}

/// How events are published.
pub enum Publisher {
    /// `createInstallment(publish: true)` on the server.
    Premiere {
        http: SocketAddr,
        token: String,
        series: String,
    },
    /// `POST /publish` on the bare broadcast server, with a frame of `size` bytes.
    Floor { http: SocketAddr, size: usize },
}

impl Publisher {
    async fn publish(&self, client: &reqwest::Client, number: u64) -> Result<()> {
        match self {
            Publisher::Premiere {
                http,
                token,
                series,
            } => {
                let body = json!({
                    "query": CREATE,
                    "variables": { "input": { "seriesId": series, "number": number, "publish": true } },
                });
                let value: Value = client
                    .post(format!("http://{http}/graphql"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await?
                    .json()
                    .await?;
                ensure!(value.get("errors").is_none(), "publishing failed: {value}");
                Ok(())
            }
            Publisher::Floor { http, size } => {
                client
                    .post(format!("http://{http}/publish?number={number}&size={size}"))
                    .send()
                    .await?
                    .error_for_status()?;
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub n: usize,
    pub expected: u64,
    pub delivered: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub latency: Summary,
    pub publish_rtt: Summary,
    pub rss_before_kib: u64,
    pub rss_idle_kib: u64,
    /// Bytes per subscriber, all of it: connection and subscription.
    pub rss_per_subscriber: f64,
    /// Bytes per connection that has only been acknowledged (no subscription yet).
    pub rss_per_connection: f64,
    /// SQL statements per event in all, then the publishing mutation's share and the
    /// dispatcher's (the rest is background: idle checks, webhook leases).
    pub sql_per_event: f64,
    pub sql_mutation_per_event: f64,
    pub sql_dispatcher_per_event: f64,
    /// Server CPU time (user + system) over the publishing phase, seconds.
    pub cpu_secs: f64,
    /// Distinct subscription documents among the clients.
    pub documents: usize,
    pub frame_len: usize,
    pub connect_secs: f64,
    pub client_errors: usize,
    pub first_error: Option<String>,
}

struct Shared {
    base: Instant,
    connected: AtomicUsize,
    subscribe: CancellationToken,
    subscribed: AtomicUsize,
    delivered: AtomicU64,
    frame_len: AtomicUsize,
    errors: AtomicUsize,
    first_error: Mutex<Option<String>>,
    stop: CancellationToken,
    gate: Semaphore,
}

impl Shared {
    fn error(&self, err: String) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut first) = self.first_error.lock() {
            first.get_or_insert(err);
        }
    }
}

/// `installment.number` in a `next` message, without parsing the whole message.
fn number(text: &str) -> Option<u64> {
    let at = text.find("\"number\":")? + "\"number\":".len();
    let digits: &str = &text[at..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

async fn client(
    i: usize,
    target: SocketAddr,
    subscribe: Utf8Bytes,
    shared: Arc<Shared>,
    events: usize,
) -> Vec<(u64, u64)> {
    let mut got = Vec::with_capacity(events);
    if let Err(err) = run_client(i, target, subscribe, &shared, &mut got).await {
        shared.error(format!("client {i}: {err:#}"));
    }
    got
}

async fn run_client(
    i: usize,
    target: SocketAddr,
    subscribe: Utf8Bytes,
    shared: &Shared,
    got: &mut Vec<(u64, u64)>,
) -> Result<()> {
    let permit = shared.gate.acquire().await?;
    let source = Ipv4Addr::new(127, 0, 0, 1 + (i % 4) as u8);
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source.into(), 0))?;
    let stream = socket.connect(target).await.context("connect")?;
    stream.set_nodelay(true)?;
    let mut request = format!("ws://{target}/graphql").into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .context("WebSocket handshake")?;
    ws.send(Message::text(r#"{"type":"connection_init","payload":{}}"#))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.contains("\"connection_ack\"") => break,
            Some(Ok(Message::Text(text))) => bail!("expected connection_ack, got {text}"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
            None => bail!("closed before connection_ack"),
        }
    }
    shared.connected.fetch_add(1, Ordering::SeqCst);
    drop(permit);
    // Everybody connects first (memory per connection), then subscribes. Meanwhile
    // the client keeps reading, so that its library answers the server's pings: the
    // server closes a peer that is silent for two keep-alive intervals.
    loop {
        tokio::select! {
            _ = shared.stop.cancelled() => return Ok(()),
            _ = shared.subscribe.cancelled() => break,
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => bail!("unexpected message before subscribing: {text}"),
                Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                None => bail!("connection ended"),
            },
        }
    }
    ws.send(Message::Text(subscribe)).await?;
    shared.subscribed.fetch_add(1, Ordering::SeqCst);
    loop {
        tokio::select! {
            biased;
            _ = shared.stop.cancelled() => break,
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let at = shared.base.elapsed().as_nanos() as u64;
                    match number(&text) {
                        Some(n) => {
                            got.push((n, at));
                            shared.delivered.fetch_add(1, Ordering::SeqCst);
                            let _ = shared.frame_len.compare_exchange(
                                0, text.len(), Ordering::SeqCst, Ordering::SeqCst);
                        }
                        None => bail!("unexpected message {text}"),
                    }
                }
                Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                None => bail!("connection ended"),
            },
        }
    }
    Ok(())
}

/// The subscribe message the clients send.
pub fn subscribe_message(series: &str) -> String {
    json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": SUBSCRIPTION, "variables": { "series": [series] } },
    })
    .to_string()
}

/// The mixed case: `count` distinct documents, all about the fan-out series so that
/// every client gets every event, differing in their filter (the series alone, with
/// the kind, with the kind listed twice), their selection (an alias per document,
/// series fields or not) and their variables.
pub fn mixed_messages(series: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|k| {
            let filter = match k % 3 {
                0 => "{seriesIds: $series}",
                1 => "{seriesIds: $series, kinds: [INSTALLMENT_PUBLISHED]}",
                _ => "{seriesIds: $series, kinds: [INSTALLMENT_PUBLISHED, INSTALLMENT_UPDATED]}",
            };
            let series_fields = if k % 2 == 0 {
                "series { id title }"
            } else {
                ""
            };
            let query = format!(
                "subscription Mixed{k}($series: [ID!]) {{ releaseAlerts(filter: {filter}) {{ \
                 v{k}: cursor kind {series_fields} installment {{ id number title }} }} }}"
            );
            json!({
                "id": "1",
                "type": "subscribe",
                "payload": { "query": query, "variables": { "series": [series] } },
            })
            .to_string()
        })
        .collect()
}

/// Runs one fan-out round against a server already started (`pid`, `ws` its
/// WebSocket address, `metrics` where its `/metrics` is).
pub async fn run(
    pid: u32,
    ws: SocketAddr,
    publisher: &Publisher,
    subscribes: &[String],
    plan: Plan,
    first_number: u64,
) -> Result<Figures> {
    let http = reqwest::Client::new();
    let metrics = match publisher {
        Publisher::Premiere { http, .. } | Publisher::Floor { http, .. } => *http,
    };
    let mut figures = Figures {
        n: plan.n,
        expected: (plan.n * plan.events) as u64,
        documents: subscribes.len(),
        ..Figures::default()
    };
    let open_before = procs::metric(&http, metrics, "premiere_subscriptions_open").await?;
    figures.rss_before_kib = procs::rss_kib(pid)?;
    let shared = Arc::new(Shared {
        base: Instant::now(),
        connected: AtomicUsize::new(0),
        subscribe: CancellationToken::new(),
        subscribed: AtomicUsize::new(0),
        delivered: AtomicU64::new(0),
        frame_len: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
        first_error: Mutex::new(None),
        stop: CancellationToken::new(),
        gate: Semaphore::new(CONNECTING),
    });
    let subscribes: Vec<Utf8Bytes> = subscribes
        .iter()
        .map(|s| Utf8Bytes::from(s.clone()))
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(plan.n);
    for i in 0..plan.n {
        tasks.push(tokio::spawn(client(
            i,
            ws,
            subscribes[i % subscribes.len()].clone(),
            shared.clone(),
            plan.events,
        )));
    }
    let connect_deadline = Duration::from_secs(60) + Duration::from_millis(plan.n as u64 * 5);
    let mut rss_connected = 0;
    let result = async {
        loop {
            let connected = shared.connected.load(Ordering::SeqCst);
            let errors = shared.errors.load(Ordering::SeqCst);
            if errors > 0 {
                let first = shared.first_error.lock().ok().and_then(|f| f.clone());
                bail!(
                    "{errors} clients failed while connecting; first: {}",
                    first.unwrap_or_default()
                );
            }
            if connected == plan.n {
                break;
            }
            if started.elapsed() > connect_deadline {
                bail!("only {connected} of {} clients connected", plan.n);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(plan.settle).await;
        rss_connected = procs::rss_kib(pid)?;
        shared.subscribe.cancel();
        loop {
            let subscribed = shared.subscribed.load(Ordering::SeqCst);
            let errors = shared.errors.load(Ordering::SeqCst);
            if errors > 0 {
                let first = shared.first_error.lock().ok().and_then(|f| f.clone());
                bail!(
                    "{errors} clients failed while connecting; first: {}",
                    first.unwrap_or_default()
                );
            }
            if subscribed == plan.n {
                break;
            }
            if started.elapsed() > connect_deadline {
                bail!("only {subscribed} of {} clients subscribed", plan.n);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        procs::wait_metric(
            &http,
            metrics,
            "premiere_subscriptions_open",
            open_before + plan.n as f64,
            Duration::from_secs(60),
        )
        .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(err) = result {
        shared.stop.cancel();
        return Err(err);
    }
    figures.connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(plan.settle).await;
    figures.rss_idle_kib = procs::rss_kib(pid)?;
    figures.rss_per_subscriber =
        (figures.rss_idle_kib as f64 - figures.rss_before_kib as f64) * 1024.0 / plan.n as f64;
    figures.rss_per_connection =
        (rss_connected as f64 - figures.rss_before_kib as f64) * 1024.0 / plan.n as f64;

    let sql_before = procs::sql_statements(&http, metrics).await?;
    let cpu_before = procs::cpu_secs(pid)?;
    let mut sent_at = Vec::with_capacity(plan.events);
    let mut rtts = Vec::with_capacity(plan.events);
    let first_tick = tokio::time::Instant::now();
    for k in 0..plan.events {
        tokio::time::sleep_until(first_tick + plan.interval * k as u32).await;
        let at = shared.base.elapsed().as_nanos() as u64;
        sent_at.push(at);
        publisher.publish(&http, first_number + k as u64).await?;
        rtts.push(shared.base.elapsed().as_nanos() as u64 - at);
    }
    let drain_deadline = Instant::now() + plan.drain;
    while shared.delivered.load(Ordering::SeqCst) < figures.expected
        && Instant::now() < drain_deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sql_after = procs::sql_statements(&http, metrics).await?;
    figures.cpu_secs = procs::cpu_secs(pid)? - cpu_before;
    let [total, mutation, dispatcher] =
        [0, 1, 2].map(|i| (sql_after[i] - sql_before[i]) / plan.events as f64);
    figures.sql_per_event = total;
    figures.sql_mutation_per_event = mutation;
    figures.sql_dispatcher_per_event = dispatcher;
    shared.stop.cancel();

    let mut latencies = Vec::with_capacity(figures.expected as usize);
    for task in tasks {
        let got = task.await.context("client task")?;
        let mut seen = HashSet::new();
        let mut last = None;
        for (number, at) in got {
            let Some(k) = number
                .checked_sub(first_number)
                .filter(|k| (*k as usize) < plan.events)
            else {
                continue;
            };
            if !seen.insert(k) {
                figures.duplicates += 1;
                continue;
            }
            if last.is_some_and(|l| k < l) {
                figures.out_of_order += 1;
            }
            last = Some(k);
            figures.delivered += 1;
            latencies.push(at.saturating_sub(sent_at[k as usize]));
        }
    }
    figures.latency = summarize(latencies);
    figures.publish_rtt = summarize(rtts);
    figures.frame_len = shared.frame_len.load(Ordering::SeqCst);
    figures.client_errors = shared.errors.load(Ordering::SeqCst);
    figures.first_error = shared.first_error.lock().ok().and_then(|f| f.clone());
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_number() {
        let text = r#"{"payload":{"data":{"releaseAlerts":{"installment":{"id":"x","number":1017,"title":"t"}}}}}"#;
        assert_eq!(number(text), Some(1017));
        assert_eq!(number(r#"{"type":"ka"}"#), None);
    }
}
