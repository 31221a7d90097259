//! Persisted queries: Apollo's automatic persisted queries (over POST and GET, shared by
//! replicas through the database) and the trusted documents' manifest.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::support::series_id;
use crate::db_tests;
use crate::helpers::{data, error_code, Backend, TestApp, TestDb, TOKEN};

const QUERY: &str = "query Title { seriesBySlug(slug: \"persisted\") { title } }";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` (anonymous, or with the admin token).
async fn post(app: &TestApp, body: Value, admin: bool) -> Value {
    let mut req = app.client.post(app.url("/graphql")).json(&body);
    if admin {
        req = req.bearer_auth(TOKEN);
    }
    let resp = req.send().await.expect("POST /graphql");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("JSON")
}

/// A GET carrying only the hash, as Apollo's link sends it once the hash is known.
async fn get_hash(app: &TestApp, hash: &str) -> Value {
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("operationName", "Title"),
            ("extensions", &persisted(hash).to_string()),
        ])
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("JSON")
}

async fn automatic_persisted_queries_are_shared_by_replicas(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    series_id(&a, "persisted", "Persisted").await;
    let hash = sha256(QUERY);

    // Unknown: the client is told to send the document.
    let resp = post(&a, json!({ "extensions": persisted(&hash) }), false).await;
    assert_eq!(
        error_code(&resp),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{resp}"
    );
    assert_eq!(
        error_code(&get_hash(&a, &hash).await),
        Some("PERSISTED_QUERY_NOT_FOUND")
    );

    // A document that is not what the hash says is refused, and not stored.
    let wrong = "{ seriesBySlug(slug: \"other\") { title } }";
    let resp = post(
        &a,
        json!({ "query": wrong, "extensions": persisted(&hash) }),
        false,
    )
    .await;
    assert_eq!(error_code(&resp), Some("BAD_USER_INPUT"), "{resp}");
    assert!(resp.get("data").is_none(), "{resp}");
    let resp = post(&a, json!({ "extensions": persisted(&hash) }), false).await;
    assert_eq!(
        error_code(&resp),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{resp}"
    );

    // The retry with the document runs it and registers it.
    let resp = post(
        &a,
        json!({ "query": QUERY, "extensions": persisted(&hash) }),
        false,
    )
    .await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted");

    // From then on the hash alone is enough, over GET, and on another replica.
    let b = TestApp::spawn_on(TestDb::shared(&a.db.url), |_| {}).await;
    for app in [&a, &b, &a, &b] {
        let resp = get_hash(app, &hash).await;
        assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted", "{resp}");
    }
    let resp = post(&b, json!({ "extensions": persisted(&hash) }), true).await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted");
}

async fn a_manifest_lists_what_the_public_may_run(backend: Backend) {
    let listed_hash = sha256(QUERY);
    let dir = tempfile::tempdir().expect("temp dir");
    let apollo = dir.path().join("manifest.json");
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": listed_hash, "body": QUERY, "name": "Title", "type": "query" }],
    });
    std::fs::write(&apollo, manifest.to_string()).expect("manifest written");
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, |s| s.persisted_queries_manifest = Some(apollo)).await;
    series_id(&app, "persisted", "Persisted").await;

    // Listed: by hash alone (POST and GET), or as the full document.
    let resp = post(
        &app,
        json!({ "extensions": persisted(&listed_hash) }),
        false,
    )
    .await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted");
    let resp = get_hash(&app, &listed_hash).await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted");
    let resp = post(&app, json!({ "query": QUERY }), false).await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted");

    // Not listed: refused for the public, whether sent whole or registered by hash.
    let other = "{ allSeries { totalCount } }";
    let resp = post(&app, json!({ "query": other }), false).await;
    assert_eq!(
        error_code(&resp),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{resp}"
    );
    let registering = json!({ "query": other, "extensions": persisted(&sha256(other)) });
    let resp = post(&app, registering.clone(), false).await;
    assert_eq!(
        error_code(&resp),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{resp}"
    );
    let resp = post(
        &app,
        json!({ "extensions": persisted(&sha256(other)) }),
        false,
    )
    .await;
    assert_eq!(
        error_code(&resp),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{resp}"
    );

    // The admin runs anything.
    let resp = post(&app, json!({ "query": other }), true).await;
    assert_eq!(data(&resp)["allSeries"]["totalCount"], 1);
    let resp = post(&app, registering, true).await;
    assert_eq!(data(&resp)["allSeries"]["totalCount"], 1);
    let db = app.stop().await;

    // A plain object of id → document (Relay's format), ids not SHA-256.
    let plain = dir.path().join("plain.json");
    std::fs::write(&plain, json!({ "q1": QUERY }).to_string()).expect("manifest written");
    let app = TestApp::spawn_on(db, |s| s.persisted_queries_manifest = Some(plain)).await;
    let resp = post(&app, json!({ "extensions": persisted("q1") }), false).await;
    assert_eq!(data(&resp)["seriesBySlug"]["title"], "Persisted");
    let resp = post(
        &app,
        json!({ "query": "{ allSeries { totalCount } }" }),
        false,
    )
    .await;
    assert_eq!(
        error_code(&resp),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "{resp}"
    );
}

db_tests!(
    automatic_persisted_queries_are_shared_by_replicas,
    a_manifest_lists_what_the_public_may_run,
);
