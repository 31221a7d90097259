use sea_orm::entity::prelude::*;

/// Publication state of an installment. DRAFT and SCHEDULED ones are under embargo:
/// only visible with an admin credential.
// Stored as text; a stored value that is none of these fails the read (it is never
// taken for DRAFT). Not a doc comment: the doc is the GraphQL description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InstallmentStatus {
    /// Being prepared; invisible to release alerts.
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    /// Will be published automatically at `releaseAt`.
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    /// Released; a release alert was emitted exactly once.
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
}

impl InstallmentStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InstallmentStatus::Draft => "DRAFT",
            InstallmentStatus::Scheduled => "SCHEDULED",
            InstallmentStatus::Published => "PUBLISHED",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "installment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub series_id: i64,
    pub number: i32,
    pub title: String,
    pub synopsis: Option<String>,
    pub episode_count: Option<i32>,
    pub status: InstallmentStatus,
    pub release_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::series::Entity",
        from = "Column::SeriesId",
        to = "super::series::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Series,
    #[sea_orm(has_many = "super::credit::Entity")]
    Credit,
    #[sea_orm(has_many = "super::interview::Entity")]
    Interview,
}

impl Related<super::series::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Series.def()
    }
}

impl Related<super::credit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Credit.def()
    }
}

impl Related<super::interview::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Interview.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
