//! Release alert tests.

pub mod common;
mod fanout;
mod groups;
mod history;
mod peers;
mod publish;
mod resume;
mod scheduler;
mod stored;
mod subscription;
