//! Schema assembly: one module per type family, merged into the roots.

/// `impl From<$input> for $target`, moving each field to the field of the same name:
/// a GraphQL input into the catalogue's own type, which knows no GraphQL. Both sides
/// are exhaustive (no `..`), so a field added to either without the other is a
/// compile error. A macro, as no generic can name struct fields.
macro_rules! move_fields {
    ($input:ident => $target:path { $($field:ident),+ $(,)? }) => {
        impl From<$input> for $target {
            fn from($input { $($field),+ }: $input) -> Self {
                Self { $($field),+ }
            }
        }
    };
}

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

use std::any::TypeId;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{
    Data, ErrorExtensions, MergedObject, MergedSubscription, Request, Response, Schema,
    SchemaBuilder, ServerError,
};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::cache::ResponseCache;
use crate::db::Db;
use crate::persisted::Persisted;
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
    reads: Arc<Reads>,
}

/// What the read path shares: the persisted queries and the response cache.
struct Reads {
    persisted: Persisted,
    responses: ResponseCache,
}

/// Whether the request, or the session it runs in, carries the admin credential.
fn is_admin(request: &Request, session: Option<&Data>) -> bool {
    let admin = TypeId::of::<guard::Admin>();
    request.data.contains_key(&admin) || session.is_some_and(|data| data.contains_key(&admin))
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

    /// The persisted queries (automatic, and the trusted documents' manifest).
    pub fn persisted(&self) -> &Persisted {
        &self.reads.persisted
    }

    /// The response cache of anonymous queries.
    pub fn responses(&self) -> &ResponseCache {
        &self.reads.responses
    }

    /// The trusted documents' manifest, on every transport: anonymous requests run
    /// only listed operations.
    fn admit(&self, request: &Request, session: Option<&Data>) -> Result<(), ServerError> {
        let admitted = self
            .reads
            .persisted
            .admit(&request.query, is_admin(request, session));
        admitted.map_err(|err| err.extend().into_server_error(Default::default()))
    }

    /// Runs a query or mutation (a subscription gives its first response).
    pub async fn execute(&self, prepared: gate::Prepared) -> Response {
        let request = prepared.into_request();
        if let Err(err) = self.admit(&request, None) {
            return coded(Response::from_errors(vec![err]));
        }
        let schema = &self.schema;
        let response = batching::with_loaders(&self.db, request, |request| {
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
        if let Err(err) = self.admit(&request, session_data.as_deref()) {
            let response = coded(Response::from_errors(vec![err]));
            return futures_util::stream::once(async move { response }).boxed();
        }
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

/// The schema serving `state`. Fails when the persisted-query manifest cannot be read.
pub fn schema(state: AppState) -> anyhow::Result<AppSchema> {
    let loaders = loaders::shared(state.db.clone(), Duration::from_millis(1));
    let db = state.db.clone();
    let settings = state.settings.clone();
    let metrics = state.metrics.clone();
    let reads = Arc::new(Reads {
        persisted: Persisted::new(db.clone(), &settings)?,
        responses: ResponseCache::new(
            settings.response_cache_bytes,
            metrics.response_cache().clone(),
        ),
    });
    let schema = builder().data(loaders).data(state).finish();
    let gate = gate::Gate::new(&settings, &schema.sdl(), metrics);
    Ok(AppSchema {
        schema,
        gate,
        db,
        reads,
    })
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
