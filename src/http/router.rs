//! The routes of the server and the layers around them: `/graphql` (by method, in
//! [`super::post`] and [`super::get`]), health, readiness, metrics, the pages, and
//! the body limit, CORS, request ids and tracing. Tests can drive [`router`] with
//! `tower::ServiceExt::oneshot`, without a listener.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use super::body_limit;
use super::credential::Credential;
use super::graphql::{Executor, MediaType, Refusal, Refused};
use super::streaming::Streams;
use crate::graphql::{self, AppSchema};
use crate::AppState;

/// The header that carries a request's id (set when the client sent none, echoed back).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the handlers of every transport share; cheap to clone.
#[derive(Clone)]
pub struct HttpState {
    pub(super) schema: AppSchema,
    pub(super) state: AppState,
    /// One permit per open subscriber connection (WebSocket, SSE, multipart).
    pub(super) subscriber_slots: Arc<Semaphore>,
}

impl HttpState {
    pub(super) fn executor(&self) -> Executor<'_> {
        Executor {
            schema: &self.schema,
            metrics: &self.state.metrics,
        }
    }

    pub(super) fn streams(&self) -> Streams {
        Streams {
            schema: self.schema.clone(),
            state: self.state.clone(),
            slots: self.subscriber_slots.clone(),
        }
    }

    /// `refusal` as the answer to a request read since `started`.
    pub(super) fn refused(&self, refusal: Refusal, media: MediaType, started: Instant) -> Refused {
        Refused {
            refusal,
            media,
            metrics: self.state.metrics.clone(),
            started,
        }
    }

    /// The credential carried by an HTTP request's headers.
    pub(super) fn credential(&self, headers: &axum::http::HeaderMap) -> Credential {
        Credential::of_headers(headers, &self.state.admin_token)
    }
}

/// The whole HTTP service over `state`. Fails when a setting cannot be applied (an
/// invalid CORS origin).
pub fn router(state: AppState) -> anyhow::Result<Router> {
    let schema = graphql::schema(state.clone())?;
    let settings = state.settings.clone();
    let app = HttpState {
        schema,
        subscriber_slots: Arc::new(Semaphore::new(
            settings.ws_max_connections.min(Semaphore::MAX_PERMITS),
        )),
        state,
    };
    let metrics = app.state.metrics.clone();
    let router = Router::new()
        .route(
            "/graphql",
            get(super::get::graphql).post(super::post::graphql),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        // The release page at `/`, the embedded assets, and `/playground` when the IDEs are on.
        .merge(super::pages::routes(settings.ide));
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!(
                "request",
                request_id = %id,
                method = %req.method(),
                path = %req.uri().path(),
            )
        })
        // One line per request at debug level (`RUST_LOG=tower_http=debug`).
        .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG));
    let tally = metrics.request_statements();
    let router = body_limit::layer(router.with_state(app), settings.max_body_bytes, metrics);
    // The statements each handler runs until it answers, counted apart from the rest
    // (the benchmark tells the publishing mutation's share from the dispatcher's).
    let router = router.layer(axum::middleware::from_fn(
        move |request: Request, next: axum::middleware::Next| {
            crate::db::tallied(tally.clone(), next.run(request))
        },
    ));
    Ok(router
        .layer(cors(&settings.cors_origins)?)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid)))
}

/// CORS for `origins`: any origin for `*`, else exactly those listed.
fn cors(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    let allow = if origins.is_empty() || origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o)
                    .map_err(|_| anyhow::anyhow!("PREMIERE_CORS_ORIGINS: invalid origin `{o}`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(list)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(3600)))
}

async fn readyz(State(app): State<HttpState>) -> Response {
    if app.state.db.ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

async fn render_metrics(State(app): State<HttpState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.state.metrics.render(),
    )
        .into_response()
}
