//! What both streamed transports share: heartbeats, the end on shutdown, the
//! subscriber connection limit, and a client that stops reading.

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::client::*;
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{error_code, Backend, TestApp, TestDb, WAIT};
use crate::releases::common::*;

db_tests!(
    heartbeats_keep_idle_streams_alive,
    shutdown_ends_every_stream,
    streams_share_the_subscriber_connection_limit,
    a_client_that_stops_reading_is_closed,
);

const ALERTS: &str = "subscription { releaseAlerts { cursor installment { id } } }";

async fn open_sse(app: &TestApp) -> SseStream {
    let before = open_subscriptions(app).await;
    let mut stream = SseStream::of(sse_get(app, ALERTS, Value::Null, None).await);
    stream.next_block().await.expect("retry");
    let start = stream.next_message().await.expect("the start id");
    assert!(start.id.is_some(), "{start:?}");
    app.wait_metric_at_least("premiere_subscriptions_open", before + 1.0)
        .await;
    stream
}

async fn open_multipart(app: &TestApp) -> MultipartStream {
    let before = open_subscriptions(app).await;
    let mut stream =
        MultipartStream::of(multipart_post(app, json!({ "query": ALERTS }), false).await);
    assert_eq!(stream.next_part().await, Some(Part::Json(json!({}))));
    app.wait_metric_at_least("premiere_subscriptions_open", before + 1.0)
        .await;
    stream
}

async fn heartbeats_keep_idle_streams_alive(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| {
        s.sse_heartbeat_ms = 40;
        s.multipart_heartbeat_ms = 40;
    })
    .await;
    let series = series_id(&app, "alpha", "Alpha").await;
    let mut sse = open_sse(&app).await;
    let mut multipart = open_multipart(&app).await;
    for _ in 0..3 {
        let block = sse.next_block().await.expect("a heartbeat");
        assert_eq!(block.raw, ":", "an SSE heartbeat is an empty comment");
        let part = multipart.next_part().await;
        assert_eq!(
            part,
            Some(Part::Json(json!({}))),
            "a multipart heartbeat is {{}}"
        );
    }
    // Between heartbeats, alerts.
    let installment = create_installment(&app, &series, 1, true).await;
    let event = event_of(&sse.next_result().await.json());
    assert_eq!(event["installment"]["id"], installment["id"]);
    let Part::Json(part) = multipart.next_payload().await else {
        panic!("a payload");
    };
    assert_eq!(event_of(&part["payload"]), event);
}

async fn shutdown_ends_every_stream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut sse = open_sse(&app).await;
    let mut multipart = open_multipart(&app).await;

    let _db = app.stop().await;

    sse.expect_complete().await;
    // Multipart: the fatal error, then the closing delimiter.
    let Part::Json(fatal) = multipart.next_payload().await else {
        panic!("a fatal error part");
    };
    assert_eq!(fatal["payload"], Value::Null, "{fatal}");
    assert_eq!(error_code(&fatal), Some("INTERNAL"), "{fatal}");
    let message = fatal["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("shutting down"), "{fatal}");
    assert_eq!(multipart.next_part().await, Some(Part::Closed));
    assert_eq!(multipart.next_part().await, None);
}

async fn try_ws(app: &TestApp) -> Option<u16> {
    let mut request = app.ws_url().into_client_request().expect("ws request");
    let protocol = "graphql-transport-ws".parse().expect("header");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocol);
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Some(resp.status().as_u16()),
        Err(err) => panic!("ws connect: {err}"),
    }
}

async fn streams_share_the_subscriber_connection_limit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| {
        s.ws_max_connections = 2;
        s.sse_heartbeat_ms = 20;
    })
    .await;
    let sse = open_sse(&app).await;
    let _multipart = open_multipart(&app).await;

    let refused = sse_get(&app, ALERTS, Value::Null, None).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    let answer: Value = refused.json().await.unwrap();
    assert!(answer["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("too many open subscriber connections")));
    let refused = multipart_post(&app, json!({ "query": ALERTS }), false).await;
    assert_eq!(refused.status(), 503);
    // WebSocket connections draw from the same slots.
    assert_eq!(try_ws(&app).await, Some(503));
    let refusals = "premiere_limit_refusals_total{limit=\"http_streams\"}";
    assert_eq!(app.metric(refusals).await, 2.0);

    // A client that goes away frees its slot (noticed at the next heartbeat).
    drop(sse);
    app.wait_metric_at_most("premiere_subscriptions_open", 1.0)
        .await;
    let _again = open_sse(&app).await;
}

/// About 200 KB of JSON per event: twenty copies of a 10 000-character synopsis.
const BIG_EVENTS: i32 = 60;

async fn a_client_that_stops_reading_is_closed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.send_timeout_secs = 1).await;
    let series = series_id(&app, "soundtrack", "Soundtrack").await;
    let copies: String = (1..=20).map(|i| format!("s{i}: synopsis ")).collect();
    let query = format!("subscription {{ releaseAlerts {{ installment {{ {copies} }} }} }}");

    // An EventSource that stops reading once the stream has started.
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let target = reqwest::Url::parse_with_params("http://x/graphql", [("query", &query)]).unwrap();
    let request = format!(
        "GET {}?{} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        target.path(),
        target.query().unwrap_or_default(),
        app.addr
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !String::from_utf8_lossy(&head).contains("data:\n\n") {
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(WAIT, socket.read(&mut buf))
            .await
            .expect("the stream starts")
            .unwrap();
        assert!(n > 0, "the stream closed early");
        head.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 200 OK"));
    app.wait_metric_at_least("premiere_subscriptions_open", 1.0)
        .await;

    // More than the socket buffers hold: the server's writes block, and after the
    // send timeout it closes the stream.
    let synopsis = "x".repeat(10_000);
    publish_many(&app, &series, 1..BIG_EVENTS + 1, Some(&synopsis)).await;
    app.wait_metric_at_most("premiere_subscriptions_open", 0.0)
        .await;

    // What the socket still holds ends without the rest, not with `complete`.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(WAIT, socket.read_to_end(&mut rest)).await;
    let total = head.len() + rest.len();
    assert!(
        total < 200_000 * BIG_EVENTS as usize,
        "the stalled client received every event ({total} bytes)"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("event: complete"));
}
