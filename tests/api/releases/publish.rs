//! Publishing over HTTP: idempotency, the state rules around it, authentication,
//! and the `releaseEvents` log query.

use serde_json::{json, Value};

use super::common::*;
use crate::db_tests;
use crate::helpers::{data, error_code, Backend, Protocol, TestApp, TOKEN};

db_tests!(
    publishing_a_published_installment_changes_nothing,
    published_installment_cannot_be_deleted,
    unschedule_returns_a_scheduled_installment_to_draft,
    unauthenticated_publish_is_refused_and_emits_nothing,
    release_events_pages_oldest_first,
    release_events_filters,
);

async fn publishing_a_published_installment_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let first = create_installment(&app, &series, 1, false).await;
    let second = create_installment(&app, &series, 2, false).await;
    assert_eq!(first["status"], "DRAFT");
    let (mut client, sub) =
        subscribe_alerts(&app, Protocol::TransportWs, &alerts_query(), json!({})).await;

    let published = publish(&app, first["id"].as_str().expect("id"), None).await;
    assert_eq!(published["status"], "PUBLISHED", "{published}");
    assert!(published["publishedAt"].is_string(), "{published}");
    let event = next_event(&mut client, &sub).await;
    assert_eq!(event["kind"], "INSTALLMENT_PUBLISHED");
    assert_eq!(event["installment"]["id"], first["id"]);

    // Again, now and with a schedule: returned unchanged, no second event.
    let again = publish(&app, first["id"].as_str().expect("id"), None).await;
    assert_eq!(again, published);
    let scheduled_again = publish(
        &app,
        first["id"].as_str().expect("id"),
        Some(&from_now(3_600_000)),
    )
    .await;
    assert_eq!(scheduled_again, published);
    let of_first: Vec<Value> = release_events(&app, json!({}))
        .await
        .into_iter()
        .filter(|e| e["installment"]["id"] == first["id"])
        .collect();
    assert_eq!(of_first.len(), 1, "{of_first:?}");

    // The next thing the subscriber sees is a later marker, not a second event.
    publish(&app, second["id"].as_str().expect("id"), None).await;
    let marker = next_event(&mut client, &sub).await;
    assert_eq!(marker["installment"]["id"], second["id"], "{marker}");
    assert_eq!(release_events(&app, json!({})).await.len(), 2);
}

async fn published_installment_cannot_be_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let published = create_installment(&app, &series, 1, true).await;
    let draft = create_installment(&app, &series, 2, false).await;
    assert_eq!(published["status"], "PUBLISHED");
    let delete = "mutation($id: ID!) { deleteInstallment(id: $id) }";

    let resp = app.admin(delete, json!({ "id": published["id"] })).await;
    assert_eq!(error_code(&resp), Some("CONFLICT"), "{resp}");
    let resp = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Installment { id status } } }",
            json!({ "id": published["id"] }),
        )
        .await;
    assert_eq!(data(&resp)["node"]["status"], "PUBLISHED", "{resp}");
    assert_eq!(release_events(&app, json!({})).await.len(), 1);

    // A draft can go.
    let resp = app.admin(delete, json!({ "id": draft["id"] })).await;
    assert_eq!(data(&resp)["deleteInstallment"], draft["id"]);
}

async fn unschedule_returns_a_scheduled_installment_to_draft(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let installment = create_installment(&app, &series, 1, false).await;
    let id = installment["id"].as_str().expect("id");
    let at = from_now(3_600_000);

    let scheduled = publish(&app, id, Some(&at)).await;
    assert_eq!(scheduled["status"], "SCHEDULED", "{scheduled}");
    assert_eq!(time(&scheduled["releaseAt"]), time(&json!(at)));
    assert!(scheduled["publishedAt"].is_null(), "{scheduled}");

    let unschedule = format!(
        "mutation($id: ID!) {{ unscheduleInstallment(id: $id) {{ {INSTALLMENT_FIELDS} }} }}"
    );
    let resp = app.admin(&unschedule, json!({ "id": id })).await;
    let draft = &data(&resp)["unscheduleInstallment"];
    assert_eq!(draft["status"], "DRAFT", "{draft}");
    assert!(draft["publishedAt"].is_null(), "{draft}");

    // Unscheduling a draft returns it as it is.
    let resp = app.admin(&unschedule, json!({ "id": id })).await;
    assert_eq!(data(&resp)["unscheduleInstallment"]["status"], "DRAFT");
    assert!(release_events(&app, json!({})).await.is_empty());

    // Unauthenticated: refused.
    let resp = app.query(&unschedule, json!({ "id": id })).await;
    assert_eq!(error_code(&resp), Some("UNAUTHENTICATED"), "{resp}");
}

async fn unauthenticated_publish_is_refused_and_emits_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    create_installment(&app, &series, 1, true).await;
    let draft = create_installment(&app, &series, 2, false).await;
    let before = release_events(&app, json!({})).await;
    assert_eq!(before.len(), 1);
    let publish_query = "mutation($id: ID!) { publishInstallment(id: $id) { id status } }";

    // No credential.
    let resp = app.query(publish_query, json!({ "id": draft["id"] })).await;
    assert_eq!(error_code(&resp), Some("UNAUTHENTICATED"), "{resp}");
    assert!(resp["data"].is_null(), "{resp}");

    // A wrong credential.
    let wrong: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(format!("{TOKEN}-not"))
        .json(&json!({ "query": publish_query, "variables": { "id": draft["id"] } }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON response");
    assert_eq!(error_code(&wrong), Some("UNAUTHENTICATED"), "{wrong}");

    // Nor can an unauthenticated client create a published installment.
    let resp = app
        .query(
            "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id } }",
            json!({ "input": { "seriesId": series, "number": 3, "publish": true } }),
        )
        .await;
    assert_eq!(error_code(&resp), Some("UNAUTHENTICATED"), "{resp}");

    assert_eq!(release_events(&app, json!({})).await, before);
    let resp = app
        .admin(
            "query($id: ID!) { node(id: $id) { ... on Installment { status publishedAt } } }",
            json!({ "id": draft["id"] }),
        )
        .await;
    assert_eq!(
        data(&resp)["node"],
        json!({ "status": "DRAFT", "publishedAt": null })
    );
}

const PAGE: &str = "query($first: Int, $after: String, $filter: ReleaseFilter) { \
    releaseEvents(first: $first, after: $after, filter: $filter) { \
      edges { cursor node { cursor kind installment { number } } } \
      nodes { cursor } \
      pageInfo { hasNextPage endCursor } } }";

async fn release_events_pages_oldest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = create_series(&app, "soundtrack", "Soundtrack").await;
    let empty = app.query(PAGE, json!({ "first": 2 })).await;
    assert_eq!(data(&empty)["releaseEvents"]["edges"], json!([]), "{empty}");
    assert_eq!(
        data(&empty)["releaseEvents"]["pageInfo"]["hasNextPage"],
        false
    );
    for n in 1..=5 {
        create_installment(&app, &series, n, true).await;
    }

    let mut numbers = Vec::new();
    let mut seen_cursors = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let resp = app.query(PAGE, json!({ "first": 2, "after": after })).await;
        let page = &data(&resp)["releaseEvents"];
        let edges = page["edges"].as_array().expect("edges");
        assert!(edges.len() <= 2, "{resp}");
        assert_eq!(page["nodes"].as_array().expect("nodes").len(), edges.len());
        for edge in edges {
            assert_eq!(edge["cursor"], edge["node"]["cursor"]);
            assert_eq!(edge["node"]["kind"], "INSTALLMENT_PUBLISHED");
            numbers.push(edge["node"]["installment"]["number"].as_i64().expect("n"));
            seen_cursors.push(edge["cursor"].as_str().expect("cursor").to_string());
        }
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(
            page["pageInfo"]["endCursor"],
            edges[edges.len() - 1]["cursor"]
        );
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(numbers, vec![1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);
    let mut unique = seen_cursors.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5, "{seen_cursors:?}");

    // After the last cursor: nothing.
    let resp = app
        .query(PAGE, json!({ "first": 2, "after": seen_cursors[4] }))
        .await;
    assert_eq!(data(&resp)["releaseEvents"]["edges"], json!([]));
    // After the second: the third onwards.
    let resp = app
        .query(PAGE, json!({ "first": 10, "after": seen_cursors[1] }))
        .await;
    let rest: Vec<i64> = data(&resp)["releaseEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["installment"]["number"].as_i64().expect("n"))
        .collect();
    assert_eq!(rest, vec![3, 4, 5]);

    // Bad arguments.
    let resp = app
        .query(PAGE, json!({ "first": 2, "after": "not a cursor" }))
        .await;
    assert_eq!(error_code(&resp), Some("BAD_USER_INPUT"), "{resp}");
    let resp = app.query(PAGE, json!({ "first": -1 })).await;
    assert_eq!(error_code(&resp), Some("BAD_USER_INPUT"), "{resp}");
}

/// Each event described as (kind, "<series title> <installment number>", interview title).
fn described(events: &[Value]) -> Vec<(String, String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind").to_string(),
                format!(
                    "{} {}",
                    e["series"]["title"].as_str().expect("series title"),
                    e["installment"]["number"]
                ),
                e["interview"]["title"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn ev(kind: &str, what: &str, interview: Option<&str>) -> (String, String, Option<String>) {
    (
        kind.to_string(),
        what.to_string(),
        interview.map(str::to_string),
    )
}

async fn release_events_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = create_series(&app, "alpha", "Alpha").await;
    let b = create_series(&app, "beta", "Beta").await;
    let han = create_person(&app, "Han So-hee").await;
    let ahn = create_person(&app, "Ahn Eun-jin").await;
    let a1 = create_installment(&app, &a, 1, false).await;
    let a1_id = a1["id"].as_str().expect("id");
    add_credit(&app, a1_id, &han).await;
    publish(&app, a1_id, None).await;
    let b1 = create_installment(&app, &b, 1, false).await;
    let b1_id = b1["id"].as_str().expect("id");
    add_credit(&app, b1_id, &ahn).await;
    publish(&app, b1_id, None).await;
    create_interview(&app, a1_id, "On Alpha").await;
    update_title(&app, b1_id, "Beta One").await;
    create_installment(&app, &a, 2, true).await;

    let all = described(&release_events(&app, json!({})).await);
    assert_eq!(
        all,
        vec![
            ev("INSTALLMENT_PUBLISHED", "Alpha 1", None),
            ev("INSTALLMENT_PUBLISHED", "Beta 1", None),
            ev("INTERVIEW_PUBLISHED", "Alpha 1", Some("On Alpha")),
            ev("INSTALLMENT_UPDATED", "Beta 1", None),
            ev("INSTALLMENT_PUBLISHED", "Alpha 2", None),
        ]
    );
    let pick = |indexes: &[usize]| -> Vec<_> { indexes.iter().map(|i| all[*i].clone()).collect() };

    let cases = [
        (json!({ "seriesIds": [a] }), pick(&[0, 2, 4])),
        (json!({ "seriesIds": [a, b] }), pick(&[0, 1, 2, 3, 4])),
        (json!({ "personIds": [han] }), pick(&[0, 2])),
        (json!({ "personIds": [ahn, han] }), pick(&[0, 1, 2, 3])),
        (json!({ "kinds": ["INSTALLMENT_UPDATED"] }), pick(&[3])),
        (
            json!({ "kinds": ["INTERVIEW_PUBLISHED", "INSTALLMENT_UPDATED"] }),
            pick(&[2, 3]),
        ),
        (
            json!({ "seriesIds": [a], "kinds": ["INSTALLMENT_PUBLISHED"] }),
            pick(&[0, 4]),
        ),
        (
            json!({ "seriesIds": [a], "personIds": [han], "kinds": ["INSTALLMENT_PUBLISHED"] }),
            pick(&[0]),
        ),
        (json!({ "seriesIds": [b], "personIds": [han] }), vec![]),
        (json!({ "seriesIds": [] }), vec![]),
    ];
    for (filter, expected) in cases {
        let got = described(&release_events(&app, filter.clone()).await);
        assert_eq!(got, expected, "filter {filter}");
    }

    // Filters on a page: the page holds matching events only.
    let resp = app
        .query(PAGE, json!({ "first": 1, "filter": { "seriesIds": [a] } }))
        .await;
    let page = &data(&resp)["releaseEvents"];
    assert_eq!(page["edges"].as_array().expect("edges").len(), 1);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let resp = app
        .query(
            PAGE,
            json!({ "first": 5, "after": page["pageInfo"]["endCursor"], "filter": { "seriesIds": [a] } }),
        )
        .await;
    let rest: Vec<&Value> = data(&resp)["releaseEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"]["kind"])
        .collect();
    assert_eq!(
        rest,
        vec![
            &json!("INTERVIEW_PUBLISHED"),
            &json!("INSTALLMENT_PUBLISHED")
        ]
    );

    // An ID of the wrong kind in a filter.
    let resp = app
        .query(PAGE, json!({ "filter": { "seriesIds": [han] } }))
        .await;
    assert_eq!(error_code(&resp), Some("BAD_USER_INPUT"), "{resp}");
}
