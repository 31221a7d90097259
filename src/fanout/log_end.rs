//! The handover between the log and a group: a member that resumes with `after`, or
//! that fell behind its group, reads its gap from the log and executes those events
//! itself; the deliveries of the group it has already had are then skipped by
//! position. No gap (the member subscribed to the group before reading), no
//! duplicate (positions only grow).

use super::{Group, Payload};
use crate::releases::dispatcher;

/// One batch of the log after a member's cursor.
pub(super) struct Page {
    pub payloads: Vec<Payload>,
    /// The position of the last event read.
    pub cursor: i64,
    /// The log has nothing more after `cursor` (for now).
    pub last: bool,
    /// The read failed: `payloads` holds the error, and the subscription ends.
    pub failed: bool,
}

/// Reads and executes one batch of the group's events after `cursor`.
pub(super) async fn read(group: &Group, mut cursor: i64) -> Page {
    let shared = &group.shared;
    match dispatcher::read(&shared.state.db, cursor, &shared.filter).await {
        Ok(batch) => {
            let last = (batch.len() as u64) < dispatcher::BATCH;
            let mut payloads = Vec::with_capacity(batch.len());
            for release in batch {
                cursor = release.event.id;
                payloads.extend(shared.execute(Ok(release)).await);
            }
            Page {
                payloads,
                cursor,
                last,
                failed: false,
            }
        }
        Err(err) => Page {
            payloads: shared.execute(Err(err)).await.into_iter().collect(),
            cursor,
            last: true,
            failed: true,
        },
    }
}
