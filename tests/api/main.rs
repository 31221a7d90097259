//! Black-box tests: the real server on 127.0.0.1:0 over a fresh database, spoken to
//! over HTTP and WebSocket. Each test runs on SQLite, and again on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used)]

mod fixtures;
mod helpers;
mod wait;
mod ws_client;

mod catalog;
mod deploy;
mod fuzz;
mod hostile;
mod ide;
mod metrics;
mod protocol;
mod releases;
mod replicas;
mod restart;
mod router;
mod schema_file;
mod streams;
mod unavailable;
mod webhooks;
