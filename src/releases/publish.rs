//! Publishing now or on a schedule, unscheduling, and the scheduler's claims. What a
//! request to publish means is `catalog::publication`'s rule; the log entries and
//! wake-ups are events queued on the write (see `catalog::write`).

use chrono::{DateTime, Utc};
use entity::installment;
use entity::release_event::EventKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, UpdateMany,
};

use crate::catalog::publication::Publication;
use crate::catalog::write::{Event, Transaction, Writer};
use crate::catalog::{self, InstallmentStatus};
use crate::error::{Error, Result};

/// Publishes now when `at` is absent or not in the future, else schedules.
/// Publishing a PUBLISHED installment returns it unchanged and emits nothing.
pub async fn publish(
    writer: &Writer,
    id: i64,
    at: Option<DateTime<Utc>>,
) -> Result<installment::Model> {
    let mut txn = writer.begin().await?;
    let current = reread(&*txn, id).await?;
    if current.status == InstallmentStatus::Published {
        return Ok(current);
    }
    let moment = txn.now();
    match Publication::decide(true, at, moment) {
        Publication::Scheduled(at) => {
            let change = installment::Entity::update_many()
                .col_expr(
                    installment::Column::Status,
                    Expr::value(InstallmentStatus::Scheduled),
                )
                .col_expr(installment::Column::ReleaseAt, Expr::value(at))
                .col_expr(installment::Column::UpdatedAt, Expr::value(moment))
                .filter(installment::Column::Id.eq(id))
                .filter(installment::Column::Status.ne(InstallmentStatus::Published));
            commit_schedule_change(txn, id, change).await
        }
        Publication::Now => {
            let release_at = Publication::release_time(current.release_at, moment);
            let (_, model) = claim(&mut txn, id, moment, release_at, None).await?;
            txn.commit().await?;
            Ok(model)
        }
        Publication::Draft => Ok(current),
    }
}

/// Returns a SCHEDULED installment to DRAFT; a DRAFT one is returned unchanged.
pub async fn unschedule(writer: &Writer, id: i64) -> Result<installment::Model> {
    let txn = writer.begin().await?;
    let current = reread(&*txn, id).await?;
    match current.status {
        InstallmentStatus::Draft => Ok(current),
        InstallmentStatus::Published => Err(Error::Conflict(
            "the installment is already published".into(),
        )),
        InstallmentStatus::Scheduled => {
            let change = installment::Entity::update_many()
                .col_expr(
                    installment::Column::Status,
                    Expr::value(InstallmentStatus::Draft),
                )
                .col_expr(installment::Column::UpdatedAt, Expr::value(txn.now()))
                .filter(installment::Column::Id.eq(id))
                .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled));
            commit_schedule_change(txn, id, change).await
        }
    }
}

/// Runs `change` (an update of installment `id`'s schedule), then commits it with its
/// `ScheduleChanged` event and returns the installment as it now is.
async fn commit_schedule_change(
    mut txn: Transaction,
    id: i64,
    change: UpdateMany<installment::Entity>,
) -> Result<installment::Model> {
    change.exec(&*txn).await?;
    let model = reread(&*txn, id).await?;
    txn.queue(Event::ScheduleChanged);
    txn.commit().await?;
    Ok(model)
}

async fn reread(db: &impl ConnectionTrait, id: i64) -> Result<installment::Model> {
    catalog::installment::get(db, id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "id"))
}

/// Marks the installment PUBLISHED at `moment` with `release_at` unless it already
/// is (or, with `due_by`, unless it is not SCHEDULED for a time at or before
/// `due_by`); when this call won, queues the publication. Returns whether it won,
/// and the row as it is.
async fn claim(
    txn: &mut Transaction,
    id: i64,
    moment: DateTime<Utc>,
    release_at: DateTime<Utc>,
    due_by: Option<DateTime<Utc>>,
) -> Result<(bool, installment::Model)> {
    let mut update = installment::Entity::update_many()
        .col_expr(
            installment::Column::Status,
            Expr::value(InstallmentStatus::Published),
        )
        .col_expr(installment::Column::PublishedAt, Expr::value(moment))
        .col_expr(installment::Column::ReleaseAt, Expr::value(release_at))
        .col_expr(installment::Column::UpdatedAt, Expr::value(moment))
        .filter(installment::Column::Id.eq(id));
    update = match due_by {
        Some(due_by) => update
            .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
            .filter(installment::Column::ReleaseAt.lte(due_by)),
        None => update.filter(installment::Column::Status.ne(InstallmentStatus::Published)),
    };
    let won = update.exec(&**txn).await?.rows_affected == 1;
    let model = reread(&**txn, id).await?;
    if won {
        txn.queue(Event::release(
            EventKind::InstallmentPublished,
            &model,
            moment,
        ));
    }
    Ok((won, model))
}

/// Publishes every SCHEDULED installment that is due, each in its own transaction.
/// Returns how late each one was published, in seconds.
pub async fn publish_due(writer: &Writer) -> Result<Vec<f64>> {
    let moment = writer.clock().now();
    let due: Vec<(i64, Option<DateTime<Utc>>)> = installment::Entity::find()
        .select_only()
        .column(installment::Column::Id)
        .column(installment::Column::ReleaseAt)
        .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
        .filter(installment::Column::ReleaseAt.lte(moment))
        .order_by_asc(installment::Column::ReleaseAt)
        .into_tuple()
        .all(writer.db().conn())
        .await?;
    let mut lateness = Vec::with_capacity(due.len());
    for (id, release_at) in due {
        let mut txn = writer.begin().await?;
        let at = txn.now();
        let planned = Publication::release_time(release_at, at);
        let (won, _) = claim(&mut txn, id, at, planned, Some(at)).await?;
        txn.commit().await?;
        if let (true, Some(release_at)) = (won, release_at) {
            lateness.push((at - release_at).num_microseconds().unwrap_or(0) as f64 / 1e6);
        }
    }
    Ok(lateness)
}

/// When the next SCHEDULED installment falls due.
pub async fn next_due(writer: &Writer) -> Result<Option<DateTime<Utc>>> {
    let next: Option<Option<DateTime<Utc>>> = installment::Entity::find()
        .select_only()
        .column_as(installment::Column::ReleaseAt.min(), "next")
        .filter(installment::Column::Status.eq(InstallmentStatus::Scheduled))
        .into_tuple()
        .one(writer.db().conn())
        .await?;
    Ok(next.flatten())
}
