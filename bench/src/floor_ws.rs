//! The fan-out floor: a bare WebSocket broadcast server (axum ws, one task per
//! connection, a tokio broadcast channel) that speaks just enough graphql-transport-ws
//! for the same clients, and pushes one pre-serialised frame per publish.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Result;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tokio::sync::broadcast;

#[derive(Clone)]
struct Floor {
    tx: broadcast::Sender<Utf8Bytes>,
    subscribed: Arc<AtomicU64>,
}

pub async fn serve(listen: SocketAddr) -> Result<()> {
    let (tx, _) = broadcast::channel(64);
    let floor = Floor {
        tx,
        subscribed: Arc::default(),
    };
    let router = Router::new()
        .route("/graphql", get(upgrade))
        .route("/publish", post(publish))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, router).await?;
    Ok(())
}

async fn metrics(State(floor): State<Floor>) -> String {
    format!(
        "premiere_subscriptions_open {}\npremiere_sql_statements_total 0\n",
        floor.subscribed.load(Ordering::SeqCst)
    )
}

#[derive(Deserialize)]
struct Publish {
    number: u64,
    size: usize,
}

/// A `next` message carrying `installment.number`, padded to `size` bytes.
pub fn frame(number: u64, size: usize) -> String {
    let head = format!(
        "{{\"id\":\"1\",\"type\":\"next\",\"payload\":{{\"data\":{{\"releaseAlerts\":{{\"installment\":{{\"number\":{number}}},\"pad\":\""
    );
    let tail = "\"}}}}";
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut out = String::with_capacity(size.max(head.len() + tail.len()));
    out.push_str(&head);
    out.extend(std::iter::repeat_n('x', pad));
    out.push_str(tail);
    out
}

async fn publish(State(floor): State<Floor>, Query(p): Query<Publish>) -> String {
    let frame = Utf8Bytes::from(frame(p.number, p.size));
    let receivers = floor.tx.send(frame).unwrap_or(0);
    receivers.to_string()
}

async fn upgrade(State(floor): State<Floor>, upgrade: WebSocketUpgrade) -> Response {
    // The same buffer settings as the server (src/http/websocket.rs).
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .protocols(["graphql-transport-ws"])
        .on_upgrade(move |socket| connection(floor, socket))
}

async fn wait_for(socket: &mut WebSocket, kind: &str) -> bool {
    let wanted = format!("\"{kind}\"");
    while let Some(Ok(message)) = socket.recv().await {
        if let Message::Text(text) = message {
            if text.as_str().contains(&wanted) {
                return true;
            }
        }
    }
    false
}

async fn connection(floor: Floor, mut socket: WebSocket) {
    if !wait_for(&mut socket, "connection_init").await {
        return;
    }
    if socket
        .send(Message::Text(r#"{"type":"connection_ack"}"#.into()))
        .await
        .is_err()
    {
        return;
    }
    if !wait_for(&mut socket, "subscribe").await {
        return;
    }
    let mut rx = floor.tx.subscribe();
    floor.subscribed.fetch_add(1, Ordering::SeqCst);
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(frame) => {
                    if socket.send(Message::Text(frame)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            message = socket.recv() => match message {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    floor.subscribed.fetch_sub(1, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_has_the_size_and_is_json() {
        let f = frame(1234, 300);
        assert_eq!(f.len(), 300);
        let v: serde_json::Value = serde_json::from_str(&f).expect("json");
        assert_eq!(
            v["payload"]["data"]["releaseAlerts"]["installment"]["number"],
            1234
        );
    }
}
