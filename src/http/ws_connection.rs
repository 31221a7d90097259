//! One WebSocket connection's task: the `connection_init` deadline, the session's
//! messages (`ws_session`), keep-alive pings, the liveness check and shutdown. One
//! task writes everything: a writer task and channel per connection cost memory and
//! a wake-up per message (BENCHMARKS.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::WebSocketProtocols;
use axum::extract::ws::{Message, WebSocket};
use futures_util::{SinkExt, StreamExt};

use super::router::HttpState;
use super::ws_session::{close, Reply, Session};
use crate::graphql::limits::SubscriptionSlots;
use crate::metrics::Dropped;

/// How long a write must have waited to count as the peer reading (see below).
const BLOCKED_WRITE: Duration = Duration::from_millis(100);

pub(super) async fn serve(app: HttpState, socket: WebSocket, protocol: WebSocketProtocols) {
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
                .send(close(4408, "Connection initialisation timeout"))
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
        })
        // The data of text and binary messages, until the first read error.
        .take_while(|message| futures_util::future::ready(message.is_ok()))
        .filter_map(|message| {
            futures_util::future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    futures_util::pin_mut!(input);
    let mut session = Session::new(protocol, slots);
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
            message = session.next() => match message {
                Some(message) => message,
                None => break,
            },
            received = input.next() => match received {
                Some(data) => match session.receive(&app, &data) {
                    Reply::Nothing => continue,
                    Reply::Send(message) => message,
                    Reply::Close(Some(message @ Message::Close(_))) => message,
                    Reply::Close(Some(message)) => {
                        let _ = sink.send(message).await;
                        break;
                    }
                    Reply::Close(None) => break,
                },
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
                close(1001, "no answer to keep-alive pings")
            }
        };
        let closing = matches!(message, Message::Close(_));
        let sending = tokio::time::Instant::now();
        if sink.send(message).await.is_err() || closing {
            break;
        }
        // A write that waited for the peer's receive window and then went out means
        // the peer is reading: it is there, though its pongs may be queued behind
        // what it reads (a slow reader of big alerts). A peer that stays blocked is
        // dropped by the listener's send timeout instead.
        if sending.elapsed() >= BLOCKED_WRITE {
            heard.store(millis_since(opened), Ordering::Relaxed);
        }
    }
    // The operations (and their slots) end before the socket closes.
    drop(session);
    let _ = sink.close().await;
    metrics.ws_closed();
}

fn millis_since(start: tokio::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
