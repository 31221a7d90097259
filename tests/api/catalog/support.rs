//! Shared by the catalogue tests: whole-database snapshots and error assertions, and
//! (re-exported from [`crate::fixtures`]) building data through the admin API.

use serde_json::{json, Value};

pub use crate::fixtures::{
    add_credit, admin_ok, create_installment, create_interview, create_series, id_of,
    installment_id, merged, node_ids, person_id, series_id, CREATE_INSTALLMENT, CREATE_SERIES,
};
use crate::helpers::{data, TestApp};

/// Everything an admin can see of the catalogue and the release log, in one query
/// (read with the admin token: the public does not see unreleased installments).
/// Two equal snapshots mean nothing observable changed in between. Pages are sized
/// for the small data sets of these tests (and to stay within the complexity limit);
/// `snapshot` checks that they hold everything.
pub const SNAPSHOT: &str = r#"{
  allSeries(first: 10) {
    totalCount
    nodes {
      id slug title originalTitle network genres synopsis createdAt updatedAt
      latestInstallment { id }
      installments(first: 10) {
        totalCount
        nodes {
          id number title synopsis episodeCount status releaseAt publishedAt createdAt updatedAt
          credits(first: 10) {
            totalCount
            nodes { id role character characterDescription billing debut person { id } }
          }
          interviews(first: 5) {
            totalCount
            nodes { id outlet title summary url publishedAt participants { id } }
          }
        }
      }
    }
  }
  allInstallments(first: 50) { totalCount nodes { id } }
  allPeople(first: 20) {
    totalCount
    nodes {
      id name knownFor bio
      credits(first: 20) { totalCount nodes { id } }
      interviews(first: 10) { totalCount nodes { id } }
    }
  }
  releaseEvents(first: 50) { pageInfo { hasNextPage } edges { cursor node { kind installment { id } } } }
}"#;

/// The whole observable state (see `SNAPSHOT`), as the admin sees it.
pub async fn snapshot(app: &TestApp) -> Value {
    let resp = app.admin(SNAPSHOT, json!({})).await;
    let state = data(&resp).clone();
    assert_complete(&state);
    assert_eq!(
        state["releaseEvents"]["pageInfo"]["hasNextPage"], false,
        "the snapshot misses release events"
    );
    state
}

/// Panics when a connection in `value` has more items than its page shows.
fn assert_complete(value: &Value) {
    match value {
        Value::Object(fields) => {
            if let (Some(total), Some(nodes)) = (
                fields.get("totalCount").and_then(Value::as_u64),
                fields.get("nodes").and_then(Value::as_array),
            ) {
                assert_eq!(
                    total,
                    nodes.len() as u64,
                    "a snapshot page is too small for the data: {value}"
                );
            }
            fields.values().for_each(assert_complete);
        }
        Value::Array(items) => items.iter().for_each(assert_complete),
        _ => {}
    }
}

/// Asserts the response failed with `code` (and, when given, `extensions.field`), and
/// that no error of it is INTERNAL.
#[track_caller]
pub fn assert_error(resp: &Value, code: &str, field: Option<&str>) {
    let errors = resp["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected a {code} error, got {resp}"));
    assert!(!errors.is_empty(), "expected a {code} error, got {resp}");
    for error in errors {
        assert_ne!(
            error["extensions"]["code"], "INTERNAL",
            "internal error in {resp}"
        );
    }
    assert_eq!(
        errors[0]["extensions"]["code"].as_str(),
        Some(code),
        "wrong error code in {resp}"
    );
    if let Some(field) = field {
        assert_eq!(
            errors[0]["extensions"]["field"].as_str(),
            Some(field),
            "wrong extensions.field in {resp}"
        );
    }
}

/// POSTs a GraphQL request with the given `Authorization` header value, if any.
pub async fn post_with_authorization(
    app: &TestApp,
    query: &str,
    variables: Value,
    authorization: Option<&str>,
) -> Value {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(value) = authorization {
        req = req.header(reqwest::header::AUTHORIZATION, value);
    }
    req.send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON response")
}
