//! Multipart subscriptions as Apollo's clients speak them: the framing, payloads,
//! errors inside payloads, and queries over the same transport.

use serde_json::{json, Value};

use super::client::*;
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{error_code, Backend, TestApp};
use crate::releases::common::*;

db_tests!(
    alerts_arrive_as_payload_parts,
    queries_errors_and_credentials_over_multipart,
);

async fn alerts_arrive_as_payload_parts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "soundtrack", "Soundtrack").await;
    let before = open_subscriptions(&app).await;
    // Fields in alphabetical order, as `json!` writes them.
    let query = "subscription { releaseAlerts { cursor installment { title } kind } }";
    let response = multipart_post(&app, json!({ "query": query }), false).await;
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let mut stream = MultipartStream::of(response);
    // A heartbeat at once: the client knows the stream is open.
    assert_eq!(stream.next_part().await, Some(Part::Json(json!({}))));
    assert_eq!(
        stream.raw,
        "\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql"
    );
    app.wait_metric_at_least("premiere_subscriptions_open", before + 1.0)
        .await;

    let first = create_installment(&app, &series, 1, true).await;
    let second = create_installment(&app, &series, 2, true).await;
    let log = cursors(&release_events(&app, json!({})).await);
    for (installment, cursor) in [(&first, &log[0]), (&second, &log[1])] {
        let event = json!({ "releaseAlerts": {
            "cursor": cursor, "kind": "INSTALLMENT_PUBLISHED",
            "installment": { "title": installment["title"] },
        } });
        let payload = json!({ "payload": { "data": event } });
        assert_eq!(stream.next_payload().await, Part::Json(payload.clone()));
        let part = format!("\r\ncontent-type: application/json\r\n\r\n{payload}\r\n--graphql");
        assert!(stream.raw.ends_with(&part), "{:?}", stream.raw);
    }
}

async fn queries_errors_and_credentials_over_multipart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    series_id(&app, "alpha", "Alpha").await;
    let once = |body: Value, admin: bool| {
        let app = &app;
        async move {
            let mut stream = MultipartStream::of(multipart_post(app, body, admin).await);
            let Part::Json(part) = stream.next_payload().await else {
                panic!("a payload first");
            };
            assert_eq!(stream.next_part().await, Some(Part::Closed));
            assert_eq!(stream.next_part().await, None);
            assert!(
                stream.raw.ends_with("\r\n--graphql--\r\n"),
                "{:?}",
                stream.raw
            );
            part
        }
    };

    let part = once(
        json!({ "query": "{ seriesBySlug(slug: \"alpha\") { title } }" }),
        false,
    )
    .await;
    assert_eq!(
        part,
        json!({ "payload": { "data": { "seriesBySlug": { "title": "Alpha" } } } })
    );
    // GraphQL errors are inside the payload.
    let part = once(
        json!({ "query": "subscription { releaseAlerts { nope } }" }),
        false,
    )
    .await;
    assert_eq!(
        error_code(&part["payload"]),
        Some("BAD_USER_INPUT"),
        "{part}"
    );
    assert!(part["payload"].get("data").is_none(), "{part}");
    let bad_after = json!({ "query": "subscription { releaseAlerts(after: \"x\") { cursor } }" });
    let part = once(bad_after, false).await;
    assert_eq!(part["payload"]["errors"][0]["extensions"]["field"], "after");

    let create = json!({ "query": "mutation { createPerson(input: { name: \"Jo\" }) { name } }" });
    let part = once(create.clone(), false).await;
    assert_eq!(
        error_code(&part["payload"]),
        Some("UNAUTHENTICATED"),
        "{part}"
    );
    let part = once(create, true).await;
    assert_eq!(
        part,
        json!({ "payload": { "data": { "createPerson": { "name": "Jo" } } } })
    );
}
