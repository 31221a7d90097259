//! Limits on the shape of a GraphQL document, checked before validation and before
//! any resolver (and so any SQL) runs: bracket nesting (before parsing), aliases,
//! root fields per operation, and the number of fields once fragments are expanded
//! (a "fragment bomb" is refused before async-graphql walks it).
//!
//! The HTTP layer runs [`Limits::check_text`] and [`Limits::check_document`] itself
//! (it parses the document anyway) and marks the request [`Prechecked`];
//! [`Limits::precheck`], called by `AppSchema`, does the same for everything else
//! (WebSocket subscriptions).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Context, Positioned, ServerError, ServerResult};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Settings;
use crate::error::Error;
use crate::metrics::Limit;
use crate::AppState;

/// Deepest bracket nesting (`{`, `[`, `(`) accepted before parsing. The parser refuses
/// selection sets nested deeper than 64 anyway; this gives the refusal a clear code.
pub const MAX_NESTING: usize = 100;

/// Longest chain of fragment spreads and selection sets walked when expanding.
const MAX_EXPANSION_DEPTH: usize = 64;

/// The lowest bound on the fields of a document once fragments are expanded, whatever
/// the complexity limit: a small complexity limit still lets a document name a
/// reasonable number of fields (async-graphql's complexity check refuses the costly
/// ones).
const MIN_EXPANDED_FIELDS: usize = 1_000;

/// Request data: the document of this request was already checked by the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct Prechecked;

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

/// The configured document limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Largest number of fields after expanding fragments (the complexity limit).
    pub max_fields: usize,
    /// Whether `__schema` and `__type` may be asked for.
    pub introspection: bool,
}

impl Limits {
    pub fn new(settings: &Settings) -> Self {
        Limits {
            max_aliases: settings.max_aliases,
            max_root_fields: settings.max_root_fields,
            max_fields: settings.max_complexity.max(MIN_EXPANDED_FIELDS),
            introspection: settings.introspection,
        }
    }

    /// Refuses a query text whose brackets nest deeper than [`MAX_NESTING`], without
    /// parsing it. Strings, block strings and comments are skipped.
    pub fn check_text(&self, query: &str) -> ServerResult<()> {
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
                        return Err(too_complex(format!(
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

    /// Counts aliases, root fields per operation and expanded fields.
    pub fn check_document(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        if !self.introspection {
            let sets = doc
                .operations
                .iter()
                .map(|(_, op)| &op.node.selection_set)
                .chain(doc.fragments.values().map(|f| &f.node.selection_set));
            for set in sets {
                if let Some(pos) = find_introspection(set) {
                    // extensions.code BAD_USER_INPUT (see `codes::classify`).
                    return Err(ServerError::new(
                        "Introspection is disabled on this server.",
                        Some(pos),
                    ));
                }
            }
        }
        let mut aliases = 0usize;
        for (_, operation) in doc.operations.iter() {
            aliases += count_aliases(&operation.node.selection_set);
        }
        for fragment in doc.fragments.values() {
            aliases += count_aliases(&fragment.node.selection_set);
        }
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "Query has too many aliases: {aliases}, at most {} are allowed.",
                self.max_aliases
            )));
        }
        let mut walk = Expansion {
            doc,
            memo: HashMap::new(),
            max: self.max_fields,
        };
        for (name, operation) in doc.operations.iter() {
            let fields = walk.fields(&operation.node.selection_set, 0)?;
            if fields > self.max_fields {
                return Err(too_many_fields(self.max_fields));
            }
            let root = walk.root_fields(&operation.node.selection_set, &mut Vec::new())?;
            if root > self.max_root_fields {
                let name = name.map(|n| format!(" `{n}`")).unwrap_or_default();
                return Err(too_complex(format!(
                    "Operation{name} selects too many root fields: {root}, at most {} are allowed.",
                    self.max_root_fields
                )));
            }
        }
        Ok(())
    }
}

impl Limits {
    /// Checks a request that is not [`Prechecked`]:
    /// the text, then the document (which stays parsed in the request). A document
    /// that does not parse is left to the schema, which reports it as usual.
    pub fn precheck(&self, request: &mut async_graphql::Request) -> ServerResult<()> {
        if request
            .data
            .contains_key(&std::any::TypeId::of::<Prechecked>())
        {
            return Ok(());
        }
        self.check_text(&request.query)?;
        if let Ok(doc) = request.parsed_query() {
            self.check_document(doc)?;
        }
        Ok(())
    }
}

/// A limit error: `extensions.code` QUERY_TOO_COMPLEX.
fn too_complex(message: String) -> ServerError {
    let mut error = ServerError::new(message.clone(), None);
    error.source = Some(Arc::new(Error::TooComplex(message)));
    error
}

fn too_many_fields(max: usize) -> ServerError {
    too_complex(format!(
        "Query is too complex: it selects more than {max} fields once fragments are expanded."
    ))
}

fn too_deep() -> ServerError {
    too_complex("Query is nested too deep: fragments expand too deeply.".to_string())
}

/// Where `set` asks for `__schema` or `__type`, if it does.
fn find_introspection(set: &Positioned<SelectionSet>) -> Option<async_graphql::Pos> {
    let mut stack = vec![set];
    while let Some(set) = stack.pop() {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "__schema" || name == "__type" {
                        return Some(field.pos);
                    }
                    stack.push(&field.node.selection_set);
                }
                Selection::InlineFragment(inline) => stack.push(&inline.node.selection_set),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    None
}

fn count_aliases(set: &Positioned<SelectionSet>) -> usize {
    // Iterative: the parser bounds nesting, but no recursion is needed here.
    let mut stack = vec![set];
    let mut n = 0;
    while let Some(set) = stack.pop() {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    n += usize::from(field.node.alias.is_some());
                    stack.push(&field.node.selection_set);
                }
                Selection::InlineFragment(inline) => stack.push(&inline.node.selection_set),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    n
}

/// Counts fields with fragments expanded, memoising each fragment's size.
struct Expansion<'a> {
    doc: &'a ExecutableDocument,
    /// `None` while a fragment is being expanded (a cycle counts as empty; validation
    /// refuses cycles later).
    memo: HashMap<&'a str, Option<usize>>,
    max: usize,
}

impl<'a> Expansion<'a> {
    fn fields(&mut self, set: &'a Positioned<SelectionSet>, depth: usize) -> ServerResult<usize> {
        if depth > MAX_EXPANSION_DEPTH {
            return Err(too_deep());
        }
        let mut n = 0usize;
        for selection in &set.node.items {
            let add = match &selection.node {
                Selection::Field(field) => 1 + self.fields(&field.node.selection_set, depth + 1)?,
                Selection::InlineFragment(inline) => {
                    self.fields(&inline.node.selection_set, depth + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), depth)?
                }
            };
            n = n.saturating_add(add);
            if n > self.max {
                return Err(too_many_fields(self.max));
            }
        }
        Ok(n)
    }

    fn fragment(&mut self, name: &'a str, depth: usize) -> ServerResult<usize> {
        match self.memo.get(name) {
            Some(Some(n)) => return Ok(*n),
            Some(None) => return Ok(0),
            None => {}
        }
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Ok(0);
        };
        self.memo.insert(key.as_str(), None);
        let n = self.fields(&fragment.node.selection_set, depth + 1)?;
        self.memo.insert(key.as_str(), Some(n));
        Ok(n)
    }

    /// The fields the root selection set resolves, fragments expanded. Run after
    /// [`Expansion::fields`] succeeded, so the walk is bounded by the field limit.
    fn root_fields(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        path: &mut Vec<&'a str>,
    ) -> ServerResult<usize> {
        if path.len() > MAX_EXPANSION_DEPTH {
            return Err(too_deep());
        }
        let mut n = 0usize;
        for selection in &set.node.items {
            n = n.saturating_add(match &selection.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => {
                    self.root_fields(&inline.node.selection_set, path)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.doc.fragments.get_key_value(name) {
                        Some((key, fragment)) if !path.contains(&key.as_str()) => {
                            path.push(key.as_str());
                            let n = self.root_fields(&fragment.node.selection_set, path);
                            path.pop();
                            n?
                        }
                        _ => 0,
                    }
                }
            });
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
