//! The raw-SQL floor: an axum handler that answers the nested benchmark query with the
//! minimal SQL (three statements, people joined to credits) and serde_json, no GraphQL.
//! It runs in its own process, like the server, over the same database.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement,
    Value,
};
use serde::Serialize;

#[derive(Clone)]
struct Floor {
    db: DatabaseConnection,
    statements: Arc<AtomicU64>,
}

/// Serves `POST /graphql` (any body: always the benchmark query), `/healthz`, `/metrics`.
pub async fn serve(database_url: String, listen: SocketAddr, max_connections: u32) -> Result<()> {
    // The same pool settings as the server's (src/db.rs).
    let mut options = ConnectOptions::new(database_url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    let statements = Arc::new(AtomicU64::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let floor = Floor { db, statements };
    let router = Router::new()
        .route("/graphql", post(graphql))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, router).await?;
    Ok(())
}

async fn metrics(State(floor): State<Floor>) -> String {
    format!(
        "premiere_sql_statements_total {}\n",
        floor.statements.load(Ordering::Relaxed)
    )
}

async fn graphql(State(floor): State<Floor>, _body: Bytes) -> Response {
    match answer(&floor.db).await {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

#[derive(Serialize)]
struct Resp {
    data: Data,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    all_series: Nodes<SeriesOut>,
}

#[derive(Serialize)]
struct Nodes<T> {
    nodes: Vec<T>,
}

#[derive(Serialize)]
struct SeriesOut {
    title: String,
    installments: Nodes<InstallmentOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallmentOut {
    title: String,
    published_at: Option<String>,
    credits: Nodes<CreditOut>,
}

#[derive(Serialize)]
struct CreditOut {
    character: Option<String>,
    person: PersonOut,
}

#[derive(Serialize)]
struct PersonOut {
    name: String,
}

fn placeholders(backend: DatabaseBackend, n: usize) -> String {
    (1..=n)
        .map(|i| match backend {
            DatabaseBackend::Postgres => format!("${i}"),
            _ => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn ids(values: &[i64]) -> Vec<Value> {
    values.iter().map(|&v| Value::BigInt(Some(v))).collect()
}

/// `allSeries(first: 10) { nodes { title installments(first: 5) { nodes { title
/// publishedAt credits(first: 8) { nodes { character person { name } } } } } } }`
/// as a client without the admin token reads it: released installments only (the
/// embargo), whose credits need no further check.
async fn answer(db: &DatabaseConnection) -> Result<Vec<u8>> {
    let backend = db.get_database_backend();
    let series_rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT id, title FROM series ORDER BY id LIMIT 10",
        ))
        .await?;
    let mut series: Vec<(i64, SeriesOut)> = Vec::with_capacity(series_rows.len());
    for row in series_rows {
        series.push((
            row.try_get("", "id")?,
            SeriesOut {
                title: row.try_get("", "title")?,
                installments: Nodes { nodes: Vec::new() },
            },
        ));
    }
    let series_ids: Vec<i64> = series.iter().map(|(id, _)| *id).collect();
    let installment_rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, series_id, title, published_at FROM (\
                   SELECT id, series_id, title, published_at, \
                     ROW_NUMBER() OVER (PARTITION BY series_id ORDER BY number) AS rn \
                   FROM installment WHERE status = 'PUBLISHED' AND series_id IN ({})\
                 ) t WHERE rn <= 5 ORDER BY series_id, rn",
                placeholders(backend, series_ids.len())
            ),
            ids(&series_ids),
        ))
        .await?;
    let mut installments: Vec<(i64, i64, InstallmentOut)> = Vec::new();
    for row in installment_rows {
        let published: Option<DateTime<Utc>> = row.try_get("", "published_at")?;
        installments.push((
            row.try_get("", "id")?,
            row.try_get("", "series_id")?,
            InstallmentOut {
                title: row.try_get("", "title")?,
                published_at: published.map(|t| t.to_rfc3339()),
                credits: Nodes { nodes: Vec::new() },
            },
        ));
    }
    let installment_ids: Vec<i64> = installments.iter().map(|(id, _, _)| *id).collect();
    let credit_rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT c.installment_id, c.character, p.name FROM (\
                   SELECT installment_id, person_id, character, \
                     ROW_NUMBER() OVER (PARTITION BY installment_id ORDER BY id) AS rn \
                   FROM credit WHERE installment_id IN ({})\
                 ) c JOIN person p ON p.id = c.person_id \
                 WHERE c.rn <= 8 ORDER BY c.installment_id, c.rn",
                placeholders(backend, installment_ids.len())
            ),
            ids(&installment_ids),
        ))
        .await?;
    let mut credits: HashMap<i64, Vec<CreditOut>> = HashMap::new();
    for row in credit_rows {
        credits
            .entry(row.try_get("", "installment_id")?)
            .or_default()
            .push(CreditOut {
                character: row.try_get("", "character")?,
                person: PersonOut {
                    name: row.try_get("", "name")?,
                },
            });
    }
    let mut by_series: HashMap<i64, Vec<InstallmentOut>> = HashMap::new();
    for (id, series_id, mut installment) in installments {
        installment.credits.nodes = credits.remove(&id).unwrap_or_default();
        by_series.entry(series_id).or_default().push(installment);
    }
    let nodes = series
        .into_iter()
        .map(|(id, mut s)| {
            s.installments.nodes = by_series.remove(&id).unwrap_or_default();
            s
        })
        .collect();
    Ok(serde_json::to_vec(&Resp {
        data: Data {
            all_series: Nodes { nodes },
        },
    })?)
}
