//! `ReleaseEvent`, the release log query and the `releaseAlerts` subscription.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use super::event_ids::{EventIds, LAST_EVENT_ID};
use super::ids::{self, Kind};
use super::installment::Installment;
use super::interview::Interview;
use super::series::Series;
use super::state;
use crate::error::Error;
use crate::fanout;
use crate::releases::release_log::{self, EventKind, Release};
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
    pub(super) fn parse(self) -> Result<release_log::Filter, Error> {
        Ok(release_log::Filter {
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
    /// `last: N` gives the newest N events (still oldest first within the page). It
    /// only reports published installments, so it is the same for every reader;
    /// nested fields follow the embargo (see `Installment`).
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
        let db = state::db(ctx).conn();
        let page = release_log::list(db, &filter, &args).await?;
        let releases =
            release_log::load(db, page.items.into_iter().map(|(_, m)| m).collect()).await?;
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
    /// live ones, with no gap and no duplicate, in log order. Alerts are about published
    /// installments; nested fields follow the embargo (see `Installment`), with the
    /// credential of the `connection_init` payload over WebSocket.
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
        // A group's execution for one event (`fanout`): that event, if it matches.
        if let Some(event) = ctx.data_opt::<fanout::Event>() {
            let item = event.take().and_then(|item| match item {
                Ok(release) if !filter.matches(&release) => None,
                item => Some(item.map(ReleaseEvent).map_err(Into::into)),
            });
            return Ok(futures_util::stream::iter(item).left_stream());
        }
        let mut after = match after {
            Some(after) => Some(log_cursor(&state, "after", &after).await?),
            None => None,
        };
        // A subscription start over WebSocket: the member of a group (`fanout`).
        if let Some(probe) = ctx.data_opt::<fanout::Probe>() {
            probe.record(fanout::Joined {
                filter,
                after,
                slot,
            });
            return Ok(futures_util::stream::iter(None).left_stream());
        }
        // Over SSE: resume after `Last-Event-ID` (or `after`, whichever is later), and
        // tell the transport where the stream starts, so that a client that reconnects
        // before any event misses nothing either.
        let event_ids = ctx.data_opt::<EventIds>();
        let recorder = match event_ids {
            Some(event_ids) => {
                if let Some(seen) = event_ids.last_event_id() {
                    after = after.max(Some(log_cursor(&state, LAST_EVENT_ID, seen).await?));
                }
                let start = match after {
                    Some(after) => after,
                    None => release_log::last_position(state.db.conn()).await?,
                };
                after = Some(start);
                event_ids.started(start);
                Some(event_ids.recorder())
            }
            None => None,
        };
        let alerts =
            stream::follow(state.db.clone(), state.dispatcher.clone(), filter, after).await?;
        let metrics = state.metrics.clone();
        metrics.subscription_opened();
        let guard = SubscriptionGuard(metrics.clone());
        Ok(alerts
            .map(move |item| {
                let _alive = (&guard, &slot);
                metrics.event_delivered();
                if let (Some(recorder), Ok(release)) = (&recorder, &item) {
                    recorder.store(release.event.id, std::sync::atomic::Ordering::SeqCst);
                }
                item.map(ReleaseEvent).map_err(Into::into)
            })
            .right_stream())
    }
}

/// The log position of `cursor`, given as `field`: a cursor of this release log.
async fn log_cursor(state: &AppState, field: &str, cursor: &str) -> Result<i64, Error> {
    let position = ids::decode_cursor(field, cursor)?;
    if position > release_log::last_position(state.db.conn()).await? {
        return Err(Error::bad_input(
            field,
            "is not a cursor of this release log",
        ));
    }
    Ok(position)
}

/// Counts a subscription as open until its stream is dropped.
struct SubscriptionGuard(crate::metrics::Metrics);

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.0.subscription_closed();
    }
}
