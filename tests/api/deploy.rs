//! Deploys: replicas of the real `premiere` binary started together on a fresh
//! PostgreSQL database (run when `TEST_DATABASE_URL` is set).

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{Backend, TestDb, TOKEN, WAIT};

/// Processes started at once per round, and rounds (each on a fresh database).
const REPLICAS: usize = 4;
const ROUNDS: usize = 3;

/// A `premiere serve` child process, killed when dropped.
struct Replica {
    child: Child,
    addr: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts `premiere serve` on port 0 over `url`, without waiting for it.
fn start(url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_premiere"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("PREMIERE_LISTEN", "127.0.0.1:0")
        .env("PREMIERE_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("premiere starts")
}

/// Waits for the child to print the address it serves on; a child that exits first
/// fails the test with what it printed.
async fn serving(mut child: Child) -> Replica {
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(WAIT * 3, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(addr) = line.strip_prefix("Premiere is serving on http://") {
                return Some(addr.trim().to_string());
            }
        }
        None
    })
    .await
    .expect("the replica starts in time");
    let Some(addr) = found else {
        let mut errors = String::new();
        let mut stderr = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = stderr.next_line().await {
            errors.push_str(&line);
            errors.push('\n');
        }
        let status = child.wait().await.expect("exit status");
        panic!("a replica exited ({status}) before serving:\n{errors}");
    };
    // Keep draining its output so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    tokio::spawn(async move {
        let mut stderr = BufReader::new(stderr).lines();
        while let Ok(Some(_)) = stderr.next_line().await {}
    });
    Replica { child, addr }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_started_together_on_a_fresh_database_all_serve() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: TEST_DATABASE_URL is not set, deploy test not run");
        return;
    }
    let client = reqwest::Client::new();
    let migrations = {
        use migration::MigratorTrait;
        migration::Migrator::migrations().len() as i64
    };
    for round in 0..ROUNDS {
        let db = TestDb::new(Backend::Postgres).await;
        let children: Vec<Child> = (0..REPLICAS).map(|_| start(&db.url)).collect();
        let mut replicas = Vec::new();
        for child in children {
            replicas.push(serving(child).await);
        }
        for replica in &replicas {
            let status = client
                .get(format!("http://{}/readyz", replica.addr))
                .send()
                .await
                .expect("readyz answers")
                .status();
            assert!(status.is_success(), "round {round}: /readyz is {status}");
        }
        let pool = sea_orm::sqlx::PgPool::connect(&db.url).await.expect("pool");
        let (rows, versions): (i64, i64) = sea_orm::sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT version) FROM seaql_migrations",
        )
        .fetch_one(&pool)
        .await
        .expect("migration records");
        assert_eq!(
            (rows, versions),
            (migrations, migrations),
            "round {round}: each migration is applied exactly once"
        );
        pool.close().await;
        drop(replicas);
    }
}
