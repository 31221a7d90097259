use sea_orm::entity::prelude::*;

/// One entry of the release log; `id` is its position.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "release_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// INSTALLMENT_PUBLISHED, INSTALLMENT_UPDATED or INTERVIEW_PUBLISHED.
    pub kind: String,
    pub series_id: i64,
    pub installment_id: i64,
    pub interview_id: Option<i64>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::series::Entity",
        from = "Column::SeriesId",
        to = "super::series::Column::Id",
        on_update = "NoAction",
        on_delete = "NoAction"
    )]
    Series,
    #[sea_orm(
        belongs_to = "super::installment::Entity",
        from = "Column::InstallmentId",
        to = "super::installment::Column::Id",
        on_update = "NoAction",
        on_delete = "NoAction"
    )]
    Installment,
}

impl Related<super::series::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Series.def()
    }
}

impl Related<super::installment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Installment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
