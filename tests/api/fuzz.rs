//! Property tests over the request entry point: arbitrary bytes under various content
//! types, arbitrary JSON shaped like a request, token soups of GraphQL and random GET
//! query strings. Whatever comes in, the server answers (no panic, no dropped
//! connection), never with a 5xx, never with an INTERNAL error, and stays healthy.
//!
//! Deterministic (a fixed seed) and a few seconds long; `PROPTEST_CASES=N` runs N
//! cases per property instead of 150.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};

use crate::helpers::{data, Backend, TestApp, TOKEN};

const CODES: [&str; 7] = [
    "BAD_USER_INPUT",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "QUERY_TOO_COMPLEX",
    // Not INTERNAL: nothing a client sends should be an internal error.
    "",
];

const CONTENT_TYPES: [Option<&str>; 10] = [
    None,
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("application/json; charset=utf-16"),
    Some("text/plain"),
    Some("application/graphql"),
    Some("application/graphql-response+json"),
    Some("multipart/form-data; boundary=x"),
    Some("application/x-www-form-urlencoded"),
    Some(";;=;"),
];

const ACCEPTS: [Option<&str>; 7] = [
    None,
    Some("*/*"),
    Some("application/json"),
    Some("application/graphql-response+json"),
    Some("application/graphql-response+json, application/json;q=0.9"),
    Some("text/html"),
    Some("q=;;,,*/*;q=abc"),
];

/// Pieces of GraphQL, valid and not, joined at random.
const TOKENS: [&str; 65] = [
    "{",
    "}",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "...",
    "on",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "F",
    "on Query",
    "on Series",
    "$v",
    "$v: Int",
    "$v: ID!",
    "=",
    "@include(if: true)",
    "@skip(if: $v)",
    "@deprecated",
    "__typename",
    "__schema",
    "__type(name: \"Series\")",
    "node",
    "node(id: \"U2VyaWVzOjE\")",
    "node(id: \"x\")",
    "seriesBySlug(slug: \"soundtrack\")",
    "allSeries",
    "allSeries(first: 3)",
    "allSeries(first: -1)",
    "allSeries(last: 2, before: \"x\")",
    "allPeople",
    "allInstallments(filter: { status: PUBLISHED })",
    "allInstallments(filter: { status: DRAFT })",
    "releaseEvents(first: 2)",
    "releaseEvents(after: \"MTI\")",
    "nodes",
    "edges",
    "node",
    "cursor",
    "pageInfo",
    "hasNextPage",
    "totalCount",
    "id",
    "title",
    "slug",
    "installments",
    "credits",
    "interviews",
    "person",
    "name",
    "... on Series",
    "... on Installment",
    "a:",
    "b:",
    "createPerson(input: { name: \"x\" })",
    "deleteSeries(id: \"U2VyaWVzOjE\")",
    "publishInstallment(id: \"SW5zdGFsbG1lbnQ6MQ\", at: \"2031-02-30T00:00:00Z\")",
    "\"unterminated",
    "1e309",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        token_soup().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map("[a-zA-Z$_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn token_soup() -> impl Strategy<Value = String> {
    vec(select(&TOKENS[..]), 0..48).prop_map(|tokens| tokens.join(" "))
}

/// An argument value: numbers at the edges, strings with metacharacters, IDs of every
/// kind (valid, unknown, malformed), dates real and impossible, enums.
fn argument() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        select(
            &[
                "0",
                "-1",
                "1",
                "100",
                "101",
                "2147483647",
                "-2147483648",
                "1.5",
                "1e400"
            ][..]
        )
        .prop_map(str::to_string),
        ".{0,30}".prop_map(|s| Value::from(s).to_string()),
        (
            select(
                &[
                    "Series",
                    "Installment",
                    "Person",
                    "Credit",
                    "Interview",
                    "Nope"
                ][..]
            ),
            -3i64..5,
        )
            .prop_map(|(kind, n)| {
                use base64::Engine;
                let id =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{n}"));
                Value::from(id).to_string()
            }),
        select(
            &[
                "\"2031-02-30T00:00:00Z\"",
                "\"2020-01-01T00:00:00+14:00\"",
                "\"yesterday\"",
                "PUBLISHED",
                "DRAFT",
                "ACTOR",
                "null",
                "true",
                "[]",
                "{}",
            ][..]
        )
        .prop_map(str::to_string),
    ]
}

const FIELDS: [&str; 24] = [
    "node",
    "seriesBySlug",
    "allSeries",
    "allInstallments",
    "allPeople",
    "releaseEvents",
    "nodes",
    "edges",
    "node",
    "pageInfo",
    "totalCount",
    "id",
    "title",
    "installments",
    "credits",
    "interviews",
    "series",
    "person",
    "latestInstallment",
    "participants",
    "__typename",
    "releaseAt",
    "status",
    "knownFor",
];

const ARGS: [&str; 12] = [
    "id", "slug", "first", "last", "after", "before", "status", "role", "filter", "at", "input",
    "x",
];

/// A syntactically valid query of random fields, arguments and nesting.
fn structured_query() -> impl Strategy<Value = String> {
    let field = (
        select(&FIELDS[..]),
        vec((select(&ARGS[..]), argument()), 0..3),
    )
        .prop_map(|(name, args)| {
            if args.is_empty() {
                name.to_string()
            } else {
                let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{name}({})", args.join(", "))
            }
        })
        .boxed();
    let leaf = field.clone();
    let selection = leaf.prop_recursive(6, 40, 4, move |inner| {
        (field.clone(), vec(inner, 1..4))
            .prop_map(|(field, children)| format!("{field} {{ {} }}", children.join(" ")))
    });
    (
        select(&["", "query ", "mutation "][..]),
        vec(selection, 1..4),
    )
        .prop_map(|(kind, selections)| format!("{kind}{{ {} }}", selections.join(" ")))
}

/// A JSON object with some of the request keys, each of any type.
fn request_shaped() -> impl Strategy<Value = Value> {
    let key = select(&["query", "variables", "operationName", "extensions", "qeury"][..]);
    let value = prop_oneof![
        3 => token_soup().prop_map(Value::from),
        2 => json_value(),
    ];
    let single = btree_map(key, value, 0..5)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    prop_oneof![
        4 => single.clone(),
        1 => vec(single, 0..4).prop_map(Value::Array),
    ]
}

struct Sent {
    status: u16,
    body: Value,
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    accept: Option<&str>,
    admin: bool,
    body: Vec<u8>,
) -> Result<Sent, TestCaseError> {
    let mut req = app.client.request(method, app.url(path)).body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    if let Some(accept) = accept {
        req = req.header(ACCEPT, accept);
    }
    if admin {
        req = req.bearer_auth(TOKEN);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("no answer (did the server panic?): {e}")))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| TestCaseError::fail(format!("body: {e}")))?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Sent { status, body })
}

fn check(sent: &Sent) -> Result<(), TestCaseError> {
    prop_assert!(sent.status < 500, "{} {}", sent.status, sent.body);
    let responses = match &sent.body {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for response in responses {
        if let Some(errors) = response.get("errors").and_then(Value::as_array) {
            for error in errors {
                let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
                prop_assert!(
                    CODES.contains(&code) && !code.is_empty(),
                    "error code {code}: {}",
                    sent.body
                );
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(150)
}

fn runner() -> TestRunner {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

#[test]
fn the_entry_point_never_fails_on_any_input() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = rt.block_on(TestApp::spawn_seeded(Backend::Sqlite));

    // Arbitrary bytes, any content type and Accept.
    let bytes = (
        select(&CONTENT_TYPES[..]),
        select(&ACCEPTS[..]),
        any::<bool>(),
        prop_oneof![
            vec(any::<u8>(), 0..2048),
            ".{0,512}".prop_map(String::into_bytes),
        ],
    );
    runner()
        .run(&bytes, |(content_type, accept, admin, body)| {
            let sent = rt.block_on(send(
                &app,
                reqwest::Method::POST,
                "/graphql",
                content_type,
                accept,
                admin,
                body,
            ))?;
            check(&sent)
        })
        .expect("arbitrary bytes");

    // JSON shaped like requests (and batches), with token soups as queries.
    let shaped = (select(&ACCEPTS[..]), any::<bool>(), request_shaped());
    runner()
        .run(&shaped, |(accept, admin, body)| {
            let sent = rt.block_on(send(
                &app,
                reqwest::Method::POST,
                "/graphql",
                Some("application/json"),
                accept,
                admin,
                body.to_string().into_bytes(),
            ))?;
            check(&sent)
        })
        .expect("request-shaped JSON");

    // Well-formed requests whose documents are token soups, with random variables.
    let documents = (
        select(&ACCEPTS[..3]),
        any::<bool>(),
        token_soup(),
        json_value(),
    );
    runner()
        .run(&documents, |(accept, admin, query, variables)| {
            let body = json!({ "query": query, "variables": { "v": variables } });
            let sent = rt.block_on(send(
                &app,
                reqwest::Method::POST,
                "/graphql",
                Some("application/json"),
                accept,
                admin,
                body.to_string().into_bytes(),
            ))?;
            check(&sent)
        })
        .expect("generated documents");

    // Syntactically valid documents of random fields and arguments.
    let structured = (any::<bool>(), structured_query());
    runner()
        .run(&structured, |(admin, query)| {
            let body = json!({ "query": query });
            let sent = rt.block_on(send(
                &app,
                reqwest::Method::POST,
                "/graphql",
                Some("application/json"),
                None,
                admin,
                body.to_string().into_bytes(),
            ))?;
            check(&sent)
        })
        .expect("structured documents");

    // GET with random query strings.
    let params = vec(
        (
            select(&["query", "variables", "operationName", "extensions", "x"][..]),
            prop_oneof![
                token_soup(),
                ".{0,40}",
                json_value().prop_map(|v| v.to_string())
            ],
        ),
        0..4,
    );
    let gets = (select(&ACCEPTS[..]), params);
    runner()
        .run(&gets, |(accept, params)| {
            let mut url = reqwest::Url::parse("http://x/graphql").expect("url");
            for (k, v) in &params {
                url.query_pairs_mut().append_pair(k, v);
            }
            let path = format!("/graphql?{}", url.query().unwrap_or_default());
            let sent = rt.block_on(send(
                &app,
                reqwest::Method::GET,
                &path,
                None,
                accept,
                false,
                Vec::new(),
            ))?;
            check(&sent)
        })
        .expect("GET query strings");

    // Still healthy.
    let resp = rt.block_on(app.query("{ seriesBySlug(slug: \"soundtrack\") { slug } }", json!({})));
    assert_eq!(data(&resp)["seriesBySlug"]["slug"], "soundtrack");
    drop(app);
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
}
