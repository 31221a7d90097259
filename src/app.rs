//! The server's lifecycle: [`Application::build`] connects and migrates the database,
//! starts the background tasks (the release dispatcher, the scheduler, the
//! PostgreSQL listener, the webhook worker) and binds; [`Application::run_until`]
//! serves the router of [`crate::http`] until a signal, then shuts down: in-flight
//! requests finish, and the background tasks, kept in a [`TaskTracker`], are
//! awaited, each bounded by the shutdown timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rand::distributions::{Alphanumeric, DistString};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::catalog::write::Writer;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::http::write_timeout;
use crate::metrics::Metrics;
use crate::releases::outbox::{self, Wakeups};
use crate::releases::{dispatcher::Dispatcher, listener, scheduler};
use crate::webhooks::{self, worker::Worker};
use crate::{seed, AppState};

/// A built server: database migrated, listener bound, background tasks running.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown: CancellationToken,
    generated_token: bool,
    /// The background tasks that shutdown awaits.
    tasks: TaskTracker,
}

impl Application {
    /// Connects and migrates the database (loading the demo data into a newly
    /// created default database), starts the dispatcher and scheduler, and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let target = db::target(&settings);
        let db = Db::connect(&target.url, &settings).await?;
        let wakeups = Wakeups::default();
        let writer = outbox::writer(&db, settings.clock.clone(), &wakeups);
        if target.created_default {
            seed::seed_with(&writer).await?;
        }
        let listener = TcpListener::bind(settings.listen).await?;
        Self::with_listener(settings, writer, wakeups, listener).await
    }

    async fn with_listener(
        settings: Settings,
        writer: Writer,
        wakeups: Wakeups,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let db = writer.db().clone();
        let shutdown = CancellationToken::new();
        let metrics = Metrics::new(db.statement_counter());
        let tasks = TaskTracker::new();
        let dispatcher = Dispatcher::start(
            db.clone(),
            wakeups.clone(),
            metrics.clone(),
            Duration::from_secs(settings.log_idle_check_secs),
            shutdown.clone(),
            &tasks,
        )
        .await?;
        tasks.spawn(scheduler::run(
            writer.clone(),
            wakeups.clone(),
            metrics.clone(),
            shutdown.clone(),
        ));
        let hub = webhooks::Hub::default();
        let webhook_worker = Worker::spawn(
            db.clone(),
            &settings,
            metrics.clone(),
            &dispatcher,
            &hub,
            shutdown.clone(),
        )?;
        // Webhook deliveries in flight are recorded and leases given up, in time.
        tasks.spawn(webhook_worker.stopped());
        if let (sea_orm::DatabaseBackend::Postgres, Some(url)) =
            (db.backend(), &settings.database_url)
        {
            tasks.spawn(listener::run(
                wakeups.clone(),
                url.clone(),
                metrics.clone(),
                shutdown.clone(),
            ));
        }
        let generated_token = settings.admin_token.is_none();
        let admin_token: Arc<str> = match &settings.admin_token {
            Some(token) => token.as_str().into(),
            None => Alphanumeric
                .sample_string(&mut rand::thread_rng(), 32)
                .into(),
        };
        let state = AppState {
            db,
            writer,
            settings: Arc::new(settings),
            dispatcher,
            metrics,
            admin_token,
            webhooks: hub,
            fanout: crate::fanout::Registry::default(),
        };
        let router = crate::http::router(state.clone())?;
        tasks.close();
        Ok(Application {
            listener,
            router,
            state,
            shutdown,
            generated_token,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.settings.listen)
    }

    pub fn admin_token(&self) -> &str {
        &self.state.admin_token
    }

    /// Whether the admin token was generated (and must be shown once).
    pub fn generated_token(&self) -> bool {
        self.generated_token
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `signal` resolves, then lets in-flight work finish for at most
    /// the configured shutdown timeout.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let shutdown = self.shutdown.clone();
        let timeout = self.state.settings.shutdown_timeout();
        let trigger = shutdown.clone();
        let tasks = self.tasks;
        let listener = write_timeout::Listener::new(
            self.listener,
            self.state.settings.send_timeout(),
            self.state.metrics.clone(),
        );
        let serve = axum::serve(listener, self.router).with_graceful_shutdown(async move {
            signal.await;
            trigger.cancel();
        });
        let served = tokio::select! {
            result = serve => result,
            _ = async {
                shutdown.cancelled().await;
                tokio::time::sleep(timeout).await;
            } => {
                tracing::warn!("shutdown timeout reached; closing remaining connections");
                Ok(())
            }
        };
        let _ = tokio::time::timeout(timeout, tasks.wait()).await;
        served
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
