//! GraphQL over Server-Sent Events: the wire format, ids and `Last-Event-ID`
//! resume (across a restart), queries and mutations, errors as events.

use serde_json::{json, Value};

use super::client::*;
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{data, error_code, Backend, TestApp};
use crate::releases::common::*;

db_tests!(
    alerts_stream_with_their_cursors_as_ids,
    queries_and_mutations_answer_once_then_complete,
    request_errors_are_events,
    last_event_id_resumes_across_a_restart,
    a_bad_last_event_id_is_an_error_event,
);

/// The alerts of one series, as an `EventSource` would ask for them.
const SERIES_ALERTS: &str = "subscription($filter: ReleaseFilter, $after: String) { \
    releaseAlerts(filter: $filter, after: $after) { cursor installment { id title } kind } }";

/// Opens an alert stream; returns it and the cursor it starts after (its first id).
pub async fn open_alerts(
    app: &TestApp,
    variables: Value,
    last_event_id: Option<&str>,
) -> (SseStream, String) {
    let mut stream = SseStream::of(sse_get(app, SERIES_ALERTS, variables, last_event_id).await);
    let retry = stream.next_block().await.expect("retry");
    assert!(retry.raw.starts_with("retry: "), "{retry:?}");
    let start = stream.next_message().await.expect("the start id");
    assert_eq!(start.event, None, "{start:?}");
    assert_eq!(start.data.as_deref(), Some(""), "{start:?}");
    (stream, start.id.expect("an id"))
}

/// The next alert: its id, which must be its cursor, and the event.
pub async fn next_alert(stream: &mut SseStream) -> (String, Value) {
    let message = stream.next_result().await;
    let payload = message.json();
    let event = event_of(&payload);
    let id = message.id.clone().expect("an alert has an id");
    assert_eq!(event["cursor"], id.as_str(), "{message:?}");
    (id, event)
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_string()
}

async fn alerts_stream_with_their_cursors_as_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "soundtrack", "Soundtrack").await;
    create_installment(&app, &series, 1, true).await;
    let log = release_events(&app, json!({})).await;

    let response = sse_get(&app, SERIES_ALERTS, json!({}), None).await;
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let mut stream = SseStream::of(response);
    // `retry:` first: the setting (2 s) plus up to half of it.
    let retry = stream.next_block().await.expect("retry");
    assert_eq!(
        retry.raw,
        format!("retry: {}", retry.retry.expect("a number"))
    );
    assert!((2_000..=3_000).contains(&retry.retry.unwrap()), "{retry:?}");
    // Then where the stream starts: the end of the log, as an id without an event.
    let start = stream.next_message().await.expect("the start id");
    assert_eq!(start.raw, format!("id: {}\ndata:", cursors(&log)[0]));

    // An alert without `cursor` in its selection carries its id all the same.
    let mut titles = SseStream::of(
        sse_get(
            &app,
            "subscription { releaseAlerts { installment { title } } }",
            Value::Null,
            None,
        )
        .await,
    );
    titles.next_block().await.expect("retry");
    titles.next_message().await.expect("the start id");

    let second = create_installment(&app, &series, 2, true).await;
    let message = stream.next_result().await;
    let cursor = cursors(&release_events(&app, json!({})).await)[1].clone();
    assert_eq!(
        message.raw,
        format!(
            "event: next\nid: {cursor}\ndata: {}",
            json!({ "data": { "releaseAlerts": {
                "cursor": cursor,
                "installment": { "id": second["id"], "title": second["title"] },
                "kind": "INSTALLMENT_PUBLISHED",
            } } })
        )
    );
    let message = titles.next_result().await;
    assert_eq!(message.id.as_deref(), Some(cursor.as_str()));
    assert_eq!(
        message.json(),
        json!({ "data": { "releaseAlerts": { "installment": { "title": second["title"] } } } })
    );
}

async fn queries_and_mutations_answer_once_then_complete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    series_id(&app, "alpha", "Alpha").await;
    let people = "{ allPeople { totalCount } }";

    // A query: one `next` (no id), then `complete`, then the end.
    let mut stream = SseStream::of(
        sse_post(
            &app,
            json!({ "query": "query($slug: String!) { seriesBySlug(slug: $slug) { title } }",
                    "variables": { "slug": "alpha" } }),
            false,
        )
        .await,
    );
    stream.next_block().await.expect("retry");
    let message = stream.next_result().await;
    assert_eq!(message.id, None);
    assert_eq!(
        message.json(),
        json!({ "data": { "seriesBySlug": { "title": "Alpha" } } })
    );
    stream.expect_complete().await;

    // A mutation with the admin token.
    let create =
        json!({ "query": "mutation { createPerson(input: { name: \"Choi Jungkyu\" }) { name } }" });
    let mut stream = SseStream::of(sse_post(&app, create.clone(), true).await);
    let result = stream.next_result().await.json();
    assert_eq!(
        result,
        json!({ "data": { "createPerson": { "name": "Choi Jungkyu" } } })
    );
    stream.expect_complete().await;
    assert_eq!(
        data(&app.query(people, json!({})).await)["allPeople"]["totalCount"],
        1
    );

    // Without it: UNAUTHENTICATED as an event, and nothing changes.
    let mut stream = SseStream::of(sse_post(&app, create, false).await);
    let result = stream.next_result().await.json();
    assert_eq!(error_code(&result), Some("UNAUTHENTICATED"), "{result}");
    assert_eq!(result["data"], Value::Null, "{result}");
    stream.expect_complete().await;
    assert_eq!(
        data(&app.query(people, json!({})).await)["allPeople"]["totalCount"],
        1
    );

    // Over GET (an EventSource) a mutation is refused, as for any GET.
    let response = sse_get(
        &app,
        "mutation { createPerson(input: { name: \"X\" }) { id } }",
        Value::Null,
        None,
    )
    .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(
        data(&app.query(people, json!({})).await)["allPeople"]["totalCount"],
        1
    );
}

async fn request_errors_are_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let aliases: String = (0..51).map(|i| format!("a{i}: __typename ")).collect();
    let aliases = format!("{{ {aliases} }}");
    let cases = [
        ("{ seriesBySlug(slug: ", json!({}), "BAD_USER_INPUT"),
        ("{ noSuchField }", json!({}), "BAD_USER_INPUT"),
        (
            "subscription($after: String) { releaseAlerts(after: $after) { cursor } }",
            json!({ "after": 42 }),
            "BAD_USER_INPUT",
        ),
        (aliases.as_str(), json!({}), "QUERY_TOO_COMPLEX"),
    ];
    for (query, variables, code) in cases {
        for get in [false, true] {
            let response = if get {
                sse_get(&app, query, variables.clone(), None).await
            } else {
                sse_post(
                    &app,
                    json!({ "query": query, "variables": variables }),
                    false,
                )
                .await
            };
            let mut stream = SseStream::of(response);
            stream.next_block().await.expect("retry");
            let result = stream.next_result().await.json();
            assert_eq!(error_code(&result), Some(code), "{query}: {result}");
            assert!(
                result.get("data").is_none(),
                "a request error has no data: {result}"
            );
            stream.expect_complete().await;
        }
    }

    // A request that is not one (not JSON, no query, a batch) is an HTTP error.
    for body in [
        None,
        Some(json!({ "variables": {} })),
        Some(json!([{ "query": "{ __typename }" }])),
    ] {
        let request = app
            .client
            .post(app.url("/graphql"))
            .header("accept", "text/event-stream");
        let request = match &body {
            Some(body) => request.json(body),
            None => request.header("content-type", "application/json").body("{"),
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400, "{body:?}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(error_code(&answer), Some("BAD_USER_INPUT"), "{answer}");
    }
}

async fn last_event_id_resumes_across_a_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alpha = series_id(&app, "alpha", "Alpha").await;
    let beta = series_id(&app, "beta", "Beta").await;
    let gamma = series_id(&app, "gamma", "Gamma").await;
    let in_series = |series: &str| json!({ "filter": { "seriesIds": [series] } });

    let (mut all, _) = open_alerts(&app, json!({}), None).await;
    let (mut only_alpha, _) = open_alerts(&app, in_series(&alpha), None).await;
    // One that sees nothing before the restart: it resumes from where it started.
    let (mut only_gamma, gamma_start) = open_alerts(&app, in_series(&gamma), None).await;

    let a = id_of(&create_installment(&app, &alpha, 1, true).await);
    let b = id_of(&create_installment(&app, &beta, 1, true).await);
    let (_, event) = next_alert(&mut all).await;
    assert_eq!(event["installment"]["id"], a.as_str());
    let (seen_all, event) = next_alert(&mut all).await;
    assert_eq!(event["installment"]["id"], b.as_str());
    // That client goes away; C is published while it is.
    drop(all);
    let c = id_of(&create_installment(&app, &alpha, 2, true).await);
    let (_, event) = next_alert(&mut only_alpha).await;
    assert_eq!(event["installment"]["id"], a.as_str());
    let (seen_alpha, event) = next_alert(&mut only_alpha).await;
    assert_eq!(event["installment"]["id"], c.as_str());

    // The server stops: every open stream completes.
    let db = app.stop().await;
    only_alpha.expect_complete().await;
    only_gamma.expect_complete().await;
    let app = TestApp::spawn_on(db, |_| {}).await;
    let d = id_of(&create_installment(&app, &beta, 2, true).await);
    let g = id_of(&create_installment(&app, &gamma, 1, true).await);

    // Each reconnects as an EventSource does: the same request, and its last id.
    let (mut all, start) = open_alerts(&app, json!({}), Some(&seen_all)).await;
    assert_eq!(start, seen_all);
    let mut missed = Vec::new();
    for _ in 0..3 {
        missed.push(next_alert(&mut all).await);
    }
    let ids: Vec<_> = missed
        .iter()
        .map(|(_, e)| e["installment"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!(c), json!(d), json!(g)]);
    let (mut only_alpha, _) = open_alerts(&app, in_series(&alpha), Some(&seen_alpha)).await;
    let (mut only_gamma, _) = open_alerts(&app, in_series(&gamma), Some(&gamma_start)).await;
    let (_, event) = next_alert(&mut only_gamma).await;
    assert_eq!(event["installment"]["id"], g.as_str());
    // `after` later than `Last-Event-ID`: the later one wins.
    let after_d = json!({ "after": missed[1].0 });
    let (mut later, start) = open_alerts(&app, after_d, Some(&seen_all)).await;
    assert_eq!(start, missed[1].0);
    let (_, event) = next_alert(&mut later).await;
    assert_eq!(event["installment"]["id"], g.as_str());

    // Then the live alerts, with no duplicate before them.
    let e = id_of(&create_installment(&app, &alpha, 3, true).await);
    for stream in [&mut all, &mut only_alpha, &mut later] {
        let (_, event) = next_alert(stream).await;
        assert_eq!(event["installment"]["id"], e.as_str());
    }
    // The ids are the log's cursors.
    let log = cursors(&release_events(&app, json!({})).await);
    let seen: Vec<_> = missed.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(log[2..5], seen[..]);
}

async fn a_bad_last_event_id_is_an_error_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let beyond = premiere::graphql::ids::cursor(1_000_000);
    for (id, message) in [
        ("nonsense", "is not a valid cursor"),
        (beyond.as_str(), "is not a cursor of this release log"),
    ] {
        let mut stream = SseStream::of(sse_get(&app, SERIES_ALERTS, json!({}), Some(id)).await);
        stream.next_block().await.expect("retry");
        let result = stream.next_result().await;
        assert_eq!(result.id, None);
        let result = result.json();
        let error = &result["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{result}");
        assert_eq!(error["extensions"]["field"], "Last-Event-ID", "{result}");
        assert_eq!(error["message"], format!("Last-Event-ID: {message}"));
        assert_eq!(result["data"], Value::Null);
        stream.expect_complete().await;
    }
    // The server goes on serving streams.
    let (mut stream, _) = open_alerts(&app, json!({}), None).await;
    let series = series_id(&app, "alpha", "Alpha").await;
    let installment = create_installment(&app, &series, 1, true).await;
    let (_, event) = next_alert(&mut stream).await;
    assert_eq!(event["installment"]["id"], installment["id"]);
}
