//! Malformed and hostile requests: each gets the expected HTTP status and
//! `extensions.code`, no 5xx, and leaves the database as it was. Strings full of SQL
//! and HTML metacharacters and emoji are stored and returned verbatim. Runs with the
//! default limits (the harness raises the complexity limit for the other tests).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use self::cases::{cases, Case};
use crate::db_tests;
use crate::helpers::{data, error_code, settings, Backend, TestApp, TestDb, TOKEN};

/// The embargo on unreleased installments, path by path, and at release time.
mod cases;
mod embargo;
mod embargo_release;

db_tests!(
    hostile_requests_are_refused_and_change_nothing,
    metacharacters_and_emoji_are_stored_verbatim,
    concurrent_creates_of_one_number_conflict,
    limits_refuse_before_any_sql_runs,
);

/// A seeded server with the production limits.
pub async fn spawn_with_defaults(backend: Backend) -> TestApp {
    let defaults = premiere::Settings::for_database("sqlite::memory:");
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.max_complexity = defaults.max_complexity).await;
    let db = premiere::db::Db::connect(&app.db.url, &settings(&app.db.url))
        .await
        .expect("connect");
    premiere::seed::seed(&db).await.expect("seed");
    app
}

/// The global ID of `kind` number `n`.
pub fn gid(kind: &str, n: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{n}"))
}

/// Counts of everything, and the release log's cursors: equal counts before and after
/// mean nothing was created or deleted. Read with the admin token, which sees the
/// unreleased installments too.
const COUNTS: &str = "{
  allSeries(first: 100) { totalCount nodes { updatedAt } }
  allPeople(first: 100) { totalCount nodes { name } }
  allInstallments(first: 100) {
    totalCount
    nodes { status updatedAt credits(first: 1) { totalCount } interviews(first: 1) { totalCount } }
  }
  releaseEvents(first: 100) { edges { cursor } }
}";

pub async fn counts(app: &TestApp) -> Value {
    data(&app.admin(COUNTS, json!({})).await).clone()
}

async fn send(app: &TestApp, case: &Case) -> (StatusCode, String, Value) {
    let mut req = app.client.request(
        case.method.clone(),
        app.url(&format!("/graphql{}", case.path)),
    );
    if let Some(ct) = case.content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    if let Some(accept) = case.accept {
        req = req.header(ACCEPT, accept);
    }
    if case.admin {
        req = req.bearer_auth(TOKEN);
    }
    if case.method == Method::POST {
        req = req.body(case.body.clone());
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, content_type, body)
}

async fn hostile_requests_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_with_defaults(backend).await;
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let before = counts(&app).await;
    let statements = app.statements().await;
    let mut failures = Vec::new();
    for case in &cases {
        let (status, content_type, body) = send(&app, case).await;
        let code = error_code(&body);
        let json_type = content_type.starts_with("application/json")
            || content_type.starts_with("application/graphql-response+json");
        if status != case.status || code != Some(case.code) || !json_type {
            failures.push(format!(
                "{}: got {status} {content_type} {code:?}, expected {} {}: {}",
                case.name,
                case.status,
                case.code,
                body.to_string().chars().take(300).collect::<String>()
            ));
        }
        assert!(!status.is_server_error(), "{}: {status} {body}", case.name);
        let after = counts(&app).await;
        assert_eq!(after, before, "{} changed the database", case.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The server is still healthy and serves a normal query.
    let resp = app
        .query("{ seriesBySlug(slug: \"soundtrack\") { slug } }", json!({}))
        .await;
    assert_eq!(data(&resp)["seriesBySlug"]["slug"], "soundtrack");
    assert!(app.statements().await > statements);
}

async fn metacharacters_and_emoji_are_stored_verbatim(backend: Backend) {
    let app = spawn_with_defaults(backend).await;
    let title = "Robert'); DROP TABLE series;-- \"quoted\" \\ back";
    let original = "<script>alert('x')</script> & <b>bold</b> 🎬🍿 사운드트랙 #2";
    let network = "%_ LIKE '%' OR 1=1 --";
    let synopsis = "Line one\nLine two\t<img src=x onerror=alert(1)>\u{200d}👩‍👩‍👧 ñ ü 漢字 \u{1F600}";
    let genres = ["'; DELETE FROM installment; --", "<i>", "💿", "%", "_"];
    let created = app
        .admin(
            "mutation($input: CreateSeriesInput!) { createSeries(input: $input) {
               id slug title originalTitle network genres synopsis } }",
            json!({ "input": {
                "slug": "meta-chars", "title": title, "originalTitle": original,
                "network": network, "genres": genres, "synopsis": synopsis
            } }),
        )
        .await;
    let created = data(&created)["createSeries"].clone();
    let expected = json!({
        "slug": "meta-chars", "title": title, "originalTitle": original,
        "network": network, "genres": genres, "synopsis": synopsis
    });
    for (k, v) in expected.as_object().expect("object") {
        assert_eq!(&created[k], v, "createSeries returned {k}");
    }
    let read = app
        .query(
            "query($slug: String!) { seriesBySlug(slug: $slug) {
               id slug title originalTitle network genres synopsis } }",
            json!({ "slug": "meta-chars" }),
        )
        .await;
    assert_eq!(data(&read)["seriesBySlug"], created, "read back verbatim");
    // Searching with the metacharacters finds exactly that series.
    for search in ["DROP TABLE series;--", "<script>", "🍿", "사운드"] {
        let found = app
            .query(
                "query($s: String) { allSeries(filter: { search: $s }) { nodes { slug } } }",
                json!({ "s": search }),
            )
            .await;
        assert_eq!(
            data(&found)["allSeries"]["nodes"],
            json!([{ "slug": "meta-chars" }]),
            "search {search}"
        );
    }
    // People too.
    let name = "O'Brien \"Bobby\" <Tables> 🎹";
    let person = app
        .admin(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id name knownFor } }",
            json!({ "input": { "name": name, "knownFor": ["1; SELECT * FROM person", "🎻"] } }),
        )
        .await;
    let person = data(&person)["createPerson"].clone();
    assert_eq!(person["name"], name);
    assert_eq!(person["knownFor"], json!(["1; SELECT * FROM person", "🎻"]));
    let read = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Person { name knownFor } } }",
            json!({ "id": person["id"] }),
        )
        .await;
    assert_eq!(data(&read)["node"]["name"], name);
}

async fn concurrent_creates_of_one_number_conflict(backend: Backend) {
    let app = spawn_with_defaults(backend).await;
    let before = counts(&app).await;
    let series = gid("Series", 1);
    let create = || {
        app.admin(
            "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id number } }",
            json!({ "input": { "seriesId": series, "number": 77 } }),
        )
    };
    for round in 0..3 {
        let number_query = "query($id: ID!) { node(id: $id) { ... on Series { installments(first: 100) { nodes { number } } } } }";
        let (a, b) = tokio::join!(create(), create());
        let ok = [&a, &b]
            .iter()
            .filter(|r| r.get("errors").is_none())
            .count();
        let codes: Vec<_> = [&a, &b].iter().filter_map(|r| error_code(r)).collect();
        if round == 0 {
            assert_eq!(ok, 1, "exactly one create succeeds: {a} {b}");
            assert_eq!(codes, ["CONFLICT"], "{a} {b}");
        } else {
            assert_eq!(ok, 0, "{a} {b}");
            assert_eq!(codes, ["CONFLICT", "CONFLICT"], "{a} {b}");
        }
        let numbers = app.admin(number_query, json!({ "id": series })).await;
        let sevens = data(&numbers)["node"]["installments"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter(|n| n["number"] == 77)
            .count();
        assert_eq!(sevens, 1, "one installment number 77");
    }
    let after = counts(&app).await;
    assert_eq!(
        after["allInstallments"]["totalCount"].as_i64(),
        before["allInstallments"]["totalCount"]
            .as_i64()
            .map(|n| n + 1)
    );
}

async fn limits_refuse_before_any_sql_runs(backend: Backend) {
    let app = spawn_with_defaults(backend).await;
    let too_complex = "{ allSeries(first: 100) { nodes { installments(first: 100) { nodes { \
                       credits(first: 100) { nodes { person { name } } } } } } } }";
    let too_deep = "{ allSeries { nodes { installments { nodes { series { installments { nodes { \
                    series { installments { nodes { series { installments { nodes { id } } } } } \
                    } } } } } } } } }";
    let aliases = format!(
        "{{ {} }}",
        (0..60)
            .map(|i| format!("s{i}: allSeries {{ totalCount }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let root = format!("{{ {} }}", "allSeries { totalCount } ".repeat(25));
    for query in [too_complex, too_deep, &aliases, &root] {
        // The statement counter is the server's: a background task (the dispatcher's
        // idle look at the log, the webhook worker) may run one during a request. The
        // fewest seen over a few runs is the request's own.
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            let statements = app.statements().await;
            let resp = app.query(query, json!({})).await;
            assert_eq!(error_code(&resp), Some("QUERY_TOO_COMPLEX"), "{resp}");
            assert!(
                resp.get("data").is_none(),
                "a refused request has no data: {resp}"
            );
            fewest = fewest.min(app.statements().await - statements);
        }
        assert_eq!(fewest, 0, "no SQL for a refused query");
    }
    // Just under the limits is served.
    let fine = "{ allSeries(first: 10) { nodes { installments(first: 10) { nodes { \
                credits(first: 10) { nodes { person { name } } } } } } } }";
    let resp = app.query(fine, json!({})).await;
    data(&resp);
}
