//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::db::Db;

#[derive(Default)]
struct Counters {
    events_dispatched: AtomicU64,
    events_delivered: AtomicU64,
    subscriptions_open: AtomicU64,
    ws_connections_open: AtomicU64,
    scheduled_published: AtomicU64,
    scheduler_lateness_micros: AtomicU64,
}

/// Process-wide counters; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Counters>);

impl Metrics {
    pub fn event_dispatched(&self, _receivers: usize) {
        self.0.events_dispatched.fetch_add(1, Ordering::Relaxed);
    }

    pub fn event_delivered(&self) {
        self.0.events_delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub fn subscription_opened(&self) {
        self.0.subscriptions_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn subscription_closed(&self) {
        self.0.subscriptions_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn ws_opened(&self) {
        self.0.ws_connections_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn ws_closed(&self) {
        self.0.ws_connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn scheduler_lateness(&self, seconds: f64) {
        self.0.scheduled_published.fetch_add(1, Ordering::Relaxed);
        self.0
            .scheduler_lateness_micros
            .fetch_add((seconds.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self, db: &Db) -> String {
        let c = &self.0;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "premiere_sql_statements_total",
            "counter",
            "SQL statements run by this process.",
            db.statements().to_string(),
        );
        metric(
            "premiere_release_events_dispatched_total",
            "counter",
            "Release log entries read by the dispatcher and shared with local subscribers.",
            c.events_dispatched.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "premiere_release_events_delivered_total",
            "counter",
            "Release alerts pushed to subscribers.",
            c.events_delivered.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "premiere_subscriptions_open",
            "gauge",
            "Open releaseAlerts subscriptions.",
            c.subscriptions_open.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "premiere_websocket_connections_open",
            "gauge",
            "Open WebSocket connections.",
            c.ws_connections_open.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "premiere_scheduler_published_total",
            "counter",
            "Installments published by the scheduler.",
            c.scheduled_published.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "premiere_scheduler_lateness_seconds_sum",
            "counter",
            "Sum of how late the scheduler published, in seconds.",
            format!(
                "{:.6}",
                c.scheduler_lateness_micros.load(Ordering::Relaxed) as f64 / 1e6
            ),
        );
        out
    }
}
