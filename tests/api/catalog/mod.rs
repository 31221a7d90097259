//! Catalogue tests.

mod batching;
mod caching;
mod demo;
mod errors;
mod filters;
mod http;
mod mutations;
mod pagination;
mod persisted;
mod support;
