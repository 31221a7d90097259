//! Publishing now or on a schedule, and unscheduling.

use chrono::{DateTime, Utc};
use entity::installment;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::release_log::{self, EventKind};
use crate::catalog::{self, now, InstallmentStatus};
use crate::db::Db;
use crate::error::{Error, Result};

/// Publishes now when `at` is absent or not in the future, else schedules.
/// Publishing a PUBLISHED installment returns it unchanged and emits nothing.
pub async fn publish(db: &Db, id: i64, at: Option<DateTime<Utc>>) -> Result<installment::Model> {
    let mut txn = db.begin_write().await?;
    let current = catalog::installment::get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "id"))?;
    if current.status == InstallmentStatus::Published {
        return Ok(current);
    }
    let moment = now();
    match at {
        Some(at) if at > moment => {
            installment::Entity::update_many()
                .col_expr(
                    installment::Column::Status,
                    Expr::value(InstallmentStatus::Scheduled),
                )
                .col_expr(installment::Column::ReleaseAt, Expr::value(at))
                .col_expr(installment::Column::UpdatedAt, Expr::value(moment))
                .filter(installment::Column::Id.eq(id))
                .filter(installment::Column::Status.ne(InstallmentStatus::Published))
                .exec(&*txn)
                .await?;
            let model = reread(&*txn, id).await?;
            txn.schedule_changed().await?;
            txn.commit().await?;
            db.schedule_changed();
            Ok(model)
        }
        _ => {
            let claimed = claim(&*txn, id, moment, None).await?;
            let model = reread(&*txn, id).await?;
            if claimed {
                release_log::append(&mut txn, EventKind::InstallmentPublished, &model, None)
                    .await?;
            }
            txn.commit().await?;
            Ok(model)
        }
    }
}

/// Returns a SCHEDULED installment to DRAFT; a DRAFT one is returned unchanged.
pub async fn unschedule(db: &Db, id: i64) -> Result<installment::Model> {
    let txn = db.begin_write().await?;
    let current = catalog::installment::get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "id"))?;
    match current.status {
        InstallmentStatus::Draft => Ok(current),
        InstallmentStatus::Published => Err(Error::Conflict(
            "the installment is already published".into(),
        )),
        InstallmentStatus::Scheduled => {
            installment::Entity::update_many()
                .col_expr(
                    installment::Column::Status,
                    Expr::value(InstallmentStatus::Draft),
                )
                .col_expr(installment::Column::UpdatedAt, Expr::value(now()))
                .filter(installment::Column::Id.eq(id))
                .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
                .exec(&*txn)
                .await?;
            let model = reread(&*txn, id).await?;
            txn.schedule_changed().await?;
            txn.commit().await?;
            db.schedule_changed();
            Ok(model)
        }
    }
}

async fn reread(db: &impl ConnectionTrait, id: i64) -> Result<installment::Model> {
    catalog::installment::get(db, id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "id"))
}

/// Marks the installment PUBLISHED unless it already is (or, with `due_by`, unless it
/// is not SCHEDULED for a time at or before `due_by`). True when this call won.
async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    moment: DateTime<Utc>,
    due_by: Option<DateTime<Utc>>,
) -> Result<bool> {
    let mut update = installment::Entity::update_many()
        .col_expr(
            installment::Column::Status,
            Expr::value(InstallmentStatus::Published),
        )
        .col_expr(installment::Column::PublishedAt, Expr::value(moment))
        .col_expr(
            installment::Column::ReleaseAt,
            // Not `Expr::cust_with_values("... $1")`: on SQLite that `$1` is left as is
            // and bound to the statement's first value (the status).
            Func::coalesce([
                Expr::col(installment::Column::ReleaseAt).into(),
                Expr::value(moment),
            ])
            .into(),
        )
        .col_expr(installment::Column::UpdatedAt, Expr::value(moment))
        .filter(installment::Column::Id.eq(id));
    update = match due_by {
        Some(due_by) => update
            .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
            .filter(installment::Column::ReleaseAt.lte(due_by)),
        None => update.filter(installment::Column::Status.ne(InstallmentStatus::Published)),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Publishes every SCHEDULED installment that is due, each in its own transaction.
/// Returns how late each one was published, in seconds.
pub async fn publish_due(db: &Db) -> Result<Vec<f64>> {
    let moment = now();
    let due: Vec<(i64, Option<DateTime<Utc>>)> = installment::Entity::find()
        .select_only()
        .column(installment::Column::Id)
        .column(installment::Column::ReleaseAt)
        .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
        .filter(installment::Column::ReleaseAt.lte(moment))
        .order_by_asc(installment::Column::ReleaseAt)
        .into_tuple()
        .all(db.conn())
        .await?;
    let mut lateness = Vec::with_capacity(due.len());
    for (id, release_at) in due {
        let mut txn = db.begin_write().await?;
        let at = now();
        if claim(&*txn, id, at, Some(at)).await? {
            let model = reread(&*txn, id).await?;
            release_log::append(&mut txn, EventKind::InstallmentPublished, &model, None).await?;
            txn.commit().await?;
            if let Some(release_at) = release_at {
                lateness.push((at - release_at).num_microseconds().unwrap_or(0) as f64 / 1e6);
            }
        }
    }
    Ok(lateness)
}

/// When the next SCHEDULED installment falls due.
pub async fn next_due(db: &Db) -> Result<Option<DateTime<Utc>>> {
    let next: Option<Option<DateTime<Utc>>> = installment::Entity::find()
        .select_only()
        .column_as(installment::Column::ReleaseAt.min(), "next")
        .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
        .into_tuple()
        .one(db.conn())
        .await?;
    Ok(next.flatten())
}
