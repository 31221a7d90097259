//! The catalogue's version: one row, `catalogue_version`, bumped inside every
//! catalogue write transaction (so the new version becomes visible exactly when the
//! write does, on every replica) and read once per cacheable request. A cached
//! response is served only when it was computed at the version the request reads,
//! so no answer can be older than a write acknowledged before the request started:
//! the acknowledgement follows the commit, which carries the bump.
//!
//! On PostgreSQL the bump also sends `NOTIFY premiere_catalogue` with the new
//! version (delivered at commit), for listeners that want to learn of changes
//! without asking; correctness does not depend on it.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::error::{Error, Result};

/// PostgreSQL channel notified, at commit, with the new catalogue version.
pub const CHANNEL: &str = "premiere_catalogue";

/// Bumps the version in the caller's write transaction: one statement.
pub async fn bump(txn: &impl ConnectionTrait) -> Result<()> {
    txn.execute(bump_statement(txn.get_database_backend()))
        .await?;
    Ok(())
}

/// The statement of [`bump`], for a write that runs it itself (on SQLite, as the
/// statement that takes the write lock, see `catalog::write::Writer::begin`).
pub fn bump_statement(backend: DatabaseBackend) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "WITH bumped AS (UPDATE catalogue_version SET version = version + 1 \
             WHERE id = 1 RETURNING version) \
             SELECT pg_notify('{CHANNEL}', version::text) FROM bumped"
        ),
        _ => "UPDATE catalogue_version SET version = version + 1 WHERE id = 1".to_string(),
    };
    Statement::from_string(backend, sql)
}

/// The committed version: one statement.
pub async fn current(conn: &impl ConnectionTrait) -> Result<i64> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one(Statement::from_string(
            backend,
            "SELECT version FROM catalogue_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| Error::internal("the catalogue_version row is missing"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}
