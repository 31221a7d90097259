//! The response cache of anonymous queries and HTTP caching of GET queries: exact at
//! every write (on this replica and another), bounded in bytes, off at 0, bypassed by
//! the admin; ETags, 304 and Cache-Control.

use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::support::{admin_ok, create_installment, series_id};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp, TestDb, TOKEN};

const TITLE: &str = "query($slug: String!) { seriesBySlug(slug: $slug) { title } }";
const RENAME: &str =
    "mutation($id: ID!, $title: String!) { updateSeries(id: $id, input: { title: $title }) { id } }";
const HITS: &str = "premiere_response_cache_hits_total";
const MISSES: &str = "premiere_response_cache_misses_total";

async fn title(app: &TestApp, slug: &str) -> Value {
    let resp = app.query(TITLE, json!({ "slug": slug })).await;
    data(&resp)["seriesBySlug"]["title"].clone()
}

/// A GET of `query`, with `If-None-Match` when given and the admin token when `admin`.
async fn get(app: &TestApp, query: &str, tag: Option<&str>, admin: bool) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query)]);
    if let Some(tag) = tag {
        req = req.header(IF_NONE_MATCH, tag);
    }
    if admin {
        req = req.bearer_auth(TOKEN);
    }
    req.send().await.expect("GET /graphql")
}

fn header(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn repeated_queries_are_answered_from_the_cache_until_a_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = series_id(&app, "cached", "Before").await;
    assert_eq!(title(&app, "cached").await, "Before");
    let (hits, misses) = (app.metric(HITS).await, app.metric(MISSES).await);
    assert_eq!(title(&app, "cached").await, "Before");
    assert_eq!(
        app.metric(MISSES).await,
        misses + 1.0,
        "the second run fills it"
    );
    // Background work (the dispatcher's idle check, webhook leases) runs a statement
    // now and then: the median of five hits is a hit's own cost.
    let mut deltas = Vec::new();
    for _ in 0..5 {
        let statements = app.statements().await;
        assert_eq!(title(&app, "cached").await, "Before");
        deltas.push(app.statements().await - statements);
    }
    assert_eq!(
        app.metric(HITS).await,
        hits + 5.0,
        "from the third on, hits"
    );
    deltas.sort_unstable();
    assert_eq!(
        deltas[2], 1,
        "a hit reads the catalogue version and nothing else: {deltas:?}"
    );
    assert!(app.metric("premiere_response_cache_bytes").await > 0.0);

    // The write's acknowledgement is seen before the next read: never the old answer.
    admin_ok(&app, RENAME, json!({ "id": id, "title": "After" })).await;
    assert_eq!(title(&app, "cached").await, "After");
    assert_eq!(title(&app, "cached").await, "After");

    // Another layout of the same document is the same entry.
    let hits = app.metric(HITS).await;
    let spaced = "query ( $slug : String! ) {\n seriesBySlug(slug: $slug) { title, } # c\n}";
    let resp = app.query(spaced, json!({ "slug": "cached" })).await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "After");
    assert_eq!(app.metric(HITS).await, hits + 1.0);
}

async fn the_admin_and_the_public_never_share_an_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "embargo", "Embargo").await;
    create_installment(&app, &series, 1, json!({ "publish": false })).await;
    let count = "{ seriesBySlug(slug: \"embargo\") { installments { totalCount } } }";
    for _ in 0..3 {
        let public = app.query(count, json!({})).await;
        assert_eq!(
            data(&public)["seriesBySlug"]["installments"]["totalCount"],
            0
        );
        let admin = app.admin(count, json!({})).await;
        assert_eq!(
            data(&admin)["seriesBySlug"]["installments"]["totalCount"],
            1
        );
    }
}

async fn the_cache_is_bounded_and_can_be_turned_off(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.response_cache_bytes = 1_000).await;
    series_id(&app, "small", "Small").await;
    for round in 0..3 {
        for n in 0..10 {
            let query = format!("{{ a{n}: seriesBySlug(slug: \"small\") {{ title }} }}");
            let resp = app.query(&query, json!({})).await;
            assert_eq!(
                data(&resp)[format!("a{n}")]["title"],
                "Small",
                "round {round}"
            );
        }
    }
    assert!(app.metric("premiere_response_cache_evictions_total").await > 0.0);
    assert!(app.metric("premiere_response_cache_bytes").await <= 1_000.0);
    let db = app.stop().await;

    let app = TestApp::spawn_on(db, |s| s.response_cache_bytes = 0).await;
    for _ in 0..3 {
        assert_eq!(title(&app, "small").await, "Small");
    }
    assert_eq!(app.metric(HITS).await, 0.0);
    assert_eq!(app.metric(MISSES).await, 0.0);
}

async fn get_queries_carry_etags_and_revalidate(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.webhook_allow_private = true).await;
    let id = series_id(&app, "tagged", "Tagged").await;
    let query = "{ seriesBySlug(slug: \"tagged\") { title } }";
    // The first sight of a query is only validated; from the second on it is tagged.
    get(&app, query, None, false).await;
    let resp = get(&app, query, None, false).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, CACHE_CONTROL).as_deref(), Some("no-cache"));
    let tag = header(&resp, ETAG).expect("an ETag");

    // The median of five, as background work may run a statement in between.
    let mut deltas = Vec::new();
    for _ in 0..5 {
        let statements = app.statements().await;
        let resp = get(&app, query, Some(&tag), false).await;
        deltas.push(app.statements().await - statements);
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&resp, ETAG).as_deref(), Some(tag.as_str()));
        assert!(resp.bytes().await.expect("body").is_empty());
    }
    deltas.sort_unstable();
    assert!(
        deltas[2] <= 1,
        "a 304 costs at most the version read: {deltas:?}"
    );

    // A webhook is not the catalogue: the tag stays.
    admin_ok(
        &app,
        "mutation { createWebhook(input: { url: \"http://127.0.0.1:9/hook\" }) { webhook { id } } }",
        json!({}),
    )
    .await;
    let resp = get(&app, query, Some(&tag), false).await;
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);

    // A catalogue write changes it.
    admin_ok(&app, RENAME, json!({ "id": id, "title": "Retitled" })).await;
    let resp = get(&app, query, Some(&tag), false).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_ne!(header(&resp, ETAG), Some(tag));
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(data(&body)["seriesBySlug"]["title"], "Retitled");

    // The admin's answers are not stored anywhere.
    let resp = get(&app, query, None, true).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(&resp, CACHE_CONTROL).as_deref(),
        Some("private, no-store")
    );
    assert_eq!(header(&resp, ETAG), None);
}

async fn a_write_on_one_replica_is_seen_at_once_on_another(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = TestApp::spawn_on(TestDb::shared(&a.db.url), |_| {}).await;
    let id = series_id(&a, "replicated", "Title 0").await;
    for round in 1..=5 {
        // Both replicas have the current answer cached.
        for app in [&a, &b] {
            for _ in 0..3 {
                assert_eq!(
                    title(app, "replicated").await,
                    format!("Title {}", round - 1)
                );
            }
        }
        let writer = if round % 2 == 0 { &a } else { &b };
        admin_ok(
            writer,
            RENAME,
            json!({ "id": id, "title": format!("Title {round}") }),
        )
        .await;
        for app in [&a, &b] {
            assert_eq!(title(app, "replicated").await, format!("Title {round}"));
        }
    }
    assert!(b.metric(HITS).await > 0.0);
}

db_tests!(
    repeated_queries_are_answered_from_the_cache_until_a_write,
    the_admin_and_the_public_never_share_an_answer,
    the_cache_is_bounded_and_can_be_turned_off,
    get_queries_carry_etags_and_revalidate,
    a_write_on_one_replica_is_seen_at_once_on_another,
);
