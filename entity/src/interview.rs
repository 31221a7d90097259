use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interview")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub installment_id: i64,
    pub outlet: String,
    pub title: String,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::installment::Entity",
        from = "Column::InstallmentId",
        to = "super::installment::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Installment,
    #[sea_orm(has_many = "super::interview_participant::Entity")]
    InterviewParticipant,
}

impl Related<super::installment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Installment.def()
    }
}

impl Related<super::interview_participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InterviewParticipant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
