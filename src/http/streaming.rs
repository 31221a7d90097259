//! What the two streamed transports of `/graphql` share (GraphQL over Server-Sent
//! Events in [`super::sse`], Apollo's multipart subscriptions in [`super::multipart`]):
//! choosing one by `Accept`, reading the request, running it through the schema
//! (the limits, the admin credential, error codes), and the body: an opening, the
//! frames of each response, heartbeats, and an end, on completion or on shutdown.
//!
//! Every stream holds a slot of the subscriber connection limit
//! (`PREMIERE_WS_MAX_CONNECTIONS`, shared with WebSocket connections) until it ends.
//! A client that stops reading is dropped by [`super::write_timeout`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::Response as GraphQLResponse;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::graphql::{self as graphql_http, Executor, MediaType, Refusal, Refused};
use crate::error::Code;
use crate::graphql::guard::Admin;
use crate::graphql::AppSchema;
use crate::metrics::{Limit, Operation};
use crate::AppState;

/// A streamed transport a request's `Accept` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `text/event-stream`: GraphQL over SSE, distinct connections mode.
    Sse,
    /// `multipart/mixed;subscriptionSpec="1.0"`: Apollo's multipart subscriptions.
    Multipart,
}

impl Transport {
    /// The streamed transport `Accept` lists with a quality at least that of every
    /// JSON type it lists (the first listed on a tie), if any.
    pub fn asked(headers: &HeaderMap) -> Option<Transport> {
        let mut best: Option<(f32, Transport)> = None;
        let mut json = 0.0f32;
        for range in super::negotiation::accept_ranges(headers) {
            let essence = range.essence.to_ascii_lowercase();
            let quality = range.quality;
            let subscription_spec = range
                .param("subscriptionSpec")
                .is_some_and(|v| v.starts_with("1."));
            let transport = match essence.as_str() {
                "text/event-stream" => Transport::Sse,
                "multipart/mixed" if subscription_spec => Transport::Multipart,
                "application/json"
                | "application/graphql-response+json"
                | "application/*"
                | "*/*" => {
                    json = json.max(quality);
                    continue;
                }
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, transport));
            }
        }
        best.filter(|(q, _)| *q >= json).map(|(_, t)| t)
    }
}

/// A stream being opened: its request (with the admin credential when `admin`), the
/// subscriber slot it holds, and when it arrived.
pub(super) struct Opening {
    pub req: Request,
    pub admin: bool,
    pub slot: OwnedSemaphorePermit,
    pub started: Instant,
}

/// The responses of a streamed request.
pub(super) type Responses = BoxStream<'static, GraphQLResponse>;

/// What a stream needs of the server; cheap to clone.
#[derive(Clone)]
pub struct Streams {
    pub schema: AppSchema,
    pub state: AppState,
    /// The subscriber connection slots, shared with WebSocket connections.
    pub slots: Arc<Semaphore>,
}

impl Streams {
    /// Serves a request whose `Accept` asked for `transport`; `admin` when it carried
    /// the admin credential.
    pub async fn serve(self, transport: Transport, req: Request, admin: bool) -> Response {
        let started = Instant::now();
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            tracing::warn!(
                limit = self.state.settings.ws_max_connections,
                "stream refused: too many open subscriber connections"
            );
            let refusal = Refusal::over_limit(
                StatusCode::SERVICE_UNAVAILABLE,
                Limit::HttpStreams,
                "too many open subscriber connections; try again later",
            );
            let mut response = self.refuse(refusal, started);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return response;
        };
        let stream = Opening {
            req,
            admin,
            slot,
            started,
        };
        match transport {
            Transport::Sse => super::sse::serve(self, stream).await,
            Transport::Multipart => super::multipart::serve(self, stream).await,
        }
    }

    fn executor(&self) -> Executor<'_> {
        Executor {
            schema: &self.schema,
            metrics: &self.state.metrics,
        }
    }

    /// Answers a request refused before execution (as JSON, with its status).
    pub(super) fn refuse(&self, refusal: Refusal, started: Instant) -> Response {
        self.executor().refuse(refusal, MediaType::Json, started)
    }

    /// Checks and runs `request` (with the admin credential when `admin`): its
    /// operation type and its responses. Request errors are responses too; only a
    /// mutation over GET is refused (answer it with [`Streams::refuse`]).
    pub(super) fn execute(
        &self,
        request: async_graphql::Request,
        method: &Method,
        admin: bool,
        started: Instant,
    ) -> Result<(Operation, BoxStream<'static, GraphQLResponse>), Refusal> {
        let gated = self.executor().prepare(request);
        let operation = graphql_http::operation_of(&gated);
        if operation == Operation::Mutation && method == Method::GET {
            return Err(Refusal::mutation_over_get());
        }
        let responses = match gated {
            Err(refusal) => {
                let response = refusal.into_response();
                futures_util::stream::once(async move { response }).boxed()
            }
            Ok(prepared) => {
                let prepared = if admin {
                    prepared.data(Admin)
                } else {
                    prepared
                };
                self.schema.execute_stream(prepared, None)
            }
        };
        // Counted by the first response, as a POST is by its answer.
        let (schema, metrics) = (self.schema.clone(), self.state.metrics.clone());
        let mut first = true;
        let responses = responses.inspect(move |response| {
            if std::mem::take(&mut first) {
                let executor = Executor {
                    schema: &schema,
                    metrics: &metrics,
                };
                executor.count(operation, response);
                if operation != Operation::Subscription {
                    metrics.graphql_latency(operation, started.elapsed().as_secs_f64());
                }
            }
        });
        Ok((operation, responses.boxed()))
    }

    /// Reads a stream's request (with what `with` adds to it) and runs it: its
    /// operation type and responses, or the answer to its refusal.
    pub(super) async fn open(
        &self,
        stream: Opening,
        with: impl FnOnce(async_graphql::Request) -> async_graphql::Request,
    ) -> Result<(Operation, Responses, OwnedSemaphorePermit), Response> {
        let Opening {
            req,
            admin,
            slot,
            started,
        } = stream;
        let StreamRequest { request, method } = StreamRequest::from_request(req, self)
            .await
            .map_err(IntoResponse::into_response)?;
        let (operation, responses) = self
            .execute(with(request), &method, admin, started)
            .map_err(|refusal| self.refuse(refusal, started))?;
        Ok((operation, responses, slot))
    }

    /// The shutdown that ends a stream of `operation` early: a subscription's. A
    /// query or mutation runs to its answer, as over POST.
    pub(super) fn shutdown_of(&self, operation: Operation) -> Option<CancellationToken> {
        (!matches!(operation, Operation::Query | Operation::Mutation))
            .then(|| self.state.dispatcher.shutdown().clone())
    }
}

/// A request read for a stream: GET `?query=&variables=&operationName=`, or a POST
/// of one JSON request object (a batch cannot be streamed).
pub struct StreamRequest {
    pub request: async_graphql::Request,
    pub method: Method,
}

impl FromRequest<Streams> for StreamRequest {
    type Rejection = Refused;

    async fn from_request(req: Request, streams: &Streams) -> Result<Self, Refused> {
        let started = Instant::now();
        let refused = |refusal| Refused {
            refusal,
            media: MediaType::Json,
            metrics: streams.state.metrics.clone(),
            started,
        };
        let method = req.method().clone();
        let request = if method == Method::GET {
            graphql_http::read_get(req.uri()).map_err(refused)?
        } else {
            let (parts, body) = req.into_parts();
            let batch = graphql_http::read_post(&parts.headers, body, &streams.state.settings)
                .await
                .map_err(refused)?;
            match batch {
                async_graphql::BatchRequest::Single(request) => request,
                async_graphql::BatchRequest::Batch(_) => {
                    return Err(refused(Refusal::bad_request(
                        "a batch cannot be answered as a stream; send one request per stream",
                    )))
                }
            }
        };
        Ok(StreamRequest { request, method })
    }
}

/// A response as JSON (without `data` when it is a request error).
pub(super) fn json(response: &GraphQLResponse) -> Vec<u8> {
    graphql_http::encode(response).unwrap_or_else(|err| {
        tracing::error!(error = %err, "could not encode a GraphQL response");
        let error = serde_json::json!({
            "errors": [{ "message": "internal error", "extensions": { "code": Code::Internal.as_str() } }]
        });
        error.to_string().into_bytes()
    })
}

/// How a transport frames its stream.
pub(super) struct Framing {
    pub content_type: &'static str,
    /// Sent first, before any response.
    pub open: Bytes,
    pub heartbeat: Bytes,
    pub interval: Duration,
    /// Sent when the responses end.
    pub complete: Bytes,
    /// Sent instead when the server shuts down and ends the stream itself.
    pub shutdown: Bytes,
}

enum Next {
    Frame(Bytes),
    End(Bytes),
    Heartbeat,
}

/// The streamed answer: `framing.open`, then each of `frames` with heartbeats
/// between them, then `framing.complete` (or `framing.shutdown` once `shutdown` is
/// cancelled). The stream holds `slot` until it ends or the client goes away.
pub(super) fn respond(
    framing: Framing,
    frames: impl Stream<Item = Bytes> + Send + 'static,
    shutdown: Option<CancellationToken>,
    slot: OwnedSemaphorePermit,
) -> Response {
    let Framing {
        content_type,
        open,
        heartbeat,
        interval,
        complete,
        shutdown: on_shutdown,
    } = framing;
    let body = async_stream::stream! {
        let _slot = slot;
        yield Ok::<Bytes, Infallible>(open);
        let start = tokio::time::Instant::now() + interval;
        let mut ticker = tokio::time::interval_at(start, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stopping = async move {
            match shutdown {
                Some(token) => token.cancelled_owned().await,
                None => std::future::pending().await,
            }
        };
        futures_util::pin_mut!(frames, stopping);
        loop {
            let next = tokio::select! {
                biased;
                () = &mut stopping => Next::End(on_shutdown.clone()),
                frame = frames.next() => match frame {
                    Some(frame) => Next::Frame(frame),
                    None => Next::End(complete.clone()),
                },
                _ = ticker.tick() => Next::Heartbeat,
            };
            match next {
                Next::Frame(frame) => yield Ok(frame),
                Next::Heartbeat => yield Ok(heartbeat.clone()),
                Next::End(end) => {
                    yield Ok(end);
                    break;
                }
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            // Tells nginx (and proxies that follow it) not to buffer the stream.
            (
                header::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(value: &str) -> Option<Transport> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        Transport::asked(&headers)
    }

    #[test]
    fn transports_are_chosen_by_accept() {
        assert_eq!(Transport::asked(&HeaderMap::new()), None);
        assert_eq!(asked("text/event-stream"), Some(Transport::Sse));
        assert_eq!(
            asked("Text/Event-Stream; charset=utf-8"),
            Some(Transport::Sse)
        );
        assert_eq!(
            asked("application/json, text/event-stream"),
            Some(Transport::Sse)
        );
        assert_eq!(asked("application/json, text/event-stream;q=0.5"), None);
        assert_eq!(asked("text/event-stream;q=0"), None);
        assert_eq!(asked("*/*"), None);
        assert_eq!(
            asked("application/graphql-response+json, application/json"),
            None
        );
        // What Apollo Client sends for a subscription.
        assert_eq!(
            asked("multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/graphql-response+json,application/json;q=0.9"),
            Some(Transport::Multipart)
        );
        assert_eq!(
            asked("multipart/mixed;subscriptionSpec=\"1.0\", application/json"),
            Some(Transport::Multipart)
        );
        // @defer's multipart is not a subscription stream.
        assert_eq!(
            asked("multipart/mixed;deferSpec=20220824, application/json"),
            None
        );
        assert_eq!(asked("multipart/mixed, application/json"), None);
        assert_eq!(
            asked("multipart/mixed;subscriptionSpec=1.0, text/event-stream"),
            Some(Transport::Multipart)
        );
    }
}
