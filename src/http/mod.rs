//! The HTTP side of the gateway that async-graphql-axum does not cover: GraphQL over
//! HTTP with content negotiation and its status codes, and the body-size refusal;
//! the embedded web assets and the pages built on them (release page, IDEs).

pub mod assets;
pub mod graphql;
pub mod pages;
