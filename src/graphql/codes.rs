//! Gives every GraphQL error a stable `extensions.code`, in one place: errors of
//! the operations carry their own; the rest are request errors.

use async_graphql::{ErrorExtensions, ServerError};

use crate::error::Error;

/// Sets the code of each error that has none.
pub fn classify(errors: &mut [ServerError]) {
    for error in errors {
        if let Some(ours) = error.source::<Error>() {
            error.extensions = ours.extend().extensions;
            continue;
        }
        if error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some())
        {
            continue;
        }
        let code = if is_over_limit(&error.message) {
            "QUERY_TOO_COMPLEX"
        } else {
            "BAD_USER_INPUT"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

/// Whether async-graphql's message reports a configured or built-in limit (depth,
/// complexity, recursion, directives) rather than a mistake in the request.
fn is_over_limit(message: &str) -> bool {
    [
        "nested too deep",
        "too complex",
        "too many",
        "recursion depth",
        "recursion limit exceeded",
        "stack limit reached",
        "number of directives",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}
