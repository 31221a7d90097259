//! The router without a listener: `premiere::http::router` driven by
//! `tower::ServiceExt::oneshot`, over a real database.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::db_tests;
use crate::helpers::{settings, Backend, TestDb, TOKEN};

async fn router_over(db: &TestDb) -> axum::Router {
    let app = premiere::Application::build(settings(&db.url))
        .await
        .expect("server builds");
    premiere::http::router(app.state().clone()).expect("router")
}

async fn json_of(response: axum::response::Response) -> Value {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

async fn the_router_answers_without_a_listener(backend: Backend) {
    let db = TestDb::new(backend).await;
    let router = router_over(&db).await;

    let health = router
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let post = |body: Value, token: Option<&str>| {
        let mut req = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/graphql-response+json");
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Body::from(body.to_string())).unwrap()
    };
    let query = router
        .clone()
        .oneshot(post(
            json!({ "query": "{ allSeries(first: 1) { totalCount } }" }),
            None,
        ))
        .await
        .unwrap();
    assert_eq!(query.status(), StatusCode::OK);
    assert_eq!(
        json_of(query).await,
        json!({ "data": { "allSeries": { "totalCount": 0 } } })
    );

    // The admin credential is read from the header, as over a socket.
    let create = json!({
        "query": "mutation { createSeries(input: { slug: \"oneshot\", title: \"Oneshot\" }) { title } }"
    });
    let anonymous = json_of(
        router
            .clone()
            .oneshot(post(create.clone(), None))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let admin = json_of(
        router
            .clone()
            .oneshot(post(create, Some(TOKEN)))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(admin["data"]["createSeries"]["title"], "Oneshot", "{admin}");

    // A refusal before execution: the one body limit, as a GraphQL error.
    let limit = settings(&db.url).max_body_bytes;
    let too_large = router
        .oneshot(post(json!({ "query": "x".repeat(limit + 1) }), None))
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = json_of(too_large).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
}

db_tests!(the_router_answers_without_a_listener);
