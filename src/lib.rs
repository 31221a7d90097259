//! Premiere: a GraphQL gateway over a catalogue of series, their installments,
//! credits and interviews, with release alerts.

pub mod app;
pub mod cache;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod fanout;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod persisted;
pub mod releases;
pub mod seed;
pub mod webhooks;

use std::sync::Arc;

pub use app::Application;
pub use config::Settings;

/// What every request handler and resolver shares.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    /// Opens catalogue writes (their events go to the release outbox).
    pub writer: catalog::write::Writer,
    pub settings: Arc<Settings>,
    pub dispatcher: releases::dispatcher::Dispatcher,
    pub metrics: metrics::Metrics,
    pub admin_token: Arc<str>,
    pub webhooks: webhooks::Hub,
    /// The groups of identical subscriptions (`fanout`).
    pub fanout: fanout::Registry,
}
