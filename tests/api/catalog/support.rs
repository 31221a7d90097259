//! Shared by the catalogue tests: building data through the admin API, whole-database
//! snapshots, and error assertions.

use serde_json::{json, Value};

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

/// Merges the fields of `extra` (an object, or null) into `base`.
pub fn merged(mut base: Value, extra: Value) -> Value {
    if let Value::Object(fields) = extra {
        for (k, v) in fields {
            base[k] = v;
        }
    }
    base
}

/// Runs an admin request and returns its data, failing on any error.
pub async fn admin_ok(app: &TestApp, query: &str, variables: Value) -> Value {
    let resp = app.admin(query, variables).await;
    data(&resp).clone()
}

pub const CREATE_SERIES: &str = "mutation($input: CreateSeriesInput!) {
  createSeries(input: $input) { id slug title originalTitle network genres synopsis createdAt updatedAt }
}";

/// Creates a series with `slug` and `title` (plus the fields of `extra`); returns it.
pub async fn create_series(app: &TestApp, slug: &str, title: &str, extra: Value) -> Value {
    let input = merged(json!({ "slug": slug, "title": title }), extra);
    admin_ok(app, CREATE_SERIES, json!({ "input": input })).await["createSeries"].clone()
}

/// Creates a series and returns its ID.
pub async fn series_id(app: &TestApp, slug: &str, title: &str) -> String {
    id_of(&create_series(app, slug, title, Value::Null).await)
}

pub const CREATE_INSTALLMENT: &str = "mutation($input: CreateInstallmentInput!) {
  createInstallment(input: $input) {
    id number title synopsis episodeCount status releaseAt publishedAt createdAt updatedAt
    series { id title }
  }
}";

/// Creates installment `number` of a series (plus the fields of `extra`); returns it.
pub async fn create_installment(app: &TestApp, series: &str, number: i64, extra: Value) -> Value {
    let input = merged(json!({ "seriesId": series, "number": number }), extra);
    admin_ok(app, CREATE_INSTALLMENT, json!({ "input": input })).await["createInstallment"].clone()
}

/// Creates a DRAFT installment and returns its ID.
pub async fn installment_id(app: &TestApp, series: &str, number: i64) -> String {
    id_of(&create_installment(app, series, number, Value::Null).await)
}

pub const CREATE_PERSON: &str = "mutation($input: CreatePersonInput!) {
  createPerson(input: $input) { id name knownFor bio }
}";

/// Creates a person and returns its ID.
pub async fn person_id(app: &TestApp, name: &str) -> String {
    let resp = admin_ok(app, CREATE_PERSON, json!({ "input": { "name": name } })).await;
    id_of(&resp["createPerson"])
}

pub const ADD_CREDIT: &str = "mutation($input: AddCreditInput!) {
  addCredit(input: $input) {
    id role character characterDescription billing debut
    person { id name } installment { id title }
  }
}";

/// Credits a person on an installment (plus the fields of `extra`); returns the credit.
pub async fn add_credit(
    app: &TestApp,
    installment: &str,
    person: &str,
    role: &str,
    extra: Value,
) -> Value {
    let input = merged(
        json!({ "installmentId": installment, "personId": person, "role": role }),
        extra,
    );
    admin_ok(app, ADD_CREDIT, json!({ "input": input })).await["addCredit"].clone()
}

pub const CREATE_INTERVIEW: &str = "mutation($input: CreateInterviewInput!) {
  createInterview(input: $input) {
    id outlet title summary url publishedAt
    installment { id } participants { id name }
  }
}";

/// Adds an interview about an installment; returns it.
pub async fn create_interview(
    app: &TestApp,
    installment: &str,
    title: &str,
    participants: &[&str],
) -> Value {
    let input = json!({
        "installmentId": installment,
        "outlet": "theSun",
        "title": title,
        "participantIds": participants,
    });
    admin_ok(app, CREATE_INTERVIEW, json!({ "input": input })).await["createInterview"].clone()
}

/// The `id` of an object, as a string.
pub fn id_of(object: &Value) -> String {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {object}"))
        .to_string()
}

/// The node ids of a connection, from its `nodes`.
pub fn node_ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {connection}"))
        .iter()
        .map(id_of)
        .collect()
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
