//! `GET /graphql`, which four transports share, told apart by their headers: a
//! WebSocket upgrade ([`super::websocket`]), a stream by `Accept` (SSE, multipart),
//! GraphiQL for a browser (`Accept: text/html` without `query=`, when the IDEs are
//! on), and otherwise a query in the query string, answered as JSON.

use std::time::Instant;

use async_graphql::BatchRequest;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::response::Response;

use super::graphql::{self as graphql_http, MediaType};
use super::router::HttpState;
use super::streaming::Transport;

pub(super) async fn graphql(State(app): State<HttpState>, req: Request) -> Response {
    let started = Instant::now();
    let headers = req.headers();
    let is_upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        return super::websocket::upgrade(app, req).await;
    }
    let credential = app.credential(headers);
    if let Some(transport) = Transport::asked(headers) {
        return app
            .streams()
            .serve(transport, req, credential.is_admin())
            .await;
    }
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let has_query = req.uri().query().is_some_and(|q| q.contains("query="));
    if wants_html && !has_query && app.state.settings.ide {
        return super::pages::graphiql();
    }
    let executor = app.executor();
    let media = match graphql_http::negotiate(headers) {
        Ok(media) => media,
        Err(refusal) => return executor.refuse(refusal, MediaType::Json, started),
    };
    let request = match graphql_http::read_get(req.uri()) {
        Ok(request) => request,
        Err(refusal) => return executor.refuse(refusal, media, started),
    };
    executor
        .serve(
            BatchRequest::Single(request),
            media,
            &Method::GET,
            credential.is_admin(),
            started,
        )
        .await
}
