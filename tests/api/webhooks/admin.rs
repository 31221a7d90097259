//! Managing webhooks: list, update, delete, start from a cursor, bad input, the record
//! of deliveries (paged newest first, pruned), and `/metrics`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::receiver::{Receiver, Reply};
use super::support::{self, acknowledged, assert_refused, log_cursors};
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{data, error_code, Backend, TestApp, WAIT};
use crate::releases::common::{create_installment, publish_many};

db_tests!(
    webhooks_are_listed_updated_and_deleted,
    bad_input_is_refused_and_changes_nothing,
    a_webhook_can_start_after_a_cursor,
    deliveries_are_paged_newest_first,
    old_delivery_records_are_pruned,
    metrics_count_outcomes_latency_and_backlog,
);

async fn webhooks_are_listed_updated_and_deleted(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let mut receivers = Vec::new();
    let mut ids = Vec::new();
    let mut secrets = Vec::new();
    for n in 0..3 {
        let receiver = Receiver::start().await;
        let (id, secret) = support::create(
            &app,
            &receiver,
            json!({ "description": format!("endpoint {n}") }),
        )
        .await;
        receivers.push(receiver);
        ids.push(id);
        secrets.push(secret);
    }
    let resp = app
        .admin(
            "{ webhooks(first: 2) { totalCount nodes { id description enabled } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let page = &data(&resp)["webhooks"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["nodes"][0]["id"], json!(ids[0]));
    assert_eq!(page["nodes"][1]["description"], "endpoint 1");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);

    let series = series_id(&app, "managed", "Managed").await;
    let resp = support::update(
        &app,
        &ids[1],
        json!({ "description": null, "filter": { "seriesIds": [series] } }),
    )
    .await;
    let updated = &data(&resp)["updateWebhook"];
    assert!(updated["description"].is_null(), "{updated}");
    assert_eq!(updated["filter"]["seriesIds"], json!([series]));
    let resp = support::update(&app, &ids[1], json!({ "filter": null })).await;
    assert!(data(&resp)["updateWebhook"]["filter"].is_null(), "{resp}");
    // Moved to the third receiver's URL.
    let resp = support::update(&app, &ids[0], json!({ "url": receivers[2].url })).await;
    assert_eq!(data(&resp)["updateWebhook"]["url"], json!(receivers[2].url));
    receivers[2].set_secrets(&[&secrets[0], &secrets[2]]);

    let resp = app
        .admin(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_eq!(data(&resp)["deleteWebhook"], json!(ids[1]));
    assert!(support::webhook(&app, &ids[1]).await.is_null());
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_refused(&resp, "NOT_FOUND");

    create_installment(&app, &series, 1, true).await;
    // The third receiver gets it twice (its own endpoint and the moved one); the
    // second, whose endpoint is gone, never.
    let mut got: Vec<String> = Vec::new();
    for _ in 0..2 {
        got.push(receivers[2].next().await.id);
    }
    let endpoint = |id: &str| id.split('_').nth(1).map(str::to_string);
    assert_ne!(
        endpoint(&got[0]),
        endpoint(&got[1]),
        "two endpoints: {got:?}"
    );
    // A later event reaching both remaining endpoints proves that the first was
    // never sent to the deleted one, nor to the moved one's old URL.
    create_installment(&app, &series, 2, true).await;
    for _ in 0..2 {
        receivers[2].next().await;
    }
    assert!(
        receivers[1].try_next(Duration::ZERO).await.is_none(),
        "a deleted endpoint gets nothing"
    );
    assert!(receivers[0].try_next(Duration::ZERO).await.is_none());
    let resp = app.admin("{ webhooks { totalCount } }", json!({})).await;
    assert_eq!(data(&resp)["webhooks"]["totalCount"], 2);
}

async fn bad_input_is_refused_and_changes_nothing(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let receiver = Receiver::start().await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "checked", "Checked").await;
    for (input, field) in [
        (
            json!({ "url": receiver.url, "after": "not-a-cursor" }),
            "input.after",
        ),
        // `cursor:99`, beyond the end of the log.
        (
            json!({ "url": receiver.url, "after": "Y3Vyc29yOjk5" }),
            "input.after",
        ),
        (
            json!({ "url": receiver.url, "description": "x".repeat(10_001) }),
            "input.description",
        ),
        (
            json!({ "url": receiver.url, "filter": { "seriesIds": ["nope"] } }),
            "filter.seriesIds",
        ),
        (
            json!({ "url": receiver.url, "filter": { "personIds": [series] } }),
            "filter.personIds",
        ),
        (
            json!({ "url": format!("{}/{}", receiver.url, "x".repeat(2_100)) }),
            "input.url",
        ),
    ] {
        let resp = support::create_raw(&app, input.clone()).await;
        assert_refused(&resp, "BAD_USER_INPUT");
        assert_eq!(
            resp["errors"][0]["extensions"]["field"], field,
            "{input}: {resp}"
        );
    }
    let resp = support::update(&app, &series, json!({ "url": receiver.url })).await;
    assert_refused(&resp, "BAD_USER_INPUT");
    let missing = "V2ViaG9vazo5OTk"; // Webhook:999
    let resp = support::update(&app, missing, json!({ "description": "x" })).await;
    assert_refused(&resp, "NOT_FOUND");
    let resp = app
        .admin(
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(error_code(&resp), Some("NOT_FOUND"), "{resp}");
    let resp = support::update(&app, &id, json!({ "url": "gopher://old.example/" })).await;
    assert_refused(&resp, "BAD_USER_INPUT");
    let resp = app
        .admin("{ webhooks { totalCount nodes { url } } }", json!({}))
        .await;
    assert_eq!(data(&resp)["webhooks"]["totalCount"], 1);
    assert_eq!(
        data(&resp)["webhooks"]["nodes"][0]["url"],
        json!(receiver.url)
    );
}

async fn a_webhook_can_start_after_a_cursor(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let series = series_id(&app, "replayed", "Replayed").await;
    publish_many(&app, &series, 1..5, None).await;
    let log = log_cursors(&app, json!({})).await;
    let mut from_now = Receiver::start().await;
    let (now_id, _) = support::create(&app, &from_now, json!({})).await;
    assert_eq!(
        support::webhook(&app, &now_id).await["acknowledgedCursor"],
        json!(log.last())
    );
    let mut replay = Receiver::start().await;
    support::create(&app, &replay, json!({ "after": log[1] })).await;
    create_installment(&app, &series, 5, true).await;
    let log = log_cursors(&app, json!({})).await;
    let replayed = replay.until_acknowledged(3, WAIT).await;
    assert_eq!(acknowledged(&replayed), log[2..].to_vec());
    let live = from_now.until_acknowledged(1, WAIT).await;
    assert_eq!(acknowledged(&live), log[4..].to_vec(), "from now on");
}

async fn deliveries_are_paged_newest_first(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let mut receiver = Receiver::scripted(|_, n| {
        if n < 3 {
            Reply::Status(500)
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "paged", "Paged").await;
    create_installment(&app, &series, 1, true).await;
    receiver.until_acknowledged(1, WAIT).await;
    support::wait_for(&app, &id, |h| h["acknowledgedCursor"].is_string()).await;
    let page = |args: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            let resp = app
                .admin(
                    &format!(
                        "query($id: ID!) {{ node(id: $id) {{ ... on Webhook {{ deliveries({args}) {{ \
                           edges {{ cursor node {{ attempt statusCode event {{ installment {{ title }} }} }} }} \
                           pageInfo {{ hasNextPage hasPreviousPage endCursor startCursor }} }} }} }} }}"
                    ),
                    json!({ "id": id }),
                )
                .await;
            data(&resp)["node"]["deliveries"].clone()
        }
    };
    let attempts = |conn: &Value| -> Vec<i64> {
        conn["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["attempt"].as_i64().expect("attempt"))
            .collect()
    };
    let first = page("first: 2").await;
    assert_eq!(attempts(&first), vec![4, 3], "newest first: {first}");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["edges"][0]["node"]["statusCode"], 200);
    assert_eq!(first["edges"][1]["node"]["statusCode"], 500);
    assert_eq!(
        first["edges"][0]["node"]["event"]["installment"]["title"],
        "Paged #1"
    );
    let end = first["pageInfo"]["endCursor"]
        .as_str()
        .expect("endCursor")
        .to_string();
    let resp = app
        .admin(
            "query($id: ID!, $after: String) { node(id: $id) { ... on Webhook { deliveries(first: 5, after: $after) { nodes { attempt } pageInfo { hasNextPage hasPreviousPage } } } } }",
            json!({ "id": id, "after": end }),
        )
        .await;
    let rest = &data(&resp)["node"]["deliveries"];
    assert_eq!(
        rest["nodes"],
        json!([{ "attempt": 2 }, { "attempt": 1 }]),
        "{rest}"
    );
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
    let last = page("last: 1").await;
    assert_eq!(attempts(&last), vec![1], "the oldest: {last}");
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
}

async fn old_delivery_records_are_pruned(backend: Backend) {
    let app = support::spawn(backend, |s| {
        s.webhook_delivery_retention_secs = 0;
        s.webhook_lease_ms = 600;
        s.webhook_timeout_ms = 300;
    })
    .await;
    let mut receiver = Receiver::start().await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "pruned", "Pruned").await;
    create_installment(&app, &series, 1, true).await;
    receiver.next().await;
    let hook = support::wait_for(&app, &id, |h| h["acknowledgedCursor"].is_string()).await;
    crate::wait::until(WAIT, "the delivery records are pruned", || async {
        support::deliveries(&app, &id, 10)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert_eq!(
        support::webhook(&app, &id).await["acknowledgedCursor"],
        hook["acknowledgedCursor"],
        "pruning the record changes no cursor"
    );
}

async fn metrics_count_outcomes_latency_and_backlog(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let up = Arc::new(AtomicBool::new(false));
    let flag = up.clone();
    let mut receiver = Receiver::scripted(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Reply::Status(200)
        } else {
            Reply::Status(502)
        }
    })
    .await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "measured", "Measured").await;
    publish_many(&app, &series, 1..6, None).await;
    let backlog = format!("premiere_webhook_backlog{{webhook=\"{id}\"}}");
    wait_metric(&app, &backlog, |v| v == 5.0).await;
    receiver.next().await;
    up.store(true, Ordering::SeqCst);
    receiver.until_acknowledged(5, WAIT).await;
    wait_metric(&app, &backlog, |v| v == 0.0).await;
    let ok = app
        .metric("premiere_webhook_deliveries_total{outcome=\"ok\"}")
        .await;
    assert_eq!(ok, 5.0);
    assert!(
        app.metric("premiere_webhook_deliveries_total{outcome=\"http_error\"}")
            .await
            >= 1.0
    );
    assert_eq!(
        app.metric("premiere_webhook_delivery_latency_seconds_count")
            .await,
        5.0
    );
    assert_eq!(
        app.metric("premiere_webhook_delivery_latency_seconds_bucket{le=\"+Inf\"}")
            .await,
        5.0
    );
}

async fn wait_metric(app: &TestApp, name: &str, ok: impl Fn(f64) -> bool) {
    crate::wait::until(WAIT, name, || async {
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let value = text.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|v| v.trim().parse::<f64>().ok())
        });
        value.is_some_and(&ok).then_some(())
    })
    .await;
}
