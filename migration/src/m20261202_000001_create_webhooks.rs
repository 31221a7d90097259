//! Webhook endpoints (each a durable reader of the release log with its own
//! cursor and lease) and the record of their delivery attempts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Id,
    Url,
    Description,
    Filter,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Enabled,
    DisabledReason,
    Cursor,
    Attempts,
    FailingSince,
    NextAttemptAt,
    LeaseOwner,
    LeaseExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    WebhookId,
    EventId,
    MessageId,
    Attempt,
    AttemptedAt,
    StatusCode,
    Error,
    DurationMs,
    NextAttemptAt,
}

#[derive(DeriveIden)]
enum ReleaseEvent {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhook::Table)
                    .col(big_integer(Webhook::Id).auto_increment().primary_key())
                    .col(text(Webhook::Url))
                    .col(text_null(Webhook::Description))
                    .col(text_null(Webhook::Filter))
                    .col(string(Webhook::Secret))
                    .col(string_null(Webhook::PreviousSecret))
                    .col(timestamp_with_time_zone_null(
                        Webhook::PreviousSecretExpiresAt,
                    ))
                    .col(boolean(Webhook::Enabled))
                    .col(text_null(Webhook::DisabledReason))
                    .col(big_integer(Webhook::Cursor))
                    .col(integer(Webhook::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(Webhook::FailingSince))
                    .col(timestamp_with_time_zone(Webhook::NextAttemptAt))
                    .col(string_null(Webhook::LeaseOwner))
                    .col(timestamp_with_time_zone_null(Webhook::LeaseExpiresAt))
                    .col(timestamp_with_time_zone(Webhook::CreatedAt))
                    .col(timestamp_with_time_zone(Webhook::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_lease_owner")
                    .table(Webhook::Table)
                    .col(Webhook::LeaseOwner)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(
                        big_integer(WebhookDelivery::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(WebhookDelivery::WebhookId))
                    .col(big_integer(WebhookDelivery::EventId))
                    .col(string(WebhookDelivery::MessageId))
                    .col(integer(WebhookDelivery::Attempt))
                    .col(timestamp_with_time_zone(WebhookDelivery::AttemptedAt))
                    .col(integer_null(WebhookDelivery::StatusCode))
                    .col(text_null(WebhookDelivery::Error))
                    .col(integer(WebhookDelivery::DurationMs))
                    .col(timestamp_with_time_zone_null(
                        WebhookDelivery::NextAttemptAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_delivery_webhook")
                            .from(WebhookDelivery::Table, WebhookDelivery::WebhookId)
                            .to(Webhook::Table, Webhook::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_delivery_event")
                            .from(WebhookDelivery::Table, WebhookDelivery::EventId)
                            .to(ReleaseEvent::Table, ReleaseEvent::Id)
                            .on_delete(ForeignKeyAction::NoAction)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_delivery_webhook")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::WebhookId)
                    .col(WebhookDelivery::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_delivery_attempted_at")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::AttemptedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDelivery::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhook::Table).to_owned())
            .await?;
        Ok(())
    }
}
