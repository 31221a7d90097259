use sea_orm::entity::prelude::*;

/// What happened.
// Stored as text; a stored value that is none of these fails the read (it is never
// taken for a publication). Not a doc comment: the doc is the GraphQL description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[cfg_attr(feature = "graphql", graphql(name = "ReleaseEventKind"))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum EventKind {
    /// An installment became PUBLISHED (immediately or by its schedule).
    #[sea_orm(string_value = "INSTALLMENT_PUBLISHED")]
    InstallmentPublished,
    /// A published installment's details changed.
    #[sea_orm(string_value = "INSTALLMENT_UPDATED")]
    InstallmentUpdated,
    /// An interview about a published installment was added.
    #[sea_orm(string_value = "INTERVIEW_PUBLISHED")]
    InterviewPublished,
}

impl EventKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::InstallmentPublished => "INSTALLMENT_PUBLISHED",
            EventKind::InstallmentUpdated => "INSTALLMENT_UPDATED",
            EventKind::InterviewPublished => "INTERVIEW_PUBLISHED",
        }
    }
}

/// One entry of the release log; `id` is its position.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "release_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: EventKind,
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
