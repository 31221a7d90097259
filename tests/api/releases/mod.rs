//! Release alert tests.

mod common;
mod fanout;
mod publish;
mod resume;
mod scheduler;
mod subscription;
