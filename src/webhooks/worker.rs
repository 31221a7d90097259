//! The webhook worker of a process: a claimer that leases free endpoints and keeps
//! its leases alive, and one deliverer task per leased endpoint ([`super::deliverer`]),
//! so that one endpoint's failures never delay another's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::distributions::{Alphanumeric, DistString};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::deliverer::deliver_to;
use super::{deliver, lease, record, Hub};
use crate::catalog::now;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::releases::dispatcher::Dispatcher;

/// Endpoints claimed per round at most.
const CLAIM_BATCH: u64 = 100;

pub(super) struct Config {
    pub timeout: Duration,
    pub lease: Duration,
    pub retry_min: Duration,
    pub retry_max: Duration,
    pub budget: chrono::Duration,
    pub retention: chrono::Duration,
}

/// What the claimer and the deliverers of a process share.
pub(super) struct Shared {
    pub db: Db,
    pub client: deliver::Client,
    pub metrics: Metrics,
    /// This process's name in `webhook.lease_owner`.
    pub owner: String,
    pub config: Config,
    /// The dispatcher's position: changes when new log rows were read.
    pub positions: watch::Receiver<i64>,
    /// Changes when this process's API changed an endpoint.
    pub changes: watch::Receiver<u64>,
    /// Changes when the leases were renewed.
    pub renewed: watch::Receiver<u64>,
    pub shutdown: CancellationToken,
}

/// The running worker; [`Worker::stopped`] resolves once it has shut down.
pub struct Worker {
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(
        db: Db,
        settings: &Settings,
        metrics: Metrics,
        dispatcher: &Dispatcher,
        hub: &Hub,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Worker> {
        let client =
            deliver::Client::new(settings.webhook_timeout(), settings.webhook_allow_private)?;
        let config = Config {
            timeout: settings.webhook_timeout(),
            lease: settings.webhook_lease(),
            retry_min: Duration::from_millis(settings.webhook_retry_min_ms.max(1)),
            retry_max: Duration::from_millis(settings.webhook_retry_max_ms.max(1)),
            budget: seconds(settings.webhook_retry_budget_secs),
            retention: seconds(settings.webhook_delivery_retention_secs),
        };
        let (positions_tx, positions) = watch::channel(dispatcher.position());
        tokio::spawn(forward_positions(
            dispatcher.clone(),
            positions_tx,
            shutdown.clone(),
        ));
        let (renewed_tx, renewed) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            db,
            client,
            metrics,
            owner: format!(
                "premiere-{}",
                Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
            ),
            config,
            positions,
            changes: hub.subscribe(),
            renewed,
            shutdown,
        });
        Ok(Worker {
            handle: tokio::spawn(claim_rounds(shared, renewed_tx)),
        })
    }

    /// Waits until the worker has stopped (after shutdown), its deliveries in
    /// flight recorded and its leases given up.
    pub async fn stopped(self) {
        let _ = self.handle.await;
    }
}

fn seconds(secs: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000))
}

/// Resolves when `rx` changes; never when its sender is gone.
pub(super) async fn changed<T>(rx: &mut watch::Receiver<T>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Publishes the dispatcher's position each time it shares new log rows.
async fn forward_positions(
    dispatcher: Dispatcher,
    tx: watch::Sender<i64>,
    shutdown: CancellationToken,
) {
    let mut rx = dispatcher.subscribe();
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            received = rx.recv() => received,
        };
        match received {
            Ok(release) => {
                tx.send_replace(release.event.id);
            }
            Err(RecvError::Lagged(_)) => tx.send_modify(|_| {}),
            Err(RecvError::Closed) => return,
        }
    }
}

/// While this process holds no lease, old delivery records are pruned every this
/// many rounds (5 minutes at the default lease) instead of every round.
const IDLE_PRUNE_ROUNDS: u64 = 30;

/// Every lease/3 (or when the API changed an endpoint): renew this process's leases,
/// claim free endpoints, start their deliverers, and prune old delivery records (an
/// indexed DELETE, usually of nothing). A process that holds no lease only looks for a
/// free endpoint (one read) and prunes now and then: the background of a replica with
/// no endpoint to deliver to was 7 statements a round, 0.7 per event in the fan-out
/// benchmark (BENCHMARKS.md).
async fn claim_rounds(shared: Arc<Shared>, renewed: watch::Sender<u64>) {
    let mut changes = shared.changes.clone();
    let mut running: HashMap<i64, JoinHandle<()>> = HashMap::new();
    let round = shared.config.lease / 3;
    for rounds in 0u64.. {
        changes.borrow_and_update();
        running.retain(|_, task| !task.is_finished());
        let holding = !running.is_empty();
        let at = now();
        let until = at + shared.config.lease;
        if holding {
            match lease::renew(&shared.db, &shared.owner, until).await {
                Ok(_) => renewed.send_modify(|n| *n = n.wrapping_add(1)),
                Err(err) => tracing::warn!(error = %err, "webhook leases not renewed"),
            }
        }
        let claimable = holding
            || lease::any_free(&shared.db, &shared.owner, at)
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "webhook endpoints not looked for");
                    false
                });
        let claimed = if claimable {
            lease::claim(&shared.db, &shared.owner, at, until, CLAIM_BATCH).await
        } else {
            Ok(Vec::new())
        };
        match claimed {
            Ok(claimed) => {
                for id in claimed {
                    running
                        .entry(id)
                        .or_insert_with(|| tokio::spawn(deliver_to(shared.clone(), id)));
                }
            }
            Err(err) => tracing::warn!(error = %err, "webhook endpoints not claimed"),
        }
        if holding || rounds % IDLE_PRUNE_ROUNDS == 0 {
            if let Err(err) = record::prune(&shared.db, at - shared.config.retention).await {
                tracing::warn!(error = %err, "old webhook deliveries not pruned");
            }
        }
        tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            _ = changed(&mut changes) => {}
            _ = tokio::time::sleep(round) => {}
        }
    }
    for (_, task) in running {
        let _ = task.await;
    }
}
