//! The limits on a GraphQL request, which the request gate ([`super::gate`]) applies
//! before validation and before any resolver (and so any SQL) runs: bracket nesting
//! (on the text, before parsing), then on the parsed document, in one walk
//! ([`measure`]): introspection (when it is off), aliases, root fields per operation,
//! fields once fragments are expanded, complexity and depth. async-graphql runs none
//! of its own, so every limit is applied once, here, and its refusal is typed.
//!
//! Complexity is async-graphql's measure: a field counts 1 plus its selection's; a
//! paged field (a connection) counts its selection's once per item it may return
//! (`first` or `last`, else `PREMIERE_DEFAULT_PAGE_SIZE`, at most
//! `PREMIERE_MAX_PAGE_SIZE`), so nested connections multiply. One difference: the
//! fields of a fragment are weighed on the type it names, where async-graphql kept
//! the enclosing type (so `node(id:) { ... on Series { installments { … } } }`, on the
//! `Node` interface, escaped the page weights).

mod measure;
mod shape;

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Context, Variables};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use self::measure::{PageWeights, TooDeep};
pub use self::shape::Shape;
use super::gate::Reason;
use crate::config::Settings;
use crate::error::Error;
use crate::metrics::Limit;
use crate::AppState;

/// Deepest bracket nesting (`{`, `[`, `(`) accepted before parsing. The parser refuses
/// selection sets nested deeper than 64 anyway; this bounds the rest (lists, objects)
/// and gives the refusal a clear message.
pub const MAX_NESTING: usize = 100;

/// The lowest bound on the fields of a document once fragments are expanded, whatever
/// `PREMIERE_MAX_COMPLEXITY` (which sets the bound above it): a small complexity limit
/// still lets a document name a reasonable number of fields, the complexity limit
/// refusing the costly ones. Documented in the README's settings table.
pub const MIN_EXPANDED_FIELDS: usize = 1_000;

/// Deepest nesting of selection sets (fields, inline fragments and spreads each open
/// one), as async-graphql counts it for its recursion bound, which the schema sets to
/// this: so that bound never refuses what the gate let through.
pub const MAX_SELECTION_NESTING: usize = 32;

/// The subscription slots of one WebSocket connection (connection data, set at
/// `connection_init`): at most `PREMIERE_WS_MAX_SUBSCRIPTIONS` active at once.
#[derive(Clone)]
pub struct SubscriptionSlots(Arc<Semaphore>, u32);

impl SubscriptionSlots {
    pub fn new(max: usize) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS).min(u32::MAX as usize);
        SubscriptionSlots(Arc::new(Semaphore::new(max)), max as u32)
    }

    /// Resolves once every slot is free: all subscriptions of the connection ended.
    pub async fn all_free(&self) {
        let _ = self.0.acquire_many(self.1).await;
    }

    /// Takes a slot of the request's connection, if it has slots (a WebSocket one);
    /// the subscription holds it until its stream is dropped.
    pub fn acquire(ctx: &Context<'_>) -> Result<Option<OwnedSemaphorePermit>, Error> {
        let Some(slots) = ctx.data_opt::<SubscriptionSlots>() else {
            return Ok(None);
        };
        match slots.0.clone().try_acquire_owned() {
            Ok(permit) => Ok(Some(permit)),
            Err(_) => {
                let state = ctx.data_unchecked::<AppState>();
                state
                    .metrics
                    .limit_refused(Limit::SubscriptionsPerConnection);
                Err(Error::TooComplex(format!(
                    "too many subscriptions on this connection: at most {} may be active at once",
                    state.settings.ws_max_subscriptions
                )))
            }
        }
    }
}

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Largest number of fields after expanding fragments: the complexity limit, at
    /// least [`MIN_EXPANDED_FIELDS`].
    pub max_fields: usize,
    /// Whether `__schema` and `__type` may be asked for.
    pub introspection: bool,
    /// The weight of a paged field without `first`/`last` (the default page size).
    pub default_page_weight: usize,
    /// The highest weight of a paged field (the largest page size).
    pub max_page_weight: usize,
}

impl Limits {
    pub fn new(settings: &Settings) -> Self {
        Limits {
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            max_aliases: settings.max_aliases,
            max_root_fields: settings.max_root_fields,
            max_fields: settings.max_complexity.max(MIN_EXPANDED_FIELDS),
            introspection: settings.introspection,
            default_page_weight: settings.default_page_size as usize,
            max_page_weight: settings.max_page_size as usize,
        }
    }

    /// Refuses a query text whose brackets nest deeper than [`MAX_NESTING`], without
    /// parsing it. Strings, block strings and comments are skipped.
    pub fn check_text(&self, query: &str) -> Result<(), Reason> {
        let bytes = query.as_bytes();
        let mut depth = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                        i += 1;
                    }
                }
                b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i..].starts_with(b"\\\"\"\"") {
                            4
                        } else {
                            1
                        };
                    }
                    i += 2;
                }
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(Reason::OverLimit(format!(
                            "Query is nested too deep: brackets nest more than {MAX_NESTING} levels."
                        )));
                    }
                }
                b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }

    /// Applies every limit on the parsed document, with the page sizes its
    /// `variables` give, to the schema of `shape`.
    pub fn check_document(
        &self,
        doc: &ExecutableDocument,
        variables: &Variables,
        shape: &Shape,
    ) -> Result<(), Reason> {
        let weights = PageWeights {
            default: self.default_page_weight,
            max: self.max_page_weight,
        };
        let measured = measure::measure(doc, variables, shape, weights).map_err(too_deep)?;
        if let (false, Some(pos)) = (self.introspection, measured.introspection) {
            return Err(Reason::Introspection(pos));
        }
        let over = |message: String| Err(Reason::OverLimit(message));
        if measured.aliases > self.max_aliases {
            return over(format!(
                "Query has too many aliases: {}, at most {} are allowed.",
                measured.aliases, self.max_aliases
            ));
        }
        for (name, size) in &measured.operations {
            if size.fields > self.max_fields {
                return over(format!(
                    "Query is too complex: it selects more than {} fields once fragments are expanded.",
                    self.max_fields
                ));
            }
            if size.roots > self.max_root_fields {
                let name = name.as_ref().map(|n| format!(" `{n}`")).unwrap_or_default();
                return over(format!(
                    "Operation{name} selects too many root fields: {}, at most {} are allowed.",
                    size.roots, self.max_root_fields
                ));
            }
            if size.nesting > MAX_SELECTION_NESTING {
                return over(format!(
                    "Query is nested too deep: its selections nest more than {MAX_SELECTION_NESTING} levels."
                ));
            }
        }
        let sizes = measured.operations.iter().map(|(_, size)| size);
        let complexity = sizes
            .clone()
            .fold(0usize, |n, s| n.saturating_add(s.complexity));
        if complexity > self.max_complexity {
            return over(format!(
                "Query is too complex: its complexity is {complexity}, at most {} is allowed.",
                self.max_complexity
            ));
        }
        let depth = sizes.map(|s| s.depth).max().unwrap_or(0);
        if depth > self.max_depth {
            return over(format!(
                "Query is nested too deep: {depth} levels of fields, at most {} are allowed.",
                self.max_depth
            ));
        }
        Ok(())
    }
}

fn too_deep(_: TooDeep) -> Reason {
    Reason::OverLimit("Query is nested too deep: fragments expand too deeply.".to_string())
}

#[cfg(test)]
mod tests;
