//! The HTTP side of the gateway that async-graphql-axum does not cover: GraphQL over
//! HTTP with content negotiation and its status codes, the body-size refusal, the
//! streamed transports (SSE, multipart) and the timeout of blocked writes.

pub mod graphql;
pub mod multipart;
pub mod sse;
pub mod streaming;
pub mod write_timeout;
