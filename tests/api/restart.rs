//! The PostgreSQL server restarts under a running replica. This test stops and
//! starts the local cluster, so it is ignored by default and run alone by `.ci/run`:
//! `cargo test --test api -- --ignored --test-threads=1`.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{data, error_code, Backend, Protocol, TestApp, WsClient, WAIT};

fn cluster(action: &str) {
    let versions = std::fs::read_dir("/etc/postgresql").expect("/etc/postgresql");
    let version = versions
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .next()
        .expect("a PostgreSQL cluster");
    let status = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .status()
        .expect("pg_ctlcluster runs");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

async fn wait_ready(app: &TestApp, ready: bool) {
    let deadline = Instant::now() + WAIT * 3;
    loop {
        let status = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .status();
        if status.is_success() == ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never became ready={ready}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn publish(app: &TestApp, series: &str, number: i64) -> Value {
    app.admin(
        "mutation($s: ID!, $n: Int!) { createInstallment(input: { seriesId: $s, number: $n, publish: true }) { id } }",
        json!({ "s": series, "n": number }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "restarts the local PostgreSQL cluster; run alone with --ignored"]
async fn a_database_restart_loses_no_release_alert() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: TEST_DATABASE_URL is not set, database restart test not run");
        return;
    }
    let db = crate::helpers::TestDb::new(Backend::Postgres).await;
    let app = TestApp::spawn_on(db, |s| {
        s.db_acquire_timeout_secs = 2;
        s.log_idle_check_secs = 3600;
    })
    .await;
    let resp = app
        .admin(
            "mutation { createSeries(input: { slug: \"restarted\", title: \"Restarted\" }) { id } }",
            json!({}),
        )
        .await;
    let series = data(&resp)["createSeries"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    client
        .subscribe(
            "subscription($s: [ID!]) { releaseAlerts(filter: { seriesIds: $s }) { installment { number } } }",
            json!({ "s": [series.clone()] }),
        )
        .await;
    app.wait_metric_at_least("premiere_subscriptions_open", 1.0)
        .await;
    assert!(publish(&app, &series, 1).await.get("errors").is_none());
    assert_eq!(
        client.next_data().await["data"]["releaseAlerts"]["installment"]["number"],
        1
    );

    cluster("stop");
    wait_ready(&app, false).await;
    let started = Instant::now();
    let down = app
        .query("{ allSeries(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&down), Some("INTERNAL"), "{down}");
    assert!(
        down["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unavailable"),
        "{down}"
    );
    assert!(
        started.elapsed() < WAIT,
        "a query while the database is down fails fast"
    );

    cluster("start");
    wait_ready(&app, true).await;
    // The first statements after the restart may still meet a dead pooled connection.
    let deadline = Instant::now() + WAIT;
    loop {
        let resp = publish(&app, &series, 2).await;
        if resp.get("errors").is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "publishing never recovered: {resp}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = client.next_data().await;
    assert_eq!(
        event["data"]["releaseAlerts"]["installment"]["number"], 2,
        "{event}"
    );
}
