//! Series: lookups, listing with filters, create, update, delete.

use entity::{installment, series};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::paging::{self, Key, Page, PageArgs};
use super::write::Writer;
use super::{contains_folded, decode_list, encode_list, fold, validate, InstallmentStatus};
use crate::error::{Error, Result};

pub const KEY: Key = Key {
    table: "series",
    column: "id",
};

/// Narrows `allSeries`; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub search: Option<String>,
    pub network: Option<String>,
    pub genre: Option<String>,
}

pub struct NewSeries {
    pub slug: String,
    pub title: String,
    pub original_title: Option<String>,
    pub network: Option<String>,
    pub genres: Option<Vec<String>>,
    pub synopsis: Option<String>,
}

/// Fields to change; `None` leaves a field as it is.
pub struct SeriesChanges {
    pub title: Option<String>,
    pub original_title: Option<String>,
    pub network: Option<String>,
    pub genres: Option<Vec<String>>,
    pub synopsis: Option<String>,
}

fn filtered(filter: &Filter) -> sea_orm::Select<series::Entity> {
    let mut select = series::Entity::find();
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(contains_folded(
            Expr::col((series::Entity, series::Column::TitleKey)).into(),
            search,
        ));
    }
    if let Some(network) = &filter.network {
        select = select.filter(series::Column::NetworkKey.eq(fold(network)));
    }
    if let Some(genre) = &filter.genre {
        let quoted = serde_json::to_string(&fold(genre)).unwrap_or_default();
        select = select.filter(contains_folded(
            Expr::col((series::Entity, series::Column::GenresKey)).into(),
            &quoted,
        ));
    }
    select
}

/// Sets the folded search columns from the values the row will have.
fn set_keys(active: &mut series::ActiveModel) {
    let title = active.title.as_ref().clone();
    let original = active.original_title.as_ref().clone().unwrap_or_default();
    active.title_key = Set(format!("{}\n{}", fold(&title), fold(&original)));
    active.network_key = Set(active.network.as_ref().as_deref().map(fold));
    let genres: Vec<String> = decode_list(active.genres.as_ref())
        .iter()
        .map(|g| fold(g))
        .collect();
    active.genres_key = Set(encode_list(&genres));
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    args: &PageArgs,
) -> Result<Page<series::Model>> {
    paging::page(db, filtered(filter), KEY, |m| m.id, args).await
}

pub async fn count(db: &impl ConnectionTrait, filter: &Filter) -> Result<u64> {
    Ok(filtered(filter).count(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<series::Model>> {
    Ok(series::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<series::Model>> {
    Ok(series::Entity::find()
        .filter(series::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn create(writer: &Writer, input: NewSeries) -> Result<series::Model> {
    let slug = validate::slug("input.slug", &input.slug)?;
    let title = validate::name("input.title", &input.title)?;
    let original_title = validate::optional_text(
        "input.originalTitle",
        input.original_title,
        validate::MAX_NAME,
    )?;
    let network = validate::optional_text("input.network", input.network, validate::MAX_NAME)?;
    let genres = validate::list("input.genres", input.genres.unwrap_or_default())?;
    let synopsis = validate::optional_text("input.synopsis", input.synopsis, validate::MAX_TEXT)?;
    let txn = writer.begin().await?;
    if by_slug(&*txn, &slug).await?.is_some() {
        return Err(Error::Conflict(format!(
            "a series with slug `{slug}` already exists"
        )));
    }
    let at = txn.now();
    let mut active = series::ActiveModel {
        slug: Set(slug.clone()),
        title: Set(title),
        original_title: Set(original_title),
        network: Set(network),
        genres: Set(encode_list(&genres)),
        synopsis: Set(synopsis),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    set_keys(&mut active);
    let model = active
        .insert(&*txn)
        .await
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => {
                Error::Conflict(format!("a series with slug `{slug}` already exists"))
            }
            other => other,
        })?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update(writer: &Writer, id: i64, changes: SeriesChanges) -> Result<series::Model> {
    let title = changes
        .title
        .map(|t| validate::name("input.title", &t))
        .transpose()?;
    let original_title = changes
        .original_title
        .map(|t| validate::optional_text("input.originalTitle", Some(t), validate::MAX_NAME))
        .transpose()?;
    let network = changes
        .network
        .map(|t| validate::optional_text("input.network", Some(t), validate::MAX_NAME))
        .transpose()?;
    let genres = changes
        .genres
        .map(|g| validate::list("input.genres", g))
        .transpose()?;
    let synopsis = changes
        .synopsis
        .map(|t| validate::optional_text("input.synopsis", Some(t), validate::MAX_TEXT))
        .transpose()?;
    let txn = writer.begin().await?;
    let current = get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("series", "id"))?;
    let mut active: series::ActiveModel = current.into();
    if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(original_title) = original_title {
        active.original_title = Set(original_title);
    }
    if let Some(network) = network {
        active.network = Set(network);
    }
    if let Some(genres) = genres {
        active.genres = Set(encode_list(&genres));
    }
    if let Some(synopsis) = synopsis {
        active.synopsis = Set(synopsis);
    }
    set_keys(&mut active);
    active.updated_at = Set(txn.now());
    let model = active.update(&*txn).await?;
    txn.commit().await?;
    Ok(model)
}

/// Deletes a series and its unpublished installments; refused while any is published.
pub async fn delete(writer: &Writer, id: i64) -> Result<()> {
    let txn = writer.begin().await?;
    get(&*txn, id)
        .await?
        .ok_or_else(|| Error::not_found("series", "id"))?;
    let published = installment::Entity::find()
        .filter(installment::Column::SeriesId.eq(id))
        .filter(installment::Column::Status.eq(InstallmentStatus::Published))
        .count(&*txn)
        .await?;
    if published > 0 {
        return Err(Error::Conflict(
            "the series has published installments and cannot be deleted".into(),
        ));
    }
    series::Entity::delete_by_id(id).exec(&*txn).await?;
    txn.commit().await?;
    Ok(())
}
