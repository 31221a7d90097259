//! The HTTP server: `/graphql` (POST, GET, WebSocket), the IDEs, health and metrics.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::BatchRequest;
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use rand::distributions::{Alphanumeric, DistString};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Instrument;

use crate::config::Settings;
use crate::db::{self, Db};
use crate::graphql::guard::Admin;
use crate::graphql::limits::{Limits, SubscriptionSlots};
use crate::graphql::{self, AppSchema};
use crate::http::graphql::{self as graphql_http, Executor, MediaType, Refusal};
use crate::http::streaming::{Streams, Transport};
use crate::http::write_timeout;
use crate::metrics::{Dropped, Limit, Metrics};
use crate::releases::{bus::Bus, listener, scheduler};
use crate::webhooks::{self, worker::Worker};
use crate::{seed, AppState};

/// WebSocket read buffer per connection (async-graphql-axum's default is 128 KiB).
const WS_READ_BUFFER: usize = 4 * 1024;

/// The header that carries a request's id (set when the client sent none, echoed back).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
struct App {
    schema: AppSchema,
    state: AppState,
    limits: Limits,
    /// One permit per open WebSocket connection.
    ws_slots: Arc<Semaphore>,
}

impl App {
    fn executor(&self) -> Executor<'_> {
        Executor {
            schema: &self.schema,
            metrics: &self.state.metrics,
            limits: &self.limits,
        }
    }

    fn streams(&self) -> Streams {
        Streams {
            schema: self.schema.clone(),
            state: self.state.clone(),
            limits: self.limits,
            slots: self.ws_slots.clone(),
        }
    }
}

/// A built server: database migrated, listener bound, background tasks running.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown: CancellationToken,
    generated_token: bool,
    webhook_worker: Worker,
}

impl Application {
    /// Connects and migrates the database (loading the demo data into a newly
    /// created default database), starts the dispatcher and scheduler, and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let target = db::target(&settings);
        let db = Db::connect(&target.url, &settings).await?;
        if target.created_default {
            seed::seed(&db).await?;
        }
        let listener = TcpListener::bind(settings.listen).await?;
        Self::with_listener(settings, db, listener).await
    }

    async fn with_listener(
        settings: Settings,
        db: Db,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let shutdown = CancellationToken::new();
        let metrics = Metrics::new(db.statement_counter());
        let bus = Bus::start(
            db.clone(),
            metrics.clone(),
            Duration::from_secs(settings.log_idle_check_secs),
            shutdown.clone(),
        )
        .await?;
        scheduler::spawn(db.clone(), metrics.clone(), shutdown.clone());
        let hub = webhooks::Hub::default();
        let webhook_worker = Worker::spawn(
            db.clone(),
            &settings,
            metrics.clone(),
            &bus,
            &hub,
            shutdown.clone(),
        )?;
        if let (sea_orm::DatabaseBackend::Postgres, Some(url)) =
            (db.backend(), &settings.database_url)
        {
            listener::spawn(db.clone(), url.clone(), metrics.clone(), shutdown.clone());
        }
        let generated_token = settings.admin_token.is_none();
        let admin_token: Arc<str> = match &settings.admin_token {
            Some(token) => token.as_str().into(),
            None => Alphanumeric
                .sample_string(&mut rand::thread_rng(), 32)
                .into(),
        };
        let state = AppState {
            db,
            settings: Arc::new(settings),
            bus,
            metrics,
            admin_token,
            webhooks: hub,
        };
        let router = router(state.clone())?;
        Ok(Application {
            listener,
            router,
            state,
            shutdown,
            generated_token,
            webhook_worker,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.settings.listen)
    }

    pub fn admin_token(&self) -> &str {
        &self.state.admin_token
    }

    /// Whether the admin token was generated (and must be shown once).
    pub fn generated_token(&self) -> bool {
        self.generated_token
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `signal` resolves, then lets in-flight work finish for at most
    /// the configured shutdown timeout.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let shutdown = self.shutdown.clone();
        let timeout = self.state.settings.shutdown_timeout();
        let trigger = shutdown.clone();
        let webhook_worker = self.webhook_worker;
        let listener = write_timeout::Listener::new(
            self.listener,
            self.state.settings.send_timeout(),
            self.state.metrics.clone(),
        );
        let serve = axum::serve(listener, self.router).with_graceful_shutdown(async move {
            signal.await;
            trigger.cancel();
        });
        let served = tokio::select! {
            result = serve => result,
            _ = async {
                shutdown.cancelled().await;
                tokio::time::sleep(timeout).await;
            } => {
                tracing::warn!("shutdown timeout reached; closing remaining connections");
                Ok(())
            }
        };
        // Webhook deliveries in flight are recorded and leases given up, in time.
        let _ = tokio::time::timeout(timeout, webhook_worker.stopped()).await;
        served
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

fn router(state: AppState) -> anyhow::Result<Router> {
    let schema = graphql::schema(state.clone());
    let settings = state.settings.clone();
    let max_body = settings.max_body_bytes;
    let app = App {
        schema,
        limits: Limits::new(&settings),
        ws_slots: Arc::new(Semaphore::new(
            settings.ws_max_connections.min(Semaphore::MAX_PERMITS),
        )),
        state,
    };
    let counters = app.state.metrics.clone();
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    // The release page at `/`, the embedded assets, and `/playground` when the IDEs are on.
    router = router.merge(crate::http::pages::routes(app.state.settings.ide));
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!(
                "request",
                request_id = %id,
                method = %req.method(),
                path = %req.uri().path(),
            )
        })
        // One line per request at debug level (`RUST_LOG=tower_http=debug`).
        .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG));
    Ok(router
        .with_state(app)
        // A backstop: `/graphql` applies `max_body_bytes` itself, and reads (to discard)
        // up to DRAIN_BYTES more of a refused body so that the client sees the 413.
        .layer(RequestBodyLimitLayer::new(
            max_body.saturating_add(graphql_http::DRAIN_BYTES),
        ))
        .layer(axum::middleware::map_response(move |response: Response| {
            let counters = counters.clone();
            async move { explain_too_large(response, max_body, &counters) }
        }))
        .layer(cors(&settings.cors_origins)?)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid)))
}

/// CORS for `origins`: any origin for `*`, else exactly those listed.
fn cors(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    let allow = if origins.is_empty() || origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o)
                    .map_err(|_| anyhow::anyhow!("PREMIERE_CORS_ORIGINS: invalid origin `{o}`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(list)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(3600)))
}

/// Turns the body-limit layer's plain-text 413 into a GraphQL error naming the limit.
fn explain_too_large(response: Response, max_body: usize, metrics: &Metrics) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        metrics.graphql_request(
            crate::metrics::Operation::Unknown,
            crate::metrics::Outcome::Rejected,
        );
        metrics.limit_refused(Limit::BodySize);
        return Refusal::body_too_large(max_body).into_response(MediaType::Json);
    }
    response
}

/// True when the request carries the admin token (compared in constant time).
fn is_admin(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())))
}

async fn graphql_post(State(app): State<App>, req: Request) -> Response {
    if let Some(transport) = Transport::asked(req.headers()) {
        let admin = is_admin(req.headers(), &app.state.admin_token);
        return app.streams().serve(transport, req, admin).await;
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let executor = app.executor();
    let media = match graphql_http::negotiate(&parts.headers) {
        Ok(media) => media,
        Err(refusal) => return executor.refuse(refusal, MediaType::Json, started),
    };
    let settings = &app.state.settings;
    let batch = match graphql_http::read_post(
        &parts.headers,
        body,
        settings.max_body_bytes,
        settings.max_batch_size,
    )
    .await
    {
        Ok(batch) => batch,
        Err(refusal) => return executor.refuse(refusal, media, started),
    };
    let admin = is_admin(&parts.headers, &app.state.admin_token);
    executor
        .serve(batch, media, &parts.method, admin, started)
        .await
}

async fn graphql_get(State(app): State<App>, req: Request) -> Response {
    let started = Instant::now();
    let headers = req.headers().clone();
    let is_upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        let (mut parts, _) = req.into_parts();
        let Some(protocol) = ws_protocol(&parts.headers) else {
            return (StatusCode::BAD_REQUEST, "unsupported WebSocket subprotocol").into_response();
        };
        let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(u) => u,
            Err(rejection) => return rejection.into_response(),
        };
        return websocket(app, upgrade, protocol);
    }
    if let Some(transport) = Transport::asked(&headers) {
        let admin = is_admin(&headers, &app.state.admin_token);
        return app.streams().serve(transport, req, admin).await;
    }
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let has_query = req.uri().query().is_some_and(|q| q.contains("query="));
    if wants_html && !has_query && app.state.settings.ide {
        return crate::http::pages::graphiql();
    }
    let executor = app.executor();
    let media = match graphql_http::negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return executor.refuse(refusal, MediaType::Json, started),
    };
    let request = match graphql_http::read_get(req.uri()) {
        Ok(request) => request,
        Err(refusal) => return executor.refuse(refusal, media, started),
    };
    let admin = is_admin(&headers, &app.state.admin_token);
    executor
        .serve(
            BatchRequest::Single(request),
            media,
            &Method::GET,
            admin,
            started,
        )
        .await
}

/// The GraphQL subprotocol the client asked for, read as async-graphql-axum's
/// `GraphQLProtocol` extractor reads it.
fn ws_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
}

fn websocket(app: App, upgrade: WebSocketUpgrade, protocol: WebSocketProtocols) -> Response {
    let settings = app.state.settings.clone();
    // Held for as long as the connection is open (released if the upgrade fails).
    let Ok(slot) = app.ws_slots.clone().try_acquire_owned() else {
        app.state.metrics.limit_refused(Limit::WebsocketConnections);
        tracing::warn!(
            limit = settings.ws_max_connections,
            "WebSocket connection refused: too many open connections"
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "too many open WebSocket connections; try again later",
        )
            .into_response();
    };
    let span = tracing::Span::current();
    upgrade
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(settings.ws_max_message_bytes)
        .max_frame_size(settings.ws_max_message_bytes)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            async move {
                serve_websocket(app, socket, protocol).await;
                drop(slot);
            }
            .instrument(span)
        })
}

async fn serve_websocket(app: App, socket: WebSocket, protocol: WebSocketProtocols) {
    let settings = app.state.settings.clone();
    let metrics = app.state.metrics.clone();
    metrics.ws_opened();
    let (mut sink, mut stream) = socket.split();
    // The client must send `connection_init` (its first message) in time.
    let first = match tokio::time::timeout(settings.ws_init_timeout(), stream.next()).await {
        Ok(Some(Ok(first))) => first,
        Ok(_) => {
            metrics.ws_closed();
            return;
        }
        Err(_) => {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: 4408,
                    reason: "Connection initialisation timeout".into(),
                })))
                .await;
            metrics.ws_closed();
            return;
        }
    };
    let shutdown = app.state.bus.shutdown().clone();
    let slots = SubscriptionSlots::new(settings.ws_max_subscriptions);
    let ended = slots.clone();
    // When the peer last sent anything (a message, a pong), in milliseconds since
    // `opened`: read by the liveness check below.
    let opened = tokio::time::Instant::now();
    let heard = Arc::new(AtomicU64::new(0));
    let heard_in = heard.clone();
    // On shutdown the subscriptions end and send `complete`; the connection closes
    // once they all have (or after a second).
    let input = futures_util::stream::once(async move { Ok(first) })
        .chain(stream)
        .inspect(move |_| heard_in.store(millis_since(opened), Ordering::Relaxed))
        .take_until(async move {
            shutdown.cancelled().await;
            let _ = tokio::time::timeout(Duration::from_secs(1), ended.all_free()).await;
            tokio::task::yield_now().await;
        });
    // What async-graphql-axum's `GraphQLWebSocket` feeds the session: the data of
    // text and binary messages, until the first read error.
    let input = input
        .take_while(|message| futures_util::future::ready(message.is_ok()))
        .filter_map(|message| {
            futures_util::future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let admin_token = app.state.admin_token.clone();
    let messages = async_graphql::http::WebSocket::new(app.schema.clone(), input, protocol)
        .on_connection_init(move |payload| async move {
            let mut data = Data::default();
            data.insert(slots);
            let given = payload
                .get("authorization")
                .or_else(|| payload.get("Authorization"))
                .and_then(|v| v.as_str())
                .and_then(|v| v.strip_prefix("Bearer "));
            if given.is_some_and(|g| bool::from(g.trim().as_bytes().ct_eq(admin_token.as_bytes())))
            {
                data.insert(Admin);
            }
            Ok(data)
        });
    // One task writes both what the session sends and the keep-alive pings: a writer
    // task and channel per connection cost memory and a wake-up per message
    // (BENCHMARKS.md).
    futures_util::pin_mut!(messages);
    let keepalive = settings.ws_keepalive();
    // A peer that sends nothing, not even a pong, for two keep-alive intervals is
    // gone (a phone that lost its network): its connection, subscriptions and slot
    // are freed, and the client resumes with `after` when it is back. A peer that
    // stops reading is dropped by the listener (`http::write_timeout`): the blocked
    // write below then fails.
    let silence = keepalive.saturating_mul(2);
    let mut ticker = tokio::time::interval_at(opened + keepalive, keepalive);
    let liveness = tokio::time::sleep_until(opened + silence);
    tokio::pin!(liveness);
    loop {
        let message = tokio::select! {
            message = messages.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
                None => break,
            },
            _ = ticker.tick() => Message::Ping(Vec::new().into()),
            () = &mut liveness => {
                let last = opened + Duration::from_millis(heard.load(Ordering::Relaxed));
                if last + silence > tokio::time::Instant::now() {
                    liveness.as_mut().reset(last + silence);
                    continue;
                }
                metrics.connection_dropped(Dropped::Unresponsive);
                tracing::info!(silent_for = ?silence, "closing a WebSocket connection whose peer stopped answering");
                Message::Close(Some(CloseFrame {
                    code: 1001,
                    reason: "no answer to keep-alive pings".into(),
                }))
            }
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = sink.close().await;
    metrics.ws_closed();
}

fn millis_since(start: tokio::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn readyz(State(app): State<App>) -> Response {
    if app.state.db.ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

async fn metrics(State(app): State<App>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.state.metrics.render(),
    )
        .into_response()
}
