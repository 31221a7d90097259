//! Webhooks: release alerts POSTed, signed, to a real receiver on 127.0.0.1.

mod delivery;
mod failures;
mod receiver;
mod support;
