//! The streamed transports of `/graphql`: GraphQL over Server-Sent Events and
//! multipart subscriptions.

mod client;
mod multipart;
mod sse;
mod transport;
