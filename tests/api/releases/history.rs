//! Paging the release log backwards (`last`/`before`), as the release page does to
//! show the newest events first.

use serde_json::{json, Value};

use super::common::*;
use crate::db_tests;
use crate::helpers::{data, error_code, Backend, TestApp};

db_tests!(pages_the_log_from_the_newest_event_back);

const PAGE: &str =
    "query($first: Int, $after: String, $last: Int, $before: String, $filter: ReleaseFilter) { \
    releaseEvents(first: $first, after: $after, last: $last, before: $before, filter: $filter) { \
      edges { cursor node { installment { title } } } \
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }";

async fn page(app: &TestApp, variables: Value) -> (Vec<String>, Value, Vec<String>) {
    let resp = app.query(PAGE, variables).await;
    let events = &data(&resp)["releaseEvents"];
    let edges = events["edges"].as_array().expect("edges");
    let titles = edges
        .iter()
        .map(|e| {
            e["node"]["installment"]["title"]
                .as_str()
                .expect("title")
                .to_string()
        })
        .collect();
    let cursors = edges
        .iter()
        .map(|e| e["cursor"].as_str().expect("cursor").to_string())
        .collect();
    (titles, events["pageInfo"].clone(), cursors)
}

async fn pages_the_log_from_the_newest_event_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let drama = create_series(&app, "drama", "Drama").await;
    let other = create_series(&app, "other", "Other").await;
    for number in 1..=3 {
        create_installment(&app, &drama, number, true).await;
    }
    create_installment(&app, &other, 1, true).await;
    create_installment(&app, &drama, 4, true).await;

    // The newest two, oldest first within the page.
    let (titles, info, cursors) = page(&app, json!({ "last": 2 })).await;
    assert_eq!(titles, ["Other #1", "Drama #4"]);
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(info["hasNextPage"], false);
    // And the two before them.
    let (titles, info, _) = page(&app, json!({ "last": 2, "before": cursors[0] })).await;
    assert_eq!(titles, ["Drama #2", "Drama #3"]);
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(info["hasNextPage"], true);
    let (titles, info, _) = page(&app, json!({ "last": 10 })).await;
    assert_eq!(titles.len(), 5);
    assert_eq!(info["hasPreviousPage"], false);
    // Filtered: only the series asked for.
    let filter = json!({ "seriesIds": [drama] });
    let (titles, _, drama_cursors) = page(&app, json!({ "last": 3, "filter": filter })).await;
    assert_eq!(titles, ["Drama #2", "Drama #3", "Drama #4"]);
    let (titles, info, _) = page(
        &app,
        json!({ "last": 3, "before": drama_cursors[0], "filter": filter }),
    )
    .await;
    assert_eq!(titles, ["Drama #1"]);
    assert_eq!(info["hasPreviousPage"], false);
    // `first`/`after` still page forwards.
    let (titles, _, _) = page(&app, json!({ "first": 2, "after": drama_cursors[0] })).await;
    assert_eq!(titles, ["Drama #3", "Other #1"]);

    for (variables, field) in [
        (json!({ "last": 101 }), "last"),
        (json!({ "last": -1 }), "last"),
        (json!({ "last": 2, "before": "not a cursor" }), "before"),
    ] {
        let resp = app.query(PAGE, variables.clone()).await;
        assert_eq!(
            error_code(&resp),
            Some("BAD_USER_INPUT"),
            "{variables}: {resp}"
        );
        assert_eq!(resp["errors"][0]["extensions"]["field"], field, "{resp}");
    }
}
