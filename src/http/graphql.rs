//! GraphQL over HTTP (the GraphQL-over-HTTP specification, as audited by the
//! `graphql-http` package): reading POST and GET requests, content negotiation and
//! the status codes of the answer.
//!
//! - The answer is `application/graphql-response+json` or `application/json`, by the
//!   request's `Accept` (default `application/json` when it is absent or `*/*`);
//!   `406` when it lists neither.
//! - A POST must be `Content-Type: application/json` (charset utf-8, if given), else
//!   `415`. Its body is one request object, or a non-empty array of them (a batch).
//! - A malformed request (bad JSON, a missing or mistyped `query`, `variables`,
//!   `operationName` or `extensions`) gets `400`; a body over the limit `413`.
//! - A request error (the document does not parse or validate, a variable does not
//!   coerce, or a limit refuses it) answers without `data`, with `400` under
//!   `application/graphql-response+json` and `200` under `application/json`.
//! - GET runs queries only: a mutation over GET gets `405` with `Allow: POST`.
//!
//! Every refusal is a GraphQL response whose errors carry `extensions.code`.

use std::collections::BTreeMap;
use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{BatchRequest, BatchResponse, ServerError, Value, Variables};
use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::graphql::codes;
use crate::graphql::guard::Admin;
use crate::graphql::limits::{Limits, Prechecked};
use crate::graphql::AppSchema;
use crate::metrics::{Limit, Metrics, Operation, Outcome};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: the legacy type; GraphQL errors are answered with 200.
    Json,
    /// `application/graphql-response+json`: request errors are answered with 400.
    GraphQLResponse,
}

impl MediaType {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::Json => JSON,
            MediaType::GraphQLResponse => GRAPHQL_RESPONSE_JSON,
        })
    }
}

/// A request refused before any GraphQL execution.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    allow: Option<&'static str>,
    limit: Option<Limit>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code: "BAD_USER_INPUT",
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
            code: "QUERY_TOO_COMPLEX",
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

    /// The answer, as a GraphQL response without `data`.
    pub fn into_response(self, media: MediaType) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code } }]
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

/// Picks the answer's media type from `Accept`: the supported type with the highest
/// quality, the more specific on a tie, and `application/graphql-response+json` on a
/// full tie. Absent, unreadable or `*/*`: `application/json`.
pub fn negotiate(headers: &HeaderMap) -> Result<MediaType, Refusal> {
    let mut listed = false;
    let mut best: Option<(f32, u8, MediaType)> = None;
    let ranges = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for range in ranges {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or_default().trim();
        if essence.is_empty() {
            continue;
        }
        listed = true;
        let mut quality = 1.0f32;
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    quality = value
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| q.is_finite())
                        .unwrap_or(0.0);
                }
            }
        }
        let (specificity, media) =
            if essence.eq_ignore_ascii_case("application/graphql-response+json") {
                (2, MediaType::GraphQLResponse)
            } else if essence.eq_ignore_ascii_case("application/json") {
                (2, MediaType::Json)
            } else if essence == "*/*" || essence.eq_ignore_ascii_case("application/*") {
                (1, MediaType::Json)
            } else {
                continue;
            };
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((q, s, m)) => {
                quality > q
                    || (quality == q && specificity > s)
                    || (quality == q
                        && specificity == s
                        && media == MediaType::GraphQLResponse
                        && m == MediaType::Json)
            }
        };
        if better {
            best = Some((quality, specificity, media));
        }
    }
    match best {
        Some((_, _, media)) => Ok(media),
        None if !listed => Ok(MediaType::Json),
        None => Err(Refusal::new(
            StatusCode::NOT_ACCEPTABLE,
            "Accept lists no supported media type; use application/graphql-response+json \
             or application/json",
        )),
    }
}

/// Reads a POST: its content type, its body (at most `max_body` bytes) and the one
/// request object or the batch (at most `max_batch` objects) in it.
pub async fn read_post(
    headers: &HeaderMap,
    body: Body,
    max_body: usize,
    max_batch: usize,
) -> Result<BatchRequest, Refusal> {
    check_content_type(headers)?;
    let bytes = super::body_limit::read(headers, body, max_body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::bad_request(
            "the request body is empty; send a JSON object with a `query`",
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|err| {
        Refusal::bad_request(format!("the request body is not valid JSON: {err}"))
    })?;
    match json {
        serde_json::Value::Object(params) => Ok(BatchRequest::Single(request(params)?)),
        serde_json::Value::Array(items) => {
            if items.is_empty() {
                return Err(Refusal::bad_request(
                    "a batch must hold at least one request",
                ));
            }
            if items.len() > max_batch {
                return Err(Refusal::over_limit(
                    StatusCode::BAD_REQUEST,
                    Limit::BatchSize,
                    format!(
                        "a batch holds {} requests, at most {max_batch} are allowed",
                        items.len()
                    ),
                ));
            }
            let requests = items
                .into_iter()
                .map(|item| match item {
                    serde_json::Value::Object(params) => request(params),
                    _ => Err(Refusal::bad_request(
                        "each request of a batch must be a JSON object",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(BatchRequest::Batch(requests))
        }
        _ => Err(Refusal::bad_request(
            "the request body must be a JSON object (or an array of them, a batch)",
        )),
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let unsupported = || {
        Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        )
    };
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsupported)?;
    let mut parts = value.split(';');
    if !parts
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Err(unsupported());
    }
    for param in parts {
        if let Some((key, charset)) = param.split_once('=') {
            let charset = charset.trim().trim_matches('"');
            if key.trim().eq_ignore_ascii_case("charset")
                && !charset.eq_ignore_ascii_case("utf-8")
                && !charset.eq_ignore_ascii_case("utf8")
            {
                return Err(Refusal::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "the request body must be encoded in utf-8",
                ));
            }
        }
    }
    Ok(())
}

/// One request object of a POST body.
fn request(
    mut params: serde_json::Map<String, serde_json::Value>,
) -> Result<async_graphql::Request, Refusal> {
    use serde_json::Value as Json;
    let query = match params.remove("query") {
        Some(Json::String(query)) => query,
        None | Some(Json::Null) => {
            return Err(Refusal::bad_request(
                "the request has no `query`: send the GraphQL document as a string",
            ))
        }
        Some(_) => return Err(Refusal::bad_request("`query` must be a string")),
    };
    let operation_name = match params.remove("operationName") {
        None | Some(Json::Null) => None,
        Some(Json::String(name)) => Some(name),
        Some(_) => {
            return Err(Refusal::bad_request(
                "`operationName` must be a string or null",
            ))
        }
    };
    let variables = match params.remove("variables") {
        None | Some(Json::Null) => Variables::default(),
        Some(variables @ Json::Object(_)) => Variables::from_json(variables),
        Some(_) => {
            return Err(Refusal::bad_request(
                "`variables` must be an object or null",
            ))
        }
    };
    match params.remove("extensions") {
        None | Some(Json::Null) | Some(Json::Object(_)) => {}
        Some(_) => {
            return Err(Refusal::bad_request(
                "`extensions` must be an object or null",
            ))
        }
    }
    let mut request = async_graphql::Request::new(query).variables(variables);
    request.operation_name = operation_name;
    Ok(request)
}

#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Reads a GET: `query`, `operationName`, and `variables` and `extensions` as JSON.
pub fn read_get(uri: &Uri) -> Result<async_graphql::Request, Refusal> {
    let Query(params) = Query::<GetParams>::try_from_uri(uri)
        .map_err(|err| Refusal::bad_request(format!("the query string is invalid: {err}")))?;
    let query = params.query.ok_or_else(|| {
        Refusal::bad_request("the request has no `query` parameter: send the GraphQL document")
    })?;
    let json_object =
        |name: &str, text: Option<String>| -> Result<Option<serde_json::Value>, Refusal> {
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                return Ok(None);
            };
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Null) => Ok(None),
                Ok(value @ serde_json::Value::Object(_)) => Ok(Some(value)),
                _ => Err(Refusal::bad_request(format!(
                    "`{name}` must be a JSON object (URL-encoded)"
                ))),
            }
        };
    let variables = json_object("variables", params.variables)?
        .map(Variables::from_json)
        .unwrap_or_default();
    json_object("extensions", params.extensions)?;
    let mut request = async_graphql::Request::new(query).variables(variables);
    request.operation_name = params.operation_name.filter(|name| !name.is_empty());
    Ok(request)
}

/// What serves a request: the schema, the metrics and the document limits.
pub struct Executor<'a> {
    pub schema: &'a AppSchema,
    pub metrics: &'a Metrics,
    pub limits: &'a Limits,
}

impl Executor<'_> {
    /// Answers a refusal, counting it.
    pub fn refuse(&self, refusal: Refusal, media: MediaType, started: Instant) -> Response {
        self.metrics
            .graphql_request(Operation::Unknown, Outcome::Rejected);
        if let Some(limit) = refusal.limit {
            self.metrics.limit_refused(limit);
        }
        self.metrics
            .graphql_latency(Operation::Unknown, started.elapsed().as_secs_f64());
        refusal.into_response(media)
    }

    /// Checks, runs and answers a request read by [`read_post`] or [`read_get`].
    pub async fn serve(
        &self,
        batch: BatchRequest,
        media: MediaType,
        method: &Method,
        admin: bool,
        started: Instant,
    ) -> Response {
        let (response, operation) = match batch {
            BatchRequest::Single(request) => {
                let (request, operation) = self.prepare(request);
                if operation == Operation::Mutation && method == Method::GET {
                    return self.refuse(Refusal::mutation_over_get(), media, started);
                }
                let response = self.run(request, operation, admin).await;
                (BatchResponse::Single(response), operation)
            }
            BatchRequest::Batch(requests) => {
                let runs = requests.into_iter().map(|request| async move {
                    let (request, operation) = self.prepare(request);
                    self.run(request, operation, admin).await
                });
                let responses = futures_util::future::join_all(runs).await;
                (BatchResponse::Batch(responses), Operation::Batch)
            }
        };
        self.metrics
            .graphql_latency(operation, started.elapsed().as_secs_f64());
        respond(media, response)
    }

    /// Applies the document limits (before async-graphql walks the document) and finds
    /// the operation's type. An `Err` is the finished response of a request error.
    pub fn prepare(
        &self,
        mut request: async_graphql::Request,
    ) -> (
        Result<async_graphql::Request, async_graphql::Response>,
        Operation,
    ) {
        if let Err(err) = self.limits.check_text(&request.query) {
            return (Err(request_error(err)), Operation::Unknown);
        }
        let name = request.operation_name.clone();
        let operation = match request.parsed_query() {
            // Left to the schema, which reports the parse error the same way.
            Err(_) => return (Ok(request), Operation::Unknown),
            Ok(doc) => {
                let operation = operation_type(doc, name.as_deref());
                if let Err(err) = self.limits.check_document(doc) {
                    return (Err(request_error(err)), operation);
                }
                operation
            }
        };
        (Ok(request.data(Prechecked)), operation)
    }

    async fn run(
        &self,
        request: Result<async_graphql::Request, async_graphql::Response>,
        operation: Operation,
        admin: bool,
    ) -> async_graphql::Response {
        let response = match request {
            Ok(request) => {
                let request = if admin { request.data(Admin) } else { request };
                self.schema.execute(request).await
            }
            Err(response) => response,
        };
        self.count(operation, &response);
        response
    }

    /// Counts the answer of a request (for a stream, its first response).
    pub fn count(&self, operation: Operation, response: &async_graphql::Response) {
        let outcome = if response.errors.is_empty() {
            Outcome::Ok
        } else if is_request_error(response) {
            Outcome::Rejected
        } else {
            Outcome::Error
        };
        self.metrics.graphql_request(operation, outcome);
        if outcome == Outcome::Rejected
            && response.errors.iter().any(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|ext| ext.get("code"))
                    .is_some_and(|code| *code == Value::from("QUERY_TOO_COMPLEX"))
            })
        {
            self.metrics.limit_refused(Limit::Query);
        }
    }
}

fn request_error(err: ServerError) -> async_graphql::Response {
    let mut errors = vec![err];
    codes::classify(&mut errors);
    async_graphql::Response::from_errors(errors)
}

/// The type of the operation a request runs, when the document names it clearly.
fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Operation {
    let ty = match (&doc.operations, name) {
        (DocumentOperations::Single(operation), None) => Some(operation.node.ty),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| operation.node.ty)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .values()
            .next()
            .map(|operation| operation.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    };
    match ty {
        Some(OperationType::Query) => Operation::Query,
        Some(OperationType::Mutation) => Operation::Mutation,
        Some(OperationType::Subscription) => Operation::Subscription,
        None => Operation::Unknown,
    }
}

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
            return Refusal {
                code: "INTERNAL",
                ..Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
            .into_response(media);
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

    fn accept(value: &str) -> Result<MediaType, StatusCode> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers).map_err(|r| r.status)
    }

    #[test]
    fn negotiation_picks_the_preferred_supported_type() {
        use MediaType::{GraphQLResponse as G, Json as J};
        assert_eq!(negotiate(&HeaderMap::new()).unwrap(), J);
        assert_eq!(accept("*/*"), Ok(J));
        assert_eq!(accept("application/*"), Ok(J));
        assert_eq!(accept("application/json"), Ok(J));
        assert_eq!(accept("application/graphql-response+json"), Ok(G));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Ok(G)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Ok(G)
        );
        assert_eq!(
            accept("application/json;q=1, application/graphql-response+json;q=0.5"),
            Ok(J)
        );
        assert_eq!(accept("text/html, */*;q=0.1"), Ok(J));
        assert_eq!(accept("APPLICATION/JSON; charset=utf-8"), Ok(J));
        assert_eq!(
            accept("application/json;q=0, */*;q=0"),
            Err(StatusCode::NOT_ACCEPTABLE)
        );
        assert_eq!(accept("text/html"), Err(StatusCode::NOT_ACCEPTABLE));
        assert_eq!(
            accept("application/json;q=nan"),
            Err(StatusCode::NOT_ACCEPTABLE)
        );
        assert_eq!(accept(" , "), Ok(J));
    }

    #[test]
    fn content_type_must_be_json_in_utf8() {
        let check = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            }
            check_content_type(&headers).map_err(|r| r.status)
        };
        assert_eq!(check(Some("application/json")), Ok(()));
        assert_eq!(check(Some("Application/JSON ; charset=\"UTF-8\"")), Ok(()));
        let unsupported = Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(check(None), unsupported);
        assert_eq!(check(Some("text/plain")), unsupported);
        assert_eq!(check(Some("application/json; charset=utf-16")), unsupported);
        assert_eq!(check(Some("application/jsonx")), unsupported);
    }

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
