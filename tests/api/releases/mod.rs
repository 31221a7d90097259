//! Release alert tests.

mod common;
mod fanout;
mod history;
mod publish;
mod resume;
mod scheduler;
mod subscription;
