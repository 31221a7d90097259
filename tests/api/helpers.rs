//! Spawning the server and talking to it.

use std::time::Duration;

use premiere::{Application, Settings};
use serde_json::{json, Value};

pub use crate::ws_client::{Protocol, WsClient};

pub const TOKEN: &str = "test-admin-token";
/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(10);

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defines each test once per backend: `name::sqlite` always, `name::postgres` when
/// `TEST_DATABASE_URL` is set (it prints that it was skipped otherwise).
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if std::env::var("TEST_DATABASE_URL").is_err() {
                        eprintln!("skipped: TEST_DATABASE_URL is not set, PostgreSQL test not run");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// A fresh database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    /// A fresh database holding the demo data, seeded before any server runs on it
    /// (on SQLite, a second writer beside a running server can be refused as busy).
    pub async fn seeded(backend: Backend) -> TestDb {
        let db = TestDb::new(backend).await;
        let conn = premiere::db::Db::connect(&db.url, &settings(&db.url))
            .await
            .expect("connect");
        premiere::seed::seed(&conn).await.expect("seed");
        conn.conn().clone().close().await.expect("close");
        db
    }

    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("premiere_test_{}", uuid_like());
                let pool = sea_orm::sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sea_orm::sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                let url = replace_database(&admin_url, &name);
                TestDb {
                    url,
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            return;
        };
        // Drop the database from a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(pool) = sea_orm::sqlx::PgPool::connect(&admin_url).await {
                    let _ = sea_orm::sqlx::query(&format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    ))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A running server over its own database.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

pub fn settings(url: &str) -> Settings {
    let mut settings = Settings::for_database(url);
    settings.admin_token = Some(TOKEN.into());
    settings.shutdown_timeout_secs = 2;
    // The catalogue's whole-database SNAPSHOT asks for 100 × 100 × 100 nested nodes,
    // far over the default complexity limit (connections multiply by `first`/`last`);
    // the tests of the limits themselves restore the default.
    settings.max_complexity = 100_000_000;
    settings
}

impl TestApp {
    /// A server over a fresh, empty database.
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend).await;
        TestApp::spawn_on(db, |_| {}).await
    }

    /// A server over a fresh database holding the demo data.
    pub async fn spawn_seeded(backend: Backend) -> TestApp {
        TestApp::spawn_on(TestDb::seeded(backend).await, |_| {}).await
    }

    /// A server over `db`, with settings adjusted by `tweak`.
    pub async fn spawn_on(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = settings(&db.url);
        tweak(&mut settings);
        let app = Application::build(settings).await.expect("server starts");
        let addr = app.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let _ = app
                .run_until(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        TestApp {
            addr,
            client: reqwest::Client::new(),
            db,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// Stops the server (graceful shutdown) and returns its database for a restart.
    pub async fn stop(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(WAIT, handle).await;
        }
        std::mem::replace(
            &mut self.db,
            TestDb {
                url: String::new(),
                _dir: None,
                pg_name: None,
            },
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql", self.addr)
    }

    /// POSTs a GraphQL request, with the admin token when `admin`.
    pub async fn post(&self, query: &str, variables: Value, admin: bool) -> Value {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if admin {
            req = req.bearer_auth(TOKEN);
        }
        let resp = req.send().await.expect("request sent");
        resp.json().await.expect("JSON response")
    }

    /// A query without credentials.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.post(query, variables, false).await
    }

    /// A request with the admin token.
    pub async fn admin(&self, query: &str, variables: Value) -> Value {
        self.post(query, variables, true).await
    }

    /// The server's count of SQL statements run so far.
    pub async fn statements(&self) -> u64 {
        self.metric("premiere_sql_statements_total").await as u64
    }

    /// A value from `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|rest| rest.trim().parse::<f64>().ok())
            })
            .unwrap_or_else(|| panic!("metric {name} not found in:\n{text}"))
    }

    /// Waits (polling `/metrics`, with a timeout) until `name` reaches `value`.
    pub async fn wait_metric_at_least(&self, name: &str, value: f64) {
        self.wait_metric(name, |v| v >= value, &format!("reached {value}"))
            .await;
    }

    /// Waits (polling `/metrics`, with a timeout) until `name` is down to `value`.
    pub async fn wait_metric_at_most(&self, name: &str, value: f64) {
        self.wait_metric(name, |v| v <= value, &format!("came down to {value}"))
            .await;
    }

    async fn wait_metric(&self, name: &str, done: impl Fn(f64) -> bool, what: &str) {
        let what = format!("{name} {what}");
        crate::wait::until(WAIT, &what, || async {
            done(self.metric(name).await).then_some(())
        })
        .await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(resp: &Value) -> Option<&str> {
    resp["errors"][0]["extensions"]["code"].as_str()
}

/// Asserts a response has no errors and returns its data.
pub fn data(resp: &Value) -> &Value {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    &resp["data"]
}

impl TestDb {
    /// The database of another replica: same URL, not dropped by this handle.
    pub fn shared(url: &str) -> TestDb {
        TestDb {
            url: url.to_string(),
            _dir: None,
            pg_name: None,
        }
    }
}
