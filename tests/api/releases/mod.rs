//! Release alert tests.

pub mod common;
mod fanout;
mod peers;
mod publish;
mod resume;
mod scheduler;
mod subscription;
