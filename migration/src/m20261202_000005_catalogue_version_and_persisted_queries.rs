//! The catalogue's version (one row, bumped by every catalogue write transaction, so
//! that every replica knows whether a cached response is current) and the persisted
//! queries (Apollo's automatic persisted queries, shared by every replica).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogueVersion {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum PersistedQuery {
    Table,
    Hash,
    Document,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueVersion::Table)
                    .col(integer(CatalogueVersion::Id).primary_key())
                    .col(big_integer(CatalogueVersion::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CatalogueVersion::Table)
                    .columns([CatalogueVersion::Id, CatalogueVersion::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersistedQuery::Table)
                    .col(string(PersistedQuery::Hash).primary_key())
                    .col(text(PersistedQuery::Document))
                    .col(timestamp_with_time_zone(PersistedQuery::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedQuery::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CatalogueVersion::Table).to_owned())
            .await?;
        Ok(())
    }
}
