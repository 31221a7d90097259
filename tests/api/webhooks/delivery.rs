//! What a healthy receiver gets: every matching event, signed, in log order, once.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;

use super::receiver::Receiver;
use super::support::{self, acknowledged, log_cursors};
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{data, Backend, TestApp, TestDb};
use crate::releases::common::{
    add_credit, create_installment, create_interview, create_person, publish, publish_many,
    update_title,
};

db_tests!(
    soundtrack_2_reaches_a_receiver_signed_within_a_second,
    many_events_arrive_in_log_order_each_once,
    filters_select_the_events_subscriptions_would,
);

async fn soundtrack_2_reaches_a_receiver_signed_within_a_second(backend: Backend) {
    let app = TestApp::spawn_on(TestDb::new(backend).await, support::fast).await;
    let db = premiere::db::Db::connect(&app.db.url, &crate::helpers::settings(&app.db.url))
        .await
        .expect("connect");
    premiere::seed::seed(&db).await.expect("seed");
    let mut receiver = Receiver::start().await;
    let (_, secret) = support::create(
        &app,
        &receiver,
        json!({ "description": "push notifications", "filter": { "kinds": ["INSTALLMENT_PUBLISHED"] } }),
    )
    .await;
    let resp = app
        .admin(
            "{ seriesBySlug(slug: \"soundtrack\") { id installments(first: 10) { nodes { id number status } } } }",
            json!({}),
        )
        .await;
    let series = &data(&resp)["seriesBySlug"];
    let second = series["installments"]["nodes"]
        .as_array()
        .expect("installments")
        .iter()
        .find(|i| i["number"] == 2)
        .expect("Soundtrack #2")
        .clone();
    assert_eq!(second["status"], "DRAFT", "{second}");

    let published_at = Instant::now();
    let installment = publish(&app, second["id"].as_str().expect("id"), None).await;
    assert_eq!(installment["status"], "PUBLISHED");
    let delivery = receiver.next().await;
    let latency = published_at.elapsed();
    assert!(
        latency < Duration::from_secs(1),
        "delivered {latency:?} after the publish"
    );
    assert!(delivery.verified_by(&secret));
    assert!(
        delivery.signature.starts_with("v1,"),
        "{}",
        delivery.signature
    );
    let body = &delivery.body;
    assert_eq!(body["type"], "release.installment_published", "{body}");
    assert_eq!(body["data"]["kind"], "INSTALLMENT_PUBLISHED");
    assert_eq!(body["data"]["series"]["id"], series["id"]);
    assert_eq!(body["data"]["series"]["slug"], "soundtrack");
    assert_eq!(body["data"]["installment"]["id"], second["id"]);
    assert_eq!(body["data"]["installment"]["title"], "Soundtrack #2");
    assert_eq!(body["data"]["installment"]["status"], "PUBLISHED");
    assert_eq!(
        body["data"]["installment"]["publishedAt"],
        installment["publishedAt"]
    );
    assert!(body["data"]["interview"].is_null(), "{body}");
    let log = crate::releases::common::release_events(&app, json!({})).await;
    let last = log.last().expect("an event");
    assert_eq!(body["data"]["cursor"], last["cursor"]);
    assert_eq!(body["data"]["occurredAt"], last["occurredAt"]);
    assert_eq!(body["timestamp"], last["occurredAt"]);
    let now = chrono::Utc::now().timestamp();
    assert!(
        (delivery.timestamp - now).abs() <= 5,
        "{}",
        delivery.timestamp
    );
}

async fn many_events_arrive_in_log_order_each_once(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let mut receiver = Receiver::start().await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "many", "Many").await;
    publish_many(&app, &series, 1..121, None).await;
    let deliveries = receiver
        .until_acknowledged(120, crate::helpers::WAIT * 3)
        .await;
    let expected = log_cursors(&app, json!({})).await;
    assert_eq!(expected.len(), 120);
    assert_eq!(
        acknowledged(&deliveries),
        expected,
        "in log order, each once"
    );
    assert_eq!(deliveries.len(), 120, "no attempt was repeated");
    let ids: HashSet<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), 120, "one webhook-id per event");
    let hook = support::wait_for(&app, &id, |h| {
        h["acknowledgedCursor"] == json!(expected.last())
    })
    .await;
    assert_eq!(hook["enabled"], true);
}

async fn filters_select_the_events_subscriptions_would(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let a = series_id(&app, "alpha", "Alpha").await;
    let b = series_id(&app, "beta", "Beta").await;
    let person = create_person(&app, "Han Hyo-joo").await;
    let filters = [
        json!({ "seriesIds": [a] }),
        json!({ "personIds": [person] }),
        json!({ "kinds": ["INTERVIEW_PUBLISHED"] }),
        json!({ "seriesIds": [a, b], "kinds": ["INSTALLMENT_PUBLISHED", "INSTALLMENT_UPDATED"] }),
        json!({}),
    ];
    let mut receivers = Vec::new();
    for filter in &filters {
        let receiver = Receiver::start().await;
        let (id, _) = support::create(&app, &receiver, json!({ "filter": filter })).await;
        let hook = support::webhook(&app, &id).await;
        for field in ["seriesIds", "personIds", "kinds"] {
            assert_eq!(
                hook["filter"][field],
                filter.get(field).cloned().unwrap_or(json!(null)),
                "{hook}"
            );
        }
        receivers.push(receiver);
    }

    let a1 = create_installment(&app, &a, 1, true).await;
    let b1 = create_installment(&app, &b, 1, false).await;
    let b1 = b1["id"].as_str().expect("id");
    add_credit(&app, b1, &person).await;
    publish(&app, b1, None).await;
    create_installment(&app, &b, 2, true).await;
    create_interview(&app, a1["id"].as_str().expect("id"), "On Alpha").await;
    update_title(&app, b1, "Beta, renamed").await;
    // The last event matches every filter.
    let a2 = create_installment(&app, &a, 2, false).await;
    let a2 = a2["id"].as_str().expect("id");
    add_credit(&app, a2, &person).await;
    publish(&app, a2, None).await;
    create_interview(&app, a2, "On Alpha #2").await;

    for (filter, receiver) in filters.iter().zip(receivers.iter_mut()) {
        let expected = log_cursors(&app, filter.clone()).await;
        assert!(!expected.is_empty());
        let deliveries = receiver
            .until_acknowledged(expected.len(), crate::helpers::WAIT)
            .await;
        assert_eq!(acknowledged(&deliveries), expected, "filter {filter}");
    }
}
