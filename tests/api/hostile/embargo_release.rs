//! The embargo at release time: the nested fields of a release alert follow each
//! subscriber's credential, though subscribers share one set of batching loaders;
//! and the demo's Soundtrack #2 is unknown to the public until the moment it is
//! published, when it appears with its credits and interview.

use serde_json::{json, Value};

use super::embargo::{ids, ok, SECRET};
use crate::db_tests;
use crate::helpers::{data, error_code, Backend, Protocol, TestApp, WsClient, TOKEN};

db_tests!(
    alerts_follow_each_subscribers_credential,
    soundtrack_2_is_unknown_until_published,
);

/// Connects with the admin token in `connection_init`, or without.
async fn connect(app: &TestApp, admin: bool) -> WsClient {
    let payload = if admin {
        json!({ "authorization": format!("Bearer {TOKEN}") })
    } else {
        json!({})
    };
    WsClient::connect(app, Protocol::TransportWs, payload).await
}

/// Subscribes and waits until the server counts the subscription.
async fn start(app: &TestApp, client: &mut WsClient, query: &str) -> String {
    let before = app.metric("premiere_subscriptions_open").await;
    let id = client.subscribe(query, json!({})).await;
    app.wait_metric_at_least("premiere_subscriptions_open", before + 1.0)
        .await;
    id
}

/// The payload of the next message, which must be an event of subscription `id`.
async fn next_payload(client: &mut WsClient, id: &str) -> Value {
    let msg = client.next_message().await.expect("a message");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["id"], id, "{msg}");
    msg["payload"].clone()
}

/// Everything hanging from an alert that reaches unreleased rows when allowed to.
const ALERTS: &str = "subscription { releaseAlerts { kind
  series { latestInstallment { id } installments(first: 10) { totalCount nodes { id title } } }
  installment { id credits(first: 10) { nodes { person {
    credits(first: 10) { totalCount nodes { character installment { title } } }
    interviews(first: 10) { totalCount nodes { title } } } } } }
  interview { title participants { interviews(first: 10) { totalCount nodes { title } } } }
} }";

const SUBSCRIBERS: usize = 4;

async fn alerts_follow_each_subscribers_credential(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let made = ok(
        &app,
        "mutation {
           s: createSeries(input: { slug: \"live\", title: \"Live\" }) { id }
           p: createPerson(input: { name: \"Live Person\" }) { id } }",
        json!({}),
        true,
    )
    .await;
    let (series, person) = (made["s"]["id"].clone(), made["p"]["id"].clone());
    let mut installments = Vec::new();
    for (number, title) in [(1, "Live One"), (2, "Secret Two")] {
        let made = ok(
            &app,
            "mutation($s: ID!, $n: Int!, $t: String!) {
               i: createInstallment(input: { seriesId: $s, number: $n, title: $t }) { id } }",
            json!({ "s": series, "n": number, "t": title }),
            true,
        )
        .await;
        let id = made["i"]["id"].clone();
        ok(
            &app,
            "mutation($i: ID!, $p: ID!, $t: String!) {
               addCredit(input: { installmentId: $i, personId: $p, role: ACTOR, character: $t }) { id } }",
            json!({ "i": id, "p": person, "t": title }),
            true,
        )
        .await;
        installments.push(id);
    }
    ok(
        &app,
        "mutation($i: ID!, $p: ID!) { createInterview(input: { installmentId: $i, outlet: \"X\",
           title: \"Secret talk\", participantIds: [$p] }) { id } }",
        json!({ "i": installments[1], "p": person }),
        true,
    )
    .await;

    // Public and admin subscribers side by side, their loads batched together.
    let mut subscribers = Vec::new();
    for i in 0..2 * SUBSCRIBERS {
        let admin = i % 2 == 1;
        let mut client = connect(&app, admin).await;
        let id = start(&app, &mut client, ALERTS).await;
        subscribers.push((admin, client, id));
    }
    // A public subscriber asking for drafts is refused on each event.
    let mut nosy = connect(&app, false).await;
    let nosy_id = start(
        &app,
        &mut nosy,
        "subscription { releaseAlerts { series { installments(status: DRAFT) { totalCount } } } }",
    )
    .await;

    ok(
        &app,
        "mutation($id: ID!) { publishInstallment(id: $id) { status } }",
        json!({ "id": installments[0] }),
        true,
    )
    .await;
    for (admin, client, id) in &mut subscribers {
        let payload = next_payload(client, id).await;
        let event = &data(&payload)["releaseAlerts"];
        let who = if *admin { "admin" } else { "public" };
        let seen = if *admin { 2 } else { 1 };
        assert_eq!(event["kind"], "INSTALLMENT_PUBLISHED", "{who}: {event}");
        assert_eq!(event["installment"]["id"], installments[0], "{who}");
        assert_eq!(event["series"]["latestInstallment"]["id"], installments[0]);
        let listed = ids(&event["series"]["installments"]);
        assert_eq!(listed, installments[..seen], "{who}: {event}");
        assert_eq!(event["series"]["installments"]["totalCount"], seen, "{who}");
        let person = &event["installment"]["credits"]["nodes"][0]["person"];
        assert_eq!(person["credits"]["totalCount"], seen, "{who}: {event}");
        assert_eq!(person["interviews"]["totalCount"], seen - 1, "{who}");
        assert_eq!(event.to_string().contains(SECRET), *admin, "{who}: {event}");
    }
    let refused = next_payload(&mut nosy, &nosy_id).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // An interview on the released one: its participant's other interview is a secret.
    ok(
        &app,
        "mutation($i: ID!, $p: ID!) { createInterview(input: { installmentId: $i, outlet: \"X\",
           title: \"Open talk\", participantIds: [$p] }) { id } }",
        json!({ "i": installments[0], "p": person }),
        true,
    )
    .await;
    for (admin, client, id) in &mut subscribers {
        let payload = next_payload(client, id).await;
        let event = &data(&payload)["releaseAlerts"];
        let who = if *admin { "admin" } else { "public" };
        assert_eq!(event["kind"], "INTERVIEW_PUBLISHED", "{who}: {event}");
        assert_eq!(event["interview"]["title"], "Open talk", "{who}");
        let talks = &event["interview"]["participants"][0]["interviews"];
        assert_eq!(talks["totalCount"], if *admin { 2 } else { 1 }, "{who}");
        assert_eq!(event.to_string().contains(SECRET), *admin, "{who}: {event}");
    }
}

/// What the public can read of the demo catalogue, in one query.
const DEMO: &str = "{
  allSeries(first: 10) { nodes { title synopsis latestInstallment { title }
    installments(first: 10) { totalCount nodes { id title synopsis status
      credits(first: 10) { totalCount nodes { id character characterDescription person { name } } }
      interviews(first: 10) { totalCount nodes { id outlet title summary participants { name } } } } } } }
  allInstallments(first: 10) { totalCount nodes { title } }
  allPeople(first: 10) { totalCount nodes { name bio knownFor
    credits(first: 10) { totalCount nodes { character installment { title } } }
    interviews(first: 10) { totalCount nodes { title } } } }
  releaseEvents(first: 10) { edges { node { kind installment { title } } } }
}";

/// Words only Soundtrack #2's data holds.
const TELLTALES: [&str; 6] = [
    "Soundtrack #2",
    "Do Hyeonseo",
    "Ji Suho",
    "Camino",
    "theSun",
    "instalment",
];

async fn soundtrack_2_is_unknown_until_published(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    // The admin's view holds #2, its four credits and its interview.
    let full = ok(&app, DEMO, json!({}), true).await;
    let second = &full["allSeries"]["nodes"][0]["installments"]["nodes"][1];
    assert_eq!(second["title"], "Soundtrack #2", "{full}");
    let mut secrets = vec![second["id"].clone()];
    secrets.extend(ids(&second["credits"]));
    secrets.extend(ids(&second["interviews"]));
    assert_eq!(secrets.len(), 6, "{second}");

    let public = ok(&app, DEMO, json!({}), false).await;
    let text = public.to_string();
    for word in TELLTALES {
        assert!(!text.contains(word), "the public reads {word:?}: {text}");
        assert!(
            full.to_string().contains(word),
            "{word:?} is not in the demo"
        );
    }
    assert_eq!(public["allInstallments"]["totalCount"], 1, "{public}");
    let series = &public["allSeries"]["nodes"][0];
    assert_eq!(series["installments"]["totalCount"], 1);
    assert_eq!(series["latestInstallment"]["title"], "Soundtrack #1");
    for person in public["allPeople"]["nodes"].as_array().expect("people") {
        assert_eq!(person["credits"]["totalCount"], 0, "{person}");
        assert_eq!(person["interviews"]["totalCount"], 0, "{person}");
    }
    for id in &secrets {
        let resp = app
            .query(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(resp, json!({ "data": { "node": null } }), "{id}");
    }
    // The README's way to find its ID needs the token.
    let find = r#"{ seriesBySlug(slug: "soundtrack") { installments(status: DRAFT) { nodes { id title } } } }"#;
    let resp = app.query(find, json!({})).await;
    assert_eq!(error_code(&resp), Some("FORBIDDEN"), "{resp}");
    assert!(!resp.to_string().contains("Soundtrack #2"), "{resp}");
    let found = ok(&app, find, json!({}), true).await;
    let draft = &found["seriesBySlug"]["installments"]["nodes"][0];
    assert_eq!(draft["title"], "Soundtrack #2");
    assert_eq!(draft["id"], secrets[0]);

    // The README's subscription, in a public tab; the admin publishes #2.
    let mut tab = connect(&app, false).await;
    let sub = start(
        &app,
        &mut tab,
        "subscription { releaseAlerts(filter: { kinds: [INSTALLMENT_PUBLISHED] }) {
           cursor kind occurredAt series { title }
           installment { title status publishedAt credits(first: 3) { nodes { character person { name } } } } } }",
    )
    .await;
    let published = ok(
        &app,
        "mutation($id: ID!) { publishInstallment(id: $id) { title status } }",
        json!({ "id": draft["id"] }),
        true,
    )
    .await;
    assert_eq!(published["publishInstallment"]["status"], "PUBLISHED");
    let alert = next_payload(&mut tab, &sub).await;
    let installment = &data(&alert)["releaseAlerts"]["installment"];
    assert_eq!(installment["title"], "Soundtrack #2", "{alert}");
    assert_eq!(installment["status"], "PUBLISHED");
    assert_eq!(
        installment["credits"]["nodes"][0]["character"],
        "Do Hyeonseo"
    );
    assert_eq!(
        installment["credits"]["nodes"].as_array().map(Vec::len),
        Some(3)
    );

    // At once, the public reads all of it: what the admin read, now published.
    let public = ok(&app, DEMO, json!({}), false).await;
    let second = &public["allSeries"]["nodes"][0]["installments"]["nodes"][1];
    let before = &full["allSeries"]["nodes"][0]["installments"]["nodes"][1];
    assert_eq!(second["status"], "PUBLISHED", "{public}");
    for field in ["id", "title", "synopsis", "credits", "interviews"] {
        assert_eq!(second[field], before[field], "{field}");
    }
    assert_eq!(second["credits"]["totalCount"], 4);
    assert_eq!(
        second["interviews"]["nodes"][0]["participants"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(public["allInstallments"]["totalCount"], 2);
    assert_eq!(
        public["allSeries"]["nodes"][0]["latestInstallment"]["title"],
        "Soundtrack #2"
    );
    let text = public.to_string();
    for word in TELLTALES {
        assert!(text.contains(word), "{word:?} is still hidden: {text}");
    }
    for id in &secrets {
        let resp = app
            .query(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data(&resp)["node"]["id"], *id);
    }
}
