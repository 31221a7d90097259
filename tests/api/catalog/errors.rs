//! `node(id:)` for every type, and bad IDs: malformed or of the wrong type, in every
//! argument that takes one. Bad IDs are BAD_USER_INPUT naming the field, never INTERNAL.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use super::support::{
    add_credit, assert_error, create_installment, create_interview, id_of, installment_id,
    person_id, series_id, snapshot,
};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp};

const NODE: &str = "query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Series { slug title }
    ... on Installment { number title series { id } }
    ... on Person { name }
    ... on Credit { role character person { id } installment { id } }
    ... on Interview { outlet title installment { id } participants { id } }
  }
}";

/// `node(id:)` as the admin sees it (the installment is a draft).
async fn node(app: &TestApp, id: &str) -> Value {
    let resp = app.admin(NODE, json!({ "id": id })).await;
    data(&resp)["node"].clone()
}

async fn node_resolves_every_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "nodes", "Nodes").await;
    let installment = create_installment(&app, &series, 7, json!({ "title": "Seventh" })).await;
    let installment = id_of(&installment);
    let person = person_id(&app, "Node Person").await;
    let credit = add_credit(
        &app,
        &installment,
        &person,
        "ACTOR",
        json!({ "character": "Somebody" }),
    )
    .await;
    let credit = id_of(&credit);
    let interview = id_of(&create_interview(&app, &installment, "On nodes", &[&person]).await);

    let got = node(&app, &series).await;
    assert_eq!(got["__typename"], "Series");
    assert_eq!(got["id"], json!(series));
    assert_eq!(got["slug"], "nodes");

    let got = node(&app, &installment).await;
    assert_eq!(got["__typename"], "Installment");
    assert_eq!(got["id"], json!(installment));
    assert_eq!(got["number"], 7);
    assert_eq!(got["title"], "Seventh");
    assert_eq!(got["series"]["id"], json!(series));

    let got = node(&app, &person).await;
    assert_eq!(got["__typename"], "Person");
    assert_eq!(got["name"], "Node Person");

    let got = node(&app, &credit).await;
    assert_eq!(got["__typename"], "Credit");
    assert_eq!(got["id"], json!(credit));
    assert_eq!(got["role"], "ACTOR");
    assert_eq!(got["character"], "Somebody");
    assert_eq!(got["person"]["id"], json!(person));
    assert_eq!(got["installment"]["id"], json!(installment));

    let got = node(&app, &interview).await;
    assert_eq!(got["__typename"], "Interview");
    assert_eq!(got["outlet"], "theSun");
    assert_eq!(got["installment"]["id"], json!(installment));
    assert_eq!(got["participants"], json!([{ "id": person }]));

    // IDs are distinct across types even for the same row number.
    let all = [&series, &installment, &person, &credit, &interview];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }

    // Well-formed IDs of things that do not exist resolve to null, without errors.
    let installment_2 = installment_id(&app, &series, 8).await;
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteInstallment(id: $id) }",
            json!({ "id": installment_2 }),
        )
        .await;
    data(&resp);
    assert_eq!(node(&app, &installment_2).await, Value::Null);
    for kind in ["Series", "Installment", "Person", "Credit", "Interview"] {
        let id = URL_SAFE_NO_PAD.encode(format!("{kind}:999999"));
        assert_eq!(node(&app, &id).await, Value::Null, "{kind}:999999");
    }
}

/// IDs that are not IDs of this API.
fn malformed_ids() -> Vec<String> {
    let mut ids: Vec<String> = ["", "junk", "!!!", "42", "Series:1", "8J+SqQ"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for raw in [
        "Nope:1",
        "Series:",
        "Series:abc",
        "Series:1.5",
        "Series:99999999999999999999999",
        "Series",
        ":1",
        "cursor:1",
    ] {
        ids.push(URL_SAFE_NO_PAD.encode(raw));
    }
    // Not UTF-8 once decoded.
    ids.push(URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x3a, 0x31]));
    ids
}

async fn malformed_ids_are_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    series_id(&app, "one", "One").await;
    for id in malformed_ids() {
        let resp = app.query(NODE, json!({ "id": id })).await;
        assert_error(&resp, "BAD_USER_INPUT", Some("id"));
        assert_eq!(resp["data"]["node"], Value::Null, "{id}: {resp}");
    }
    // The standard base64 alphabet with padding decodes to the same ID, or is refused;
    // it never fails internally.
    let padded = STANDARD.encode("Series:1");
    let resp = app.query(NODE, json!({ "id": padded })).await;
    assert_ne!(
        resp["errors"][0]["extensions"]["code"], "INTERNAL",
        "{resp}"
    );
}

/// Every argument that takes an ID, given the ID of the wrong type or junk, fails
/// with BAD_USER_INPUT naming that argument, and changes nothing.
async fn wrong_type_ids_are_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "typed", "Typed").await;
    let installment = installment_id(&app, &series, 1).await;
    let person = person_id(&app, "Typed Person").await;
    let credit = id_of(&add_credit(&app, &installment, &person, "ACTOR", json!({})).await);
    let interview = id_of(&create_interview(&app, &installment, "Typed", &[&person]).await);
    let before = snapshot(&app).await;

    // (mutation taking the ID as `$v`, the field named in the error, IDs of other types)
    let cases: Vec<(&str, &str, Vec<&String>)> = vec![
        (
            "mutation($v: ID!) { updateSeries(id: $v, input: { title: \"X\" }) { id } }",
            "id",
            vec![&installment, &person, &credit, &interview],
        ),
        (
            "mutation($v: ID!) { deleteSeries(id: $v) }",
            "id",
            vec![&installment, &person, &credit, &interview],
        ),
        (
            "mutation($v: ID!) { createInstallment(input: { seriesId: $v, number: 9 }) { id } }",
            "input.seriesId",
            vec![&installment, &person, &credit, &interview],
        ),
        (
            "mutation($v: ID!) { updateInstallment(id: $v, input: { title: \"X\" }) { id } }",
            "id",
            vec![&series, &person, &credit, &interview],
        ),
        (
            "mutation($v: ID!) { deleteInstallment(id: $v) }",
            "id",
            vec![&series, &person, &credit, &interview],
        ),
        (
            "mutation($v: ID!) { updatePerson(id: $v, input: { name: \"X\" }) { id } }",
            "id",
            vec![&series, &installment, &credit, &interview],
        ),
        (
            "mutation($v: ID!) { removeCredit(id: $v) }",
            "id",
            vec![&series, &installment, &person, &interview],
        ),
        (
            "mutation($v: ID!) { publishInstallment(id: $v) { id } }",
            "id",
            vec![&series, &person, &credit, &interview],
        ),
    ];
    let junk = "junk".to_string();
    for (query, field, wrong) in &cases {
        for id in wrong.iter().copied().chain([&junk]) {
            let resp = app.admin(query, json!({ "v": id })).await;
            assert_error(&resp, "BAD_USER_INPUT", Some(field));
        }
    }

    // Inputs with two IDs: each is checked against its own type.
    let add_credit = "mutation($i: ID!, $p: ID!) {
        addCredit(input: { installmentId: $i, personId: $p, role: DIRECTOR }) { id } }";
    let resp = app
        .admin(add_credit, json!({ "i": person, "p": installment }))
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("input.installmentId"));
    let resp = app
        .admin(add_credit, json!({ "i": series, "p": person }))
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("input.installmentId"));
    let resp = app
        .admin(add_credit, json!({ "i": installment, "p": credit }))
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("input.personId"));

    let interview_q = "mutation($i: ID!, $p: [ID!]) {
        createInterview(input: { installmentId: $i, outlet: \"o\", title: \"t\", participantIds: $p }) { id } }";
    let resp = app
        .admin(interview_q, json!({ "i": series, "p": [person] }))
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("input.installmentId"));
    let resp = app
        .admin(
            interview_q,
            json!({ "i": installment, "p": [person, series] }),
        )
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("input.participantIds"));
    let resp = app
        .admin(interview_q, json!({ "i": installment, "p": ["junk"] }))
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("input.participantIds"));

    // Reads too.
    let resp = app
        .query(
            "query($v: ID!) { allInstallments(filter: { seriesId: $v }) { totalCount } }",
            json!({ "v": person }),
        )
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("filter.seriesId"));
    let resp = app
        .query(
            "query($v: [ID!]) { releaseEvents(filter: { seriesIds: $v }) { edges { cursor } } }",
            json!({ "v": [installment] }),
        )
        .await;
    assert_error(&resp, "BAD_USER_INPUT", Some("filter.seriesIds"));

    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused request changed data"
    );
}

async fn request_errors_have_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Unknown field, bad argument type, unknown enum value, missing variable.
    for (query, vars) in [
        ("{ allSeries { nope } }", json!({})),
        ("{ allSeries(first: \"ten\") { totalCount } }", json!({})),
        (
            "query($s: InstallmentStatus) { allInstallments(filter: { status: $s }) { totalCount } }",
            json!({ "s": "LIVE" }),
        ),
        ("query($id: ID!) { node(id: $id) { id } }", json!({})),
        ("{ allSeries(first: 1) { totalCount } ", json!({})),
    ] {
        let resp = app.query(query, vars).await;
        assert_error(&resp, "BAD_USER_INPUT", None);
    }
}

db_tests!(
    node_resolves_every_type,
    malformed_ids_are_bad_input,
    wrong_type_ids_are_bad_input,
    request_errors_have_codes,
);
