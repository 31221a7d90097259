use sea_orm::entity::prelude::*;

/// What a person did on an installment.
// Stored as text; a stored value that is none of these fails the read (it is never
// taken for OTHER). Not a doc comment: the doc is the GraphQL description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CreditRole {
    #[sea_orm(string_value = "ACTOR")]
    Actor,
    #[sea_orm(string_value = "DIRECTOR")]
    Director,
    #[sea_orm(string_value = "WRITER")]
    Writer,
    #[sea_orm(string_value = "COMPOSER")]
    Composer,
    #[sea_orm(string_value = "PRODUCER")]
    Producer,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub installment_id: i64,
    pub person_id: i64,
    pub role: CreditRole,
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
