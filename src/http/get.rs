//! `GET /graphql`, which four transports share, told apart by their headers: a
//! WebSocket upgrade ([`super::websocket`]), a stream by `Accept` (SSE, multipart),
//! GraphiQL for a browser (`Accept: text/html` without `query=`, when the IDEs are
//! on), and otherwise a query in the query string, answered as JSON.

use std::time::Instant;

use async_graphql::BatchRequest;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};

use super::graphql::{self as graphql_http, MediaType, Refused};
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
    let (media, request) = match read(&app, &req, started) {
        Ok(read) => read,
        Err(refused) => return refused.into_response(),
    };
    let asked = super::caching::Asked {
        media,
        method: Method::GET,
        admin: credential.is_admin(),
        started,
        if_none_match: req.headers().get(header::IF_NONE_MATCH).cloned(),
    };
    super::caching::serve(&app, BatchRequest::Single(request), asked).await
}

/// Reads a GET query: the answer's media type and the request in the query string.
fn read(
    app: &HttpState,
    req: &Request,
    started: Instant,
) -> Result<(MediaType, async_graphql::Request), Refused> {
    let refused = |refusal, media| app.refused(refusal, media, started);
    let media = graphql_http::negotiate(req.headers())
        .map_err(|refusal| refused(refusal, MediaType::Json))?;
    let request = graphql_http::read_get(req.uri()).map_err(|refusal| refused(refusal, media))?;
    Ok((media, request))
}
