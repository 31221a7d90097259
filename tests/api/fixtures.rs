//! The one set of fixtures of the tests: building data through the admin API (series,
//! installments, people, credits, interviews), each as `create_*` (the created
//! object, with the fields of `extra` merged into its input) and `*_id` (its ID).

use serde_json::{json, Value};

use crate::helpers::{data, TestApp};

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
