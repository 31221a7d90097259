//! Release alert tests.

mod common;
mod fanout;
mod peers;
mod publish;
mod resume;
mod scheduler;
mod subscription;
