//! Encoding GraphQL responses as JSON, and their status: a request error (no `data`)
//! is `400` under `application/graphql-response+json` and `200` under
//! `application/json`; a batch is always `200`.

use std::collections::BTreeMap;

use async_graphql::{BatchResponse, ServerError, Value};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::negotiation::MediaType;
use super::refusal::Refusal;

/// True when the request failed before execution (it did not parse or validate, a
/// variable did not coerce, a limit refused it): such a response has no `data`.
/// Errors raised during execution always carry a `path`.
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    !response.errors.is_empty()
        && response.data == Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

#[derive(Serialize)]
struct Encoded<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
}

impl<'a> Encoded<'a> {
    fn of(response: &'a async_graphql::Response) -> Self {
        Encoded {
            data: (!is_request_error(response)).then_some(&response.data),
            errors: &response.errors,
            extensions: &response.extensions,
        }
    }
}

/// A response as JSON: without `data` when it is a request error.
pub fn encode(response: &async_graphql::Response) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&Encoded::of(response))
}

/// Encodes `response` as `media`: 400 for a single request error under
/// `application/graphql-response+json`, 200 otherwise (a batch is always 200).
pub fn respond(media: MediaType, response: BatchResponse) -> Response {
    let (status, body) = match &response {
        BatchResponse::Single(single) => {
            let status = if media == MediaType::GraphQLResponse && is_request_error(single) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (status, serde_json::to_vec(&Encoded::of(single)))
        }
        BatchResponse::Batch(items) => (
            StatusCode::OK,
            serde_json::to_vec(&items.iter().map(Encoded::of).collect::<Vec<_>>()),
        ),
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "could not encode a GraphQL response");
            return Refusal::internal().into_response(media);
        }
    };
    let mut http = (status, body).into_response();
    let headers = http.headers_mut();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if response.is_ok() {
        if let Some(value) = response
            .cache_control()
            .value()
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
    headers.extend(response.http_headers());
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_errors_are_told_from_field_errors() {
        let request_error = async_graphql::Response::from_errors(vec![ServerError::new("x", None)]);
        assert!(is_request_error(&request_error));
        let mut field_error = ServerError::new("y", None);
        field_error.path = vec![async_graphql::PathSegment::Field("node".into())];
        let root_null = async_graphql::Response::from_errors(vec![field_error]);
        assert!(!is_request_error(&root_null));
        assert!(!is_request_error(&async_graphql::Response::new(
            Value::Null
        )));
    }
}
