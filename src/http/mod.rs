//! The HTTP side of the gateway that async-graphql-axum does not cover: GraphQL over
//! HTTP with content negotiation and its status codes, the body-size refusal, the
//! streamed transports (SSE, multipart), the timeout of blocked writes, and the
//! embedded web assets and the pages built on them (release page, IDEs).

pub mod assets;
pub mod body_limit;
pub mod credential;
pub mod encoding;
mod get;
pub mod graphql;
pub mod multipart;
pub mod negotiation;
pub mod pages;
pub mod parsing;
mod post;
pub mod refusal;
pub mod router;
pub mod sse;
pub mod streaming;
pub mod websocket;
pub mod write_timeout;

pub use router::router;
