use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "series")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub original_title: Option<String>,
    pub network: Option<String>,
    /// JSON array of strings.
    pub genres: String,
    pub synopsis: Option<String>,
    /// Title and original title, case-folded, for case-insensitive search.
    pub title_key: String,
    /// Network, case-folded.
    pub network_key: Option<String>,
    /// JSON array of the genres, case-folded.
    pub genres_key: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::installment::Entity")]
    Installment,
}

impl Related<super::installment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Installment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
