//! The outcome of each delivery attempt, recorded with the state change it causes in
//! one transaction (a 2xx moves the cursor in the same step that records it), the
//! record's pruning, and its listing, newest first.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{release_event, webhook, webhook_delivery};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Set, UpdateMany,
};

use super::{lease, store};
use crate::catalog::now;
use crate::catalog::paging::{Page, PageArgs};
use crate::db::{Db, WriteTxn};
use crate::error::Result;
use crate::releases::release_log::{self, Release};

/// One attempt to deliver one event.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub webhook_id: i64,
    pub event_id: i64,
    pub message_id: String,
    /// 1 for the first attempt at this event.
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// Inserts the record of `attempt` unless its endpoint was deleted meanwhile.
async fn insert(
    txn: &WriteTxn,
    attempt: &Attempt,
    next_attempt_at: Option<DateTime<Utc>>,
    changed: bool,
) -> Result<()> {
    if !changed && store::get(&**txn, attempt.webhook_id).await?.is_none() {
        return Ok(());
    }
    webhook_delivery::ActiveModel {
        webhook_id: Set(attempt.webhook_id),
        event_id: Set(attempt.event_id),
        message_id: Set(attempt.message_id.clone()),
        attempt: Set(attempt.attempt),
        attempted_at: Set(attempt.attempted_at),
        status_code: Set(attempt.status_code),
        error: Set(attempt.error.clone()),
        duration_ms: Set(attempt.duration_ms),
        next_attempt_at: Set(next_attempt_at),
        ..Default::default()
    }
    .insert(&**txn)
    .await?;
    Ok(())
}

/// `update`, also clearing the endpoint's count of failed attempts.
fn no_failures(update: UpdateMany<webhook::Entity>) -> UpdateMany<webhook::Entity> {
    update
        .col_expr(webhook::Column::Attempts, Expr::value(0))
        .col_expr(
            webhook::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// A 2xx: records it and moves the cursor from `from` to the event, in one
/// transaction. False when the cursor was no longer at `from` (another deliverer
/// recorded it first) or the endpoint is gone.
pub async fn acknowledged(db: &Db, from: i64, attempt: &Attempt) -> Result<bool> {
    let txn = db.begin_write_outside_catalogue().await?;
    let moved = no_failures(webhook::Entity::update_many())
        .col_expr(webhook::Column::Cursor, Expr::value(attempt.event_id))
        .col_expr(webhook::Column::NextAttemptAt, Expr::value(now()))
        .filter(webhook::Column::Id.eq(attempt.webhook_id))
        .filter(webhook::Column::Cursor.eq(from))
        .exec(&*txn)
        .await?
        .rows_affected
        == 1;
    insert(&txn, attempt, None, moved).await?;
    txn.commit().await?;
    Ok(moved)
}

/// A failure to retry at `next`: counts it, and notes when the failures began.
pub async fn failed(
    db: &Db,
    owner: &str,
    from: i64,
    attempt: &Attempt,
    failing_since: DateTime<Utc>,
    next: DateTime<Utc>,
) -> Result<()> {
    let txn = db.begin_write_outside_catalogue().await?;
    let changed = webhook::Entity::update_many()
        .col_expr(webhook::Column::Attempts, Expr::value(attempt.attempt))
        .col_expr(webhook::Column::FailingSince, Expr::value(failing_since))
        .col_expr(webhook::Column::NextAttemptAt, Expr::value(next))
        .filter(webhook::Column::Id.eq(attempt.webhook_id))
        .filter(webhook::Column::Cursor.eq(from))
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .exec(&*txn)
        .await?
        .rows_affected
        == 1;
    insert(&txn, attempt, Some(next), changed).await?;
    txn.commit().await?;
    Ok(())
}

/// The endpoint answered 410 or exhausted its retry budget: disables it with `reason`.
pub async fn disable(db: &Db, attempt: &Attempt, reason: &str) -> Result<()> {
    let txn = db.begin_write_outside_catalogue().await?;
    let changed = lease::unleased(no_failures(webhook::Entity::update_many()))
        .col_expr(webhook::Column::Enabled, Expr::value(false))
        .col_expr(webhook::Column::DisabledReason, Expr::value(reason))
        .col_expr(webhook::Column::UpdatedAt, Expr::value(now()))
        .filter(webhook::Column::Id.eq(attempt.webhook_id))
        .exec(&*txn)
        .await?
        .rows_affected
        == 1;
    insert(&txn, attempt, None, changed).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the records of attempts made before `before`.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64> {
    let txn = db.begin_write_outside_catalogue().await?;
    let deleted = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::AttemptedAt.lt(before))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(deleted.rows_affected)
}

/// One page of an endpoint's attempts, newest first: `first`/`after` go back in
/// time, `last`/`before` forward.
pub async fn list(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    args: &PageArgs,
) -> Result<Page<webhook_delivery::Model>> {
    let id = webhook_delivery::Column::Id;
    let mut select =
        webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    if let Some(after) = args.after {
        select = select.filter(id.lt(after));
    }
    if let Some(before) = args.before {
        select = select.filter(id.gt(before));
    }
    // Newest first: the keyset order of `catalog::paging`, reversed.
    let (order, limit) = args.plan();
    let order = match order {
        Order::Asc => Order::Desc,
        _ => Order::Asc,
    };
    let rows = select.order_by(id, order).limit(limit).all(db).await?;
    Ok(args.finish(rows.into_iter().map(|m| (m.id, m)).collect()))
}

/// The release events the attempts delivered, by position.
pub async fn events_of(
    db: &impl ConnectionTrait,
    deliveries: &[webhook_delivery::Model],
) -> Result<HashMap<i64, Arc<Release>>> {
    let mut ids: Vec<i64> = deliveries.iter().map(|d| d.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let events = release_event::Entity::find()
        .filter(release_event::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(release_log::load(db, events)
        .await?
        .into_iter()
        .map(|r| (r.event.id, r))
        .collect())
}

/// One page of an endpoint's attempts, newest first, with the events they delivered.
pub async fn history(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    args: &PageArgs,
) -> Result<Page<(webhook_delivery::Model, Arc<Release>)>> {
    let page = list(db, webhook_id, args).await?;
    let deliveries: Vec<webhook_delivery::Model> =
        page.items.iter().map(|(_, m)| m.clone()).collect();
    let events = events_of(db, &deliveries).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .filter_map(|(key, m)| {
                let event = events.get(&m.event_id)?.clone();
                Some((key, (m, event)))
            })
            .collect(),
        has_previous: page.has_previous,
        has_next: page.has_next,
    })
}
