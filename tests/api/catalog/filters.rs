//! Every filter: SeriesFilter, InstallmentFilter, PersonFilter, and the nested
//! `status` and `role` arguments.
//!
//! Over 400 lines on purpose: one case per filter field, read as one table.

use serde_json::{json, Value};

use super::support::{
    add_credit, assert_error, create_installment, create_series, id_of, installment_id, node_ids,
    person_id, series_id,
};
use crate::db_tests;
use crate::helpers::{data, Backend, TestApp};

const SERIES_FILTERED: &str = "query($filter: SeriesFilter) {
  allSeries(first: 100, filter: $filter) { totalCount nodes { id slug } }
}";

/// The slugs `allSeries` lists for `filter`, after checking totalCount agrees.
async fn series_slugs(app: &TestApp, filter: Value) -> Vec<String> {
    let resp = app
        .query(SERIES_FILTERED, json!({ "filter": filter }))
        .await;
    let conn = &data(&resp)["allSeries"];
    let slugs: Vec<String> = conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_string())
        .collect();
    assert_eq!(
        conn["totalCount"].as_u64(),
        Some(slugs.len() as u64),
        "totalCount disagrees with the filtered list for {filter}: {resp}"
    );
    slugs
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(items: &[&str]) -> Vec<String> {
    sorted(items.iter().map(|s| s.to_string()).collect())
}

async fn series_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (slug, title, extra) in [
        (
            "soundtrack",
            "Soundtrack",
            json!({ "network": "Disney+", "genres": ["romance", "comedy", "music"] }),
        ),
        (
            "interest-of-love",
            "The Interest of Love",
            json!({ "originalTitle": "Sarangui Ihae", "network": "JTBC", "genres": ["romance", "drama"] }),
        ),
        (
            "pachinko",
            "Pachinko",
            json!({ "originalTitle": "파친코", "network": "Apple TV+", "genres": ["drama"] }),
        ),
        ("pure", "100% Pure", json!({ "network": "Disney+" })),
        ("room", "Room 404", json!({ "genres": ["thriller"] })),
        ("snake", "snake_case Stories", json!({})),
        ("snakex", "SnakeXcase Stories", json!({})),
        ("backslash", r"Back\slash", json!({})),
    ] {
        create_series(&app, slug, title, extra).await;
    }
    let everything = series_slugs(&app, Value::Null).await;
    assert_eq!(everything.len(), 8);

    // search: case-insensitive substring of the title...
    for needle in ["soundtrack", "SOUNDTRACK", "sOuNdTr", "track"] {
        assert_eq!(
            series_slugs(&app, json!({ "search": needle })).await,
            ["soundtrack"],
            "search {needle:?}"
        );
    }
    assert_eq!(
        sorted(series_slugs(&app, json!({ "search": "STORIES" })).await),
        strings(&["snake", "snakex"])
    );
    // ... or of the original title.
    assert_eq!(
        series_slugs(&app, json!({ "search": "IHAE" })).await,
        ["interest-of-love"]
    );
    assert_eq!(
        series_slugs(&app, json!({ "search": "파친" })).await,
        ["pachinko"]
    );
    // Title or original title: "love" is in one title, "rang" in one original title.
    assert_eq!(
        series_slugs(&app, json!({ "search": "rang" })).await,
        ["interest-of-love"]
    );
    // % and _ are plain characters, not wildcards.
    assert_eq!(
        series_slugs(&app, json!({ "search": "0%" })).await,
        ["pure"]
    );
    assert_eq!(series_slugs(&app, json!({ "search": "%" })).await, ["pure"]);
    assert_eq!(
        series_slugs(&app, json!({ "search": "e_c" })).await,
        ["snake"]
    );
    assert_eq!(
        series_slugs(&app, json!({ "search": "_" })).await,
        ["snake"]
    );
    assert_eq!(
        series_slugs(&app, json!({ "search": r"\" })).await,
        ["backslash"]
    );
    assert_eq!(
        series_slugs(&app, json!({ "search": r"k\s" })).await,
        ["backslash"]
    );
    assert!(series_slugs(&app, json!({ "search": "no such show" }))
        .await
        .is_empty());

    // network
    assert_eq!(
        sorted(series_slugs(&app, json!({ "network": "Disney+" })).await),
        strings(&["pure", "soundtrack"])
    );
    assert_eq!(
        series_slugs(&app, json!({ "network": "Apple TV+" })).await,
        ["pachinko"]
    );
    assert!(series_slugs(&app, json!({ "network": "Netflix" }))
        .await
        .is_empty());

    // genre: one of the series' genres.
    assert_eq!(
        sorted(series_slugs(&app, json!({ "genre": "drama" })).await),
        strings(&["interest-of-love", "pachinko"])
    );
    assert_eq!(
        sorted(series_slugs(&app, json!({ "genre": "romance" })).await),
        strings(&["interest-of-love", "soundtrack"])
    );
    assert_eq!(
        series_slugs(&app, json!({ "genre": "music" })).await,
        ["soundtrack"]
    );
    assert!(series_slugs(&app, json!({ "genre": "horror" }))
        .await
        .is_empty());

    // Every field given must match.
    assert_eq!(
        series_slugs(&app, json!({ "genre": "drama", "network": "JTBC" })).await,
        ["interest-of-love"]
    );
    assert_eq!(
        series_slugs(&app, json!({ "search": "pure", "network": "Disney+" })).await,
        ["pure"]
    );
    assert!(
        series_slugs(&app, json!({ "search": "pachinko", "network": "Disney+" }))
            .await
            .is_empty()
    );
    // An empty filter is no filter.
    assert_eq!(series_slugs(&app, json!({})).await, everything);
}

/// Case-insensitivity is not only for ASCII: a title, network or name with accented
/// capitals is found by its own spelling and by its lower or upper case.
async fn filters_fold_case_beyond_ascii(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    create_series(
        &app,
        "elite",
        "Élite",
        json!({ "originalTitle": "ÉLITE ÜBER ALLES", "network": "RTÉ" }),
    )
    .await;
    create_series(&app, "other", "Other", json!({ "network": "RTL" })).await;
    for needle in ["Élite", "élite", "ÉLITE", "über", "ÜBER"] {
        assert_eq!(
            series_slugs(&app, json!({ "search": needle })).await,
            ["elite"],
            "search {needle:?}"
        );
    }
    // The network's own spelling, exactly as stored.
    assert_eq!(
        series_slugs(&app, json!({ "network": "RTÉ" })).await,
        ["elite"],
        "network RTÉ"
    );
    person_id(&app, "Émile Östberg").await;
    person_id(&app, "Emil Ostberg").await;
    for needle in ["Émile", "émile", "ÖSTBERG", "östberg"] {
        assert_eq!(
            people_names(&app, needle).await,
            ["Émile Östberg"],
            "person search {needle:?}"
        );
    }
}

const INSTALLMENTS_FILTERED: &str = "query($filter: InstallmentFilter) {
  allInstallments(first: 100, filter: $filter) { totalCount nodes { id } }
}";

/// The installments `allInstallments` lists for `filter`, as the admin sees them (the
/// public sees no DRAFT or SCHEDULED ones; see `hostile::embargo`).
async fn installment_ids(app: &TestApp, filter: Value) -> Vec<String> {
    let resp = app
        .admin(INSTALLMENTS_FILTERED, json!({ "filter": filter }))
        .await;
    let conn = &data(&resp)["allInstallments"];
    let ids = node_ids(conn);
    assert_eq!(
        conn["totalCount"].as_u64(),
        Some(ids.len() as u64),
        "totalCount disagrees with the list for {filter}: {resp}"
    );
    sorted(ids)
}

async fn installment_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = series_id(&app, "alpha", "Alpha").await;
    let b = series_id(&app, "beta", "Beta").await;
    let a1 = id_of(&create_installment(&app, &a, 1, json!({ "publish": true })).await);
    let a2 = installment_id(&app, &a, 2).await;
    let a3 = id_of(
        &create_installment(
            &app,
            &a,
            3,
            json!({ "publish": true, "releaseAt": "2999-01-01T00:00:00Z" }),
        )
        .await,
    );
    let b1 = installment_id(&app, &b, 1).await;
    let b2 = id_of(&create_installment(&app, &b, 2, json!({ "publish": true })).await);

    let all = installment_ids(&app, Value::Null).await;
    assert_eq!(
        all,
        sorted(vec![
            a1.clone(),
            a2.clone(),
            a3.clone(),
            b1.clone(),
            b2.clone()
        ])
    );
    assert_eq!(
        installment_ids(&app, json!({ "seriesId": a })).await,
        sorted(vec![a1.clone(), a2.clone(), a3.clone()])
    );
    assert_eq!(
        installment_ids(&app, json!({ "seriesId": b })).await,
        sorted(vec![b1.clone(), b2.clone()])
    );
    assert_eq!(
        installment_ids(&app, json!({ "status": "DRAFT" })).await,
        sorted(vec![a2.clone(), b1.clone()])
    );
    assert_eq!(
        installment_ids(&app, json!({ "status": "PUBLISHED" })).await,
        sorted(vec![a1.clone(), b2.clone()])
    );
    assert_eq!(
        installment_ids(&app, json!({ "status": "SCHEDULED" })).await,
        vec![a3.clone()]
    );
    assert_eq!(
        installment_ids(&app, json!({ "seriesId": b, "status": "PUBLISHED" })).await,
        vec![b2.clone()]
    );
    // A well-formed ID of a series that does not exist matches nothing.
    let deleted = series_id(&app, "gone", "Gone").await;
    let resp = app
        .admin(
            "mutation($id: ID!) { deleteSeries(id: $id) }",
            json!({ "id": deleted }),
        )
        .await;
    data(&resp);
    assert!(installment_ids(&app, json!({ "seriesId": deleted }))
        .await
        .is_empty());

    // The ID of something else is bad input, not an empty list or an internal error.
    let person = person_id(&app, "Not A Series").await;
    for bad in [json!(person), json!(a1), json!("junk")] {
        let resp = app
            .query(
                INSTALLMENTS_FILTERED,
                json!({ "filter": { "seriesId": bad } }),
            )
            .await;
        assert_error(&resp, "BAD_USER_INPUT", Some("filter.seriesId"));
    }
    let resp = app
        .query(
            INSTALLMENTS_FILTERED,
            json!({ "filter": { "status": "RELEASED" } }),
        )
        .await;
    assert_error(&resp, "BAD_USER_INPUT", None);
    let resp = app
        .query(
            INSTALLMENTS_FILTERED,
            json!({ "filter": { "releasedAfter": "last tuesday" } }),
        )
        .await;
    assert_error(&resp, "BAD_USER_INPUT", None);
}

async fn release_date_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "back-catalogue", "Back Catalogue").await;
    // Back-catalogue installments, published with the dates they were released.
    let mut released = Vec::new();
    for (number, at) in [
        (1, "2019-03-01T00:00:00Z"),
        (2, "2021-03-01T00:00:00Z"),
        (3, "2023-03-01T00:00:00+09:00"),
    ] {
        let created = create_installment(
            &app,
            &series,
            number,
            json!({ "publish": true, "releaseAt": at }),
        )
        .await;
        assert_eq!(created["status"], "PUBLISHED", "{created}");
        released.push(id_of(&created));
    }
    // A draft without a date is not released at all.
    installment_id(&app, &series, 4).await;

    let [r2019, r2021, r2023] = [&released[0], &released[1], &released[2]].map(String::clone);
    assert_eq!(
        installment_ids(&app, json!({ "releasedAfter": "2020-01-01T00:00:00Z" })).await,
        sorted(vec![r2021.clone(), r2023.clone()]),
        "releasedAfter 2020"
    );
    assert_eq!(
        installment_ids(&app, json!({ "releasedBefore": "2022-01-01T00:00:00Z" })).await,
        sorted(vec![r2019.clone(), r2021.clone()]),
        "releasedBefore 2022"
    );
    assert_eq!(
        installment_ids(
            &app,
            json!({
                "releasedAfter": "2020-01-01T00:00:00Z",
                "releasedBefore": "2022-01-01T00:00:00Z",
            })
        )
        .await,
        vec![r2021.clone()],
        "released in 2020-2021"
    );
    // Offsets are honoured: 2023-03-01T00:00+09:00 is 2023-02-28T15:00Z.
    assert_eq!(
        installment_ids(&app, json!({ "releasedAfter": "2023-02-28T16:00:00Z" })).await,
        Vec::<String>::new(),
    );
    assert_eq!(
        installment_ids(&app, json!({ "releasedAfter": "2023-02-28T14:00:00Z" })).await,
        vec![r2023.clone()],
    );
    assert!(
        installment_ids(&app, json!({ "releasedAfter": "2030-01-01T00:00:00Z" }))
            .await
            .is_empty()
    );
    assert_eq!(
        installment_ids(
            &app,
            json!({ "releasedAfter": "2000-01-01T00:00:00Z", "status": "PUBLISHED" })
        )
        .await,
        sorted(released.clone()),
    );
}

const PEOPLE_FILTERED: &str = "query($filter: PersonFilter) {
  allPeople(first: 100, filter: $filter) { totalCount nodes { name } }
}";

async fn people_names(app: &TestApp, search: &str) -> Vec<String> {
    let resp = app
        .query(PEOPLE_FILTERED, json!({ "filter": { "search": search } }))
        .await;
    let conn = &data(&resp)["allPeople"];
    let names: Vec<String> = conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(
        conn["totalCount"].as_u64(),
        Some(names.len() as u64),
        "{resp}"
    );
    sorted(names)
}

async fn person_filter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for name in [
        "Keum Sae-rok",
        "Noh Sang-hyun",
        "Sohn Jeong-hyuck",
        "Choi Jungkyu",
        "Ann_Lee",
        "AnnXLee",
        "Mister 100%",
    ] {
        person_id(&app, name).await;
    }
    assert_eq!(people_names(&app, "SAE-ROK").await, ["Keum Sae-rok"]);
    assert_eq!(people_names(&app, "sae").await, ["Keum Sae-rok"]);
    assert_eq!(
        people_names(&app, "SANG").await,
        ["Noh Sang-hyun"],
        "substring, case-insensitive"
    );
    assert_eq!(people_names(&app, "JUNG").await, ["Choi Jungkyu"]);
    assert_eq!(
        people_names(&app, "-").await,
        strings(&["Keum Sae-rok", "Noh Sang-hyun", "Sohn Jeong-hyuck"])
    );
    assert_eq!(people_names(&app, "n_l").await, ["Ann_Lee"]);
    assert_eq!(people_names(&app, "%").await, ["Mister 100%"]);
    assert!(people_names(&app, "nobody").await.is_empty());
    assert_eq!(people_names(&app, "").await.len(), 7);
}

const NESTED: &str = "query($id: ID!, $status: InstallmentStatus) {
  node(id: $id) {
    ... on Series {
      installments(first: 100, status: $status) { totalCount nodes { id status } }
      latestInstallment { id }
    }
  }
}";

const CREDITS_BY_ROLE: &str = "query($id: ID!, $role: CreditRole) {
  node(id: $id) {
    ... on Installment {
      credits(first: 100, role: $role) { totalCount nodes { id role } }
    }
  }
}";

async fn nested_status_and_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let series = series_id(&app, "nested", "Nested").await;
    let other = series_id(&app, "other", "Other").await;
    let p1 = id_of(&create_installment(&app, &series, 1, json!({ "publish": true })).await);
    let d2 = installment_id(&app, &series, 2).await;
    let p3 = id_of(&create_installment(&app, &series, 3, json!({ "publish": true })).await);
    let d4 = installment_id(&app, &series, 4).await;
    let s5 = id_of(
        &create_installment(
            &app,
            &series,
            5,
            json!({ "publish": true, "releaseAt": "2999-01-01T00:00:00Z" }),
        )
        .await,
    );
    // Another series' installments never show up.
    create_installment(&app, &other, 1, json!({ "publish": true })).await;
    installment_id(&app, &other, 2).await;

    let expect = [
        (Value::Null, vec![&p1, &d2, &p3, &d4, &s5]),
        (json!("PUBLISHED"), vec![&p1, &p3]),
        (json!("DRAFT"), vec![&d2, &d4]),
        (json!("SCHEDULED"), vec![&s5]),
    ];
    for (status, ids) in expect {
        let resp = app
            .admin(NESTED, json!({ "id": series, "status": status }))
            .await;
        let conn = &data(&resp)["node"]["installments"];
        let expected: Vec<String> = ids.into_iter().cloned().collect();
        assert_eq!(node_ids(conn), expected, "status {status}");
        assert_eq!(conn["totalCount"].as_u64(), Some(expected.len() as u64));
        if let Some(status) = status.as_str() {
            assert!(
                conn["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .all(|n| n["status"] == status),
                "{resp}"
            );
        }
        // The latest published installment is #3, whatever the status argument.
        assert_eq!(data(&resp)["node"]["latestInstallment"]["id"], json!(p3));
    }

    let people = [
        person_id(&app, "Actor One").await,
        person_id(&app, "Actor Two").await,
        person_id(&app, "The Director").await,
        person_id(&app, "The Composer").await,
    ];
    let mut credits: Vec<(String, &str)> = Vec::new();
    for (person, role) in [
        (&people[0], "ACTOR"),
        (&people[2], "DIRECTOR"),
        (&people[1], "ACTOR"),
        (&people[3], "COMPOSER"),
        (&people[2], "WRITER"),
    ] {
        let credit = add_credit(&app, &p1, person, role, json!({})).await;
        credits.push((id_of(&credit), role));
    }
    // Credits on another installment are not counted.
    add_credit(&app, &d2, &people[0], "ACTOR", json!({})).await;

    for role in [
        Value::Null,
        json!("ACTOR"),
        json!("DIRECTOR"),
        json!("WRITER"),
        json!("COMPOSER"),
        json!("PRODUCER"),
        json!("OTHER"),
    ] {
        let resp = app
            .query(CREDITS_BY_ROLE, json!({ "id": p1, "role": role }))
            .await;
        let conn = &data(&resp)["node"]["credits"];
        let expected: Vec<String> = credits
            .iter()
            .filter(|(_, r)| role.is_null() || role == *r)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(node_ids(conn), expected, "role {role}");
        assert_eq!(
            conn["totalCount"].as_u64(),
            Some(expected.len() as u64),
            "role {role}: {resp}"
        );
    }
}

db_tests!(
    series_filters,
    filters_fold_case_beyond_ascii,
    installment_filters,
    release_date_filters,
    person_filter,
    nested_status_and_role,
);
