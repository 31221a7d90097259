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

use async_graphql::{BatchRequest, BatchResponse};
use axum::http::Method;
use axum::response::{IntoResponse, Response};

pub use super::encoding::{encode, is_request_error, respond};
pub use super::negotiation::{negotiate, MediaType};
pub use super::parsing::{read_get, read_post};
pub use super::refusal::{Refusal, Refused};
use crate::graphql::gate::{self, Prepared};
use crate::graphql::guard::Admin;
use crate::graphql::AppSchema;
use crate::metrics::{Metrics, Operation, Outcome};

/// What serves a request: the schema (behind its gate) and the metrics.
pub struct Executor<'a> {
    pub schema: &'a AppSchema,
    pub metrics: &'a Metrics,
}

/// A request through the gate: prepared to run, or refused (its finished answer).
pub type Gated = Result<Prepared, gate::Refusal>;

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
                return self
                    .serve_gated(self.prepare(request), media, method, admin, started)
                    .await
            }
            BatchRequest::Batch(requests) => {
                let runs = requests
                    .into_iter()
                    .map(|request| self.run(self.prepare(request), admin));
                let responses = futures_util::future::join_all(runs).await;
                (BatchResponse::Batch(responses), Operation::Batch)
            }
        };
        self.metrics
            .graphql_latency(operation, started.elapsed().as_secs_f64());
        respond(media, response)
    }

    /// Runs and answers one request that went through the gate.
    pub async fn serve_gated(
        &self,
        gated: Gated,
        media: MediaType,
        method: &Method,
        admin: bool,
        started: Instant,
    ) -> Response {
        let operation = operation_of(&gated);
        if operation == Operation::Mutation && method == Method::GET {
            return self.refuse(Refusal::mutation_over_get(), media, started);
        }
        let response = self.run(gated, admin).await;
        self.metrics
            .graphql_latency(operation, started.elapsed().as_secs_f64());
        respond(media, BatchResponse::Single(response))
    }

    /// Hands `request` to the request gate.
    pub fn prepare(&self, request: async_graphql::Request) -> Gated {
        self.schema.gate().prepare(request)
    }

    async fn run(&self, gated: Gated, admin: bool) -> async_graphql::Response {
        let operation = operation_of(&gated);
        let response = match gated {
            Ok(prepared) => {
                let prepared = if admin {
                    prepared.data(Admin)
                } else {
                    prepared
                };
                self.schema.execute(prepared).await
            }
            Err(refusal) => refusal.into_response(),
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
    }
}

/// The operation type of a request through the gate.
pub fn operation_of(gated: &Gated) -> Operation {
    match gated {
        Ok(prepared) => prepared.operation(),
        Err(refusal) => refusal.operation(),
    }
}
