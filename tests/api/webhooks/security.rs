//! Who may manage webhooks, where they may point, and how they are signed.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::receiver::Receiver;
use super::support::{self, assert_refused};
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{data, error_code, Backend, TestApp};
use crate::releases::common::create_installment;

db_tests!(
    anonymous_requests_are_unauthenticated,
    private_targets_and_other_schemes_are_refused,
    deliveries_check_the_resolved_address_again,
    a_rotated_secret_signs_alongside_the_new_one_for_a_day,
);

async fn anonymous_requests_are_unauthenticated(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let receiver = Receiver::start().await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    for (query, variables) in [
        ("{ webhooks { totalCount nodes { id url } } }", json!({})),
        (
            "mutation($url: String!) { createWebhook(input: { url: $url }) { secret } }",
            json!({ "url": receiver.url }),
        ),
        (
            "mutation($id: ID!) { updateWebhook(id: $id, input: { url: \"http://127.0.0.1:1/\" }) { id } }",
            json!({ "id": id }),
        ),
        ("mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }", json!({ "id": id })),
        ("mutation($id: ID!) { deleteWebhook(id: $id) }", json!({ "id": id })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })),
    ] {
        let resp = app.query(query, variables).await;
        assert_eq!(error_code(&resp), Some("UNAUTHENTICATED"), "{query}: {resp}");
    }
    let resp = app
        .admin("{ webhooks { totalCount nodes { id url } } }", json!({}))
        .await;
    assert_eq!(data(&resp)["webhooks"]["totalCount"], 1);
    assert_eq!(
        data(&resp)["webhooks"]["nodes"][0]["url"],
        json!(receiver.url)
    );
}

async fn private_targets_and_other_schemes_are_refused(backend: Backend) {
    // The default: private targets are not allowed.
    let app = TestApp::spawn(backend).await;
    for (url, expected) in [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://localhost:9/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://10.0.0.7/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("http://192.168.1.20/hook", "private"),
        ("http://[fd12:3456::1]/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://0.0.0.0/hook", "reserved"),
        ("ftp://files.example/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("hooks.example/no-scheme", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("", "http:// or https://"),
    ] {
        let resp = support::create_raw(&app, json!({ "url": url })).await;
        assert_refused(&resp, "BAD_USER_INPUT");
        let error = &resp["errors"][0];
        assert_eq!(error["extensions"]["field"], "input.url", "{url}: {resp}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{url}: {message}");
    }
    let resp = app.admin("{ webhooks { totalCount } }", json!({})).await;
    assert_eq!(
        data(&resp)["webhooks"]["totalCount"],
        0,
        "nothing was saved"
    );
    assert_eq!(
        app.metric("premiere_webhook_deliveries_total{outcome=\"blocked\"}")
            .await,
        0.0
    );
}

async fn deliveries_check_the_resolved_address_again(backend: Backend) {
    // Saved while private targets were allowed…
    let first = support::spawn(backend, |_| {}).await;
    let mut receiver = Receiver::start().await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .expect("port")
        .split('/')
        .next()
        .expect("port");
    let by_name = format!("http://localhost:{port}/hooks/premiere");
    let (named, _) = support::create(&first, &receiver, json!({})).await;
    let resp = support::update(&first, &named, json!({ "url": by_name })).await;
    assert_eq!(data(&resp)["updateWebhook"]["url"], json!(by_name));
    let (literal, _) = support::create(&first, &receiver, json!({})).await;
    let db = first.stop().await;

    // …then delivered by a server that refuses them.
    let app = TestApp::spawn_on(db, |s| {
        support::fast(s);
        s.webhook_allow_private = false;
    })
    .await;
    let series = series_id(&app, "internal", "Internal").await;
    create_installment(&app, &series, 1, true).await;
    for (id, host) in [(&named, "localhost"), (&literal, "127.0.0.1")] {
        let attempt =
            crate::wait::until(crate::helpers::WAIT, "an attempt is recorded", || async {
                support::deliveries(&app, id, 1).await.first().cloned()
            })
            .await;
        let error = attempt["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(host) && error.contains("loopback"),
            "{attempt}"
        );
        assert!(attempt["statusCode"].is_null(), "{attempt}");
        assert!(attempt["nextAttemptAt"].is_string(), "retried: {attempt}");
    }
    // Both endpoints' attempts are recorded as blocked, and they were the only ones:
    // whatever they sent would have arrived by now.
    assert!(
        receiver.try_next(Duration::ZERO).await.is_none(),
        "nothing reached the receiver"
    );
    assert!(
        app.metric("premiere_webhook_deliveries_total{outcome=\"blocked\"}")
            .await
            >= 2.0
    );
    let resp = support::update(&app, &named, json!({ "url": "http://10.9.8.7/hook" })).await;
    assert_refused(&resp, "BAD_USER_INPUT");
    assert_eq!(support::webhook(&app, &named).await["url"], json!(by_name));
}

/// The number of `v1,` signatures in a `webhook-signature` header.
fn signatures(header: &str) -> usize {
    header.split(' ').filter(|s| s.starts_with("v1,")).count()
}

async fn a_rotated_secret_signs_alongside_the_new_one_for_a_day(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let mut receiver = Receiver::start().await;
    let (id, old) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "rotated", "Rotated").await;
    create_installment(&app, &series, 1, true).await;
    let before = receiver.next().await;
    assert!(before.verified_by(&old));
    assert_eq!(signatures(&before.signature), 1, "{}", before.signature);

    let resp = app
        .admin(
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { id } } }",
            json!({ "id": id }),
        )
        .await;
    let rotated: &Value = &data(&resp)["rotateWebhookSecret"];
    assert_eq!(rotated["webhook"]["id"], json!(id));
    let new = rotated["secret"].as_str().expect("secret").to_string();
    assert!(new.starts_with("whsec_") && new != old);
    receiver.set_secrets(&[&old, &new]);
    create_installment(&app, &series, 2, true).await;
    let during = receiver.next().await;
    assert_eq!(signatures(&during.signature), 2, "{}", during.signature);
    assert!(during.verified_by(&old), "the old secret still verifies");
    assert!(during.verified_by(&new), "the new secret verifies");

    // A day later (the overlap's end, moved to the past): the new secret only.
    let db = premiere::db::Db::connect(&app.db.url, &crate::helpers::settings(&app.db.url))
        .await
        .expect("connect");
    entity::webhook::Entity::update_many()
        .col_expr(
            entity::webhook::Column::PreviousSecretExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(Expr::col(entity::webhook::Column::PreviousSecret).is_not_null())
        .exec(db.conn())
        .await
        .expect("end the overlap");
    create_installment(&app, &series, 3, true).await;
    let after = receiver.next().await;
    assert_eq!(signatures(&after.signature), 1, "{}", after.signature);
    assert!(after.verified_by(&new));
    assert!(
        !after.verified_by(&old),
        "the old secret no longer verifies"
    );
}
