//! People: lookups, listing, create, update.

use entity::person;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::paging::{self, Key, Page, PageArgs};
use super::write::Writer;
use super::{contains_folded, encode_list, fold, validate};
use crate::error::{Error, Result};

pub const KEY: Key = Key {
    table: "person",
    column: "id",
};

/// Narrows `allPeople`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub search: Option<String>,
}

pub struct NewPerson {
    pub name: String,
    pub known_for: Option<Vec<String>>,
    pub bio: Option<String>,
}

/// Fields to change; `None` leaves a field as it is.
pub struct PersonChanges {
    pub name: Option<String>,
    pub known_for: Option<Vec<String>>,
    pub bio: Option<String>,
}

fn filtered(filter: &Filter) -> sea_orm::Select<person::Entity> {
    let mut select = person::Entity::find();
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(contains_folded(
            Expr::col((person::Entity, person::Column::NameKey)).into(),
            search,
        ));
    }
    select
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    args: &PageArgs,
) -> Result<Page<person::Model>> {
    paging::page(db, filtered(filter), KEY, |m| m.id, args).await
}

pub async fn count(db: &impl ConnectionTrait, filter: &Filter) -> Result<u64> {
    Ok(filtered(filter).count(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<person::Model>> {
    Ok(person::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::Name.eq(name))
        .one(db)
        .await?)
}

pub async fn create(writer: &Writer, input: NewPerson) -> Result<person::Model> {
    let name = validate::name("input.name", &input.name)?;
    let known_for = validate::list("input.knownFor", input.known_for.unwrap_or_default())?;
    let bio = validate::optional_text("input.bio", input.bio, validate::MAX_TEXT)?;
    let txn = writer.begin().await?;
    let at = txn.now();
    let row = person::ActiveModel {
        name_key: Set(fold(&name)),
        name: Set(name),
        known_for: Set(encode_list(&known_for)),
        bio: Set(bio),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    txn.insert_and_commit(row).await
}

pub async fn update(writer: &Writer, id: i64, changes: PersonChanges) -> Result<person::Model> {
    let name = changes
        .name
        .map(|n| validate::name("input.name", &n))
        .transpose()?;
    let known_for = changes
        .known_for
        .map(|k| validate::list("input.knownFor", k))
        .transpose()?;
    let bio = changes
        .bio
        .map(|b| validate::optional_text("input.bio", Some(b), validate::MAX_TEXT))
        .transpose()?;
    let txn = writer.begin().await?;
    let current = get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("person", "id"))?;
    let mut active: person::ActiveModel = current.into();
    if let Some(name) = name {
        active.name_key = Set(fold(&name));
        active.name = Set(name);
    }
    if let Some(known_for) = known_for {
        active.known_for = Set(encode_list(&known_for));
    }
    if let Some(bio) = bio {
        active.bio = Set(bio);
    }
    active.updated_at = Set(txn.now());
    let model = active.update(&*txn).await?;
    txn.commit().await?;
    Ok(model)
}
