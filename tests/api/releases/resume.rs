//! No gap, no duplicate: resuming with `after` (after a disconnect and across a
//! restart), and a subscriber that stops reading for a while.

use serde_json::{json, Value};

use super::common::*;
use crate::db_tests;
use crate::helpers::{Backend, Protocol, TestApp, TestDb, WsClient};

db_tests!(
    resumes_after_a_disconnect,
    resumes_across_a_server_restart,
    slow_subscriber_receives_everything_once_in_order,
);

fn installment_ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["installment"]["id"].as_str().expect("id").to_string())
        .collect()
}

fn id_of(installment: &Value) -> String {
    installment["id"].as_str().expect("id").to_string()
}

/// Resumes after `cursor` on a new connection, unfiltered and filtered to `series`;
/// expects `missed` (all) and `missed_in_series`, then live events and no duplicate.
async fn resume_and_check(
    app: &TestApp,
    cursor: &Value,
    series: &str,
    other_series: &str,
    missed: &[String],
    missed_in_series: &[String],
    next_number: i32,
) {
    let mut client = WsClient::connect(app, Protocol::TransportWs, json!({})).await;
    let all = start(
        app,
        &mut client,
        &alerts_query(),
        json!({ "after": cursor }),
    )
    .await;
    let filtered = start(
        app,
        &mut client,
        &alerts_query(),
        json!({ "after": cursor, "filter": { "seriesIds": [series] } }),
    )
    .await;

    // First what was missed, from the log.
    let caught_up = collect_counts(
        &mut client,
        &[
            (all.clone(), missed.len()),
            (filtered.clone(), missed_in_series.len()),
        ],
    )
    .await;
    assert_eq!(installment_ids(&caught_up[&all]), missed);
    assert_eq!(installment_ids(&caught_up[&filtered]), missed_in_series);

    // Then live events: D in `series`, E in the other one, F in `series`.
    let d = id_of(&create_installment(app, series, next_number, true).await);
    let e = id_of(&create_installment(app, other_series, next_number, true).await);
    let f = id_of(&create_installment(app, series, next_number + 1, true).await);
    let live = collect_until(&mut client, &[all.clone(), filtered.clone()], |ev| {
        ev["installment"]["id"] == f.as_str()
    })
    .await;
    assert_eq!(installment_ids(&live[&all]), vec![d.clone(), e, f.clone()]);
    assert_eq!(installment_ids(&live[&filtered]), vec![d, f]);

    // Every cursor seen is the log's, each once, in order.
    let mut seen = caught_up[&all].clone();
    seen.extend(live[&all].iter().cloned());
    let log = release_events(app, json!({})).await;
    let log_cursors = cursors(&log);
    let from = log_cursors
        .iter()
        .position(|c| Some(c.as_str()) == cursor.as_str())
        .expect("the resumed cursor is in the log");
    assert_eq!(cursors(&seen), log_cursors[from + 1..].to_vec());
}

async fn resumes_after_a_disconnect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alpha = create_series(&app, "alpha", "Alpha").await;
    let beta = create_series(&app, "beta", "Beta").await;
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::TransportWs, &alerts_query(), json!({})).await;

    let a = id_of(&create_installment(&app, &alpha, 1, true).await);
    let event_a = next_event(&mut client, &sub).await;
    assert_eq!(event_a["installment"]["id"], a.as_str());
    client.close().await;

    // Missed while away: B (alpha), an interview on A (alpha), C (beta).
    let b = id_of(&create_installment(&app, &alpha, 2, true).await);
    create_interview(&app, &a, "While you were away").await;
    let c = id_of(&create_installment(&app, &beta, 1, true).await);

    resume_and_check(
        &app,
        &event_a["cursor"],
        &alpha,
        &beta,
        &[b.clone(), a.clone(), c],
        &[b, a],
        3,
    )
    .await;
}

async fn resumes_across_a_server_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alpha = create_series(&app, "alpha", "Alpha").await;
    let beta = create_series(&app, "beta", "Beta").await;
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::TransportWs, &alerts_query(), json!({})).await;
    let a = id_of(&create_installment(&app, &alpha, 1, true).await);
    let event_a = next_event(&mut client, &sub).await;
    assert_eq!(event_a["installment"]["id"], a.as_str());
    // B is published before the restart, C after it.
    let b = id_of(&create_installment(&app, &beta, 1, true).await);

    let db = app.stop().await;
    drop(client);
    let app = TestApp::spawn_on(db, |_| {}).await;

    let c = id_of(&create_installment(&app, &alpha, 2, true).await);
    resume_and_check(
        &app,
        &event_a["cursor"],
        &alpha,
        &beta,
        &[b, c.clone()],
        &[c],
        3,
    )
    .await;
}

/// Events with a large payload, sent first: they fill the socket buffers and the
/// server's outgoing queue, so the server stops taking events off the bus for the
/// slow subscriber.
const BIG_EVENTS: i32 = 60;
/// Then more small events than the bus channel holds (1024).
const SMALL_EVENTS: i32 = 1_080;
const SLOW_EVENTS: i32 = BIG_EVENTS + SMALL_EVENTS;

async fn slow_subscriber_receives_everything_once_in_order(backend: Backend) {
    // It stops reading for as long as the publishing takes, which on a loaded
    // machine can pass the default send timeout (30 s) and the two silent keep-alive
    // intervals (2 × 15 s: it answers no ping while it does not read) that would
    // each close it.
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| {
        s.send_timeout_secs = 600;
        s.ws_keepalive_secs = 600;
    })
    .await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let synopsis = "x".repeat(10_000);
    // Twenty copies of a long synopsis: about 200 KB on the wire per big event.
    let copies: String = (1..=20).map(|i| format!("s{i}: synopsis ")).collect();
    let query = format!(
        "subscription {{ releaseAlerts {{ cursor installment {{ id number {copies} }} }} }}"
    );
    let (mut slow, slow_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, &query, json!({})).await;
    // A second subscriber that keeps reading.
    let (mut fast, fast_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, LIGHT_ALERTS, json!({})).await;

    let dispatched = app.metric("premiere_release_events_dispatched_total").await;
    let mut created = publish_many(&app, &series, 1..BIG_EVENTS + 1, Some(&synopsis)).await;
    created.extend(publish_many(&app, &series, BIG_EVENTS + 1..SLOW_EVENTS + 1, None).await);
    let log = release_events(&app, json!({ "seriesIds": [series] })).await;
    let ids = installment_ids(&log);
    assert_eq!(ids.len(), created.len());
    // Every event has been shared on the bus before the slow one reads anything.
    app.wait_metric_at_least(
        "premiere_release_events_dispatched_total",
        dispatched + f64::from(SLOW_EVENTS),
    )
    .await;

    let mut fast_got = Vec::new();
    for _ in 0..SLOW_EVENTS {
        fast_got.push(next_event(&mut fast, &fast_sub).await);
    }
    assert_eq!(installment_ids(&fast_got), ids);

    let statements = app.statements().await;
    let mut slow_got = Vec::with_capacity(ids.len());
    for _ in 0..SLOW_EVENTS {
        let event = next_event(&mut slow, &slow_sub).await;
        let number = event["installment"]["number"].as_i64().expect("number");
        let big = number <= i64::from(BIG_EVENTS);
        let expected = if big { Some(10_000) } else { None };
        assert_eq!(event["installment"]["s20"].as_str().map(str::len), expected);
        // Only what is checked is kept.
        slow_got.push(json!({
            "cursor": event["cursor"],
            "installment": { "id": event["installment"]["id"] },
        }));
    }
    assert_eq!(installment_ids(&slow_got), ids);
    // The premise: it fell behind the bus, and read its gap from the log.
    assert!(
        app.statements().await > statements,
        "the slow subscriber never fell behind the bus; make its events bigger"
    );
    assert_eq!(cursors(&slow_got), cursors(&fast_got));

    // Nothing more (no duplicate) before a later marker.
    let marker = create_installment(&app, &series, SLOW_EVENTS + 1, true).await;
    let event = next_event(&mut slow, &slow_sub).await;
    assert_eq!(event["installment"]["id"], marker["id"]);
}
