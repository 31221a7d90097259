//! Cross-replica wake-ups on PostgreSQL: one LISTEN connection per process. A
//! notification (ids only, sent inside the publishing transaction) wakes the local
//! dispatcher, which reads the log from its last position. After a lost connection
//! it reconnects with backoff and wakes the dispatcher anyway, so nothing is lost.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::db::{Db, LOG_CHANNEL, SCHEDULE_CHANNEL};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub fn spawn(db: Db, url: String, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = MIN_BACKOFF;
        loop {
            let connected = tokio::select! {
                _ = shutdown.cancelled() => return,
                listener = connect(&url) => listener,
            };
            let mut listener = match connected {
                Ok(listener) => listener,
                Err(err) => {
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
            // Whatever was appended while we were not listening is read now.
            db.log_appended();
            db.schedule_changed();
            loop {
                let received = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    received = listener.try_recv() => received,
                };
                match received {
                    Ok(Some(notification)) => {
                        if notification.channel() == SCHEDULE_CHANNEL {
                            db.schedule_changed();
                        } else {
                            db.log_appended();
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("release log listener reconnected");
                        db.log_appended();
                        db.schedule_changed();
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "release log listener lost its connection");
                        break;
                    }
                }
            }
        }
    })
}

async fn connect(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all([LOG_CHANNEL, SCHEDULE_CHANNEL]).await?;
    Ok(listener)
}
