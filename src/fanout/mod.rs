//! Shared subscription execution: subscriptions that are the same ([`Key`]: the
//! normalised document, the operation, the variables and the credential) form one
//! group. A group's feed ([`feed`]) follows the dispatcher, evaluates the filter and
//! executes the selection once per event, and shares one serialised payload with
//! every member; a member ([`member`]) only keeps its cursor and a receiver, catches
//! up from the log on its own ([`log_end`]) and skips what it has already had.
//!
//! The resolver (`graphql::release`) learns of this through request data: a
//! [`Probe`] on a subscription start records its arguments (filter, `after`, the
//! connection's slot) instead of opening a stream; an [`Event`] on a group's
//! execution makes it yield that one event.

mod feed;
pub mod key;
mod log_end;
mod member;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use futures_util::stream::BoxStream;
use tokio::sync::OwnedSemaphorePermit;

pub use key::{Key, Template};

use crate::error::Error;
use crate::graphql::AppSchema;
use crate::releases::release_log::{Filter, Release};
use crate::AppState;

/// Deliveries a member may fall behind before it reads its gap from the log.
const CAPACITY: usize = 256;

/// What the resolver was asked for, recorded by a [`Probe`].
pub struct Joined {
    pub filter: Filter,
    pub after: Option<i64>,
    /// The connection's subscription slot, held by the member.
    pub slot: Option<OwnedSemaphorePermit>,
}

/// Request data of a subscription start (see the module documentation).
#[derive(Clone, Default)]
pub struct Probe(Arc<Mutex<Option<Joined>>>);

impl Probe {
    pub fn record(&self, joined: Joined) {
        *lock(&self.0) = Some(joined);
    }

    pub fn take(&self) -> Option<Joined> {
        lock(&self.0).take()
    }
}

/// Request data of one execution of a group: the subscription yields this item once
/// (an event only if it matches the filter).
pub struct Event(Mutex<Option<Result<Arc<Release>, Error>>>);

impl Event {
    pub fn take(&self) -> Option<Result<Arc<Release>, Error>> {
        lock(&self.0).take()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One serialised payload for every member: a `next` message's `payload`.
pub type Payload = Arc<str>;

/// One event as the group's members get it.
struct Delivery {
    /// The event's log position (`i64::MAX` for a final error).
    position: i64,
    payload: Payload,
}

/// The groups of this process.
#[derive(Clone, Default)]
pub struct Registry(Arc<Mutex<HashMap<Key, Weak<Group>>>>);

impl Registry {
    /// The payloads of a subscription that the resolver recorded in its probe: it
    /// joins (or starts) the group of `request` and `admin`.
    pub fn subscribe(
        &self,
        schema: &AppSchema,
        state: &AppState,
        key: Key,
        template: Template,
        joined: Joined,
    ) -> BoxStream<'static, Payload> {
        let mut groups = lock(&self.0);
        // A group whose feed ended (a failed read) takes no new members. It is
        // dropped after the lock is released: its `Drop` takes the lock.
        let stale = match groups.get(&key).and_then(Weak::upgrade) {
            Some(group) => match group.shared.receiver() {
                Some(rx) => {
                    drop(groups);
                    return member::stream(group, rx, joined, state);
                }
                None => Some(group),
            },
            None => None,
        };
        let shared = Arc::new(feed::Shared::new(
            schema.clone(),
            state.clone(),
            template,
            joined.filter.clone(),
            key.admin(),
        ));
        let Some(rx) = shared.receiver() else {
            unreachable!("a new feed has its sender")
        };
        // From the dispatcher's position: a member that is behind it reads the
        // rest from the log (`member`), and the feed reads what the dispatcher has
        // not shared yet.
        let start = state.dispatcher.position();
        let task = tokio::spawn(feed::run(shared.clone(), start)).abort_handle();
        state.metrics.subscription_group_opened();
        let group = Arc::new(Group {
            key: key.clone(),
            shared,
            start,
            task,
            registry: Arc::downgrade(&self.0),
            state: state.clone(),
        });
        groups.insert(key, Arc::downgrade(&group));
        drop(groups);
        drop(stale);
        member::stream(group, rx, joined, state)
    }
}

/// A group: its feed runs while it has members.
struct Group {
    key: Key,
    shared: Arc<feed::Shared>,
    /// The position after which the feed delivers every matching event.
    start: i64,
    task: tokio::task::AbortHandle,
    registry: Weak<Mutex<HashMap<Key, Weak<Group>>>>,
    state: AppState,
}

impl Drop for Group {
    fn drop(&mut self) {
        self.task.abort();
        self.state.metrics.subscription_group_closed();
        if let Some(registry) = self.registry.upgrade() {
            let mut groups = lock(&registry);
            // Only this group's entry: a new group of the same key may have
            // replaced it once this one's feed ended.
            if groups
                .get(&self.key)
                .is_some_and(|weak| weak.strong_count() == 0)
            {
                groups.remove(&self.key);
            }
        }
    }
}
