//! Release alert tests.

pub mod common;
mod fanout;
mod publish;
mod resume;
mod scheduler;
mod subscription;
