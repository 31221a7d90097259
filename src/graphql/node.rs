//! The `Node` interface and `Query.node`.

use async_graphql::{Context, Interface, Object, Result, ID};
use entity::{credit, installment, interview};

use super::credit::Credit;
use super::guard::viewer;
use super::ids::{self, Kind};
use super::installment::Installment;
use super::interview::Interview;
use super::person::Person;
use super::series::Series;
use super::state;
use crate::catalog;
use crate::catalog::embargo::visible;

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Series(Series),
    Installment(Installment),
    Person(Person),
    Credit(Credit),
    Interview(Interview),
    Webhook(super::webhook::Webhook),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global ID, or null when there is none. Without an admin
    /// credential, an unreleased installment, and a credit or interview of one, is null
    /// too.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (kind, row) = ids::decode_any("id", &id)?;
        let (db, viewer) = (state::db(ctx).conn(), viewer(ctx));
        Ok(match kind {
            Kind::Series => catalog::series::get(db, row)
                .await?
                .map(|m| Node::Series(Series(m))),
            Kind::Installment => visible::<installment::Entity>(db, viewer, row)
                .await?
                .map(|m| Node::Installment(Installment(m))),
            Kind::Person => catalog::person::get(db, row)
                .await?
                .map(|m| Node::Person(Person(m))),
            Kind::Credit => visible::<credit::Entity>(db, viewer, row)
                .await?
                .map(|m| Node::Credit(Credit::new(m))),
            Kind::Interview => visible::<interview::Entity>(db, viewer, row)
                .await?
                .map(|m| Node::Interview(Interview(m))),
            Kind::Webhook => super::webhook::node(ctx, row).await?.map(Node::Webhook),
        })
    }
}
