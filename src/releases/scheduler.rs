//! Publishes SCHEDULED installments at `releaseAt`. It sleeps until the next due
//! time and is woken when a schedule changes; claims are conditional updates, so
//! several processes never publish the same installment twice.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::publish;
use crate::db::Db;
use crate::metrics::Metrics;

/// Longest sleep without a wake-up, so that schedules made by another replica
/// (which cannot wake this one without PostgreSQL LISTEN) are still seen.
const MAX_SLEEP: Duration = Duration::from_secs(60);

pub fn spawn(db: Db, metrics: Metrics, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let wakeup = db.schedule_wakeup();
        loop {
            let notified = wakeup.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let sleep = match run_once(&db, &metrics).await {
                Ok(Some(next)) => (next - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_SLEEP),
                Ok(None) => MAX_SLEEP,
                Err(_) => Duration::from_secs(1),
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = &mut notified => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    })
}

async fn run_once(
    db: &Db,
    metrics: &Metrics,
) -> crate::error::Result<Option<chrono::DateTime<chrono::Utc>>> {
    for late in publish::publish_due(db).await? {
        metrics.scheduler_lateness(late);
    }
    publish::next_due(db).await
}
