//! The read path of GraphQL over HTTP: persisted queries resolved
//! ([`crate::persisted`]), anonymous queries answered from the response cache
//! ([`crate::cache`]) at the catalogue version read for the request (one statement),
//! and HTTP caching of GET queries: an `ETag` from that version and the request,
//! `If-None-Match` answered `304 Not Modified` with no body (after that one
//! statement), `Cache-Control: no-cache` for anonymous answers (revalidate every
//! time) and `private, no-store` for admin ones. Everything else goes to the
//! [`Executor`] unchanged.

use std::time::Instant;

use async_graphql::{BatchRequest, BatchResponse, ErrorExtensions, Pos};
use axum::body::Bytes;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::graphql::{encode, is_request_error, operation_of, respond, MediaType};
use super::router::HttpState;
use crate::cache::{self, Key};
use crate::error::Error;
use crate::metrics::{Operation, Outcome};

const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// How a request was asked.
pub(super) struct Asked {
    pub media: MediaType,
    pub method: Method,
    pub admin: bool,
    pub started: Instant,
    /// The `If-None-Match` of a GET.
    pub if_none_match: Option<HeaderValue>,
}

/// Answers a request read by [`super::post`] or [`super::get`].
pub(super) async fn serve(app: &HttpState, mut batch: BatchRequest, asked: Asked) -> Response {
    let persisted = app.schema.persisted();
    let requests: &mut [async_graphql::Request] = match &mut batch {
        BatchRequest::Single(request) => std::slice::from_mut(request),
        BatchRequest::Batch(requests) => requests,
    };
    for request in requests {
        if let Err(err) = persisted.resolve(request, asked.admin).await {
            return finish(app, Operation::Unknown, refusal(err), &asked);
        }
    }
    let executor = app.executor();
    let (media, started) = (asked.media, asked.started);
    let request = match batch {
        BatchRequest::Single(request) if !asked.admin => request,
        batch => {
            let mut response = executor
                .serve(batch, media, &asked.method, asked.admin, started)
                .await;
            if asked.admin {
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, PRIVATE);
            }
            return response;
        }
    };
    let gated = executor.prepare(request);
    let operation = operation_of(&gated);
    let get = asked.method == Method::GET;
    let responses = app.schema.responses();
    let prepared = match gated {
        // A query over GET gets an ETag; over POST, the version is read only for the cache.
        Ok(prepared) if operation == Operation::Query && (get || responses.enabled()) => prepared,
        gated => {
            return executor
                .serve_gated(gated, media, &asked.method, false, started)
                .await
        }
    };
    let key = Key::of(prepared.request());
    if !responses.validated(&key) {
        // First sight: run without the version (a request refused by validation runs
        // no SQL); from the next one on, it is tagged and cached.
        let response = app.schema.execute(prepared).await;
        if !is_request_error(&response) {
            responses.validate(key);
        }
        return finish(app, operation, response, &asked);
    }
    let version = match cache::version::current(app.state.db.conn()).await {
        Ok(version) => version,
        Err(err) => return finish(app, operation, refusal(err), &asked),
    };
    let tag = etag(version, &key, media);
    if get && matches(asked.if_none_match.as_ref(), &tag) {
        app.state.metrics.graphql_request(operation, Outcome::Ok);
        latency(app, operation, started);
        return (StatusCode::NOT_MODIFIED, headers(None, Some(tag))).into_response();
    }
    let body = match responses.get(&key, version) {
        Some(body) => {
            app.state.metrics.graphql_request(operation, Outcome::Ok);
            body
        }
        None => {
            let response = app.schema.execute(prepared).await;
            executor.count(operation, &response);
            let encoded = match response.errors.is_empty() {
                true => encode(&response).ok(),
                false => None,
            };
            let Some(body) = encoded else {
                // Field errors may be passing (an unavailable database): not cached.
                latency(app, operation, started);
                return respond(media, BatchResponse::Single(response));
            };
            let body = Bytes::from(body);
            responses.put(key, version, body.clone());
            body
        }
    };
    latency(app, operation, started);
    (
        StatusCode::OK,
        headers(Some(media), get.then_some(tag)),
        body,
    )
        .into_response()
}

fn latency(app: &HttpState, operation: Operation, started: Instant) {
    app.state
        .metrics
        .graphql_latency(operation, started.elapsed().as_secs_f64());
}

/// A request error answering `err`.
fn refusal(err: Error) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![err.extend().into_server_error(Pos::default())])
}

/// Counts and answers a response made without the cache.
fn finish(
    app: &HttpState,
    operation: Operation,
    response: async_graphql::Response,
    asked: &Asked,
) -> Response {
    app.executor().count(operation, &response);
    latency(app, operation, asked.started);
    respond(asked.media, BatchResponse::Single(response))
}

/// The headers of a cacheable answer: its type, `Vary`, and for a GET its tag and
/// `Cache-Control: no-cache`.
fn headers(media: Option<MediaType>, tag: Option<HeaderValue>) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    if let Some(media) = media {
        headers.insert(header::CONTENT_TYPE, media.content_type());
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if let Some(tag) = tag {
        headers.insert(header::ETAG, tag);
        headers.insert(header::CACHE_CONTROL, NO_CACHE);
    }
    headers
}

/// The entity tag of the answer to `key` at `version` in `media`.
fn etag(version: i64, key: &Key, media: MediaType) -> HeaderValue {
    let media = match media {
        MediaType::Json => 'j',
        MediaType::GraphQLResponse => 'g',
    };
    let tag = format!("\"{version}-{}{media}\"", key.digest());
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `tag` (weak comparison, as RFC 9110 asks) or is `*`.
fn matches(if_none_match: Option<&HeaderValue>, tag: &HeaderValue) -> bool {
    let (Some(value), Ok(tag)) = (if_none_match.and_then(|v| v.to_str().ok()), tag.to_str()) else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let tag = HeaderValue::from_static("\"7-abcj\"");
        let check = |v: &'static str| matches(Some(&HeaderValue::from_static(v)), &tag);
        assert!(check("\"7-abcj\""));
        assert!(check("W/\"7-abcj\""));
        assert!(check("\"x\", \"7-abcj\""));
        assert!(check("*"));
        assert!(!check("\"6-abcj\""));
        assert!(!matches(None, &tag));
    }
}
