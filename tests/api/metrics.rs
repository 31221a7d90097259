//! `/metrics` moves when a release alert is published and delivered.

use serde_json::json;

use crate::db_tests;
use crate::helpers::{data, Backend, Protocol, TestApp, WsClient};

db_tests!(
    counters_move_when_an_alert_is_published_and_delivered,
    each_server_keeps_its_own_counts_listed_from_start_up
);

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

async fn each_server_keeps_its_own_counts_listed_from_start_up(backend: Backend) {
    let busy = TestApp::spawn(backend).await;
    let idle = TestApp::spawn(backend).await;
    let ok = "premiere_graphql_requests_total{operation=\"query\",outcome=\"ok\"}";
    let before = busy.metric(ok).await;
    for _ in 0..3 {
        busy.query("{ __typename }", json!({})).await;
    }
    assert_eq!(busy.metric(ok).await, before + 3.0);
    // Another server in this process counts nothing of it: its series are listed, at zero.
    assert_eq!(idle.metric(ok).await, 0.0);
    assert_eq!(
        idle.metric("premiere_graphql_request_duration_seconds_count{operation=\"query\"}")
            .await,
        0.0
    );
    // Scheduler lateness is a histogram: its sum comes with a count and buckets.
    for series in [
        "premiere_scheduler_lateness_seconds_sum",
        "premiere_scheduler_lateness_seconds_count",
        "premiere_scheduler_lateness_seconds_bucket{le=\"+Inf\"}",
    ] {
        assert_eq!(idle.metric(series).await, 0.0, "{series}");
    }
    let text = reqwest::get(idle.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    assert!(text.contains("# TYPE premiere_scheduler_lateness_seconds histogram"));
    assert!(text.contains("# TYPE premiere_graphql_requests_total counter"));
}
