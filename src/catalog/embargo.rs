//! The embargo on unreleased installments. Without an admin credential, a DRAFT or
//! SCHEDULED installment does not exist, nor do the credits and interviews attached
//! to it. Every read of the catalogue takes the [`Viewer`] asking and narrows its SQL
//! with it, in the same statement, so that no list, count, filter, reference or
//! batch can see past it.

use entity::{credit, installment, interview, person, series};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PrimaryKeyTrait,
    QueryFilter, QuerySelect, RelationTrait, Select,
};

use super::paging::{Key, Lists};
use super::InstallmentStatus;
use crate::error::{Error, Result};

/// Who is reading the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    /// No admin credential: released (PUBLISHED) installments only.
    Public,
    /// The admin credential: everything.
    Admin,
}

impl Viewer {
    /// Refuses, with FORBIDDEN, to select installments of an unreleased `status`
    /// without the credential. `field` names the argument.
    pub fn may_ask(self, field: &str, status: Option<InstallmentStatus>) -> Result<()> {
        match (self, status) {
            (Viewer::Public, Some(status)) if status != InstallmentStatus::Published => {
                Err(Error::Forbidden(format!(
                    "{field}: {} installments are only visible with the admin credential \
                     (`Authorization: Bearer <token>`)",
                    status.as_str()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Narrows a select of installments to those this viewer may see.
    pub fn installments(self, select: Select<installment::Entity>) -> Select<installment::Entity> {
        match self {
            Viewer::Public => select.filter(released()),
            Viewer::Admin => select,
        }
    }

    /// Narrows a select of credits to those on installments this viewer may see.
    pub fn credits(self, select: Select<credit::Entity>) -> Select<credit::Entity> {
        match self {
            Viewer::Public => select
                .join(JoinType::InnerJoin, credit::Relation::Installment.def())
                .filter(released()),
            Viewer::Admin => select,
        }
    }

    /// `lists` of credits or interviews by `parent`, where `by_installment` is their
    /// column naming the installment: when the parents are installments and this
    /// viewer's select joins them (`credits`, `interviews`), the parents' ids filter the
    /// joined installments too ([`Lists::parent_also`]).
    pub fn installment_parents<E: EntityTrait, T: FromQueryResult>(
        self,
        lists: Lists<E, T>,
        parent: Key,
        by_installment: Key,
    ) -> Lists<E, T> {
        match self {
            Viewer::Public if parent == by_installment => {
                lists.parent_also(super::installment::KEY)
            }
            _ => lists,
        }
    }

    /// Narrows a select of interviews to those about installments this viewer may see.
    pub fn interviews(self, select: Select<interview::Entity>) -> Select<interview::Entity> {
        match self {
            Viewer::Public => select
                .join(JoinType::InnerJoin, interview::Relation::Installment.def())
                .filter(released()),
            Viewer::Admin => select,
        }
    }
}

fn released() -> sea_orm::sea_query::SimpleExpr {
    installment::Column::Status.eq(InstallmentStatus::Published)
}

/// A catalogue table: its id column, and which of its rows a viewer sees. Series and
/// people are public; installments, credits and interviews are under the embargo.
pub trait Table: EntityTrait<PrimaryKey: PrimaryKeyTrait<ValueType = i64>> {
    const ID: Self::Column;

    /// Narrows a select of this table to the rows `viewer` may see.
    fn seen_by(viewer: Viewer, select: Select<Self>) -> Select<Self>;
}

impl Table for series::Entity {
    const ID: series::Column = series::Column::Id;

    fn seen_by(_: Viewer, select: Select<Self>) -> Select<Self> {
        select
    }
}

impl Table for person::Entity {
    const ID: person::Column = person::Column::Id;

    fn seen_by(_: Viewer, select: Select<Self>) -> Select<Self> {
        select
    }
}

impl Table for installment::Entity {
    const ID: installment::Column = installment::Column::Id;

    fn seen_by(viewer: Viewer, select: Select<Self>) -> Select<Self> {
        viewer.installments(select)
    }
}

impl Table for credit::Entity {
    const ID: credit::Column = credit::Column::Id;

    fn seen_by(viewer: Viewer, select: Select<Self>) -> Select<Self> {
        viewer.credits(select)
    }
}

impl Table for interview::Entity {
    const ID: interview::Column = interview::Column::Id;

    fn seen_by(viewer: Viewer, select: Select<Self>) -> Select<Self> {
        viewer.interviews(select)
    }
}

/// The rows of `ids` that `viewer` sees (the others are left out), in one statement.
pub async fn by_ids<E: Table>(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    ids: &[i64],
) -> Result<Vec<E::Model>> {
    Ok(E::seen_by(viewer, E::find())
        .filter(E::ID.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The row `id` if `viewer` sees it.
pub async fn visible<E: Table>(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: i64,
) -> Result<Option<E::Model>> {
    Ok(E::seen_by(viewer, E::find_by_id(id)).one(db).await?)
}
