//! `POST /graphql`: a request object or a batch, answered as JSON; or, when `Accept`
//! asks for a stream, one request answered over SSE or multipart
//! ([`super::streaming`]).

use std::time::Instant;

use axum::extract::{Request, State};
use axum::response::Response;

use super::graphql::{self as graphql_http, MediaType};
use super::router::HttpState;
use super::streaming::Transport;

pub(super) async fn graphql(State(app): State<HttpState>, req: Request) -> Response {
    let credential = app.credential(req.headers());
    if let Some(transport) = Transport::asked(req.headers()) {
        return app
            .streams()
            .serve(transport, req, credential.is_admin())
            .await;
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let executor = app.executor();
    let media = match graphql_http::negotiate(&parts.headers) {
        Ok(media) => media,
        Err(refusal) => return executor.refuse(refusal, MediaType::Json, started),
    };
    let settings = &app.state.settings;
    let batch = match graphql_http::read_post(
        &parts.headers,
        body,
        settings.max_body_bytes,
        settings.max_batch_size,
    )
    .await
    {
        Ok(batch) => batch,
        Err(refusal) => return executor.refuse(refusal, media, started),
    };
    executor
        .serve(batch, media, &parts.method, credential.is_admin(), started)
        .await
}
