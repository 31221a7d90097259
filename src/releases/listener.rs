//! Cross-replica wake-ups on PostgreSQL: one LISTEN connection per process. A
//! notification (ids only, sent inside the publishing transaction) wakes the local
//! dispatcher, which reads the log from its last position.
//!
//! The listener has a connection of its own, outside the request pool, with a short
//! connect timeout: after an outage it is back within [`MAX_BACKOFF`] of the database
//! accepting connections, and then wakes the dispatcher and the scheduler at once, so
//! that what was appended while nobody listened is read without waiting for the
//! dispatcher's idle check.

use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use tokio_util::sync::CancellationToken;

use super::outbox::{Wakeups, LOG_CHANNEL, SCHEDULE_CHANNEL};
use crate::metrics::Metrics;

const MIN_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_millis(500);
/// How long one connection attempt may take (a host that drops packets).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Listens until `shutdown`, reconnecting as needed (run it on the application's
/// task tracker).
pub async fn run(wakeups: Wakeups, url: String, metrics: Metrics, shutdown: CancellationToken) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let connected = tokio::select! {
            _ = shutdown.cancelled() => return,
            listener = connect(&url) => listener,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(err) => {
                metrics.listener_connect_failed();
                tracing::warn!(error = %err, retry_in = ?backoff, "release log listener cannot connect");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = MIN_BACKOFF;
        metrics.listener_connected(true);
        // Whatever was appended while we were not listening is read now.
        wakeups.log_appended();
        wakeups.schedule_changed();
        loop {
            let received = tokio::select! {
                _ = shutdown.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(notification)) => {
                    if notification.channel() == SCHEDULE_CHANNEL {
                        wakeups.schedule_changed();
                    } else if notification.payload() != wakeups.origin() {
                        // This process's own appends woke its dispatcher at commit
                        // (its idle check covers a commit whose answer was lost).
                        wakeups.log_appended();
                    }
                }
                Ok(None) => {
                    tracing::warn!("release log listener reconnected");
                    wakeups.log_appended();
                    wakeups.schedule_changed();
                }
                Err(err) => {
                    tracing::warn!(error = %err, "release log listener lost its connection");
                    break;
                }
            }
        }
        metrics.listener_connected(false);
    }
}

/// A listener on a one-connection pool of its own whose attempts give up after
/// [`CONNECT_TIMEOUT`] (sqlx's `PgListener::connect` waits up to 30 s, retrying
/// with its own, longer backoff). Its automatic reconnect uses the same pool.
async fn connect(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect(url)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen_all([LOG_CHANNEL, SCHEDULE_CHANNEL]).await?;
    Ok(listener)
}
