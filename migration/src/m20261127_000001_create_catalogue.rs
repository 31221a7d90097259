use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Series {
    Table,
    Id,
    Slug,
    Title,
    OriginalTitle,
    Network,
    Genres,
    Synopsis,
    TitleKey,
    NetworkKey,
    GenresKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Installment {
    Table,
    Id,
    SeriesId,
    Number,
    Title,
    Synopsis,
    EpisodeCount,
    Status,
    ReleaseAt,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    Name,
    KnownFor,
    Bio,
    NameKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Credit {
    Table,
    Id,
    InstallmentId,
    PersonId,
    Role,
    Character,
    CharacterDescription,
    Billing,
    Debut,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Interview {
    Table,
    Id,
    InstallmentId,
    Outlet,
    Title,
    Summary,
    Url,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InterviewParticipant {
    Table,
    InterviewId,
    PersonId,
}

#[derive(DeriveIden)]
enum ReleaseEvent {
    Table,
    Id,
    Kind,
    SeriesId,
    InstallmentId,
    InterviewId,
    OccurredAt,
}

fn id_column<T: IntoIden>(name: T) -> ColumnDef {
    big_integer(name).auto_increment().primary_key().take()
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Series::Table)
                    .col(id_column(Series::Id))
                    .col(string(Series::Slug).unique_key())
                    .col(string(Series::Title))
                    .col(string_null(Series::OriginalTitle))
                    .col(string_null(Series::Network))
                    .col(text(Series::Genres))
                    .col(text_null(Series::Synopsis))
                    .col(text(Series::TitleKey))
                    .col(string_null(Series::NetworkKey))
                    .col(text(Series::GenresKey))
                    .col(timestamp_with_time_zone(Series::CreatedAt))
                    .col(timestamp_with_time_zone(Series::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Installment::Table)
                    .col(id_column(Installment::Id))
                    .col(big_integer(Installment::SeriesId))
                    .col(integer(Installment::Number))
                    .col(string(Installment::Title))
                    .col(text_null(Installment::Synopsis))
                    .col(integer_null(Installment::EpisodeCount))
                    .col(string_len(Installment::Status, 16))
                    .col(timestamp_with_time_zone_null(Installment::ReleaseAt))
                    .col(timestamp_with_time_zone_null(Installment::PublishedAt))
                    .col(timestamp_with_time_zone(Installment::CreatedAt))
                    .col(timestamp_with_time_zone(Installment::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_installment_series",
                        (Installment::Table, Installment::SeriesId),
                        (Series::Table, Series::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_installment_series_number")
                    .table(Installment::Table)
                    .col(Installment::SeriesId)
                    .col(Installment::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_installment_status_release_at")
                    .table(Installment::Table)
                    .col(Installment::Status)
                    .col(Installment::ReleaseAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(id_column(Person::Id))
                    .col(string(Person::Name))
                    .col(text(Person::KnownFor))
                    .col(text_null(Person::Bio))
                    .col(string(Person::NameKey))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_person_name_key")
                    .table(Person::Table)
                    .col(Person::NameKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Credit::Table)
                    .col(id_column(Credit::Id))
                    .col(big_integer(Credit::InstallmentId))
                    .col(big_integer(Credit::PersonId))
                    .col(string_len(Credit::Role, 16))
                    .col(string_null(Credit::Character))
                    .col(text_null(Credit::CharacterDescription))
                    .col(integer_null(Credit::Billing))
                    .col(boolean(Credit::Debut).default(false))
                    .col(timestamp_with_time_zone(Credit::CreatedAt))
                    .col(timestamp_with_time_zone(Credit::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_credit_installment",
                        (Credit::Table, Credit::InstallmentId),
                        (Installment::Table, Installment::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_credit_person",
                        (Credit::Table, Credit::PersonId),
                        (Person::Table, Person::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_credit_installment")
                    .table(Credit::Table)
                    .col(Credit::InstallmentId)
                    .col(Credit::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_credit_person")
                    .table(Credit::Table)
                    .col(Credit::PersonId)
                    .col(Credit::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Interview::Table)
                    .col(id_column(Interview::Id))
                    .col(big_integer(Interview::InstallmentId))
                    .col(string(Interview::Outlet))
                    .col(string(Interview::Title))
                    .col(text_null(Interview::Summary))
                    .col(text_null(Interview::Url))
                    .col(timestamp_with_time_zone_null(Interview::PublishedAt))
                    .col(timestamp_with_time_zone(Interview::CreatedAt))
                    .col(timestamp_with_time_zone(Interview::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_interview_installment",
                        (Interview::Table, Interview::InstallmentId),
                        (Installment::Table, Installment::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_interview_installment")
                    .table(Interview::Table)
                    .col(Interview::InstallmentId)
                    .col(Interview::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InterviewParticipant::Table)
                    .col(big_integer(InterviewParticipant::InterviewId))
                    .col(big_integer(InterviewParticipant::PersonId))
                    .primary_key(
                        Index::create()
                            .col(InterviewParticipant::InterviewId)
                            .col(InterviewParticipant::PersonId),
                    )
                    .foreign_key(&mut fk(
                        "fk_participant_interview",
                        (
                            InterviewParticipant::Table,
                            InterviewParticipant::InterviewId,
                        ),
                        (Interview::Table, Interview::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_participant_person",
                        (InterviewParticipant::Table, InterviewParticipant::PersonId),
                        (Person::Table, Person::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_participant_person")
                    .table(InterviewParticipant::Table)
                    .col(InterviewParticipant::PersonId)
                    .col(InterviewParticipant::InterviewId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReleaseEvent::Table)
                    .col(id_column(ReleaseEvent::Id))
                    .col(string_len(ReleaseEvent::Kind, 32))
                    .col(big_integer(ReleaseEvent::SeriesId))
                    .col(big_integer(ReleaseEvent::InstallmentId))
                    .col(big_integer_null(ReleaseEvent::InterviewId))
                    .col(timestamp_with_time_zone(ReleaseEvent::OccurredAt))
                    .foreign_key(&mut fk(
                        "fk_release_event_series",
                        (ReleaseEvent::Table, ReleaseEvent::SeriesId),
                        (Series::Table, Series::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        "fk_release_event_installment",
                        (ReleaseEvent::Table, ReleaseEvent::InstallmentId),
                        (Installment::Table, Installment::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReleaseEvent::Table.into_iden(),
            InterviewParticipant::Table.into_iden(),
            Interview::Table.into_iden(),
            Credit::Table.into_iden(),
            Person::Table.into_iden(),
            Installment::Table.into_iden(),
            Series::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
