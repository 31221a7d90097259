//! The durable release log: appended in the same transaction as the change it reports
//! (through `releases::outbox`), read after a cursor, and loaded with what it refers to.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{credit, installment, interview, release_event, series};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set, Statement,
};

use super::outbox::LOG_CHANNEL;
use crate::catalog;
use crate::catalog::embargo::{self, Viewer};
use crate::catalog::paging::{self, Key, Page, PageArgs};
use crate::error::{Error, Result};

pub const KEY: Key = Key {
    table: "release_event",
    column: "id",
};

pub use entity::release_event::EventKind;
pub use joined::after;

mod joined;

/// Arbitrary but fixed key of the PostgreSQL advisory lock that orders appends.
const APPEND_LOCK: i64 = 0x7072_656d_6965_7265;

/// One entry to append.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub kind: EventKind,
    pub series_id: i64,
    pub installment_id: i64,
    pub interview_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Appends an entry to the log inside `txn` (called by `releases::outbox` at commit):
/// one statement.
///
/// Appends are serialised so that positions follow commit order: a reader that sees
/// position N has already been able to see every position below N. On SQLite by the
/// write lock, which the transaction holds from its first statement. On PostgreSQL by
/// a transaction-scoped advisory lock, taken in the same statement before the row (and
/// its position, from a sequence) is made: the materialised lock is the row source of
/// the insert. The statement also notifies the other replicas' listeners, which
/// PostgreSQL delivers at commit (several appends in one transaction, one delivery).
///
/// `origin` is the notification's payload: the appending process's name.
pub async fn append(txn: &DatabaseTransaction, origin: &str, entry: Entry) -> Result<i64> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        let row = release_event::ActiveModel {
            kind: Set(entry.kind),
            series_id: Set(entry.series_id),
            installment_id: Set(entry.installment_id),
            interview_id: Set(entry.interview_id),
            occurred_at: Set(entry.at),
            ..Default::default()
        };
        // `exec`, not `insert`: the position is the inserted row id, no re-read.
        return Ok(release_event::Entity::insert(row)
            .exec(txn)
            .await?
            .last_insert_id);
    }
    let sql = format!(
        "WITH append_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock({APPEND_LOCK})), \
         appended AS (INSERT INTO release_event \
         (kind, series_id, installment_id, interview_id, occurred_at) \
         SELECT $1, $2, $3, $4, $5 FROM append_lock RETURNING id) \
         SELECT id, pg_notify('{LOG_CHANNEL}', $6) FROM appended"
    );
    let values: [sea_orm::Value; 6] = [
        entry.kind.as_str().into(),
        entry.series_id.into(),
        entry.installment_id.into(),
        entry.interview_id.into(),
        entry.at.into(),
        origin.into(),
    ];
    let row = txn
        .query_one(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| Error::internal("the release log append returned no row"))?;
    Ok(row.try_get::<i64>("", "id")?)
}

/// Narrows release events: every field given must match; a list matches any member.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub series_ids: Option<Vec<i64>>,
    pub person_ids: Option<Vec<i64>>,
    pub kinds: Option<Vec<EventKind>>,
}

impl Filter {
    fn select(&self) -> sea_orm::Select<release_event::Entity> {
        release_event::Entity::find().filter(self.condition())
    }

    /// What `select` narrows by, for a statement that reads more than the log.
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(series_ids) = &self.series_ids {
            condition =
                condition.add(release_event::Column::SeriesId.is_in(series_ids.iter().copied()));
        }
        if let Some(kinds) = &self.kinds {
            condition = condition.add(release_event::Column::Kind.is_in(kinds.iter().copied()));
        }
        if let Some(person_ids) = &self.person_ids {
            condition = condition.add(
                release_event::Column::InstallmentId.in_subquery(
                    Query::select()
                        .column(credit::Column::InstallmentId)
                        .from(credit::Entity)
                        .and_where(
                            Expr::col(credit::Column::PersonId).is_in(person_ids.iter().copied()),
                        )
                        .to_owned(),
                ),
            );
        }
        condition
    }

    /// The same test as the SQL of `select`, on an event already loaded.
    pub fn matches(&self, release: &Release) -> bool {
        let event = &release.event;
        self.series_ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&event.series_id))
            && self
                .kinds
                .as_ref()
                .is_none_or(|kinds| kinds.contains(&event.kind))
            && self
                .person_ids
                .as_ref()
                .is_none_or(|ids| release.people.iter().any(|p| ids.contains(p)))
    }
}

/// A log entry with everything a subscriber needs, loaded once and shared.
#[derive(Debug)]
pub struct Release {
    pub event: release_event::Model,
    pub series: series::Model,
    pub installment: installment::Model,
    pub interview: Option<interview::Model>,
    /// The people credited on the installment, for the `personIds` filter.
    pub people: Vec<i64>,
}

impl Release {
    pub fn kind(&self) -> EventKind {
        self.event.kind
    }
}

/// Loads what the events of a page of the log refer to: four statements whatever
/// their number (a read after a cursor is one, see [`after`]).
///
/// The log only ever reports released installments (events are appended when an
/// installment is published, and a published one stays so), so a release is the same
/// for every reader. It is read as the public sees it all the same: were an event to
/// name an unreleased installment, it would be left out rather than shown.
pub async fn load(
    db: &impl ConnectionTrait,
    events: Vec<release_event::Model>,
) -> Result<Vec<Arc<Release>>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut series_ids: Vec<i64> = events.iter().map(|e| e.series_id).collect();
    let mut installment_ids: Vec<i64> = events.iter().map(|e| e.installment_id).collect();
    let mut interview_ids: Vec<i64> = events.iter().filter_map(|e| e.interview_id).collect();
    for ids in [&mut series_ids, &mut installment_ids, &mut interview_ids] {
        ids.sort_unstable();
        ids.dedup();
    }
    let series: HashMap<i64, series::Model> =
        embargo::by_ids::<series::Entity>(db, Viewer::Public, &series_ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let installments: HashMap<i64, installment::Model> =
        embargo::by_ids::<installment::Entity>(db, Viewer::Public, &installment_ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let interviews: HashMap<i64, interview::Model> = if interview_ids.is_empty() {
        HashMap::new()
    } else {
        embargo::by_ids::<interview::Entity>(db, Viewer::Public, &interview_ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect()
    };
    let mut people: HashMap<i64, Vec<i64>> = HashMap::new();
    for (installment, person) in
        catalog::credit::people_of_installments(db, &installment_ids).await?
    {
        people.entry(installment).or_default().push(person);
    }
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let (Some(series), Some(installment)) = (
            series.get(&event.series_id),
            installments.get(&event.installment_id),
        ) else {
            tracing::error!(position = event.id, "release event refers to a missing row");
            continue;
        };
        out.push(Arc::new(Release {
            series: series.clone(),
            installment: installment.clone(),
            interview: event
                .interview_id
                .and_then(|id| interviews.get(&id).cloned()),
            people: people
                .get(&event.installment_id)
                .cloned()
                .unwrap_or_default(),
            event,
        }));
    }
    Ok(out)
}

/// The number of events after `position` that match `filter`.
pub async fn count_after(db: &impl ConnectionTrait, position: i64, filter: &Filter) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(filter
        .select()
        .filter(release_event::Column::Id.gt(position))
        .count(db)
        .await?)
}

/// One page of the log, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    args: &PageArgs,
) -> Result<Page<release_event::Model>> {
    paging::page(db, filter.select(), KEY, |m| m.id, args).await
}

/// The newest position in the log (0 when empty).
pub async fn last_position(db: &impl ConnectionTrait) -> Result<i64> {
    let max: Option<Option<i64>> = release_event::Entity::find()
        .select_only()
        .column_as(release_event::Column::Id.max(), "max")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}
