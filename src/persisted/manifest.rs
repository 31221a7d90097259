//! The trusted-documents manifest (`PREMIERE_PERSISTED_QUERIES_MANIFEST`): a JSON file
//! of id → document, in Apollo's persisted-query-manifest format
//! (`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body",
//! "name", "type"}]}`) or as a plain object `{"<id>": "<document>"}` (Relay's
//! `persisted_queries.json`, and most other tools').

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use serde::Deserialize;

/// The listed documents, by id and by text.
#[derive(Default)]
pub struct Manifest {
    by_id: HashMap<String, Arc<str>>,
    documents: HashSet<Arc<str>>,
}

#[derive(Deserialize)]
struct ApolloManifest {
    format: String,
    operations: Vec<ApolloOperation>,
}

#[derive(Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("PREMIERE_PERSISTED_QUERIES_MANIFEST: reading {path:?}"))?;
        Self::parse(&text)
            .with_context(|| format!("PREMIERE_PERSISTED_QUERIES_MANIFEST: parsing {path:?}"))
    }

    /// Parses either format.
    pub fn parse(text: &str) -> anyhow::Result<Manifest> {
        let json: serde_json::Value = serde_json::from_str(text)?;
        let pairs: Vec<(String, String)> = if json.get("format").is_some() {
            let manifest: ApolloManifest = serde_json::from_value(json)?;
            if manifest.format != "apollo-persisted-query-manifest" {
                bail!("unknown manifest format `{}`", manifest.format);
            }
            manifest
                .operations
                .into_iter()
                .map(|op| (op.id, op.body))
                .collect()
        } else {
            serde_json::from_value::<HashMap<String, String>>(json)
                .context("expected an Apollo manifest or an object of id → document")?
                .into_iter()
                .collect()
        };
        let mut manifest = Manifest::default();
        for (id, body) in pairs {
            let body: Arc<str> = body.into();
            manifest.documents.insert(body.clone());
            manifest.by_id.insert(id, body);
        }
        Ok(manifest)
    }

    /// The document listed under `id`.
    pub fn get(&self, id: &str) -> Option<Arc<str>> {
        self.by_id.get(id).cloned()
    }

    /// Whether `document` is listed (exactly as written).
    pub fn lists(&self, document: &str) -> bool {
        self.documents.contains(document)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Manifest;

    #[test]
    fn both_formats_are_read() {
        let apollo = r#"{"format":"apollo-persisted-query-manifest","version":1,
            "operations":[{"id":"abc","body":"query A { a }","name":"A","type":"query"}]}"#;
        let manifest = Manifest::parse(apollo).expect("apollo");
        assert_eq!(manifest.get("abc").as_deref(), Some("query A { a }"));
        assert!(manifest.lists("query A { a }"));
        let plain = Manifest::parse(r#"{"h1": "{ b }"}"#).expect("plain");
        assert_eq!(plain.get("h1").as_deref(), Some("{ b }"));
        assert!(!plain.lists("{ a }"));
        assert!(Manifest::parse(r#"{"format":"other","operations":[]}"#).is_err());
        assert!(Manifest::parse("[1]").is_err());
    }
}
