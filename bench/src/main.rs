//! premiere-bench: builds and starts the release server, loads a catalogue, measures
//! nested-query throughput and latency and release fan-out, each against a floor
//! measured in the same run, and prints the figures as Markdown tables.
//!
//! `cargo run --release -p premiere-bench` (a few minutes) or `... -- --smoke` (seconds).
//!
//! Over 400 lines on purpose: the command line, the process plumbing and the run's
//! phases in order read as one script; its parts are in the sibling modules.

mod data;
mod fanout;
mod floor_sql;
mod floor_ws;
mod nested;
mod procs;
mod reads;
mod report;
mod stale;
mod stats;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use clap::{Args, Parser, Subcommand};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use tokio::process::Command;

use procs::Proc;

/// Benchmarks Premiere against floors measured in the same run.
#[derive(Parser)]
#[command(name = "premiere-bench")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// (internal) The raw-SQL floor server for nested queries.
    #[command(hide = true)]
    SqlFloor {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long, default_value_t = 10)]
        max_connections: u32,
    },
    /// (internal) The bare WebSocket broadcast server for fan-out.
    #[command(hide = true)]
    WsFloor {
        #[arg(long)]
        listen: SocketAddr,
    },
}

#[derive(Args)]
struct RunArgs {
    /// A run of a few seconds: tiny data, few clients; checks correctness, not targets.
    #[arg(long)]
    smoke: bool,
    /// Run on PostgreSQL: a server URL on which a fresh database is created and dropped
    /// (e.g. postgres://root@127.0.0.1/postgres). Default: a fresh SQLite file.
    #[arg(long)]
    postgres: Option<String>,
    /// Use this server binary instead of building target/release/premiere.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Fan-out sizes, comma-separated [default: 1000,10000,19000; smoke: 50].
    #[arg(long, value_delimiter = ',')]
    fanout: Option<Vec<usize>>,
    /// Seconds per nested-query phase [default: 10; smoke: 1].
    #[arg(long)]
    phase_secs: Option<f64>,
    /// Events published per fan-out round [default: 20; smoke: 3].
    #[arg(long)]
    events: Option<usize>,
    /// Milliseconds between publishes [default: 1000; smoke: 200].
    #[arg(long)]
    interval_ms: Option<u64>,
    /// Concurrency of the throughput phase.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long)]
    skip_nested: bool,
    #[arg(long)]
    skip_fanout: bool,
    /// Subscribers of the mixed fan-out case [default: 10000; smoke: 50; 0: skip].
    #[arg(long)]
    mixed: Option<usize>,
    /// Distinct subscription documents of the mixed case [default: 100; smoke: 10].
    #[arg(long)]
    mixed_documents: Option<usize>,
    /// Exit with status 1 when a target is missed.
    #[arg(long)]
    check_targets: bool,
    /// Keep the temporary directory (database and server logs) and print its path.
    #[arg(long)]
    keep: bool,
    /// Database pool size of the server (PREMIERE_DB_MAX_CONNECTIONS) and of the
    /// raw-SQL floor alike [default: the server's default, 10].
    #[arg(long)]
    db_max_connections: Option<u32>,
}

const TOKEN: &str = "premiere-bench-admin-token";

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Some(Cmd::SqlFloor {
            database_url,
            listen,
            max_connections,
        }) => runtime.block_on(floor_sql::serve(database_url, listen, max_connections)),
        Some(Cmd::WsFloor { listen }) => runtime.block_on(floor_ws::serve(listen)),
        None => {
            let ok = runtime.block_on(run(cli.run))?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

async fn build_server(root: &Path) -> Result<PathBuf> {
    eprintln!("building the release server (cargo build --release -p premiere)…");
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // Under `cargo run`, cargo describes this package in the environment; some build
    // scripts (ring's) watch CARGO_MANIFEST_DIR, so a build with it set would differ
    // from a plain `cargo build` and rebuild half the dependencies every time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&key.as_str())
        {
            cargo.env_remove(key);
        }
    }
    let status = cargo
        .args(["build", "--release", "-p", "premiere", "--bin", "premiere"])
        .current_dir(root)
        .status()
        .await
        .context("running cargo")?;
    ensure!(status.success(), "cargo build failed: {status}");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("premiere"))
}

/// The server's command with a clean environment of its own settings.
fn server_command(
    bin: &Path,
    dir: &Path,
    url: &str,
    listen: SocketAddr,
    pool: Option<u32>,
    env: &[(&str, &str)],
) -> Command {
    let mut command = Command::new(bin);
    command.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("PREMIERE_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .env("DATABASE_URL", url)
        .env("PREMIERE_ADMIN_TOKEN", TOKEN)
        .env("PREMIERE_LISTEN", listen.to_string());
    if let Some(pool) = pool {
        command.env("PREMIERE_DB_MAX_CONNECTIONS", pool.to_string());
    }
    command.envs(env.iter().copied());
    command
}

async fn start_server(
    bin: &Path,
    dir: &Path,
    url: &str,
    name: &str,
    pool: Option<u32>,
    env: &[(&str, &str)],
) -> Result<Proc> {
    let addr = procs::free_port()?;
    Proc::start(
        name,
        server_command(bin, dir, url, addr, pool, env),
        addr,
        &dir.join(format!("{name}.log")),
    )
    .await
}

async fn start_floor(dir: &Path, args: &[&str], name: &str) -> Result<Proc> {
    let addr = procs::free_port()?;
    let mut command = Command::new(std::env::current_exe()?);
    command.args(args).arg("--listen").arg(addr.to_string());
    Proc::start(name, command, addr, &dir.join(format!("{name}.log"))).await
}

/// A fresh database: a SQLite file in `dir`, or a new PostgreSQL database.
async fn fresh_database(dir: &Path, postgres: Option<&str>) -> Result<(String, Option<String>)> {
    match postgres {
        None => Ok((
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            None,
        )),
        Some(admin) => {
            let name = format!("premiere_bench_{}", std::process::id());
            let db = Database::connect(admin)
                .await
                .context("connecting to PostgreSQL")?;
            db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await?;
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            db.close().await?;
            let (base, rest) = admin
                .rsplit_once('/')
                .context("PostgreSQL URL without a database")?;
            // Loopback needs no TLS: without `sslmode`, sqlx negotiates TLS and the
            // server and the floor spent ~7.6% of their CPU in rustls (profile in
            // BENCHMARKS.md), which PostGraphile's `pg` client does not. All three get
            // the same URL.
            let query = match rest.split_once('?') {
                Some((_, q)) if q.contains("sslmode=") => format!("?{q}"),
                Some((_, q)) => format!("?{q}&sslmode=disable"),
                None => "?sslmode=disable".to_string(),
            };
            Ok((format!("{base}/{name}{query}"), Some(name)))
        }
    }
}

async fn drop_database(admin: &str, name: &str) -> Result<()> {
    let db = Database::connect(admin).await?;
    db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    db.close().await?;
    Ok(())
}

async fn graphql(http: SocketAddr, query: &str) -> Result<Value> {
    let value: Value = reqwest::Client::new()
        .post(format!("http://{http}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await?
        .json()
        .await?;
    ensure!(value.get("errors").is_none(), "query failed: {value}");
    Ok(value)
}

async fn run(args: RunArgs) -> Result<bool> {
    let nofile = procs::raise_nofile()?;
    let smoke = args.smoke;
    let shape = if smoke {
        data::Shape {
            series: 12,
            installments: 20,
            credits: 8,
            people: 40,
        }
    } else {
        data::Shape {
            series: 1000,
            installments: 20,
            credits: 8,
            people: 2000,
        }
    };
    let phase = Duration::from_secs_f64(args.phase_secs.unwrap_or(if smoke { 1.0 } else { 10.0 }));
    let nested_plan = nested::Plan {
        warmup: if smoke {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(3)
        },
        phase,
        concurrency: args.concurrency,
        query: nested::QUERY,
    };
    let sizes = args.fanout.clone().unwrap_or_else(|| {
        if smoke {
            vec![50]
        } else {
            vec![1000, 10_000, 19_000]
        }
    });
    let events = args.events.unwrap_or(if smoke { 3 } else { 20 });
    let interval =
        Duration::from_millis(args.interval_ms.unwrap_or(if smoke { 200 } else { 1000 }));

    let pool = args.db_max_connections;
    let root = workspace_root();
    let bin = match &args.server_bin {
        Some(bin) => bin.clone(),
        None => build_server(&root).await?,
    };
    let bin = std::fs::canonicalize(&bin).with_context(|| format!("server binary {bin:?}"))?;
    let dir = tempfile::Builder::new()
        .prefix("premiere-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let (url, pg_name) = fresh_database(dir.path(), args.postgres.as_deref()).await?;
    let backend = if pg_name.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let mut report = report::Report {
        smoke,
        backend: backend.into(),
        shape,
        concurrency: args.concurrency,
        phase,
        events,
        interval,
        nofile,
        ..report::Report::default()
    };

    let outcome = async {
        let status = server_command(&bin, dir.path(), &url, procs::free_port()?, pool, &[])
            .arg("migrate")
            .stdout(std::process::Stdio::null())
            .status()
            .await?;
        ensure!(status.success(), "premiere migrate failed: {status}");
        eprintln!("loading {shape:?}…");
        report.load_secs = data::load(&url, shape).await?;

        if !args.skip_nested {
            eprintln!("nested queries: premiere without its response cache…");
            let uncached = [("PREMIERE_RESPONSE_CACHE_BYTES", "0")];
            let server = start_server(&bin, dir.path(), &url, "premiere-nested", pool, &uncached).await?;
            let (expected, value) = nested::reference(server.addr).await?;
            report.nested_premiere = Some(nested::measure(server.addr, &expected, nested_plan).await?);
            server.stop().await;

            eprintln!("nested queries: premiere with its response cache…");
            let server = start_server(&bin, dir.path(), &url, "premiere-cached", pool, &[]).await?;
            let (cached_expected, cached_value) = nested::reference(server.addr).await?;
            reads::same_answer(&cached_value, &value)?;
            report.cached = Some(nested::measure(server.addr, &cached_expected, nested_plan).await?);
            server.stop().await;

            if pg_name.is_some() {
                eprintln!("nested queries: PostGraphile 4…");
                report.postgraphile = Some(reads::postgraphile(&root, dir.path(), &url, nested_plan).await);
            } else {
                report.postgraphile = Some(Err("PostGraphile runs on PostgreSQL only (`--postgres URL`)".into()));
            }

            eprintln!("nested queries: raw-SQL floor…");
            let pool_size = pool.unwrap_or(10).to_string();
            let floor = start_floor(
                dir.path(),
                &[
                    "sql-floor",
                    "--database-url",
                    &url,
                    "--max-connections",
                    &pool_size,
                ],
                "sql-floor",
            )
            .await?;
            let (floor_expected, floor_value) = nested::reference(floor.addr).await?;
            ensure!(
                floor_value == value,
                "the raw-SQL floor's answer differs from the server's"
            );
            report.nested_floor = Some(nested::measure(floor.addr, &floor_expected, nested_plan).await?);
            floor.stop().await;
        }

        if !args.skip_nested {
            eprintln!("stale-read check: two replicas…");
            let a = start_server(&bin, dir.path(), &url, "premiere-replica-a", pool, &[]).await?;
            let b = start_server(&bin, dir.path(), &url, "premiere-replica-b", pool, &[]).await?;
            report.stale = Some(reads::stale_check([a.addr, b.addr], TOKEN, phase).await?);
            a.stop().await;
            b.stop().await;
        }

        if !args.skip_fanout {
            let mixed = args.mixed.unwrap_or(if smoke { 50 } else { 10_000 });
            let documents = args.mixed_documents.unwrap_or(if smoke { 10 } else { 100 });
            let mut rounds: Vec<(usize, usize)> = sizes.iter().map(|&n| (n, 1)).collect();
            if mixed > 0 {
                rounds.push((mixed, documents.max(1)));
            }
            for (round, &(n, documents)) in rounds.iter().enumerate() {
                // Each side holds N sockets (plus a few): the server process and this one.
                if n as u64 + 256 > nofile {
                    report.skipped.push(format!(
                        "N = {n}: RLIMIT_NOFILE is {nofile} here and cannot be raised (hard limit), \
                         so neither the server nor this client process can hold {n} sockets"
                    ));
                    continue;
                }
                let plan = fanout::Plan {
                    n,
                    events,
                    interval,
                    drain: if smoke { Duration::from_secs(5) } else { Duration::from_secs(15) },
                    settle: if smoke { Duration::from_millis(200) } else { Duration::from_secs(2) },
                };
                eprintln!("fan-out N = {n} over {documents} documents: premiere…");
                let mut server = start_server(&bin, dir.path(), &url, &format!("premiere-fanout-{n}"), pool, &[]).await?;
                let found = graphql(
                    server.addr,
                    &format!("{{ seriesBySlug(slug: \"{}\") {{ id }} }}", data::FANOUT_SLUG),
                )
                .await?;
                let series = found["data"]["seriesBySlug"]["id"]
                    .as_str()
                    .context("no fan-out series")?
                    .to_string();
                let publisher = fanout::Publisher::Premiere {
                    http: server.addr,
                    token: TOKEN.into(),
                    series: series.clone(),
                };
                let first_number = 1000 * (round as u64 + 1);
                let subscribe = if documents == 1 {
                    vec![fanout::subscribe_message(&series)]
                } else {
                    fanout::mixed_messages(&series, documents)
                };
                let premiere = fanout::run(server.pid, server.addr, &publisher, &subscribe, plan, first_number).await;
                server.check_alive()?;
                server.stop().await;
                let premiere = premiere?;
                let size = premiere.frame_len.max(64);

                eprintln!("fan-out N = {n}: bare broadcast floor…");
                let floor = start_floor(dir.path(), &["ws-floor"], &format!("ws-floor-{n}")).await?;
                let publisher = fanout::Publisher::Floor {
                    http: floor.addr,
                    size,
                };
                let bare = fanout::run(floor.pid, floor.addr, &publisher, &subscribe, plan, first_number).await;
                floor.stop().await;
                report.fanout.push((premiere, bare?));
            }
        }
        anyhow::Ok(())
    }
    .await;

    if let (Some(admin), Some(name)) = (&args.postgres, &pg_name) {
        if let Err(err) = drop_database(admin, name).await {
            eprintln!("could not drop database {name}: {err:#}");
        }
    }
    if let Err(err) = outcome {
        let kept = dir.keep();
        bail!("{err:#}\n(logs kept in {})", kept.display());
    }

    if args.keep {
        eprintln!("kept {}", dir.keep().display());
    }
    println!("{}", report.render(&report::machine()));
    let problems = report.problems();
    for problem in &problems {
        eprintln!("FAILED: {problem}");
    }
    let misses = report.misses();
    if !smoke {
        for miss in &misses {
            eprintln!("target missed: {miss}");
        }
    }
    Ok(problems.is_empty() && (!args.check_targets || misses.is_empty()))
}
