//! Loads the benchmark catalogue with direct multi-row inserts (not through GraphQL).

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Duration, TimeZone, Utc};
use entity::{credit, installment, person, series};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, Database, DatabaseBackend, EntityTrait, TransactionTrait,
};

/// How much data: `series` × `installments` × `credits`, credits drawn from `people`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    pub series: i64,
    pub installments: i64,
    pub credits: i64,
    pub people: i64,
}

/// The slug of the (empty) series that the fan-out benchmark publishes into.
pub const FANOUT_SLUG: &str = "bench-fanout";

const CHUNK: usize = 500;

/// Inserts the catalogue into a migrated, empty database. Returns the seconds taken.
/// The `*_key` search columns hold what `premiere::catalog` would store: the values
/// case-folded (see `catalog::fold`).
pub async fn load(url: &str, shape: Shape) -> Result<f64> {
    let started = Instant::now();
    let db = Database::connect(url)
        .await
        .context("connecting to load data")?;
    let txn = db.begin().await?;
    let t0 = Utc
        .with_ymd_and_hms(2024, 1, 1, 12, 0, 0)
        .single()
        .context("base time")?;

    let people: Vec<person::ActiveModel> = (1..=shape.people)
        .map(|id| person::ActiveModel {
            id: Set(id),
            name: Set(format!("Person {id}")),
            name_key: Set(format!("person {id}")),
            known_for: Set("[]".into()),
            bio: Set(None),
            created_at: Set(t0),
            updated_at: Set(t0),
        })
        .collect();
    insert_chunks::<person::Entity, _>(&txn, people).await?;

    let mut all_series: Vec<series::ActiveModel> = (1..=shape.series)
        .map(|id| series::ActiveModel {
            id: Set(id),
            slug: Set(format!("series-{id}")),
            title: Set(format!("Series {id}")),
            title_key: Set(format!("series {id}\n")),
            original_title: Set(None),
            network: Set(Some("Bench+".into())),
            network_key: Set(Some("bench+".into())),
            genres: Set(r#"["Drama"]"#.into()),
            genres_key: Set(r#"["drama"]"#.into()),
            synopsis: Set(Some(format!("The story of series {id}."))),
            created_at: Set(t0),
            updated_at: Set(t0),
        })
        .collect();
    let fanout_id = shape.series + 1;
    all_series.push(series::ActiveModel {
        id: Set(fanout_id),
        slug: Set(FANOUT_SLUG.into()),
        title: Set("Fan-out".into()),
        title_key: Set("fan-out\n".into()),
        original_title: Set(None),
        network: Set(None),
        network_key: Set(None),
        genres: Set("[]".into()),
        genres_key: Set("[]".into()),
        synopsis: Set(None),
        created_at: Set(t0),
        updated_at: Set(t0),
    });
    insert_chunks::<series::Entity, _>(&txn, all_series).await?;

    let mut installments = Vec::new();
    let mut credits = Vec::new();
    let mut credit_id = 0;
    for s in 1..=shape.series {
        for n in 1..=shape.installments {
            let id = (s - 1) * shape.installments + n;
            let published = t0 + Duration::days(n * 7) + Duration::minutes(s);
            installments.push(installment::ActiveModel {
                id: Set(id),
                series_id: Set(s),
                number: Set(n as i32),
                title: Set(format!("Series {s} #{n}")),
                synopsis: Set(None),
                episode_count: Set(Some(8)),
                status: Set(installment::InstallmentStatus::Published),
                release_at: Set(Some(published)),
                published_at: Set(Some(published)),
                created_at: Set(t0),
                updated_at: Set(t0),
            });
            for k in 0..shape.credits {
                credit_id += 1;
                // The same cast across a series' installments, with a change every 5.
                let person = (s * 5 + k + n / 5) % shape.people + 1;
                credits.push(credit::ActiveModel {
                    id: Set(credit_id),
                    installment_id: Set(id),
                    person_id: Set(person),
                    role: Set(credit::CreditRole::Actor),
                    character: Set(Some(format!("Character {s}-{k}"))),
                    character_description: Set(None),
                    billing: Set(Some(k as i32 + 1)),
                    debut: Set(false),
                    created_at: Set(t0),
                    updated_at: Set(t0),
                });
            }
        }
    }
    insert_chunks::<installment::Entity, _>(&txn, installments).await?;
    insert_chunks::<credit::Entity, _>(&txn, credits).await?;

    if txn.get_database_backend() == DatabaseBackend::Postgres {
        for table in ["person", "series", "installment", "credit"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    // The planner's statistics, as a database in service has them (PostgreSQL's
    // autovacuum, the server's `PRAGMA optimize` on SQLite), before any server starts:
    // without them SQLite read a series' installments through the status index.
    db.execute_unprepared("ANALYZE").await?;
    db.close().await?;
    Ok(started.elapsed().as_secs_f64())
}

async fn insert_chunks<E, A>(txn: &sea_orm::DatabaseTransaction, rows: Vec<A>) -> Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    E::Model: sea_orm::IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(())
}
