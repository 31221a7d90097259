//! One member of a group: its cursor, a receiver of the group's deliveries, and the
//! connection's slot. Everything else (the document, the execution, the payload) is
//! the group's.

use std::sync::Arc;

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::sync::broadcast::{self, error::RecvError};

use super::{log_end, Delivery, Group, Joined, Payload};
use crate::metrics::Metrics;
use crate::releases::release_log;
use crate::AppState;

/// The payloads of one member, in log order, until shutdown or a failed read.
/// `rx` was subscribed before anything is read, so that nothing falls between the
/// log and the group.
pub(super) fn stream(
    group: Arc<Group>,
    mut rx: broadcast::Receiver<Arc<Delivery>>,
    joined: Joined,
    state: &AppState,
) -> BoxStream<'static, Payload> {
    let db = state.db.clone();
    let metrics = state.metrics.clone();
    metrics.subscription_opened();
    let open = Open(metrics.clone());
    async_stream::stream! {
        let _alive = (&open, &joined.slot);
        let mut cursor = match joined.after {
            Some(after) => after,
            // The end of the log now, as for a subscriber of its own
            // (`releases::stream::follow`): rows committed but not yet shared are not
            // "from now on".
            None => match Box::pin(release_log::last_position(db.conn())).await {
                Ok(position) => position,
                Err(err) => {
                    if let Some(payload) = Box::pin(group.shared.execute(Err(err))).await {
                        yield payload;
                    }
                    return;
                }
            },
        };
        let mut catch_up = joined.after.is_some() || cursor < group.start;
        loop {
            while catch_up {
                // Boxed: every idle member would otherwise be as large as this read.
                let page = Box::pin(log_end::read(&group, cursor)).await;
                cursor = page.cursor;
                for payload in page.payloads {
                    metrics.event_delivered();
                    yield payload;
                }
                if page.failed {
                    return;
                }
                catch_up = !page.last;
            }
            match rx.recv().await {
                Ok(delivery) => {
                    if delivery.position <= cursor {
                        continue;
                    }
                    cursor = delivery.position;
                    metrics.event_delivered();
                    yield delivery.payload.clone();
                }
                Err(RecvError::Lagged(_)) => catch_up = true,
                Err(RecvError::Closed) => return,
            }
        }
    }
    .boxed()
}

/// Counts a subscription as open until its member is dropped.
struct Open(Metrics);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.subscription_closed();
    }
}
