//! Gives every GraphQL error a stable `extensions.code`, in one place, by type: an
//! error of an operation carries its [`Error`]; the request gate's refusals
//! (`super::gate`) carry their code already; every other error is async-graphql's
//! report of a request that does not validate or coerce, `BAD_USER_INPUT`. No code is
//! found by reading a message: async-graphql runs no limit of its own (the gate
//! applies them all, on the parsed document), so none of its errors is a limit.

use async_graphql::{ErrorExtensions, ServerError};

use crate::error::{Code, Error};

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
        Code::BadUserInput.set_on(error);
    }
}
