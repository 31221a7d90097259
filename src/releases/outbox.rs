//! The release outbox: how the events of catalogue writes reach the release log and
//! its readers. At commit (see `catalog::write`), each release event is appended to
//! the log inside the transaction (under the append lock on PostgreSQL), and NOTIFY
//! (sent by the append's own statement) tells the other replicas, which PostgreSQL
//! delivers exactly when the rows become visible; once committed, this process's
//! dispatcher and scheduler are woken.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement};
use tokio::sync::Notify;

use super::release_log;
use crate::catalog::write::{Event, Outbox, Writer};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Result;

/// PostgreSQL channel notified when a transaction appended to the release log.
pub const LOG_CHANNEL: &str = "premiere_release_log";
/// PostgreSQL channel notified when a release time was set or changed.
pub const SCHEDULE_CHANNEL: &str = "premiere_schedule";

/// The wake-ups of one process: its dispatcher (the log grew) and its scheduler (a
/// release time changed). Woken by commits here and by the PostgreSQL listener.
#[derive(Clone)]
pub struct Wakeups {
    log: Arc<Notify>,
    schedule: Arc<Notify>,
    /// This process's name in the payload of its log notifications (random: replicas
    /// in containers share process ids), so that its listener can tell its own.
    origin: Arc<str>,
}

impl Default for Wakeups {
    fn default() -> Self {
        Wakeups {
            log: Arc::default(),
            schedule: Arc::default(),
            origin: format!("{:016x}", rand::random::<u64>()).into(),
        }
    }
}

impl Wakeups {
    /// The payload of this process's `LOG_CHANNEL` notifications. Its listener skips
    /// them: the commit already woke its dispatcher in-process, and a second wake-up
    /// would cost the dispatcher a read that finds nothing.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Wakes the dispatcher.
    pub fn log_appended(&self) {
        self.log.notify_one();
    }

    /// Wakes the scheduler.
    pub fn schedule_changed(&self) {
        self.schedule.notify_one();
    }

    /// What the dispatcher waits on.
    pub fn log(&self) -> &Notify {
        &self.log
    }

    /// What the scheduler waits on.
    pub fn schedule(&self) -> &Notify {
        &self.schedule
    }
}

/// The [`Outbox`] of the server.
pub struct ReleaseOutbox {
    wakeups: Wakeups,
}

impl ReleaseOutbox {
    pub fn new(wakeups: Wakeups) -> Self {
        ReleaseOutbox { wakeups }
    }
}

/// A catalogue writer whose events go to the release log and wake `wakeups`.
pub fn writer(db: &Db, clock: Clock, wakeups: &Wakeups) -> Writer {
    Writer::new(
        db.clone(),
        clock,
        Arc::new(ReleaseOutbox::new(wakeups.clone())),
    )
}

/// What a batch of events calls for: (appends to the log, a schedule changed).
fn effects(events: &[Event]) -> (bool, bool) {
    let appends = events.iter().any(|e| matches!(e, Event::Release { .. }));
    let schedules = events.contains(&Event::ScheduleChanged);
    (appends, schedules)
}

#[async_trait]
impl Outbox for ReleaseOutbox {
    async fn flush(&self, txn: &DatabaseTransaction, events: &[Event]) -> Result<()> {
        for event in events {
            if let Event::Release {
                kind,
                series_id,
                installment_id,
                interview_id,
                at,
            } = *event
            {
                release_log::append(
                    txn,
                    self.wakeups.origin(),
                    release_log::Entry {
                        kind,
                        series_id,
                        installment_id,
                        interview_id,
                        at,
                    },
                )
                .await?;
            }
        }
        // The appends notify `LOG_CHANNEL` themselves, in their statement.
        let backend = txn.get_database_backend();
        if backend == DatabaseBackend::Postgres && effects(events).1 {
            let notify = format!("NOTIFY {SCHEDULE_CHANNEL}");
            txn.execute(Statement::from_string(backend, notify)).await?;
        }
        Ok(())
    }

    fn committed(&self, events: &[Event]) {
        let (appends, schedules) = effects(events);
        if appends {
            self.wakeups.log_appended();
        }
        if schedules {
            self.wakeups.schedule_changed();
        }
    }
}
