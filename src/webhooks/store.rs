//! Webhook endpoints as the admin API sees them: create, update, rotate, delete, list.

use chrono::Duration as TimeDelta;
use entity::webhook;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use super::{signing, ssrf};
use crate::catalog::paging::{self, Key, Page, PageArgs};
use crate::catalog::{now, validate};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::releases::release_log::{self, EventKind, Filter};

pub const KEY: Key = Key {
    table: "webhook",
    column: "id",
};

/// How long the secret before a rotation still signs deliveries.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

pub struct NewWebhook {
    pub url: String,
    pub description: Option<String>,
    pub filter: Option<Filter>,
    /// Start after this log position; None: from the current end of the log.
    pub after: Option<i64>,
}

/// Fields to change: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub filter: Option<Option<Filter>>,
    pub enabled: Option<bool>,
}

/// A filter as stored in `webhook.filter`.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StoredFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    series_ids: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    person_ids: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kinds: Option<Vec<String>>,
}

fn encode_filter(filter: &Filter) -> String {
    let stored = StoredFilter {
        series_ids: filter.series_ids.clone(),
        person_ids: filter.person_ids.clone(),
        kinds: filter
            .kinds
            .as_ref()
            .map(|kinds| kinds.iter().map(|k| k.as_str().to_string()).collect()),
    };
    serde_json::to_string(&stored).unwrap_or_else(|_| "{}".into())
}

/// The endpoint's filter, or None when it takes every event.
pub fn filter_of(model: &webhook::Model) -> Option<Filter> {
    let stored: StoredFilter = serde_json::from_str(model.filter.as_deref()?).unwrap_or_default();
    Some(Filter {
        series_ids: stored.series_ids,
        person_ids: stored.person_ids,
        kinds: stored
            .kinds
            .map(|kinds| kinds.iter().map(|k| EventKind::parse(k)).collect()),
    })
}

/// The secrets that sign a delivery made at `at`: the current one, and the one before
/// the last rotation during the overlap.
pub fn signing_secrets(model: &webhook::Model, at: chrono::DateTime<chrono::Utc>) -> Vec<&str> {
    let mut secrets = vec![model.secret.as_str()];
    if let (Some(previous), Some(until)) =
        (&model.previous_secret, model.previous_secret_expires_at)
    {
        if until > at {
            secrets.push(previous);
        }
    }
    secrets
}

async fn checked_url(settings: &Settings, raw: &str) -> Result<String> {
    let url = ssrf::parse_url("input.url", raw)?;
    if !settings.webhook_allow_private {
        ssrf::check_target("input.url", &url).await?;
    }
    Ok(url.to_string())
}

fn description(value: Option<String>) -> Result<Option<String>> {
    validate::optional_text("input.description", value, validate::MAX_TEXT)
}

pub async fn create(
    db: &Db,
    settings: &Settings,
    input: NewWebhook,
) -> Result<(webhook::Model, String)> {
    let url = checked_url(settings, &input.url).await?;
    let description = description(input.description)?;
    let last = release_log::last_position(db.conn()).await?;
    let cursor = match input.after {
        Some(after) if after > last => {
            return Err(Error::bad_input(
                "input.after",
                "is not a cursor of this release log",
            ))
        }
        Some(after) => after,
        None => last,
    };
    let secret = signing::new_secret();
    let at = now();
    let txn = db.begin_write_outside_catalogue().await?;
    let model = webhook::ActiveModel {
        url: Set(url),
        description: Set(description),
        filter: Set(input.filter.as_ref().map(encode_filter)),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        enabled: Set(true),
        disabled_reason: Set(None),
        cursor: Set(cursor),
        attempts: Set(0),
        failing_since: Set(None),
        next_attempt_at: Set(at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok((model, secret))
}

pub async fn update(
    db: &Db,
    settings: &Settings,
    id: i64,
    changes: WebhookChanges,
) -> Result<webhook::Model> {
    let url = match &changes.url {
        Some(url) => Some(checked_url(settings, url).await?),
        None => None,
    };
    let description = changes.description.map(description).transpose()?;
    let txn = db.begin_write_outside_catalogue().await?;
    let current = get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("webhook", "id"))?;
    let at = now();
    let mut active: webhook::ActiveModel = current.clone().into();
    // A new target or filter, or a re-enabled endpoint, is tried now, afresh.
    let mut retry_now = false;
    if let Some(url) = url {
        retry_now |= url != current.url;
        active.url = Set(url);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(filter) = changes.filter {
        retry_now = true;
        active.filter = Set(filter.as_ref().map(encode_filter));
    }
    if let Some(enabled) = changes.enabled {
        if enabled && !current.enabled {
            retry_now = true;
            active.disabled_reason = Set(None);
        }
        if !enabled && current.enabled {
            active.disabled_reason = Set(Some("disabled by an admin".into()));
            active.lease_owner = Set(None);
            active.lease_expires_at = Set(None);
        }
        active.enabled = Set(enabled);
    }
    if retry_now {
        active.attempts = Set(0);
        active.failing_since = Set(None);
        active.next_attempt_at = Set(at);
    }
    active.updated_at = Set(at);
    let model = active.update(&*txn).await?;
    txn.commit().await?;
    Ok(model)
}

/// A new secret; the one it replaces signs too, for [`ROTATION_OVERLAP`].
pub async fn rotate(db: &Db, id: i64) -> Result<(webhook::Model, String)> {
    let txn = db.begin_write_outside_catalogue().await?;
    let current = get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("webhook", "id"))?;
    let secret = signing::new_secret();
    let at = now();
    let mut active: webhook::ActiveModel = current.clone().into();
    active.previous_secret = Set(Some(current.secret));
    active.previous_secret_expires_at = Set(Some(at + ROTATION_OVERLAP));
    active.secret = Set(secret.clone());
    active.updated_at = Set(at);
    let model = active.update(&*txn).await?;
    txn.commit().await?;
    Ok((model, secret))
}

/// Forgets the endpoint and its deliveries (a delivery in flight is not recorded).
pub async fn delete(db: &Db, id: i64) -> Result<()> {
    let txn = db.begin_write_outside_catalogue().await?;
    let deleted = webhook::Entity::delete_by_id(id).exec(&*txn).await?;
    if deleted.rows_affected == 0 {
        return Err(Error::not_found("webhook", "id"));
    }
    txn.commit().await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<webhook::Model>> {
    Ok(webhook::Entity::find_by_id(id).one(db).await?)
}

pub async fn list(db: &impl ConnectionTrait, args: &PageArgs) -> Result<Page<webhook::Model>> {
    paging::page(db, webhook::Entity::find(), KEY, |m| m.id, args).await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(webhook::Entity::find()
        .order_by_asc(webhook::Column::Id)
        .count(db)
        .await?)
}
