//! The database handle: connection pool, migrations, the SQLite write lock behind
//! write transactions, and the statement counter behind `/metrics`. What a write owes
//! others (the release log, NOTIFY, wake-ups) is `catalog::write` and
//! `releases::outbox`, not this.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, Statement, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::{Settings, DEFAULT_DATABASE_FILE};
use crate::error::{Error, Result};

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite allows one writer at a time: writers of this process queue here instead
    /// of failing with SQLITE_BUSY. `None` on PostgreSQL.
    write_lock: Option<Arc<Mutex<()>>>,
    statements: Arc<AtomicU64>,
}

/// Where the database is and whether it was just created.
pub struct Target {
    pub url: String,
    /// True when the default SQLite file did not exist before start-up.
    pub created_default: bool,
}

/// Resolves the database URL, defaulting to a SQLite file in the working directory.
pub fn target(settings: &Settings) -> Target {
    match &settings.database_url {
        Some(url) => Target {
            url: url.clone(),
            created_default: false,
        },
        None => Target {
            url: format!("sqlite://{DEFAULT_DATABASE_FILE}?mode=rwc"),
            created_default: !std::path::Path::new(DEFAULT_DATABASE_FILE).exists(),
        },
    }
}

impl Db {
    /// Connects (creating a missing SQLite file) and applies pending migrations.
    pub async fn connect(url: &str, settings: &Settings) -> anyhow::Result<Self> {
        let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_string()
        };
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(settings.db_max_connections)
            .min_connections(1)
            .acquire_timeout(settings.db_acquire_timeout())
            .connect_timeout(settings.db_acquire_timeout())
            // sqlx pings every connection on release already (sqlx-core 0.8
            // `return_to_pool`), closing a broken one; its default ping before every
            // acquire as well cost a second round trip per statement and ~4.8% of the
            // server's CPU in the catalogue-read profile (BENCHMARKS.md).
            .test_before_acquire(false)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // What SQLite advises for long-lived connections: gather the
                    // planner's statistics when a table has none or stale ones. Without
                    // them it read a series' installments through the status index,
                    // every published row of the catalogue (7 ms instead of 1 ms at
                    // 20,000 installments; BENCHMARKS.md).
                    .analysis_limit(1000)
                    .pragma("optimize", "0x10002")
            });
        let mut conn = Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_info| {
            counter.fetch_add(1, Ordering::Relaxed);
            // The callback runs on the task that ran the statement.
            let _ = TALLY.try_with(|tally| tally.fetch_add(1, Ordering::Relaxed));
        });
        migrate(&conn).await?;
        let write_lock = match conn.get_database_backend() {
            DatabaseBackend::Sqlite => Some(Arc::new(Mutex::new(()))),
            _ => None,
        };
        Ok(Db {
            conn,
            write_lock,
            statements,
        })
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// SQL statements run through this handle since start-up.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// The statement count itself, for the application's metrics.
    pub fn statement_counter(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// Begins a write transaction. Dropping it without `commit` rolls it back.
    pub async fn begin_write(&self) -> Result<WriteTxn> {
        let first = self
            .write_lock
            .is_some()
            .then(|| Statement::from_string(DatabaseBackend::Sqlite, SQLITE_TAKE_WRITE_LOCK));
        self.begin_locked(first).await
    }

    /// Begins a write transaction whose first statement is `first`, a write the
    /// transaction owes anyway: on SQLite it takes the write lock in place of the
    /// write that changes nothing of [`Db::begin_write`], one statement fewer.
    pub async fn begin_write_with(&self, first: Statement) -> Result<WriteTxn> {
        self.begin_locked(Some(first)).await
    }

    async fn begin_locked(&self, first: Option<Statement>) -> Result<WriteTxn> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        if let Some(first) = first {
            // SQLite: take the database's write lock now, as `BEGIN IMMEDIATE` would
            // (sea-orm only says `BEGIN`). A deferred transaction that reads and then
            // writes is refused as busy at once, whatever the busy timeout, when
            // another connection (a second process or pool on the file) committed in
            // between; one that holds the lock from its start never is, and waits for
            // it within the busy timeout instead. An UPDATE that matches no row takes
            // the lock all the same. Run as a counted statement (`execute`, not
            // `execute_unprepared`, which sea-orm does not count).
            txn.execute(first).await?;
        }
        Ok(WriteTxn { txn, _guard: guard })
    }
}

tokio::task_local! {
    /// The tally of the statements run by the current task's scope (see [`tallied`]).
    static TALLY: Arc<AtomicU64>;
}

/// Runs `fut`, counting in `tally` (besides the process's count) every statement it
/// runs on its own task: how the metrics tell apart the dispatcher's statements and
/// the HTTP requests' from the rest. Tasks it spawns are not counted.
pub async fn tallied<F: std::future::Future>(tally: Arc<AtomicU64>, fut: F) -> F::Output {
    TALLY.scope(tally, fut).await
}

/// A write that changes nothing, on a table every migrated database has.
const SQLITE_TAKE_WRITE_LOCK: &str = "UPDATE seaql_migrations SET version = version WHERE 0";

/// Key of the session-level PostgreSQL advisory lock held around the migrator, so
/// that replicas starting together apply the migrations once, one after the other
/// (as sqlx's own migrator does). Distinct from the release log's append lock.
const MIGRATION_LOCK: i64 = 0x7072_656d_6d69_6772; // "premmigr"

/// Applies pending migrations. On PostgreSQL, concurrent processes are serialised
/// by an advisory lock held on one connection for the whole run: without it, two
/// processes creating the same tables at once fail on `pg_type_typname_nsp_index`.
/// SQLite's own write lock serialises its migrations.
async fn migrate(conn: &DatabaseConnection) -> anyhow::Result<()> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        Migrator::up(conn, None).await?;
        return Ok(());
    }
    // A connection of its own, outside the pool: the migrator may need every pooled one.
    let options = conn.get_postgres_connection_pool().connect_options();
    let mut locked = sea_orm::sqlx::PgConnection::connect_with(&options).await?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut locked)
        .await?;
    let migrated = Migrator::up(conn, None).await;
    // Closing the session releases the lock, whether the migrations succeeded or not.
    let _ = locked.close().await;
    migrated?;
    Ok(())
}

/// A write transaction, serialised per process on SQLite.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<()> {
        self.txn.commit().await.map_err(Error::from)
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two pools on one SQLite file (two processes, or a tool beside the server): a
    /// write transaction that read before it writes is not refused as busy because
    /// the other committed in between; the other waits for it instead.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sqlite_write_transaction_holds_the_write_lock_from_its_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lock.db").display());
        let settings = Settings::for_database(&url);
        let first = Db::connect(&url, &settings).await.expect("connect");
        let second = Db::connect(&url, &settings).await.expect("connect");
        first
            .conn()
            .execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .expect("create");

        let txn = first.begin_write().await.expect("begin");
        txn.execute_unprepared("SELECT count(*) FROM t")
            .await
            .expect("read");
        let other = tokio::spawn(async move {
            second
                .conn()
                .execute_unprepared("INSERT INTO t VALUES (2)")
                .await
        });
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("the write after a read is not refused as busy");
        txn.commit().await.expect("commit");
        other
            .await
            .expect("task")
            .expect("the other writer waited for the lock");
    }
}
