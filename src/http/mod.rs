//! The HTTP side of the gateway: [`router()`] (the routes and layers) and one module
//! per transport of `/graphql`: [`post`] and [`get`] (GraphQL over HTTP, read by
//! [`parsing`], typed by [`negotiation`], answered by [`encoding`], run by
//! [`graphql`]'s executor, behind [`caching`]: persisted queries, the response cache, ETags), [`websocket`], and the streamed [`sse`] and [`multipart`]
//! (their common part in [`streaming`]). Every transport reads the admin credential
//! with [`credential`], bodies under the one [`body_limit`], and refuses with
//! [`refusal`]'s type. Also: the timeout of blocked writes ([`write_timeout`]), the
//! embedded web assets and the pages built on them (release page, IDEs).

pub mod assets;
pub mod body_limit;
pub mod caching;
pub mod credential;
pub mod encoding;
pub mod get;
pub mod graphql;
pub mod multipart;
pub mod negotiation;
pub mod pages;
pub mod parsing;
pub mod post;
pub mod refusal;
pub mod router;
pub mod sse;
pub mod streaming;
pub mod websocket;
pub mod write_timeout;
mod ws_connection;
mod ws_session;

pub use router::router;
