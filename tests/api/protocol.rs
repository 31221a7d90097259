//! GraphQL over HTTP (content negotiation, status codes, GET, batches), the production
//! switches (introspection, IDEs, CORS), the WebSocket limits, request ids and the
//! request metrics.
//!
//! Over 400 lines on purpose: the transport's cases, one after the other, as the
//! GraphQL-over-HTTP specification orders them.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::db_tests;
use crate::helpers::{data, error_code, Backend, Protocol, TestApp, TestDb, WsClient, TOKEN, WAIT};

db_tests!(
    content_negotiation_and_status_codes,
    get_runs_queries_only,
    batches_run_over_post,
    introspection_and_ides_can_be_turned_off,
    cors_origins_are_configurable,
    request_ids_are_set_and_echoed,
    metrics_count_requests_by_operation_and_outcome,
    oversized_bodies_get_a_clear_413,
    websocket_connections_are_limited,
    subscriptions_per_connection_are_limited,
);

async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (StatusCode, String, Value) {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    if let Some(accept) = accept {
        req = req.header(ACCEPT, accept);
    }
    parts(req.send().await.expect("sent")).await
}

async fn parts(resp: reqwest::Response) -> (StatusCode, String, Value) {
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

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

async fn content_negotiation_and_status_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ok = json!({ "query": "{ __typename }" });
    let invalid = json!({ "query": "{ nope }" });
    let field_error = json!({ "query": "{ node(id: \"not an id\") { id } }" });
    // (Accept, request, status, media type, has data)
    let table: Vec<(Option<&str>, &Value, u16, &str, bool)> = vec![
        (None, &ok, 200, JSON, true),
        (Some("*/*"), &ok, 200, JSON, true),
        (Some("application/*"), &ok, 200, JSON, true),
        (Some(JSON), &ok, 200, JSON, true),
        (Some(GRAPHQL_RESPONSE), &ok, 200, GRAPHQL_RESPONSE, true),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            &ok,
            200,
            GRAPHQL_RESPONSE,
            true,
        ),
        (
            Some("application/json, application/graphql-response+json;q=0.5"),
            &ok,
            200,
            JSON,
            true,
        ),
        (Some("text/html, */*;q=0.8"), &ok, 200, JSON, true),
        (None, &invalid, 200, JSON, false),
        (Some(JSON), &invalid, 200, JSON, false),
        (
            Some(GRAPHQL_RESPONSE),
            &invalid,
            400,
            GRAPHQL_RESPONSE,
            false,
        ),
        // A field error is not a request error: 200 with data under both.
        (
            Some(GRAPHQL_RESPONSE),
            &field_error,
            200,
            GRAPHQL_RESPONSE,
            true,
        ),
        (Some(JSON), &field_error, 200, JSON, true),
    ];
    for (accept, body, status, media, has_data) in table {
        let (got, content_type, resp) = post(&app, accept, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{accept:?} {body}: {resp}");
        assert!(
            content_type.starts_with(media),
            "{accept:?} {body}: {content_type}"
        );
        assert!(content_type.contains("charset=utf-8"), "{content_type}");
        assert_eq!(
            resp.get("data").is_some(),
            has_data,
            "{accept:?} {body}: {resp}"
        );
    }
    let (status, _, resp) = post(&app, Some("text/csv"), ok.clone()).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{resp}");
    assert_eq!(error_code(&resp), Some("BAD_USER_INPUT"));
    // Unsupported request content type.
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/graphql")
        .body("{ __typename }")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Other methods.
    let resp = app
        .client
        .put(app.url("/graphql"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn get_runs_queries_only(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let url = |query: &str| {
        let mut url = reqwest::Url::parse(&app.url("/graphql")).expect("url");
        url.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("variables", r#"{"slug":"soundtrack"}"#);
        url
    };
    let resp = app
        .client
        .get(url(
            "query($slug: String!) { seriesBySlug(slug: $slug) { slug } }",
        ))
        .send()
        .await
        .expect("sent");
    let (status, content_type, body) = parts(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(JSON));
    assert_eq!(data(&body)["seriesBySlug"]["slug"], "soundtrack");
    // A mutation over GET: 405, Allow: POST, and nothing is run.
    let before = crate::hostile::counts(&app).await;
    for accept in [JSON, GRAPHQL_RESPONSE] {
        let resp = app
            .client
            .get(url(
                "mutation { createSeries(input: { slug: \"via-get\", title: \"Via GET\" }) { id } }",
            ))
            .header(ACCEPT, accept)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            resp.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some("POST")
        );
        let (_, _, body) = parts(resp).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
    assert_eq!(crate::hostile::counts(&app).await, before);
    // A document with a query and a mutation may run its query over GET.
    let resp = app
        .client
        .get(format!(
            "{}&operationName=Q",
            url("query Q { __typename } mutation M { deleteSeries(id: \"x\") }")
        ))
        .send()
        .await
        .expect("sent");
    let (status, _, body) = parts(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(data(&body)["__typename"], "Query");
    // A browser asking for HTML gets GraphiQL.
    let resp = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.expect("html");
    assert!(text.contains("graphiql"), "GraphiQL page");
}

async fn batches_run_over_post(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let batch = json!([
        { "query": "{ seriesBySlug(slug: \"soundtrack\") { slug } }" },
        { "query": "{ nope }" },
        {
            "query": "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { slug } }",
            "variables": { "input": { "slug": "batched", "title": "Batched" } }
        }
    ]);
    let resp = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(TOKEN)
        .json(&batch)
        .send()
        .await
        .expect("sent");
    let (status, content_type, body) = parts(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(JSON));
    let items = body.as_array().expect("an array");
    assert_eq!(items.len(), 3, "{body}");
    assert_eq!(items[0]["data"]["seriesBySlug"]["slug"], "soundtrack");
    assert!(items[1].get("data").is_none(), "{body}");
    assert_eq!(error_code(&items[1]), Some("BAD_USER_INPUT"));
    assert_eq!(items[2]["data"]["createSeries"]["slug"], "batched");
    // Under graphql-response+json too.
    let (status, content_type, body) = post(&app, Some(GRAPHQL_RESPONSE), batch.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(GRAPHQL_RESPONSE));
    assert_eq!(body.as_array().map(Vec::len), Some(3), "{body}");
}

async fn introspection_and_ides_can_be_turned_off(backend: Backend) {
    let schema_query = json!({ "query": "{ __schema { queryType { name } } }" });
    let type_query = json!({ "query": "{ __type(name: \"Series\") { name } }" });
    let on = TestApp::spawn(backend).await;
    let (_, _, resp) = post(&on, None, schema_query.clone()).await;
    assert_eq!(data(&resp)["__schema"]["queryType"]["name"], "Query");
    let playground = on
        .client
        .get(on.url("/playground"))
        .send()
        .await
        .expect("sent");
    assert_eq!(playground.status(), StatusCode::OK);

    let off = TestApp::spawn_on(TestDb::new(backend).await, |s| {
        s.introspection = false;
        s.ide = false;
    })
    .await;
    for query in [&schema_query, &type_query] {
        let (status, _, resp) = post(&off, None, query.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(resp.get("errors").is_some(), "{resp}");
        assert!(
            !resp.to_string().contains("\"Series\"") && !resp.to_string().contains("queryType\":{"),
            "{resp}"
        );
    }
    let (_, _, resp) = post(&off, None, json!({ "query": "{ __typename }" })).await;
    assert_eq!(data(&resp)["__typename"], "Query");
    let playground = off
        .client
        .get(off.url("/playground"))
        .send()
        .await
        .expect("sent");
    assert_eq!(playground.status(), StatusCode::NOT_FOUND);
    let page = off
        .client
        .get(off.url("/graphql"))
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("sent");
    assert_ne!(page.status(), StatusCode::OK);
    let text = page.text().await.expect("body");
    assert!(!text.to_lowercase().contains("graphiql"), "{text}");
}

async fn cors_origins_are_configurable(backend: Backend) {
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
            .send()
    };
    let allowed = |resp: &reqwest::Response| {
        resp.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let any = TestApp::spawn(backend).await;
    let resp = preflight(&any, "https://anywhere.example")
        .await
        .expect("sent");
    assert_eq!(allowed(&resp).as_deref(), Some("*"));

    let listed = TestApp::spawn_on(TestDb::new(backend).await, |s| {
        s.cors_origins = vec!["https://app.example".into(), "https://admin.example".into()];
    })
    .await;
    let resp = preflight(&listed, "https://admin.example")
        .await
        .expect("sent");
    assert_eq!(allowed(&resp).as_deref(), Some("https://admin.example"));
    let resp = preflight(&listed, "https://evil.example")
        .await
        .expect("sent");
    assert_eq!(allowed(&resp), None);
    let resp = listed
        .client
        .post(listed.url("/graphql"))
        .header("origin", "https://app.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(allowed(&resp).as_deref(), Some("https://app.example"));
}

async fn request_ids_are_set_and_echoed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("sent");
    let id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "client-chosen-42")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("client-chosen-42")
    );
}

async fn metrics_count_requests_by_operation_and_outcome(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let metric = |op: &str, outcome: &str| {
        format!("premiere_graphql_requests_total{{operation=\"{op}\",outcome=\"{outcome}\"}}")
    };
    let names = [
        metric("query", "ok"),
        metric("query", "error"),
        metric("mutation", "ok"),
        metric("mutation", "error"),
        metric("query", "rejected"),
        metric("unknown", "rejected"),
        "premiere_graphql_request_duration_seconds_count{operation=\"query\"}".to_string(),
        "premiere_graphql_request_duration_seconds_bucket{operation=\"query\",le=\"+Inf\"}"
            .to_string(),
        "premiere_limit_refusals_total{limit=\"query\"}".to_string(),
    ];
    let mut before = Vec::new();
    for name in &names {
        before.push(app.metric(name).await);
    }
    app.query("{ __typename }", json!({})).await;
    app.query("{ node(id: \"bad\") { id } }", json!({})).await;
    app.admin(
        "mutation { createPerson(input: { name: \"Counted\" }) { id } }",
        json!({}),
    )
    .await;
    app.query(
        "mutation { createPerson(input: { name: \"Refused\" }) { id } }",
        json!({}),
    )
    .await;
    app.query("{ nope }", json!({})).await;
    app.query(&format!("{{ {} }}", "__typename ".repeat(30)), json!({}))
        .await;
    app.query("{", json!({})).await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body("{ not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let deltas = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0, 1.0];
    for ((name, before), delta) in names.iter().zip(before).zip(deltas) {
        assert_eq!(app.metric(name).await, before + delta, "{name}");
    }
    // The existing metrics are still there, and the text has HELP and TYPE lines.
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for name in [
        "premiere_sql_statements_total",
        "premiere_subscriptions_open",
        "premiere_release_events_delivered_total",
        "premiere_websocket_connections_open",
    ] {
        assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
    }
    assert!(text.contains("# TYPE premiere_graphql_request_duration_seconds histogram"));
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let value = line.rsplit(' ').next().unwrap_or_default();
        assert!(value.parse::<f64>().is_ok(), "bad sample line: {line}");
    }
}

async fn oversized_bodies_get_a_clear_413(backend: Backend) {
    let app = TestApp::spawn_on(TestDb::new(backend).await, |s| s.max_body_bytes = 2_000).await;
    let big = json!({ "query": format!("{{ __typename }}{}", " ".repeat(3_000)) });
    // With a Content-Length.
    let (status, content_type, body) = post(&app, None, big.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(content_type.starts_with(JSON));
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2000 bytes")),
        "{body}"
    );
    // Streamed (chunked), without a Content-Length.
    let raw = chunked_post(&app, &big.to_string()).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains("QUERY_TOO_COMPLEX"), "{raw}");
    // Just under the limit is served, and the connection is still usable.
    let (status, _, body) = post(&app, None, json!({ "query": "{ __typename }" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// POSTs `body` in 500-byte chunks over a raw connection; the raw response.
async fn chunked_post(app: &TestApp, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let mut request = String::from(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for chunk in body.as_bytes().chunks(500) {
        request.push_str(&format!("{:x}\r\n", chunk.len()));
        request.push_str(std::str::from_utf8(chunk).expect("ascii"));
        request.push_str("\r\n");
    }
    request.push_str("0\r\n\r\n");
    // The server may answer before it has read everything.
    let _ = tcp.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(WAIT, tcp.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// Tries a WebSocket upgrade; the HTTP status of a refusal, or None when it opened.
async fn try_ws(app: &TestApp) -> Option<StatusCode> {
    let mut request = app.ws_url().into_client_request().expect("ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Some(resp.status()),
        Err(err) => panic!("ws connect: {err}"),
    }
}

async fn websocket_connections_are_limited(backend: Backend) {
    let app = TestApp::spawn_on(TestDb::new(backend).await, |s| s.ws_max_connections = 2).await;
    let first = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    let second = WsClient::connect(&app, Protocol::Legacy, json!({})).await;
    assert_eq!(try_ws(&app).await, Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(
        app.metric("premiere_limit_refusals_total{limit=\"websocket_connections\"}")
            .await,
        1.0
    );
    // Plain HTTP is unaffected.
    let resp = app.query("{ __typename }", json!({})).await;
    assert_eq!(data(&resp)["__typename"], "Query");
    // A closed connection frees its slot.
    first.close().await;
    app.wait_metric_at_most("premiere_websocket_connections_open", 1.0)
        .await;
    let third = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    third.close().await;
    second.close().await;
}

async fn subscriptions_per_connection_are_limited(backend: Backend) {
    let app = TestApp::spawn_on(TestDb::new(backend).await, |s| s.ws_max_subscriptions = 2).await;
    let series = app
        .admin(
            "mutation { createSeries(input: { slug: \"limited\", title: \"Limited\" }) { id } }",
            json!({}),
        )
        .await;
    let series = data(&series)["createSeries"]["id"].clone();
    let query = "subscription { releaseAlerts { installment { number } } }";
    let mut client = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    let ids = [
        client.subscribe(query, json!({})).await,
        client.subscribe(query, json!({})).await,
        client.subscribe(query, json!({})).await,
    ];
    // Exactly one of the three is refused (the order they start in is not fixed).
    let refusal = client.next_message().await.expect("a refusal");
    let errors = match refusal["type"].as_str() {
        Some("next") => refusal["payload"]["errors"].clone(),
        _ => refusal["payload"].clone(),
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{refusal}"
    );
    let refused = refusal["id"].as_str().expect("id").to_string();
    if refusal["type"] == "next" {
        let end = client.next_message().await.expect("complete");
        assert_eq!(end, json!({ "id": refused, "type": "complete" }));
    }
    let live: Vec<String> = ids.iter().filter(|id| **id != refused).cloned().collect();
    assert_eq!(live.len(), 2);
    // Another connection has slots of its own.
    let mut other = WsClient::connect(&app, Protocol::TransportWs, json!({})).await;
    let other_id = other.subscribe(query, json!({})).await;
    app.wait_metric_at_least("premiere_subscriptions_open", 3.0)
        .await;

    let publish = |number: i64| {
        app.admin(
            "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id } }",
            json!({ "input": { "seriesId": series, "number": number, "publish": true } }),
        )
    };
    publish(1).await;
    let mut got = Vec::new();
    for _ in 0..2 {
        let msg = client.next_message().await.expect("an event");
        assert_eq!(msg["type"], "next", "{msg}");
        got.push(msg["id"].as_str().expect("id").to_string());
    }
    got.sort();
    assert_eq!(got, live);
    let msg = other.next_message().await.expect("an event");
    assert_eq!(msg["id"], other_id.as_str(), "{msg}");

    // Completing one frees its slot.
    client
        .send(json!({ "id": live[0], "type": "complete" }))
        .await;
    app.wait_metric_at_most("premiere_subscriptions_open", 2.0)
        .await;
    let again = client.subscribe(query, json!({})).await;
    app.wait_metric_at_least("premiere_subscriptions_open", 3.0)
        .await;
    publish(2).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let msg = client.next_message().await.expect("an event");
        if msg == json!({ "id": live[0], "type": "complete" }) {
            continue;
        }
        assert_eq!(msg["type"], "next", "{msg}");
        got.push(msg["id"].as_str().expect("id").to_string());
    }
    got.sort();
    let mut expected = vec![live[1].clone(), again];
    expected.sort();
    assert_eq!(got, expected);
    client.close().await;
    other.close().await;
}
