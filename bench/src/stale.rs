//! The stale-read check: two replicas over one database, a writer renaming a series
//! through the first as fast as it is acknowledged (every 10 ms at most), readers
//! asking for its title through both. An answer is stale when it shows a title older
//! than the last write acknowledged before the read was sent: there must be none.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};

use crate::procs;

/// Readers per replica.
const READERS: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub writes: u64,
    pub reads: u64,
    pub stale: u64,
    /// Answers from the response caches of both replicas.
    pub cache_hits: f64,
    pub secs: f64,
}

async fn post(
    client: &reqwest::Client,
    addr: SocketAddr,
    body: Value,
    token: Option<&str>,
) -> Result<Value> {
    let mut req = client.post(format!("http://{addr}/graphql")).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let value: Value = req.send().await?.json().await?;
    ensure!(value.get("errors").is_none(), "GraphQL errors: {value}");
    Ok(value)
}

/// Runs the check for `length`: writes through `replicas[0]`, reads through both.
pub async fn check(replicas: [SocketAddr; 2], token: &str, length: Duration) -> Result<Figures> {
    let client = reqwest::Client::new();
    let created = post(
        &client,
        replicas[0],
        json!({ "query": "mutation { createSeries(input: { slug: \"stale-check\", title: \"v0\" }) { id } }" }),
        Some(token),
    )
    .await?;
    let id = created["data"]["createSeries"]["id"]
        .as_str()
        .context("no series id")?
        .to_string();
    let hits_before = hits(&client, replicas).await?;
    let acked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + length;

    let writer = {
        let (client, acked, token, id) =
            (client.clone(), acked.clone(), token.to_string(), id.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let mut written = 0u64;
            while Instant::now() < end {
                tick.tick().await;
                let next = written + 1;
                let body = json!({
                    "query": "mutation($id: ID!, $t: String!) { updateSeries(id: $id, input: { title: $t }) { id } }",
                    "variables": { "id": id, "t": format!("v{next}") },
                });
                post(&client, replicas[0], body, Some(&token)).await?;
                written = next;
                acked.store(written, Ordering::SeqCst);
            }
            anyhow::Ok(written)
        })
    };
    let mut readers = Vec::new();
    for addr in replicas
        .iter()
        .flat_map(|a| std::iter::repeat_n(*a, READERS))
    {
        let (client, acked) = (client.clone(), acked.clone());
        readers.push(tokio::spawn(async move {
            let (mut reads, mut stale) = (0u64, 0u64);
            let body = json!({ "query": "{ seriesBySlug(slug: \"stale-check\") { title } }" });
            while Instant::now() < end {
                let floor = acked.load(Ordering::SeqCst);
                let value = post(&client, addr, body.clone(), None).await?;
                let title = value["data"]["seriesBySlug"]["title"]
                    .as_str()
                    .unwrap_or_default();
                let seen: u64 = title
                    .strip_prefix('v')
                    .and_then(|n| n.parse().ok())
                    .with_context(|| format!("unexpected answer {value}"))?;
                reads += 1;
                if seen < floor {
                    stale += 1;
                }
            }
            anyhow::Ok((reads, stale))
        }));
    }
    let mut figures = Figures {
        writes: writer.await??,
        ..Figures::default()
    };
    for reader in readers {
        let (reads, stale) = reader.await??;
        figures.reads += reads;
        figures.stale += stale;
    }
    figures.secs = started.elapsed().as_secs_f64();
    figures.cache_hits = hits(&client, replicas).await? - hits_before;
    Ok(figures)
}

async fn hits(client: &reqwest::Client, replicas: [SocketAddr; 2]) -> Result<f64> {
    let mut total = 0.0;
    for addr in replicas {
        total += procs::metric(client, addr, "premiere_response_cache_hits_total").await?;
    }
    Ok(total)
}
