//! The database handle: connection pool, migrations, write transactions and the
//! statement counter behind `/metrics`.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::{Settings, DEFAULT_DATABASE_FILE};
use crate::error::{Error, Result};

/// PostgreSQL channel notified when a transaction appended to the release log.
pub const LOG_CHANNEL: &str = "premiere_release_log";
/// PostgreSQL channel notified when a release time was set or changed.
pub const SCHEDULE_CHANNEL: &str = "premiere_schedule";

/// Wakes whoever reads the release log once a transaction that appended to it commits.
pub type LogWakeup = Arc<tokio::sync::Notify>;

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite allows one writer at a time: writers of this process queue here instead
    /// of failing with SQLITE_BUSY. `None` on PostgreSQL.
    write_lock: Option<Arc<Mutex<()>>>,
    statements: Arc<AtomicU64>,
    log_wakeup: LogWakeup,
    schedule_wakeup: LogWakeup,
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
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        let mut conn = Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_info| {
            counter.fetch_add(1, Ordering::Relaxed);
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
            log_wakeup: Arc::default(),
            schedule_wakeup: Arc::default(),
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

    pub fn log_wakeup(&self) -> LogWakeup {
        self.log_wakeup.clone()
    }

    /// Wakes the scheduler of this process.
    pub fn schedule_wakeup(&self) -> LogWakeup {
        self.schedule_wakeup.clone()
    }

    /// Tells the scheduler that a release time was set, changed or removed.
    pub fn schedule_changed(&self) {
        self.schedule_wakeup.notify_one();
    }

    /// Wakes the dispatcher of this process (used by the PostgreSQL listener).
    pub fn log_appended(&self) {
        self.log_wakeup.notify_one();
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// Begins a write transaction of the catalogue: its commit bumps the catalogue
    /// version ([`crate::cache::version`]). Dropping it without `commit` rolls it back.
    pub async fn begin_write(&self) -> Result<WriteTxn> {
        self.begin(true).await
    }

    /// Begins a write transaction that changes nothing a catalogue read can show
    /// (webhook endpoints and deliveries, persisted queries): no version bump.
    pub async fn begin_write_outside_catalogue(&self) -> Result<WriteTxn> {
        self.begin(false).await
    }

    async fn begin(&self, catalogue: bool) -> Result<WriteTxn> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        Ok(WriteTxn {
            txn,
            _guard: guard,
            appended_to_log: false,
            catalogue,
            log_wakeup: self.log_wakeup.clone(),
        })
    }
}

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
    appended_to_log: bool,
    /// Whether commit bumps the catalogue version.
    catalogue: bool,
    log_wakeup: LogWakeup,
}

impl WriteTxn {
    /// Marks that this transaction appended to the release log, so that commit
    /// wakes the readers of the log. On PostgreSQL it also sends `NOTIFY`, which
    /// other replicas receive exactly when the rows become visible.
    pub async fn appended_to_log(&mut self) -> Result<()> {
        if !self.appended_to_log && self.txn.get_database_backend() == DatabaseBackend::Postgres {
            self.txn
                .execute_unprepared(&format!("NOTIFY {LOG_CHANNEL}"))
                .await?;
        }
        self.appended_to_log = true;
        Ok(())
    }

    /// Tells the schedulers of every replica that a release time changed; on PostgreSQL
    /// the notification is delivered at commit.
    pub async fn schedule_changed(&self) -> Result<()> {
        if self.txn.get_database_backend() == DatabaseBackend::Postgres {
            self.txn
                .execute_unprepared(&format!("NOTIFY {SCHEDULE_CHANNEL}"))
                .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        if self.catalogue {
            crate::cache::version::bump(&self.txn).await?;
        }
        self.txn.commit().await.map_err(Error::from)?;
        if self.appended_to_log {
            self.log_wakeup.notify_one();
        }
        Ok(())
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}
