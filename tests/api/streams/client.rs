//! Clients of the streamed transports: an SSE reader (as an `EventSource` or the
//! graphql-sse client reads a stream) and a multipart reader (as Apollo's clients
//! split parts), over reqwest, keeping the raw text for wire-format assertions.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, TOKEN, WAIT};

/// What Apollo Client sends with a subscription over `HttpLink`.
pub const APOLLO_ACCEPT: &str = "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,\
    application/graphql-response+json,application/json;q=0.9";

/// A GET as an `EventSource` sends it: the request in the query string.
pub async fn sse_get(
    app: &TestApp,
    query: &str,
    variables: Value,
    last_event_id: Option<&str>,
) -> Response {
    let mut params = vec![("query", query.to_string())];
    if !variables.is_null() {
        params.push(("variables", variables.to_string()));
    }
    let mut req = app
        .client
        .get(app.url("/graphql"))
        .query(&params)
        .header(ACCEPT, "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    req.send().await.expect("SSE GET sent")
}

/// A POST as the graphql-sse client sends it, with the admin token when `admin`.
pub async fn sse_post(app: &TestApp, body: Value, admin: bool) -> Response {
    post(app, body, admin, "text/event-stream").await
}

/// A POST as Apollo Client sends a subscription.
pub async fn multipart_post(app: &TestApp, body: Value, admin: bool) -> Response {
    post(app, body, admin, APOLLO_ACCEPT).await
}

async fn post(app: &TestApp, body: Value, admin: bool, accept: &str) -> Response {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header(ACCEPT, accept)
        .json(&body);
    if admin {
        req = req.bearer_auth(TOKEN);
    }
    req.send().await.expect("POST sent")
}

/// One message of an event stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The block as sent, without its closing blank line.
    pub raw: String,
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: Option<String>,
    pub retry: Option<u64>,
}

impl Message {
    /// A block of comments only (a heartbeat).
    pub fn is_comment(&self) -> bool {
        self.raw.lines().all(|l| l.starts_with(':'))
    }

    /// The data as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().unwrap_or_default())
            .unwrap_or_else(|e| panic!("data is not JSON ({e}): {self:?}"))
    }
}

/// Reads an event stream block by block.
pub struct SseStream {
    response: Response,
    buffer: String,
}

impl SseStream {
    /// Checks that `response` is an event stream and starts reading it.
    pub fn of(response: Response) -> SseStream {
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(
            headers[CONTENT_TYPE], "text/event-stream; charset=utf-8",
            "{headers:?}"
        );
        SseStream {
            response,
            buffer: String::new(),
        }
    }

    /// The next block, heartbeats included; None once the server closed the stream.
    pub async fn next_block(&mut self) -> Option<Message> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw = self.buffer[..end].to_string();
                self.buffer.drain(..end + 2);
                return Some(parse(raw));
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("timed out waiting for an SSE message");
            match chunk {
                Ok(Some(chunk)) => self
                    .buffer
                    .push_str(std::str::from_utf8(&chunk).expect("UTF-8 stream")),
                _ => {
                    assert!(
                        self.buffer.is_empty(),
                        "unterminated block: {:?}",
                        self.buffer
                    );
                    return None;
                }
            }
        }
    }

    /// The next block that is not a heartbeat nor only `retry:`.
    pub async fn next_message(&mut self) -> Option<Message> {
        loop {
            let block = self.next_block().await?;
            let retry_only = block.retry.is_some() && !block.raw.contains('\n');
            if !block.is_comment() && !retry_only {
                return Some(block);
            }
        }
    }

    /// The next `next` event's data.
    pub async fn next_result(&mut self) -> Message {
        let message = self.next_message().await.expect("a `next` event");
        assert_eq!(message.event.as_deref(), Some("next"), "{message:?}");
        message
    }

    /// Expects `complete` (in the form `EventSource` dispatches), then the end.
    pub async fn expect_complete(&mut self) {
        let message = self.next_message().await.expect("a `complete` event");
        assert_eq!(message.raw, "event: complete\ndata:", "{message:?}");
        assert_eq!(
            self.next_message().await,
            None,
            "the stream ends after complete"
        );
    }
}

fn parse(raw: String) -> Message {
    let mut message = Message {
        raw: raw.clone(),
        ..Message::default()
    };
    for line in raw.lines() {
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_string();
        match field {
            "event" => message.event = Some(value),
            "id" => message.id = Some(value),
            "retry" => message.retry = Some(value.parse().expect("retry is a number")),
            "data" => {
                message.data = Some(match message.data.take() {
                    Some(data) => format!("{data}\n{value}"),
                    None => value,
                })
            }
            other => panic!("unknown SSE field {other:?} in {raw:?}"),
        }
    }
    message
}

/// The delimiter Apollo's clients split on.
const DELIMITER: &str = "\r\n--graphql";

/// One part of a multipart stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// The JSON body of a part (`{}` is a heartbeat).
    Json(Value),
    /// The closing delimiter.
    Closed,
}

/// Reads a multipart subscription stream part by part.
pub struct MultipartStream {
    response: Response,
    /// Everything received, as sent.
    pub raw: String,
    read: usize,
    opened: bool,
}

impl MultipartStream {
    /// Checks the content type and reads the opening delimiter.
    pub fn of(response: Response) -> MultipartStream {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "multipart/mixed; boundary=\"graphql\"; subscriptionSpec=\"1.0\""
        );
        MultipartStream {
            response,
            raw: String::new(),
            read: 0,
            opened: false,
        }
    }

    async fn fill(&mut self) -> bool {
        let chunk = tokio::time::timeout(WAIT, self.response.chunk())
            .await
            .expect("timed out waiting for a multipart part");
        match chunk {
            Ok(Some(chunk)) => {
                self.raw
                    .push_str(std::str::from_utf8(&chunk).expect("UTF-8 stream"));
                true
            }
            _ => false,
        }
    }

    /// The next part, heartbeats included; None once the stream ended.
    pub async fn next_part(&mut self) -> Option<Part> {
        loop {
            let rest = &self.raw[self.read..];
            if !self.opened {
                if rest.len() >= DELIMITER.len() {
                    assert!(
                        rest.starts_with(DELIMITER),
                        "no opening delimiter: {rest:?}"
                    );
                    self.read += DELIMITER.len();
                    self.opened = true;
                    continue;
                }
            } else if rest.starts_with('-') {
                if rest.len() >= 4 {
                    assert_eq!(rest, "--\r\n", "the closing delimiter ends the body");
                    self.read = self.raw.len();
                    return Some(Part::Closed);
                }
            } else if let Some(end) = rest.find(DELIMITER) {
                let part = &rest[..end];
                let (head, body) = part.split_once("\r\n\r\n").expect("part headers");
                assert_eq!(head, "\r\ncontent-type: application/json", "{part:?}");
                let json = serde_json::from_str(body).expect("a JSON part");
                self.read += end + DELIMITER.len();
                return Some(Part::Json(json));
            }
            if !self.fill().await {
                assert_eq!(&self.raw[self.read..], "", "unterminated multipart body");
                return None;
            }
        }
    }

    /// The next part that is not a heartbeat.
    pub async fn next_payload(&mut self) -> Part {
        loop {
            match self.next_part().await.expect("a part") {
                Part::Json(json) if json == json!({}) => continue,
                part => return part,
            }
        }
    }
}
