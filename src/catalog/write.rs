//! Catalogue writes and what they owe the rest of the system.
//!
//! A catalogue operation opens a [`Transaction`] from the [`Writer`], changes rows,
//! and records what happened as [`Event`] values queued on the transaction. It knows
//! nothing of who reads them: the [`Outbox`] the writer was built with does (in the
//! server, the release outbox of `src/releases/outbox.rs`, which appends to the
//! release log and notifies). The catalogue imports nothing from the releases.
//!
//! [`Transaction::commit`] is the single commit point of catalogue writes: the queued
//! events are flushed through the outbox inside the transaction, the transaction
//! commits, then the outbox is told it committed (in-process wake-ups). The catalogue
//! version is bumped inside every catalogue write: at commit on PostgreSQL, as the
//! first statement (the one that takes the write lock) on SQLite. Writes that
//! are not catalogue writes (webhook bookkeeping) use [`Db::begin_write`] directly.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::release_event::EventKind;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    IntoActiveModel,
};

use crate::clock::Clock;
use crate::db::{Db, WriteTxn};
use crate::error::Result;

/// What a catalogue write did that others may need to hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An entry for the release log: `kind` happened to an installment (and interview).
    Release {
        kind: EventKind,
        series_id: i64,
        installment_id: i64,
        interview_id: Option<i64>,
        at: DateTime<Utc>,
    },
    /// A release time was set, changed or removed: the schedulers look again.
    ScheduleChanged,
}

impl Event {
    /// `kind` happened at `at` to `installment`.
    pub fn release(
        kind: EventKind,
        installment: &entity::installment::Model,
        at: DateTime<Utc>,
    ) -> Self {
        Event::Release {
            kind,
            series_id: installment.series_id,
            installment_id: installment.id,
            interview_id: None,
            at,
        }
    }
}

/// Where the events of a catalogue write go.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Writes what `events` call for inside `txn`, before it commits. Called at every
    /// commit, with or without events.
    async fn flush(&self, txn: &DatabaseTransaction, events: &[Event]) -> Result<()>;

    /// Called once the transaction that flushed `events` has committed.
    fn committed(&self, events: &[Event]);
}

/// Opens catalogue writes: the database (its pool and SQLite write lock), the clock
/// written times come from, and the outbox. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    db: Db,
    clock: Clock,
    outbox: Arc<dyn Outbox>,
}

impl Writer {
    pub fn new(db: Db, clock: Clock, outbox: Arc<dyn Outbox>) -> Self {
        Writer { db, clock, outbox }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Begins a catalogue write (serialised per process on SQLite). Dropping it
    /// without `commit` rolls it back, and its events with it.
    pub async fn begin(&self) -> Result<Transaction> {
        // On SQLite the write lock is held from the first statement to the commit, so
        // the catalogue version's bump, which the write owes anyway, is that first
        // statement: it takes the lock (one statement fewer than a no-op write, then
        // the bump at commit) and, in the same transaction, becomes visible exactly
        // when the write does. On PostgreSQL the bump locks the version row until
        // commit, so it stays at the commit, where concurrent writes queue on it only
        // for their last statements.
        let early_bump = self.db.backend() == DatabaseBackend::Sqlite;
        let txn = if early_bump {
            let bump = crate::cache::version::bump_statement(self.db.backend());
            self.db.begin_write_with(bump).await?
        } else {
            self.db.begin_write().await?
        };
        Ok(Transaction {
            txn,
            bumped: early_bump,
            events: Vec::new(),
            clock: self.clock.clone(),
            outbox: self.outbox.clone(),
        })
    }
}

/// One catalogue write in progress; reads and writes run on it through `Deref`.
pub struct Transaction {
    txn: WriteTxn,
    /// Whether the catalogue version was bumped at the start (see [`Writer::begin`]).
    bumped: bool,
    events: Vec<Event>,
    clock: Clock,
    outbox: Arc<dyn Outbox>,
}

impl Transaction {
    /// Now on the writer's clock, as stored.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Records `event`; it reaches the outbox at commit, or never if this rolls back.
    pub fn queue(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The single commit point of catalogue writes.
    pub async fn commit(self) -> Result<()> {
        // Inside the transaction: everything this write owes others, committed with
        // it or not at all: the outbox's rows and notifications, and the catalogue
        // version the response cache and ETags go by (crate::cache::version).
        self.outbox.flush(&self.txn, &self.events).await?;
        if !self.bumped {
            crate::cache::version::bump(&*self.txn).await?;
        }
        self.txn.commit().await?;
        // After it: wake-ups of this process, which must not run before the rows are
        // visible.
        self.outbox.committed(&self.events);
        Ok(())
    }

    /// Inserts `row` and commits: the end of a write that creates one row.
    pub async fn insert_and_commit<A>(self, row: A) -> Result<<A::Entity as EntityTrait>::Model>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let model = row.insert(&*self.txn).await?;
        self.commit().await?;
        Ok(model)
    }
}

impl Deref for Transaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}
