//! Relay pagination of every connection: first/after, last/before, empty pages,
//! page info, totalCount, and the limits on page size and cursors.

use serde_json::{json, Value};

use super::support::{
    add_credit, assert_error, create_interview, id_of, installment_id, node_ids, person_id,
    series_id,
};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp};

const SELECTION: &str = "totalCount edges { cursor node { id } } nodes { id } \
     pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";
const ARGS: &str = "first: $first, after: $after, last: $last, before: $before";

/// One connection under test: the query (taking `$first $after $last $before` and
/// whatever `vars` holds) and the path from `data` to the connection.
struct Conn {
    name: &'static str,
    query: String,
    path: Vec<&'static str>,
    vars: Value,
}

impl Conn {
    fn top(field: &'static str) -> Conn {
        Conn {
            name: field,
            query: format!(
                "query($first: Int, $after: String, $last: Int, $before: String) \
                 {{ {field}({ARGS}) {{ {SELECTION} }} }}"
            ),
            path: vec![field],
            vars: json!({}),
        }
    }

    /// `field` of the node `id`, which is a `on_type`.
    fn nested(name: &'static str, on_type: &str, field: &'static str, id: &str) -> Conn {
        Conn {
            name,
            query: format!(
                "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) \
                 {{ node(id: $id) {{ ... on {on_type} {{ {field}({ARGS}) {{ {SELECTION} }} }} }} }}"
            ),
            path: vec!["node", field],
            vars: json!({ "id": id }),
        }
    }

    fn variables(
        &self,
        first: Option<i64>,
        after: Option<&str>,
        last: Option<i64>,
        before: Option<&str>,
    ) -> Value {
        let mut vars = self.vars.clone();
        vars["first"] = json!(first);
        vars["after"] = json!(after);
        vars["last"] = json!(last);
        vars["before"] = json!(before);
        vars
    }

    async fn raw(
        &self,
        app: &TestApp,
        first: Option<i64>,
        after: Option<&str>,
        last: Option<i64>,
        before: Option<&str>,
    ) -> Value {
        // With the admin token: the lists hold unreleased installments (the embargo's
        // own paging is checked in `hostile::embargo`).
        app.admin(&self.query, self.variables(first, after, last, before))
            .await
    }

    /// Fetches one page and checks that it is self-consistent.
    async fn page(
        &self,
        app: &TestApp,
        first: Option<i64>,
        after: Option<&str>,
        last: Option<i64>,
        before: Option<&str>,
    ) -> Page {
        let resp = self.raw(app, first, after, last, before).await;
        let mut conn = data(&resp).clone();
        for step in &self.path {
            conn = conn[*step].clone();
        }
        let edges = conn["edges"].as_array().expect("edges").clone();
        let cursors: Vec<String> = edges
            .iter()
            .map(|e| e["cursor"].as_str().expect("cursor").to_string())
            .collect();
        let ids: Vec<String> = edges.iter().map(|e| id_of(&e["node"])).collect();
        let name = self.name;
        assert_eq!(ids, node_ids(&conn), "{name}: edges and nodes differ");
        let info = &conn["pageInfo"];
        assert_eq!(
            info["startCursor"],
            json!(cursors.first()),
            "{name}: startCursor is not the first edge's cursor: {conn}"
        );
        assert_eq!(
            info["endCursor"],
            json!(cursors.last()),
            "{name}: endCursor is not the last edge's cursor: {conn}"
        );
        Page {
            ids,
            cursors,
            has_next: info["hasNextPage"].as_bool().expect("hasNextPage"),
            has_previous: info["hasPreviousPage"].as_bool().expect("hasPreviousPage"),
            total: conn["totalCount"].as_u64().expect("totalCount"),
        }
    }
}

#[derive(Debug)]
struct Page {
    ids: Vec<String>,
    cursors: Vec<String>,
    has_next: bool,
    has_previous: bool,
    total: u64,
}

/// Checks every Relay behaviour of `conn`, whose complete list is `expected` (n >= 5).
async fn check_connection(app: &TestApp, conn: &Conn, expected: &[String]) {
    let name = conn.name;
    let n = expected.len();
    assert!(n >= 5, "{name}: the check needs at least 5 items");
    let total = n as u64;

    // Everything in one page, both ways.
    let all = conn.page(app, Some(100), None, None, None).await;
    assert_eq!(all.ids, expected, "{name}: first: 100");
    assert_eq!(all.total, total, "{name}: totalCount");
    assert!(!all.has_next && !all.has_previous, "{name}: {all:?}");
    let all_back = conn.page(app, None, None, Some(100), None).await;
    assert_eq!(all_back.ids, expected, "{name}: last: 100");
    assert!(
        !all_back.has_next && !all_back.has_previous,
        "{name}: {all_back:?}"
    );
    // Without first or last: a default page, which holds these few items.
    let default = conn.page(app, None, None, None, None).await;
    assert_eq!(default.ids, expected, "{name}: default page");

    // Forward, two at a time.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = conn.page(app, Some(2), after.as_deref(), None, None).await;
        pages += 1;
        assert_eq!(page.total, total, "{name}: totalCount on page {pages}");
        // Nothing precedes the first page; later pages may say so or not (Relay).
        if pages == 1 {
            assert!(!page.has_previous, "{name}: first page: {page:?}");
        }
        assert_eq!(page.ids.len(), 2.min(n - seen.len()), "{name}: {page:?}");
        seen.extend(page.ids.iter().cloned());
        assert_eq!(
            page.has_next,
            seen.len() < n,
            "{name}: hasNextPage: {page:?}"
        );
        if !page.has_next {
            break;
        }
        after = page.cursors.last().cloned();
        assert!(pages <= n, "{name}: forward paging does not end");
    }
    assert_eq!(seen, expected, "{name}: forward walk");
    assert_eq!(pages, n.div_ceil(2), "{name}: forward page count");

    // Backward, two at a time.
    let mut seen: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = conn.page(app, None, None, Some(2), before.as_deref()).await;
        pages += 1;
        assert_eq!(
            page.total, total,
            "{name}: totalCount on backward page {pages}"
        );
        if pages == 1 {
            assert!(!page.has_next, "{name}: last page: {page:?}");
        }
        assert_eq!(page.ids.len(), 2.min(n - seen.len()), "{name}: {page:?}");
        let mut ids = page.ids.clone();
        ids.extend(seen);
        seen = ids;
        assert_eq!(
            page.has_previous,
            seen.len() < n,
            "{name}: hasPreviousPage: {page:?}"
        );
        if !page.has_previous {
            break;
        }
        before = page.cursors.first().cloned();
        assert!(pages <= n, "{name}: backward paging does not end");
    }
    assert_eq!(seen, expected, "{name}: backward walk");

    // Empty pages.
    let zero = conn.page(app, Some(0), None, None, None).await;
    assert!(zero.ids.is_empty(), "{name}: first: 0 gave {zero:?}");
    assert!(
        zero.has_next,
        "{name}: first: 0 must say there is more: {zero:?}"
    );
    assert_eq!(zero.total, total, "{name}: totalCount with first: 0");
    let last_cursor = all.cursors.last().expect("a cursor").clone();
    let past_end = conn
        .page(app, Some(2), Some(&last_cursor), None, None)
        .await;
    assert!(
        past_end.ids.is_empty(),
        "{name}: after the last: {past_end:?}"
    );
    assert!(!past_end.has_next, "{name}: after the last: {past_end:?}");
    assert_eq!(past_end.total, total, "{name}: totalCount after the last");
    let first_cursor = all.cursors.first().expect("a cursor").clone();
    let before_start = conn
        .page(app, None, None, Some(2), Some(&first_cursor))
        .await;
    assert!(before_start.ids.is_empty(), "{name}: {before_start:?}");
    assert!(!before_start.has_previous, "{name}: {before_start:?}");

    // A window between two cursors.
    let window = conn
        .page(
            app,
            Some(100),
            Some(&first_cursor),
            None,
            Some(&last_cursor),
        )
        .await;
    assert_eq!(
        window.ids,
        expected[1..n - 1],
        "{name}: after/before window"
    );
    let window = conn
        .page(
            app,
            None,
            Some(&all.cursors[0]),
            Some(2),
            Some(&all.cursors[4]),
        )
        .await;
    assert_eq!(window.ids, expected[2..4], "{name}: last in a window");
    assert!(window.has_previous, "{name}: {window:?}");

    // The same page twice: cursors are stable.
    let again = conn.page(app, Some(100), None, None, None).await;
    assert_eq!(again.cursors, all.cursors, "{name}: cursors changed");
}

/// Checks the page-size limits and cursor validation of `conn`.
async fn check_limits(app: &TestApp, conn: &Conn) {
    for (first, last, field) in [
        (Some(101), None, "first"),
        (Some(-1), None, "first"),
        (None, Some(101), "last"),
        (None, Some(-1), "last"),
        (Some(i64::from(i32::MAX)), None, "first"),
    ] {
        let resp = conn.raw(app, first, None, last, None).await;
        assert_error(&resp, "BAD_USER_INPUT", Some(field));
    }
    let resp = conn.raw(app, Some(100), None, None, None).await;
    data(&resp);
    let resp = conn.raw(app, None, None, Some(100), None).await;
    data(&resp);

    // A node ID is not a cursor; neither is junk.
    let node_id = "U2VyaWVzOjE"; // base64 of "Series:1"
    for bad in ["junk", "!!!", "", node_id, "Y3Vyc29yOmFiYw"] {
        let resp = conn.raw(app, Some(2), Some(bad), None, None).await;
        assert_error(&resp, "BAD_USER_INPUT", Some("after"));
        let resp = conn.raw(app, None, None, Some(2), Some(bad)).await;
        assert_error(&resp, "BAD_USER_INPUT", Some("before"));
    }
}

/// Five series, each with people, installments, credits and interviews; returns the
/// connections to check with their expected lists.
async fn catalogue(app: &TestApp) -> Vec<(Conn, Vec<String>)> {
    let mut series = Vec::new();
    for i in 1..=5 {
        series.push(series_id(app, &format!("show-{i}"), &format!("Show {i}")).await);
    }
    let mut people = Vec::new();
    for i in 1..=5 {
        people.push(person_id(app, &format!("Person {i}")).await);
    }
    // Installments of the first series, created out of order: listed by number.
    let mut by_number: Vec<(i64, String)> = Vec::new();
    for number in [3, 1, 5, 2, 4] {
        by_number.push((number, installment_id(app, &series[0], number).await));
    }
    let mut all_installments: Vec<String> = by_number.iter().map(|(_, id)| id.clone()).collect();
    by_number.sort();
    let in_series: Vec<String> = by_number.into_iter().map(|(_, id)| id).collect();
    all_installments.push(installment_id(app, &series[1], 1).await);

    let target = &in_series[0].clone();
    let mut credits = Vec::new();
    for person in &people {
        credits.push(id_of(
            &add_credit(app, target, person, "ACTOR", json!({})).await,
        ));
    }
    // The first person's credits across installments.
    let mut person_credits = vec![credits[0].clone()];
    for installment in &in_series[1..] {
        person_credits.push(id_of(
            &add_credit(app, installment, &people[0], "WRITER", json!({})).await,
        ));
    }
    let mut interviews = Vec::new();
    for i in 1..=5 {
        let about = &in_series[0];
        let title = format!("Interview {i}");
        interviews.push(id_of(
            &create_interview(app, about, &title, &[&people[0]]).await,
        ));
    }
    // The first person also talks about another installment.
    let mut person_interviews = interviews.clone();
    person_interviews.push(id_of(
        &create_interview(app, &in_series[1], "Interview 6", &[&people[0], &people[1]]).await,
    ));

    vec![
        (Conn::top("allSeries"), series.clone()),
        (Conn::top("allPeople"), people.clone()),
        (Conn::top("allInstallments"), all_installments),
        (
            Conn::nested("Series.installments", "Series", "installments", &series[0]),
            in_series,
        ),
        (
            Conn::nested("Installment.credits", "Installment", "credits", target),
            credits,
        ),
        (
            Conn::nested("Person.credits", "Person", "credits", &people[0]),
            person_credits,
        ),
        (
            Conn::nested(
                "Installment.interviews",
                "Installment",
                "interviews",
                target,
            ),
            interviews,
        ),
        (
            Conn::nested("Person.interviews", "Person", "interviews", &people[0]),
            person_interviews,
        ),
    ]
}

async fn every_connection_pages_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (conn, expected) in catalogue(&app).await {
        check_connection(&app, &conn, &expected).await;
    }
}

async fn page_sizes_and_cursors_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (conn, _) in catalogue(&app).await {
        check_limits(&app, &conn).await;
    }
}

async fn empty_lists_have_empty_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let nothing_yet = [
        Conn::top("allSeries"),
        Conn::top("allInstallments"),
        Conn::top("allPeople"),
    ];
    check_empty(&app, &nothing_yet).await;
    let series = series_id(&app, "empty", "Empty").await;
    let installment = installment_id(&app, &series, 1).await;
    let person = person_id(&app, "Nobody").await;
    let empty = [
        Conn::nested(
            "Installment.credits",
            "Installment",
            "credits",
            &installment,
        ),
        Conn::nested(
            "Installment.interviews",
            "Installment",
            "interviews",
            &installment,
        ),
        Conn::nested("Person.credits", "Person", "credits", &person),
        Conn::nested("Person.interviews", "Person", "interviews", &person),
    ];
    check_empty(&app, &empty).await;
}

async fn check_empty(app: &TestApp, conns: &[Conn]) {
    for conn in conns {
        for (first, last) in [
            (Some(0), None),
            (Some(10), None),
            (None, Some(10)),
            (None, None),
        ] {
            let page = conn.page(app, first, None, last, None).await;
            assert!(page.ids.is_empty(), "{}: {page:?}", conn.name);
            assert!(
                !page.has_next && !page.has_previous,
                "{}: {page:?}",
                conn.name
            );
            assert_eq!(page.total, 0, "{}", conn.name);
        }
    }
}

db_tests!(
    every_connection_pages_both_ways,
    page_sizes_and_cursors_are_validated,
    empty_lists_have_empty_pages,
);
