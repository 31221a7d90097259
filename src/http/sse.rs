//! GraphQL over Server-Sent Events, the graphql-sse protocol's "distinct connections
//! mode": `POST /graphql` (the graphql-sse client) or `GET /graphql?query=…` (a
//! browser's `EventSource`) with `Accept: text/event-stream`.
//!
//! The stream opens with `retry:` (how soon an `EventSource` comes back). Each
//! response is an `event: next` whose `data` is the ExecutionResult, then one
//! `event: complete` (with an empty `data:`, which `EventSource` needs to dispatch
//! it), also on shutdown. Errors that the protocol wants as events are events: the
//! document does not parse or validate, a limit refuses it, a variable does not
//! coerce, the credential is missing, `Last-Event-ID` is not a cursor. Only a
//! malformed HTTP request gets an HTTP error (400, 413, 415; 405 for a mutation
//! over GET), as in the protocol's reference server. A comment (`:`) every
//! `PREMIERE_SSE_HEARTBEAT_MS` keeps proxies from closing an idle stream.
//!
//! Release alerts carry ids: each `next` of `releaseAlerts` has `id: <the event's
//! cursor>`, and before any event an empty message `id: <the position it starts
//! after>` (no event name, empty data: the graphql-sse client skips it). An
//! `EventSource` sends the last id back as `Last-Event-ID` when it reconnects, and
//! the subscription resumes after it (or after `after`, if that is later): no gap,
//! no duplicate, on this replica or another, before or after a restart.

use std::convert::Infallible;

use async_graphql::Response as GraphQLResponse;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use rand::Rng;

use super::streaming::{self, Framing, Opening, Streams};
use crate::graphql::event_ids::{EventIds, EventIdsReader};
use crate::graphql::ids;

const CONTENT_TYPE: &str = "text/event-stream; charset=utf-8";
const HEARTBEAT: &[u8] = b":\n\n";
const COMPLETE: &[u8] = b"event: complete\ndata:\n\n";

/// The `Last-Event-ID` header: the id of the last event an `EventSource` received
/// before it reconnected (absent or empty: none).
pub struct LastEventId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for LastEventId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let value = parts
            .headers
            .get("last-event-id")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .filter(|v| !v.is_empty());
        Ok(LastEventId(value))
    }
}

/// Serves an SSE request holding `slot`.
pub(super) async fn serve(streams: Streams, mut stream: Opening) -> Response {
    let (mut parts, body) = stream.req.into_parts();
    let Ok(LastEventId(last_event_id)) = LastEventId::from_request_parts(&mut parts, &()).await;
    stream.req = Request::from_parts(parts, body);
    let (event_ids, reader) = EventIds::new(last_event_id);
    let (operation, responses, slot) = match streams.open(stream, |r| r.data(event_ids)).await {
        Ok(run) => run,
        Err(refused) => return refused,
    };
    let settings = &streams.state.settings;
    let retry = settings.sse_retry_ms + rand::thread_rng().gen_range(0..=settings.sse_retry_ms / 2);
    let framing = Framing {
        content_type: CONTENT_TYPE,
        open: Bytes::from(format!("retry: {retry}\n\n")),
        heartbeat: Bytes::from_static(HEARTBEAT),
        interval: settings.sse_heartbeat(),
        complete: Bytes::from_static(COMPLETE),
        shutdown: Bytes::from_static(COMPLETE),
    };
    let shutdown = streams.shutdown_of(operation);
    streaming::respond(framing, frames(responses, reader), shutdown, slot)
}

/// The events of `responses`: each a `next`, with the id of the release event it
/// reports, if any; before any of them, the position the subscription starts after.
fn frames(
    responses: BoxStream<'static, GraphQLResponse>,
    reader: EventIdsReader,
) -> impl Stream<Item = Bytes> + Send + 'static {
    async_stream::stream! {
        let mut responses = responses;
        let mut reader = reader;
        let mut start_pending = true;
        let mut last_id: Option<i64> = None;
        loop {
            let frame = tokio::select! {
                biased;
                start = async { (&mut reader.start).await }, if start_pending => {
                    start_pending = false;
                    start.ok().map(start_frame)
                }
                response = responses.next() => match response {
                    Some(response) => {
                        // The start goes first, even when the first event was ready
                        // as soon as the subscription started.
                        let mut frame = Vec::new();
                        if std::mem::take(&mut start_pending) {
                            if let Ok(position) = reader.start.try_recv() {
                                frame.extend_from_slice(&start_frame(position));
                            }
                        }
                        let id = reader.current().filter(|id| Some(*id) != last_id);
                        if id.is_some() {
                            last_id = id;
                        }
                        frame.extend_from_slice(&next_event(&response, id));
                        Some(Bytes::from(frame))
                    }
                    None => break,
                },
            };
            if let Some(frame) = frame {
                yield frame;
            }
        }
    }
}

/// An id without an event: where the stream starts.
fn start_frame(position: i64) -> Bytes {
    Bytes::from(format!("id: {}\ndata:\n\n", ids::cursor(position)))
}

/// `event: next` with `response` as data, and `id: <cursor>` of `position`.
fn next_event(response: &GraphQLResponse, position: Option<i64>) -> Bytes {
    let json = streaming::json(response);
    let mut frame = Vec::with_capacity(json.len() + 64);
    frame.extend_from_slice(b"event: next\n");
    if let Some(position) = position {
        frame.extend_from_slice(format!("id: {}\n", ids::cursor(position)).as_bytes());
    }
    frame.extend_from_slice(b"data: ");
    // Compact JSON holds no line break: one `data:` line.
    frame.extend_from_slice(&json);
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}
