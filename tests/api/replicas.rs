//! Several replicas over one PostgreSQL database (run when `TEST_DATABASE_URL` is set).

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::fixtures::series_id;
use crate::helpers::{data, Backend, Protocol, TestApp, TestDb, WsClient};

const ALERTS: &str = "subscription($after: String, $series: [ID!]) {
  releaseAlerts(after: $after, filter: { seriesIds: $series }) {
    cursor kind installment { number title }
  }
}";

fn postgres_available() -> bool {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: TEST_DATABASE_URL is not set, replica tests not run");
        return false;
    }
    true
}

/// A replica whose dispatcher never looks at the log unless woken: only a
/// NOTIFY from another replica can make it deliver what that replica published.
async fn replica_of(url: &str) -> TestApp {
    TestApp::spawn_on(TestDb::shared(url), |s| s.log_idle_check_secs = 3600).await
}

/// Two replicas over one fresh PostgreSQL database.
async fn two_replicas() -> (TestApp, TestApp) {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = replica_of(&a.db.url).await;
    (a, b)
}

async fn publish_new(app: &TestApp, series: &str, number: i64) -> Value {
    let resp = app
        .admin(
            "mutation($s: ID!, $n: Int!) { createInstallment(input: { seriesId: $s, number: $n, publish: true }) { id status } }",
            json!({ "s": series, "n": number }),
        )
        .await;
    data(&resp)["createInstallment"].clone()
}

async fn last_cursor(app: &TestApp) -> Option<String> {
    let resp = app
        .query(
            "{ releaseEvents(first: 100) { edges { cursor } } }",
            json!({}),
        )
        .await;
    data(&resp)["releaseEvents"]["edges"]
        .as_array()
        .and_then(|edges| edges.last())
        .and_then(|edge| edge["cursor"].as_str())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_on_one_replica_is_delivered_by_the_other() {
    if !postgres_available() {
        return;
    }
    let (a, b) = two_replicas().await;
    let series = series_id(&a, "replicated", "replicated").await;
    let mut client = WsClient::connect(&b, Protocol::TransportWs, json!({})).await;
    client
        .subscribe(ALERTS, json!({ "series": [series.clone()] }))
        .await;
    b.wait_metric_at_least("premiere_subscriptions_open", 1.0)
        .await;
    for number in 1..=3 {
        publish_new(&a, &series, number).await;
    }
    for number in 1..=3 {
        let event = client.next_data().await;
        let alert = &event["data"]["releaseAlerts"];
        assert_eq!(alert["kind"], "INSTALLMENT_PUBLISHED", "{event}");
        assert_eq!(alert["installment"]["number"], number, "{event}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_schedulers_publish_each_due_installment_once() {
    if !postgres_available() {
        return;
    }
    let a = TestApp::spawn(Backend::Postgres).await;
    let series = series_id(&a, "raced", "raced").await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    for number in 1..=50 {
        let resp = a
            .admin(
                "mutation($s: ID!, $n: Int!, $at: DateTime!) { createInstallment(input: { seriesId: $s, number: $n, releaseAt: $at, publish: true }) { status } }",
                json!({ "s": series, "n": number, "at": later }),
            )
            .await;
        assert_eq!(data(&resp)["createInstallment"]["status"], "SCHEDULED");
    }
    let db = a.stop().await;
    // While no replica runs, all 50 fall due.
    let pool = sea_orm::sqlx::PgPool::connect(&db.url)
        .await
        .expect("connect");
    sea_orm::sqlx::query("UPDATE installment SET release_at = NOW() - INTERVAL '1 second' WHERE status = 'SCHEDULED'")
        .execute(&pool)
        .await
        .expect("make them due");
    pool.close().await;

    // Two replicas start together, and both schedulers find the same 50 due at once.
    let (a, b) = tokio::join!(
        TestApp::spawn_on(TestDb::shared(&db.url), |_| {}),
        TestApp::spawn_on(TestDb::shared(&db.url), |_| {}),
    );
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT * 3;
    let published = loop {
        let total = a.metric("premiere_scheduler_published_total").await
            + b.metric("premiere_scheduler_published_total").await;
        if total >= 50.0 || tokio::time::Instant::now() > deadline {
            break total;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(
        published, 50.0,
        "each due installment is claimed by exactly one scheduler"
    );
    let resp = a
        .query(
            "query($s: [ID!]) { releaseEvents(first: 100, filter: { seriesIds: $s }) { edges { node { installment { number status } } } } }",
            json!({ "s": [series] }),
        )
        .await;
    let numbers: Vec<i64> = data(&resp)["releaseEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["installment"]["number"].as_i64().expect("number"))
        .collect();
    assert_eq!(
        numbers.len(),
        50,
        "each due installment is in the log exactly once"
    );
    assert_eq!(numbers.iter().collect::<HashSet<_>>().len(), 50);
    drop((a, b));
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_a_stopped_replica_resume_on_the_other_without_loss() {
    if !postgres_available() {
        return;
    }
    let (a, b) = two_replicas().await;
    let series = series_id(&b, "failover", "failover").await;
    let start = last_cursor(&a).await;
    let mut client = WsClient::connect(&a, Protocol::TransportWs, json!({})).await;
    client
        .subscribe(
            ALERTS,
            json!({ "series": [series.clone()], "after": start }),
        )
        .await;
    a.wait_metric_at_least("premiere_subscriptions_open", 1.0)
        .await;

    // Publishes keep coming through B while A goes away.
    let publisher = {
        let url = b.url("/graphql");
        let series = series.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for number in 1..=30 {
                let resp: Value = http
                    .post(&url)
                    .bearer_auth(crate::helpers::TOKEN)
                    .json(&json!({
                        "query": "mutation($s: ID!, $n: Int!) { createInstallment(input: { seriesId: $s, number: $n, publish: true }) { id } }",
                        "variables": { "s": series, "n": number },
                    }))
                    .send()
                    .await
                    .expect("publish")
                    .json()
                    .await
                    .expect("json");
                assert!(resp.get("errors").is_none(), "{resp}");
            }
        })
    };

    let mut received: Vec<i64> = Vec::new();
    let mut cursor: Option<String> = None;
    while received.len() < 10 {
        let event = client.next_data().await;
        let alert = &event["data"]["releaseAlerts"];
        received.push(alert["installment"]["number"].as_i64().expect("number"));
        cursor = alert["cursor"].as_str().map(str::to_string);
    }
    let _owner = a.stop().await;
    drop(client);

    let mut resumed = WsClient::connect(&b, Protocol::TransportWs, json!({})).await;
    resumed
        .subscribe(ALERTS, json!({ "series": [series], "after": cursor }))
        .await;
    while received.len() < 30 {
        let event = resumed.next_data().await;
        received.push(
            event["data"]["releaseAlerts"]["installment"]["number"]
                .as_i64()
                .expect("number"),
        );
    }
    publisher.await.expect("publisher finished");
    assert_eq!(
        received,
        (1..=30).collect::<Vec<_>>(),
        "in order, no gap, no duplicate"
    );
}
