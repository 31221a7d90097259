//! Fan-out: the database work of one event does not grow with the number of
//! subscribers.

use std::collections::HashSet;

use serde_json::json;

use super::common::*;
use crate::db_tests;
use crate::helpers::{Backend, Protocol, TestApp, WsClient};

db_tests!(fanout_statements_do_not_grow_with_subscribers);

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
