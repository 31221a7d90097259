//! The one refusal of a request before any GraphQL execution (malformed, over a
//! limit, not acceptable): a status and a GraphQL response without `data` whose error
//! carries `extensions.code`, in the negotiated media type. Every extractor of a
//! transport rejects with [`Refused`], which counts the refusal as it answers it.

use std::time::Instant;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::negotiation::MediaType;
use crate::error::Code;
use crate::metrics::{Limit, Metrics, Operation, Outcome};

/// A request refused before any GraphQL execution.
#[derive(Debug)]
pub struct Refusal {
    pub(super) status: StatusCode,
    code: Code,
    message: String,
    allow: Option<&'static str>,
    pub(super) limit: Option<Limit>,
}

impl Refusal {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code: Code::BadUserInput,
            message: message.into(),
            allow: None,
            limit: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn over_limit(status: StatusCode, limit: Limit, message: impl Into<String>) -> Self {
        Refusal {
            code: Code::QueryTooComplex,
            limit: Some(limit),
            ..Refusal::new(status, message)
        }
    }

    /// A mutation sent over GET.
    pub fn mutation_over_get() -> Self {
        Refusal {
            allow: Some("POST"),
            ..Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "mutations are only accepted over POST",
            )
        }
    }

    /// A body over `max` bytes.
    pub fn body_too_large(max: usize) -> Self {
        Refusal::over_limit(
            StatusCode::PAYLOAD_TOO_LARGE,
            Limit::BodySize,
            format!("the request body is larger than the limit of {max} bytes"),
        )
    }

    /// An internal failure (logged by the caller, never told to the client).
    pub fn internal() -> Self {
        Refusal {
            code: Code::Internal,
            ..Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }

    /// The answer, as a GraphQL response without `data`.
    pub fn into_response(self, media: MediaType) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code.as_str() } }]
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, media.content_type());
        headers.insert(header::VARY, HeaderValue::from_static("accept"));
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// A refusal as the answer to a request: counted (a rejected request, the limit that
/// refused it, its latency since `started`) and encoded as `media`.
pub struct Refused {
    pub refusal: Refusal,
    pub media: MediaType,
    pub metrics: Metrics,
    pub started: Instant,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        self.metrics
            .graphql_request(Operation::Unknown, Outcome::Rejected);
        if let Some(limit) = self.refusal.limit {
            self.metrics.limit_refused(limit);
        }
        self.metrics
            .graphql_latency(Operation::Unknown, self.started.elapsed().as_secs_f64());
        self.refusal.into_response(self.media)
    }
}
