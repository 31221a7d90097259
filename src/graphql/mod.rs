//! Schema assembly: one module per type family, merged into the roots.

pub mod batching;
pub mod codes;
pub mod credit;
pub mod event_ids;
pub mod gate;
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
pub mod state;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Data, MergedObject, MergedSubscription, Response, Schema, SchemaBuilder};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::db::Db;
use crate::AppState;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    series::SeriesQuery,
    installment::InstallmentQuery,
    person::PersonQuery,
    release::ReleaseQuery,
    webhook::WebhookQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    series::SeriesMutation,
    installment::InstallmentMutation,
    person::PersonMutation,
    credit::CreditMutation,
    interview::InterviewMutation,
    webhook::WebhookMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(release::ReleaseSubscription);

/// async-graphql's schema of the gateway. It has no extensions: see [`AppSchema`].
pub type GraphQLSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with the gateway's hooks around execution: per-request batching
/// ([`batching::with_loaders`]) and error codes ([`codes::classify`]). It runs only
/// requests that passed the request gate ([`gate::Gate::prepare`], reached with
/// [`AppSchema::gate`]); [`AppSchema::gated`] is the schema behind the gate for
/// sessions that read requests themselves (WebSocket). The hooks are not schema
/// extensions: with any extension registered, async-graphql sends every field of
/// every response through its extension chain (a registry lookup, a type-name string
/// and boxed futures per field), which cost a fifth of the CPU of a nested query and
/// of each subscription event (BENCHMARKS.md).
#[derive(Clone)]
pub struct AppSchema {
    schema: GraphQLSchema,
    gate: gate::Gate,
    db: Db,
}

fn coded(mut response: Response) -> Response {
    codes::classify(&mut response.errors);
    response
}

impl AppSchema {
    /// The request gate every request goes through before it runs.
    pub fn gate(&self) -> &gate::Gate {
        &self.gate
    }

    /// This schema behind its gate, as async-graphql's `Executor`.
    pub fn gated(&self) -> gate::Gated {
        gate::Gated(self.clone())
    }

    /// Runs a query or mutation (a subscription gives its first response).
    pub async fn execute(&self, prepared: gate::Prepared) -> Response {
        let schema = &self.schema;
        let response = batching::with_loaders(&self.db, prepared.into_request(), |request| {
            Box::pin(schema.execute(request))
        })
        .await;
        coded(response)
    }

    /// Runs a request as a stream of responses: a subscription's events, or the one
    /// response of a query or mutation.
    pub fn execute_stream(
        &self,
        prepared: gate::Prepared,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let mut request = prepared.into_request();
        if batching::is_subscription(&mut request) {
            return self
                .schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default())
                .map(coded)
                .boxed();
        }
        let this = self.clone();
        futures_util::stream::once(async move {
            let schema = &this.schema;
            let response = batching::with_loaders(&this.db, request, |request| {
                Box::pin(async move {
                    schema
                        .execute_stream_with_session_data(request, session_data.unwrap_or_default())
                        .next()
                        .await
                        .unwrap_or_default()
                })
            })
            .await;
            coded(response)
        })
        .boxed()
    }
}

/// The schema, with no limit of its own: the gate applies them all, so none of
/// async-graphql's errors is a limit (its recursion bound is the gate's, which is
/// never passed).
fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_recursive_depth(limits::MAX_SELECTION_NESTING)
}

/// The schema serving `state`.
pub fn schema(state: AppState) -> AppSchema {
    let loaders = loaders::shared(state.db.clone(), Duration::from_millis(1));
    let db = state.db.clone();
    let settings = state.settings.clone();
    let metrics = state.metrics.clone();
    let schema = builder().data(loaders).data(state).finish();
    let gate = gate::Gate::new(&settings, &schema.sdl(), metrics);
    AppSchema { schema, gate, db }
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
