//! Nested lists are batched: the SQL statements one query runs do not grow with the
//! number of parents on a page (no N+1). The embargo costs no statement either: the
//! public's reads over a mix of released and unreleased rows run the same statements
//! as the admin's, filtered inside them.

use serde_json::{json, Value};

use super::support::{admin_ok, id_of, person_id};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp, TestDb};

/// Three levels of nested connections with counts, and a reference at the bottom.
const NESTED: &str = "query($genre: String, $series: Int, $installments: Int, $credits: Int) {
  allSeries(first: $series, filter: { genre: $genre }) { nodes { title
    installments(first: $installments) { totalCount nodes { title
      credits(first: $credits) { totalCount nodes { character person { name } } }
    } }
  } }
}";

/// Creates `series` series of `genre`, each with `installments` installments of
/// which the first `published` are published and the others drafts, each crediting
/// `credits` of `people` (shared between all of them), all through the admin API.
async fn build(
    app: &TestApp,
    genre: &str,
    (series, installments, published): (usize, usize, usize),
    credits: usize,
    people: &[String],
) {
    for s in 0..series {
        let created = admin_ok(
            app,
            "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { id } }",
            json!({ "input": { "slug": format!("{genre}-{s}"), "title": format!("{genre} {s}"), "genres": [genre] } }),
        )
        .await;
        let series_id = id_of(&created["createSeries"]);
        // All installments of a series in one request, aliased.
        let fields: Vec<String> = (1..=installments)
            .map(|n| {
                let publish = n <= published;
                format!(
                    "i{n}: createInstallment(input: {{ seriesId: $s, number: {n}, publish: {publish} }}) {{ id }}"
                )
            })
            .collect();
        let made = admin_ok(
            app,
            &format!("mutation($s: ID!) {{ {} }}", fields.join(" ")),
            json!({ "s": series_id }),
        )
        .await;
        let mut credit_fields = Vec::new();
        let mut vars = serde_json::Map::new();
        for n in 1..=installments {
            let installment = id_of(&made[format!("i{n}")]);
            vars.insert(format!("i{n}"), json!(installment));
            for c in 0..credits {
                let person = (s + n + c) % people.len();
                vars.insert(format!("p{person}"), json!(people[person]));
                credit_fields.push(format!(
                    "c{n}_{c}: addCredit(input: {{ installmentId: $i{n}, personId: $p{person}, role: ACTOR, character: \"Role {c}\" }}) {{ id }}"
                ));
            }
        }
        let declared: Vec<String> = vars.keys().map(|k| format!("${k}: ID!")).collect();
        admin_ok(
            app,
            &format!(
                "mutation({}) {{ {} }}",
                declared.join(", "),
                credit_fields.join(" ")
            ),
            Value::Object(vars),
        )
        .await;
    }
}

/// `n` people named `Shared 0`, `Shared 1`, …, with their ids.
async fn shared_people(app: &TestApp, n: usize) -> Vec<String> {
    let mut people = Vec::new();
    for p in 0..n {
        people.push(person_id(app, &format!("Shared {p}")).await);
    }
    people
}

/// A server without the response cache: these tests count the statements of executing
/// a query, which a cached answer would not run.
async fn uncached(backend: Backend) -> TestApp {
    TestApp::spawn_on(TestDb::new(backend).await, |s| s.response_cache_bytes = 0).await
}

/// The SQL statements one run of `query` costs (with the admin token when `admin`),
/// with the last response. The dispatcher and the scheduler may run a statement of
/// their own now and then (an idle check of the release log), so the median of five
/// runs is the query's own cost.
async fn cost(app: &TestApp, query: &str, vars: Value, admin: bool) -> (u64, Value) {
    let mut deltas = Vec::new();
    let mut last = Value::Null;
    for _ in 0..5 {
        let before = app.statements().await;
        let resp = app.post(query, vars.clone(), admin).await;
        let after = app.statements().await;
        data(&resp);
        deltas.push(after - before);
        last = resp;
    }
    let mut sorted = deltas.clone();
    sorted.sort_unstable();
    eprintln!("statements per run: {deltas:?}");
    (sorted[sorted.len() / 2], last)
}

/// Checks the shape of a `NESTED` response against what `build` made.
fn check_shape(resp: &Value, series: usize, installments: usize, credits: usize) {
    let nodes = data(resp)["allSeries"]["nodes"]
        .as_array()
        .expect("series")
        .clone();
    assert_eq!(nodes.len(), series, "{resp}");
    for s in &nodes {
        assert_eq!(s["installments"]["totalCount"], installments as u64, "{s}");
        let inst = s["installments"]["nodes"].as_array().expect("installments");
        assert_eq!(inst.len(), installments, "{s}");
        for i in inst {
            assert_eq!(i["credits"]["totalCount"], credits as u64, "{i}");
            let cs = i["credits"]["nodes"].as_array().expect("credits");
            assert_eq!(cs.len(), credits, "{i}");
            for c in cs {
                assert!(
                    c["person"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("Shared ")),
                    "{c}"
                );
            }
        }
    }
}

async fn nested_lists_are_batched(backend: Backend) {
    let app = uncached(backend).await;
    let people = shared_people(&app, 4).await;
    // Two of each five big installments are published, the small one is.
    build(&app, "big", (10, 5, 2), 3, &people).await;
    build(&app, "small", (2, 1, 1), 1, &people).await;

    // The admin sees every installment.
    let big = json!({ "genre": "big", "series": 10, "installments": 5, "credits": 8 });
    let (big_cost, resp) = cost(&app, NESTED, big.clone(), true).await;
    check_shape(&resp, 10, 5, 3);

    let small = json!({ "genre": "small", "series": 10, "installments": 5, "credits": 8 });
    let (small_cost, resp) = cost(&app, NESTED, small, true).await;
    check_shape(&resp, 2, 1, 1);

    // Smaller pages of the big data set.
    let pages = json!({ "genre": "big", "series": 3, "installments": 2, "credits": 1 });
    let (pages_cost, resp) = cost(&app, NESTED, pages, true).await;
    check_shape_pages(&resp, 3, 2, 1);

    // The public sees the two published ones of each series, in as many statements.
    let (public_cost, resp) = cost(&app, NESTED, big, false).await;
    check_shape(&resp, 10, 2, 3);

    // One statement for the series page, and per nested level one for the pages of
    // all parents and one for their counts, and one for all the people: 6. Allow a
    // little slack for a different but still constant plan.
    assert!(
        big_cost <= 8,
        "10 series x 5 installments x 3 credits cost {big_cost} statements"
    );
    assert!(big_cost >= 4, "implausibly few statements: {big_cost}");
    assert_eq!(
        big_cost, small_cost,
        "statements grow with the data: {big_cost} for 10x5x3, {small_cost} for 2x1x1"
    );
    assert_eq!(
        big_cost, pages_cost,
        "statements depend on page sizes: {big_cost} vs {pages_cost}"
    );
    assert_eq!(
        big_cost, public_cost,
        "the embargo costs statements: {big_cost} for the admin, {public_cost} for the public"
    );
}

/// Like `check_shape`, for pages smaller than the lists (totalCount stays the full size).
fn check_shape_pages(resp: &Value, series: usize, installments: usize, credits: usize) {
    let nodes = data(resp)["allSeries"]["nodes"].as_array().expect("series");
    assert_eq!(nodes.len(), series, "{resp}");
    for s in nodes {
        assert_eq!(s["installments"]["totalCount"], 5, "{s}");
        let inst = s["installments"]["nodes"].as_array().expect("installments");
        assert_eq!(inst.len(), installments, "{s}");
        for i in inst {
            assert_eq!(i["credits"]["totalCount"], 3, "{i}");
            assert_eq!(
                i["credits"]["nodes"].as_array().expect("credits").len(),
                credits
            );
        }
    }
}

/// References up the tree (credit -> installment -> series, interview participants)
/// are batched too.
async fn references_are_batched(backend: Backend) {
    let app = uncached(backend).await;
    let people = shared_people(&app, 3).await;
    // One of the three installments of each series is published.
    build(&app, "ref", (4, 3, 1), 2, &people).await;
    const UP: &str = "query($first: Int) { allPeople(first: $first) { nodes { name
      credits(first: 20) { totalCount nodes { role installment { title status series { title latestInstallment { id } } } } }
    } } }";
    let (one, resp) = cost(&app, UP, json!({ "first": 1 }), true).await;
    assert_eq!(
        data(&resp)["allPeople"]["nodes"].as_array().map(Vec::len),
        Some(1)
    );
    // The admin sees every credit, the public those on the published installments.
    for (admin, credits) in [(true, 4 * 3 * 2), (false, 4 * 2)] {
        let (three, resp) = cost(&app, UP, json!({ "first": 3 }), admin).await;
        let people_nodes = data(&resp)["allPeople"]["nodes"]
            .as_array()
            .expect("people")
            .clone();
        assert_eq!(people_nodes.len(), 3);
        let total: u64 = people_nodes
            .iter()
            .map(|p| p["credits"]["totalCount"].as_u64().expect("count"))
            .sum();
        assert_eq!(
            total, credits,
            "every credit the viewer sees belongs to one of the people (admin: {admin})"
        );
        let nodes: Vec<Value> = people_nodes
            .iter()
            .flat_map(|p| p["credits"]["nodes"].as_array().expect("credits").clone())
            .collect();
        assert_eq!(nodes.len() as u64, total, "{resp}");
        assert!(
            nodes.iter().all(|c| c["installment"]["series"]["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("ref "))),
            "{resp}"
        );
        if !admin {
            assert!(
                nodes
                    .iter()
                    .all(|c| c["installment"]["status"] == "PUBLISHED"),
                "{resp}"
            );
        }
        assert_eq!(
            one, three,
            "statements grow with the number of people, or with the embargo (admin: {admin})"
        );
        assert!(three <= 8, "{three} statements");
    }
}

/// A page of credits is read with its people: series, their installments and those
/// installments' credits with each credit's person are three statements, one per level,
/// and each credit names the same person as the credit alone (`node`) does.
async fn credits_are_read_with_their_people(backend: Backend) {
    let app = uncached(backend).await;
    let people = shared_people(&app, 5).await;
    build(&app, "joined", (3, 2, 1), 4, &people).await;
    const LEVELS: &str = "query { allSeries(first: 10, filter: { genre: \"joined\" }) { nodes {
      installments(first: 10) { nodes { credits(first: 10) { nodes { id person { id name } } } } }
    } } }";
    for (admin, installments) in [(true, 2), (false, 1)] {
        let (statements, resp) = cost(&app, LEVELS, json!({}), admin).await;
        assert_eq!(statements, 3, "one statement per level (admin: {admin})");
        let credits: Vec<Value> = data(&resp)["allSeries"]["nodes"]
            .as_array()
            .expect("series")
            .iter()
            .flat_map(|s| {
                s["installments"]["nodes"]
                    .as_array()
                    .expect("installments")
                    .clone()
            })
            .flat_map(|i| i["credits"]["nodes"].as_array().expect("credits").clone())
            .collect();
        assert_eq!(credits.len(), 3 * installments * 4, "{resp}");
        for credit in &credits {
            let alone = app
                .post(
                    "query($id: ID!) { node(id: $id) { ... on Credit { person { id name } } } }",
                    json!({ "id": credit["id"] }),
                    true,
                )
                .await;
            assert_eq!(data(&alone)["node"]["person"], credit["person"], "{credit}");
        }
    }
}

db_tests!(
    nested_lists_are_batched,
    references_are_batched,
    credits_are_read_with_their_people
);
