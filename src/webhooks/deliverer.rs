//! The deliverer of one endpoint: while this process holds the endpoint's lease, it
//! POSTs the next matching event after the cursor, one at a time, records the
//! outcome, and waits for the next attempt. It wakes on new release log rows (the
//! dispatcher), on changes made through this process's API, and at its next attempt.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use entity::webhook;

use super::deliver::Signed;
use super::metrics::Outcome;
use super::record::{self, Attempt};
use super::worker::{changed, Shared};
use super::{lease, payload, retry, signing, store};
use crate::catalog::now;
use crate::error::Result;
use crate::graphql::ids::{self, Kind};
use crate::releases::dispatcher::BATCH;
use crate::releases::release_log::{self, Release};

/// Wait after a database error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

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
pub(super) async fn deliver_to(shared: Arc<Shared>, id: i64) {
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
        let hook = match self.endpoint().await? {
            Ok(hook) => hook,
            Err(step) => return Ok(step),
        };
        let Some(release) = self.next_event(&hook).await? else {
            return Ok(Step::Wait(None));
        };
        // The endpoint again, as it is now that the event is known: a change an admin
        // committed while the log was read (the end of a rotated secret's overlap, a new
        // URL, disabling it) applies to this very delivery. One statement per delivery.
        let now_hook = match self.endpoint().await? {
            Ok(hook) => hook,
            Err(step) => return Ok(step),
        };
        if (now_hook.cursor, &now_hook.filter) != (hook.cursor, &hook.filter) {
            return Ok(Step::Wait(Some(Duration::ZERO)));
        }
        self.attempt(&now_hook, release).await
    }

    /// The endpoint, if this process may deliver to it now; otherwise what to do.
    async fn endpoint(&self) -> Result<std::result::Result<webhook::Model, Step>> {
        let shared = &self.shared;
        let Some(hook) = store::get(shared.db.conn(), self.id).await? else {
            return Ok(Err(Step::Stop(false)));
        };
        if hook.lease_owner.as_deref() != Some(shared.owner.as_str()) {
            return Ok(Err(Step::Stop(false)));
        }
        if !hook.enabled {
            return Ok(Err(Step::Stop(true)));
        }
        let at = now();
        // A POST is only started while the lease outlasts it (leases are renewed every
        // lease/3 and last at least twice the timeout, so 4/3 of it is left at worst).
        let needed = at + shared.config.timeout + shared.config.timeout / 4;
        if hook.lease_expires_at.is_none_or(|until| until < needed) {
            return Ok(Err(Step::Wait(None)));
        }
        if hook.next_attempt_at > at {
            return Ok(Err(Step::Wait((hook.next_attempt_at - at).to_std().ok())));
        }
        Ok(Ok(hook))
    }

    /// The first event after the cursor that matches the filter, read ahead in batches.
    async fn next_event(&mut self, hook: &webhook::Model) -> Result<Option<Arc<Release>>> {
        let key = (hook.cursor, hook.filter.clone());
        let db = self.shared.db.conn();
        let filter = store::filter_of(hook).unwrap_or_default();
        let position = *self.shared.positions.borrow();
        let refill = self.cache.is_empty() || self.cache_key.as_ref() != Some(&key);
        if refill {
            self.cache = release_log::after(db, hook.cursor, &filter, BATCH)
                .await?
                .into();
            self.cache_key = Some(key);
        }
        // The backlog is counted again when the log grew (or the batch was re-read).
        if refill || position > self.counted_at {
            self.counted_at = position;
            self.backlog = if self.cache.is_empty() {
                0
            } else {
                release_log::count_after(db, hook.cursor, &filter).await?
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
        let config = &shared.config;
        let wait = retry::backoff(attempt.attempt as u32, config.retry_min, config.retry_max);
        let then = match &reason {
            Some(reason) => format!("endpoint disabled: {reason}"),
            None => format!("retry in {} ms", wait.as_millis()),
        };
        tracing::warn!(
            webhook = %self.webhook,
            event = %cursor,
            attempt = attempt.attempt,
            status = ?answer.status,
            error = %error,
            then = %then,
            "webhook delivery failed"
        );
        if let Some(reason) = reason {
            record::disable(&shared.db, &attempt, &reason).await?;
            return Ok(Step::Stop(false));
        }
        let next = now() + wait;
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
