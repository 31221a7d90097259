//! Webhooks: release alerts POSTed to HTTP endpoints, signed as Standard Webhooks
//! 1.0, in log order, retried until acknowledged.
//!
//! A webhook endpoint is a durable reader of the release log whose cursor lives in
//! its row. One process at a time delivers to it, under a lease ([`lease`]); the
//! [`worker`] of each process claims free endpoints and runs one [`deliverer`] per
//! endpoint, which POSTs the next matching event after the cursor ([`deliver`]),
//! and records the outcome with its effect in one transaction ([`record`]).

pub mod deliver;
pub mod deliverer;
pub mod lease;
pub mod metrics;
pub mod payload;
pub mod record;
pub mod retry;
pub mod signing;
pub mod ssrf;
pub mod store;
pub mod worker;

use std::sync::Arc;

use tokio::sync::watch;

/// Tells this process's webhook worker that endpoints were created or changed, so
/// that it claims and re-reads them now rather than at its next round.
#[derive(Clone)]
pub struct Hub {
    changes: Arc<watch::Sender<u64>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            changes: Arc::new(watch::channel(0).0),
        }
    }
}

impl Hub {
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
