//! Shared execution (`src/fanout`): identical subscriptions form one group, executed
//! once per event; different selections never share a payload; a member resuming
//! with `after` catches up on its own and joins the live group with no gap and no
//! duplicate; leaving a group frees it. (A member that lags behind its group and
//! reads its gap from the log: `resume::slow_subscriber_receives_everything_once_in_order`.)

use serde_json::json;

use super::common::*;
use crate::db_tests;
use crate::helpers::{Backend, Protocol, TestApp, WsClient};

db_tests!(
    different_selections_get_different_payloads,
    a_resumed_member_joins_the_live_group_without_gap_or_duplicate,
    leaving_a_group_frees_it,
);

const GROUPS: &str = "premiere_subscription_groups";

const WITH_TITLE: &str = "subscription($filter: ReleaseFilter, $after: String) { \
    releaseAlerts(filter: $filter, after: $after) { cursor installment { id title } } }";
/// The same subscription as `WITH_TITLE`, written differently (whitespace, commas):
/// the same group.
const WITH_TITLE_AGAIN: &str = "subscription( $filter: ReleaseFilter,  $after: String )
    { releaseAlerts(filter: $filter, after: $after) { cursor, installment { id, title } } }";
const WITH_NUMBER: &str = "subscription($filter: ReleaseFilter) { \
    releaseAlerts(filter: $filter) { cursor installment { id number } } }";

async fn different_selections_get_different_payloads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "groups", "Groups").await;
    let filter = json!({ "filter": { "seriesIds": [series] } });
    let (mut title_a, a) =
        subscribe_alerts(&app, Protocol::TransportWs, WITH_TITLE, filter.clone()).await;
    let (mut title_b, b) =
        subscribe_alerts(&app, Protocol::Legacy, WITH_TITLE_AGAIN, filter.clone()).await;
    let (mut number, n) =
        subscribe_alerts(&app, Protocol::TransportWs, WITH_NUMBER, filter.clone()).await;
    // A different filter is a different group, though the document is the same.
    let other = create_series(&app, "other", "Other").await;
    let (mut elsewhere, e) = subscribe_alerts(
        &app,
        Protocol::TransportWs,
        WITH_TITLE,
        json!({ "filter": { "seriesIds": [other] } }),
    )
    .await;
    assert_eq!(app.metric(GROUPS).await, 3.0);

    publish_many(&app, &series, 1..2, None).await;
    publish_many(&app, &other, 7..8, None).await;
    let a = next_event(&mut title_a, &a).await;
    let b = next_event(&mut title_b, &b).await;
    let n = next_event(&mut number, &n).await;
    let e = next_event(&mut elsewhere, &e).await;
    assert_eq!(a, b);
    assert_eq!(a["installment"]["title"], "Groups #1", "{a}");
    assert!(a["installment"].get("number").is_none(), "{a}");
    assert_eq!(n["installment"]["number"], 1, "{n}");
    assert!(n["installment"].get("title").is_none(), "{n}");
    assert_eq!(a["cursor"], n["cursor"]);
    assert_eq!(e["installment"]["title"], "Other #7", "{e}");
}

async fn a_resumed_member_joins_the_live_group_without_gap_or_duplicate(backend: Backend) {
    const EVENTS: i32 = 40;
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "resume", "Resume").await;
    let filter = json!({ "seriesIds": [series] });
    let (mut live, live_sub) = subscribe_alerts(
        &app,
        Protocol::TransportWs,
        WITH_TITLE,
        json!({ "filter": filter }),
    )
    .await;
    publish_many(&app, &series, 1..2, None).await;
    let first = next_event(&mut live, &live_sub).await;
    // Publishing goes on while the member resumes after the first event and joins.
    let publishing = publish_many(&app, &series, 2..EVENTS + 1, None);
    let resuming = async {
        let mut resumed = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
        let id = resumed
            .subscribe(
                WITH_TITLE,
                json!({ "filter": filter, "after": first["cursor"] }),
            )
            .await;
        let mut got = Vec::new();
        for _ in 1..EVENTS {
            got.push(next_event(&mut resumed, &id).await);
        }
        (resumed, id, got)
    };
    let (_, (mut resumed, resumed_sub, got)) = tokio::join!(publishing, resuming);
    let mut live_got = Vec::new();
    for _ in 1..EVENTS {
        live_got.push(next_event(&mut live, &live_sub).await);
    }
    // The live member got the events in log order; the resumed one exactly the same.
    let log = release_events(&app, json!({ "seriesIds": [series] })).await;
    assert_eq!(cursors(&live_got), cursors(&log[1..]));
    assert_eq!(cursors(&got), cursors(&live_got));
    // One group: `after` (a variable used only there) is not part of the key.
    assert_eq!(app.metric(GROUPS).await, 1.0);
    // Nothing more (no duplicate) before a later marker.
    let marker = create_installment(&app, &series, EVENTS + 1, true).await;
    let event = next_event(&mut resumed, &resumed_sub).await;
    assert_eq!(event["installment"]["id"], marker["id"]);
}

async fn leaving_a_group_frees_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "leave", "Leave").await;
    let filter = json!({ "filter": { "seriesIds": [series] } });
    let (mut first, first_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, WITH_NUMBER, filter.clone()).await;
    let (mut second, second_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, WITH_NUMBER, filter.clone()).await;
    assert_eq!(app.metric(GROUPS).await, 1.0);
    // One member completes: the group stays, and still delivers to the other.
    first
        .send(json!({ "id": first_sub, "type": "complete" }))
        .await;
    app.wait_metric_at_most("premiere_subscriptions_open", 1.0)
        .await;
    assert_eq!(app.metric(GROUPS).await, 1.0);
    publish_many(&app, &series, 1..2, None).await;
    let event = next_event(&mut second, &second_sub).await;
    assert_eq!(event["installment"]["number"], 1);
    // The last member's connection closes: the group is gone.
    drop(second);
    app.wait_metric_at_most(GROUPS, 0.0).await;
    app.wait_metric_at_most("premiere_subscriptions_open", 0.0)
        .await;
    // A new member starts a new group, which delivers.
    let (mut again, again_sub) =
        subscribe_alerts(&app, Protocol::TransportWs, WITH_NUMBER, filter).await;
    assert_eq!(app.metric(GROUPS).await, 1.0);
    publish_many(&app, &series, 2..3, None).await;
    let event = next_event(&mut again, &again_sub).await;
    assert_eq!(event["installment"]["number"], 2);
    drop(first);
}
