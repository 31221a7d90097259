//! Schema assembly: one module per type family, merged into the roots.

pub mod batching;
pub mod codes;
pub mod credit;
pub mod guard;
pub mod ids;
pub mod installment;
pub mod interview;
pub mod limits;
pub mod loaders;
pub mod node;
pub mod paging;
pub mod person;
pub mod release;
pub mod series;

use std::time::Duration;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::config::Settings;
use crate::AppState;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    series::SeriesQuery,
    installment::InstallmentQuery,
    person::PersonQuery,
    release::ReleaseQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    series::SeriesMutation,
    installment::InstallmentMutation,
    person::PersonMutation,
    credit::CreditMutation,
    interview::InterviewMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(release::ReleaseSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder(settings: &Settings) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(codes::ErrorCodes)
    .extension(limits::Limits::new(settings))
    .limit_depth(settings.max_depth)
    .limit_complexity(settings.max_complexity);
    if settings.introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

/// The schema serving `state`.
pub fn schema(state: AppState) -> AppSchema {
    let loaders = loaders::shared(state.db.clone(), Duration::from_millis(1));
    builder(&state.settings.clone())
        .extension(batching::Batching::new(state.db.clone()))
        .data(loaders)
        .data(state)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let settings = Settings::for_database("sqlite::memory:");
    builder(&settings).finish().sdl()
}
