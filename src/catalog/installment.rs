//! Installments: lookups, listing, create (optionally published), update, delete.

use chrono::{DateTime, Utc};
use entity::{installment, series};
use sea_orm::sea_query::{BinOper, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, Set,
};

use entity::release_event::EventKind;

use super::embargo::Viewer;
use super::paging::{self, Key, Lists, Page, PageArgs};
use super::publication::Publication;
use super::write::{Event, Writer};
use super::{validate, InstallmentStatus};
use crate::error::{Error, Result};

pub const KEY: Key = Key {
    table: "installment",
    column: "id",
};
/// Within one series, installments are ordered by number.
pub const NUMBER_KEY: Key = Key {
    table: "installment",
    column: "number",
};
pub const SERIES: Key = Key {
    table: "installment",
    column: "series_id",
};

/// Narrows `allInstallments`; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub series_id: Option<i64>,
    pub status: Option<InstallmentStatus>,
    pub released_after: Option<DateTime<Utc>>,
    pub released_before: Option<DateTime<Utc>>,
}

pub struct NewInstallment {
    pub series_id: i64,
    pub number: i32,
    pub title: Option<String>,
    pub synopsis: Option<String>,
    pub episode_count: Option<i32>,
    pub release_at: Option<DateTime<Utc>>,
    pub publish: bool,
}

/// Fields to change; `None` leaves a field as it is.
pub struct InstallmentChanges {
    pub title: Option<String>,
    pub synopsis: Option<String>,
    pub episode_count: Option<i32>,
    pub release_at: Option<DateTime<Utc>>,
}

/// The installments `viewer` sees that match `filter`; FORBIDDEN when the filter asks
/// for an unreleased status without the credential.
fn filtered(viewer: Viewer, filter: &Filter) -> Result<sea_orm::Select<installment::Entity>> {
    viewer.may_ask("filter.status", filter.status)?;
    let mut select = viewer.installments(installment::Entity::find());
    if let Some(series_id) = filter.series_id {
        select = select.filter(installment::Column::SeriesId.eq(series_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(installment::Column::Status.eq(status));
    }
    // `releaseAt` is the planned or actual release time (a back-catalogue installment
    // published today may have been released years ago).
    if let Some(after) = filter.released_after {
        select = select.filter(installment::Column::ReleaseAt.gt(after));
    }
    if let Some(before) = filter.released_before {
        select = select.filter(installment::Column::ReleaseAt.lt(before));
    }
    Ok(select)
}

/// The installments `viewer` sees of `status` (any when `None`). An unreleased status
/// asked for without the credential matches nothing (callers refuse it first, see
/// [`Viewer::may_ask`]).
fn of_status(
    viewer: Viewer,
    status: Option<InstallmentStatus>,
) -> sea_orm::Select<installment::Entity> {
    let select = viewer.installments(installment::Entity::find());
    match status {
        Some(status) => select.filter(installment::Column::Status.eq(status)),
        None => select,
    }
}

/// One page of the installments `viewer` sees that match `filter`.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    filter: &Filter,
    args: &PageArgs,
) -> Result<Page<installment::Model>> {
    paging::page(db, filtered(viewer, filter)?, KEY, |m| m.id, args).await
}

pub async fn count(db: &impl ConnectionTrait, viewer: Viewer, filter: &Filter) -> Result<u64> {
    Ok(filtered(viewer, filter)?.count(db).await?)
}

/// The lists of the installments `viewer` sees of each series, of `status` (any when
/// `None`), ordered by number.
pub fn of_series(viewer: Viewer, status: Option<InstallmentStatus>) -> Lists<installment::Entity> {
    Lists::new(of_status(viewer, status), SERIES, NUMBER_KEY, |m| {
        i64::from(m.number)
    })
}

/// Any installment, whatever its status: for the operations that change it.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<installment::Model>> {
    Ok(installment::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_number(
    db: &impl ConnectionTrait,
    series_id: i64,
    number: i32,
) -> Result<Option<installment::Model>> {
    Ok(installment::Entity::find()
        .filter(installment::Column::SeriesId.eq(series_id))
        .filter(installment::Column::Number.eq(number))
        .one(db)
        .await?)
}

fn duplicate(number: i32) -> Error {
    Error::Conflict(format!(
        "the series already has an installment number {number}"
    ))
}

pub async fn create(writer: &Writer, input: NewInstallment) -> Result<installment::Model> {
    let number = validate::positive("input.number", input.number)?;
    let title = input
        .title
        .map(|t| validate::name("input.title", &t))
        .transpose()?;
    let synopsis = validate::optional_text("input.synopsis", input.synopsis, validate::MAX_TEXT)?;
    let episode_count = input
        .episode_count
        .map(|n| validate::positive("input.episodeCount", n))
        .transpose()?;
    let mut txn = writer.begin().await?;
    let at = txn.now();
    let publication = Publication::decide(input.publish, input.release_at, at);
    let published = publication == Publication::Now;
    let release_at = if published {
        Some(Publication::release_time(input.release_at, at))
    } else {
        input.release_at
    };
    // One statement: the series is read by the insert itself (no row when it does not
    // exist, so nothing is written), and the unique index on (series, number) is the
    // duplicate check.
    let title = match title {
        Some(title) => Expr::val(title).into(),
        None => Expr::col((series::Entity, series::Column::Title))
            .binary(BinOper::Custom("||"), Expr::val(format!(" #{number}"))),
    };
    let source = Query::select()
        .expr(Expr::col((series::Entity, series::Column::Id)))
        .expr(Expr::val(number))
        .expr(title)
        .expr(Expr::val(synopsis))
        .expr(Expr::val(episode_count))
        .expr(Expr::val(publication.status()))
        .expr(Expr::val(release_at))
        .expr(Expr::val(published.then_some(at)))
        .expr(Expr::val(at))
        .expr(Expr::val(at))
        .from(series::Entity)
        .and_where(Expr::col((series::Entity, series::Column::Id)).eq(input.series_id))
        .to_owned();
    let insert = Query::insert()
        .into_table(installment::Entity)
        .columns([
            installment::Column::SeriesId,
            installment::Column::Number,
            installment::Column::Title,
            installment::Column::Synopsis,
            installment::Column::EpisodeCount,
            installment::Column::Status,
            installment::Column::ReleaseAt,
            installment::Column::PublishedAt,
            installment::Column::CreatedAt,
            installment::Column::UpdatedAt,
        ])
        .select_from(source)
        .map_err(Error::internal)?
        .returning_all()
        .to_owned();
    let model = installment::Model::find_by_statement(txn.get_database_backend().build(&insert))
        .one(&*txn)
        .await
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => duplicate(number),
            other => other,
        })?
        .ok_or_else(|| Error::not_found("series", "input.seriesId"))?;
    match publication {
        Publication::Now => txn.queue(Event::release(EventKind::InstallmentPublished, &model, at)),
        Publication::Scheduled(_) => txn.queue(Event::ScheduleChanged),
        Publication::Draft => {}
    }
    txn.commit().await?;
    Ok(model)
}

pub async fn update(
    writer: &Writer,
    id: i64,
    changes: InstallmentChanges,
) -> Result<installment::Model> {
    let title = changes
        .title
        .map(|t| validate::name("input.title", &t))
        .transpose()?;
    let synopsis = changes
        .synopsis
        .map(|t| validate::optional_text("input.synopsis", Some(t), validate::MAX_TEXT))
        .transpose()?;
    let episode_count = changes
        .episode_count
        .map(|n| validate::positive("input.episodeCount", n))
        .transpose()?;
    let mut txn = writer.begin().await?;
    let current = get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "id"))?;
    let status = current.status;
    let mut active: installment::ActiveModel = current.into();
    if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(synopsis) = synopsis {
        active.synopsis = Set(synopsis);
    }
    if let Some(episode_count) = episode_count {
        active.episode_count = Set(Some(episode_count));
    }
    let reschedules = changes.release_at.is_some() && status == InstallmentStatus::Scheduled;
    if let Some(release_at) = changes.release_at {
        active.release_at = Set(Some(release_at));
    }
    active.updated_at = Set(txn.now());
    let model = active.update(&*txn).await?;
    if status == InstallmentStatus::Published {
        let at = model.updated_at;
        txn.queue(Event::release(EventKind::InstallmentUpdated, &model, at));
    }
    if reschedules {
        txn.queue(Event::ScheduleChanged);
    }
    txn.commit().await?;
    Ok(model)
}

/// Deletes an unpublished installment with its credits and interviews.
pub async fn delete(writer: &Writer, id: i64) -> Result<()> {
    let txn = writer.begin().await?;
    let current = get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "id"))?;
    if current.status == InstallmentStatus::Published {
        return Err(Error::Conflict(
            "a published installment cannot be deleted".into(),
        ));
    }
    installment::Entity::delete_by_id(id).exec(&*txn).await?;
    txn.commit().await?;
    Ok(())
}
