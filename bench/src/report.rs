//! The tables and the targets.
//!
//! Over 400 lines on purpose: every table and every target check of the run, kept
//! together so that a figure and the target it is checked against sit side by side.

use std::fmt::Write;
use std::time::Duration;

use crate::data::Shape;
use crate::fanout;
use crate::nested;

/// Nested queries: at least this share of the raw-SQL floor's rate.
pub const RATE_RATIO: f64 = 0.35;
/// Nested queries: p50 at concurrency 1 at most this much above the floor's (ms).
pub const P50_MARGIN_MS: f64 = 1.0;
/// Fan-out: p50 and p99 at most this multiple of the bare broadcast's (issue 13).
pub const P99_RATIO: f64 = 1.3;
/// The mixed case (many documents): p99 at most this multiple of the floor's.
pub const MIXED_P99_RATIO: f64 = 2.0;
/// The fan-out size at which the latency and memory targets apply.
pub const P99_AT: usize = 10_000;
/// The largest fan-out size: every event delivered.
pub const LARGEST: usize = 19_000;
/// Server memory per idle subscriber at N = P99_AT, bytes (connection included).
pub const RSS_PER_SUBSCRIBER: f64 = 10.0 * 1024.0;
/// SQL statements per event, the publishing mutation's included.
pub const SQL_PER_EVENT: f64 = 4.0;
/// SQL statements per event may differ across N by at most this (background noise).
pub const SQL_SPREAD: f64 = 0.5;

#[derive(Default)]
pub struct Report {
    pub smoke: bool,
    pub backend: String,
    pub shape: Shape,
    pub concurrency: usize,
    pub phase: Duration,
    pub events: usize,
    pub interval: Duration,
    pub nofile: u64,
    pub load_secs: f64,
    pub nested_premiere: Option<nested::Figures>,
    pub nested_floor: Option<nested::Figures>,
    /// Premiere with its response cache (the nested figures above are without it).
    pub cached: Option<nested::Figures>,
    /// PostGraphile 4 over the same database, or why it was skipped.
    pub postgraphile: Option<Result<nested::Figures, String>>,
    pub stale: Option<crate::stale::Figures>,
    /// (server, bare broadcast floor) per N.
    pub fanout: Vec<(fanout::Figures, fanout::Figures)>,
    pub skipped: Vec<String>,
}

/// Statements per event, then by share when the server tells them apart: the
/// publishing mutation's, the dispatcher's, and the background's (the rest).
fn sql_shares(x: &fanout::Figures) -> String {
    let (mutation, dispatcher) = (x.sql_mutation_per_event, x.sql_dispatcher_per_event);
    if mutation.is_nan() || dispatcher.is_nan() {
        return format!("{:.2}", x.sql_per_event);
    }
    let background = x.sql_per_event - mutation - dispatcher;
    format!(
        "{:.2} ({mutation:.2} + {dispatcher:.2} + {background:.2})",
        x.sql_per_event
    )
}

/// nproc, memory and CPU model.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores ({model}), {mem_gib:.1} GiB memory")
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

impl Report {
    fn fanout_at(&self, n: usize) -> Option<&(fanout::Figures, fanout::Figures)> {
        self.fanout
            .iter()
            .find(|(p, _)| p.n == n && p.documents <= 1)
    }

    fn mixed(&self) -> Option<&(fanout::Figures, fanout::Figures)> {
        self.fanout.iter().find(|(p, _)| p.documents > 1)
    }

    pub fn render(&self, machine: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n# premiere-bench{}\n\nMachine: {machine}. Database: {}. Open-file limit: {}.\n",
            if self.smoke { " (smoke)" } else { "" },
            self.backend,
            self.nofile
        );
        if let (Some(p), Some(f)) = (&self.nested_premiere, &self.nested_floor) {
            let s = &self.shape;
            let _ = writeln!(
                out,
                "## Nested queries\n\n{} series × {} installments × {} credits ({} people), loaded in {:.1} s; \
                 {:.0} s per phase; throughput at concurrency {}; \
                 each server's open loop at half its own highest rate.\n",
                s.series,
                s.installments,
                s.credits,
                s.people,
                self.load_secs,
                self.phase.as_secs_f64(),
                self.concurrency
            );
            let _ = writeln!(
                out,
                "| | premiere | raw-SQL floor | premiere vs floor | target |\n|---|---:|---:|---:|---|"
            );
            let rate_ratio = p.max_rate / f.max_rate;
            let _ = writeln!(
                out,
                "| valid queries/s at c={} | {:.0} | {:.0} | {:.2}× | ≥ {RATE_RATIO}×: {} |",
                self.concurrency,
                p.max_rate,
                f.max_rate,
                rate_ratio,
                met(rate_ratio >= RATE_RATIO)
            );
            let diff = p.c1.p50 - f.c1.p50;
            let _ = writeln!(
                out,
                "| p50 at c=1 (ms) | {:.3} | {:.3} | {:+.3} ms | ≤ +{P50_MARGIN_MS} ms: {} |",
                p.c1.p50,
                f.c1.p50,
                diff,
                met(diff <= P50_MARGIN_MS)
            );
            let rows: [(&str, f64, f64, bool); 6] = [
                ("p99 at c=1 (ms)", p.c1.p99, f.c1.p99, false),
                ("queries/s at c=1", p.c1_rate, f.c1_rate, true),
                ("open-loop rate (q/s)", p.half_rate, f.half_rate, true),
                ("p50 at half rate (ms)", p.half.p50, f.half.p50, false),
                ("p99 at half rate (ms)", p.half.p99, f.half.p99, false),
                ("SQL statements/request at c=1", p.sql_c1, f.sql_c1, false),
            ];
            for (name, a, b, rate) in rows {
                let digits = if rate { 0 } else { 3 };
                let _ = writeln!(
                    out,
                    "| {name} | {a:.digits$} | {b:.digits$} | {:.2}× | |",
                    a / b
                );
            }
            let _ = writeln!(
                out,
                "| SQL statements/request at c={} | {:.2} | {:.2} | | |",
                self.concurrency, p.sql_max, f.sql_max
            );
            let _ = writeln!(
                out,
                "| invalid responses (c={} / c=1 / half rate) | {} / {} / {} | {} / {} / {} | | none |",
                self.concurrency,
                p.max_invalid,
                p.c1_invalid,
                p.half_invalid,
                f.max_invalid,
                f.c1_invalid,
                f.half_invalid
            );
        }
        crate::reads::render(self, &mut out);
        if !self.fanout.is_empty() || !self.skipped.is_empty() {
            let _ = writeln!(
                out,
                "\n## Fan-out\n\ngraphql-transport-ws clients on one series; {} events {} ms apart; \
                 latency from just before each publish is sent to receipt by each client; \
                 memory: change of the server's Rss (smaps_rollup) from before the clients \
                 connect to all of them subscribed and idle, divided by N (in brackets: until all are \
                 connected and acknowledged, before subscribing).\n",
                self.events,
                self.interval.as_millis()
            );
            let _ = writeln!(
                out,
                "| N | documents | server | delivered / expected | p50 (ms) | p99 (ms) | max (ms) | memory / idle subscriber (of which connection) | SQL statements / event (mutation + dispatcher + background) | CPU / event (ms) | CPU / delivered alert (µs) | connect (s) | frame (bytes) |\n|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for (p, f) in &self.fanout {
                for (name, x) in [("premiere", p), ("bare broadcast", f)] {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {name} | {} / {}{} | {:.2} | {:.2} | {:.2} | {} ({}) | {} | {:.1} | {:.1} | {:.1} | {} |",
                        x.n,
                        x.documents,
                        x.delivered,
                        x.expected,
                        if x.duplicates + x.out_of_order > 0 {
                            format!(" ({} dup, {} out of order)", x.duplicates, x.out_of_order)
                        } else {
                            String::new()
                        },
                        x.latency.p50,
                        x.latency.p99,
                        x.latency.max,
                        kib(x.rss_per_subscriber),
                        kib(x.rss_per_connection),
                        sql_shares(x),
                        x.cpu_secs * 1e3 / self.events.max(1) as f64,
                        x.cpu_secs * 1e6 / x.delivered.max(1) as f64,
                        x.connect_secs,
                        x.frame_len
                    );
                }
            }
            let _ = writeln!(
                out,
                "\n| N | documents | p50 premiere / floor | p99 premiere / floor | publish round trip p50 (ms) |\n|---:|---:|---:|---:|---:|"
            );
            for (p, f) in &self.fanout {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.2}× | {:.2}× | {:.2} |",
                    p.n,
                    p.documents,
                    p.latency.p50 / f.latency.p50,
                    p.latency.p99 / f.latency.p99,
                    p.publish_rtt.p50
                );
            }
            for skipped in &self.skipped {
                let _ = writeln!(out, "\nSkipped {skipped}.");
            }
        }
        if !self.smoke {
            let _ = writeln!(out, "\n## Targets\n");
            for (name, ok) in self.targets() {
                let _ = writeln!(out, "- {}: {name}", met(ok));
            }
        }
        out
    }

    /// Every target with whether it was met (only those whose figures were measured).
    pub fn targets(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        if let (Some(p), Some(f)) = (&self.nested_premiere, &self.nested_floor) {
            let ratio = p.max_rate / f.max_rate;
            out.push((
                format!(
                    "nested queries/s ≥ {RATE_RATIO}× the raw-SQL floor's (measured {ratio:.2}×)"
                ),
                ratio >= RATE_RATIO,
            ));
            let diff = p.c1.p50 - f.c1.p50;
            out.push((
                format!(
                    "nested p50 at c=1 within {P50_MARGIN_MS} ms of the floor's (measured {diff:+.3} ms)"
                ),
                diff <= P50_MARGIN_MS,
            ));
        }
        out.extend(crate::reads::targets(self));
        if let Some((p, f)) = self.fanout_at(P99_AT) {
            for (what, ratio) in [
                ("p50", p.latency.p50 / f.latency.p50),
                ("p99", p.latency.p99 / f.latency.p99),
            ] {
                out.push((
                    format!(
                        "fan-out {what} at N = {P99_AT} ≤ {P99_RATIO}× the bare broadcast's (measured {ratio:.2}×)"
                    ),
                    ratio <= P99_RATIO,
                ));
            }
            out.push((
                format!(
                    "server memory per idle subscriber at N = {P99_AT} ≤ 10 KiB, connection included (measured {})",
                    kib(p.rss_per_subscriber)
                ),
                p.rss_per_subscriber <= RSS_PER_SUBSCRIBER,
            ));
        }
        for (p, _) in self
            .fanout
            .iter()
            .filter(|(p, _)| p.documents <= 1 && (p.n == P99_AT || p.n == LARGEST))
        {
            out.push((
                format!(
                    "every event delivered at N = {} ({} of {})",
                    p.n, p.delivered, p.expected
                ),
                p.delivered == p.expected,
            ));
        }
        if let Some((p, f)) = self.mixed() {
            let ratio = p.latency.p99 / f.latency.p99;
            out.push((
                format!(
                    "mixed case ({} subscribers over {} documents): p99 ≤ {MIXED_P99_RATIO}× the floor's (measured {ratio:.2}×)",
                    p.n, p.documents
                ),
                ratio <= MIXED_P99_RATIO && p.delivered == p.expected,
            ));
        }
        if !self.fanout.is_empty() {
            let per_event: Vec<f64> = self.fanout.iter().map(|(p, _)| p.sql_per_event).collect();
            let min = per_event.iter().copied().fold(f64::INFINITY, f64::min);
            let max = per_event.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            out.push((
                format!("SQL statements per event constant in N (from {min:.2} to {max:.2})"),
                max - min <= SQL_SPREAD,
            ));
            out.push((
                format!(
                    "SQL statements per event ≤ {SQL_PER_EVENT}, everything the server ran \
                     during the publishing phase (measured at most {max:.2})"
                ),
                max <= SQL_PER_EVENT + 0.05,
            ));
            // The same target on the event's own statements, the publishing mutation's
            // (its HTTP handler's) and the dispatcher's, without the background (webhook
            // lease rounds, idle checks) that runs whatever the events.
            let shares =
                |p: &fanout::Figures| p.sql_mutation_per_event + p.sql_dispatcher_per_event;
            if let Some(p) = self
                .fanout
                .iter()
                .map(|(p, _)| p)
                .max_by(|a, b| shares(a).total_cmp(&shares(b)))
            {
                out.push((
                    format!(
                        "SQL statements per event ≤ {SQL_PER_EVENT}, the mutation's and the dispatcher's \
                         (measured at most {:.2} = {:.2} + {:.2})",
                        shares(p), p.sql_mutation_per_event, p.sql_dispatcher_per_event
                    ),
                    shares(p) <= SQL_PER_EVENT + 0.05,
                ));
            }
        }
        out
    }

    pub fn misses(&self) -> Vec<String> {
        self.targets()
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(name, _)| name)
            .collect()
    }

    /// Correctness failures: these fail the run, smoke or not.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, figures) in [
            ("premiere", &self.nested_premiere),
            ("raw-SQL floor", &self.nested_floor),
        ] {
            if let Some(f) = figures {
                let invalid = f.max_invalid + f.c1_invalid + f.half_invalid;
                if invalid > 0 {
                    out.push(format!("{name}: {invalid} invalid nested-query responses"));
                }
            }
        }
        out.extend(crate::reads::problems(self));
        for (p, f) in &self.fanout {
            for (name, x) in [("premiere", p), ("bare broadcast", f)] {
                if x.duplicates + x.out_of_order > 0 {
                    out.push(format!(
                        "{name} N = {}: {} duplicate and {} out-of-order deliveries",
                        x.n, x.duplicates, x.out_of_order
                    ));
                }
                if self.smoke && x.delivered != x.expected {
                    out.push(format!(
                        "{name} N = {}: delivered {} of {}",
                        x.n, x.delivered, x.expected
                    ));
                }
                if let Some(err) = &x.first_error {
                    out.push(format!(
                        "{name} N = {}: {} client errors, first: {err}",
                        x.n, x.client_errors
                    ));
                }
            }
        }
        out
    }
}
