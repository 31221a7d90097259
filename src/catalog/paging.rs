//! Keyset pagination over one list (`page`) and over many parents' lists at once
//! (`Lists`, one statement for a whole batch, using a window function).

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Asterisk, Expr, Order, Query, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, QueryTrait, Select,
};

use crate::error::Result;

/// Validated Relay arguments, with cursors decoded to sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PageArgs {
    pub first: Option<u64>,
    pub after: Option<i64>,
    pub last: Option<u64>,
    pub before: Option<i64>,
}

/// One page: items with their sort keys, in ascending key order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(i64, T)>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            has_previous: false,
            has_next: false,
        }
    }
}

/// How the rows of a list are ordered: a unique integer key within the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub table: &'static str,
    pub column: &'static str,
}

impl Key {
    fn expr(&self) -> SimpleExpr {
        Expr::col((Alias::new(self.table), Alias::new(self.column))).into()
    }

    fn sql(&self) -> String {
        format!("\"{}\".\"{}\"", self.table, self.column)
    }
}

impl PageArgs {
    /// Fetch direction and row limit (one more than needed, to see the next page).
    pub(crate) fn plan(&self) -> (Order, u64) {
        match (self.first, self.last) {
            (Some(first), _) => (Order::Asc, first + 1),
            (None, Some(last)) => (Order::Desc, last + 1),
            (None, None) => (Order::Asc, 1),
        }
    }

    /// Turns rows fetched by `plan` into a page.
    pub(crate) fn finish<T>(&self, mut rows: Vec<(i64, T)>) -> Page<T> {
        let mut page = Page {
            items: Vec::new(),
            has_previous: self.after.is_some(),
            has_next: self.before.is_some(),
        };
        match (self.first, self.last) {
            (Some(first), last) => {
                if rows.len() as u64 > first {
                    rows.truncate(first as usize);
                    page.has_next = true;
                }
                if let Some(last) = last {
                    if rows.len() as u64 > last {
                        rows.drain(..rows.len() - last as usize);
                        page.has_previous = true;
                    }
                }
            }
            (None, Some(last)) => {
                if rows.len() as u64 > last {
                    rows.truncate(last as usize);
                    page.has_previous = true;
                }
                rows.reverse();
            }
            (None, None) => rows.clear(),
        }
        page.items = rows;
        page
    }
}

fn bounded<E: EntityTrait>(select: Select<E>, key: Key, args: &PageArgs) -> Select<E> {
    let mut select = select;
    if let Some(after) = args.after {
        select = select.filter(Expr::expr(key.expr()).gt(after));
    }
    if let Some(before) = args.before {
        select = select.filter(Expr::expr(key.expr()).lt(before));
    }
    select
}

/// One page of `select`, ordered by `key`.
pub async fn page<E, C>(
    db: &C,
    select: Select<E>,
    key: Key,
    key_of: fn(&E::Model) -> i64,
    args: &PageArgs,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let (order, limit) = args.plan();
    let rows = bounded(select, key, args)
        .order_by(key.expr(), order)
        .limit(limit)
        .all(db)
        .await?;
    Ok(args.finish(rows.into_iter().map(|m| (key_of(&m), m)).collect()))
}

/// A row with the id of the parent whose list it belongs to.
struct WithParent<M> {
    parent: i64,
    model: M,
}

const PARENT: &str = "premiere_parent";
const ROW_NUMBER: &str = "premiere_rn";

impl<M: FromQueryResult> FromQueryResult for WithParent<M> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(WithParent {
            parent: res.try_get(pre, PARENT)?,
            model: M::from_query_result(res, pre)?,
        })
    }
}

/// The lists of many parents, read a whole batch of parents at a time: `select` (the
/// rows, narrowed and joined as needed), `parent` the column naming a row's parent, and
/// `key` the order within each list. A page's rows are `T`: the entity's model, or
/// (with [`Lists::rows`]) the model with what a join brings along.
pub struct Lists<E: EntityTrait, T = <E as EntityTrait>::Model> {
    select: Select<E>,
    parent: Key,
    key: Key,
    key_of: fn(&T) -> i64,
    /// Applied to the pages' statement only: the counts need no join.
    widen: fn(Select<E>) -> Select<E>,
    /// Another column the parents' ids name (see [`Lists::parent_also`]).
    parent_also: Option<Key>,
}

impl<E: EntityTrait> Lists<E> {
    /// The lists of the rows of `select`, by the parent `parent` names, ordered by `key`.
    pub fn new(select: Select<E>, parent: Key, key: Key, key_of: fn(&E::Model) -> i64) -> Self {
        Lists {
            select,
            parent,
            key,
            key_of,
            widen: |select| select,
            parent_also: None,
        }
    }

    /// The same lists, whose pages are read by `widen`'s statement (the rows' own
    /// columns and joined ones) and decoded as `U`.
    pub fn rows<U: FromQueryResult>(
        self,
        widen: fn(Select<E>) -> Select<E>,
        key_of: fn(&U) -> i64,
    ) -> Lists<E, U> {
        Lists {
            select: self.select,
            parent: self.parent,
            key: self.key,
            key_of,
            widen,
            parent_also: self.parent_also,
        }
    }
}

impl<E: EntityTrait, T: FromQueryResult> Lists<E, T> {
    /// Tells that the parents' ids are also the values of `column`, the key of a table
    /// `select` joins (the embargo's installment, when the parents are installments):
    /// filtered by them too, PostgreSQL reads those rows by their index instead of
    /// hash-joining the whole table. A page of 50 installments' credits took 6.4 ms
    /// with the join alone and 1.4 ms with both filters (EXPLAIN ANALYZE over the
    /// benchmark's 20,000 installments; BENCHMARKS.md).
    pub fn parent_also(mut self, column: Key) -> Self {
        self.parent_also = Some(column);
        self
    }

    /// `select` narrowed to the rows of `parents`.
    fn of(select: Select<E>, parent: Key, also: Option<Key>, parents: &[i64]) -> Select<E> {
        let select = select.filter(Expr::expr(parent.expr()).is_in(parents.iter().copied()));
        match also {
            Some(also) => select.filter(Expr::expr(also.expr()).is_in(parents.iter().copied())),
            None => select,
        }
    }

    /// The same page of each parent's list, in one statement.
    pub async fn pages(
        self,
        db: &impl ConnectionTrait,
        parents: &[i64],
        args: &PageArgs,
    ) -> Result<HashMap<i64, Page<T>>> {
        let Lists {
            select,
            parent,
            key,
            key_of,
            widen,
            parent_also,
        } = self;
        let (order, limit) = args.plan();
        if parents.is_empty() || (args.first.is_none() && args.last.is_none()) {
            return Ok(parents.iter().map(|p| (*p, Page::default())).collect());
        }
        let direction = match order {
            Order::Desc => "DESC",
            _ => "ASC",
        };
        let inner = bounded(
            Self::of(widen(select), parent, parent_also, parents),
            key,
            args,
        )
        .column_as(parent.expr(), PARENT)
        .column_as(
            Expr::cust(format!(
                "ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {} {direction})",
                parent.sql(),
                key.sql()
            )),
            ROW_NUMBER,
        )
        .into_query();
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, Alias::new("windowed"))
            .and_where(Expr::col(Alias::new(ROW_NUMBER)).lte(limit as i64))
            .to_owned();
        // No ORDER BY: sorting the whole (wide) rows was a third of the statement's cost
        // on SQLite; each parent's few rows are put in order below instead.
        let stmt = db.get_database_backend().build(&outer);
        let rows = WithParent::<T>::find_by_statement(stmt).all(db).await?;
        let mut grouped: HashMap<i64, Vec<(i64, T)>> =
            parents.iter().map(|p| (*p, Vec::new())).collect();
        for row in rows {
            grouped
                .entry(row.parent)
                .or_default()
                .push((key_of(&row.model), row.model));
        }
        Ok(grouped
            .into_iter()
            .map(|(parent, mut rows)| {
                // The order of the window: ascending keys, or descending for `last`.
                match order {
                    Order::Desc => rows.sort_unstable_by_key(|(key, _)| std::cmp::Reverse(*key)),
                    _ => rows.sort_unstable_by_key(|(key, _)| *key),
                }
                (parent, args.finish(rows))
            })
            .collect())
    }

    /// The number of rows in each parent's list, in one statement.
    pub async fn counts(
        self,
        db: &impl ConnectionTrait,
        parents: &[i64],
    ) -> Result<HashMap<i64, u64>> {
        let Lists {
            select,
            parent,
            parent_also,
            ..
        } = self;
        if parents.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, i64)> = Self::of(select, parent, parent_also, parents)
            .select_only()
            .column_as(parent.expr(), PARENT)
            .column_as(Expr::cust("COUNT(*)"), "premiere_count")
            .group_by(parent.expr())
            .into_tuple()
            .all(db)
            .await?;
        let mut counts: HashMap<i64, u64> = parents.iter().map(|p| (*p, 0)).collect();
        for (parent, n) in rows {
            counts.insert(parent, n.max(0) as u64);
        }
        Ok(counts)
    }
}
