//! Exactly one deliverer per endpoint across replicas: an endpoint is leased by one
//! process at a time, until an expiry that its holder keeps renewing. A process that
//! dies stops renewing; once the lease has expired another process claims it.

use chrono::{DateTime, Utc};
use entity::webhook;
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, UpdateMany,
};

use crate::db::Db;
use crate::error::Result;

/// Claims up to `limit` enabled endpoints that nobody holds (or whose lease expired
/// before `now`, or that this process already holds), until `until`. Returns the ids
/// of every endpoint this process now holds.
///
/// One conditional UPDATE; on PostgreSQL its rows are picked with `FOR UPDATE SKIP
/// LOCKED`, so that replicas claiming at the same moment neither wait for nor take
/// each other's endpoints.
pub async fn claim(
    db: &Db,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let free = free(owner, now);
    let mut candidates = Query::select();
    candidates
        .column(webhook::Column::Id)
        .from(webhook::Entity)
        .cond_where(free.clone())
        .limit(limit);
    if db.backend() == DatabaseBackend::Postgres {
        candidates.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let txn = db.begin_write().await?;
    webhook::Entity::update_many()
        .col_expr(webhook::Column::LeaseOwner, Expr::value(owner))
        .col_expr(webhook::Column::LeaseExpiresAt, Expr::value(until))
        .filter(webhook::Column::Id.in_subquery(candidates.to_owned()))
        .filter(free)
        .exec(&*txn)
        .await?;
    let held: Vec<i64> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .filter(webhook::Column::Enabled.eq(true))
        .into_tuple()
        .all(&*txn)
        .await?;
    txn.commit().await?;
    Ok(held)
}

/// The enabled endpoints `owner` may claim at `now`: held by nobody, by `owner`, or
/// on a lease that expired.
fn free(owner: &str, now: DateTime<Utc>) -> Condition {
    Condition::all().add(webhook::Column::Enabled.eq(true)).add(
        Condition::any()
            .add(webhook::Column::LeaseOwner.is_null())
            .add(webhook::Column::LeaseOwner.eq(owner))
            .add(webhook::Column::LeaseExpiresAt.lt(now)),
    )
}

/// Whether any endpoint is there for `owner` to claim at `now`: one read, without the
/// write lock, so that a process with nothing to deliver runs one statement a round.
pub async fn any_free(db: &Db, owner: &str, now: DateTime<Utc>) -> Result<bool> {
    let found: Option<i64> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(free(owner, now))
        .into_tuple()
        .one(db.conn())
        .await?;
    Ok(found.is_some())
}

/// Extends every lease this process holds to `until`.
pub async fn renew(db: &Db, owner: &str, until: DateTime<Utc>) -> Result<u64> {
    let txn = db.begin_write().await?;
    let renewed = webhook::Entity::update_many()
        .col_expr(webhook::Column::LeaseExpiresAt, Expr::value(until))
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(renewed.rows_affected)
}

/// `update`, also leaving the endpoint held by nobody.
pub(super) fn unleased(update: UpdateMany<webhook::Entity>) -> UpdateMany<webhook::Entity> {
    update
        .col_expr(
            webhook::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            webhook::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Gives up this process's lease on endpoint `id`, so that another can take it now.
pub async fn release(db: &Db, owner: &str, id: i64) -> Result<()> {
    let txn = db.begin_write().await?;
    unleased(webhook::Entity::update_many())
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
