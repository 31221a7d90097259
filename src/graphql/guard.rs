//! The admin credential: the check of mutations, and who is reading.

use async_graphql::{Context, Guard, Result};

use crate::catalog::embargo::Viewer;
use crate::error::Error;

/// Present in a request's data (or a WebSocket connection's) when it carried the
/// admin token.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// Lets a field run only for requests that carried the admin token.
pub struct AdminGuard;

impl Guard for AdminGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match ctx.data_opt::<Admin>() {
            Some(_) => Ok(()),
            None => Err(Error::Unauthenticated.into()),
        }
    }
}

/// Who is reading: an admin when the request (or its WebSocket connection) carried
/// the admin token, else the public, who sees only released installments.
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    match ctx.data_opt::<Admin>() {
        Some(_) => Viewer::Admin,
        None => Viewer::Public,
    }
}
