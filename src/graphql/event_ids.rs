//! Event ids for transports that name their events (Server-Sent Events): the cursor
//! a client resumes after (`Last-Event-ID`), and, back from `releaseAlerts`, where
//! its stream starts and the cursor of each event it yields.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// The header an `EventSource` sends when it reconnects; named in errors.
pub const LAST_EVENT_ID: &str = "Last-Event-ID";

/// Request data of a subscription whose events carry ids.
pub struct EventIds {
    last_event_id: Option<String>,
    start: Mutex<Option<oneshot::Sender<i64>>>,
    current: Arc<AtomicI64>,
}

/// The transport's side of [`EventIds`].
pub struct EventIdsReader {
    /// The log position the subscription starts after, once it has started.
    pub start: oneshot::Receiver<i64>,
    current: Arc<AtomicI64>,
}

/// No event yielded yet (log positions are positive).
const NONE: i64 = 0;

impl EventIds {
    /// Ids for a request that sent `last_event_id`.
    pub fn new(last_event_id: Option<String>) -> (EventIds, EventIdsReader) {
        let (tx, rx) = oneshot::channel();
        let current = Arc::new(AtomicI64::new(NONE));
        let ids = EventIds {
            last_event_id,
            start: Mutex::new(Some(tx)),
            current: current.clone(),
        };
        (ids, EventIdsReader { start: rx, current })
    }

    /// The cursor the client last saw, as it sent it.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// Tells the transport the position the stream starts after (once).
    pub fn started(&self, position: i64) {
        if let Some(tx) = self.start.lock().ok().and_then(|mut tx| tx.take()) {
            let _ = tx.send(position);
        }
    }

    /// Where the stream records the position of each event it yields, just before
    /// the response of that event is built.
    pub fn recorder(&self) -> Arc<AtomicI64> {
        self.current.clone()
    }
}

impl EventIdsReader {
    /// The position of the event whose response was yielded last, if any. The
    /// subscription yields responses one by one, so it is that response's event.
    pub fn current(&self) -> Option<i64> {
        Some(self.current.load(Ordering::SeqCst)).filter(|p| *p != NONE)
    }
}
