//! What resolvers read from their context.

use async_graphql::Context;

use crate::db::Db;
use crate::AppState;

/// The database the schema serves.
pub fn db<'a>(ctx: &Context<'a>) -> &'a Db {
    &ctx.data_unchecked::<AppState>().db
}
