//! A statement cut off by the database (a restart, a terminated backend, a reset
//! connection) answers "the database is unavailable", not "internal error".

use serde_json::json;

use crate::helpers::{data, error_code, Backend, TestApp, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_cut_off_by_the_database_says_it_is_unavailable() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: TEST_DATABASE_URL is not set, PostgreSQL test not run");
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let pool = sea_orm::sqlx::PgPool::connect(&app.db.url)
        .await
        .expect("connect");
    // Hold the table so that the server's query waits on the lock, in the middle of
    // its statement, until its backend is terminated as a restart would.
    let mut lock = pool.begin().await.expect("begin");
    sea_orm::sqlx::query("LOCK TABLE series IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock");
    let query = {
        let client = app.client.clone();
        let url = app.url("/graphql");
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({ "query": "{ allSeries(first: 1) { totalCount } }" }))
                .send()
                .await
                .expect("sent")
                .json::<serde_json::Value>()
                .await
                .expect("JSON")
        })
    };
    // The query's backend: the dispatcher's read of the log joins `series` too, and may
    // be waiting on the same lock.
    let waiting = "SELECT pid FROM pg_stat_activity \
                   WHERE datname = current_database() AND wait_event_type = 'Lock' \
                   AND query NOT ILIKE '%release_event%'";
    let pid: i32 = crate::wait::until(WAIT, "the server's query waits on the lock", || async {
        sea_orm::sqlx::query_scalar(waiting)
            .fetch_optional(&pool)
            .await
            .expect("pg_stat_activity")
    })
    .await;
    sea_orm::sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&pool)
        .await
        .expect("terminate");
    let resp = tokio::time::timeout(WAIT, query)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(error_code(&resp), Some("INTERNAL"), "{resp}");
    assert_eq!(
        resp["errors"][0]["message"], "the database is unavailable; try again shortly",
        "{resp}"
    );
    lock.rollback().await.expect("unlock");
    pool.close().await;
    // The next query gets a fresh connection and succeeds.
    let resp = app
        .query("{ allSeries(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(data(&resp)["allSeries"]["totalCount"], 0);
}
