//! A group's feed: follows the dispatcher (reading its gaps from the log), evaluates
//! the filter, and executes the selection once per event for every member.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio::sync::broadcast;

use super::{lock, Delivery, Event, Payload, Template, CAPACITY};
use crate::error::Error;
use crate::graphql::guard::Admin;
use crate::graphql::AppSchema;
use crate::releases::release_log::{Filter, Release};
use crate::releases::stream;
use crate::AppState;

/// What the feed and the members share.
pub(super) struct Shared {
    schema: AppSchema,
    pub(super) state: AppState,
    template: Template,
    pub(super) filter: Filter,
    admin: bool,
    /// `None` once the feed has ended: the group takes no new members.
    sender: Mutex<Option<broadcast::Sender<Arc<Delivery>>>>,
}

impl Shared {
    pub(super) fn new(
        schema: AppSchema,
        state: AppState,
        template: Template,
        filter: Filter,
        admin: bool,
    ) -> Shared {
        Shared {
            schema,
            state,
            template,
            filter,
            admin,
            sender: Mutex::new(Some(broadcast::channel(CAPACITY).0)),
        }
    }

    pub(super) fn receiver(&self) -> Option<broadcast::Receiver<Arc<Delivery>>> {
        lock(&self.sender)
            .as_ref()
            .map(broadcast::Sender::subscribe)
    }

    /// Executes the group's subscription for one item: the payload of a `next`
    /// message, or none when the event does not match the filter.
    pub(super) async fn execute(&self, item: Result<Arc<Release>, Error>) -> Option<Payload> {
        let mut request = self.template.request().data(Event(Mutex::new(Some(item))));
        if self.admin {
            request = request.data(Admin);
        }
        let response = // Through the gate, as every request (the template passed it when the group
        // formed; parsing it again costs once per event per group, not per member).
        async_graphql::Executor::execute_stream(&self.schema.gated(), request, None)
            .next()
            .await?;
        match serde_json::to_string(&response) {
            Ok(json) => Some(json.into()),
            Err(err) => {
                tracing::error!(%err, "could not serialise a subscription response");
                None
            }
        }
    }
}

/// Runs the feed of a group from log position `start` until shutdown or a failed
/// read (which every member gets, as its last payload).
pub(super) async fn run(shared: Arc<Shared>, start: i64) {
    let Some(tx) = lock(&shared.sender).clone() else {
        return;
    };
    let state = &shared.state;
    let follow = stream::follow(
        state.db.clone(),
        state.dispatcher.clone(),
        shared.filter.clone(),
        Some(start),
    )
    .await;
    let send = |position, payload| {
        // No receiver is not an error: the members may all be catching up.
        let _ = tx.send(Arc::new(Delivery { position, payload }));
    };
    match follow {
        Ok(events) => {
            futures_util::pin_mut!(events);
            while let Some(item) = events.next().await {
                let (position, failed) = match &item {
                    Ok(release) => (release.event.id, false),
                    Err(_) => (i64::MAX, true),
                };
                if let Some(payload) = shared.execute(item).await {
                    send(position, payload);
                }
                if failed {
                    break;
                }
                // The members' connections woken by this send wait in this worker's
                // LIFO slot, which no other worker steals: a feed that always has the
                // next event ready would starve them (a stuck-peer test showed it).
                tokio::task::yield_now().await;
            }
        }
        Err(err) => {
            if let Some(payload) = shared.execute(Err(err)).await {
                send(i64::MAX, payload);
            }
        }
    }
    lock(&shared.sender).take();
}
