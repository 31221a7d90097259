//! GraphQL over HTTP (the GraphQL-over-HTTP specification, as audited by the
//! `graphql-http` package): the [`Executor`] that checks, runs and counts a request.
//! Reading it is in [`super::parsing`], the media types in [`super::negotiation`],
//! the answer in [`super::encoding`], refusals in [`super::refusal`].
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

use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{BatchRequest, BatchResponse, ServerError, Value};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

pub use super::encoding::{encode, is_request_error, respond};
pub use super::negotiation::{negotiate, MediaType};
pub use super::parsing::{read_get, read_post};
pub use super::refusal::{Refusal, Refused};
use crate::graphql::codes;
use crate::graphql::guard::Admin;
use crate::graphql::limits::{Limits, Prechecked};
use crate::graphql::AppSchema;
use crate::metrics::{Limit, Metrics, Operation, Outcome};

/// What serves a request: the schema, the metrics and the document limits.
pub struct Executor<'a> {
    pub schema: &'a AppSchema,
    pub metrics: &'a Metrics,
    pub limits: &'a Limits,
}

impl Executor<'_> {
    /// Answers a refusal, counting it.
    pub fn refuse(&self, refusal: Refusal, media: MediaType, started: Instant) -> Response {
        Refused {
            refusal,
            media,
            metrics: self.metrics.clone(),
            started,
        }
        .into_response()
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
