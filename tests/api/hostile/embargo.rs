//! The embargo, read by a client without the admin token: a DRAFT or SCHEDULED
//! installment, its credits and its interviews do not exist in any list, count,
//! filter, nested field or `node(id:)`, and asking for those statuses is FORBIDDEN.
//! Every check is made with the token too, which sees everything: the data is there.

use serde_json::{json, Value};

use crate::db_tests;
use crate::helpers::{data, error_code, Backend, TestApp, TOKEN};

db_tests!(
    every_path_hides_unreleased_installments,
    unreleased_ids_resolve_to_null,
    asking_for_unreleased_statuses_is_forbidden,
);

/// Every unreleased title, character, synopsis and interview starts with this.
pub const SECRET: &str = "Secret";

/// A request's data, failing on any error.
pub async fn ok(app: &TestApp, query: &str, variables: Value, admin: bool) -> Value {
    data(&app.post(query, variables, admin).await).clone()
}

/// The `id` of each node of a connection.
pub fn ids(connection: &Value) -> Vec<Value> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {connection}"))
        .iter()
        .map(|n| n["id"].clone())
        .collect()
}

/// The catalogue of the embargo tests (global IDs).
pub struct Fixture {
    pub series: Value,
    /// A series whose only installment is a draft.
    pub hidden_series: Value,
    pub person: Value,
    /// [installment, credit of `person`, interview with `person`] of: #1 of `series`
    /// (published), #2 (a draft), #3 (scheduled), and #1 of `hidden_series` (a draft).
    pub rows: Vec<[Value; 3]>,
}

impl Fixture {
    /// Column `i` of the rows `viewer` sees, of `series` only or of both series.
    fn column(&self, i: usize, admin: bool, both: bool) -> Vec<Value> {
        let seen = match (admin, both) {
            (false, _) => 1,
            (true, false) => 3,
            (true, true) => 4,
        };
        self.rows[..seen].iter().map(|row| row[i].clone()).collect()
    }

    /// The unreleased rows: everything but #1 of `series`.
    pub fn unreleased(&self) -> Vec<Value> {
        self.rows[1..].iter().flatten().cloned().collect()
    }
}

/// Creates an installment of `series` with a credit and an interview of `person`;
/// returns [installment, credit, interview].
async fn installment(app: &TestApp, series: &Value, person: &Value, input: Value) -> [Value; 3] {
    let title = input["title"].clone();
    let mut input = input;
    input["seriesId"] = series.clone();
    let made = ok(
        app,
        "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id } }",
        json!({ "input": input }),
        true,
    )
    .await;
    let id = made["createInstallment"]["id"].clone();
    let made = ok(
        app,
        "mutation($i: ID!, $p: ID!, $t: String!) {
           addCredit(input: { installmentId: $i, personId: $p, role: ACTOR, character: $t }) { id }
           createInterview(input: { installmentId: $i, outlet: \"Cine21\", title: $t, participantIds: [$p] }) { id }
         }",
        json!({ "i": id, "p": person, "t": title }),
        true,
    )
    .await;
    [
        id,
        made["addCredit"]["id"].clone(),
        made["createInterview"]["id"].clone(),
    ]
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let made = ok(
        app,
        "mutation {
           s: createSeries(input: { slug: \"embargo\", title: \"Embargo\" }) { id }
           h: createSeries(input: { slug: \"hidden\", title: \"Hidden\" }) { id }
           p: createPerson(input: { name: \"Embargo Person\" }) { id }
         }",
        json!({}),
        true,
    )
    .await;
    let series = made["s"]["id"].clone();
    let hidden_series = made["h"]["id"].clone();
    let person = made["p"]["id"].clone();
    // The draft has a release time in the past, so that the release-time filter would
    // find it if the embargo let it.
    let mut rows = Vec::new();
    for (on, input) in [
        (
            &series,
            json!({ "number": 1, "title": "Released One", "publish": true, "releaseAt": "2020-01-01T00:00:00Z" }),
        ),
        (
            &series,
            json!({ "number": 2, "title": "Secret Draft", "synopsis": "Secret plot", "releaseAt": "2021-01-01T00:00:00Z" }),
        ),
        (
            &series,
            json!({ "number": 3, "title": "Secret Scheduled", "publish": true, "releaseAt": "2999-01-01T00:00:00Z" }),
        ),
        (
            &hidden_series,
            json!({ "number": 1, "title": "Secret Hidden" }),
        ),
    ] {
        rows.push(installment(app, on, &person, input).await);
    }
    Fixture {
        series,
        hidden_series,
        person,
        rows,
    }
}

/// Every read path at once: top-level lists and their filters, paging, nested lists
/// of series and people with their counts, references back to installments, the
/// latest installment, and the release log's nested fields.
const EVERY_PATH: &str = r#"query($s: ID!, $h: ID!, $p: ID!, $after: String) {
  allInstallments(first: 10) { totalCount nodes { id title synopsis } pageInfo { hasNextPage } }
  bySeries: allInstallments(first: 10, filter: { seriesId: $s }) { totalCount nodes { id } }
  released: allInstallments(first: 10, filter: { releasedBefore: "2500-01-01T00:00:00Z" }) { totalCount nodes { id } }
  published: allInstallments(first: 10, filter: { status: PUBLISHED }) { totalCount nodes { id } }
  firstOne: allInstallments(first: 1) { nodes { id } pageInfo { hasNextPage } }
  lastOne: allInstallments(last: 1) { pageInfo { hasPreviousPage } }
  allSeries(first: 10) { nodes { id latestInstallment { id } installments(first: 10) { totalCount nodes { id title } } } }
  series: node(id: $s) { ... on Series {
    installments(first: 10, after: $after) { totalCount nodes { id } pageInfo { hasNextPage } }
    publishedOnly: installments(first: 10, status: PUBLISHED) { totalCount nodes { id } }
  } }
  hidden: node(id: $h) { ... on Series { latestInstallment { id } installments(first: 1) { totalCount nodes { id } } } }
  person: node(id: $p) { ... on Person {
    credits(first: 10) { totalCount nodes { id character installment { id title } } }
    interviews(first: 10) { totalCount nodes { id title installment { id }
      participants { credits(first: 10) { totalCount } interviews(first: 10) { totalCount } } } }
  } }
  releaseEvents(first: 10) { edges { node { installment { id
    credits(first: 10) { nodes { person { credits(first: 10) { totalCount nodes { id } } } } }
    series { installments(first: 10) { totalCount nodes { id } } } } } } }
}"#;

async fn every_path_hides_unreleased_installments(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let f = fixture(&app).await;
    let one = f.rows[0][0].clone();
    // The cursor of #1 in its series, the same for both.
    let first = ok(
        &app,
        "query($s: ID!) { node(id: $s) { ... on Series { installments(first: 1) { edges { cursor } } } } }",
        json!({ "s": f.series }),
        false,
    )
    .await;
    let after = first["node"]["installments"]["edges"][0]["cursor"].clone();
    let vars = json!({ "s": f.series, "h": f.hidden_series, "p": f.person, "after": after });
    for admin in [false, true] {
        let who = if admin { "admin" } else { "public" };
        let got = ok(&app, EVERY_PATH, vars.clone(), admin).await;
        // What each path lists: the released rows only, or everything.
        let in_series = f.column(0, admin, false);
        let everywhere = f.column(0, admin, true);
        let credits = f.column(1, admin, true);
        let interviews = f.column(2, admin, true);
        let n = |list: &[Value]| json!(list.len());

        assert_eq!(ids(&got["allInstallments"]), everywhere, "{who}: {got}");
        assert_eq!(
            got["allInstallments"]["totalCount"],
            n(&everywhere),
            "{who}"
        );
        assert_eq!(ids(&got["bySeries"]), in_series, "{who}");
        assert_eq!(got["bySeries"]["totalCount"], n(&in_series), "{who}");
        // Released before 2500: #1, and the draft (its planned time has passed).
        let released = &in_series[..if admin { 2 } else { 1 }];
        assert_eq!(ids(&got["released"]), released, "{who}");
        assert_eq!(got["released"]["totalCount"], n(released), "{who}");
        assert_eq!(ids(&got["published"]), std::slice::from_ref(&one), "{who}");
        assert_eq!(got["published"]["totalCount"], 1, "{who}");
        // Paging does not hint at rows it does not show.
        assert_eq!(got["firstOne"]["pageInfo"]["hasNextPage"], admin, "{who}");
        assert_eq!(
            got["lastOne"]["pageInfo"]["hasPreviousPage"], admin,
            "{who}"
        );
        let after_one = &got["series"]["installments"];
        assert_eq!(ids(after_one), in_series[1..], "{who}: after #1");
        assert_eq!(after_one["pageInfo"]["hasNextPage"], false, "{who}");
        assert_eq!(after_one["totalCount"], n(&in_series), "{who}");
        assert_eq!(
            ids(&got["series"]["publishedOnly"]),
            std::slice::from_ref(&one),
            "{who}"
        );
        // Both series in one batch: one with a mix, one with nothing released.
        let all_series = got["allSeries"]["nodes"].as_array().expect("series");
        assert_eq!(ids(&all_series[0]["installments"]), in_series, "{who}");
        assert_eq!(
            all_series[0]["installments"]["totalCount"],
            n(&in_series),
            "{who}"
        );
        assert_eq!(all_series[0]["latestInstallment"]["id"], one, "{who}");
        let hidden_count = json!(u8::from(admin));
        assert_eq!(
            all_series[1]["installments"]["totalCount"], hidden_count,
            "{who}"
        );
        assert_eq!(all_series[1]["latestInstallment"], Value::Null, "{who}");
        assert_eq!(
            got["hidden"]["installments"]["totalCount"], hidden_count,
            "{who}"
        );
        // A person's credits and interviews, and the installments they point to.
        let person = &got["person"];
        assert_eq!(ids(&person["credits"]), credits, "{who}");
        assert_eq!(person["credits"]["totalCount"], n(&credits), "{who}");
        assert_eq!(ids(&person["interviews"]), interviews, "{who}");
        assert_eq!(person["interviews"]["totalCount"], n(&interviews), "{who}");
        let pointed: Vec<Value> = person["credits"]["nodes"]
            .as_array()
            .expect("credits")
            .iter()
            .map(|c| c["installment"]["id"].clone())
            .collect();
        assert_eq!(pointed, everywhere, "{who}");
        for interview in person["interviews"]["nodes"]
            .as_array()
            .expect("interviews")
        {
            let participant = &interview["participants"][0];
            assert_eq!(participant["credits"]["totalCount"], n(&credits), "{who}");
            assert_eq!(
                participant["interviews"]["totalCount"],
                n(&interviews),
                "{who}"
            );
        }
        // The release log (#1 published, then its interview) and what hangs from it.
        let edges = got["releaseEvents"]["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), 2, "{who}: {got}");
        for edge in edges {
            let event = &edge["node"]["installment"];
            assert_eq!(event["id"], one, "{who}");
            let of_series = &event["series"]["installments"];
            assert_eq!(of_series["totalCount"], n(&in_series), "{who}");
            let on_event = &event["credits"]["nodes"][0]["person"]["credits"];
            assert_eq!(on_event["totalCount"], n(&credits), "{who}");
        }
        // Nothing unreleased shows anywhere in the public answer.
        let text = got.to_string();
        assert_eq!(text.contains(SECRET), admin, "{who}: {text}");
    }
}

async fn unreleased_ids_resolve_to_null(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let f = fixture(&app).await;
    const NODE: &str = "query($id: ID!) { node(id: $id) { id
      ... on Installment { title credits { totalCount } interviews { totalCount } }
      ... on Credit { character installment { id } }
      ... on Interview { title installment { id } } } }";
    for id in &f.unreleased() {
        // Exactly what an ID of nothing gets: null, and no error.
        let resp = app.query(NODE, json!({ "id": id })).await;
        assert_eq!(resp, json!({ "data": { "node": null } }), "{id}");
        let resp = app.admin(NODE, json!({ "id": id })).await;
        assert_eq!(data(&resp)["node"]["id"], *id, "{resp}");
        assert!(resp.to_string().contains(SECRET), "{resp}");
    }
    for id in &f.rows[0] {
        let resp = app.query(NODE, json!({ "id": id })).await;
        assert_eq!(data(&resp)["node"]["id"], *id, "{resp}");
    }
    // Over GET too, with the header or without.
    let get = |admin: bool| {
        let mut req = app.client.get(app.url("/graphql")).query(&[
            ("query", NODE),
            ("variables", &json!({ "id": f.rows[1][0] }).to_string()),
        ]);
        if admin {
            req = req.bearer_auth(TOKEN);
        }
        async move {
            req.send()
                .await
                .expect("GET")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    assert_eq!(get(false).await, json!({ "data": { "node": null } }));
    assert_eq!(data(&get(true).await)["node"]["title"], "Secret Draft");
}

async fn asking_for_unreleased_statuses_is_forbidden(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let f = fixture(&app).await;
    let top = "query($s: InstallmentStatus) { allInstallments(filter: { status: $s }) { totalCount nodes { title } } }";
    let nested = "query($id: ID!, $s: InstallmentStatus) { node(id: $id) { ... on Series {
      title installments(status: $s) { totalCount nodes { title } } } } }";
    for (status, title) in [("DRAFT", "Secret Draft"), ("SCHEDULED", "Secret Scheduled")] {
        let resp = app.query(top, json!({ "s": status })).await;
        assert_eq!(error_code(&resp), Some("FORBIDDEN"), "{resp}");
        assert_eq!(resp["data"], Value::Null, "{resp}");
        let resp = app
            .query(nested, json!({ "id": f.series, "s": status }))
            .await;
        assert_eq!(error_code(&resp), Some("FORBIDDEN"), "{resp}");
        assert_eq!(
            resp["errors"][0]["path"],
            json!(["node", "installments"]),
            "{resp}"
        );
        assert!(!resp.to_string().contains(SECRET), "{resp}");
        // The same with the token lists them.
        let got = ok(&app, top, json!({ "s": status }), true).await;
        assert_eq!(got["allInstallments"]["nodes"][0]["title"], title);
        let got = ok(&app, nested, json!({ "id": f.series, "s": status }), true).await;
        assert_eq!(got["node"]["installments"]["totalCount"], 1);
    }
    // PUBLISHED needs nothing; a forbidden field leaves the rest of the request served.
    let resp = app
        .query(
            "query($id: ID!) { a: allInstallments(filter: { status: PUBLISHED }) { totalCount }
               b: node(id: $id) { ... on Series { installments(status: DRAFT) { totalCount } } }
               c: node(id: $id) { ... on Series { installments { totalCount } } } }",
            json!({ "id": f.series }),
        )
        .await;
    assert_eq!(error_code(&resp), Some("FORBIDDEN"), "{resp}");
    assert_eq!(resp["data"]["a"]["totalCount"], 1, "{resp}");
    assert_eq!(resp["data"]["b"], Value::Null, "{resp}");
    assert_eq!(resp["data"]["c"]["installments"]["totalCount"], 1, "{resp}");
}
