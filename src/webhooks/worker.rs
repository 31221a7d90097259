//! The webhook worker of a process: a claimer that leases free endpoints and keeps
//! its leases alive, and one deliverer task per leased endpoint, so that one
//! endpoint's failures never delay another's. Deliverers wake on new release log rows
//! (the bus), on changes made through this process's API, and at their next attempt.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use entity::webhook;
use rand::distributions::{Alphanumeric, DistString};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::deliver::{self, Signed};
use super::metrics::Outcome;
use super::record::{self, Attempt};
use super::{lease, payload, retry, signing, store, Hub};
use crate::catalog::now;
use crate::config::Settings;
use crate::db::Db;
use crate::error::Result;
use crate::graphql::ids::{self, Kind};
use crate::metrics::Metrics;
use crate::releases::bus::{Bus, BATCH};
use crate::releases::log::{self, Release};

/// Endpoints claimed per round at most.
const CLAIM_BATCH: u64 = 100;
/// Wait after a database error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

struct Config {
    timeout: Duration,
    lease: Duration,
    retry_min: Duration,
    retry_max: Duration,
    budget: chrono::Duration,
    retention: chrono::Duration,
}

struct Shared {
    db: Db,
    client: deliver::Client,
    metrics: Metrics,
    /// This process's name in `webhook.lease_owner`.
    owner: String,
    config: Config,
    positions: watch::Receiver<i64>,
    changes: watch::Receiver<u64>,
    renewed: watch::Receiver<u64>,
    shutdown: CancellationToken,
}

/// The running worker; [`Worker::stopped`] resolves once it has shut down.
pub struct Worker {
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(
        db: Db,
        settings: &Settings,
        metrics: Metrics,
        bus: &Bus,
        hub: &Hub,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Worker> {
        let client =
            deliver::Client::new(settings.webhook_timeout(), settings.webhook_allow_private)?;
        let config = Config {
            timeout: settings.webhook_timeout(),
            lease: settings.webhook_lease(),
            retry_min: Duration::from_millis(settings.webhook_retry_min_ms.max(1)),
            retry_max: Duration::from_millis(settings.webhook_retry_max_ms.max(1)),
            budget: seconds(settings.webhook_retry_budget_secs),
            retention: seconds(settings.webhook_delivery_retention_secs),
        };
        let (positions_tx, positions) = watch::channel(bus.position());
        tokio::spawn(forward_positions(
            bus.clone(),
            positions_tx,
            shutdown.clone(),
        ));
        let (renewed_tx, renewed) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            db,
            client,
            metrics,
            owner: format!(
                "premiere-{}",
                Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
            ),
            config,
            positions,
            changes: hub.subscribe(),
            renewed,
            shutdown,
        });
        Ok(Worker {
            handle: tokio::spawn(claim_rounds(shared, renewed_tx)),
        })
    }

    /// Waits until the worker has stopped (after shutdown), its deliveries in
    /// flight recorded and its leases given up.
    pub async fn stopped(self) {
        let _ = self.handle.await;
    }
}

fn seconds(secs: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000))
}

/// Resolves when `rx` changes; never when its sender is gone.
async fn changed<T>(rx: &mut watch::Receiver<T>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Publishes the dispatcher's position each time it shares new log rows.
async fn forward_positions(bus: Bus, tx: watch::Sender<i64>, shutdown: CancellationToken) {
    let mut rx = bus.subscribe();
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            received = rx.recv() => received,
        };
        match received {
            Ok(release) => {
                tx.send_replace(release.event.id);
            }
            Err(RecvError::Lagged(_)) => tx.send_modify(|_| {}),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Every lease/3 (or when the API changed an endpoint): renew this process's leases,
/// claim free endpoints, start their deliverers, and prune old delivery records (an
/// indexed DELETE, usually of nothing).
async fn claim_rounds(shared: Arc<Shared>, renewed: watch::Sender<u64>) {
    let mut changes = shared.changes.clone();
    let mut running: HashMap<i64, JoinHandle<()>> = HashMap::new();
    let round = shared.config.lease / 3;
    loop {
        changes.borrow_and_update();
        running.retain(|_, task| !task.is_finished());
        let at = now();
        let until = at + shared.config.lease;
        match lease::renew(&shared.db, &shared.owner, until).await {
            Ok(_) => renewed.send_modify(|n| *n = n.wrapping_add(1)),
            Err(err) => tracing::warn!(error = %err, "webhook leases not renewed"),
        }
        match lease::claim(&shared.db, &shared.owner, at, until, CLAIM_BATCH).await {
            Ok(claimed) => {
                for id in claimed {
                    running
                        .entry(id)
                        .or_insert_with(|| tokio::spawn(deliver_to(shared.clone(), id)));
                }
            }
            Err(err) => tracing::warn!(error = %err, "webhook endpoints not claimed"),
        }
        if let Err(err) = record::prune(&shared.db, at - shared.config.retention).await {
            tracing::warn!(error = %err, "old webhook deliveries not pruned");
        }
        tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            _ = changed(&mut changes) => {}
            _ = tokio::time::sleep(round) => {}
        }
    }
    for (_, task) in running {
        let _ = task.await;
    }
}

/// What a deliverer does next.
enum Step {
    /// An event was acknowledged: go on at once.
    Delivered,
    /// Wait for a wake-up, at most this long (default: a claim round).
    Wait(Option<Duration>),
    /// Stop delivering; give up the lease when true.
    Stop(bool),
}

/// The deliverer of endpoint `id`, for as long as this process holds its lease.
async fn deliver_to(shared: Arc<Shared>, id: i64) {
    let mut deliverer = Deliverer {
        webhook: ids::encode(Kind::Webhook, id).0,
        shared: shared.clone(),
        id,
        cache: VecDeque::new(),
        cache_key: None,
        backlog: 0,
        counted_at: 0,
    };
    let release = deliverer.run().await;
    shared.metrics.webhooks().forget(&deliverer.webhook);
    if release {
        if let Err(err) = lease::release(&shared.db, &shared.owner, id).await {
            tracing::warn!(error = %err, webhook = %deliverer.webhook, "webhook lease not given up");
        }
    }
}

struct Deliverer {
    shared: Arc<Shared>,
    id: i64,
    /// The endpoint's global ID, for logs and metrics.
    webhook: String,
    /// Events after `cache_key.0` matching the filter `cache_key.1`, read ahead.
    cache: VecDeque<Arc<Release>>,
    cache_key: Option<(i64, Option<String>)>,
    backlog: u64,
    /// The dispatcher's position when `backlog` was counted.
    counted_at: i64,
}

impl Deliverer {
    /// Delivers until shutdown or the lease is lost; true to give up the lease.
    async fn run(&mut self) -> bool {
        let shared = self.shared.clone();
        let mut positions = shared.positions.clone();
        let mut changes = shared.changes.clone();
        let mut renewed = shared.renewed.clone();
        let round = shared.config.lease / 3;
        loop {
            positions.borrow_and_update();
            changes.borrow_and_update();
            renewed.borrow_and_update();
            if shared.shutdown.is_cancelled() {
                return true;
            }
            let wait = match self.step().await {
                Ok(Step::Delivered) => continue,
                Ok(Step::Wait(wait)) => wait.unwrap_or(round),
                Ok(Step::Stop(release)) => return release,
                Err(err) => {
                    tracing::warn!(error = %err, webhook = %self.webhook, "webhook delivery paused");
                    ERROR_PAUSE
                }
            };
            tokio::select! {
                _ = shared.shutdown.cancelled() => return true,
                _ = changed(&mut positions) => {}
                _ = changed(&mut changes) => {}
                _ = changed(&mut renewed) => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn step(&mut self) -> Result<Step> {
        let shared = self.shared.clone();
        let Some(hook) = store::get(shared.db.conn(), self.id).await? else {
            return Ok(Step::Stop(false));
        };
        if hook.lease_owner.as_deref() != Some(shared.owner.as_str()) {
            return Ok(Step::Stop(false));
        }
        if !hook.enabled {
            return Ok(Step::Stop(true));
        }
        let at = now();
        // A POST is only started while the lease outlasts it (leases are renewed every
        // lease/3 and last at least twice the timeout, so 4/3 of it is left at worst).
        let needed = at + shared.config.timeout + shared.config.timeout / 4;
        if hook.lease_expires_at.is_none_or(|until| until < needed) {
            return Ok(Step::Wait(None));
        }
        if hook.next_attempt_at > at {
            return Ok(Step::Wait((hook.next_attempt_at - at).to_std().ok()));
        }
        let Some(release) = self.next_event(&hook).await? else {
            return Ok(Step::Wait(None));
        };
        self.attempt(&hook, release).await
    }

    /// The first event after the cursor that matches the filter, read ahead in batches.
    async fn next_event(&mut self, hook: &webhook::Model) -> Result<Option<Arc<Release>>> {
        let key = (hook.cursor, hook.filter.clone());
        let db = self.shared.db.conn();
        let filter = store::filter_of(hook).unwrap_or_default();
        let position = *self.shared.positions.borrow();
        let refill = self.cache.is_empty() || self.cache_key.as_ref() != Some(&key);
        if refill {
            let events = log::after(db, hook.cursor, &filter, BATCH).await?;
            self.cache = log::load(db, events).await?.into();
            self.cache_key = Some(key);
        }
        // The backlog is counted again when the log grew (or the batch was re-read).
        if refill || position > self.counted_at {
            self.counted_at = position;
            self.backlog = if self.cache.is_empty() {
                0
            } else {
                log::count_after(db, hook.cursor, &filter).await?
            };
            self.shared
                .metrics
                .webhooks()
                .set_backlog(&self.webhook, self.backlog);
        }
        Ok(self.cache.front().cloned())
    }

    async fn attempt(&mut self, hook: &webhook::Model, release: Arc<Release>) -> Result<Step> {
        let shared = self.shared.clone();
        let event = release.event.id;
        let message_id = signing::message_id(hook.id, event);
        let body = payload::body(&release);
        let attempted_at = now();
        let timestamp = attempted_at.timestamp();
        let secrets = store::signing_secrets(hook, attempted_at);
        let signature = signing::header(&secrets, &message_id, timestamp, &body);
        let answer = shared
            .client
            .post(
                &hook.url,
                Signed {
                    id: &message_id,
                    timestamp,
                    signature: &signature,
                    body,
                },
            )
            .await;
        shared.metrics.webhooks().attempted(answer.outcome);
        let attempt = Attempt {
            webhook_id: hook.id,
            event_id: event,
            message_id,
            attempt: hook.attempts.saturating_add(1),
            attempted_at,
            status_code: answer.status.map(i32::from),
            error: answer.error.clone(),
            duration_ms: i32::try_from(answer.duration.as_millis()).unwrap_or(i32::MAX),
        };
        let cursor = ids::cursor(event);
        if answer.outcome == Outcome::Ok {
            let moved = record::acknowledged(&shared.db, hook.cursor, &attempt).await?;
            let latency = (now() - release.event.occurred_at).num_microseconds();
            shared
                .metrics
                .webhooks()
                .acknowledged_after(latency.unwrap_or(0) as f64 / 1e6);
            if moved {
                self.cache.pop_front();
                self.cache_key = Some((event, hook.filter.clone()));
                self.backlog = self.backlog.saturating_sub(1);
                shared
                    .metrics
                    .webhooks()
                    .set_backlog(&self.webhook, self.backlog);
            } else {
                self.cache_key = None;
            }
            return Ok(Step::Delivered);
        }
        let error = answer.error.unwrap_or_default();
        let failing_since = hook.failing_since.unwrap_or(attempted_at);
        let reason = if answer.outcome == Outcome::Gone {
            Some("the endpoint answered 410 Gone".to_string())
        } else if now() - failing_since >= shared.config.budget {
            Some(format!(
                "failing since {} (longer than the retry budget of {} s); last error: {error}",
                failing_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                shared.config.budget.num_seconds()
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            tracing::warn!(
                webhook = %self.webhook,
                event = %cursor,
                attempt = attempt.attempt,
                status = ?answer.status,
                error = %error,
                reason = %reason,
                "webhook delivery failed; endpoint disabled"
            );
            record::disable(&shared.db, &attempt, &reason).await?;
            return Ok(Step::Stop(false));
        }
        let config = &shared.config;
        let wait = retry::backoff(attempt.attempt as u32, config.retry_min, config.retry_max);
        let next = now() + wait;
        tracing::warn!(
            webhook = %self.webhook,
            event = %cursor,
            attempt = attempt.attempt,
            status = ?answer.status,
            error = %error,
            retry_in_ms = wait.as_millis() as u64,
            "webhook delivery failed; will retry"
        );
        record::failed(
            &shared.db,
            &shared.owner,
            hook.cursor,
            &attempt,
            failing_since,
            next,
        )
        .await?;
        Ok(Step::Wait(Some(wait)))
    }
}
