//! Release alerts: the release log, publishing and scheduling, the in-process bus
//! and the subscription stream. See "The life of a release alert" in DESIGN.md.

pub mod bus;
pub mod listener;
pub mod log;
pub mod publish;
pub mod scheduler;
pub mod stream;
