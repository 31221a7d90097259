//! `POST /graphql`: a request object or a batch, answered as JSON; or, when `Accept`
//! asks for a stream, one request answered over SSE or multipart
//! ([`super::streaming`]).

use std::time::Instant;

use async_graphql::BatchRequest;
use axum::extract::{FromRequest, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use super::graphql::{self as graphql_http, MediaType, Refused};
use super::router::HttpState;
use super::streaming::Transport;

/// A POST read: the answer's media type and the request or batch in its body.
pub(super) struct PostRequest {
    media: MediaType,
    batch: BatchRequest,
    method: Method,
    started: Instant,
}

impl FromRequest<HttpState> for PostRequest {
    type Rejection = Refused;

    async fn from_request(req: Request, app: &HttpState) -> Result<Self, Refused> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let refused = |refusal, media| app.refused(refusal, media, started);
        let media = graphql_http::negotiate(&parts.headers)
            .map_err(|refusal| refused(refusal, MediaType::Json))?;
        let batch = graphql_http::read_post(&parts.headers, body, &app.state.settings)
            .await
            .map_err(|refusal| refused(refusal, media))?;
        Ok(PostRequest {
            media,
            batch,
            method: parts.method,
            started,
        })
    }
}

pub(super) async fn graphql(State(app): State<HttpState>, req: Request) -> Response {
    let credential = app.credential(req.headers());
    if let Some(transport) = Transport::asked(req.headers()) {
        return app
            .streams()
            .serve(transport, req, credential.is_admin())
            .await;
    }
    let post = match PostRequest::from_request(req, &app).await {
        Ok(post) => post,
        Err(refused) => return refused.into_response(),
    };
    let asked = super::caching::Asked {
        media: post.media,
        method: post.method,
        admin: credential.is_admin(),
        started: post.started,
        if_none_match: None,
    };
    super::caching::serve(&app, post.batch, asked).await
}
