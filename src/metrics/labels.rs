//! The labels of Premiere's metric series: what each value is called in `/metrics`.

/// The type of a GraphQL operation, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Query,
    Mutation,
    Subscription,
    /// Not known: the document did not parse, or the request was malformed.
    Unknown,
    /// A batched POST (latency only; its operations are counted one by one).
    Batch,
}

impl Operation {
    pub(super) const ALL: [Operation; 5] = [
        Operation::Query,
        Operation::Mutation,
        Operation::Subscription,
        Operation::Unknown,
        Operation::Batch,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            Operation::Query => "query",
            Operation::Mutation => "mutation",
            Operation::Subscription => "subscription",
            Operation::Unknown => "unknown",
            Operation::Batch => "batch",
        }
    }
}

/// How a GraphQL request ended, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Executed without errors.
    Ok,
    /// Executed, with field errors.
    Error,
    /// Refused before execution: malformed, invalid, or over a limit.
    Rejected,
}

impl Outcome {
    pub(super) const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::Error, Outcome::Rejected];

    pub(super) fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
        }
    }
}

/// A configured abuse limit that refused something, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    BodySize,
    BatchSize,
    /// Depth, complexity, aliases, root fields or nesting of a document.
    Query,
    WebsocketConnections,
    SubscriptionsPerConnection,
    /// SSE and multipart streams, which share the WebSocket connections' limit.
    HttpStreams,
}

impl Limit {
    pub(super) const ALL: [Limit; 6] = [
        Limit::BodySize,
        Limit::BatchSize,
        Limit::Query,
        Limit::WebsocketConnections,
        Limit::SubscriptionsPerConnection,
        Limit::HttpStreams,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            Limit::BodySize => "body_size",
            Limit::BatchSize => "batch_size",
            Limit::Query => "query",
            Limit::WebsocketConnections => "websocket_connections",
            Limit::SubscriptionsPerConnection => "subscriptions_per_connection",
            Limit::HttpStreams => "http_streams",
        }
    }
}

/// Why the server closed a connection, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Sent nothing, not even a pong, for two keep-alive intervals.
    Unresponsive,
    /// A write stayed blocked longer than the send timeout: the peer stopped reading.
    Stuck,
}

impl Dropped {
    pub(super) const ALL: [Dropped; 2] = [Dropped::Unresponsive, Dropped::Stuck];

    pub(super) fn label(self) -> &'static str {
        match self {
            Dropped::Unresponsive => "unresponsive",
            Dropped::Stuck => "stuck",
        }
    }
}
