//! Catalogue reads (issue 14): PostGraphile 4 from npm over the same PostgreSQL
//! database as the peer, and the table of Premiere uncached and cached against it and
//! the raw-SQL floor, with the stale-read check.

use std::fmt::Write;
use std::path::Path;
use std::process::Stdio;

use anyhow::{ensure, Result};
use tokio::process::Command;

use crate::nested::{self, Figures, Plan};
use crate::procs::{self, Proc};
use crate::report::Report;
use crate::stale;

/// The benchmark's query in PostGraphile's schema (its default inflection: relations
/// named by their foreign keys; rows in primary-key order, as Premiere's).
pub const POSTGRAPHILE_QUERY: &str = "{ allSeries(first: 10) { nodes { title installmentsBySeriesId(first: 5) { nodes { title publishedAt creditsByInstallmentId(first: 8) { nodes { character personByPersonId { name } } } } } } } }";

/// Uncached rate at c=64: at least this share of the floor's.
pub const UNCACHED_FLOOR: f64 = 0.6;
/// Uncached p50 at c=1: at most this much above the floor's (ms).
pub const UNCACHED_P50_MS: f64 = 1.5;
/// Uncached rate: at least this multiple of PostGraphile's.
pub const UNCACHED_PEER: f64 = 3.0;
/// Cached rate: at least this multiple of PostGraphile's.
pub const CACHED_PEER: f64 = 20.0;
/// Cached p50 at c=1 (ms).
pub const CACHED_P50_MS: f64 = 0.5;

/// Measures PostGraphile 4 (bench/postgraphile, `npm ci` there when it is missing) over
/// `url`; `Err` is the note saying why it was skipped.
pub async fn postgraphile(
    root: &Path,
    dir: &Path,
    url: &str,
    plan: Plan,
) -> Result<Figures, String> {
    let package = root.join("bench").join("postgraphile");
    let cli = package.join("node_modules/postgraphile/cli.js");
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .await;
    if !node.is_ok_and(|s| s.success()) {
        return Err("PostGraphile skipped: Node.js (`node`) is not installed".into());
    }
    if !cli.exists() {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&package)
            .status()
            .await;
        if !installed.is_ok_and(|s| s.success()) || !cli.exists() {
            return Err("PostGraphile skipped: `npm ci` in bench/postgraphile failed".into());
        }
    }
    let run = async {
        let addr = procs::free_port()?;
        let mut command = Command::new("node");
        command
            .arg(&cli)
            .args([
                "--connection",
                url,
                "--schema",
                "public",
                "--host",
                "127.0.0.1",
            ])
            .args(["--port", &addr.port().to_string(), "--disable-query-log"])
            .args(["--disable-graphiql", "--max-pool-size", "10"])
            .env("NODE_ENV", "production");
        let server = Proc::start_ready(
            "postgraphile",
            command,
            addr,
            &dir.join("postgraphile.log"),
            "/graphql",
        )
        .await?;
        let expected = nested::peer_reference(addr, POSTGRAPHILE_QUERY).await?;
        let figures = nested::measure(
            addr,
            &expected,
            Plan {
                query: POSTGRAPHILE_QUERY,
                ..plan
            },
        )
        .await;
        server.stop().await;
        figures
    };
    run.await
        .map_err(|err: anyhow::Error| format!("PostGraphile failed: {err:#}"))
}

/// Checks that Premiere cached answers what Premiere uncached does.
pub fn same_answer(cached: &serde_json::Value, uncached: &serde_json::Value) -> Result<()> {
    ensure!(
        cached == uncached,
        "the cached server's answer differs from the uncached one's"
    );
    Ok(())
}

fn cell(f: Option<&Figures>, pick: impl Fn(&Figures) -> f64, digits: usize) -> String {
    match f {
        Some(f) if pick(f).is_finite() => format!("{:.digits$}", pick(f)),
        Some(_) => "not counted".into(),
        None => "—".into(),
    }
}

/// The catalogue-reads table, the stale-read check and issue 14's targets.
pub fn render(report: &Report, out: &mut String) {
    let (Some(u), Some(floor)) = (&report.nested_premiere, &report.nested_floor) else {
        return;
    };
    let c = report.cached.as_ref();
    let pg = report.postgraphile.as_ref().and_then(|r| r.as_ref().ok());
    let _ = writeln!(
        out,
        "\n## Catalogue reads (issue 14)\n\n| | premiere uncached | premiere cached | raw-SQL floor | PostGraphile 4 |\n|---|---:|---:|---:|---:|"
    );
    type Row = (&'static str, fn(&Figures) -> f64, usize);
    let rows: [Row; 5] = [
        ("queries/s at c=64", |f| f.max_rate, 0),
        ("p50 at c=1 (ms)", |f| f.c1.p50, 3),
        ("p99 at c=1 (ms)", |f| f.c1.p99, 3),
        ("queries/s at c=1", |f| f.c1_rate, 0),
        ("SQL statements/request at c=1", |f| f.sql_c1, 2),
    ];
    for (name, pick, digits) in rows {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} |",
            cell(Some(u), pick, digits),
            cell(c, pick, digits),
            cell(Some(floor), pick, digits),
            cell(pg, pick, digits)
        );
    }
    if let Some(Err(note)) = &report.postgraphile {
        let _ = writeln!(out, "\n{note}.");
    }
    if let Some(s) = &report.stale {
        let _ = writeln!(
            out,
            "\nStale-read check: two replicas, {} writes through one in {:.1} s, {} reads through both ({} from the response caches): **{} stale answers**.",
            s.writes, s.secs, s.reads, s.cache_hits, s.stale
        );
    }
    let _ = writeln!(out, "\nTargets of issue 14:\n");
    for (name, ok) in targets(report) {
        let _ = writeln!(out, "- {}: {name}", if ok { "met" } else { "MISSED" });
    }
}

/// Issue 14's targets that this run measured.
pub fn targets(report: &Report) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let (Some(u), Some(f)) = (&report.nested_premiere, &report.nested_floor) else {
        return out;
    };
    let ratio = u.max_rate / f.max_rate;
    out.push((
        format!("uncached ≥ {UNCACHED_FLOOR}× the floor's rate at c=64 (measured {ratio:.2}×)"),
        ratio >= UNCACHED_FLOOR,
    ));
    let diff = u.c1.p50 - f.c1.p50;
    out.push((
        format!(
            "uncached p50 at c=1 ≤ the floor's + {UNCACHED_P50_MS} ms (measured {diff:+.3} ms)"
        ),
        diff <= UNCACHED_P50_MS,
    ));
    out.push((
        format!(
            "uncached statements per query as the floor's (measured {:.2} against {:.2})",
            u.sql_c1, f.sql_c1
        ),
        u.sql_c1 <= f.sql_c1 + 0.05,
    ));
    if let Some(c) = &report.cached {
        out.push((
            format!(
                "cached p50 at c=1 under {CACHED_P50_MS} ms (measured {:.3} ms)",
                c.c1.p50
            ),
            c.c1.p50 < CACHED_P50_MS,
        ));
    }
    if let Some(Ok(pg)) = &report.postgraphile {
        let ratio = u.max_rate / pg.max_rate;
        out.push((
            format!("uncached ≥ {UNCACHED_PEER}× PostGraphile's rate (measured {ratio:.2}×)"),
            ratio >= UNCACHED_PEER,
        ));
        if let Some(c) = &report.cached {
            let ratio = c.max_rate / pg.max_rate;
            out.push((
                format!("cached ≥ {CACHED_PEER}× PostGraphile's rate (measured {ratio:.2}×)"),
                ratio >= CACHED_PEER,
            ));
        }
    }
    if let Some(s) = &report.stale {
        out.push((
            format!("0 stale answers across two replicas (measured {})", s.stale),
            s.stale == 0,
        ));
    }
    out
}

/// The stale-read check's failure, which fails the run.
pub fn problems(report: &Report) -> Vec<String> {
    match &report.stale {
        Some(s) if s.stale > 0 => {
            vec![format!("{} stale answers in the stale-read check", s.stale)]
        }
        _ => Vec::new(),
    }
}

pub use stale::check as stale_check;
