//! Stored enums (installment status, release event kind, credit role) that hold an
//! unknown value fail the read with INTERNAL: a corrupt status is never read as
//! DRAFT, a corrupt event kind never becomes a publication alert.

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use super::common::*;
use crate::db_tests;
use crate::helpers::{data, error_code, settings, Backend, Protocol, TestApp, WsClient};

db_tests!(unknown_stored_values_fail_the_read);

/// Corrupts the stored values by raw SQL while no server runs on the database.
async fn corrupt(url: &str) {
    let db = premiere::db::Db::connect(url, &settings(url))
        .await
        .expect("connect");
    for sql in [
        "UPDATE installment SET status = 'EMBARGOED' WHERE number = 2",
        "UPDATE release_event SET kind = 'INSTALLMENT_RETRACTED'",
        "UPDATE credit SET role = 'GAFFER'",
    ] {
        let done = db.conn().execute_unprepared(sql).await.expect(sql);
        assert_eq!(done.rows_affected(), 1, "{sql}");
    }
    db.conn().clone().close().await.expect("close");
}

/// Asserts `resp` failed with INTERNAL and gave nothing of `field`.
fn assert_internal(resp: &Value, field: &str) {
    assert_eq!(error_code(resp), Some("INTERNAL"), "{resp}");
    let text = resp.to_string();
    for leaked in ["EMBARGOED", "INSTALLMENT_RETRACTED", "GAFFER"] {
        assert!(!text.contains(leaked), "the stored value leaked: {resp}");
    }
    assert!(
        resp["data"].is_null() || resp["data"][field].is_null(),
        "{resp}"
    );
}

async fn unknown_stored_values_fail_the_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let published = create_installment(&app, &series, 1, true).await;
    let draft = create_installment(&app, &series, 2, false).await;
    let person = create_person(&app, "Keum Sae-rok").await;
    add_credit(&app, published["id"].as_str().expect("id"), &person).await;
    let db = app.stop().await;
    corrupt(&db.url).await;
    let app = TestApp::spawn_on(db, |_| {}).await;

    // Not DRAFT: the read fails.
    let resp = app
        .admin(
            "query($id: ID!) { node(id: $id) { ... on Installment { status } } }",
            json!({ "id": draft["id"] }),
        )
        .await;
    assert_internal(&resp, "node");
    let resp = app
        .admin(
            "{ allInstallments(first: 10) { nodes { status } } }",
            json!({}),
        )
        .await;
    assert_internal(&resp, "allInstallments");

    // Not INSTALLMENT_PUBLISHED: the log cannot be read past it.
    let resp = app
        .query("{ releaseEvents(first: 10) { nodes { kind } } }", json!({}))
        .await;
    assert_internal(&resp, "releaseEvents");

    // Nor is it sent to a subscriber catching up from the log: the subscription ends
    // with the error instead.
    let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    let after = premiere::graphql::ids::cursor(0);
    let sub = client
        .subscribe(LIGHT_ALERTS, json!({ "after": after }))
        .await;
    let msg = client.next_message().await.expect("a message");
    assert_eq!(msg["id"], sub, "{msg}");
    let text = msg.to_string();
    assert!(text.contains("\"INTERNAL\""), "{msg}");
    assert!(!text.contains("INSTALLMENT_PUBLISHED"), "{msg}");
    assert!(!text.contains("INSTALLMENT_RETRACTED"), "{msg}");

    // Not OTHER.
    let resp = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Installment { credits { nodes { role } } } } }",
            json!({ "id": published["id"] }),
        )
        .await;
    assert_eq!(error_code(&resp), Some("INTERNAL"), "{resp}");
    assert!(!resp.to_string().contains("GAFFER"), "{resp}");

    // What is not corrupt still reads.
    let resp = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Installment { status } } }",
            json!({ "id": published["id"] }),
        )
        .await;
    assert_eq!(data(&resp)["node"]["status"], "PUBLISHED");
}
