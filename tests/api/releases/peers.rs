//! Dead and stuck WebSocket peers: a client that stops answering pings, and one that
//! stops reading, are closed; resuming with their last cursor, they lose nothing.

use std::time::Instant;

use serde_json::{json, Value};

use super::common::{create_series, event_of, publish_many, start, LIGHT_ALERTS};
use crate::db_tests;
use crate::helpers::{Backend, Protocol, TestApp, TestDb, WsClient, WAIT};

const UNRESPONSIVE: &str = "premiere_connections_dropped_total{reason=\"unresponsive\"}";
const STUCK: &str = "premiere_connections_dropped_total{reason=\"stuck\"}";

/// Subscribes `client` to the series' alerts after `after` and checks that it
/// receives exactly `numbers`, in order, with nothing more before the last.
async fn resume_gets(app: &TestApp, series: &str, after: &str, numbers: &[i64]) {
    let mut client = WsClient::connect(app, Protocol::TransportWs, json!({})).await;
    let id = start(
        app,
        &mut client,
        LIGHT_ALERTS,
        json!({ "filter": { "seriesIds": [series] }, "after": after }),
    )
    .await;
    let mut got = Vec::new();
    while got.len() < numbers.len() {
        let msg = client.next_message().await.expect("an event");
        assert_eq!(msg["id"], id, "{msg}");
        let title = event_of(&msg["payload"])["installment"]["title"].clone();
        got.push(number_in(&title));
    }
    assert_eq!(
        got, numbers,
        "the resumed subscription gets each missed alert once"
    );
}

/// The installment number in a default title such as `Peers #3`.
fn number_in(title: &Value) -> i64 {
    title
        .as_str()
        .and_then(|t| t.rsplit('#').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a numbered title: {title}"))
}

async fn first_cursor(client: &mut WsClient) -> String {
    let msg = client.next_message().await.expect("an event");
    event_of(&msg["payload"])["cursor"]
        .as_str()
        .expect("cursor")
        .to_string()
}

async fn a_peer_that_stops_answering_pings_is_closed(backend: Backend) {
    let keepalive = 1;
    let app = TestApp::spawn_on(TestDb::new(backend).await, |s| {
        s.ws_keepalive_secs = keepalive;
    })
    .await;
    let series = create_series(&app, "peers", "Peers").await;
    let variables = json!({ "filter": { "seriesIds": [series] } });

    // A healthy client reads all the time, so its WebSocket library answers pings.
    let mut healthy = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    start(&app, &mut healthy, LIGHT_ALERTS, variables.clone()).await;
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(msg) = healthy.next_message().await {
            if events_tx.send(msg).is_err() {
                break;
            }
        }
    });

    let mut dead = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    start(&app, &mut dead, LIGHT_ALERTS, variables).await;
    publish_many(&app, &series, 1..2, None).await;
    let cursor = first_cursor(&mut dead).await;
    // From here on the dead client never reads again, so it sends no pong.
    let silent_since = Instant::now();
    app.wait_metric_at_least(UNRESPONSIVE, 1.0).await;
    let closed_after = silent_since.elapsed();
    assert!(
        closed_after < std::time::Duration::from_secs(3 * keepalive),
        "closed {closed_after:?} after the peer went silent (keep-alive {keepalive} s)"
    );
    assert_eq!(
        app.metric("premiere_websocket_connections_open").await,
        1.0,
        "only the silent connection is closed"
    );

    // The healthy client, open for longer than two intervals, still gets alerts.
    publish_many(&app, &series, 2..3, None).await;
    for number in [1, 2] {
        let msg = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("the healthy client gets the alert in time")
            .expect("still open");
        let title = event_of(&msg["payload"])["installment"]["title"].clone();
        assert_eq!(number_in(&title), number);
    }
    assert_eq!(app.metric(UNRESPONSIVE).await, 1.0);
    reader.abort();

    // The dead client comes back and resumes with its last cursor.
    publish_many(&app, &series, 3..4, None).await;
    resume_gets(&app, &series, &cursor, &[2, 3]).await;
}

async fn a_peer_that_stops_reading_is_closed(backend: Backend) {
    let app = TestApp::spawn_on(TestDb::new(backend).await, |s| {
        s.send_timeout_secs = 1;
        // Only the blocked write may close it here, not the silence.
        s.ws_keepalive_secs = 3600;
    })
    .await;
    let series = create_series(&app, "stuck", "Stuck").await;
    // 40 copies of a 10,000-character synopsis: 400 kB per alert, so that a few
    // alerts fill the socket buffers of a client that does not read.
    let heavy: String = (0..40)
        .map(|i| format!("s{i}: installment {{ synopsis }} "))
        .collect();
    let query = format!(
        "subscription($filter: ReleaseFilter) {{ releaseAlerts(filter: $filter) {{ \
           cursor installment {{ title }} {heavy} }} }}"
    );
    let synopsis = "x".repeat(10_000);
    let mut stuck =
        WsClient::connect_with(&app, Protocol::TransportWs, json!({}), Some(4096)).await;
    start(
        &app,
        &mut stuck,
        &query,
        json!({ "filter": { "seriesIds": [series] } }),
    )
    .await;
    publish_many(&app, &series, 1..2, Some(&synopsis)).await;
    let cursor = first_cursor(&mut stuck).await;
    // It stops reading; alerts pile up until the server's write blocks.
    let mut published = 1;
    while app.metric(STUCK).await < 1.0 {
        assert!(
            published < 200,
            "the server never gave up on the stuck peer"
        );
        publish_many(&app, &series, published + 1..published + 2, Some(&synopsis)).await;
        published += 1;
    }
    app.wait_metric_at_most("premiere_websocket_connections_open", 0.0)
        .await;
    app.wait_metric_at_most("premiere_subscriptions_open", 0.0)
        .await;
    drop(stuck);
    publish_many(&app, &series, published + 1..published + 2, None).await;
    let expected: Vec<i64> = (2..=i64::from(published) + 1).collect();
    resume_gets(&app, &series, &cursor, &expected).await;
}

db_tests!(
    a_peer_that_stops_answering_pings_is_closed,
    a_peer_that_stops_reading_is_closed,
);
