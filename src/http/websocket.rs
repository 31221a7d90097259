//! GraphQL over WebSocket on `GET /graphql` (graphql-transport-ws and the legacy
//! graphql-ws subprotocols, spoken by async-graphql's session).
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tracing::Instrument;

use super::credential::Credential;
use super::router::HttpState;
use crate::graphql::guard::Admin;
use crate::graphql::limits::SubscriptionSlots;
use crate::metrics::{Dropped, Limit};

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
    let span = tracing::Span::current();
    upgrade
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(settings.ws_max_message_bytes)
        .max_frame_size(settings.ws_max_message_bytes)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            async move {
                serve_websocket(app, socket, protocol).await;
                drop(slot);
            }
            .instrument(span)
        })
}

async fn serve_websocket(app: HttpState, socket: WebSocket, protocol: WebSocketProtocols) {
    let settings = app.state.settings.clone();
    let metrics = app.state.metrics.clone();
    metrics.ws_opened();
    let (mut sink, mut stream) = socket.split();
    // The client must send `connection_init` (its first message) in time.
    let first = match tokio::time::timeout(settings.ws_init_timeout(), stream.next()).await {
        Ok(Some(Ok(first))) => first,
        Ok(_) => {
            metrics.ws_closed();
            return;
        }
        Err(_) => {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: 4408,
                    reason: "Connection initialisation timeout".into(),
                })))
                .await;
            metrics.ws_closed();
            return;
        }
    };
    let shutdown = app.state.dispatcher.shutdown().clone();
    let slots = SubscriptionSlots::new(settings.ws_max_subscriptions);
    let ended = slots.clone();
    // When the peer last sent anything (a message, a pong), in milliseconds since
    // `opened`: read by the liveness check below.
    let opened = tokio::time::Instant::now();
    let heard = Arc::new(AtomicU64::new(0));
    let heard_in = heard.clone();
    // On shutdown the subscriptions end and send `complete`; the connection closes
    // once they all have (or after a second).
    let input = futures_util::stream::once(async move { Ok(first) })
        .chain(stream)
        .inspect(move |_| heard_in.store(millis_since(opened), Ordering::Relaxed))
        .take_until(async move {
            shutdown.cancelled().await;
            let _ = tokio::time::timeout(Duration::from_secs(1), ended.all_free()).await;
            tokio::task::yield_now().await;
        });
    // What async-graphql-axum's `GraphQLWebSocket` feeds the session: the data of
    // text and binary messages, until the first read error.
    let input = input
        .take_while(|message| futures_util::future::ready(message.is_ok()))
        .filter_map(|message| {
            futures_util::future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let admin_token = app.state.admin_token.clone();
    let messages = async_graphql::http::WebSocket::new(app.schema.gated(), input, protocol)
        .on_connection_init(move |payload| async move {
            let mut data = Data::default();
            data.insert(slots);
            if Credential::of_init_payload(&payload, &admin_token).is_admin() {
                data.insert(Admin);
            }
            Ok(data)
        });
    // One task writes both what the session sends and the keep-alive pings: a writer
    // task and channel per connection cost memory and a wake-up per message
    // (BENCHMARKS.md).
    futures_util::pin_mut!(messages);
    let keepalive = settings.ws_keepalive();
    // A peer that sends nothing, not even a pong, for two keep-alive intervals is
    // gone (a phone that lost its network): its connection, subscriptions and slot
    // are freed, and the client resumes with `after` when it is back. A peer that
    // stops reading is dropped by the listener (`http::write_timeout`): the blocked
    // write below then fails.
    let silence = keepalive.saturating_mul(2);
    let mut ticker = tokio::time::interval_at(opened + keepalive, keepalive);
    let liveness = tokio::time::sleep_until(opened + silence);
    tokio::pin!(liveness);
    loop {
        let message = tokio::select! {
            message = messages.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
                None => break,
            },
            _ = ticker.tick() => Message::Ping(Vec::new().into()),
            () = &mut liveness => {
                let last = opened + Duration::from_millis(heard.load(Ordering::Relaxed));
                if last + silence > tokio::time::Instant::now() {
                    liveness.as_mut().reset(last + silence);
                    continue;
                }
                metrics.connection_dropped(Dropped::Unresponsive);
                tracing::info!(silent_for = ?silence, "closing a WebSocket connection whose peer stopped answering");
                Message::Close(Some(CloseFrame {
                    code: 1001,
                    reason: "no answer to keep-alive pings".into(),
                }))
            }
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = sink.close().await;
    metrics.ws_closed();
}

fn millis_since(start: tokio::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
