//! Fan-out: the database work of one event does not grow with the number of
//! subscribers.

use std::collections::HashSet;

use serde_json::json;

use super::common::*;
use crate::db_tests;
use crate::helpers::{data, Backend, Protocol, TestApp, WsClient};

db_tests!(
    fanout_statements_do_not_grow_with_subscribers,
    an_event_costs_four_statements
);

const CONNECTIONS: usize = 20;
const PER_CONNECTION: usize = 10;
/// Statements the server may run besides the delivery (a dispatcher wake-up that
/// finds nothing new, its idle check).
const SLACK: i64 = 3;

/// Rounds each case is measured over: background statements (a dispatcher wake-up
/// that finds nothing new, the webhook worker's lease check) only ever add to a
/// round, so the fewest over a few rounds is the delivery's own cost; growth with
/// the number of subscribers would show in every round.
const ROUNDS: usize = 3;

async fn fanout_statements_do_not_grow_with_subscribers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let mut installments = Vec::new();
    for number in 1..=(2 * ROUNDS) as i32 {
        let installment = create_installment(&app, &series, number, false).await;
        installments.push(installment["id"].as_str().expect("id").to_string());
    }
    let (first, second) = installments.split_at(ROUNDS);

    // One subscriber.
    let (mut single, single_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, LIGHT_ALERTS, json!({})).await;
    let mut with_one = i64::MAX;
    for id in first {
        let before = app.statements().await;
        publish(&app, id, None).await;
        let event = next_event(&mut single, &single_sub).await;
        assert_eq!(event["installment"]["id"], id.as_str());
        with_one = with_one.min(app.statements().await as i64 - before as i64);
    }

    // Two hundred more, ten to a connection.
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
        let mut ids = Vec::new();
        for _ in 0..PER_CONNECTION {
            ids.push(client.subscribe(LIGHT_ALERTS, json!({})).await);
        }
        clients.push((client, ids));
    }
    let total = 1 + CONNECTIONS * PER_CONNECTION;
    app.wait_metric_at_least("premiere_subscriptions_open", total as f64)
        .await;

    let mut with_many = i64::MAX;
    for id in second {
        let before = app.statements().await;
        publish(&app, id, None).await;
        let event = next_event(&mut single, &single_sub).await;
        assert_eq!(event["installment"]["id"], id.as_str());
        for (client, ids) in &mut clients {
            let mut seen = HashSet::new();
            for _ in 0..PER_CONNECTION {
                let msg = client.next_message().await.expect("a message");
                assert_eq!(msg["type"], "next", "{msg}");
                let event = event_of(&msg["payload"]);
                assert_eq!(event["installment"]["id"], id.as_str(), "{event}");
                assert!(seen.insert(msg["id"].as_str().expect("id").to_string()));
            }
            let expected: HashSet<String> = ids.iter().cloned().collect();
            assert_eq!(seen, expected);
        }
        with_many = with_many.min(app.statements().await as i64 - before as i64);
    }

    assert!(with_one > 0, "publishing runs statements");
    assert!(
        (with_many - with_one).abs() <= SLACK,
        "statements for one event: {with_one} with 1 subscriber, {with_many} with {total}"
    );
}

/// What the benchmark's publisher runs, once per event.
const CREATE_PUBLISHED: &str = "mutation($input: CreateInstallmentInput!) { \
    createInstallment(input: $input) { id number status } }";

/// The publishing mutation's statements. SQLite: the catalogue version's bump, which
/// takes the write lock; the insert, which reads the series; the log append.
/// PostgreSQL: the insert; the append, with its lock and NOTIFY; the bump, with its
/// NOTIFY. (BEGIN and COMMIT are not statements the counter counts.)
const MUTATION: u64 = 3;
/// The dispatcher's read of the new row, with what it refers to.
const DISPATCHER: u64 = 1;

/// The server's three statement counters: everything, the HTTP handlers', the
/// dispatcher's.
async fn counters(app: &TestApp) -> [u64; 3] {
    [
        app.statements().await,
        app.metric("premiere_sql_statements_requests_total").await as u64,
        app.metric("premiere_sql_statements_dispatcher_total").await as u64,
    ]
}

/// Issue 13's target: SQL statements per event at most 4, the publishing mutation's
/// included, measured as the benchmark does (a real publish, a real delivery, the
/// counters' deltas), by share.
async fn an_event_costs_four_statements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::TransportWs, LIGHT_ALERTS, json!({})).await;
    let mut fewest = [u64::MAX; 3];
    for number in 1..=ROUNDS as i32 {
        let before = counters(&app).await;
        let input = json!({ "seriesId": series, "number": number, "publish": true });
        let resp = app.admin(CREATE_PUBLISHED, json!({ "input": input })).await;
        let created = data(&resp)["createInstallment"].clone();
        assert_eq!(created["status"], "PUBLISHED", "{created}");
        // Delivered: the dispatcher has read it (before it shared it).
        let event = next_event(&mut client, &sub).await;
        assert_eq!(event["installment"]["id"], created["id"], "{event}");
        let after = counters(&app).await;
        for (least, (after, before)) in fewest.iter_mut().zip(after.into_iter().zip(before)) {
            *least = (*least).min(after - before);
        }
    }
    let [total, mutation, dispatcher] = fewest;
    assert_eq!(
        (mutation, dispatcher),
        (MUTATION, DISPATCHER),
        "statements per event by share (mutation, dispatcher) on {backend:?}"
    );
    assert_eq!(
        total,
        MUTATION + DISPATCHER,
        "statements per event in all on {backend:?}"
    );
}
