//! The delivering process dies (kill -9 of the real `premiere` binary), and replicas
//! compete for endpoints: nothing is lost, and nothing acknowledged is sent again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::receiver::{Delivery, Receiver, Reply};
use super::support::{self, acknowledged, log_cursors};
use crate::db_tests;
use crate::helpers::{Backend, TestApp, TestDb, TOKEN, WAIT};
use crate::releases::common::publish_many;

db_tests!(a_killed_deliverer_loses_nothing_and_repeats_only_the_unacknowledged);

/// The real server binary, as a child process that can be killed with SIGKILL.
struct Server {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(database_url: &str, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_premiere"));
        command
            .current_dir(dir.path())
            .env("DATABASE_URL", database_url)
            .env("PREMIERE_LISTEN", "127.0.0.1:0")
            .env("PREMIERE_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("premiere starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = tokio::time::timeout(WAIT * 3, async {
            while let Some(line) = lines.next_line().await.expect("stdout line") {
                if let Some(rest) = line.strip_prefix("Premiere is serving on http://") {
                    return rest.trim().parse::<SocketAddr>().expect("address");
                }
            }
            panic!("premiere exited before serving");
        })
        .await
        .expect("premiere serves in time");
        // Keep reading, so that the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server {
            child,
            addr,
            _dir: dir,
        }
    }

    async fn admin(&self, query: &str, variables: Value) -> Value {
        let resp: Value = reqwest::Client::new()
            .post(format!("http://{}/graphql", self.addr))
            .bearer_auth(TOKEN)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        assert!(resp.get("errors").is_none(), "{resp}");
        resp["data"].clone()
    }

    async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reaped");
    }
}

/// The installment number of a delivery.
fn number(delivery: &Delivery) -> i64 {
    delivery.body["data"]["installment"]["number"]
        .as_i64()
        .expect("number")
}

async fn a_killed_deliverer_loses_nothing_and_repeats_only_the_unacknowledged(backend: Backend) {
    let db = TestDb::new(backend).await;
    let doomed = Server::start(
        &db.url,
        &[
            ("PREMIERE_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("PREMIERE_WEBHOOK_TIMEOUT_MS", "2000"),
            ("PREMIERE_WEBHOOK_LEASE_MS", "4000"),
        ],
    )
    .await;
    // Number 6 is held open the first time: the kill comes while it is in flight.
    let mut held = false;
    let mut receiver = Receiver::scripted(move |delivery, _| {
        if number(delivery) == 6 && !held {
            held = true;
            Reply::Hang
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let series = doomed
        .admin(
            "mutation { createSeries(input: { slug: \"killed\", title: \"Killed\" }) { id } }",
            json!({}),
        )
        .await["createSeries"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let created = doomed
        .admin(
            "mutation($url: String!) { createWebhook(input: { url: $url }) { secret webhook { id } } }",
            json!({ "url": receiver.url }),
        )
        .await;
    let secret = created["createWebhook"]["secret"].as_str().expect("secret");
    receiver.set_secrets(&[secret]);
    for number in 1..=10 {
        doomed
            .admin(
                "mutation($s: ID!, $n: Int!) { createInstallment(input: { seriesId: $s, number: $n, publish: true }) { id } }",
                json!({ "s": series, "n": number }),
            )
            .await;
    }
    let mut seen = Vec::new();
    while seen.last().map(number) != Some(6) {
        seen.push(receiver.next().await);
    }
    assert_eq!(seen.last().map(|d| d.reply), Some(Reply::Hang));
    doomed.kill_9().await;

    // Another process takes over once the dead one's lease has expired.
    let heir = TestApp::spawn_on(TestDb::shared(&db.url), support::fast).await;
    seen.extend(receiver.until_acknowledged(5, WAIT * 2).await);
    let expected = log_cursors(&heir, json!({})).await;
    assert_eq!(acknowledged(&seen), expected, "nothing lost, in order");
    let numbers: Vec<i64> = seen.iter().map(number).collect();
    assert_eq!(
        numbers,
        vec![1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10],
        "only the unacknowledged event was sent again"
    );
    assert_eq!(seen[5].id, seen[6].id, "with the same webhook-id");
    drop(heir);
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_compete_for_endpoints_and_deliver_each_event_once() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: TEST_DATABASE_URL is not set, replica webhook test not run");
        return;
    }
    let a = support::spawn(Backend::Postgres, |_| {}).await;
    let b = TestApp::spawn_on(TestDb::shared(&a.db.url), support::fast).await;
    let mut receivers = Vec::new();
    for n in 0..4 {
        let receiver = Receiver::start().await;
        let through = if n % 2 == 0 { &a } else { &b };
        support::create(through, &receiver, json!({})).await;
        receivers.push(receiver);
    }
    let series = crate::fixtures::series_id(&a, "raced", "Raced").await;
    let (_, _) = tokio::join!(
        publish_many(&a, &series, 1..21, None),
        publish_many(&b, &series, 21..41, None),
    );
    // A leaves mid-way; B takes over the endpoints A held.
    let mut seen: Vec<Vec<Delivery>> = Vec::new();
    for receiver in receivers.iter_mut() {
        seen.push(receiver.until_acknowledged(10, WAIT).await);
    }
    let ok = "premiere_webhook_deliveries_total{outcome=\"ok\"}";
    // Which replica claims which endpoint is up to the race between them (on a busy
    // machine one may claim all four); together they delivered everything so far. A
    // delivery is counted once its 2xx is recorded, just after the receiver answered.
    crate::wait::until(
        WAIT,
        "the replicas delivered to the endpoints they claimed",
        || async { (a.metric(ok).await + b.metric(ok).await >= 40.0).then_some(()) },
    )
    .await;
    let db = a.stop().await;
    publish_many(&b, &series, 41..51, None).await;
    let expected = log_cursors(&b, json!({})).await;
    assert_eq!(expected.len(), 50);
    for (receiver, seen) in receivers.iter_mut().zip(seen.iter_mut()) {
        let acknowledged_so_far = acknowledged(seen).len();
        seen.extend(
            receiver
                .until_acknowledged(50 - acknowledged_so_far, WAIT * 2)
                .await,
        );
        assert_eq!(acknowledged(seen), expected, "every event, in order");
        let mut per_id: HashMap<&str, usize> = HashMap::new();
        for delivery in seen.iter() {
            *per_id.entry(delivery.id.as_str()).or_default() += 1;
        }
        assert!(
            per_id.values().all(|n| *n == 1),
            "each event delivered once: {per_id:?}"
        );
    }
    drop(b);
    drop(db);
}
