//! The log read after a cursor in one statement: each row joined with its series,
//! installment and interview, and the ids of the people credited on the installment
//! (aggregated per row, so that the limit counts events). What the dispatcher runs per
//! wake-up, and a resuming or lagging subscriber and a webhook per batch.

use std::sync::Arc;

use entity::{installment, interview, release_event, series};
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, QueryResult,
};

use super::{Filter, Release};
use crate::catalog::InstallmentStatus;
use crate::error::{Error, Result};

const EVENT: &str = "e_";
const SERIES: &str = "s_";
const INSTALLMENT: &str = "i_";
const INTERVIEW: &str = "v_";
const PEOPLE: &str = "people";

/// Up to `limit` events after `position` that match `filter`, oldest first, with what
/// they refer to: one statement.
///
/// The log only ever reports released installments (events are appended when an
/// installment is published, and a published one stays so), so a release is the same
/// for every reader. It is read as the public sees it all the same (the installment
/// and the interview joined only when released): were an event to name an unreleased
/// installment, it would be left out, and logged, rather than shown.
pub async fn after(
    db: &impl ConnectionTrait,
    position: i64,
    filter: &Filter,
    limit: u64,
) -> Result<Vec<Arc<Release>>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all(backend.build(&statement(backend, position, filter, limit)))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let event = release_event::Model::from_query_result(&row, EVENT)?;
        let (Some(series), Some(installment)) = (
            joined::<series::Entity>(&row, SERIES)?,
            joined::<installment::Entity>(&row, INSTALLMENT)?,
        ) else {
            tracing::error!(position = event.id, "release event refers to a missing row");
            continue;
        };
        let interview = match event.interview_id {
            Some(_) => joined::<interview::Entity>(&row, INTERVIEW)?,
            None => None,
        };
        let people = people(row.try_get::<Option<String>>("", PEOPLE)?.as_deref())?;
        out.push(Arc::new(Release {
            event,
            series,
            installment,
            interview,
            people,
        }));
    }
    Ok(out)
}

fn statement(
    backend: DatabaseBackend,
    position: i64,
    filter: &Filter,
    limit: u64,
) -> SelectStatement {
    let mut select = Query::select();
    columns::<release_event::Entity>(&mut select, EVENT);
    columns::<series::Entity>(&mut select, SERIES);
    columns::<installment::Entity>(&mut select, INSTALLMENT);
    columns::<interview::Entity>(&mut select, INTERVIEW);
    // The people, as text: `1,2,3` (the aggregate that both backends have, spelt
    // each its own way), NULL when nobody is credited.
    let people = match backend {
        DatabaseBackend::Postgres => "string_agg(CAST(\"credit\".\"person_id\" AS TEXT), ',')",
        _ => "group_concat(\"credit\".\"person_id\", ',')",
    };
    select.expr_as(
        Expr::cust(format!(
            "(SELECT {people} FROM \"credit\" \
             WHERE \"credit\".\"installment_id\" = \"release_event\".\"installment_id\")"
        )),
        Alias::new(PEOPLE),
    );
    let released = InstallmentStatus::Published;
    select
        .from(release_event::Entity)
        .join(
            JoinType::LeftJoin,
            series::Entity,
            Expr::col((series::Entity, series::Column::Id))
                .equals((release_event::Entity, release_event::Column::SeriesId)),
        )
        .join(
            JoinType::LeftJoin,
            installment::Entity,
            Expr::col((installment::Entity, installment::Column::Id))
                .equals((release_event::Entity, release_event::Column::InstallmentId))
                .and(installment::Column::Status.eq(released)),
        )
        .join(
            JoinType::LeftJoin,
            interview::Entity,
            Expr::col((interview::Entity, interview::Column::Id))
                .equals((release_event::Entity, release_event::Column::InterviewId))
                // The embargo of interviews: that of the installment they are about.
                .and(
                    Expr::col((interview::Entity, interview::Column::InstallmentId)).in_subquery(
                        Query::select()
                            .column(installment::Column::Id)
                            .from(installment::Entity)
                            .and_where(installment::Column::Status.eq(released))
                            .to_owned(),
                    ),
                ),
        )
        .cond_where(filter.condition())
        .and_where(release_event::Column::Id.gt(position))
        .order_by(
            (release_event::Entity, release_event::Column::Id),
            Order::Asc,
        )
        .limit(limit);
    select
}

/// Selects every column of `E` as `prefix` + its name.
fn columns<E: EntityTrait>(select: &mut SelectStatement, prefix: &str) {
    for column in E::Column::iter() {
        select.expr_as(
            Expr::col((E::default(), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// The left-joined row of `E` under `prefix`, `None` when the join found none (its
/// primary key is NULL). A row that is there but does not read fails the read.
fn joined<E: EntityTrait>(row: &QueryResult, prefix: &str) -> Result<Option<E::Model>>
where
    E::Model: FromQueryResult,
{
    if row.try_get::<Option<i64>>(prefix, "id")?.is_none() {
        return Ok(None);
    }
    Ok(Some(E::Model::from_query_result(row, prefix)?))
}

/// The person ids of the aggregate (`None`: nobody credited).
fn people(ids: Option<&str>) -> Result<Vec<i64>> {
    let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
        return Ok(Vec::new());
    };
    ids.split(',')
        .map(|id| {
            id.trim()
                .parse()
                .map_err(|_| Error::internal(format!("unreadable person ids {ids:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_people_aggregate_reads_back() {
        assert_eq!(people(None).unwrap(), Vec::<i64>::new());
        assert_eq!(people(Some("")).unwrap(), Vec::<i64>::new());
        assert_eq!(people(Some("7")).unwrap(), vec![7]);
        assert_eq!(people(Some("3,12,5")).unwrap(), vec![3, 12, 5]);
        assert!(people(Some("3,x")).is_err());
    }
}
