//! The `premiere` command line: serve (default), migrate, seed, schema.

use anyhow::Context;
use clap::Parser;
use premiere::config::{Cli, Command, LogFormat};
use premiere::{db, seed, Application};
use tracing_subscriber::EnvFilter;

/// jemalloc: the server allocates many small, short-lived objects per field and per
/// subscriber; with glibc's allocator a third of its instructions were in malloc
/// (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options (read by the allocator itself under this prefixed
/// name, as `MALLOC_CONF` would be): a background thread returns pages freed for a
/// second to the system instead of keeping them ten seconds (the default), so the
/// memory of a subscriber's handshake and of a burst of requests is given back while
/// the server idles. Fan-out benchmark at N = 10,000 (BENCHMARKS.md, 2026-12-04): the
/// resident memory per idle subscriber was 12.7 KiB with these options and 16.7 KiB
/// with jemalloc's defaults, p50 and p99 unchanged; the background thread keeps the
/// purging off the delivery path. `_RJEM_MALLOC_CONF` in the environment overrides it.
#[allow(non_upper_case_globals, unsafe_code)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8; 60] =
    b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = cli.settings;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    match settings.log_format {
        LogFormat::Json => subscriber.json().init(),
        LogFormat::Text => subscriber.init(),
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => print!("{}", premiere::graphql::sdl()),
        Command::Migrate => {
            let target = db::target(&settings);
            db::Db::connect(&target.url, &settings)
                .await
                .context("migrating the database")?;
            println!("migrations applied");
        }
        Command::Seed => {
            let target = db::target(&settings);
            let db = db::Db::connect(&target.url, &settings)
                .await
                .context("connecting to the database")?;
            seed::seed(&db).await.context("loading the demo data")?;
            println!("demo data loaded");
        }
        Command::Serve => {
            let app = Application::build(settings)
                .await
                .context("starting the server")?;
            let addr = app.local_addr();
            println!("Premiere is serving on http://{addr}");
            println!("  Release page: http://{addr}/");
            if app.state().settings.ide {
                println!("  GraphiQL:     http://{addr}/graphql");
                println!("  Playground:   http://{addr}/playground");
            }
            if app.generated_token() {
                println!(
                    "  Admin token (generated; set PREMIERE_ADMIN_TOKEN to choose one): {}",
                    app.admin_token()
                );
            }
            app.run_until_stopped().await?;
        }
    }
    Ok(())
}
