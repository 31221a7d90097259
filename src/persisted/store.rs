//! The `persisted_query` table: documents registered by Apollo's automatic persisted
//! queries, by the hex SHA-256 of their text, so that every replica knows them.

use sea_orm::{ConnectionTrait, Statement, Value};

use crate::db::Db;
use crate::error::Result;

/// The document stored under `hash`: one statement.
pub async fn find(db: &Db, hash: &str) -> Result<Option<String>> {
    let statement = Statement::from_sql_and_values(
        db.backend(),
        match db.backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "SELECT document FROM persisted_query WHERE hash = $1"
            }
            _ => "SELECT document FROM persisted_query WHERE hash = ?",
        },
        [Value::from(hash)],
    );
    let row = db.conn().query_one(statement).await?;
    Ok(match row {
        Some(row) => Some(row.try_get_by_index::<String>(0)?),
        None => None,
    })
}

/// Stores `document` under `hash` (kept if already there). Not a catalogue write.
pub async fn save(db: &Db, hash: &str, document: &str) -> Result<()> {
    let sql = match db.backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "INSERT INTO persisted_query (hash, document, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (hash) DO NOTHING"
        }
        _ => {
            "INSERT INTO persisted_query (hash, document, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (hash) DO NOTHING"
        }
    };
    let txn = db.begin_write().await?;
    txn.execute(Statement::from_sql_and_values(
        db.backend(),
        sql,
        [
            Value::from(hash),
            Value::from(document),
            Value::from(crate::catalog::now()),
        ],
    ))
    .await?;
    txn.commit().await
}
