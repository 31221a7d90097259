//! The dispatcher: one per process. On each wake-up it reads the new log rows once,
//! with what they refer to, and shares them with every local subscriber.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::outbox::Wakeups;
use super::release_log::{self, Filter, Release};
use crate::db::{tallied, Db};
use crate::error::Result;
use crate::metrics::Metrics;

/// Events read from the log per statement.
pub const BATCH: u64 = 256;
/// How long the dispatcher waits, unless woken, before it retries a failed read.
const RETRY: Duration = Duration::from_secs(1);
/// Events a subscriber may fall behind before it reads its gap from the log.
const CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct Dispatcher {
    tx: broadcast::Sender<Arc<Release>>,
    position: Arc<AtomicI64>,
    shutdown: CancellationToken,
}

impl Dispatcher {
    /// Starts the dispatcher at the current end of the log, its task on `tasks`.
    /// `idle_check` is the longest wait without a wake-up before it looks at the log.
    pub async fn start(
        db: Db,
        wakeups: Wakeups,
        metrics: Metrics,
        idle_check: Duration,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Self> {
        let (tx, _) = broadcast::channel(CAPACITY);
        let dispatcher = Dispatcher {
            tx,
            position: Arc::new(AtomicI64::new(release_log::last_position(db.conn()).await?)),
            shutdown,
        };
        tasks.spawn(
            dispatcher
                .clone()
                .dispatch(db, wakeups, metrics, idle_check),
        );
        Ok(dispatcher)
    }

    /// The last position the dispatcher has shared.
    pub fn position(&self) -> i64 {
        self.position.load(Ordering::SeqCst)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Release>> {
        self.tx.subscribe()
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    async fn dispatch(self, db: Db, wakeups: Wakeups, metrics: Metrics, idle_check: Duration) {
        let wakeup = wakeups.log();
        let everything = Filter::default();
        let tally = metrics.dispatcher_statements();
        // After a failed read (the database went away), a wake-up abandons a read
        // still waiting for a connection and starts again: the listener's wake-up on
        // reconnecting means the database is back, while the pool may be sleeping
        // between its own connection attempts.
        let mut failing = false;
        loop {
            let notified = wakeup.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let result = if failing {
                tokio::select! {
                    result = tallied(tally.clone(), read(&db, self.position(), &everything)) => {
                        Some(result)
                    }
                    _ = &mut notified => None,
                }
            } else {
                Some(tallied(tally.clone(), read(&db, self.position(), &everything)).await)
            };
            let full;
            match result {
                None => continue,
                Some(Ok(batch)) => {
                    failing = false;
                    full = batch.len() as u64 == BATCH;
                    for release in batch {
                        self.position.store(release.event.id, Ordering::SeqCst);
                        metrics.event_dispatched();
                        // No receiver is not an error: nobody is subscribed.
                        let _ = self.tx.send(release);
                    }
                }
                Some(Err(_)) => {
                    failing = true;
                    tokio::select! {
                        _ = self.shutdown.cancelled() => break,
                        _ = &mut notified => {}
                        _ = tokio::time::sleep(RETRY) => {}
                    }
                    continue;
                }
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                _ = &mut notified => {}
                _ = tokio::time::sleep(idle_check) => {}
            }
        }
    }
}

/// Reads one batch of the log after `position`, with what it refers to: one statement.
pub async fn read(db: &Db, position: i64, filter: &Filter) -> Result<Vec<Arc<Release>>> {
    release_log::after(db.conn(), position, filter, BATCH).await
}
