//! Webhook counters for `/metrics`: deliveries by outcome, latency from the event's
//! commit to its acknowledgement, and the backlog of each endpoint this process serves.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

#[derive(Default)]
pub struct WebhookMetrics {
    outcomes: [AtomicU64; 6],
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    /// Events waiting, by endpoint (global ID), for the endpoints this process delivers to.
    backlog: Mutex<BTreeMap<String, u64>>,
}

impl WebhookMetrics {
    pub fn attempted(&self, outcome: Outcome) {
        self.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records the time from an event's commit to its acknowledgement.
    pub fn acknowledged_after(&self, seconds: f64) {
        let i = BUCKETS
            .iter()
            .position(|le| seconds <= *le)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add((seconds.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn set_backlog(&self, webhook: &str, events: u64) {
        if let Ok(mut backlog) = self.backlog.lock() {
            backlog.insert(webhook.to_string(), events);
        }
    }

    /// The endpoint is no longer delivered by this process.
    pub fn forget(&self, webhook: &str) {
        if let Ok(mut backlog) = self.backlog.lock() {
            backlog.remove(webhook);
        }
    }

    pub fn render(&self, out: &mut String) {
        let name = "premiere_webhook_deliveries_total";
        let _ = writeln!(
            out,
            "# HELP {name} Webhook delivery attempts by outcome (ok: acknowledged with a 2xx; \
             http_error, timeout, unreachable, blocked: retried; gone: 410, endpoint disabled).\n\
             # TYPE {name} counter"
        );
        for outcome in Outcome::ALL {
            let _ = writeln!(
                out,
                "{name}{{outcome=\"{}\"}} {}",
                outcome.label(),
                self.outcomes[outcome as usize].load(Ordering::Relaxed)
            );
        }
        let name = "premiere_webhook_delivery_latency_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a release event's commit to its acknowledgement by an endpoint.\n\
             # TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (i, le) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        cumulative += self.buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(
            out,
            "{name}_sum {:.6}\n{name}_count {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            self.latency_count.load(Ordering::Relaxed)
        );
        let name = "premiere_webhook_backlog";
        let _ = writeln!(
            out,
            "# HELP {name} Release events waiting to be delivered, by endpoint, for the \
             endpoints this process delivers to.\n# TYPE {name} gauge"
        );
        if let Ok(backlog) = self.backlog.lock() {
            for (webhook, events) in backlog.iter() {
                let _ = writeln!(out, "{name}{{webhook=\"{webhook}\"}} {events}");
            }
        }
    }
}
