//! Schema assembly: one module per type family, merged into the roots.

pub mod batching;
pub mod codes;
pub mod credit;
pub mod event_ids;
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
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{
    Data, ErrorExtensions, Executor, MergedObject, MergedSubscription, Request, Response, Schema,
    SchemaBuilder, ServerError,
};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::cache::ResponseCache;
use crate::config::Settings;
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

/// The schema with the gateway's hooks around execution: the document limits
/// ([`limits::Limits::precheck`]), per-request batching ([`batching::with_loaders`])
/// and error codes ([`codes::classify`]). They are not schema extensions: with any
/// extension registered, async-graphql sends every field of every response through
/// its extension chain (a registry lookup, a type-name string and boxed futures per
/// field), which cost a fifth of the CPU of a nested query and of each subscription
/// event (BENCHMARKS.md).
#[derive(Clone)]
pub struct AppSchema {
    schema: GraphQLSchema,
    limits: limits::Limits,
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
    /// The persisted queries (automatic, and the trusted documents' manifest).
    pub fn persisted(&self) -> &Persisted {
        &self.reads.persisted
    }

    /// The response cache of anonymous queries.
    pub fn responses(&self) -> &ResponseCache {
        &self.reads.responses
    }

    /// The limits, then the trusted documents' manifest (on every transport).
    fn precheck(&self, request: &mut Request, session: Option<&Data>) -> Result<(), ServerError> {
        self.limits.precheck(request)?;
        let admitted = self
            .reads
            .persisted
            .admit(&request.query, is_admin(request, session));
        admitted.map_err(|err| err.extend().into_server_error(Default::default()))
    }

    /// Runs a query or mutation (a subscription gives its first response).
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut request = request.into();
        if let Err(err) = self.precheck(&mut request, None) {
            return coded(Response::from_errors(vec![err]));
        }
        let schema = &self.schema;
        let response = batching::with_loaders(&self.db, request, |request| {
            Box::pin(schema.execute(request))
        })
        .await;
        coded(response)
    }
}

impl Executor for AppSchema {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        AppSchema::execute(self, request)
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Err(err) = self.precheck(&mut request, session_data.as_deref()) {
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

fn builder(settings: &Settings) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(settings.max_depth)
    .limit_complexity(settings.max_complexity);
    if settings.introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

/// The schema serving `state`. Fails when the persisted-query manifest cannot be read.
pub fn schema(state: AppState) -> anyhow::Result<AppSchema> {
    let loaders = loaders::shared(state.db.clone(), Duration::from_millis(1));
    let limits = limits::Limits::new(&state.settings);
    let db = state.db.clone();
    let reads = Arc::new(Reads {
        persisted: Persisted::new(db.clone(), &state.settings)?,
        responses: ResponseCache::new(
            state.settings.response_cache_bytes,
            state.metrics.response_cache().clone(),
        ),
    });
    let schema = builder(&state.settings.clone())
        .data(loaders)
        .data(state)
        .finish();
    Ok(AppSchema {
        schema,
        limits,
        db,
        reads,
    })
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let settings = Settings::for_database("sqlite::memory:");
    builder(&settings).finish().sdl()
}
