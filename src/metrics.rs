//! Counters for `/metrics`, kept by the `metrics` crate and rendered in the Prometheus
//! text format by `metrics-exporter-prometheus` (no listener of its own: the `/metrics`
//! route renders through a [`PrometheusHandle`]).
//!
//! Each [`Metrics`] owns its own [`PrometheusRecorder`] instead of installing a global
//! one: several applications run in one process (every API test starts its own), and a
//! global recorder would add their counts together. Every series is registered once, on
//! the recorder, when the `Metrics` is built ([`metrics::with_local_recorder`] scopes the
//! macros to it), so each one is rendered from start-up, at zero, and recording is a
//! call on a stored handle: no global state, no lookup on the hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics::{Counter, Gauge, Histogram};
use metrics_exporter_prometheus::PrometheusRecorder;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::cache::metrics::CacheMetrics;
use crate::webhooks::metrics::WebhookMetrics;

mod labels;

pub use labels::{Dropped, Limit, Operation, Outcome};

/// Upper bounds (seconds) of the request latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds (seconds) of the scheduler lateness histogram's buckets.
const LATENESS_BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0];

/// The operations counted by outcome (a batch is timed, its operations counted).
const COUNTED: [Operation; 4] = [
    Operation::Query,
    Operation::Mutation,
    Operation::Subscription,
    Operation::Unknown,
];

const REQUESTS: &str = "premiere_graphql_requests_total";
const LATENCY: &str = "premiere_graphql_request_duration_seconds";
const LATENESS: &str = "premiere_scheduler_lateness_seconds";

/// How often buffered histogram samples are folded into their buckets, so that a
/// process nobody scrapes does not keep every sample.
const UPKEEP: Duration = Duration::from_secs(5);

struct Handles {
    prometheus: PrometheusHandle,
    /// The SQL statement count, kept by the database connection's metric callback
    /// (set when it connects, before the application exists) and copied in on render.
    sql_statements_source: Arc<AtomicU64>,
    sql_statements: Counter,
    /// The part of that count run by the dispatcher's reads and by HTTP requests'
    /// handlers (tallied by `crate::db::tallied`), copied in on render.
    dispatcher_statements_source: Arc<AtomicU64>,
    dispatcher_statements: Counter,
    request_statements_source: Arc<AtomicU64>,
    request_statements: Counter,
    /// GraphQL requests by operation (row, without `Batch`) and outcome (column).
    requests: [[Counter; 3]; 4],
    /// Latency of GraphQL HTTP requests by operation.
    latency: [Histogram; 5],
    limits_refused: [Counter; Limit::ALL.len()],
    events_dispatched: Counter,
    events_delivered: Counter,
    subscriptions_open: Gauge,
    subscription_groups: Gauge,
    ws_connections_open: Gauge,
    scheduled_published: Counter,
    /// How late the scheduler published: a histogram, so `_sum` comes with `_count`.
    scheduler_lateness: Histogram,
    /// Subscriber connections closed by the server: silent peers, stuck writes.
    dropped: [Counter; Dropped::ALL.len()],
    listener_connected: Gauge,
    listener_connect_failures: Counter,
    webhooks: WebhookMetrics,
    response_cache: CacheMetrics,
}

/// The counters of one application; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Handles>);

impl Metrics {
    /// Counters on a recorder of their own; `sql_statements` is the database's
    /// statement count ([`crate::db::Db::statement_counter`]).
    pub fn new(sql_statements: Arc<AtomicU64>) -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(LATENCY.into()), &LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(LATENESS.into()), &LATENESS_BUCKETS)
            })
            .and_then(WebhookMetrics::buckets)
            .expect("the bucket lists are not empty")
            .build_recorder();
        let recorder = Arc::new(recorder);
        let handles = metrics::with_local_recorder(recorder.as_ref(), || {
            Self::register(&recorder, sql_statements)
        });
        let metrics = Metrics(Arc::new(handles));
        metrics.spawn_upkeep();
        metrics
    }

    fn register(recorder: &Arc<PrometheusRecorder>, source: Arc<AtomicU64>) -> Handles {
        describe();
        Handles {
            prometheus: recorder.handle(),
            sql_statements_source: source,
            sql_statements: counter!("premiere_sql_statements_total"),
            dispatcher_statements_source: Arc::default(),
            dispatcher_statements: counter!("premiere_sql_statements_dispatcher_total"),
            request_statements_source: Arc::default(),
            request_statements: counter!("premiere_sql_statements_requests_total"),
            requests: COUNTED.map(|op| {
                Outcome::ALL.map(|outcome| {
                    counter!(REQUESTS, "operation" => op.label(), "outcome" => outcome.label())
                })
            }),
            latency: Operation::ALL.map(|op| histogram!(LATENCY, "operation" => op.label())),
            limits_refused: Limit::ALL
                .map(|l| counter!("premiere_limit_refusals_total", "limit" => l.label())),
            events_dispatched: counter!("premiere_release_events_dispatched_total"),
            events_delivered: counter!("premiere_release_events_delivered_total"),
            subscriptions_open: gauge!("premiere_subscriptions_open"),
            subscription_groups: gauge!("premiere_subscription_groups"),
            ws_connections_open: gauge!("premiere_websocket_connections_open"),
            scheduled_published: counter!("premiere_scheduler_published_total"),
            scheduler_lateness: histogram!(LATENESS),
            dropped: Dropped::ALL
                .map(|why| counter!("premiere_connections_dropped_total", "reason" => why.label())),
            listener_connected: gauge!("premiere_release_listener_connected"),
            listener_connect_failures: counter!("premiere_release_listener_connect_failures_total"),
            webhooks: WebhookMetrics::register(recorder.clone()),
            response_cache: CacheMetrics::register(),
        }
    }

    /// Folds buffered histogram samples into their buckets now and then, while the
    /// metrics live (a process may run without anyone scraping it).
    fn spawn_upkeep(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<Handles> = Arc::downgrade(&self.0);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP);
            loop {
                tick.tick().await;
                let Some(handles) = weak.upgrade() else {
                    return;
                };
                handles.prometheus.run_upkeep();
            }
        });
    }

    /// The response cache's counters.
    pub fn response_cache(&self) -> &CacheMetrics {
        &self.0.response_cache
    }

    /// The webhook counters.
    pub fn webhooks(&self) -> &WebhookMetrics {
        &self.0.webhooks
    }

    pub fn event_dispatched(&self) {
        self.0.events_dispatched.increment(1);
    }

    pub fn event_delivered(&self) {
        self.0.events_delivered.increment(1);
    }

    pub fn subscription_opened(&self) {
        self.0.subscriptions_open.increment(1.0);
    }

    pub fn subscription_closed(&self) {
        self.0.subscriptions_open.decrement(1.0);
    }

    pub fn subscription_group_opened(&self) {
        self.0.subscription_groups.increment(1.0);
    }

    pub fn subscription_group_closed(&self) {
        self.0.subscription_groups.decrement(1.0);
    }

    pub fn ws_opened(&self) {
        self.0.ws_connections_open.increment(1.0);
    }

    pub fn ws_closed(&self) {
        self.0.ws_connections_open.decrement(1.0);
    }

    /// Counts a connection the server closed because its peer was dead or stuck.
    pub fn connection_dropped(&self, why: Dropped) {
        self.0.dropped[why as usize].increment(1);
    }

    /// Whether the PostgreSQL LISTEN connection is up.
    pub fn listener_connected(&self, up: bool) {
        self.0.listener_connected.set(f64::from(u8::from(up)));
    }

    /// Counts a failed attempt of the LISTEN connection to connect.
    pub fn listener_connect_failed(&self) {
        self.0.listener_connect_failures.increment(1);
    }

    /// Counts one installment published by the scheduler, `seconds` after its time.
    pub fn scheduler_lateness(&self, seconds: f64) {
        self.0.scheduled_published.increment(1);
        self.0.scheduler_lateness.record(seconds.max(0.0));
    }

    /// Counts one GraphQL operation served over HTTP.
    pub fn graphql_request(&self, operation: Operation, outcome: Outcome) {
        if let Some(row) = self.0.requests.get(operation as usize) {
            row[outcome as usize].increment(1);
        }
    }

    /// Records how long one GraphQL HTTP request took, from its arrival to its response.
    pub fn graphql_latency(&self, operation: Operation, seconds: f64) {
        self.0.latency[operation as usize].record(seconds.max(0.0));
    }

    /// Counts one refusal by a configured limit.
    pub fn limit_refused(&self, limit: Limit) {
        self.0.limits_refused[limit as usize].increment(1);
    }

    /// Where the dispatcher's statements are tallied (`crate::db::tallied`).
    pub fn dispatcher_statements(&self) -> Arc<AtomicU64> {
        self.0.dispatcher_statements_source.clone()
    }

    /// Where the statements of HTTP requests' handlers are tallied.
    pub fn request_statements(&self) -> Arc<AtomicU64> {
        self.0.request_statements_source.clone()
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let h = &self.0;
        h.sql_statements
            .absolute(h.sql_statements_source.load(Ordering::Relaxed));
        h.dispatcher_statements
            .absolute(h.dispatcher_statements_source.load(Ordering::Relaxed));
        h.request_statements
            .absolute(h.request_statements_source.load(Ordering::Relaxed));
        h.prometheus.render()
    }
}

/// The help text of every series (`# HELP` lines).
fn describe() {
    describe_counter!(
        "premiere_sql_statements_total",
        "SQL statements run by this process."
    );
    describe_counter!(
        "premiere_sql_statements_dispatcher_total",
        "Of the SQL statements, those of the release dispatcher's reads of the log."
    );
    describe_counter!(
        "premiere_sql_statements_requests_total",
        "Of the SQL statements, those run by HTTP request handlers before they answer \
         (not by WebSocket sessions or streams)."
    );
    describe_counter!(
        "premiere_release_events_dispatched_total",
        "Release log entries read by the dispatcher and shared with local subscribers."
    );
    describe_counter!(
        "premiere_release_events_delivered_total",
        "Release alerts pushed to subscribers."
    );
    describe_gauge!(
        "premiere_subscriptions_open",
        "Open releaseAlerts subscriptions."
    );
    describe_gauge!(
        "premiere_subscription_groups",
        "Groups of identical releaseAlerts subscriptions, each executed once per event."
    );
    describe_gauge!(
        "premiere_websocket_connections_open",
        "Open WebSocket connections."
    );
    describe_counter!(
        "premiere_scheduler_published_total",
        "Installments published by the scheduler."
    );
    describe_histogram!(LATENESS, "How late the scheduler published, in seconds.");
    describe_gauge!(
        "premiere_release_listener_connected",
        "1 while the PostgreSQL LISTEN connection of this process is up."
    );
    describe_counter!(
        "premiere_release_listener_connect_failures_total",
        "Failed connection attempts of the PostgreSQL LISTEN connection."
    );
    describe_counter!(
        "premiere_connections_dropped_total",
        "Connections closed by the server because the peer was silent for two WebSocket \
         keep-alive intervals (unresponsive) or stopped reading, its writes blocked past \
         the send timeout (stuck; any transport)."
    );
    describe_counter!(
        REQUESTS,
        "GraphQL operations served over HTTP, by operation type and outcome (ok; error: \
         executed with field errors; rejected: refused before execution)."
    );
    describe_histogram!(
        LATENCY,
        "Latency of GraphQL HTTP requests, by operation type."
    );
    describe_counter!(
        "premiere_limit_refusals_total",
        "Requests, connections and subscriptions refused by a configured limit."
    );
}
