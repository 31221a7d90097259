//! Webhooks: release alerts POSTed, signed, to a real receiver on 127.0.0.1.

mod admin;
mod crash;
mod delivery;
mod failures;
mod receiver;
mod security;
mod support;
