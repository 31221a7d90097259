//! `Series`, its queries and mutations.

use async_graphql::{Context, InputObject, Object, Result, ID};
use entity::series as model;

use super::guard::{viewer, AdminGuard};
use super::ids::{self, Kind};
use super::installment::Installment;
use super::loaders::{LatestOf, Loaders, SeriesInstallments};
use super::paging::{self, CountedConnection, TotalCount};
use super::state;
use crate::catalog::{self, decode_list, InstallmentStatus};

pub struct Series(pub model::Model);

#[Object]
impl Series {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Series, self.0.id)
    }

    /// URL-safe unique key, e.g. `soundtrack`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn original_title(&self) -> Option<&str> {
        self.0.original_title.as_deref()
    }

    /// Where it streams or airs, e.g. `Disney+`.
    async fn network(&self) -> Option<&str> {
        self.0.network.as_deref()
    }

    async fn genres(&self) -> Vec<String> {
        decode_list(&self.0.genres)
    }

    async fn synopsis(&self) -> Option<&str> {
        self.0.synopsis.as_deref()
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The installments, by number. Without an admin credential, only the PUBLISHED
    /// ones (and `totalCount` counts only them); `status` DRAFT or SCHEDULED is then
    /// FORBIDDEN.
    async fn installments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        status: Option<InstallmentStatus>,
    ) -> Result<CountedConnection<Installment>> {
        let args = paging::args(ctx, first, after, last, before)?;
        viewer(ctx).may_ask("status", status)?;
        let list = SeriesInstallments(status);
        paging::nested(ctx, list, self.0.id, args, Installment).await
    }

    /// The published installment with the highest number, if any.
    async fn latest_installment(&self, ctx: &Context<'_>) -> Result<Option<Installment>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(LatestOf(self.0.id))
            .await?
            .map(Installment))
    }
}

#[derive(InputObject)]
pub struct SeriesFilter {
    /// Case-insensitive substring of title or original title.
    search: Option<String>,
    network: Option<String>,
    genre: Option<String>,
}

#[derive(InputObject)]
pub struct CreateSeriesInput {
    slug: String,
    title: String,
    original_title: Option<String>,
    network: Option<String>,
    genres: Option<Vec<String>>,
    synopsis: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateSeriesInput {
    title: Option<String>,
    original_title: Option<String>,
    network: Option<String>,
    genres: Option<Vec<String>>,
    synopsis: Option<String>,
}

move_fields!(CreateSeriesInput => catalog::series::NewSeries {
    slug, title, original_title, network, genres, synopsis
});

move_fields!(UpdateSeriesInput => catalog::series::SeriesChanges {
    title, original_title, network, genres, synopsis
});

#[derive(Default)]
pub struct SeriesQuery;

#[Object]
impl SeriesQuery {
    async fn series_by_slug(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Series>> {
        let db = state::db(ctx).conn();
        Ok(catalog::series::by_slug(db, &slug).await?.map(Series))
    }

    async fn all_series(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SeriesFilter>,
    ) -> Result<CountedConnection<Series>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let filter = filter
            .map(|f| catalog::series::Filter {
                search: f.search,
                network: f.network,
                genre: f.genre,
            })
            .unwrap_or_default();
        let db = state::db(ctx).conn();
        let page = catalog::series::list(db, &filter, &args).await?;
        Ok(paging::connection(page, TotalCount::Series(filter), Series))
    }
}

#[derive(Default)]
pub struct SeriesMutation;

#[Object]
impl SeriesMutation {
    #[graphql(guard = "AdminGuard")]
    async fn create_series(&self, ctx: &Context<'_>, input: CreateSeriesInput) -> Result<Series> {
        let created = catalog::series::create(state::writer(ctx), input.into()).await?;
        Ok(Series(created))
    }

    #[graphql(guard = "AdminGuard")]
    async fn update_series(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSeriesInput,
    ) -> Result<Series> {
        let id = ids::decode("id", Kind::Series, &id)?;
        let updated = catalog::series::update(state::writer(ctx), id, input.into()).await?;
        Ok(Series(updated))
    }

    /// Refused with CONFLICT while the series has a published installment.
    #[graphql(guard = "AdminGuard")]
    async fn delete_series(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = ids::decode("id", Kind::Series, &id)?;
        catalog::series::delete(state::writer(ctx), row).await?;
        Ok(id)
    }
}
