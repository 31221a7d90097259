//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::db::Db;

/// The type of a GraphQL operation, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Query,
    Mutation,
    Subscription,
    /// Not known: the document did not parse, or the request was malformed.
    Unknown,
    /// A batched POST (latency only; its operations are counted one by one).
    Batch,
}

impl Operation {
    const ALL: [Operation; 5] = [
        Operation::Query,
        Operation::Mutation,
        Operation::Subscription,
        Operation::Unknown,
        Operation::Batch,
    ];

    fn label(self) -> &'static str {
        match self {
            Operation::Query => "query",
            Operation::Mutation => "mutation",
            Operation::Subscription => "subscription",
            Operation::Unknown => "unknown",
            Operation::Batch => "batch",
        }
    }
}

/// How a GraphQL request ended, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Executed without errors.
    Ok,
    /// Executed, with field errors.
    Error,
    /// Refused before execution: malformed, invalid, or over a limit.
    Rejected,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::Error, Outcome::Rejected];

    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
        }
    }
}

/// A configured abuse limit that refused something, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    BodySize,
    BatchSize,
    /// Depth, complexity, aliases, root fields or nesting of a document.
    Query,
    WebsocketConnections,
    SubscriptionsPerConnection,
    /// SSE and multipart streams, which share the WebSocket connections' limit.
    HttpStreams,
}

impl Limit {
    const ALL: [Limit; 6] = [
        Limit::BodySize,
        Limit::BatchSize,
        Limit::Query,
        Limit::WebsocketConnections,
        Limit::SubscriptionsPerConnection,
        Limit::HttpStreams,
    ];

    fn label(self) -> &'static str {
        match self {
            Limit::BodySize => "body_size",
            Limit::BatchSize => "batch_size",
            Limit::Query => "query",
            Limit::WebsocketConnections => "websocket_connections",
            Limit::SubscriptionsPerConnection => "subscriptions_per_connection",
            Limit::HttpStreams => "http_streams",
        }
    }
}

/// Upper bounds (seconds) of the request latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64) {
        let i = LATENCY_BUCKETS
            .iter()
            .position(|le| seconds <= *le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Counters {
    /// GraphQL requests by operation (row) and outcome (column).
    requests: [[AtomicU64; 3]; 5],
    /// Latency of GraphQL HTTP requests by operation.
    latency: [Histogram; 5],
    limits_refused: [AtomicU64; Limit::ALL.len()],
    events_dispatched: AtomicU64,
    events_delivered: AtomicU64,
    subscriptions_open: AtomicU64,
    ws_connections_open: AtomicU64,
    scheduled_published: AtomicU64,
    scheduler_lateness_micros: AtomicU64,
    /// Subscriber connections closed by the server: silent peers, stuck writes.
    dropped: [AtomicU64; 2],
    listener_connected: AtomicU64,
    listener_connect_failures: AtomicU64,
    webhooks: crate::webhooks::metrics::WebhookMetrics,
}

/// Why the server closed a connection, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Sent nothing, not even a pong, for two keep-alive intervals.
    Unresponsive,
    /// A write stayed blocked longer than the send timeout: the peer stopped reading.
    Stuck,
}

impl Dropped {
    const ALL: [Dropped; 2] = [Dropped::Unresponsive, Dropped::Stuck];

    fn label(self) -> &'static str {
        match self {
            Dropped::Unresponsive => "unresponsive",
            Dropped::Stuck => "stuck",
        }
    }
}

/// Process-wide counters; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Counters>);

impl Metrics {
    /// The webhook counters.
    pub fn webhooks(&self) -> &crate::webhooks::metrics::WebhookMetrics {
        &self.0.webhooks
    }

    pub fn event_dispatched(&self) {
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

    /// Counts a connection the server closed because its peer was dead or stuck.
    pub fn connection_dropped(&self, why: Dropped) {
        self.0.dropped[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Whether the PostgreSQL LISTEN connection is up.
    pub fn listener_connected(&self, up: bool) {
        self.0
            .listener_connected
            .store(u64::from(up), Ordering::Relaxed);
    }

    /// Counts a failed attempt of the LISTEN connection to connect.
    pub fn listener_connect_failed(&self) {
        self.0
            .listener_connect_failures
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn scheduler_lateness(&self, seconds: f64) {
        self.0.scheduled_published.fetch_add(1, Ordering::Relaxed);
        self.0
            .scheduler_lateness_micros
            .fetch_add((seconds.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    /// Counts one GraphQL operation served over HTTP.
    pub fn graphql_request(&self, operation: Operation, outcome: Outcome) {
        self.0.requests[operation as usize][outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long one GraphQL HTTP request took, from its arrival to its response.
    pub fn graphql_latency(&self, operation: Operation, seconds: f64) {
        self.0.latency[operation as usize].observe(seconds);
    }

    /// Counts one refusal by a configured limit.
    pub fn limit_refused(&self, limit: Limit) {
        self.0.limits_refused[limit as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn render_requests(&self, out: &mut String) {
        let c = &self.0;
        let name = "premiere_graphql_requests_total";
        let _ = writeln!(
            out,
            "# HELP {name} GraphQL operations served over HTTP, by operation type and outcome \
             (ok; error: executed with field errors; rejected: refused before execution).\n\
             # TYPE {name} counter"
        );
        for op in Operation::ALL {
            if op == Operation::Batch {
                continue;
            }
            for outcome in Outcome::ALL {
                let value = c.requests[op as usize][outcome as usize].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}{{operation=\"{}\",outcome=\"{}\"}} {value}",
                    op.label(),
                    outcome.label()
                );
            }
        }
        let name = "premiere_graphql_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Latency of GraphQL HTTP requests, by operation type.\n# TYPE {name} histogram"
        );
        for op in Operation::ALL {
            let h = &c.latency[op as usize];
            let label = op.label();
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}_bucket{{operation=\"{label}\",le=\"{le}\"}} {cumulative}"
                );
            }
            cumulative += h.buckets[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{operation=\"{label}\",le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "{name}_sum{{operation=\"{label}\"}} {:.6}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "{name}_count{{operation=\"{label}\"}} {}",
                h.count.load(Ordering::Relaxed)
            );
        }
        let name = "premiere_limit_refusals_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests, connections and subscriptions refused by a configured limit.\n\
             # TYPE {name} counter"
        );
        for limit in Limit::ALL {
            let _ = writeln!(
                out,
                "{name}{{limit=\"{}\"}} {}",
                limit.label(),
                c.limits_refused[limit as usize].load(Ordering::Relaxed)
            );
        }
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
        metric(
            "premiere_release_listener_connected",
            "gauge",
            "1 while the PostgreSQL LISTEN connection of this process is up.",
            c.listener_connected.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "premiere_release_listener_connect_failures_total",
            "counter",
            "Failed connection attempts of the PostgreSQL LISTEN connection.",
            c.listener_connect_failures
                .load(Ordering::Relaxed)
                .to_string(),
        );
        let name = "premiere_connections_dropped_total";
        let _ = writeln!(
            out,
            "# HELP {name} Connections closed by the server because the peer was silent \
             for two WebSocket keep-alive intervals (unresponsive) or stopped reading, \
             its writes blocked past the send timeout (stuck; any transport).\n\
             # TYPE {name} counter"
        );
        for why in Dropped::ALL {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{}\"}} {}",
                why.label(),
                c.dropped[why as usize].load(Ordering::Relaxed)
            );
        }
        self.render_requests(&mut out);
        c.webhooks.render(&mut out);
        out
    }
}
