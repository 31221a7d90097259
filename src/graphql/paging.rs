//! Relay connections: argument checks, cursors and `totalCount`.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType};

use super::guard::viewer;
use super::ids;
use super::loaders::{CountKey, List, Loaders, PageOf};
use crate::catalog::embargo::Viewer;
use crate::catalog::paging::{Page, PageArgs};
use crate::catalog::{installment, person, series};
use crate::error::{Error, Result};
use crate::AppState;

/// A connection with `totalCount`.
pub type CountedConnection<N> = Connection<Cursor, N, TotalCount, EmptyFields>;

/// An edge's sort key, encoded as an opaque cursor only when a response asks for it
/// (most nested queries ask for `nodes`: encoding every edge's cursor was measurable).
pub struct Cursor(pub i64);

impl async_graphql::connection::CursorType for Cursor {
    type Error = Error;

    fn decode_cursor(s: &str) -> Result<Self> {
        ids::decode_cursor("after", s).map(Cursor)
    }

    fn encode_cursor(&self) -> String {
        ids::cursor(self.0)
    }
}

/// Checks `first`/`after`/`last`/`before` against the page-size limits.
pub fn args(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageArgs> {
    let settings = &ctx.data_unchecked::<AppState>().settings;
    let max = i32::try_from(settings.max_page_size).unwrap_or(i32::MAX);
    let size = |field: &str, n: Option<i32>| -> Result<Option<u64>> {
        match n {
            None => Ok(None),
            Some(n) if n < 0 => Err(Error::bad_input(field, "must not be negative")),
            Some(n) if n > max => Err(Error::bad_input(field, format!("must be at most {max}"))),
            Some(n) => Ok(Some(n as u64)),
        }
    };
    let mut args = PageArgs {
        first: size("first", first)?,
        after: after.map(|c| ids::decode_cursor("after", &c)).transpose()?,
        last: size("last", last)?,
        before: before
            .map(|c| ids::decode_cursor("before", &c))
            .transpose()?,
    };
    if args.first.is_none() && args.last.is_none() {
        args.first = Some(u64::from(settings.default_page_size));
    }
    Ok(args)
}

/// Builds a connection from a page.
pub fn connection<M, N, FA>(page: Page<M>, total: TotalCount, node: FA) -> CountedConnection<N>
where
    N: OutputType,
    FA: Fn(M) -> N,
{
    let mut conn = Connection::with_additional_fields(page.has_previous, page.has_next, total);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|(key, m)| Edge::new(Cursor(key), node(m))),
    );
    conn
}

/// The connection of `parent`'s `list`: its page from the request's loaders, with the
/// pages of the other parents asking at the same level.
pub async fn nested<L: List, N: OutputType>(
    ctx: &Context<'_>,
    list: L,
    parent: i64,
    args: PageArgs,
    node: fn(L::Row) -> N,
) -> async_graphql::Result<CountedConnection<N>> {
    let key = PageOf {
        list,
        parent,
        args,
        viewer: viewer(ctx),
    };
    let page = ctx
        .data_unchecked::<Loaders>()
        .load_one(key)
        .await?
        .unwrap_or_default();
    Ok(connection(page, TotalCount::Nested(key.count()), node))
}

/// What `totalCount` counts; it is only computed when asked for.
pub enum TotalCount {
    Series(series::Filter),
    Installments(Viewer, installment::Filter),
    People(person::Filter),
    Nested(CountKey),
}

#[Object]
impl TotalCount {
    /// The number of items in the whole list, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let state = ctx.data_unchecked::<AppState>();
        let db = state.db.conn();
        Ok(match self {
            TotalCount::Series(filter) => series::count(db, filter).await?,
            TotalCount::Installments(viewer, filter) => {
                installment::count(db, *viewer, filter).await?
            }
            TotalCount::People(filter) => person::count(db, filter).await?,
            TotalCount::Nested(key) => ctx
                .data_unchecked::<Loaders>()
                .load_one(*key)
                .await?
                .unwrap_or(0),
        })
    }
}
