//! The HTTP side of the gateway that async-graphql-axum does not cover: GraphQL over
//! HTTP with content negotiation and its status codes, and the body-size refusal.

pub mod graphql;
