//! Release alerts: the release outbox and log, publishing and scheduling, the
//! in-process dispatcher and the subscription stream. See "The life of a release
//! alert" in ARCHITECTURE.md.

pub mod dispatcher;
pub mod listener;
pub mod outbox;
pub mod publish;
pub mod release_log;
pub mod scheduler;
pub mod stream;
