//! What resolvers read from their context.

use async_graphql::Context;

use crate::catalog::write::Writer;
use crate::db::Db;
use crate::AppState;

/// The database the schema serves.
pub fn db<'a>(ctx: &Context<'a>) -> &'a Db {
    &ctx.data_unchecked::<AppState>().db
}

/// The catalogue writer the schema's mutations write with.
pub fn writer<'a>(ctx: &Context<'a>) -> &'a Writer {
    &ctx.data_unchecked::<AppState>().writer
}
