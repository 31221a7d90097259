//! Release alert tests.

pub(crate) mod common;
mod fanout;
mod publish;
mod resume;
mod scheduler;
mod subscription;
