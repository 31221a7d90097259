//! Settings from flags, environment variables and `.env`, with newcomer defaults:
//! one flat list, every setting with its doc (the `--help` text), flag, variable and
//! default, so that it reads like the README's settings table. The command line
//! around them is in [`cli`]; [`Settings::defaults`] reads no environment.

mod cli;
mod durations;

pub use cli::{Cli, Command};

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting of the server. Each flag is also an environment variable.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database URL: `sqlite://FILE` or `postgres://…`. Default: SQLite file `premiere.db`
    /// in the working directory, created (with demo data) when missing.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Address to listen on.
    #[arg(
        long,
        env = "PREMIERE_LISTEN",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub listen: SocketAddr,

    /// Admin bearer token for mutations. Unset: a random one is generated and printed once.
    #[arg(
        long,
        env = "PREMIERE_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<String>,

    /// Log format: text or json.
    #[arg(
        long,
        env = "PREMIERE_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Largest number of pooled database connections.
    #[arg(
        long,
        env = "PREMIERE_DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub db_max_connections: u32,

    /// Seconds to wait for a pooled database connection before failing the request.
    #[arg(
        long,
        env = "PREMIERE_DB_ACQUIRE_TIMEOUT",
        default_value_t = 5,
        global = true
    )]
    pub db_acquire_timeout_secs: u64,

    /// Page size when a connection is asked for without `first` or `last`.
    #[arg(
        long,
        env = "PREMIERE_DEFAULT_PAGE_SIZE",
        default_value_t = 20,
        global = true
    )]
    pub default_page_size: u32,

    /// Largest `first`/`last` a connection accepts.
    #[arg(
        long,
        env = "PREMIERE_MAX_PAGE_SIZE",
        default_value_t = 100,
        global = true
    )]
    pub max_page_size: u32,

    /// Largest query depth (fields nested in fields, fragments expanded).
    #[arg(long, env = "PREMIERE_MAX_DEPTH", default_value_t = 16, global = true)]
    pub max_depth: usize,

    /// Largest query complexity (fields counted, lists weighted by page size: a
    /// connection's selection counts once per `first`/`last`, so nested connections
    /// multiply). Also bounds the fields of a document once fragments are expanded
    /// (that bound is never below 1000).
    #[arg(
        long,
        env = "PREMIERE_MAX_COMPLEXITY",
        default_value_t = 50_000,
        global = true
    )]
    pub max_complexity: usize,

    /// Largest number of aliased fields in one GraphQL document (`a: field`).
    #[arg(
        long,
        env = "PREMIERE_MAX_ALIASES",
        default_value_t = 50,
        global = true
    )]
    pub max_aliases: usize,

    /// Largest number of root fields one operation selects (fragments included).
    #[arg(
        long,
        env = "PREMIERE_MAX_ROOT_FIELDS",
        default_value_t = 20,
        global = true
    )]
    pub max_root_fields: usize,

    /// Largest number of operations in one batched POST (a JSON array).
    #[arg(
        long,
        env = "PREMIERE_MAX_BATCH_SIZE",
        default_value_t = 10,
        global = true
    )]
    pub max_batch_size: usize,

    /// Largest request body in bytes; a larger one gets 413.
    #[arg(
        long,
        env = "PREMIERE_MAX_BODY_BYTES",
        default_value_t = 1_048_576,
        global = true
    )]
    pub max_body_bytes: usize,

    /// Seconds between server keep-alive pings on WebSocket connections.
    #[arg(
        long,
        env = "PREMIERE_WS_KEEPALIVE",
        default_value_t = 15,
        global = true
    )]
    pub ws_keepalive_secs: u64,

    /// Seconds a WebSocket client has to send `connection_init`.
    #[arg(
        long,
        env = "PREMIERE_WS_INIT_TIMEOUT",
        default_value_t = 10,
        global = true
    )]
    pub ws_init_timeout_secs: u64,

    /// Largest WebSocket message in bytes.
    #[arg(
        long,
        env = "PREMIERE_WS_MAX_MESSAGE_BYTES",
        default_value_t = 65_536,
        global = true
    )]
    pub ws_max_message_bytes: usize,

    /// Seconds a write to a subscriber (WebSocket, SSE or multipart stream) may stay
    /// blocked, because the client stopped reading, before its connection is closed.
    #[arg(
        long,
        env = "PREMIERE_SEND_TIMEOUT",
        default_value_t = 30,
        global = true
    )]
    pub send_timeout_secs: u64,

    /// Milliseconds between heartbeat comments on Server-Sent Events streams, which
    /// keep proxies from closing idle streams.
    #[arg(
        long,
        env = "PREMIERE_SSE_HEARTBEAT_MS",
        default_value_t = 12_000,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub sse_heartbeat_ms: u64,

    /// Milliseconds an `EventSource` waits before it reconnects (the `retry:` field of
    /// SSE streams); each stream adds up to half of it at random, so that clients
    /// spread out after a restart.
    #[arg(
        long,
        env = "PREMIERE_SSE_RETRY_MS",
        default_value_t = 2_000,
        global = true
    )]
    pub sse_retry_ms: u64,

    /// Milliseconds between heartbeat parts (`{}`) on multipart subscription streams.
    #[arg(
        long,
        env = "PREMIERE_MULTIPART_HEARTBEAT_MS",
        default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub multipart_heartbeat_ms: u64,

    /// Seconds the release dispatcher waits without a wake-up before it looks at the
    /// log anyway (wake-ups come in-process on SQLite and by LISTEN/NOTIFY on PostgreSQL).
    #[arg(
        long,
        env = "PREMIERE_LOG_IDLE_CHECK",
        default_value_t = 5,
        global = true
    )]
    pub log_idle_check_secs: u64,

    /// The clock publishing and the scheduler go by: the system clock, or a
    /// `ManualClock` a test sets. Not a flag or variable.
    #[arg(skip)]
    pub clock: crate::clock::Clock,

    /// Largest number of open subscriber connections per process: WebSocket
    /// connections and SSE and multipart streams together; more get 503.
    #[arg(
        long,
        env = "PREMIERE_WS_MAX_CONNECTIONS",
        default_value_t = 100_000,
        global = true
    )]
    pub ws_max_connections: usize,

    /// Largest number of active subscriptions on one WebSocket connection.
    #[arg(
        long,
        env = "PREMIERE_WS_MAX_SUBSCRIPTIONS",
        default_value_t = 100,
        global = true
    )]
    pub ws_max_subscriptions: usize,

    /// Seconds to let in-flight work finish on shutdown.
    #[arg(
        long,
        env = "PREMIERE_SHUTDOWN_TIMEOUT",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_timeout_secs: u64,

    /// Serve GraphiQL and GraphQL Playground.
    #[arg(long, env = "PREMIERE_IDE", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub ide: bool,

    /// Allow schema introspection.
    #[arg(long, env = "PREMIERE_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,

    /// Origins allowed by CORS, comma-separated (e.g. `https://a.example,https://b.example`).
    /// `*` (the default) allows any origin; no cookies are used, and mutations need the
    /// bearer token, which browsers never send on their own.
    #[arg(
        long,
        env = "PREMIERE_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "*",
        global = true
    )]
    pub cors_origins: Vec<String>,

    /// Milliseconds a webhook endpoint has to answer a delivery before the attempt
    /// counts as failed (and is retried).
    #[arg(
        long,
        env = "PREMIERE_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000,
        global = true
    )]
    pub webhook_timeout_ms: u64,

    /// Milliseconds before the first retry of a failed webhook delivery; each further
    /// retry waits twice as long (up to `--webhook-retry-max-ms`), less a random jitter.
    #[arg(
        long,
        env = "PREMIERE_WEBHOOK_RETRY_MIN_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub webhook_retry_min_ms: u64,

    /// Longest wait, in milliseconds, between two attempts at a webhook delivery.
    #[arg(
        long,
        env = "PREMIERE_WEBHOOK_RETRY_MAX_MS",
        default_value_t = 900_000,
        global = true
    )]
    pub webhook_retry_max_ms: u64,

    /// Seconds an endpoint may keep failing before it is disabled (3 days by default).
    #[arg(
        long,
        env = "PREMIERE_WEBHOOK_RETRY_BUDGET_SECS",
        default_value_t = 259_200,
        global = true
    )]
    pub webhook_retry_budget_secs: u64,

    /// Milliseconds a process holds a webhook endpoint without renewing its lease; a
    /// crashed replica's endpoints are taken over by another after this. At least twice
    /// the webhook timeout is used.
    #[arg(
        long,
        env = "PREMIERE_WEBHOOK_LEASE_MS",
        default_value_t = 30_000,
        global = true
    )]
    pub webhook_lease_ms: u64,

    /// Seconds the record of a webhook delivery attempt is kept (7 days by default).
    #[arg(
        long,
        env = "PREMIERE_WEBHOOK_DELIVERY_RETENTION_SECS",
        default_value_t = 604_800,
        global = true
    )]
    pub webhook_delivery_retention_secs: u64,

    /// Allow webhook URLs whose host is (or resolves to) a loopback, private or
    /// link-local address. Off by default, so that webhooks cannot reach internal services.
    #[arg(long, env = "PREMIERE_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhook_allow_private: bool,

    /// Bytes the response cache of anonymous queries may hold (least recently used
    /// responses are evicted first); 0 turns it off.
    #[arg(
        long,
        env = "PREMIERE_RESPONSE_CACHE_BYTES",
        default_value_t = 64 * 1024 * 1024,
        global = true
    )]
    pub response_cache_bytes: usize,

    /// A JSON manifest of persisted queries (Apollo's persisted-query manifest, or an
    /// object of id → document). When set, requests without the admin credential may
    /// run only its documents.
    #[arg(long, env = "PREMIERE_PERSISTED_QUERIES_MANIFEST", global = true)]
    pub persisted_queries_manifest: Option<std::path::PathBuf>,
}

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_FILE: &str = "premiere.db";

impl Settings {
    /// Settings for tests and embedding: the defaults, listening on port 0. Reads no
    /// environment variable and no `.env` (a developer's `PREMIERE_*` variables do
    /// not leak into tests or `premiere schema`), and never exits the process.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut settings = Self::defaults();
        settings.database_url = Some(database_url.into());
        settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        settings
    }

    /// Every setting at its default, as if no flag and no environment variable were set.
    pub fn defaults() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let command = Cli::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(["premiere"])
            .and_then(|matches| Settings::from_arg_matches(&matches));
        match matches {
            Ok(settings) => settings,
            // The defaults are constants of this file: a failure is a bug in it.
            Err(err) => panic!("the default settings do not parse: {err}"),
        }
    }
}

#[cfg(test)]
mod tests;
