//! Credits: a person's part in an installment.

use entity::{credit, person as person_row};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    JoinType, QueryFilter, QueryResult, QuerySelect, RelationTrait, Select, Set,
};

use super::embargo::Viewer;
use super::paging::{Key, Lists};
use super::write::Writer;
use super::{installment, person, validate, CreditRole};
use crate::error::{Error, Result};

pub const KEY: Key = Key {
    table: "credit",
    column: "id",
};
pub const INSTALLMENT: Key = Key {
    table: "credit",
    column: "installment_id",
};
pub const PERSON: Key = Key {
    table: "credit",
    column: "person_id",
};

pub struct NewCredit {
    pub installment_id: i64,
    pub person_id: i64,
    pub role: CreditRole,
    pub character: Option<String>,
    pub character_description: Option<String>,
    pub billing: Option<i32>,
    pub debut: bool,
}

/// The credits `viewer` sees, of `role` when given.
fn of_role(viewer: Viewer, role: Option<CreditRole>) -> sea_orm::Select<credit::Entity> {
    let select = viewer.credits(credit::Entity::find());
    match role {
        Some(role) => select.filter(credit::Column::Role.eq(role)),
        None => select,
    }
}

/// A credit as a page reads it: with its person, from the same statement.
#[derive(Debug, Clone)]
pub struct WithPerson {
    pub credit: credit::Model,
    pub person: person_row::Model,
}

/// The prefix of the person's columns in a page's statement.
const PERSON_COLUMNS: &str = "premiere_person_";

impl FromQueryResult for WithPerson {
    fn from_query_result(res: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(WithPerson {
            credit: credit::Model::from_query_result(res, pre)?,
            person: person_row::Model::from_query_result(res, PERSON_COLUMNS)?,
        })
    }
}

/// Joins each credit's person (people are public: no embargo applies to them).
fn with_person(select: Select<credit::Entity>) -> Select<credit::Entity> {
    person_row::Column::iter().fold(
        select.join(JoinType::InnerJoin, credit::Relation::Person.def()),
        |select, column| {
            select.column_as(
                Expr::col((person_row::Entity, column)),
                format!("{PERSON_COLUMNS}{}", column.as_str()),
            )
        },
    )
}

/// The lists of the credits `viewer` sees of each installment (or, with `PERSON`, of
/// each person), of `role` when given, each credit read with its person: a page of
/// credits and everything `Credit.person` asks is one statement.
pub fn of_parents(
    viewer: Viewer,
    parent: Key,
    role: Option<CreditRole>,
) -> Lists<credit::Entity, WithPerson> {
    let lists = Lists::new(of_role(viewer, role), parent, KEY, |m| m.id)
        .rows(with_person, |r: &WithPerson| r.credit.id);
    viewer.installment_parents(lists, parent, INSTALLMENT)
}

/// Any credit: for the operations that change it.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<credit::Model>> {
    Ok(credit::Entity::find_by_id(id).one(db).await?)
}

/// Person ids credited on each of the installments.
pub async fn people_of_installments(
    db: &impl ConnectionTrait,
    installment_ids: &[i64],
) -> Result<Vec<(i64, i64)>> {
    Ok(credit::Entity::find()
        .filter(credit::Column::InstallmentId.is_in(installment_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.installment_id, c.person_id))
        .collect())
}

pub async fn add(writer: &Writer, input: NewCredit) -> Result<credit::Model> {
    let character =
        validate::optional_text("input.character", input.character, validate::MAX_NAME)?;
    let character_description = validate::optional_text(
        "input.characterDescription",
        input.character_description,
        validate::MAX_TEXT,
    )?;
    let billing = input
        .billing
        .map(|b| validate::positive("input.billing", b))
        .transpose()?;
    let txn = writer.begin().await?;
    installment::get(&*txn, input.installment_id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "input.installmentId"))?;
    person::get(&*txn, input.person_id)
        .await?
        .ok_or_else(|| Error::not_found("person", "input.personId"))?;
    let exists = credit::Entity::find()
        .filter(credit::Column::InstallmentId.eq(input.installment_id))
        .filter(credit::Column::PersonId.eq(input.person_id))
        .filter(credit::Column::Role.eq(input.role))
        .filter(match &character {
            Some(c) => credit::Column::Character.eq(c.as_str()),
            None => credit::Column::Character.is_null(),
        })
        .one(&*txn)
        .await?;
    if exists.is_some() {
        return Err(Error::Conflict(
            "this person already has that credit on the installment".into(),
        ));
    }
    let at = txn.now();
    let row = credit::ActiveModel {
        installment_id: Set(input.installment_id),
        person_id: Set(input.person_id),
        role: Set(input.role),
        character: Set(character),
        character_description: Set(character_description),
        billing: Set(billing),
        debut: Set(input.debut),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    txn.insert_and_commit(row).await
}

pub async fn remove(writer: &Writer, id: i64) -> Result<()> {
    let txn = writer.begin().await?;
    get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("credit", "id"))?;
    credit::Entity::delete_by_id(id).exec(&*txn).await?;
    txn.commit().await?;
    Ok(())
}
