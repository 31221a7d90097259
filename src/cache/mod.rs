//! Reads without work: the catalogue's version ([`version`]), bumped by every catalogue
//! write in its transaction and read once per cacheable request, and the exact
//! response cache of anonymous queries ([`store`]), keyed by the normalised document,
//! the operation name and the variables ([`key`]), each entry valid at one version.
//! Its series in `/metrics` are in [`metrics`]. The HTTP side (ETags, 304) is
//! `http::caching`.

pub mod key;
pub mod metrics;
pub mod store;
pub mod version;

pub use key::Key;
pub use store::ResponseCache;
