use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub installment_id: i64,
    pub person_id: i64,
    /// ACTOR, DIRECTOR, WRITER, COMPOSER, PRODUCER or OTHER.
    pub role: String,
    pub character: Option<String>,
    pub character_description: Option<String>,
    pub billing: Option<i32>,
    pub debut: bool,
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
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Person,
}

impl Related<super::installment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Installment.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
