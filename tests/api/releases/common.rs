//! Fixtures and client-side helpers shared by the release alert tests.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{data, Protocol, TestApp, WsClient};

/// The fields of a `ReleaseEvent` the tests select.
pub const EVENT_FIELDS: &str = "cursor kind occurredAt \
    series { id title } \
    installment { id number title status releaseAt publishedAt \
      credits { nodes { person { name } } } } \
    interview { id title }";

/// `releaseAlerts` with every field the tests look at.
pub fn alerts_query() -> String {
    format!(
        "subscription($filter: ReleaseFilter, $after: String) {{ \
           releaseAlerts(filter: $filter, after: $after) {{ {EVENT_FIELDS} }} }}"
    )
}

/// `releaseAlerts` with only what the shared event carries (no nested lists).
pub const LIGHT_ALERTS: &str = "subscription($filter: ReleaseFilter, $after: String) { \
    releaseAlerts(filter: $filter, after: $after) { \
      cursor kind occurredAt series { title } installment { id title status } } }";

pub async fn create_series(app: &TestApp, slug: &str, title: &str) -> String {
    let resp = app
        .admin(
            "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { id } }",
            json!({ "input": { "slug": slug, "title": title } }),
        )
        .await;
    data(&resp)["createSeries"]["id"]
        .as_str()
        .expect("series id")
        .to_string()
}

pub async fn create_person(app: &TestApp, name: &str) -> String {
    let resp = app
        .admin(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id } }",
            json!({ "input": { "name": name } }),
        )
        .await;
    data(&resp)["createPerson"]["id"]
        .as_str()
        .expect("person id")
        .to_string()
}

pub const INSTALLMENT_FIELDS: &str =
    "id number title status releaseAt publishedAt updatedAt series { id }";

/// Creates an installment (DRAFT unless `publish`); returns its fields.
pub async fn create_installment(app: &TestApp, series: &str, number: i32, publish: bool) -> Value {
    create_installment_with(
        app,
        json!({ "seriesId": series, "number": number, "publish": publish }),
    )
    .await
}

pub async fn create_installment_with(app: &TestApp, input: Value) -> Value {
    let resp = app
        .admin(
            &format!(
                "mutation($input: CreateInstallmentInput!) {{ \
                   createInstallment(input: $input) {{ {INSTALLMENT_FIELDS} }} }}"
            ),
            json!({ "input": input }),
        )
        .await;
    data(&resp)["createInstallment"].clone()
}

/// `publishInstallment`, the raw response.
pub async fn publish_raw(app: &TestApp, id: &str, at: Option<&str>) -> Value {
    app.admin(
        &format!(
            "mutation($id: ID!, $at: DateTime) {{ \
               publishInstallment(id: $id, at: $at) {{ {INSTALLMENT_FIELDS} }} }}"
        ),
        json!({ "id": id, "at": at }),
    )
    .await
}

/// Publishes now (or schedules for `at`); returns the installment.
pub async fn publish(app: &TestApp, id: &str, at: Option<&str>) -> Value {
    let resp = publish_raw(app, id, at).await;
    data(&resp)["publishInstallment"].clone()
}

pub async fn update_title(app: &TestApp, id: &str, title: &str) -> Value {
    let resp = app
        .admin(
            &format!(
                "mutation($id: ID!, $input: UpdateInstallmentInput!) {{ \
                   updateInstallment(id: $id, input: $input) {{ {INSTALLMENT_FIELDS} }} }}"
            ),
            json!({ "id": id, "input": { "title": title } }),
        )
        .await;
    data(&resp)["updateInstallment"].clone()
}

pub async fn add_credit(app: &TestApp, installment: &str, person: &str) {
    let resp = app
        .admin(
            "mutation($input: AddCreditInput!) { addCredit(input: $input) { id } }",
            json!({ "input": {
                "installmentId": installment, "personId": person, "role": "ACTOR"
            } }),
        )
        .await;
    data(&resp);
}

pub async fn create_interview(app: &TestApp, installment: &str, title: &str) -> String {
    let resp = app
        .admin(
            "mutation($input: CreateInterviewInput!) { createInterview(input: $input) { id } }",
            json!({ "input": {
                "installmentId": installment, "outlet": "Cine21", "title": title
            } }),
        )
        .await;
    data(&resp)["createInterview"]["id"]
        .as_str()
        .expect("interview id")
        .to_string()
}

/// Every entry of the release log matching `filter`, oldest first, read page by page.
pub async fn release_events(app: &TestApp, filter: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let resp = app
            .query(
                &format!(
                    "query($after: String, $filter: ReleaseFilter) {{ \
                       releaseEvents(first: 100, after: $after, filter: $filter) {{ \
                         edges {{ cursor node {{ {EVENT_FIELDS} }} }} \
                         pageInfo {{ hasNextPage endCursor }} }} }}"
                ),
                json!({ "after": after, "filter": filter }),
            )
            .await;
        let page = &data(&resp)["releaseEvents"];
        for edge in page["edges"].as_array().expect("edges") {
            assert_eq!(edge["cursor"], edge["node"]["cursor"], "{edge}");
            out.push(edge["node"].clone());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return out;
        }
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .expect("endCursor")
                .to_string(),
        );
    }
}

/// The cursors of `events`, in order.
pub fn cursors(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["cursor"].as_str().expect("cursor").to_string())
        .collect()
}

/// The number of subscriptions the server counts as open.
pub async fn open_subscriptions(app: &TestApp) -> f64 {
    app.metric("premiere_subscriptions_open").await
}

/// Connects, starts `releaseAlerts` with `variables` and waits until the server
/// counts it (so that whatever is published next is "from now on" for it).
pub async fn subscribe_alerts(
    app: &TestApp,
    protocol: Protocol,
    query: &str,
    variables: Value,
) -> (WsClient, String) {
    let mut client = WsClient::connect(app, protocol, json!({})).await;
    let id = start(app, &mut client, query, variables).await;
    (client, id)
}

/// Starts a subscription on `client` and waits until the server counts it.
pub async fn start(app: &TestApp, client: &mut WsClient, query: &str, variables: Value) -> String {
    let before = open_subscriptions(app).await;
    let id = client.subscribe(query, variables).await;
    app.wait_metric_at_least("premiere_subscriptions_open", before + 1.0)
        .await;
    id
}

/// The release event of a `next`/`data` payload, which must carry no errors.
pub fn event_of(payload: &Value) -> Value {
    assert!(
        payload.get("errors").is_none() || payload["errors"].is_null(),
        "unexpected errors: {payload}"
    );
    payload["data"]["releaseAlerts"].clone()
}

/// The next release event on `client` for subscription `id`.
pub async fn next_event(client: &mut WsClient, id: &str) -> Value {
    let msg = client.next_message().await.expect("a message");
    let ty = msg["type"].as_str().unwrap_or_default();
    assert!(ty == "next" || ty == "data", "expected an event, got {msg}");
    assert_eq!(msg["id"], id, "{msg}");
    event_of(&msg["payload"])
}

/// Reads messages until every subscription in `ids` got an event satisfying `last`;
/// returns the events of each, in arrival order. An event after the one satisfying
/// `last` on the same subscription fails the test, when it arrives in time.
pub async fn collect_until(
    client: &mut WsClient,
    ids: &[String],
    last: impl Fn(&Value) -> bool,
) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = ids.iter().map(|id| (id.clone(), vec![])).collect();
    let mut done = 0;
    while done < ids.len() {
        let msg = client.next_message().await.expect("a message");
        let ty = msg["type"].as_str().unwrap_or_default();
        assert!(ty == "next" || ty == "data", "expected an event, got {msg}");
        let id = msg["id"].as_str().expect("id").to_string();
        let event = event_of(&msg["payload"]);
        let events = out
            .get_mut(&id)
            .unwrap_or_else(|| panic!("unknown id {id}"));
        assert!(
            !events.last().is_some_and(&last),
            "event after the last one on {id}: {event}"
        );
        if last(&event) {
            done += 1;
        }
        events.push(event);
    }
    out
}

/// Reads messages until each subscription `id` got `count` events; returns them.
/// An event beyond its count fails the test, when it arrives in time.
pub async fn collect_counts(
    client: &mut WsClient,
    counts: &[(String, usize)],
) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> =
        counts.iter().map(|(id, _)| (id.clone(), vec![])).collect();
    let wanted =
        |out: &HashMap<String, Vec<Value>>| counts.iter().all(|(id, n)| out[id].len() >= *n);
    while !wanted(&out) {
        let msg = client.next_message().await.expect("a message");
        let ty = msg["type"].as_str().unwrap_or_default();
        assert!(ty == "next" || ty == "data", "expected an event, got {msg}");
        let id = msg["id"].as_str().expect("id").to_string();
        let (_, count) = counts
            .iter()
            .find(|(known, _)| *known == id)
            .unwrap_or_else(|| panic!("unknown id {id}"));
        let events = out.get_mut(&id).expect("known id");
        assert!(
            events.len() < *count,
            "more than {count} events on {id}: {msg}"
        );
        events.push(event_of(&msg["payload"]));
    }
    out
}

pub fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("a time: {value}")))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// A time `millis` from now, as a client would send it.
pub fn from_now(millis: i64) -> String {
    (Utc::now() + chrono::Duration::milliseconds(millis))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Creates installments `numbers` of `series`, each published on creation, with a
/// few requests in flight at a time; returns their ids (in no particular order:
/// the release log gives the order).
pub async fn publish_many(
    app: &TestApp,
    series: &str,
    numbers: std::ops::Range<i32>,
    synopsis: Option<&str>,
) -> Vec<String> {
    use futures_util::StreamExt;
    let query = "mutation($series: ID!, $number: Int!, $synopsis: String) { \
                 createInstallment(input: { seriesId: $series, number: $number, \
                   synopsis: $synopsis, publish: true }) { id status } }";
    futures_util::stream::iter(numbers)
        .map(|n| async move {
            let resp = app
                .admin(
                    query,
                    json!({ "series": series, "number": n, "synopsis": synopsis }),
                )
                .await;
            let installment = &data(&resp)["createInstallment"];
            assert_eq!(installment["status"], "PUBLISHED", "{installment}");
            installment["id"].as_str().expect("id").to_string()
        })
        .buffer_unordered(4)
        .collect()
        .await
}
