//! The admin credential check of mutations.

use async_graphql::{Context, Guard, Result};

use crate::error::Error;

/// Present in a request's data when it carried the admin token.
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
