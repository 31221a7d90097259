//! Receivers that fail: retried with backoff until they acknowledge, in order, with
//! stable webhook-ids; 410 and an exhausted retry budget disable; one endpoint's
//! failures never delay another's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::receiver::{Receiver, Reply};
use super::support::{self, acknowledged, log_cursors};
use crate::db_tests;
use crate::fixtures::series_id;
use crate::helpers::{Backend, WAIT};
use crate::releases::common::{create_installment, publish_many};

db_tests!(
    a_receiver_that_was_down_gets_everything_in_order_once,
    gone_disables_the_endpoint_until_it_is_re_enabled,
    a_slow_receiver_times_out_and_is_retried,
    one_failing_endpoint_never_delays_another,
    failing_beyond_the_retry_budget_disables_the_endpoint,
);

async fn a_receiver_that_was_down_gets_everything_in_order_once(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let up = Arc::new(AtomicBool::new(false));
    let flag = up.clone();
    let mut receiver = Receiver::scripted(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Reply::Status(200)
        } else {
            Reply::Status(503)
        }
    })
    .await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "down", "Down").await;
    publish_many(&app, &series, 1..16, None).await;

    // While it is down, only the first event is tried, again and again, under one id.
    let mut failed = Vec::new();
    while failed.len() < 4 {
        failed.push(receiver.next().await);
    }
    assert!(failed.iter().all(|d| d.reply == Reply::Status(503)));
    assert!(
        failed.iter().all(|d| d.id == failed[0].id),
        "stable webhook-id"
    );
    assert!(failed.iter().all(|d| d.cursor() == failed[0].cursor()));
    up.store(true, Ordering::SeqCst);

    let mut all = failed;
    all.extend(receiver.until_acknowledged(15, WAIT).await);
    let expected = log_cursors(&app, json!({})).await;
    assert_eq!(acknowledged(&all), expected, "everything, in order, once");
    let mut ids: HashMap<&str, &str> = HashMap::new();
    for delivery in &all {
        let id = ids.entry(delivery.cursor()).or_insert(&delivery.id);
        assert_eq!(
            *id, delivery.id,
            "one webhook-id per event, on every attempt"
        );
    }
    assert!(all[0].id.starts_with("msg_"), "{}", all[0].id);
    assert_eq!(ids.len(), 15);

    support::wait_for(&app, &id, |h| {
        h["acknowledgedCursor"] == json!(expected.last())
    })
    .await;
    let history = support::deliveries(&app, &id, 100).await;
    assert_eq!(history.len(), all.len(), "every attempt is recorded");
    let oldest_first: Vec<_> = history.iter().rev().collect();
    for (n, attempt) in oldest_first.iter().take(all.len() - 15 + 1).enumerate() {
        assert_eq!(attempt["messageId"], json!(all[0].id), "{attempt}");
        assert_eq!(attempt["attempt"], json!(n + 1), "{attempt}");
    }
    let first_ok = oldest_first[all.len() - 15];
    assert_eq!(first_ok["statusCode"], 200, "{first_ok}");
    assert!(first_ok["nextAttemptAt"].is_null(), "{first_ok}");
    let first_failure = oldest_first[0];
    assert_eq!(first_failure["statusCode"], 503, "{first_failure}");
    assert!(
        first_failure["error"]
            .as_str()
            .unwrap_or_default()
            .contains("503"),
        "{first_failure}"
    );
    assert!(
        first_failure["nextAttemptAt"].is_string(),
        "{first_failure}"
    );
}

async fn gone_disables_the_endpoint_until_it_is_re_enabled(backend: Backend) {
    let app = support::spawn(backend, |_| {}).await;
    let mut gone = Receiver::scripted(|_, _| Reply::Status(410)).await;
    let mut witness = Receiver::start().await;
    let (id, _) = support::create(&app, &gone, json!({})).await;
    support::create(&app, &witness, json!({})).await;
    let series = series_id(&app, "gone", "Gone").await;

    create_installment(&app, &series, 1, true).await;
    let first = gone.next().await;
    assert_eq!(first.reply, Reply::Status(410));
    witness.next().await;
    let hook = support::wait_for(&app, &id, |h| h["enabled"] == false).await;
    assert!(
        hook["disabledReason"]
            .as_str()
            .unwrap_or_default()
            .contains("410"),
        "{hook}"
    );
    assert!(hook["acknowledgedCursor"].is_null(), "{hook}");

    create_installment(&app, &series, 2, true).await;
    witness.next().await;
    // Nothing so far; and once re-enabled, its first delivery is event 1 again (below):
    // a delivery of event 2 while disabled would have come before it.
    assert!(
        gone.try_next(Duration::ZERO).await.is_none(),
        "a disabled endpoint gets nothing"
    );
    assert_eq!(support::deliveries(&app, &id, 10).await.len(), 1);

    gone.set_script(|_, _| Reply::Status(204));
    let hook = support::update(&app, &id, json!({ "enabled": true })).await;
    let hook = &crate::helpers::data(&hook)["updateWebhook"];
    assert_eq!(hook["enabled"], true, "{hook}");
    assert!(hook["disabledReason"].is_null(), "{hook}");
    let again = gone.next().await;
    assert_eq!(
        again.id, first.id,
        "the unacknowledged event comes again, same id"
    );
    let next = gone.next().await;
    assert_eq!(
        vec![again.cursor().to_string(), next.cursor().to_string()],
        log_cursors(&app, json!({})).await
    );
}

async fn a_slow_receiver_times_out_and_is_retried(backend: Backend) {
    let app = support::spawn(backend, |s| s.webhook_timeout_ms = 500).await;
    let mut receiver = Receiver::scripted(|_, n| {
        if n == 0 {
            Reply::Hang
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "slow", "Slow").await;
    create_installment(&app, &series, 1, true).await;

    let hung = receiver.next().await;
    let started = Instant::now();
    let retried = receiver.next().await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hung.reply, Reply::Hang);
    assert_eq!(retried.reply, Reply::Status(200));
    assert_eq!(hung.id, retried.id);

    support::wait_for(&app, &id, |h| h["acknowledgedCursor"].is_string()).await;
    let history = support::deliveries(&app, &id, 10).await;
    assert_eq!(history.len(), 2, "{history:?}");
    let (ok, timed_out) = (&history[0], &history[1]);
    assert_eq!(ok["attempt"], 2);
    assert_eq!(ok["statusCode"], 200);
    assert_eq!(timed_out["attempt"], 1);
    assert!(timed_out["statusCode"].is_null(), "{timed_out}");
    assert!(
        timed_out["error"]
            .as_str()
            .unwrap_or_default()
            .contains("500 ms"),
        "{timed_out}"
    );
    let duration = timed_out["durationMs"].as_i64().expect("durationMs");
    assert!((500..5_000).contains(&duration), "{timed_out}");
    assert!(timed_out["nextAttemptAt"].is_string(), "{timed_out}");
    assert_eq!(
        app.metric("premiere_webhook_deliveries_total{outcome=\"timeout\"}")
            .await,
        1.0
    );
}

async fn one_failing_endpoint_never_delays_another(backend: Backend) {
    let app = support::spawn(backend, |s| {
        s.webhook_timeout_ms = 5_000;
        s.webhook_lease_ms = 10_000;
    })
    .await;
    let mut stuck = Receiver::scripted(|_, _| Reply::Hang).await;
    let mut healthy = Receiver::start().await;
    support::create(&app, &stuck, json!({})).await;
    support::create(&app, &healthy, json!({})).await;
    let series = series_id(&app, "isolated", "Isolated").await;
    let started = Instant::now();
    publish_many(&app, &series, 1..6, None).await;
    stuck.next().await;
    let got = healthy.until_acknowledged(5, WAIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the healthy endpoint waited for the stuck one: {:?}",
        started.elapsed()
    );
    assert_eq!(acknowledged(&got), log_cursors(&app, json!({})).await);
}

async fn failing_beyond_the_retry_budget_disables_the_endpoint(backend: Backend) {
    let app = support::spawn(backend, |s| {
        s.webhook_retry_budget_secs = 1;
        s.webhook_retry_min_ms = 50;
    })
    .await;
    let mut receiver = Receiver::scripted(|_, _| Reply::Status(500)).await;
    let (id, _) = support::create(&app, &receiver, json!({})).await;
    let series = series_id(&app, "budget", "Budget").await;
    create_installment(&app, &series, 1, true).await;
    receiver.next().await;
    let hook = support::wait_for(&app, &id, |h| h["enabled"] == false).await;
    let reason = hook["disabledReason"].as_str().unwrap_or_default();
    assert!(reason.contains("retry budget"), "{hook}");
    assert!(reason.contains("500"), "{hook}");
    let history = support::deliveries(&app, &id, 100).await;
    assert!(history.len() >= 2, "{history:?}");
    assert!(
        history.iter().all(|d| d["statusCode"] == 500),
        "{history:?}"
    );
    assert!(
        history[0]["nextAttemptAt"].is_null(),
        "the last attempt: {}",
        history[0]
    );
}
