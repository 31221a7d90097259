//! Webhook counters for `/metrics`: deliveries by outcome, latency from the event's
//! commit to its acknowledgement, and the backlog of each endpoint this process serves.
//! They live on the application's recorder (see [`crate::metrics`]).

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics::{Counter, Histogram};
use std::sync::Arc;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusRecorder};

/// How one delivery attempt ended, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: acknowledged.
    Ok,
    /// Another status (except 410).
    HttpError,
    /// No answer within the webhook timeout.
    Timeout,
    /// No connection (refused, reset, DNS failure, TLS error).
    Unreachable,
    /// The host is, or resolves to, a non-public address.
    Blocked,
    /// 410 Gone: the endpoint was disabled.
    Gone,
}

impl Outcome {
    const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::HttpError,
        Outcome::Timeout,
        Outcome::Unreachable,
        Outcome::Blocked,
        Outcome::Gone,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::HttpError => "http_error",
            Outcome::Timeout => "timeout",
            Outcome::Unreachable => "unreachable",
            Outcome::Blocked => "blocked",
            Outcome::Gone => "gone",
        }
    }
}

/// Upper bounds (seconds) of the delivery latency buckets: from instant to retried
/// for hours.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0, 3600.0, 86400.0,
];

const DELIVERIES: &str = "premiere_webhook_deliveries_total";
const LATENCY: &str = "premiere_webhook_delivery_latency_seconds";
const BACKLOG: &str = "premiere_webhook_backlog";

pub struct WebhookMetrics {
    outcomes: [Counter; Outcome::ALL.len()],
    latency: Histogram,
    /// Where the backlog gauges, one per endpoint, are registered as endpoints come.
    recorder: Arc<PrometheusRecorder>,
}

impl WebhookMetrics {
    /// Sets the latency histogram's buckets.
    pub(crate) fn buckets(builder: PrometheusBuilder) -> Result<PrometheusBuilder, BuildError> {
        builder.set_buckets_for_metric(Matcher::Full(LATENCY.into()), &BUCKETS)
    }

    /// Registers the counters on `recorder` (called with it as the local recorder).
    pub(crate) fn register(recorder: Arc<PrometheusRecorder>) -> Self {
        describe_counter!(
            DELIVERIES,
            "Webhook delivery attempts by outcome (ok: acknowledged with a 2xx; http_error, \
             timeout, unreachable, blocked: retried; gone: 410, endpoint disabled)."
        );
        describe_histogram!(
            LATENCY,
            "Time from a release event's commit to its acknowledgement by an endpoint."
        );
        describe_gauge!(
            BACKLOG,
            "Release events waiting to be delivered, by endpoint, for the endpoints this \
             process delivers to."
        );
        WebhookMetrics {
            outcomes: Outcome::ALL.map(|o| counter!(DELIVERIES, "outcome" => o.label())),
            latency: histogram!(LATENCY),
            recorder,
        }
    }

    pub fn attempted(&self, outcome: Outcome) {
        self.outcomes[outcome as usize].increment(1);
    }

    /// Records the time from an event's commit to its acknowledgement.
    pub fn acknowledged_after(&self, seconds: f64) {
        self.latency.record(seconds.max(0.0));
    }

    pub fn set_backlog(&self, webhook: &str, events: u64) {
        metrics::with_local_recorder(self.recorder.as_ref(), || {
            gauge!(BACKLOG, "webhook" => webhook.to_string()).set(events as f64);
        });
    }

    /// The endpoint is no longer delivered by this process: nothing waits here for it.
    /// (The exporter cannot unregister a series, so it stays, at zero.)
    pub fn forget(&self, webhook: &str) {
        self.set_backlog(webhook, 0);
    }
}
