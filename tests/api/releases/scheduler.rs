//! Scheduled publishing: on time, rescheduled, unscheduled, and a release that
//! fell due while the server was down. The server runs on a manual clock that the
//! test moves: nothing waits on the wall clock.

use premiere::clock::ManualClock;
use serde_json::{json, Value};

use super::common::*;
use crate::db_tests;
use crate::helpers::{data, Backend, Protocol, TestApp, TestDb};

db_tests!(
    scheduled_installments_publish_on_time,
    release_due_while_down_publishes_once_at_start_up,
);

/// A server over `db` whose clock is `clock`.
async fn spawn_at(db: TestDb, clock: &ManualClock) -> TestApp {
    TestApp::spawn_on(db, |s| s.clock = clock.clone().into()).await
}

/// A time `millis` after `clock`'s now, as a client would send it.
fn after(clock: &ManualClock, millis: i64) -> String {
    (clock.now() + chrono::Duration::milliseconds(millis))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn id_of(installment: &Value) -> &str {
    installment["id"].as_str().expect("id")
}

/// Asserts an event published `installment` at its release time, within 100 ms.
fn assert_on_time(event: &Value, installment: &Value, release_at: &str) {
    assert_eq!(event["kind"], "INSTALLMENT_PUBLISHED", "{event}");
    assert_eq!(event["installment"]["id"], installment["id"], "{event}");
    assert_eq!(event["installment"]["status"], "PUBLISHED", "{event}");
    let due = time(&json!(release_at));
    assert_eq!(time(&event["installment"]["releaseAt"]), due, "{event}");
    let published = time(&event["installment"]["publishedAt"]);
    let late = published - due;
    assert!(
        late >= chrono::Duration::zero() && late < chrono::Duration::milliseconds(100),
        "published {late} after releaseAt ({event})"
    );
    assert!(time(&event["occurredAt"]) >= due, "{event}");
}

async fn scheduled_installments_publish_on_time(backend: Backend) {
    let clock = ManualClock::starting_now();
    let app = spawn_at(TestDb::new(backend).await, &clock).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let unscheduled = create_installment(&app, &series, 1, false).await;
    let by_publish = create_installment(&app, &series, 2, false).await;
    let rescheduled = create_installment(&app, &series, 4, false).await;
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::TransportWs, &alerts_query(), json!({})).await;

    let at_unscheduled = after(&clock, 1_500);
    let at_publish = after(&clock, 2_000);
    let at_create = after(&clock, 2_200);
    let at_rescheduled = after(&clock, 2_400);

    let scheduled = publish(&app, id_of(&unscheduled), Some(&at_unscheduled)).await;
    assert_eq!(scheduled["status"], "SCHEDULED");
    let resp = app
        .admin(
            "mutation($id: ID!) { unscheduleInstallment(id: $id) { status } }",
            json!({ "id": unscheduled["id"] }),
        )
        .await;
    assert_eq!(data(&resp)["unscheduleInstallment"]["status"], "DRAFT");

    let scheduled = publish(&app, id_of(&by_publish), Some(&at_publish)).await;
    assert_eq!(scheduled["status"], "SCHEDULED", "{scheduled}");
    assert_eq!(time(&scheduled["releaseAt"]), time(&json!(at_publish)));
    assert!(scheduled["publishedAt"].is_null());

    let by_create = create_installment_with(
        &app,
        json!({ "seriesId": series, "number": 3, "publish": true, "releaseAt": at_create }),
    )
    .await;
    assert_eq!(by_create["status"], "SCHEDULED", "{by_create}");

    // Scheduled far ahead, then moved to a near time.
    let far = publish(&app, id_of(&rescheduled), Some(&after(&clock, 3_600_000))).await;
    assert_eq!(far["status"], "SCHEDULED");
    let resp = app
        .admin(
            "mutation($id: ID!, $at: DateTime) { \
               updateInstallment(id: $id, input: { releaseAt: $at }) { status releaseAt } }",
            json!({ "id": rescheduled["id"], "at": at_rescheduled }),
        )
        .await;
    assert_eq!(data(&resp)["updateInstallment"]["status"], "SCHEDULED");

    // In release order, each as the clock reaches it; the unscheduled one, due first
    // (the clock passes its time on the way to the next), never comes.
    clock.set(time(&json!(at_publish)));
    let event = next_event(&mut client, &sub).await;
    assert_on_time(&event, &by_publish, &at_publish);
    clock.set(time(&json!(at_create)));
    let event = next_event(&mut client, &sub).await;
    assert_on_time(&event, &by_create, &at_create);
    clock.set(time(&json!(at_rescheduled)));
    let event = next_event(&mut client, &sub).await;
    assert_on_time(&event, &rescheduled, &at_rescheduled);

    let log = release_events(&app, json!({})).await;
    assert_eq!(log.len(), 3, "{log:?}");
    let resp = app
        .admin(
            "query($id: ID!) { node(id: $id) { ... on Installment { status publishedAt } } }",
            json!({ "id": unscheduled["id"] }),
        )
        .await;
    assert_eq!(
        data(&resp)["node"],
        json!({ "status": "DRAFT", "publishedAt": null })
    );
    assert!(
        app.metric("premiere_scheduler_published_total").await >= 3.0,
        "the scheduler counts what it published"
    );
}

async fn release_due_while_down_publishes_once_at_start_up(backend: Backend) {
    let clock = ManualClock::starting_now();
    let app = spawn_at(TestDb::new(backend).await, &clock).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    create_installment(&app, &series, 1, true).await;
    let before = release_events(&app, json!({})).await;
    let last_cursor = before[0]["cursor"].clone();
    let due = create_installment(&app, &series, 2, false).await;
    let later = create_installment(&app, &series, 3, false).await;

    let at = after(&clock, 1_000);
    assert_eq!(
        publish(&app, id_of(&due), Some(&at)).await["status"],
        "SCHEDULED"
    );
    let far = after(&clock, 3_600_000);
    assert_eq!(
        publish(&app, id_of(&later), Some(&far)).await["status"],
        "SCHEDULED"
    );
    // Still scheduled when the server goes down.
    let resp = app
        .admin(
            "query($id: ID!) { node(id: $id) { ... on Installment { status } } }",
            json!({ "id": due["id"] }),
        )
        .await;
    assert_eq!(data(&resp)["node"]["status"], "SCHEDULED");
    let db = app.stop().await;

    // The release time passes while nothing runs.
    clock.set(time(&json!(at)) + chrono::Duration::milliseconds(20));

    let app = spawn_at(db, &clock).await;
    let (mut client, sub) = subscribe_alerts(
        &app,
        Protocol::TransportWs,
        &alerts_query(),
        json!({ "after": last_cursor }),
    )
    .await;
    let event = next_event(&mut client, &sub).await;
    assert_eq!(event["kind"], "INSTALLMENT_PUBLISHED", "{event}");
    assert_eq!(event["installment"]["id"], due["id"], "{event}");
    assert_eq!(time(&event["installment"]["releaseAt"]), time(&json!(at)));
    assert!(
        time(&event["installment"]["publishedAt"]) >= time(&json!(at)),
        "{event}"
    );
    // Published by the restarted server, once.
    app.wait_metric_at_least("premiere_scheduler_published_total", 1.0)
        .await;
    let marker = create_installment(&app, &series, 4, true).await;
    let event = next_event(&mut client, &sub).await;
    assert_eq!(event["installment"]["id"], marker["id"], "{event}");
    assert_eq!(app.metric("premiere_scheduler_published_total").await, 1.0);
    let of_due: Vec<Value> = release_events(&app, json!({}))
        .await
        .into_iter()
        .filter(|e| e["installment"]["id"] == due["id"])
        .collect();
    assert_eq!(of_due.len(), 1, "{of_due:?}");
    // The one not yet due is still waiting.
    let resp = app
        .admin(
            "query($id: ID!) { node(id: $id) { ... on Installment { status } } }",
            json!({ "id": later["id"] }),
        )
        .await;
    assert_eq!(data(&resp)["node"]["status"], "SCHEDULED");
}
