use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// JSON array of strings.
    pub known_for: String,
    pub bio: Option<String>,
    /// Name, case-folded, for case-insensitive search.
    pub name_key: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::credit::Entity")]
    Credit,
    #[sea_orm(has_many = "super::interview_participant::Entity")]
    InterviewParticipant,
}

impl Related<super::credit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Credit.def()
    }
}

impl Related<super::interview_participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InterviewParticipant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
