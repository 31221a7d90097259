use sea_orm::entity::prelude::*;

/// A webhook endpoint: a durable reader of the release log with its own cursor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// The release filter as JSON (`seriesIds`, `personIds`, `kinds`); NULL: every event.
    #[sea_orm(column_type = "Text", nullable)]
    pub filter: Option<String>,
    /// `whsec_` + base64 of the signing key.
    pub secret: String,
    /// The secret before the last rotation, still used until `previous_secret_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub disabled_reason: Option<String>,
    /// The log position acknowledged last; delivery resumes after it.
    pub cursor: i64,
    /// Failed attempts at the event after `cursor`.
    pub attempts: i32,
    /// When the current run of failures began.
    pub failing_since: Option<DateTimeUtc>,
    pub next_attempt_at: DateTimeUtc,
    /// The process delivering to this endpoint, until `lease_expires_at`.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::webhook_delivery::Entity")]
    WebhookDelivery,
}

impl Related<super::webhook_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDelivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
