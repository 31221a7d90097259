//! Malformed and hostile requests: each gets the expected HTTP status and
//! `extensions.code`, no 5xx, and leaves the database as it was. Strings full of SQL
//! and HTML metacharacters and emoji are stored and returned verbatim. Runs with the
//! default limits (the harness raises the complexity limit for the other tests).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::db_tests;
use crate::helpers::{data, error_code, settings, Backend, TestApp, TestDb, TOKEN};

/// The embargo on unreleased installments, path by path, and at release time.
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

/// One hostile request and what it must get.
struct Case {
    name: String,
    method: Method,
    /// Appended to `/graphql` (a query string for GET).
    path: String,
    content_type: Option<&'static str>,
    accept: Option<&'static str>,
    body: Vec<u8>,
    admin: bool,
    status: StatusCode,
    code: &'static str,
}

impl Case {
    /// A well-formed POST of `query` and `variables`.
    fn gql(name: &str, query: impl Into<String>, variables: Value) -> Case {
        let body = json!({ "query": query.into(), "variables": variables }).to_string();
        Case::raw(name, Some("application/json"), body.into_bytes())
    }

    fn raw(name: &str, content_type: Option<&'static str>, body: Vec<u8>) -> Case {
        Case {
            name: name.to_string(),
            method: Method::POST,
            path: String::new(),
            content_type,
            accept: None,
            body,
            admin: false,
            status: StatusCode::OK,
            code: "BAD_USER_INPUT",
        }
    }

    fn get(name: &str, query_string: &str) -> Case {
        Case {
            method: Method::GET,
            path: format!("?{query_string}"),
            content_type: None,
            accept: Some("application/json"),
            ..Case::raw(name, None, Vec::new())
        }
    }

    fn admin(mut self) -> Case {
        self.admin = true;
        self
    }

    fn accept(mut self, accept: &'static str) -> Case {
        self.accept = Some(accept);
        self
    }

    fn expect(mut self, status: u16, code: &'static str) -> Case {
        self.status = StatusCode::from_u16(status).expect("status");
        self.code = code;
        self
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn cases() -> Vec<Case> {
    let series = gid("Series", 1);
    let installment = gid("Installment", 1);
    let nested_500 = format!("{}{}", "{ node(id: \"x\") ".repeat(500), "}".repeat(500));
    let too_deep = "{ allSeries { nodes { installments { nodes { series { installments { nodes { \
                    series { installments { nodes { series { installments { nodes { id } } } } } \
                    } } } } } } } } }";
    let too_complex = "{ allSeries(first: 100) { nodes { installments(first: 100) { nodes { \
                       credits(first: 100) { nodes { id character } } } } } } }";
    let aliases = format!(
        "{{ {} }}",
        (0..1000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let root_fields = format!("{{ {} }}", "__typename ".repeat(30));
    let mut bomb = String::from("query { ...F0 }\n");
    for i in 0..30 {
        bomb.push_str(&format!(
            "fragment F{i} on Query {{ ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    bomb.push_str("fragment F30 on Query { __typename }\n");
    let big_query = format!("{{ __typename }}{}", " ".repeat(5 * 1024 * 1024));
    let create_series =
        "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { id } }";
    let create_installment =
        "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id } }";
    let series_input = |extra: Value| {
        let mut input = json!({ "slug": "fresh-slug", "title": "Fresh" });
        if let Value::Object(fields) = extra {
            for (k, v) in fields {
                input[k] = v;
            }
        }
        json!({ "input": input })
    };
    let installment_input = |extra: Value| {
        let mut input = json!({ "seriesId": series, "number": 40 });
        if let Value::Object(fields) = extra {
            for (k, v) in fields {
                input[k] = v;
            }
        }
        json!({ "input": input })
    };
    let publish =
        "mutation($id: ID!, $at: DateTime) { publishInstallment(id: $id, at: $at) { id } }";
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let batch_11 =
        serde_json::to_vec(&vec![json!({ "query": "{ __typename }" }); 11]).expect("json");

    vec![
        // The HTTP envelope.
        Case::raw(
            "invalid JSON",
            Some("application/json"),
            b"{\"query\": ".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "JSON string body",
            Some("application/json"),
            b"\"{ __typename }\"".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw("JSON number body", Some("application/json"), b"42".to_vec())
            .expect(400, "BAD_USER_INPUT"),
        Case::raw("JSON null body", Some("application/json"), b"null".to_vec())
            .expect(400, "BAD_USER_INPUT"),
        Case::raw("empty body", Some("application/json"), Vec::new()).expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "whitespace body",
            Some("application/json"),
            b" \n\t ".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw("empty batch", Some("application/json"), b"[]".to_vec())
            .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "batch of numbers",
            Some("application/json"),
            b"[1, 2]".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw("batch over the limit", Some("application/json"), batch_11)
            .expect(400, "QUERY_TOO_COMPLEX"),
        Case::raw(
            "text/plain",
            Some("text/plain"),
            b"{\"query\":\"{ __typename }\"}".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "no content type",
            None,
            b"{\"query\":\"{ __typename }\"}".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "form encoded",
            Some("application/x-www-form-urlencoded"),
            b"query=%7B__typename%7D".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "multipart",
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--"
                .to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "latin-1 charset",
            Some("application/json; charset=iso-8859-1"),
            b"{\"query\":\"{ __typename }\"}".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "invalid UTF-8",
            Some("application/json"),
            b"{\"query\":\"{ seriesBySlug(slug: \\\"\xff\xfe\\\") { id } }\"}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::gql("a 5 MB query", big_query, json!({})).expect(413, "QUERY_TOO_COMPLEX"),
        Case::gql("unacceptable Accept", "{ __typename }", json!({}))
            .accept("text/plain")
            .expect(406, "BAD_USER_INPUT"),
        Case::raw(
            "no query",
            Some("application/json"),
            b"{\"variables\":{}}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "numeric query",
            Some("application/json"),
            b"{\"query\":1}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "string variables",
            Some("application/json"),
            b"{\"query\":\"{ __typename }\",\"variables\":\"{}\"}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "array operationName",
            Some("application/json"),
            b"{\"query\":\"{ __typename }\",\"operationName\":[\"a\"]}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "variables nested 10,000 deep",
            Some("application/json"),
            format!("{{\"query\":\"{{ __typename }}\",\"variables\":{{\"v\":{deep_json}}}}}")
                .into_bytes(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::get("GET without query", "variables=%7B%7D").expect(400, "BAD_USER_INPUT"),
        Case::get(
            "GET mutation",
            &format!("query={}", enc("mutation { deleteSeries(id: \"x\") }")),
        )
        .admin()
        .expect(405, "BAD_USER_INPUT"),
        Case::get(
            "GET with non-JSON variables",
            &format!("query={}&variables=%7Bnope", enc("{ __typename }")),
        )
        .expect(400, "BAD_USER_INPUT"),
        // Documents.
        Case::gql("unterminated document", "{", json!({})),
        Case::gql("empty document", "", json!({})),
        Case::gql("parse error under graphql-response+json", "{", json!({}))
            .accept("application/graphql-response+json")
            .expect(400, "BAD_USER_INPUT"),
        Case::gql("500-level nesting", nested_500, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("depth over the limit", too_deep, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("complexity over the limit", too_complex, json!({}))
            .expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("1,000 aliases", aliases, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("30 root fields", root_fields, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("fragment bomb", bomb, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql(
            "unknown field",
            "{ allSeries { nodes { password } } }",
            json!({}),
        ),
        Case::gql(
            "unknown argument",
            "{ allSeries(limit: 5) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "unknown enum value",
            "{ allInstallments(filter: { status: LIVE }) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "null for a non-null argument",
            "{ seriesBySlug(slug: null) { id } }",
            json!({}),
        ),
        Case::gql(
            "wrong variable type",
            "query($n: Int) { allSeries(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
        ),
        Case::gql(
            "missing required variable",
            "query($slug: String!) { seriesBySlug(slug: $slug) { id } }",
            json!({}),
        ),
        Case::gql(
            "variable coercion under graphql-response+json",
            "query($slug: String!) { seriesBySlug(slug: $slug) { id } }",
            json!({ "slug": null }),
        )
        .accept("application/graphql-response+json")
        .expect(400, "BAD_USER_INPUT"),
        Case::gql(
            "two operations, no operationName",
            "query A { __typename } query B { __typename }",
            json!({}),
        ),
        Case::gql(
            "subscription over HTTP",
            "subscription { releaseAlerts { cursor } }",
            json!({}),
        ),
        // IDs.
        Case::gql(
            "malformed ID",
            "{ node(id: \"!!!not base64\") { id } }",
            json!({}),
        ),
        Case::gql(
            "ID of an unknown type",
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid("Password", 1) }),
        ),
        Case::gql(
            "negative row in an ID",
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid("Series", -1) }),
        ),
        Case::gql(
            "wrong-type ID",
            "mutation($id: ID!) { updateSeries(id: $id, input: { title: \"x\" }) { id } }",
            json!({ "id": installment }),
        )
        .admin(),
        Case::gql(
            "ID of nothing",
            "mutation($id: ID!) { updateSeries(id: $id, input: { title: \"x\" }) { id } }",
            json!({ "id": gid("Series", 999_999) }),
        )
        .admin()
        .expect(200, "NOT_FOUND"),
        Case::gql(
            "numeric ID overflow",
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": URL_SAFE_NO_PAD.encode(format!("Series:{}", "9".repeat(40))) }),
        ),
        // Dates and numbers.
        Case::gql(
            "February 30th",
            publish,
            json!({ "id": installment, "at": "2031-02-30T10:00:00Z" }),
        )
        .admin(),
        Case::gql(
            "date without an offset",
            publish,
            json!({ "id": installment, "at": "2031-01-01T10:00:00" }),
        )
        .admin(),
        Case::gql(
            "hour 25",
            publish,
            json!({ "id": installment, "at": "2031-01-01T25:00:00Z" }),
        )
        .admin(),
        Case::gql(
            "negative first",
            "{ allSeries(first: -1) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "first over the page size",
            "{ allSeries(first: 101) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "Int overflow",
            "{ allSeries(first: 99999999999) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "float for an Int",
            create_installment,
            installment_input(json!({ "number": 1.5 })),
        )
        .admin(),
        Case::gql(
            "negative installment number",
            create_installment,
            installment_input(json!({ "number": -2 })),
        )
        .admin(),
        Case::gql(
            "huge episode count",
            create_installment,
            installment_input(json!({ "episodeCount": 2_147_483_647 })),
        )
        .admin(),
        Case::gql(
            "number beyond 64 bits",
            create_installment,
            installment_input(json!({ "number": 1e30 })),
        )
        .admin(),
        // Strings.
        Case::gql(
            "oversized title",
            create_series,
            series_input(json!({ "title": "x".repeat(201) })),
        )
        .admin(),
        Case::gql(
            "oversized synopsis",
            create_series,
            series_input(json!({ "synopsis": "🎬".repeat(10_001) })),
        )
        .admin(),
        Case::gql(
            "control characters",
            create_series,
            series_input(json!({ "title": "bell\u{7}\u{0}" })),
        )
        .admin(),
        Case::gql(
            "blank title",
            create_series,
            series_input(json!({ "title": "   " })),
        )
        .admin(),
        Case::gql(
            "slug with SQL",
            create_series,
            series_input(json!({ "slug": "x'; DROP TABLE series; --" })),
        )
        .admin(),
        Case::gql(
            "too many genres",
            create_series,
            series_input(json!({ "genres": (0..51).map(|i| format!("g{i}")).collect::<Vec<_>>() })),
        )
        .admin(),
        Case::gql(
            "duplicate slug",
            create_series,
            series_input(json!({ "slug": "soundtrack" })),
        )
        .admin()
        .expect(200, "CONFLICT"),
        Case::gql(
            "duplicate installment number",
            create_installment,
            installment_input(json!({ "number": 2 })),
        )
        .admin()
        .expect(200, "CONFLICT"),
        Case::gql(
            "javascript URL",
            "mutation($input: CreateInterviewInput!) { createInterview(input: $input) { id } }",
            json!({ "input": {
                "installmentId": installment, "outlet": "x", "title": "y",
                "url": "javascript:alert(1)"
            } }),
        )
        .admin(),
        // Credentials.
        Case::gql(
            "mutation without a token",
            create_series,
            series_input(json!({})),
        )
        .expect(200, "UNAUTHENTICATED"),
        Case::gql(
            "unreleased status without a token",
            "{ allInstallments(filter: { status: DRAFT }) { totalCount } }",
            json!({}),
        )
        .expect(200, "FORBIDDEN"),
        Case::gql(
            "nested unreleased status without a token",
            "query($id: ID!) { node(id: $id) { ... on Series { installments(status: SCHEDULED) { totalCount } } } }",
            json!({ "id": series }),
        )
        .expect(200, "FORBIDDEN"),
    ]
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
