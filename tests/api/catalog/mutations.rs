//! The admin mutations of the catalogue: what they do, who may run them, how they
//! validate, and that a refused mutation leaves the database as it was.
//!
//! Over 400 lines on purpose: each mutation's cases (effect, permission, validation,
//! nothing changed on refusal) kept together, mutation by mutation.

use futures_util::future::join_all;
use serde_json::{json, Value};

use super::support::{
    add_credit, admin_ok, assert_error, create_installment, create_interview, create_series, id_of,
    installment_id, merged, node_ids, person_id, post_with_authorization, series_id, snapshot,
    CREATE_INSTALLMENT, CREATE_SERIES,
};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp, TOKEN};

const SERIES: &str = "query($id: ID!) { node(id: $id) { ... on Series {
  id slug title originalTitle network genres synopsis createdAt updatedAt
  installments(first: 100) { totalCount nodes { id number title status } }
} } }";

async fn series_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = create_series(
        &app,
        "soundtrack",
        "Soundtrack",
        json!({
            "originalTitle": "Saundeuteuraek",
            "network": "Disney+",
            "genres": ["romance", "comedy", "music"],
            "synopsis": "Harmonies of heartbreak and healing.",
        }),
    )
    .await;
    let id = id_of(&created);
    assert_eq!(created["slug"], "soundtrack");
    assert_eq!(created["title"], "Soundtrack");
    assert_eq!(created["originalTitle"], "Saundeuteuraek");
    assert_eq!(created["network"], "Disney+");
    assert_eq!(created["genres"], json!(["romance", "comedy", "music"]));
    let created_at =
        chrono::DateTime::parse_from_rfc3339(created["createdAt"].as_str().expect("createdAt"))
            .expect("RFC 3339");
    assert_eq!(
        created_at.offset().local_minus_utc(),
        0,
        "stored and returned in UTC"
    );
    let age = chrono::Utc::now().signed_duration_since(created_at);
    assert!(age.num_seconds().abs() < 60, "createdAt is now: {created}");

    // What was created is what is read back.
    let resp = app
        .query(
            "{ seriesBySlug(slug: \"soundtrack\") { id slug title originalTitle network genres synopsis createdAt updatedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&resp)["seriesBySlug"], created);

    // Update changes the given fields only.
    let resp = app
        .admin(
            "mutation($id: ID!, $input: UpdateSeriesInput!) { updateSeries(id: $id, input: $input) {
               id slug title originalTitle network genres synopsis createdAt updatedAt } }",
            json!({ "id": id, "input": { "title": "Soundtrack (2024)", "genres": ["music"] } }),
        )
        .await;
    let updated = data(&resp)["updateSeries"].clone();
    assert_eq!(updated["id"], json!(id));
    assert_eq!(updated["slug"], "soundtrack");
    assert_eq!(updated["title"], "Soundtrack (2024)");
    assert_eq!(updated["genres"], json!(["music"]));
    assert_eq!(updated["network"], "Disney+");
    assert_eq!(updated["originalTitle"], "Saundeuteuraek");
    assert_eq!(updated["synopsis"], created["synopsis"]);
    assert_eq!(updated["createdAt"], created["createdAt"]);
    let updated_at =
        chrono::DateTime::parse_from_rfc3339(updated["updatedAt"].as_str().expect("updatedAt"))
            .expect("RFC 3339");
    assert!(updated_at >= created_at, "updatedAt went back: {updated}");
    let read = data(&app.query(SERIES, json!({ "id": id })).await)["node"].clone();
    assert_eq!(read["title"], "Soundtrack (2024)");

    // Delete returns the ID; afterwards the series is gone everywhere.
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&resp)["deleteSeries"], json!(id));
    assert_eq!(
        data(&app.query(SERIES, json!({ "id": id })).await)["node"],
        Value::Null
    );
    let resp = app
        .query(
            "{ seriesBySlug(slug: \"soundtrack\") { id } allSeries { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&resp)["seriesBySlug"], Value::Null);
    assert_eq!(data(&resp)["allSeries"]["totalCount"], 0);
    // Deleting again: NOT_FOUND. The slug is free again.
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_error(&resp, "NOT_FOUND", Some("id"));
    let again = create_series(&app, "soundtrack", "Soundtrack", json!({})).await;
    assert_ne!(id_of(&again), id);
}

async fn deleting_a_series_removes_its_drafts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "drafts", "Drafts").await;
    let keep = series_id(&app, "keep", "Keep").await;
    let draft = installment_id(&app, &series, 1).await;
    let scheduled = id_of(
        &create_installment(
            &app,
            &series,
            2,
            json!({ "publish": true, "releaseAt": "2999-01-01T00:00:00Z" }),
        )
        .await,
    );
    let kept = installment_id(&app, &keep, 1).await;
    let person = person_id(&app, "Still Here").await;
    let credit = id_of(&add_credit(&app, &draft, &person, "ACTOR", json!({})).await);
    let interview = id_of(&create_interview(&app, &draft, "Gone soon", &[&person]).await);

    let resp = app
        .admin(
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": series }),
        )
        .await;
    assert_eq!(data(&resp)["deleteSeries"], json!(series));
    for gone in [&series, &draft, &scheduled, &credit, &interview] {
        let resp = app
            .admin(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": gone }),
            )
            .await;
        assert_eq!(data(&resp)["node"], Value::Null, "{gone} survived");
    }
    let resp = app
        .admin(
            "query($id: ID!, $kept: ID!) {
               person: node(id: $id) { ... on Person { name credits { totalCount } interviews { totalCount } } }
               kept: node(id: $kept) { id }
               allInstallments { totalCount } }",
            json!({ "id": person, "kept": kept }),
        )
        .await;
    let got = data(&resp);
    assert_eq!(got["person"]["name"], "Still Here");
    assert_eq!(got["person"]["credits"]["totalCount"], 0);
    assert_eq!(got["person"]["interviews"]["totalCount"], 0);
    assert_eq!(got["kept"]["id"], json!(kept));
    assert_eq!(got["allInstallments"]["totalCount"], 1);
}

async fn published_installments_block_deletion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "released", "Released").await;
    let draft = installment_id(&app, &series, 1).await;
    let published = id_of(&create_installment(&app, &series, 2, json!({ "publish": true })).await);
    let before = snapshot(&app).await;

    let resp = app
        .admin(
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": series }),
        )
        .await;
    assert_error(&resp, "CONFLICT", None);
    assert_eq!(resp["data"], Value::Null, "{resp}");
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteInstallment(id: $id) }",
            json!({ "id": published }),
        )
        .await;
    assert_error(&resp, "CONFLICT", None);
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused delete changed data"
    );

    // A draft can go; the series still cannot.
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteInstallment(id: $id) }",
            json!({ "id": draft }),
        )
        .await;
    assert_eq!(data(&resp)["deleteInstallment"], json!(draft));
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": series }),
        )
        .await;
    assert_error(&resp, "CONFLICT", None);
    let resp = app.admin(SERIES, json!({ "id": series })).await;
    assert_eq!(node_ids(&data(&resp)["node"]["installments"]), [published]);
}

async fn installment_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "soundtrack", "Soundtrack").await;

    // Default: DRAFT, titled after the series.
    let first = create_installment(&app, &series, 1, json!({})).await;
    assert_eq!(first["status"], "DRAFT");
    assert_eq!(first["title"], "Soundtrack #1");
    assert_eq!(first["number"], 1);
    assert_eq!(first["publishedAt"], Value::Null);
    assert_eq!(first["releaseAt"], Value::Null);
    assert_eq!(first["series"]["id"], json!(series));
    let explicit = create_installment(
        &app,
        &series,
        2,
        json!({ "publish": false, "title": "The Second", "synopsis": "More music.", "episodeCount": 8,
                "releaseAt": "2030-05-01T12:00:00+02:00" }),
    )
    .await;
    assert_eq!(explicit["status"], "DRAFT");
    assert_eq!(explicit["title"], "The Second");
    assert_eq!(explicit["synopsis"], "More music.");
    assert_eq!(explicit["episodeCount"], 8);
    let release_at =
        chrono::DateTime::parse_from_rfc3339(explicit["releaseAt"].as_str().expect("releaseAt"))
            .expect("RFC 3339");
    assert_eq!(
        release_at,
        chrono::DateTime::parse_from_rfc3339("2030-05-01T10:00:00Z").expect("time")
    );
    assert_eq!(release_at.offset().local_minus_utc(), 0, "returned in UTC");

    // The default title follows the series' current title.
    admin_ok(
        &app,
        "mutation($id: ID!) { updateSeries(id: $id, input: { title: \"OST\" }) { id } }",
        json!({ "id": series }),
    )
    .await;
    let third = create_installment(&app, &series, 10, json!({})).await;
    assert_eq!(third["title"], "OST #10");

    // Update: only the given fields change.
    let id = id_of(&explicit);
    let resp = app
        .admin(
            "mutation($id: ID!, $input: UpdateInstallmentInput!) { updateInstallment(id: $id, input: $input) {
               id number title synopsis episodeCount status releaseAt createdAt updatedAt } }",
            json!({ "id": id, "input": { "title": "Second, renamed", "episodeCount": 10 } }),
        )
        .await;
    let updated = data(&resp)["updateInstallment"].clone();
    assert_eq!(updated["title"], "Second, renamed");
    assert_eq!(updated["episodeCount"], 10);
    assert_eq!(updated["synopsis"], "More music.");
    assert_eq!(updated["number"], 2);
    assert_eq!(updated["status"], "DRAFT", "updating does not publish");
    assert_eq!(updated["releaseAt"], explicit["releaseAt"]);
    assert_eq!(updated["createdAt"], explicit["createdAt"]);
    let resp = app
        .admin(
            "mutation($id: ID!) { updateInstallment(id: $id, input: { releaseAt: \"2031-01-01T00:00:00Z\", synopsis: \"Even more.\" }) {
               title synopsis releaseAt } }",
            json!({ "id": id }),
        )
        .await;
    let updated = data(&resp)["updateInstallment"].clone();
    assert_eq!(updated["title"], "Second, renamed");
    assert_eq!(updated["synopsis"], "Even more.");
    assert!(
        updated["releaseAt"]
            .as_str()
            .is_some_and(|t| t.starts_with("2031-01-01T00:00:00")),
        "{updated}"
    );

    // Listed by number.
    let resp = app.admin(SERIES, json!({ "id": series })).await;
    let listed = &data(&resp)["node"]["installments"];
    assert_eq!(listed["totalCount"], 3);
    let numbers: Vec<i64> = listed["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["number"].as_i64())
        .collect();
    assert_eq!(numbers, [1, 2, 10]);

    // Delete a draft, with its credits and interviews; the people stay.
    let person = person_id(&app, "Cast Member").await;
    let credit = id_of(&add_credit(&app, &id, &person, "ACTOR", json!({})).await);
    let interview = id_of(&create_interview(&app, &id, "About #2", &[&person]).await);
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteInstallment(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&resp)["deleteInstallment"], json!(id));
    for gone in [&id, &credit, &interview] {
        let resp = app
            .admin(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": gone }),
            )
            .await;
        assert_eq!(data(&resp)["node"], Value::Null, "{gone} survived");
    }
    let resp = app
        .admin(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(data(&resp)["node"]["id"], json!(person));
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteInstallment(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_error(&resp, "NOT_FOUND", Some("id"));
    // The number is free again.
    let again = create_installment(&app, &series, 2, json!({})).await;
    assert_eq!(again["title"], "OST #2");
}

async fn people_credits_and_interviews(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "soundtrack", "Soundtrack").await;
    let installment = installment_id(&app, &series, 2).await;
    let resp = app
        .admin(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id name knownFor bio } }",
            json!({ "input": { "name": "Keum Sae-rok", "knownFor": ["The Interest of Love"], "bio": "Learned the piano." } }),
        )
        .await;
    let keum = data(&resp)["createPerson"].clone();
    assert_eq!(keum["name"], "Keum Sae-rok");
    assert_eq!(keum["knownFor"], json!(["The Interest of Love"]));
    assert_eq!(keum["bio"], "Learned the piano.");
    let keum = id_of(&keum);
    let resp = app
        .admin(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id knownFor bio } }",
            json!({ "input": { "name": "Noh Sang-hyun" } }),
        )
        .await;
    let noh = data(&resp)["createPerson"].clone();
    assert_eq!(noh["knownFor"], json!([]));
    assert_eq!(noh["bio"], Value::Null);
    let noh = id_of(&noh);

    let resp = app
        .admin(
            "mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { id name knownFor bio } }",
            json!({ "id": noh, "input": { "knownFor": ["Pachinko"] } }),
        )
        .await;
    let updated = data(&resp)["updatePerson"].clone();
    assert_eq!(updated["name"], "Noh Sang-hyun");
    assert_eq!(updated["knownFor"], json!(["Pachinko"]));
    let resp = app
        .admin(
            "mutation($id: ID!) { updatePerson(id: $id, input: { name: \"Noh Sang-hyun (actor)\", bio: \"His first romantic series.\" }) { name knownFor bio } }",
            json!({ "id": noh }),
        )
        .await;
    let updated = data(&resp)["updatePerson"].clone();
    assert_eq!(updated["name"], "Noh Sang-hyun (actor)");
    assert_eq!(updated["knownFor"], json!(["Pachinko"]));
    assert_eq!(updated["bio"], "His first romantic series.");

    let credit = add_credit(
        &app,
        &installment,
        &keum,
        "ACTOR",
        json!({ "character": "Do Hyeonseo", "characterDescription": "A pianist.", "billing": 1 }),
    )
    .await;
    assert_eq!(credit["role"], "ACTOR");
    assert_eq!(credit["character"], "Do Hyeonseo");
    assert_eq!(credit["characterDescription"], "A pianist.");
    assert_eq!(credit["billing"], 1);
    assert_eq!(credit["debut"], false, "debut defaults to false");
    assert_eq!(credit["person"]["id"], json!(keum));
    assert_eq!(credit["installment"]["id"], json!(installment));
    let debut = add_credit(
        &app,
        &installment,
        &noh,
        "PRODUCER",
        json!({ "debut": true }),
    )
    .await;
    assert_eq!(debut["debut"], true);
    assert_eq!(debut["character"], Value::Null);

    let interview = create_interview(&app, &installment, "Harmonies", &[&keum, &noh]).await;
    assert_eq!(interview["outlet"], "theSun");
    assert_eq!(interview["installment"]["id"], json!(installment));
    let mut participants = node_ids(&json!({ "nodes": interview["participants"] }));
    participants.sort();
    let mut expected = vec![keum.clone(), noh.clone()];
    expected.sort();
    assert_eq!(participants, expected);
    let resp = app
        .admin(
            "mutation($i: ID!) { createInterview(input: { installmentId: $i, outlet: \"Other\", title: \"Full\",
               summary: \"S\", url: \"https://example.com/a\", publishedAt: \"2024-01-02T03:04:05Z\" }) {
               outlet title summary url publishedAt participants { id } } }",
            json!({ "i": installment }),
        )
        .await;
    let full = data(&resp)["createInterview"].clone();
    assert_eq!(full["url"], "https://example.com/a");
    assert_eq!(full["summary"], "S");
    assert_eq!(full["participants"], json!([]));
    assert!(
        full["publishedAt"]
            .as_str()
            .is_some_and(|t| t.starts_with("2024-01-02T03:04:05")),
        "{full}"
    );

    // Seen from both sides.
    let resp = app
        .admin(
            "query($i: ID!, $p: ID!) {
               i: node(id: $i) { ... on Installment { credits { totalCount nodes { id } } interviews { totalCount } } }
               p: node(id: $p) { ... on Person { credits { totalCount nodes { id installment { id } } } interviews { totalCount nodes { id } } } } }",
            json!({ "i": installment, "p": keum }),
        )
        .await;
    let got = data(&resp);
    assert_eq!(got["i"]["credits"]["totalCount"], 2);
    assert_eq!(got["i"]["interviews"]["totalCount"], 2);
    assert_eq!(
        got["p"]["credits"]["nodes"],
        json!([{ "id": credit["id"], "installment": { "id": installment } }])
    );
    assert_eq!(
        got["p"]["interviews"]["nodes"],
        json!([{ "id": interview["id"] }])
    );

    // Remove a credit: gone from both lists; removing it again is NOT_FOUND.
    let credit_id = id_of(&credit);
    let resp = app
        .admin(
            "mutation($id: ID!) { removeCredit(id: $id) }",
            json!({ "id": credit_id }),
        )
        .await;
    assert_eq!(data(&resp)["removeCredit"], json!(credit_id));
    let resp = app
        .admin(
            "query($i: ID!, $p: ID!) {
               i: node(id: $i) { ... on Installment { credits { nodes { id } } } }
               p: node(id: $p) { ... on Person { credits { totalCount } } } }",
            json!({ "i": installment, "p": keum }),
        )
        .await;
    assert_eq!(node_ids(&data(&resp)["i"]["credits"]), [id_of(&debut)]);
    assert_eq!(data(&resp)["p"]["credits"]["totalCount"], 0);
    let resp = app
        .admin(
            "mutation($id: ID!) { removeCredit(id: $id) }",
            json!({ "id": credit_id }),
        )
        .await;
    assert_error(&resp, "NOT_FOUND", Some("id"));
}

/// Every catalogue mutation, with valid arguments for the data `auth_fixture` makes.
fn every_mutation(f: &Value) -> Vec<(&'static str, Value)> {
    vec![
        (
            "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { id } }",
            json!({ "input": { "slug": "new-series", "title": "New" } }),
        ),
        (
            "mutation($id: ID!) { updateSeries(id: $id, input: { title: \"Renamed\" }) { id } }",
            json!({ "id": f["series"] }),
        ),
        (
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": f["doomed_series"] }),
        ),
        (
            "mutation($s: ID!) { createInstallment(input: { seriesId: $s, number: 5 }) { id } }",
            json!({ "s": f["series"] }),
        ),
        (
            "mutation($id: ID!) { updateInstallment(id: $id, input: { title: \"T\" }) { id } }",
            json!({ "id": f["installment"] }),
        ),
        (
            "mutation($id: ID!) { deleteInstallment(id: $id) }",
            json!({ "id": f["doomed_installment"] }),
        ),
        (
            "mutation { createPerson(input: { name: \"New Person\" }) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { updatePerson(id: $id, input: { name: \"Renamed\" }) { id } }",
            json!({ "id": f["person"] }),
        ),
        (
            "mutation($i: ID!, $p: ID!) { addCredit(input: { installmentId: $i, personId: $p, role: WRITER }) { id } }",
            json!({ "i": f["installment"], "p": f["person"] }),
        ),
        (
            "mutation($id: ID!) { removeCredit(id: $id) }",
            json!({ "id": f["credit"] }),
        ),
        (
            "mutation($i: ID!, $p: [ID!]) { createInterview(input: { installmentId: $i, outlet: \"O\", title: \"T\", participantIds: $p }) { id } }",
            json!({ "i": f["installment"], "p": [f["person"]] }),
        ),
        (
            "mutation($id: ID!) { publishInstallment(id: $id) { id } }",
            json!({ "id": f["installment"] }),
        ),
    ]
}

async fn auth_fixture(app: &TestApp) -> Value {
    let series = series_id(app, "guarded", "Guarded").await;
    let doomed_series = series_id(app, "doomed", "Doomed").await;
    let installment = installment_id(app, &series, 1).await;
    let doomed_installment = installment_id(app, &series, 2).await;
    let person = person_id(app, "Guarded Person").await;
    let credit = id_of(&add_credit(app, &installment, &person, "ACTOR", json!({})).await);
    json!({
        "series": series, "doomed_series": doomed_series, "installment": installment,
        "doomed_installment": doomed_installment, "person": person, "credit": credit,
    })
}

async fn mutations_need_the_admin_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fixture = auth_fixture(&app).await;
    let before = snapshot(&app).await;
    let wrong = [
        None,
        Some("Bearer wrong-token".to_string()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some("Bearer ".to_string()),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Token {TOKEN}")),
    ];
    for (query, vars) in every_mutation(&fixture) {
        for auth in &wrong {
            let resp = post_with_authorization(&app, query, vars.clone(), auth.as_deref()).await;
            assert_error(&resp, "UNAUTHENTICATED", None);
            assert_eq!(resp["data"], Value::Null, "{auth:?} {query}: {resp}");
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "an unauthenticated mutation changed data"
    );

    // The same requests with the token succeed: they were refused for the credential only.
    for (query, vars) in every_mutation(&fixture) {
        let auth = format!("Bearer {TOKEN}");
        let resp = post_with_authorization(&app, query, vars, Some(&auth)).await;
        data(&resp);
    }
    assert_ne!(snapshot(&app).await, before);
}

async fn reads_need_no_token_and_mixed_requests_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    series_id(&app, "public", "Public").await;
    let resp = app.query("{ allSeries { totalCount } }", json!({})).await;
    assert_eq!(data(&resp)["allSeries"]["totalCount"], 1);
    let before = snapshot(&app).await;
    // Two mutations in one request, without the token: neither runs.
    let resp = app
        .query(
            "mutation { a: createPerson(input: { name: \"A\" }) { id } b: createSeries(input: { slug: \"b\", title: \"B\" }) { id } }",
            json!({}),
        )
        .await;
    assert_error(&resp, "UNAUTHENTICATED", None);
    assert_eq!(snapshot(&app).await, before);
}

/// (mutation, variables, expected code, expected field)
type Refusal = (&'static str, Value, &'static str, Option<&'static str>);

fn refusals(f: &Value) -> Vec<Refusal> {
    // Far beyond any sensible limit for a name, title or slug, and for a long text.
    let long_name = "x".repeat(5_000);
    let long_name = long_name.as_str();
    let long_text = "x".repeat(100_001);
    let long_slug = "a".repeat(5_000);
    let create_series =
        "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { id } }";
    let update_series = "mutation($id: ID!, $input: UpdateSeriesInput!) { updateSeries(id: $id, input: $input) { id } }";
    let create_installment =
        "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id } }";
    let update_installment = "mutation($id: ID!, $input: UpdateInstallmentInput!) { updateInstallment(id: $id, input: $input) { id } }";
    let create_person =
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { id } }";
    let update_person = "mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { id } }";
    let add_credit = "mutation($input: AddCreditInput!) { addCredit(input: $input) { id } }";
    let create_interview =
        "mutation($input: CreateInterviewInput!) { createInterview(input: $input) { id } }";
    let series = |extra: Value| merged(json!({ "slug": "fresh", "title": "Fresh" }), extra);
    let installment =
        |extra: Value| merged(json!({ "seriesId": f["series"], "number": 50 }), extra);
    let credit = |extra: Value| {
        merged(
            json!({ "installmentId": f["installment"], "personId": f["person"], "role": "ACTOR" }),
            extra,
        )
    };
    let interview = |extra: Value| {
        merged(
            json!({ "installmentId": f["installment"], "outlet": "O", "title": "T" }),
            extra,
        )
    };
    let bad = "BAD_USER_INPUT";
    let mut out: Vec<Refusal> = Vec::new();
    // createSeries
    for slug in [
        "",
        "Has Space",
        "ümlaut",
        "a/b",
        "a?b",
        "a#b",
        "a%20b",
        &long_slug,
    ] {
        out.push((
            create_series,
            json!({ "input": series(json!({ "slug": slug })) }),
            bad,
            Some("input.slug"),
        ));
    }
    for title in ["", "   ", long_name] {
        out.push((
            create_series,
            json!({ "input": series(json!({ "title": title })) }),
            bad,
            Some("input.title"),
        ));
    }
    out.push((
        create_series,
        json!({ "input": series(json!({ "originalTitle": long_name })) }),
        bad,
        Some("input.originalTitle"),
    ));
    out.push((
        create_series,
        json!({ "input": series(json!({ "network": long_name })) }),
        bad,
        Some("input.network"),
    ));
    out.push((
        create_series,
        json!({ "input": series(json!({ "genres": ["romance", ""] })) }),
        bad,
        Some("input.genres"),
    ));
    out.push((
        create_series,
        json!({ "input": series(json!({ "genres": [long_name] })) }),
        bad,
        Some("input.genres"),
    ));
    let many: Vec<String> = (0..500).map(|i| format!("genre {i}")).collect();
    out.push((
        create_series,
        json!({ "input": series(json!({ "genres": many })) }),
        bad,
        Some("input.genres"),
    ));
    out.push((
        create_series,
        json!({ "input": series(json!({ "synopsis": long_text })) }),
        bad,
        Some("input.synopsis"),
    ));
    out.push((
        create_series,
        json!({ "input": series(json!({ "slug": "guarded" })) }),
        "CONFLICT",
        None,
    ));
    // updateSeries
    out.push((
        update_series,
        json!({ "id": f["series"], "input": { "title": "" } }),
        bad,
        Some("input.title"),
    ));
    out.push((
        update_series,
        json!({ "id": f["series"], "input": { "title": long_name } }),
        bad,
        Some("input.title"),
    ));
    out.push((
        update_series,
        json!({ "id": f["series"], "input": { "genres": [""] } }),
        bad,
        Some("input.genres"),
    ));
    out.push((
        update_series,
        json!({ "id": f["series"], "input": { "network": long_name } }),
        bad,
        Some("input.network"),
    ));
    out.push((
        update_series,
        json!({ "id": f["missing_series"], "input": { "title": "X" } }),
        "NOT_FOUND",
        Some("id"),
    ));
    out.push((
        "mutation($id: ID!) { deleteSeries(id: $id) }",
        json!({ "id": f["missing_series"] }),
        "NOT_FOUND",
        Some("id"),
    ));
    // createInstallment
    for number in [0, -1, -2_147_483_648] {
        out.push((
            create_installment,
            json!({ "input": installment(json!({ "number": number })) }),
            bad,
            Some("input.number"),
        ));
    }
    out.push((
        create_installment,
        json!({ "input": installment(json!({ "title": "" })) }),
        bad,
        Some("input.title"),
    ));
    out.push((
        create_installment,
        json!({ "input": installment(json!({ "title": long_name })) }),
        bad,
        Some("input.title"),
    ));
    out.push((
        create_installment,
        json!({ "input": installment(json!({ "episodeCount": 0 })) }),
        bad,
        Some("input.episodeCount"),
    ));
    out.push((
        create_installment,
        json!({ "input": installment(json!({ "synopsis": long_text })) }),
        bad,
        Some("input.synopsis"),
    ));
    out.push((
        create_installment,
        json!({ "input": installment(json!({ "seriesId": f["missing_series"] })) }),
        "NOT_FOUND",
        Some("input.seriesId"),
    ));
    out.push((
        create_installment,
        json!({ "input": installment(json!({ "number": 1 })) }),
        "CONFLICT",
        None,
    ));
    // updateInstallment / deleteInstallment
    out.push((
        update_installment,
        json!({ "id": f["installment"], "input": { "title": "" } }),
        bad,
        Some("input.title"),
    ));
    out.push((
        update_installment,
        json!({ "id": f["installment"], "input": { "episodeCount": -3 } }),
        bad,
        Some("input.episodeCount"),
    ));
    out.push((
        update_installment,
        json!({ "id": f["missing_installment"], "input": { "title": "X" } }),
        "NOT_FOUND",
        Some("id"),
    ));
    out.push((
        "mutation($id: ID!) { deleteInstallment(id: $id) }",
        json!({ "id": f["missing_installment"] }),
        "NOT_FOUND",
        Some("id"),
    ));
    // createPerson / updatePerson
    for name in ["", "  ", long_name] {
        out.push((
            create_person,
            json!({ "input": { "name": name } }),
            bad,
            Some("input.name"),
        ));
    }
    out.push((
        create_person,
        json!({ "input": { "name": "N", "knownFor": [""] } }),
        bad,
        Some("input.knownFor"),
    ));
    out.push((
        create_person,
        json!({ "input": { "name": "N", "bio": long_text } }),
        bad,
        Some("input.bio"),
    ));
    out.push((
        update_person,
        json!({ "id": f["person"], "input": { "name": "" } }),
        bad,
        Some("input.name"),
    ));
    out.push((
        update_person,
        json!({ "id": f["missing_person"], "input": { "name": "X" } }),
        "NOT_FOUND",
        Some("id"),
    ));
    // addCredit / removeCredit
    out.push((
        add_credit,
        json!({ "input": credit(json!({ "billing": 0 })) }),
        bad,
        Some("input.billing"),
    ));
    out.push((
        add_credit,
        json!({ "input": credit(json!({ "character": long_name })) }),
        bad,
        Some("input.character"),
    ));
    out.push((
        add_credit,
        json!({ "input": credit(json!({ "characterDescription": long_text })) }),
        bad,
        Some("input.characterDescription"),
    ));
    out.push((
        add_credit,
        json!({ "input": credit(json!({ "installmentId": f["missing_installment"] })) }),
        "NOT_FOUND",
        Some("input.installmentId"),
    ));
    out.push((
        add_credit,
        json!({ "input": credit(json!({ "personId": f["missing_person"] })) }),
        "NOT_FOUND",
        Some("input.personId"),
    ));
    out.push((
        "mutation($id: ID!) { removeCredit(id: $id) }",
        json!({ "id": f["missing_credit"] }),
        "NOT_FOUND",
        Some("id"),
    ));
    // createInterview
    out.push((
        create_interview,
        json!({ "input": interview(json!({ "outlet": "" })) }),
        bad,
        Some("input.outlet"),
    ));
    out.push((
        create_interview,
        json!({ "input": interview(json!({ "title": " " })) }),
        bad,
        Some("input.title"),
    ));
    out.push((
        create_interview,
        json!({ "input": interview(json!({ "title": long_name })) }),
        bad,
        Some("input.title"),
    ));
    for url in ["javascript:alert(1)", "not a url", "https://"] {
        out.push((
            create_interview,
            json!({ "input": interview(json!({ "url": url })) }),
            bad,
            Some("input.url"),
        ));
    }
    out.push((
        create_interview,
        json!({ "input": interview(json!({ "installmentId": f["missing_installment"] })) }),
        "NOT_FOUND",
        Some("input.installmentId"),
    ));
    out.push((create_interview, json!({ "input": interview(json!({ "participantIds": [f["person"], f["missing_person"]] })) }), "NOT_FOUND", Some("input.participantIds")));
    out
}

async fn refused_mutations_name_the_field_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut fixture = auth_fixture(&app).await;
    // IDs of rows that existed once.
    let gone_series = series_id(&app, "gone", "Gone").await;
    let gone_installment = installment_id(&app, &gone_series, 1).await;
    let gone_person = person_id(&app, "Gone Person").await;
    let gone_credit =
        id_of(&add_credit(&app, &gone_installment, &gone_person, "ACTOR", json!({})).await);
    admin_ok(
        &app,
        "mutation($c: ID!, $s: ID!) { removeCredit(id: $c) deleteSeries(id: $s) }",
        json!({ "c": gone_credit, "s": gone_series }),
    )
    .await;
    fixture["missing_series"] = json!(gone_series);
    fixture["missing_installment"] = json!(gone_installment);
    fixture["missing_credit"] = json!(gone_credit);
    // People cannot be deleted: use an ID past the last one.
    let next_person = person_id(&app, "Last Person").await;
    let last_row: i64 = decode_row(&next_person);
    fixture["missing_person"] = json!(encode_row("Person", last_row + 1000));

    let before = snapshot(&app).await;
    for (query, vars, code, field) in refusals(&fixture) {
        let resp = app.admin(query, vars.clone()).await;
        assert_error(&resp, code, field);
        assert_eq!(resp["data"], Value::Null, "{query} {vars}: {resp}");
        assert_eq!(snapshot(&app).await, before, "{query} {vars} changed data");
    }
}

fn decode_row(id: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .expect("base64 ID");
    let text = String::from_utf8(raw).expect("UTF-8 ID");
    text.rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("row number")
}

fn encode_row(kind: &str, row: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{row}"))
}

async fn duplicates_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "dupe", "Dupe").await;
    let other = series_id(&app, "other", "Other").await;
    installment_id(&app, &series, 1).await;
    let before = snapshot(&app).await;
    let resp = app
        .admin(
            CREATE_SERIES,
            json!({ "input": { "slug": "dupe", "title": "Another" } }),
        )
        .await;
    assert_error(&resp, "CONFLICT", None);
    let resp = app
        .admin(
            CREATE_INSTALLMENT,
            json!({ "input": { "seriesId": series, "number": 1, "title": "Again" } }),
        )
        .await;
    assert_error(&resp, "CONFLICT", None);
    assert_eq!(snapshot(&app).await, before);
    // The same number in another series is fine.
    let resp = app
        .admin(
            CREATE_INSTALLMENT,
            json!({ "input": { "seriesId": other, "number": 1 } }),
        )
        .await;
    assert_eq!(data(&resp)["createInstallment"]["title"], "Other #1");
}

async fn concurrent_creates_conflict_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "race", "Race").await;
    const ROUNDS: i64 = 5;
    const RACERS: usize = 4;
    for number in 1..=ROUNDS {
        let requests = (0..RACERS).map(|i| {
            app.admin(
                CREATE_INSTALLMENT,
                json!({ "input": { "seriesId": series, "number": number, "title": format!("Racer {i}") } }),
            )
        });
        let results = join_all(requests).await;
        let won: Vec<&Value> = results
            .iter()
            .filter(|r| r.get("errors").is_none())
            .collect();
        assert_eq!(won.len(), 1, "round {number}: {results:?}");
        for lost in results.iter().filter(|r| r.get("errors").is_some()) {
            assert_error(lost, "CONFLICT", None);
        }
        // The winner is the one that is stored.
        let winner = &won[0]["data"]["createInstallment"];
        let resp = app
            .admin(
                "query($id: ID!) { node(id: $id) { ... on Installment { title number } } }",
                json!({ "id": winner["id"] }),
            )
            .await;
        assert_eq!(data(&resp)["node"]["title"], winner["title"]);
    }
    let resp = app.admin(SERIES, json!({ "id": series })).await;
    assert_eq!(data(&resp)["node"]["installments"]["totalCount"], ROUNDS);

    // Slugs too.
    let requests = (0..RACERS).map(|i| {
        app.admin(
            CREATE_SERIES,
            json!({ "input": { "slug": "same-slug", "title": format!("Racer {i}") } }),
        )
    });
    let results = join_all(requests).await;
    let won = results.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(won, 1, "{results:?}");
    for lost in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_error(lost, "CONFLICT", None);
    }
    let resp = app.query("{ allSeries { totalCount } }", json!({})).await;
    assert_eq!(data(&resp)["allSeries"]["totalCount"], 2);
}

db_tests!(
    series_lifecycle,
    deleting_a_series_removes_its_drafts,
    published_installments_block_deletion,
    installment_lifecycle,
    people_credits_and_interviews,
    mutations_need_the_admin_token,
    reads_need_no_token_and_mixed_requests_are_refused,
    refused_mutations_name_the_field_and_change_nothing,
    duplicates_conflict,
    concurrent_creates_conflict_exactly_once,
);
