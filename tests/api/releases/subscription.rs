//! `releaseAlerts` over WebSocket: every kind of event with its fields, filters,
//! "from now on", both protocols, bad cursors and shutdown.

use std::time::Duration;

use serde_json::{json, Value};

use super::common::*;
use crate::db_tests;
use crate::helpers::{Backend, Protocol, TestApp, WsClient};

db_tests!(
    delivers_each_kind_with_its_fields,
    filters_narrow_alerts,
    without_after_only_events_from_now_on,
    legacy_protocol_delivers,
    bad_after_cursor_is_bad_user_input_and_socket_stays_usable,
    shutdown_completes_subscriptions,
);

fn credited_names(event: &Value) -> Vec<String> {
    let mut names: Vec<String> = event["installment"]["credits"]["nodes"]
        .as_array()
        .expect("credit nodes")
        .iter()
        .map(|c| c["person"]["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

async fn delivers_each_kind_with_its_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let han = create_person(&app, "Han So-hee").await;
    let ryu = create_person(&app, "Ryu Kyung-soo").await;
    let first = create_installment(&app, &series, 1, false).await;
    let first_id = first["id"].as_str().expect("id");
    add_credit(&app, first_id, &han).await;
    add_credit(&app, first_id, &ryu).await;
    let draft = create_installment(&app, &series, 9, false).await;
    let draft_id = draft["id"].as_str().expect("id");
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::TransportWs, &alerts_query(), json!({})).await;

    // publishInstallment
    let published = publish(&app, first_id, None).await;
    let e1 = next_event(&mut client, &sub).await;
    assert_eq!(e1["kind"], "INSTALLMENT_PUBLISHED", "{e1}");
    assert_eq!(e1["series"], json!({ "id": series, "title": "Soundtrack" }));
    assert_eq!(e1["installment"]["id"], first["id"]);
    assert_eq!(e1["installment"]["title"], "Soundtrack #1");
    assert_eq!(e1["installment"]["status"], "PUBLISHED");
    assert_eq!(e1["installment"]["publishedAt"], published["publishedAt"]);
    assert_eq!(credited_names(&e1), vec!["Han So-hee", "Ryu Kyung-soo"]);
    assert!(e1["interview"].is_null(), "{e1}");
    assert!(!e1["cursor"].as_str().expect("cursor").is_empty());
    let occurred = time(&e1["occurredAt"]);
    let published_at = time(&published["publishedAt"]);
    assert!(
        occurred >= published_at && (occurred - published_at).num_seconds() < 5,
        "occurredAt {occurred} vs publishedAt {published_at}"
    );

    // createInstallment(publish: true)
    let second = create_installment(&app, &series, 2, true).await;
    assert_eq!(second["status"], "PUBLISHED");
    let e2 = next_event(&mut client, &sub).await;
    assert_eq!(e2["kind"], "INSTALLMENT_PUBLISHED", "{e2}");
    assert_eq!(e2["installment"]["id"], second["id"]);
    assert_eq!(e2["installment"]["title"], "Soundtrack #2");
    assert_eq!(e2["installment"]["status"], "PUBLISHED");
    assert!(credited_names(&e2).is_empty(), "{e2}");

    // Changes to a draft are invisible to release alerts.
    update_title(&app, draft_id, "Not yet").await;
    create_interview(&app, draft_id, "Too early").await;

    // updateInstallment of a published installment
    update_title(&app, first_id, "Soundtrack #1: Director's Cut").await;
    let e3 = next_event(&mut client, &sub).await;
    assert_eq!(e3["kind"], "INSTALLMENT_UPDATED", "{e3}");
    assert_eq!(e3["installment"]["id"], first["id"]);
    assert_eq!(e3["installment"]["title"], "Soundtrack #1: Director's Cut");
    assert_eq!(e3["installment"]["status"], "PUBLISHED");
    assert_eq!(credited_names(&e3), vec!["Han So-hee", "Ryu Kyung-soo"]);
    assert!(e3["interview"].is_null(), "{e3}");

    // createInterview on a published installment
    let interview = create_interview(&app, second["id"].as_str().expect("id"), "Making of").await;
    let e4 = next_event(&mut client, &sub).await;
    assert_eq!(e4["kind"], "INTERVIEW_PUBLISHED", "{e4}");
    assert_eq!(e4["installment"]["id"], second["id"]);
    assert_eq!(e4["series"]["title"], "Soundtrack");
    assert_eq!(
        e4["interview"],
        json!({ "id": interview, "title": "Making of" })
    );

    // What was pushed is the log, in its order.
    let pushed = [e1, e2, e3, e4];
    let log = release_events(&app, json!({})).await;
    assert_eq!(cursors(&pushed), cursors(&log));
    for pair in pushed.windows(2) {
        assert!(time(&pair[0]["occurredAt"]) <= time(&pair[1]["occurredAt"]));
    }
}

/// (kind, installment id, interview title) of each event.
fn keyed(events: &[Value]) -> Vec<(String, String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind").to_string(),
                e["installment"]["id"].as_str().expect("id").to_string(),
                e["interview"]["title"].as_str().map(str::to_string),
            )
        })
        .collect()
}

async fn filters_narrow_alerts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alpha = create_series(&app, "alpha", "Alpha").await;
    let beta = create_series(&app, "beta", "Beta").await;
    let han = create_person(&app, "Han So-hee").await;
    let ahn = create_person(&app, "Ahn Eun-jin").await;
    let a1 = create_installment(&app, &alpha, 1, false).await;
    let b1 = create_installment(&app, &beta, 1, false).await;
    let b2 = create_installment(&app, &beta, 2, false).await;
    let [a1, b1, b2] = [&a1, &b1, &b2].map(|i| i["id"].as_str().expect("id").to_string());
    add_credit(&app, &a1, &han).await;
    add_credit(&app, &b1, &han).await;
    add_credit(&app, &b2, &ahn).await;

    let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    let filters = [
        ("series", json!({ "seriesIds": [alpha] })),
        ("person", json!({ "personIds": [han] })),
        ("kind", json!({ "kinds": ["INTERVIEW_PUBLISHED"] })),
        (
            "series and kinds",
            json!({ "seriesIds": [alpha], "kinds": ["INSTALLMENT_UPDATED", "INTERVIEW_PUBLISHED"] }),
        ),
        (
            "person and kinds",
            json!({ "personIds": [han], "kinds": ["INSTALLMENT_UPDATED", "INTERVIEW_PUBLISHED"] }),
        ),
        (
            "people and series",
            json!({ "personIds": [ahn, han], "seriesIds": [alpha, beta] }),
        ),
        ("none", json!({})),
    ];
    let mut ids = Vec::new();
    for (_, filter) in &filters {
        ids.push(
            start(
                &app,
                &mut client,
                &alerts_query(),
                json!({ "filter": filter }),
            )
            .await,
        );
    }

    publish(&app, &a1, None).await; // 0
    publish(&app, &b1, None).await; // 1
    publish(&app, &b2, None).await; // 2
    create_interview(&app, &b2, "On Beta 2").await; // 3
    update_title(&app, &a1, "Alpha One").await; // 4
    update_title(&app, &b1, "Beta One").await; // 5
    create_interview(&app, &a1, "marker").await; // 6: matches every filter

    let got = collect_until(&mut client, &ids, |e| e["interview"]["title"] == "marker").await;
    let log = release_events(&app, json!({})).await;
    assert_eq!(log.len(), 7);
    let expected: [&[usize]; 7] = [
        &[0, 4, 6],
        &[0, 1, 4, 5, 6],
        &[3, 6],
        &[4, 6],
        &[4, 5, 6],
        &[0, 1, 2, 3, 4, 5, 6],
        &[0, 1, 2, 3, 4, 5, 6],
    ];
    for (((name, filter), id), expected) in filters.iter().zip(&ids).zip(expected) {
        let want: Vec<Value> = expected.iter().map(|i| log[*i].clone()).collect();
        assert_eq!(
            keyed(&got[id]),
            keyed(&want),
            "subscription {name} with filter {filter}"
        );
        assert_eq!(cursors(&got[id]), cursors(&want), "{name}");
    }
}

async fn without_after_only_events_from_now_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    let earlier = create_installment(&app, &series, 1, true).await;
    create_interview(&app, earlier["id"].as_str().expect("id"), "Before").await;
    // Subscribes the moment the mutation has answered: what it did is in the past.
    let sub = start(&app, &mut client, LIGHT_ALERTS, json!({})).await;

    let later = create_installment(&app, &series, 2, true).await;
    let event = next_event(&mut client, &sub).await;
    assert_eq!(event["installment"]["id"], later["id"], "{event}");
    assert_eq!(event["kind"], "INSTALLMENT_PUBLISHED");

    // A second subscriber that joins now sees neither of those, only what follows.
    let (mut late, late_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, LIGHT_ALERTS, json!({})).await;
    let last = create_installment(&app, &series, 3, true).await;
    let event = next_event(&mut late, &late_sub).await;
    assert_eq!(event["installment"]["id"], last["id"], "{event}");
    let event = next_event(&mut client, &sub).await;
    assert_eq!(event["installment"]["id"], last["id"], "{event}");
}

async fn legacy_protocol_delivers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let han = create_person(&app, "Han So-hee").await;
    let first = create_installment(&app, &series, 1, false).await;
    add_credit(&app, first["id"].as_str().expect("id"), &han).await;
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::Legacy, &alerts_query(), json!({})).await;

    publish(&app, first["id"].as_str().expect("id"), None).await;
    let msg = client.next_message().await.expect("a message");
    assert_eq!(msg["type"], "data", "{msg}");
    assert_eq!(msg["id"], sub.as_str());
    let event = event_of(&msg["payload"]);
    assert_eq!(event["kind"], "INSTALLMENT_PUBLISHED");
    assert_eq!(event["series"]["title"], "Soundtrack");
    assert_eq!(event["installment"]["id"], first["id"]);
    assert_eq!(credited_names(&event), vec!["Han So-hee"]);

    // `stop` ends the subscription with `complete`.
    client.send(json!({ "id": sub, "type": "stop" })).await;
    let msg = client.next_message().await.expect("a message");
    assert_eq!(msg, json!({ "type": "complete", "id": sub }));

    // Resuming over the legacy protocol: from the log, then live.
    let cursor = event["cursor"].clone();
    let second = create_installment(&app, &series, 2, true).await;
    let resumed = start(
        &app,
        &mut client,
        &alerts_query(),
        json!({ "after": cursor, "filter": { "seriesIds": [series] } }),
    )
    .await;
    let event = next_event(&mut client, &resumed).await;
    assert_eq!(event["installment"]["id"], second["id"], "{event}");
    let third = create_installment(&app, &series, 3, true).await;
    let event = next_event(&mut client, &resumed).await;
    assert_eq!(event["installment"]["id"], third["id"], "{event}");
    // Nor did the stopped subscription deliver either of them.
    let extra = client.try_next_message(Duration::from_millis(200)).await;
    assert_eq!(extra, None);
}

/// The errors of subscription `id`, however the protocol reports them, and the
/// end of that subscription.
async fn expect_errors(client: &mut WsClient, id: &str) -> Value {
    let msg = client.next_message().await.expect("a message");
    assert_eq!(msg["id"], id, "{msg}");
    match msg["type"].as_str() {
        Some("error") => match &msg["payload"] {
            Value::Array(_) => msg["payload"].clone(),
            Value::Object(o) if o.contains_key("errors") => msg["payload"]["errors"].clone(),
            other => json!([other]),
        },
        Some("next") | Some("data") => {
            assert!(msg["payload"]["data"].is_null(), "{msg}");
            let errors = msg["payload"]["errors"].clone();
            let end = client.next_message().await.expect("a message");
            assert_eq!(end, json!({ "type": "complete", "id": id }));
            errors
        }
        _ => panic!("expected an error, got {msg}"),
    }
}

async fn bad_after_cursor_is_bad_user_input_and_socket_stays_usable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    create_installment(&app, &series, 1, true).await;
    // A well-formed cursor this log does not have: the third of another server's log.
    let other = TestApp::spawn(backend).await;
    let other_series = create_series(&other, "other", "Other").await;
    for n in 1..=3 {
        create_installment(&other, &other_series, n, true).await;
    }
    let unknown = cursors(&release_events(&other, json!({})).await)[2].clone();
    drop(other);

    for (number, protocol) in (2..).zip([Protocol::TransportWs, Protocol::Legacy]) {
        let mut client = WsClient::connect(&app, protocol, json!({})).await;
        for bad in [
            json!("not a cursor"),
            json!(""),
            json!(series),
            json!(unknown),
        ] {
            let id = client
                .subscribe(&alerts_query(), json!({ "after": bad }))
                .await;
            let errors = expect_errors(&mut client, &id).await;
            assert_eq!(
                errors[0]["extensions"]["code"], "BAD_USER_INPUT",
                "{protocol:?} after {bad}: {errors}"
            );
            assert!(
                errors[0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("after")),
                "{errors}"
            );
        }
        // The socket still works.
        let id = start(&app, &mut client, &alerts_query(), json!({})).await;
        let installment = create_installment(&app, &series, number, true).await;
        let event = next_event(&mut client, &id).await;
        assert_eq!(event["installment"]["id"], installment["id"], "{event}");
        client.close().await;
    }
}

async fn shutdown_completes_subscriptions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (mut modern, modern_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, LIGHT_ALERTS, json!({})).await;
    let (mut legacy, legacy_sub) =
        subscribe_alerts(&app, Protocol::Legacy, LIGHT_ALERTS, json!({})).await;

    let _db = app.stop().await;

    for (client, id) in [(&mut modern, modern_sub), (&mut legacy, legacy_sub)] {
        let msg = client.next_message().await;
        assert_eq!(
            msg,
            Some(json!({ "type": "complete", "id": id })),
            "a subscriber gets `complete` when the server stops"
        );
        // Then the connection closes.
        assert_eq!(client.next_message().await, None);
    }
}
