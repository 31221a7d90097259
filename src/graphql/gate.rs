//! The one request gate. Every transport (POST, GET, WebSocket, SSE, multipart)
//! hands each GraphQL request to [`Gate::prepare`] once: it applies every limit once
//! (the text's nesting, then, on the parsed document, introspection, aliases, root
//! fields, expanded fields, complexity and depth: [`super::limits`]), finds the
//! operation's type, and gives either a [`Prepared`] request, the only thing the
//! schema runs ([`super::AppSchema::execute`]), or a typed [`Refusal`] that carries
//! its code. Introspection is refused here and nowhere else; a refusal over a limit
//! is counted here (`premiere_limit_refused_total{limit="query"}`).
//!
//! The body (or WebSocket message) size is the transport's to bound, before there is
//! a request: `http::body_limit`, `PREMIERE_WS_MAX_MESSAGE_BYTES`.

use std::future::Future;
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Data, Pos, Request, Response, ServerError};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::limits::{Limits, Shape};
use super::AppSchema;
use crate::config::Settings;
use crate::error::Code;
use crate::metrics::{Limit, Metrics, Operation};

/// The limits of a server and the schema they measure documents against.
#[derive(Clone)]
pub struct Gate {
    limits: Limits,
    shape: Arc<Shape>,
    metrics: Metrics,
}

/// A request that passed the gate: parsed, within every limit, its operation known.
pub struct Prepared {
    request: Request,
    operation: Operation,
}

/// A request the gate refused, and the type of its operation when the document was
/// parsed far enough to tell.
#[derive(Debug)]
pub struct Refusal {
    reason: Reason,
    operation: Operation,
}

/// Why the gate refused a request; each reason has its code.
#[derive(Debug)]
pub enum Reason {
    /// Over a limit: `QUERY_TOO_COMPLEX`.
    OverLimit(String),
    /// Introspection while it is off: `BAD_USER_INPUT`.
    Introspection(Pos),
    /// The document does not parse: `BAD_USER_INPUT`, or `QUERY_TOO_COMPLEX` when
    /// its selections nest deeper than the parser's bound.
    Parse(async_graphql::parser::Error),
}

impl Gate {
    /// The gate of a server with `settings` whose schema exports `sdl`.
    pub fn new(settings: &Settings, sdl: &str, metrics: Metrics) -> Self {
        Gate {
            limits: Limits::new(settings),
            shape: Arc::new(Shape::from_sdl(sdl)),
            metrics,
        }
    }

    /// Checks `request` against every limit; the request, parsed, when it passes.
    pub fn prepare(&self, mut request: Request) -> Result<Prepared, Refusal> {
        if let Err(reason) = self.limits.check_text(&request.query) {
            return Err(self.refuse(reason, Operation::Unknown));
        }
        let doc = match async_graphql::parser::parse_query(&request.query) {
            Ok(doc) => doc,
            Err(err) => return Err(self.refuse(Reason::Parse(err), Operation::Unknown)),
        };
        let operation = operation_type(&doc, request.operation_name.as_deref());
        let checked = self
            .limits
            .check_document(&doc, &request.variables, &self.shape);
        if let Err(reason) = checked {
            return Err(self.refuse(reason, operation));
        }
        request.set_parsed_query(doc);
        Ok(Prepared { request, operation })
    }

    fn refuse(&self, reason: Reason, operation: Operation) -> Refusal {
        if reason.code() == Code::QueryTooComplex {
            self.metrics.limit_refused(Limit::Query);
        }
        Refusal { reason, operation }
    }
}

impl Prepared {
    /// The type of the operation the request runs (`Unknown` when the document does
    /// not name it clearly; validation then refuses it).
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Adds request data (the admin credential, SSE event ids).
    pub fn data<D: std::any::Any + Send + Sync>(mut self, data: D) -> Self {
        self.request = self.request.data(data);
        self
    }

    /// The request as it will run (its document, operation name and variables).
    pub fn request(&self) -> &Request {
        &self.request
    }

    pub(super) fn into_request(self) -> Request {
        self.request
    }
}

impl Refusal {
    pub fn code(&self) -> Code {
        self.reason.code()
    }

    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The refusal as a GraphQL error with its code.
    pub fn into_error(self) -> ServerError {
        let code = self.code();
        let mut error = match self.reason {
            Reason::OverLimit(message) => ServerError::new(message, None),
            Reason::Introspection(pos) => {
                ServerError::new("Introspection is disabled on this server.", Some(pos))
            }
            Reason::Parse(err) => ServerError::from(err),
        };
        code.set_on(&mut error);
        error
    }

    /// The refusal as a response (a request error: no `data`).
    pub fn into_response(self) -> Response {
        Response::from_errors(vec![self.into_error()])
    }
}

impl Reason {
    fn code(&self) -> Code {
        match self {
            Reason::OverLimit(_) => Code::QueryTooComplex,
            Reason::Parse(async_graphql::parser::Error::RecursionLimitExceeded) => {
                Code::QueryTooComplex
            }
            Reason::Introspection(_) | Reason::Parse(_) => Code::BadUserInput,
        }
    }
}

/// The schema behind the gate, as async-graphql's `Executor`, for a session that
/// reads requests itself (the WebSocket protocols): each request goes through
/// [`Gate::prepare`] before it runs.
#[derive(Clone)]
pub struct Gated(pub AppSchema);

impl async_graphql::Executor for Gated {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        let prepared = self.0.gate().prepare(request);
        async move {
            match prepared {
                Ok(prepared) => self.0.execute(prepared).await,
                Err(refusal) => refusal.into_response(),
            }
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.0.gate().prepare(request) {
            Ok(prepared) => self.0.execute_stream(prepared, session_data),
            Err(refusal) => {
                futures_util::stream::once(async move { refusal.into_response() }).boxed()
            }
        }
    }
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
