//! The GraphQL session of one WebSocket connection, for both subprotocols
//! (`graphql-transport-ws`, and the legacy `graphql-ws` of subscriptions-transport-ws),
//! answering as async-graphql's `http::WebSocket` did. Queries and mutations run
//! through the schema as over HTTP; a `releaseAlerts` subscription becomes the member
//! of a group (`crate::fanout`), so that each event is executed and serialised once
//! per group and each subscriber costs a receiver and a cursor. async-graphql's own
//! session kept a parsed document, a query environment and boxed execution streams
//! per subscription, 18 KiB of 28.5 KiB per idle subscriber (BENCHMARKS.md).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_graphql::http::{ClientMessage, WebSocketProtocols};
use async_graphql::{Data, Executor, Request, Response};
use axum::extract::ws::{CloseFrame, Message};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

use super::credential::Credential;
use super::router::HttpState;
use crate::fanout::{Payload, Probe, Template};
use crate::graphql::guard::Admin;
use crate::graphql::limits::SubscriptionSlots;

/// What the connection does after a client message.
pub(super) enum Reply {
    Nothing,
    Send(Message),
    /// Send this (if any), then close the connection.
    Close(Option<Message>),
}

/// One connection's session: acknowledged or not, and its operations by id.
pub(super) struct Session {
    protocol: WebSocketProtocols,
    slots: SubscriptionSlots,
    /// The connection data once `connection_init` was acknowledged, and whether its
    /// payload carried the admin credential.
    init: Option<(Arc<Data>, bool)>,
    operations: HashMap<String, BoxStream<'static, Payload>>,
}

impl Session {
    pub(super) fn new(protocol: WebSocketProtocols, slots: SubscriptionSlots) -> Session {
        Session {
            protocol,
            slots,
            init: None,
            operations: HashMap::new(),
        }
    }

    /// Handles one text or binary message of the client.
    pub(super) fn receive(&mut self, app: &HttpState, message: &[u8]) -> Reply {
        let message = match ClientMessage::from_bytes(message) {
            Ok(message) => message,
            Err(err) => return Reply::Close(Some(close(1002, &err.to_string()))),
        };
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.init.is_some() {
                    const TOO_MANY: &str = "Too many initialisation requests.";
                    return Reply::Close(Some(match self.protocol {
                        WebSocketProtocols::GraphQLWS => close(4429, TOO_MANY),
                        WebSocketProtocols::SubscriptionsTransportWS => connection_error(TOO_MANY),
                    }));
                }
                let admin = Credential::of_init_payload(
                    &payload.unwrap_or_default(),
                    &app.state.admin_token,
                )
                .is_admin();
                let mut data = Data::default();
                data.insert(self.slots.clone());
                if admin {
                    data.insert(Admin);
                }
                self.init = Some((Arc::new(data), admin));
                Reply::Send(text(r#"{"type":"connection_ack"}"#.to_string()))
            }
            ClientMessage::Start { id, payload } => {
                let Some((data, admin)) = &self.init else {
                    return Reply::Close(Some(close(1011, "The handshake is not completed.")));
                };
                let operation = operation(app, payload, data.clone(), *admin);
                self.operations.insert(id, operation);
                Reply::Nothing
            }
            ClientMessage::Stop { id } => match self.operations.remove(&id) {
                Some(_) => Reply::Send(complete(&id)),
                None => Reply::Nothing,
            },
            ClientMessage::ConnectionTerminate => Reply::Close(None),
            ClientMessage::Ping { .. } => Reply::Send(text(r#"{"type":"pong"}"#.to_string())),
            ClientMessage::Pong { .. } => Reply::Nothing,
        }
    }

    /// The next message of any operation: a `next` (`data`) or, when it ends, a
    /// `complete`.
    pub(super) fn poll_outgoing(&mut self, cx: &mut Context<'_>) -> Poll<Message> {
        let mut ended = None;
        for (id, operation) in &mut self.operations {
            match Pin::new(operation).poll_next(cx) {
                Poll::Ready(Some(payload)) => {
                    return Poll::Ready(text(next(self.protocol, id, &payload)));
                }
                Poll::Ready(None) => {
                    ended = Some(id.clone());
                    break;
                }
                Poll::Pending => {}
            }
        }
        match ended {
            Some(id) => {
                self.operations.remove(&id);
                Poll::Ready(complete(&id))
            }
            None => Poll::Pending,
        }
    }
}

/// Runs one operation. A query or mutation gives its response; a subscription first
/// runs with a [`Probe`], which the resolver fills in instead of opening a stream
/// (or a response with the errors that refused it), then joins its group.
fn operation(
    app: &HttpState,
    request: Request,
    data: Arc<Data>,
    admin: bool,
) -> BoxStream<'static, Payload> {
    let schema = app.schema.clone();
    let state = app.state.clone();
    // What the key and the group's executions need, kept only until the start.
    let template = Template::of(&request);
    let probe = Probe::default();
    let mut responses = schema
        .gated()
        .execute_stream(request.data(probe.clone()), Some(data));
    async_stream::stream! {
        while let Some(response) = responses.next().await {
            if let Some(payload) = serialise(&response) {
                yield payload;
            }
        }
        drop(responses);
        if let Some(joined) = probe.take() {
            let key = template.key(admin, joined.after);
            let mut payloads = state.fanout.subscribe(&schema, &state, key, template, joined);
            drop((schema, state));
            while let Some(payload) = payloads.next().await {
                yield payload;
            }
        }
    }
    .boxed()
}

fn serialise(response: &Response) -> Option<Payload> {
    match serde_json::to_string(response) {
        Ok(json) => Some(json.into()),
        Err(err) => {
            tracing::error!(%err, "could not serialise a response");
            None
        }
    }
}

fn next(protocol: WebSocketProtocols, id: &str, payload: &str) -> String {
    let kind = match protocol {
        WebSocketProtocols::GraphQLWS => "next",
        WebSocketProtocols::SubscriptionsTransportWS => "data",
    };
    let id = serde_json::Value::from(id);
    format!(r#"{{"type":"{kind}","id":{id},"payload":{payload}}}"#)
}

fn complete(id: &str) -> Message {
    let id = serde_json::Value::from(id);
    text(format!(r#"{{"type":"complete","id":{id}}}"#))
}

fn connection_error(message: &str) -> Message {
    text(
        serde_json::json!({
            "type": "connection_error",
            "payload": async_graphql::Error::new(message),
        })
        .to_string(),
    )
}

fn text(text: String) -> Message {
    Message::Text(text.into())
}

pub(super) fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

impl Stream for Session {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.get_mut().poll_outgoing(cx).map(Some)
    }
}
