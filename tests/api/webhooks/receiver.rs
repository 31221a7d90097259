//! A webhook receiver for the tests: an HTTP server on 127.0.0.1:0 that verifies
//! every request's signature with the `standardwebhooks` crate (the Standard
//! Webhooks reference implementation for Rust, independent of the server's signing
//! code), answers as the test's script says, and hands each request to the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;
use tokio::sync::mpsc;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Status(u16),
    /// Never answers.
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub raw: Vec<u8>,
    pub body: Value,
    /// For each secret known when the request came: whether it verified the request.
    pub verified: Vec<(String, bool)>,
    pub reply: Reply,
}

impl Delivery {
    /// The event's log cursor.
    pub fn cursor(&self) -> &str {
        self.body["data"]["cursor"].as_str().expect("data.cursor")
    }

    pub fn acknowledged(&self) -> bool {
        matches!(self.reply, Reply::Status(200..=299))
    }

    /// Whether `secret` verifies this request.
    pub fn verified_by(&self, secret: &str) -> bool {
        verify(secret, &self.raw, &self.headers())
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", self.id.parse().expect("id"));
        headers.insert(
            "webhook-timestamp",
            self.timestamp.to_string().parse().expect("ts"),
        );
        headers.insert(
            "webhook-signature",
            self.signature.parse().expect("signature"),
        );
        headers
    }
}

fn verify(secret: &str, body: &[u8], headers: &HeaderMap) -> bool {
    standardwebhooks::Webhook::new(secret)
        .and_then(|hook| hook.verify(body, headers))
        .is_ok()
}

type Script = Box<dyn FnMut(&Delivery, usize) -> Reply + Send>;

struct Shared {
    secrets: Mutex<Vec<String>>,
    script: Mutex<Script>,
    count: Mutex<usize>,
    tx: mpsc::UnboundedSender<Delivery>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Delivery>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// A receiver answering 200 to everything.
    pub async fn start() -> Receiver {
        Receiver::scripted(|_, _| Reply::Status(200)).await
    }

    /// A receiver answering request number `n` (0-based) as `script(delivery, n)` says.
    pub async fn scripted(
        script: impl FnMut(&Delivery, usize) -> Reply + Send + 'static,
    ) -> Receiver {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            secrets: Mutex::new(Vec::new()),
            script: Mutex::new(Box::new(script)),
            count: Mutex::new(0),
            tx,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hooks/premiere"),
            shared,
            rx,
            task,
        }
    }

    /// The secrets each request is verified with from now on.
    pub fn set_secrets(&self, secrets: &[&str]) {
        *self.shared.secrets.lock().unwrap() = secrets.iter().map(|s| s.to_string()).collect();
    }

    /// Replaces the script.
    pub fn set_script(&self, script: impl FnMut(&Delivery, usize) -> Reply + Send + 'static) {
        *self.shared.script.lock().unwrap() = Box::new(script);
    }

    /// The next request, waiting at most `within`; it must verify with a known secret.
    pub async fn next_within(&mut self, within: Duration) -> Delivery {
        let delivery = tokio::time::timeout(within, self.rx.recv())
            .await
            .expect("timed out waiting for a webhook delivery")
            .expect("receiver running");
        assert!(
            delivery.verified.iter().any(|(_, ok)| *ok),
            "a delivery that no secret verifies: {delivery:?}"
        );
        delivery
    }

    pub async fn next(&mut self) -> Delivery {
        self.next_within(crate::helpers::WAIT).await
    }

    /// The next request if one comes within `within`.
    pub async fn try_next(&mut self, within: Duration) -> Option<Delivery> {
        tokio::time::timeout(within, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Requests until `n` were acknowledged; returns them all, in arrival order.
    pub async fn until_acknowledged(&mut self, n: usize, within: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + within;
        let mut all = Vec::new();
        while all.iter().filter(|d: &&Delivery| d.acknowledged()).count() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            all.push(self.next_within(left).await);
        }
        all
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let secrets = shared.secrets.lock().unwrap().clone();
    let verified = secrets
        .iter()
        .map(|s| (s.clone(), verify(s, &body, &headers)))
        .collect();
    let mut delivery = Delivery {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp").parse().unwrap_or(0),
        signature: header("webhook-signature"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw: body.to_vec(),
        verified,
        reply: Reply::Status(0),
    };
    let n = {
        let mut count = shared.count.lock().unwrap();
        *count += 1;
        *count - 1
    };
    let reply = (shared.script.lock().unwrap())(&delivery, n);
    delivery.reply = reply;
    let _ = shared.tx.send(delivery);
    match reply {
        Reply::Status(status) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Reply::Hang => std::future::pending().await,
    }
}
