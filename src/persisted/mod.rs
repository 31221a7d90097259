//! Persisted queries. Apollo's automatic persisted queries (APQ): a request whose
//! `extensions.persistedQuery.sha256Hash` names a document may leave `query` out; an
//! unknown hash answers `PERSISTED_QUERY_NOT_FOUND` and the client sends the document
//! with its hash, which is checked and stored in the `persisted_query` table (so every
//! replica knows it). And trusted documents: with `PREMIERE_PERSISTED_QUERIES_MANIFEST`
//! set, requests without the admin credential may run only the manifest's documents
//! (`PERSISTED_QUERY_NOT_IN_LIST`), on every transport ([`Persisted::admit`]).

pub mod manifest;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::Value;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::Db;
use crate::error::{Error, Result};
pub use manifest::Manifest;

/// Documents this process has read or stored, by hash (they never change: a hash
/// names one text). Emptied when full.
const KNOWN_MAX: usize = 10_000;

/// The persisted queries of one application.
pub struct Persisted {
    db: Db,
    manifest: Option<Manifest>,
    known: Mutex<HashMap<String, Arc<str>>>,
}

/// The hex SHA-256 of `document`, as Apollo's clients compute it.
pub fn sha256_hex(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mismatch() -> Error {
    Error::bad_input(
        "extensions.persistedQuery.sha256Hash",
        "the hash is not the SHA-256 of the document sent; nothing was stored",
    )
}

/// The hash a request names, if it asks for a persisted query.
fn requested_hash(request: &async_graphql::Request) -> Result<Option<String>> {
    let Some(persisted) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let field = "extensions.persistedQuery";
    let Value::Object(persisted) = persisted else {
        return Err(Error::bad_input(field, "must be an object"));
    };
    match persisted.get("version") {
        None => {}
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(_) => return Err(Error::bad_input(field, "only version 1 is supported")),
    }
    match persisted.get("sha256Hash") {
        Some(Value::String(hash)) => Ok(Some(hash.to_ascii_lowercase())),
        _ => Err(Error::bad_input(
            "extensions.persistedQuery.sha256Hash",
            "must be the hex SHA-256 of the document",
        )),
    }
}

impl Persisted {
    /// The persisted queries over `db`, reading the manifest the settings name.
    pub fn new(db: Db, settings: &Settings) -> anyhow::Result<Self> {
        let manifest = match &settings.persisted_queries_manifest {
            Some(path) => Some(Manifest::load(path)?),
            None => None,
        };
        Ok(Persisted {
            db,
            manifest,
            known: Mutex::default(),
        })
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<str>>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remember(&self, hash: String, document: Arc<str>) {
        let mut known = self.known();
        if known.len() >= KNOWN_MAX {
            known.clear();
        }
        known.insert(hash, document);
    }

    /// Resolves an HTTP request's persisted query: fills in the document of a request
    /// that sent only its hash, or checks and stores the document sent with its hash.
    pub async fn resolve(&self, request: &mut async_graphql::Request, admin: bool) -> Result<()> {
        let Some(hash) = requested_hash(request)? else {
            return Ok(());
        };
        let listed = self.manifest.as_ref().and_then(|m| m.get(&hash));
        if request.query.is_empty() {
            request.query = match listed {
                Some(document) => document.to_string(),
                None => self.lookup(&hash, admin).await?.to_string(),
            };
            return Ok(());
        }
        if let Some(document) = listed {
            // A manifest's ids need not be SHA-256 (Relay's are MD5): its text decides.
            return match *document == *request.query {
                true => Ok(()),
                false => Err(mismatch()),
            };
        }
        if sha256_hex(&request.query) != hash {
            return Err(mismatch());
        }
        self.admit(&request.query, admin)?;
        let known = self.known().contains_key(&hash);
        if known || request.parsed_query().is_err() {
            // Known already; or not a document, which is not stored (the schema reports it).
            return Ok(());
        }
        store::save(&self.db, &hash, &request.query).await?;
        self.remember(hash, request.query.as_str().into());
        Ok(())
    }

    /// The document stored under `hash`, known here or read from the database.
    async fn lookup(&self, hash: &str, admin: bool) -> Result<Arc<str>> {
        if self.manifest.is_some() && !admin {
            return Err(Error::PersistedQueryNotInList);
        }
        let known = self.known().get(hash).cloned();
        if let Some(document) = known {
            return Ok(document);
        }
        let document: Arc<str> = store::find(&self.db, hash)
            .await?
            .ok_or(Error::PersistedQueryNotFound)?
            .into();
        self.remember(hash.to_string(), document.clone());
        Ok(document)
    }

    /// In trusted-documents mode, refuses a document the manifest does not list unless
    /// the request has the admin credential.
    pub fn admit(&self, document: &str, admin: bool) -> Result<()> {
        match &self.manifest {
            Some(manifest) if !admin && !manifest.lists(document) => {
                Err(Error::PersistedQueryNotInList)
            }
            _ => Ok(()),
        }
    }
}
