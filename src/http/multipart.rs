//! Multipart subscriptions as Apollo Client, Apollo Kotlin and Apollo iOS speak them
//! (Apollo's "multipart HTTP protocol for GraphQL subscriptions"): a request with
//! `Accept: multipart/mixed;subscriptionSpec="1.0", application/json` gets
//! `Content-Type: multipart/mixed; boundary="graphql"; subscriptionSpec="1.0"`.
//!
//! Each part is `content-type: application/json` and a JSON body: `{"payload":
//! <ExecutionResult>}` for each response, `{}` as a heartbeat (at once, then every
//! `PREMIERE_MULTIPART_HEARTBEAT_MS`), and, when the server shuts down, the fatal
//! error `{"payload": null, "errors": [...]}` before the closing delimiter: the
//! client should subscribe again, with `after`, to resume. As Apollo's clients read
//! a part once the next delimiter arrives, each part is followed by its delimiter
//! at once (`\r\n--graphql`); the stream ends with `--` after the last one.
//!
//! Requests are read and run as for SSE (see [`super::streaming`]): a malformed
//! request gets its HTTP error, everything GraphQL is in the payloads.

use async_graphql::Response as GraphQLResponse;
use axum::body::Bytes;
use axum::response::Response;
use futures_util::StreamExt;

use super::streaming::{self, Framing, Opening, Streams};
use crate::error::Code;

const CONTENT_TYPE: &str = "multipart/mixed; boundary=\"graphql\"; subscriptionSpec=\"1.0\"";
const PART_HEAD: &[u8] = b"\r\ncontent-type: application/json\r\n\r\n";
const DELIMITER: &[u8] = b"\r\n--graphql";
/// Turns the last delimiter into the closing one.
const CLOSE: &[u8] = b"--\r\n";
const SHUTDOWN: &str =
    "the server is shutting down; subscribe again (with `after`, the last cursor received) to resume";

/// The last part of a stream the server ends itself on shutdown.
fn shutdown_part() -> Vec<u8> {
    let body = serde_json::json!({
        "payload": null,
        "errors": [{ "message": SHUTDOWN, "extensions": { "code": Code::Internal.as_str() } }],
    });
    part(body.to_string().as_bytes())
}

/// One part with `body`, followed by its delimiter.
fn part(body: &[u8]) -> Vec<u8> {
    let mut part = Vec::with_capacity(PART_HEAD.len() + body.len() + DELIMITER.len());
    part.extend_from_slice(PART_HEAD);
    part.extend_from_slice(body);
    part.extend_from_slice(DELIMITER);
    part
}

/// `{"payload": <response>}`.
fn payload(response: &GraphQLResponse) -> Bytes {
    let json = streaming::json(response);
    let mut body = Vec::with_capacity(json.len() + 12);
    body.extend_from_slice(br#"{"payload":"#);
    body.extend_from_slice(&json);
    body.push(b'}');
    Bytes::from(part(&body))
}

/// Serves a multipart request holding `slot`.
pub(super) async fn serve(streams: Streams, stream: Opening) -> Response {
    let (operation, responses, slot) = match streams.open(stream, |r| r).await {
        Ok(run) => run,
        Err(refused) => return refused,
    };
    let mut open = DELIMITER.to_vec();
    open.extend_from_slice(&part(b"{}"));
    let mut shutdown = shutdown_part();
    shutdown.extend_from_slice(CLOSE);
    let framing = Framing {
        content_type: CONTENT_TYPE,
        open: Bytes::from(open),
        heartbeat: Bytes::from(part(b"{}")),
        interval: streams.state.settings.multipart_heartbeat(),
        complete: Bytes::from_static(CLOSE),
        shutdown: Bytes::from(shutdown),
    };
    let frames = responses.map(|response| payload(&response));
    let shutdown = streams.shutdown_of(operation);
    streaming::respond(framing, frames, shutdown, slot)
}
