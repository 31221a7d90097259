//! Fixtures of the webhook tests: a server with small timeouts, webhook mutations,
//! and the release log as the API shows it.

use premiere::Settings;
use serde_json::{json, Value};

use super::receiver::{Delivery, Receiver};
use crate::helpers::{data, error_code, Backend, TestApp, TestDb};

/// Settings of a server delivering webhooks to this machine's receivers quickly.
pub fn fast(settings: &mut Settings) {
    settings.webhook_allow_private = true;
    settings.webhook_timeout_ms = 1_000;
    settings.webhook_lease_ms = 3_000;
    settings.webhook_retry_min_ms = 20;
    settings.webhook_retry_max_ms = 200;
}

/// A server over a fresh database with [`fast`] settings and `tweak` on top.
pub async fn spawn(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new(backend).await;
    TestApp::spawn_on(db, |s| {
        fast(s);
        tweak(s);
    })
    .await
}

pub const WEBHOOK_FIELDS: &str = "id url description enabled disabledReason acknowledgedCursor \
    createdAt filter { seriesIds personIds kinds }";

/// `createWebhook`, the raw response.
pub async fn create_raw(app: &TestApp, input: Value) -> Value {
    app.admin(
        &format!(
            "mutation($input: CreateWebhookInput!) {{ createWebhook(input: $input) {{ \
               secret webhook {{ {WEBHOOK_FIELDS} }} }} }}"
        ),
        json!({ "input": input }),
    )
    .await
}

/// A webhook to `receiver` (which learns its secret); returns its ID and secret.
pub async fn create(app: &TestApp, receiver: &Receiver, input: Value) -> (String, String) {
    let mut input = input;
    input["url"] = json!(receiver.url);
    let resp = create_raw(app, input).await;
    let payload = &data(&resp)["createWebhook"];
    let secret = payload["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"), "{payload}");
    receiver.set_secrets(&[&secret]);
    (
        payload["webhook"]["id"].as_str().expect("id").to_string(),
        secret,
    )
}

pub async fn update(app: &TestApp, id: &str, input: Value) -> Value {
    app.admin(
        &format!(
            "mutation($id: ID!, $input: UpdateWebhookInput!) {{ \
               updateWebhook(id: $id, input: $input) {{ {WEBHOOK_FIELDS} }} }}"
        ),
        json!({ "id": id, "input": input }),
    )
    .await
}

/// The webhook as `node(id:)` shows it to an admin.
pub async fn webhook(app: &TestApp, id: &str) -> Value {
    let resp = app
        .admin(
            &format!(
                "query($id: ID!) {{ node(id: $id) {{ ... on Webhook {{ {WEBHOOK_FIELDS} }} }} }}"
            ),
            json!({ "id": id }),
        )
        .await;
    data(&resp)["node"].clone()
}

pub const DELIVERY_FIELDS: &str = "messageId attempt attemptedAt statusCode error durationMs \
    nextAttemptAt event { cursor kind installment { title } }";

/// The newest `first` delivery attempts of webhook `id`, newest first.
pub async fn deliveries(app: &TestApp, id: &str, first: i32) -> Vec<Value> {
    let resp = app
        .admin(
            &format!(
                "query($id: ID!, $first: Int) {{ node(id: $id) {{ ... on Webhook {{ \
                   deliveries(first: $first) {{ nodes {{ {DELIVERY_FIELDS} }} }} }} }} }}"
            ),
            json!({ "id": id, "first": first }),
        )
        .await;
    data(&resp)["node"]["deliveries"]["nodes"]
        .as_array()
        .expect("deliveries")
        .clone()
}

/// Polls webhook `id` until `ready` holds, for at most `WAIT`.
pub async fn wait_for(app: &TestApp, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    crate::wait::until(crate::helpers::WAIT, "the webhook gets there", || async {
        Some(webhook(app, id).await).filter(|hook| ready(hook))
    })
    .await
}

/// The cursors of the release log matching `filter`, oldest first.
pub async fn log_cursors(app: &TestApp, filter: Value) -> Vec<String> {
    crate::releases::common::cursors(&crate::releases::common::release_events(app, filter).await)
}

/// The cursors of the acknowledged deliveries, in order.
pub fn acknowledged(deliveries: &[Delivery]) -> Vec<String> {
    deliveries
        .iter()
        .filter(|d| d.acknowledged())
        .map(|d| d.cursor().to_string())
        .collect()
}

pub fn assert_refused(resp: &Value, code: &str) {
    assert_eq!(error_code(resp), Some(code), "{resp}");
    assert!(resp["data"].is_null(), "{resp}");
}
