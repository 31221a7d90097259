//! `Installment`, its queries and mutations (including publishing).

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::installment as model;

use super::credit::Credit;
use super::guard::{viewer, AdminGuard};
use super::ids::{self, Kind};
use super::interview::Interview;
use super::loaders::{Credits, InstallmentId, Interviews, Loaders, Parent, SeriesId};
use super::paging::{self, CountedConnection, TotalCount};
use super::series::Series;
use super::state;
use crate::catalog::{self, CreditRole, InstallmentStatus};
use crate::error::Error;
use crate::releases;

pub struct Installment(pub model::Model);

/// A season or part of a series, e.g. `Soundtrack #2`. Under embargo until it is
/// published: without an admin credential, a DRAFT or SCHEDULED installment does not
/// exist (in no list, count or reference, and `node(id:)` is null), nor do its credits
/// and interviews.
#[Object]
impl Installment {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Installment, self.0.id)
    }

    async fn series(&self, ctx: &Context<'_>) -> Result<Series> {
        ctx.data_unchecked::<Loaders>()
            .load_one(SeriesId(self.0.series_id))
            .await?
            .map(Series)
            .ok_or_else(|| Error::internal("installment without its series").into())
    }

    /// Position in the series: 2 for `Soundtrack #2`. Unique within a series.
    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn synopsis(&self) -> Option<&str> {
        self.0.synopsis.as_deref()
    }

    async fn episode_count(&self) -> Option<i32> {
        self.0.episode_count
    }

    async fn status(&self) -> InstallmentStatus {
        self.0.status
    }

    /// Planned or actual release time.
    async fn release_at(&self) -> Option<DateTime<Utc>> {
        self.0.release_at
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    async fn credits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        role: Option<CreditRole>,
    ) -> Result<CountedConnection<Credit>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let list = Credits(Parent::Installment, role);
        paging::nested(ctx, list, self.0.id, args, Credit::with_person).await
    }

    async fn interviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<Interview>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let list = Interviews(Parent::Installment);
        paging::nested(ctx, list, self.0.id, args, Interview).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The installment a credit or an interview (`what`) belongs to, as the viewer sees it.
pub(super) async fn owner(ctx: &Context<'_>, id: i64, what: &str) -> Result<Installment> {
    ctx.data_unchecked::<Loaders>()
        .load_one(InstallmentId {
            id,
            viewer: viewer(ctx),
        })
        .await?
        .map(Installment)
        .ok_or_else(|| Error::internal(format!("{what} without its installment")).into())
}

#[derive(InputObject)]
pub struct InstallmentFilter {
    series_id: Option<ID>,
    /// DRAFT and SCHEDULED need an admin credential (else FORBIDDEN).
    status: Option<InstallmentStatus>,
    released_after: Option<DateTime<Utc>>,
    released_before: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CreateInstallmentInput {
    series_id: ID,
    number: i32,
    /// Defaults to `<series title> #<number>`.
    title: Option<String>,
    synopsis: Option<String>,
    episode_count: Option<i32>,
    release_at: Option<DateTime<Utc>>,
    /// false (default): DRAFT. true: PUBLISHED now when `releaseAt` is absent or not
    /// in the future, else SCHEDULED and published automatically at `releaseAt`.
    #[graphql(default_with = "Some(false)")]
    publish: Option<bool>,
}

#[derive(InputObject)]
pub struct UpdateInstallmentInput {
    title: Option<String>,
    synopsis: Option<String>,
    episode_count: Option<i32>,
    release_at: Option<DateTime<Utc>>,
}

move_fields!(UpdateInstallmentInput => catalog::installment::InstallmentChanges {
    title, synopsis, episode_count, release_at
});

#[derive(Default)]
pub struct InstallmentQuery;

#[Object]
impl InstallmentQuery {
    /// Every installment, by id. Without an admin credential, only the PUBLISHED ones
    /// (and `totalCount` counts only them); `filter.status` DRAFT or SCHEDULED is then
    /// FORBIDDEN.
    async fn all_installments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<InstallmentFilter>,
    ) -> Result<CountedConnection<Installment>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let filter = match filter {
            None => catalog::installment::Filter::default(),
            Some(f) => catalog::installment::Filter {
                series_id: f
                    .series_id
                    .map(|id| ids::decode("filter.seriesId", Kind::Series, &id))
                    .transpose()?,
                status: f.status,
                released_after: f.released_after,
                released_before: f.released_before,
            },
        };
        let (db, viewer) = (state::db(ctx).conn(), viewer(ctx));
        let page = catalog::installment::list(db, viewer, &filter, &args).await?;
        Ok(paging::connection(
            page,
            TotalCount::Installments(viewer, filter),
            Installment,
        ))
    }
}

#[derive(Default)]
pub struct InstallmentMutation;

#[Object]
impl InstallmentMutation {
    #[graphql(guard = "AdminGuard")]
    async fn create_installment(
        &self,
        ctx: &Context<'_>,
        input: CreateInstallmentInput,
    ) -> Result<Installment> {
        let series_id = ids::decode("input.seriesId", Kind::Series, &input.series_id)?;
        let created = catalog::installment::create(
            state::writer(ctx),
            catalog::installment::NewInstallment {
                series_id,
                number: input.number,
                title: input.title,
                synopsis: input.synopsis,
                episode_count: input.episode_count,
                release_at: input.release_at,
                publish: input.publish.unwrap_or(false),
            },
        )
        .await?;
        Ok(Installment(created))
    }

    #[graphql(guard = "AdminGuard")]
    async fn update_installment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateInstallmentInput,
    ) -> Result<Installment> {
        let id = ids::decode("id", Kind::Installment, &id)?;
        let updated = catalog::installment::update(state::writer(ctx), id, input.into()).await?;
        Ok(Installment(updated))
    }

    /// Publishes a DRAFT or SCHEDULED installment: now when `at` is absent or not in
    /// the future, else schedules it. Publishing a PUBLISHED one returns it unchanged
    /// and emits no second event.
    #[graphql(guard = "AdminGuard")]
    async fn publish_installment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: Option<DateTime<Utc>>,
    ) -> Result<Installment> {
        let id = ids::decode("id", Kind::Installment, &id)?;
        let published = releases::publish::publish(state::writer(ctx), id, at).await?;
        Ok(Installment(published))
    }

    /// Returns a SCHEDULED installment to DRAFT.
    #[graphql(guard = "AdminGuard")]
    async fn unschedule_installment(&self, ctx: &Context<'_>, id: ID) -> Result<Installment> {
        let id = ids::decode("id", Kind::Installment, &id)?;
        let draft = releases::publish::unschedule(state::writer(ctx), id).await?;
        Ok(Installment(draft))
    }

    /// Refused with CONFLICT for a PUBLISHED installment.
    #[graphql(guard = "AdminGuard")]
    async fn delete_installment(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = ids::decode("id", Kind::Installment, &id)?;
        catalog::installment::delete(state::writer(ctx), row).await?;
        Ok(id)
    }
}
