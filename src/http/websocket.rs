//! GraphQL over WebSocket on `GET /graphql` (graphql-transport-ws and the legacy
//! graphql-ws subprotocols): the upgrade and the connection slot here; the
//! connection's task in `ws_connection`, its GraphQL session in `ws_session`.
//!
//! - Each connection holds a slot of `PREMIERE_WS_MAX_CONNECTIONS` (shared with the
//!   streamed transports); with none free, the upgrade gets 503 and `Retry-After`.
//! - The client must send `connection_init` within `PREMIERE_WS_INIT_TIMEOUT`, else
//!   the connection closes with 4408. Its payload may carry the admin credential
//!   ([`super::credential`]); the connection's subscriptions share its slots
//!   (`PREMIERE_WS_MAX_SUBSCRIPTIONS`).
//! - The server pings every keep-alive interval and closes (1001) a peer that sent
//!   nothing, not even a pong, for two intervals.
//! - On shutdown the subscriptions end and send `complete`; the connection closes
//!   once they all have (or after a second).

use std::str::FromStr;

use async_graphql::http::{WebSocketProtocols, ALL_WEBSOCKET_PROTOCOLS};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::router::HttpState;
use crate::metrics::Limit;

/// WebSocket read buffer per connection (async-graphql-axum's default is 128 KiB).
const WS_READ_BUFFER: usize = 4 * 1024;

/// Answers a WebSocket upgrade request.
pub(super) async fn upgrade(app: HttpState, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let Some(protocol) = ws_protocol(&parts.headers) else {
        return (StatusCode::BAD_REQUEST, "unsupported WebSocket subprotocol").into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    websocket(app, upgrade, protocol)
}

/// The GraphQL subprotocol the client asked for, read as async-graphql-axum's
/// `GraphQLProtocol` extractor reads it.
fn ws_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
}

fn websocket(app: HttpState, upgrade: WebSocketUpgrade, protocol: WebSocketProtocols) -> Response {
    let settings = app.state.settings.clone();
    // Held for as long as the connection is open (released if the upgrade fails).
    let Ok(slot) = app.subscriber_slots.clone().try_acquire_owned() else {
        app.state.metrics.limit_refused(Limit::WebsocketConnections);
        tracing::warn!(
            limit = settings.ws_max_connections,
            "WebSocket connection refused: too many open connections"
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "too many open WebSocket connections; try again later",
        )
            .into_response();
    };
    upgrade
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(settings.ws_max_message_bytes)
        .max_frame_size(settings.ws_max_message_bytes)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Not instrumented with the upgrade request's span: keeping that span open for
        // the connection's life cost 1.2 KiB per idle connection (12.7 -> 11.5 KiB
        // per subscriber at N = 10,000, BENCHMARKS.md); the connection's few log lines
        // stand alone.
        .on_upgrade(move |socket| async move {
            super::ws_connection::serve(app, socket, protocol).await;
            drop(slot);
        })
}
