//! Publishes SCHEDULED installments at `releaseAt`. It sleeps on the writer's clock
//! until the next due time and is woken when a schedule changes; claims are
//! conditional updates, so several processes never publish the same installment twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::outbox::Wakeups;
use super::publish;
use crate::catalog::write::Writer;
use crate::metrics::Metrics;

/// Longest sleep without a wake-up, so that schedules made by another replica
/// (which cannot wake this one without PostgreSQL LISTEN) are still seen.
const MAX_SLEEP: chrono::Duration = chrono::Duration::seconds(60);
/// How long, on the runtime's clock, a failed look at the schedule waits to retry.
const RETRY: Duration = Duration::from_secs(1);

/// Runs until `shutdown` (run it on the application's task tracker).
pub async fn run(writer: Writer, wakeups: Wakeups, metrics: Metrics, shutdown: CancellationToken) {
    let clock = writer.clock().clone();
    loop {
        let notified = wakeups.schedule().notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let wake_at = match run_once(&writer, &metrics).await {
            Ok(next) => {
                let longest = clock.now() + MAX_SLEEP;
                Some(next.map_or(longest, |next| next.min(longest)))
            }
            Err(_) => None,
        };
        let sleep = async {
            match wake_at {
                Some(at) => clock.sleep_until(at).await,
                None => tokio::time::sleep(RETRY).await,
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = &mut notified => {}
            _ = sleep => {}
        }
    }
}

async fn run_once(
    writer: &Writer,
    metrics: &Metrics,
) -> crate::error::Result<Option<DateTime<Utc>>> {
    for late in publish::publish_due(writer).await? {
        metrics.scheduler_lateness(late);
    }
    publish::next_due(writer).await
}
