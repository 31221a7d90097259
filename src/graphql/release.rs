//! `ReleaseEvent`, the release log query and the `releaseAlerts` subscription.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use super::ids::{self, Kind};
use super::installment::Installment;
use super::interview::Interview;
use super::series::Series;
use crate::error::Error;
use crate::releases::log::{self, EventKind, Release};
use crate::releases::stream;
use crate::AppState;

/// One entry of the durable release log; the same entries the subscription pushes.
pub struct ReleaseEvent(pub Arc<Release>);

#[Object]
impl ReleaseEvent {
    /// Opaque, strictly increasing position in the log; pass it as `after` to resume.
    async fn cursor(&self) -> String {
        ids::cursor(self.0.event.id)
    }

    async fn kind(&self) -> EventKind {
        self.0.kind()
    }

    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.event.occurred_at
    }

    async fn series(&self) -> Series {
        Series(self.0.series.clone())
    }

    async fn installment(&self) -> Installment {
        Installment(self.0.installment.clone())
    }

    async fn interview(&self) -> Option<Interview> {
        self.0.interview.clone().map(Interview)
    }
}

/// Narrows release events; every field given must match (AND); a list matches any of its members (OR).
#[derive(InputObject, Default)]
pub struct ReleaseFilter {
    series_ids: Option<Vec<ID>>,
    /// Only events whose installment credits one of these people.
    person_ids: Option<Vec<ID>>,
    kinds: Option<Vec<EventKind>>,
}

impl ReleaseFilter {
    fn parse(self) -> Result<log::Filter, Error> {
        Ok(log::Filter {
            series_ids: self
                .series_ids
                .map(|ids| ids::decode_all("filter.seriesIds", Kind::Series, &ids))
                .transpose()?,
            person_ids: self
                .person_ids
                .map(|ids| ids::decode_all("filter.personIds", Kind::Person, &ids))
                .transpose()?,
            kinds: self.kinds,
        })
    }
}

pub type ReleaseEventConnection = Connection<String, ReleaseEvent, EmptyFields, EmptyFields>;

#[derive(Default)]
pub struct ReleaseQuery;

#[Object]
impl ReleaseQuery {
    /// The release log, oldest first; `after` and `before` are ReleaseEvent cursors.
    /// `last: N` gives the newest N events (still oldest first within the page).
    #[graphql(complexity = "super::paging::cost(first, last, child_complexity)")]
    async fn release_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ReleaseFilter>,
    ) -> Result<ReleaseEventConnection> {
        let args = super::paging::args(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default().parse()?;
        let db = ctx.data_unchecked::<AppState>().db.conn();
        let page = log::list(db, &filter, &args).await?;
        let releases = log::load(db, page.items.into_iter().map(|(_, m)| m).collect()).await?;
        let mut conn = Connection::new(page.has_previous, page.has_next);
        conn.edges.extend(
            releases
                .into_iter()
                .map(|r| Edge::new(ids::cursor(r.event.id), ReleaseEvent(r))),
        );
        Ok(conn)
    }
}

#[derive(Default)]
pub struct ReleaseSubscription;

#[Subscription]
impl ReleaseSubscription {
    /// Release alerts. Without `after`: events from now on. With `after` (a
    /// ReleaseEvent cursor): first every matching event after it from the log, then
    /// live ones, with no gap and no duplicate, in log order.
    async fn release_alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReleaseFilter>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<ReleaseEvent>>> {
        let state = ctx.data_unchecked::<AppState>().clone();
        // Over WebSocket, a connection has a fixed number of subscription slots.
        let slot = super::limits::SubscriptionSlots::acquire(ctx)?;
        let filter = filter.unwrap_or_default().parse()?;
        let after = match after {
            Some(after) => {
                let cursor = ids::decode_cursor("after", &after)?;
                let last = log::last_position(state.db.conn()).await?;
                if cursor > last {
                    return Err(
                        Error::bad_input("after", "is not a cursor of this release log").into(),
                    );
                }
                Some(cursor)
            }
            None => None,
        };
        let alerts = stream::follow(state.db.clone(), state.bus.clone(), filter, after).await?;
        let metrics = state.metrics.clone();
        metrics.subscription_opened();
        let guard = SubscriptionGuard(metrics.clone());
        Ok(alerts.map(move |item| {
            let _alive = (&guard, &slot);
            metrics.event_delivered();
            item.map(ReleaseEvent).map_err(Into::into)
        }))
    }
}

/// Counts a subscription as open until its stream is dropped.
struct SubscriptionGuard(crate::metrics::Metrics);

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.0.subscription_closed();
    }
}
