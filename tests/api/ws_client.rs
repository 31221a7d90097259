//! A WebSocket client for the tests, speaking either GraphQL subprotocol
//! (re-exported by [`crate::helpers`]).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TestApp, WAIT};

/// The two WebSocket subprotocols of GraphQL subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// graphql-ws (`graphql-transport-ws`).
    TransportWs,
    /// subscriptions-transport-ws (legacy, subprotocol `graphql-ws`).
    Legacy,
}

/// A WebSocket client speaking one of the GraphQL protocols.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: Protocol,
    next_id: u32,
}

impl WsClient {
    /// Connects and completes `connection_init` with `payload`.
    pub async fn connect(app: &TestApp, protocol: Protocol, payload: Value) -> WsClient {
        WsClient::connect_with(app, protocol, payload, None).await
    }

    /// Like [`WsClient::connect`], with the socket's receive buffer set to
    /// `recv_buffer` bytes (no autotuning): a client that stops reading then blocks
    /// the server's writes after little data.
    pub async fn connect_with(
        app: &TestApp,
        protocol: Protocol,
        payload: Value,
        recv_buffer: Option<u32>,
    ) -> WsClient {
        let mut request = app.ws_url().into_client_request().expect("ws request");
        let sub = match protocol {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::Legacy => "graphql-ws",
        };
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", sub.parse().expect("header"));
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(bytes) = recv_buffer {
            socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        }
        let tcp = socket.connect(app.addr).await.expect("tcp connect");
        let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
            .await
            .expect("ws connect");
        let mut client = WsClient {
            ws,
            protocol,
            next_id: 0,
        };
        client
            .send(json!({"type": "connection_init", "payload": payload}))
            .await;
        let ack = client.next_message().await.expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("ws send");
    }

    /// Starts a subscription; returns its id.
    pub async fn subscribe(&mut self, query: &str, variables: Value) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::Legacy => "start",
        };
        self.send(
            json!({"id": id, "type": kind, "payload": {"query": query, "variables": variables}}),
        )
        .await;
        id
    }

    /// The next protocol message (keep-alives and pings skipped), or None when closed.
    pub async fn next_message(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for a WebSocket message")?;
            match msg.ok()? {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON message");
                    match value["type"].as_str() {
                        Some("ka") | Some("ping") | Some("pong") => continue,
                        _ => return Some(value),
                    }
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The payload of the next `next`/`data` message.
    pub async fn next_data(&mut self) -> Value {
        let msg = self.next_message().await.expect("a message");
        let ty = msg["type"].as_str().unwrap_or_default();
        assert!(ty == "next" || ty == "data", "expected data, got {msg}");
        msg["payload"].clone()
    }

    /// Waits at most `within` for a message; None when nothing came.
    pub async fn try_next_message(&mut self, within: Duration) -> Option<Value> {
        tokio::time::timeout(within, self.next_message())
            .await
            .unwrap_or_default()
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
