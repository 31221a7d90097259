//! Schema migrations. A migration that has landed is never edited: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_catalogue;
mod m20261202_000001_create_webhooks;
mod m20261202_000005_catalogue_version_and_persisted_queries;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_catalogue::Migration),
            Box::new(m20261202_000001_create_webhooks::Migration),
            Box::new(m20261202_000005_catalogue_version_and_persisted_queries::Migration),
        ]
    }
}
