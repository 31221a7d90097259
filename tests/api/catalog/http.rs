//! HTTP basics of the catalogue: queries over GET, the IDEs, health and readiness.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::support::{series_id, snapshot};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp, TOKEN};

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn queries_over_get(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    series_id(&app, "over-get", "Over GET").await;
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "{ allSeries(first: 5) { totalCount nodes { slug title } } }",
        )])
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        content_type(&resp).contains("json"),
        "{}",
        content_type(&resp)
    );
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(
        data(&body)["allSeries"],
        json!({ "totalCount": 1, "nodes": [{ "slug": "over-get", "title": "Over GET" }] })
    );

    // With variables, and with a browser's Accept header: a query is answered, not
    // replaced by the IDE.
    let resp = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, "text/html,application/json;q=0.9")
        .query(&[
            (
                "query",
                "query($slug: String!) { seriesBySlug(slug: $slug) { title } }",
            ),
            ("variables", r#"{"slug":"over-get"}"#),
        ])
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(data(&body)["seriesBySlug"]["title"], "Over GET");
}

/// GET is for reads: a mutation sent over GET is refused, even with the admin token,
/// and changes nothing (GraphQL over HTTP: mutations only over POST).
async fn mutations_over_get_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = snapshot(&app).await;
    let resp = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(TOKEN)
        .query(&[(
            "query",
            "mutation { createPerson(input: { name: \"Over GET\" }) { id } }",
        )])
        .send()
        .await
        .expect("GET /graphql");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{text}");
    assert_eq!(
        snapshot(&app).await,
        before,
        "a mutation over GET ran: {text}"
    );
}

async fn ides_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        content_type(&resp).starts_with("text/html"),
        "{}",
        content_type(&resp)
    );
    let page = resp.text().await.expect("page");
    assert!(page.to_lowercase().contains("graphiql"), "not GraphiQL");
    assert!(
        page.contains("/graphql"),
        "GraphiQL does not point at /graphql"
    );

    let resp = app
        .client
        .get(app.url("/playground"))
        .send()
        .await
        .expect("GET /playground");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        content_type(&resp).starts_with("text/html"),
        "{}",
        content_type(&resp)
    );
    let page = resp.text().await.expect("page");
    assert!(page.contains("GraphQL Playground"), "not the Playground");
    assert!(
        page.contains("/graphql"),
        "Playground does not point at /graphql"
    );
}

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/healthz", "/readyz"] {
        let resp = app
            .client
            .get(app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
    let resp = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn malformed_posts_are_client_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body("{ this is not JSON")
        .send()
        .await
        .expect("POST");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "variables": {} }))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        resp.status(),
        StatusCode::BAD_REQUEST,
        "a request without a query"
    );
}

db_tests!(
    queries_over_get,
    mutations_over_get_are_refused,
    ides_are_served,
    health_and_readiness,
    malformed_posts_are_client_errors,
);
