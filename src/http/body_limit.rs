//! The one request body limit, `PREMIERE_MAX_BODY_BYTES`, and its one refusal: a 413
//! GraphQL error naming the limit. A transport reads its body with [`read`]; the
//! [`layer`] around the router is the backstop for every route, and turns its plain
//! 413 into the same refusal.

use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use tower_http::limit::RequestBodyLimitLayer;

use super::negotiation::MediaType;
use super::refusal::Refusal;
use crate::metrics::{Limit, Metrics, Operation, Outcome};

/// How much of a body over the limit is still read (and discarded) before answering 413.
pub const DRAIN_BYTES: usize = 16 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Reads a whole body of at most `max` bytes (by its `Content-Length`, if declared,
/// and by what arrives).
pub async fn read(headers: &HeaderMap, body: Body, max: usize) -> Result<Vec<u8>, Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|len| len > max as u64) {
        drain(stream).await;
        return Err(Refusal::body_too_large(max));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() > max => {
                drain(stream).await;
                return Err(Refusal::body_too_large(max));
            }
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(err) if is_length_limit(&err) => return Err(Refusal::body_too_large(max)),
            Err(_) => return Err(Refusal::bad_request("the request body could not be read")),
        }
    }
    Ok(bytes)
}

/// Reads and discards what is left of a refused body (at most [`DRAIN_BYTES`], for at
/// most [`DRAIN_TIME`]) so that the client, still sending, reads the 413 instead of a
/// reset connection.
async fn drain(mut stream: BodyDataStream) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The backstop around every route: [`read`] applies `max` itself, and reads (to
/// discard) up to [`DRAIN_BYTES`] more of a refused body so that the client sees the
/// 413; past that, the layer cuts the body, and its refusal is made the same one.
pub fn layer(router: Router, max: usize, metrics: Metrics) -> Router {
    router
        .layer(RequestBodyLimitLayer::new(max.saturating_add(DRAIN_BYTES)))
        .layer(axum::middleware::map_response(move |response: Response| {
            let metrics = metrics.clone();
            async move { explain_too_large(response, max, &metrics) }
        }))
}

/// Turns the body-limit layer's plain-text 413 into a GraphQL error naming the limit.
fn explain_too_large(response: Response, max: usize, metrics: &Metrics) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        metrics.graphql_request(Operation::Unknown, Outcome::Rejected);
        metrics.limit_refused(Limit::BodySize);
        return Refusal::body_too_large(max).into_response(MediaType::Json);
    }
    response
}
