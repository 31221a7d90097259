//! `Webhook`, its deliveries, `Query.webhooks` and the webhook mutations. Admin only.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{webhook as model, webhook_delivery};

use super::guard::{Admin, AdminGuard};
use super::ids::{self, Kind};
use super::paging::{self, Cursor};
use super::release::{ReleaseEvent, ReleaseFilter};
use super::state;
use crate::error::Error;
use crate::releases::release_log::{self, EventKind, Release};
use crate::webhooks::{record, store};
use crate::AppState;

/// An HTTP endpoint that receives release alerts as signed POSTs.
pub struct Webhook(pub model::Model);

#[Object]
impl Webhook {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Webhook, self.0.id)
    }

    /// https:// (or http://) URL that receives the POSTs.
    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Only events matching this filter are delivered; null: every event.
    async fn filter(&self) -> Option<ReleaseFilterValue> {
        store::filter_of(&self.0).map(ReleaseFilterValue)
    }

    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Why the endpoint was disabled (answered 410 Gone, or given up after the retry budget), if it was.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// The last release event this endpoint acknowledged; delivery resumes after it.
    async fn acknowledged_cursor(&self) -> Option<String> {
        (self.0.cursor > 0).then(|| ids::cursor(self.0.cursor))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Delivery attempts, newest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<WebhookDeliveryConnection> {
        let args = paging::args(ctx, first, after, last, before)?;
        let db = state::db(ctx).conn();
        let page = record::history(db, self.0.id, &args).await?;
        let mut conn = Connection::new(page.has_previous, page.has_next);
        conn.edges
            .extend(page.items.into_iter().map(|(key, (delivery, event))| {
                Edge::new(Cursor(key), WebhookDelivery { delivery, event })
            }));
        Ok(conn)
    }
}

/// The filter a webhook was created with, as stored.
pub struct ReleaseFilterValue(release_log::Filter);

#[Object]
impl ReleaseFilterValue {
    async fn series_ids(&self) -> Option<Vec<ID>> {
        self.0.series_ids.as_ref().map(|ids| {
            ids.iter()
                .map(|id| ids::encode(Kind::Series, *id))
                .collect()
        })
    }

    async fn person_ids(&self) -> Option<Vec<ID>> {
        self.0.person_ids.as_ref().map(|ids| {
            ids.iter()
                .map(|id| ids::encode(Kind::Person, *id))
                .collect()
        })
    }

    async fn kinds(&self) -> Option<Vec<EventKind>> {
        self.0.kinds.clone()
    }
}

/// One attempt to deliver one release event to one endpoint.
pub struct WebhookDelivery {
    delivery: webhook_delivery::Model,
    event: Arc<Release>,
}

#[Object]
impl WebhookDelivery {
    /// The `webhook-id` header: the same on every attempt for this endpoint and event.
    async fn message_id(&self) -> &str {
        &self.delivery.message_id
    }

    async fn event(&self) -> ReleaseEvent {
        ReleaseEvent(self.event.clone())
    }

    async fn attempt(&self) -> i32 {
        self.delivery.attempt
    }

    async fn attempted_at(&self) -> DateTime<Utc> {
        self.delivery.attempted_at
    }

    /// HTTP status the endpoint answered; null when it could not be reached or timed out.
    async fn status_code(&self) -> Option<i32> {
        self.delivery.status_code
    }

    async fn error(&self) -> Option<&str> {
        self.delivery.error.as_deref()
    }

    async fn duration_ms(&self) -> i32 {
        self.delivery.duration_ms
    }

    /// When the next attempt is due, when this one failed and another will be made.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.delivery.next_attempt_at
    }
}

pub type WebhookDeliveryConnection = Connection<Cursor, WebhookDelivery, EmptyFields, EmptyFields>;
pub type WebhookConnection = Connection<Cursor, Webhook, WebhookCount, EmptyFields>;

/// `totalCount` of `webhooks`, computed only when asked for.
pub struct WebhookCount;

#[Object]
impl WebhookCount {
    /// The number of items in the whole list, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(store::count(state::db(ctx).conn()).await?)
    }
}

#[derive(SimpleObject)]
pub struct CreateWebhookPayload {
    webhook: Webhook,
    /// The signing secret (`whsec_` + base64). Shown only here and by rotateWebhookSecret.
    secret: String,
}

#[derive(InputObject)]
pub struct CreateWebhookInput {
    url: String,
    description: Option<String>,
    filter: Option<ReleaseFilter>,
    /// Start after this release event cursor; default: events from now on.
    after: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateWebhookInput {
    url: Option<String>,
    description: MaybeUndefined<String>,
    filter: MaybeUndefined<ReleaseFilter>,
    /// true re-enables a disabled endpoint; delivery resumes after its acknowledged cursor.
    enabled: Option<bool>,
}

/// `node(id:)` for a webhook ID: admins only.
pub async fn node(ctx: &Context<'_>, id: i64) -> Result<Option<Webhook>> {
    if ctx.data_opt::<Admin>().is_none() {
        return Err(Error::Unauthenticated.into());
    }
    let db = state::db(ctx).conn();
    Ok(store::get(db, id).await?.map(Webhook))
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Admin only.
    #[graphql(guard = "AdminGuard")]
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<WebhookConnection> {
        let args = paging::args(ctx, first, after, last, before)?;
        let db = state::db(ctx).conn();
        let page = store::list(db, &args).await?;
        let mut conn =
            Connection::with_additional_fields(page.has_previous, page.has_next, WebhookCount);
        conn.edges.extend(
            page.items
                .into_iter()
                .map(|(key, m)| Edge::new(Cursor(key), Webhook(m))),
        );
        Ok(conn)
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    #[graphql(guard = "AdminGuard")]
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> Result<CreateWebhookPayload> {
        let state = ctx.data_unchecked::<AppState>();
        let new = store::NewWebhook {
            url: input.url,
            description: input.description,
            filter: input.filter.map(ReleaseFilter::parse).transpose()?,
            after: input
                .after
                .map(|c| ids::decode_cursor("input.after", &c))
                .transpose()?,
        };
        let (webhook, secret) = store::create(&state.db, &state.settings, new).await?;
        state.webhooks.changed();
        Ok(CreateWebhookPayload {
            webhook: Webhook(webhook),
            secret,
        })
    }

    #[graphql(guard = "AdminGuard")]
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookInput,
    ) -> Result<Webhook> {
        let state = ctx.data_unchecked::<AppState>();
        let id = ids::decode("id", Kind::Webhook, &id)?;
        let changes = store::WebhookChanges {
            url: input.url,
            description: optional(input.description),
            filter: match input.filter {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(filter) => Some(Some(filter.parse()?)),
            },
            enabled: input.enabled,
        };
        let updated = store::update(&state.db, &state.settings, id, changes).await?;
        state.webhooks.changed();
        Ok(Webhook(updated))
    }

    /// Stops delivery and forgets the endpoint and its deliveries.
    #[graphql(guard = "AdminGuard")]
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let state = ctx.data_unchecked::<AppState>();
        store::delete(&state.db, ids::decode("id", Kind::Webhook, &id)?).await?;
        state.webhooks.changed();
        Ok(id)
    }

    /// A new secret; for 24 hours deliveries are signed with both the old and the new one.
    #[graphql(guard = "AdminGuard")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<CreateWebhookPayload> {
        let state = ctx.data_unchecked::<AppState>();
        let id = ids::decode("id", Kind::Webhook, &id)?;
        let (webhook, secret) = store::rotate(&state.db, id).await?;
        state.webhooks.changed();
        Ok(CreateWebhookPayload {
            webhook: Webhook(webhook),
            secret,
        })
    }
}

/// `MaybeUndefined` as "leave" (None), "clear" (Some(None)) or "set".
fn optional<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
