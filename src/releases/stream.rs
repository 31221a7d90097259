//! One subscriber's stream: catch up from the log after its cursor, then follow the
//! dispatcher, reading any gap (a lagged channel) from the log. No gap, no duplicate.

use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::dispatcher::{self, Dispatcher};
use super::release_log::{self, Filter, Release};
use crate::db::Db;
use crate::error::Result;

/// Every event matching `filter` after position `after`, in log order, until shutdown.
/// Without `after`: the events appended to the log from now on.
pub async fn follow(
    db: Db,
    dispatcher: Dispatcher,
    filter: Filter,
    after: Option<i64>,
) -> Result<impl Stream<Item = Result<Arc<Release>>>> {
    // Subscribe before reading the position, so that nothing falls between the two.
    let mut rx = dispatcher.subscribe();
    let mut catch_up = after.is_some();
    let mut cursor = match after {
        Some(after) => after,
        // The end of the log now, not the dispatcher's position: rows already
        // committed (and acknowledged to their writers) may not have been shared
        // yet, and they are not "from now on". Later rows come on the dispatcher.
        None => release_log::last_position(db.conn()).await?,
    };
    Ok(async_stream::stream! {
        loop {
            if catch_up {
                loop {
                    // Boxed: the stream of every idle subscriber would otherwise be
                    // as large as this rarely taken read (BENCHMARKS.md).
                    let batch = match Box::pin(dispatcher::read(&db, cursor, &filter)).await {
                        Ok(batch) => batch,
                        Err(err) => {
                            yield Err(err);
                            return;
                        }
                    };
                    let done = (batch.len() as u64) < dispatcher::BATCH;
                    for release in batch {
                        cursor = release.event.id;
                        yield Ok(release);
                    }
                    if done {
                        break;
                    }
                }
                catch_up = false;
            }
            let received = tokio::select! {
                _ = dispatcher.shutdown().cancelled() => break,
                received = rx.recv() => received,
            };
            match received {
                Ok(release) => {
                    if release.event.id <= cursor {
                        continue;
                    }
                    cursor = release.event.id;
                    if filter.matches(&release) {
                        yield Ok(release);
                    }
                }
                Err(RecvError::Lagged(_)) => catch_up = true,
                Err(RecvError::Closed) => break,
            }
        }
    })
}
