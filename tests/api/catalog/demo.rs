//! The Soundtrack demo data: what `seed` loads, and that loading it twice changes nothing.

use serde_json::{json, Value};

use super::support::snapshot;
use crate::db_tests;
use crate::helpers::{data, settings, Backend, TestApp};

const README_QUERY: &str = r#"{ seriesBySlug(slug: "soundtrack") { installments(first: 10) { nodes { title status credits(first: 10) { nodes { character person { name } } } } } } }"#;

/// The credit of `name` among `credits` (a list of `{ character person { name } }`).
fn credit_of<'a>(credits: &'a [Value], name: &str) -> &'a Value {
    credits
        .iter()
        .find(|c| c["person"]["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not credited: {credits:?}"))
}

/// The README's query, with the admin token as the README shows it: #2 is a draft.
async fn demo_query_shows_both_installments_and_the_cast(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let resp = app.admin(README_QUERY, json!({})).await;
    let nodes = data(&resp)["seriesBySlug"]["installments"]["nodes"]
        .as_array()
        .expect("installments")
        .clone();
    assert_eq!(nodes.len(), 2, "{resp}");
    assert_eq!(nodes[0]["title"], "Soundtrack #1");
    assert_eq!(nodes[0]["status"], "PUBLISHED");
    assert_eq!(nodes[1]["title"], "Soundtrack #2");
    assert_eq!(nodes[1]["status"], "DRAFT");

    let credits = nodes[1]["credits"]["nodes"].as_array().expect("credits");
    assert_eq!(
        credit_of(credits, "Keum Sae-rok")["character"],
        "Do Hyeonseo"
    );
    assert_eq!(credit_of(credits, "Noh Sang-hyun")["character"], "Ji Suho");
    // Known facts only: the third actor's character is not named.
    assert_eq!(
        credit_of(credits, "Sohn Jeong-hyuck")["character"],
        Value::Null
    );
    credit_of(credits, "Choi Jungkyu");
    assert_eq!(credits.len(), 4, "{credits:?}");
}

async fn demo_details_follow_the_facts(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    // With the admin token: #2, a draft, is under embargo.
    let resp = app
        .admin(
            r#"{ seriesBySlug(slug: "soundtrack") {
                title genres
                latestInstallment { number }
                installments(first: 10) { totalCount nodes {
                  number publishedAt
                  credits(first: 10) { nodes { role debut billing person { name knownFor } } }
                  interviews(first: 10) { totalCount nodes { outlet participants { name } } }
                } }
              } }"#,
            json!({}),
        )
        .await;
    let series = &data(&resp)["seriesBySlug"];
    assert_eq!(series["title"], "Soundtrack");
    let mut genres: Vec<&str> = series["genres"]
        .as_array()
        .expect("genres")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    genres.sort_unstable();
    assert_eq!(genres, ["comedy", "music", "romance"]);
    // #1 is the published one; #2 is a draft.
    assert_eq!(series["latestInstallment"]["number"], 1);
    let installments = series["installments"]["nodes"].as_array().expect("nodes");
    assert_eq!(series["installments"]["totalCount"], 2);
    assert!(installments[0]["publishedAt"].is_string(), "{resp}");
    assert_eq!(installments[1]["publishedAt"], Value::Null);

    let second = &installments[1];
    let credits = second["credits"]["nodes"].as_array().expect("credits");
    let by_name = |name: &str| {
        credits
            .iter()
            .find(|c| c["person"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing in {credits:?}"))
    };
    assert_eq!(by_name("Keum Sae-rok")["role"], "ACTOR");
    assert_eq!(
        by_name("Keum Sae-rok")["person"]["knownFor"],
        json!(["The Interest of Love"])
    );
    assert_eq!(
        by_name("Noh Sang-hyun")["person"]["knownFor"],
        json!(["Pachinko"])
    );
    assert_eq!(by_name("Sohn Jeong-hyuck")["debut"], true);
    assert_eq!(by_name("Keum Sae-rok")["debut"], false);
    assert_eq!(by_name("Choi Jungkyu")["role"], "OTHER");
    // The director is not named in the source, so nobody is credited as DIRECTOR.
    assert!(
        credits.iter().all(|c| c["role"] != "DIRECTOR"),
        "{credits:?}"
    );

    assert_eq!(second["interviews"]["totalCount"], 1);
    let interview = &second["interviews"]["nodes"][0];
    assert_eq!(interview["outlet"], "theSun");
    let mut participants: Vec<&str> = interview["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    participants.sort_unstable();
    assert_eq!(participants, ["Keum Sae-rok", "Noh Sang-hyun"]);
    // #1 has neither credits nor interviews in the demo data.
    assert_eq!(installments[0]["interviews"]["totalCount"], 0);
}

async fn seeding_twice_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let before = snapshot(&app).await;
    assert_eq!(before["allSeries"]["totalCount"], 1, "{before}");
    assert_eq!(before["allInstallments"]["totalCount"], 2, "{before}");
    assert_eq!(before["allPeople"]["totalCount"], 4, "{before}");

    let db = premiere::db::Db::connect(&app.db.url, &settings(&app.db.url))
        .await
        .expect("connect");
    premiere::seed::seed(&db).await.expect("second seed");
    premiere::seed::seed(&db).await.expect("third seed");

    let after = snapshot(&app).await;
    assert_eq!(before, after, "seeding again changed the data");
}

db_tests!(
    demo_query_shows_both_installments_and_the_cast,
    demo_details_follow_the_facts,
    seeding_twice_changes_nothing,
);
