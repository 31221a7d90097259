//! `/metrics` moves when a release alert is published and delivered.

use serde_json::json;

use crate::db_tests;
use crate::helpers::{data, Backend, Protocol, TestApp, WsClient};

db_tests!(counters_move_when_an_alert_is_published_and_delivered);

async fn counters_move_when_an_alert_is_published_and_delivered(backend: Backend) {
    // Data made through this server only, so that its dispatcher has seen every event.
    let app = TestApp::spawn(backend).await;
    let series = app
        .admin(
            "mutation { createSeries(input: { slug: \"counted\", title: \"Counted\" }) { id } }",
            json!({}),
        )
        .await;
    let series_id = data(&series)["createSeries"]["id"].clone();
    let draft = app
        .admin(
            "mutation($s: ID!) { createInstallment(input: { seriesId: $s, number: 1 }) { id } }",
            json!({ "s": series_id }),
        )
        .await;
    let id = data(&draft)["createInstallment"]["id"].clone();
    let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    client
        .subscribe(
            "subscription { releaseAlerts { kind installment { title } } }",
            json!({}),
        )
        .await;
    app.wait_metric_at_least("premiere_subscriptions_open", 1.0)
        .await;
    let dispatched = app.metric("premiere_release_events_dispatched_total").await;
    let delivered = app.metric("premiere_release_events_delivered_total").await;

    let published = app
        .admin(
            "mutation($id: ID!) { publishInstallment(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&published)["publishInstallment"]["status"],
        "PUBLISHED"
    );
    let event = client.next_data().await;
    assert_eq!(
        event["data"]["releaseAlerts"]["installment"]["title"],
        "Counted #1"
    );

    assert_eq!(
        app.metric("premiere_release_events_dispatched_total").await,
        dispatched + 1.0
    );
    assert_eq!(
        app.metric("premiere_release_events_delivered_total").await,
        delivered + 1.0
    );
}
