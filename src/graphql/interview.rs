//! `Interview` and its mutation.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::interview as model;

use super::guard::AdminGuard;
use super::ids::{self, Kind};
use super::installment::{self, Installment};
use super::loaders::{Loaders, ParticipantsOf};
use super::person::Person;
use super::state;
use crate::catalog;

pub struct Interview(pub model::Model);

#[Object]
impl Interview {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Interview, self.0.id)
    }

    async fn installment(&self, ctx: &Context<'_>) -> Result<Installment> {
        installment::owner(ctx, self.0.installment_id, "interview").await
    }

    async fn outlet(&self) -> &str {
        &self.0.outlet
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(ParticipantsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Person)
            .collect())
    }
}

#[derive(InputObject)]
pub struct CreateInterviewInput {
    installment_id: ID,
    outlet: String,
    title: String,
    summary: Option<String>,
    url: Option<String>,
    published_at: Option<DateTime<Utc>>,
    participant_ids: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct InterviewMutation;

#[Object]
impl InterviewMutation {
    #[graphql(guard = "AdminGuard")]
    async fn create_interview(
        &self,
        ctx: &Context<'_>,
        input: CreateInterviewInput,
    ) -> Result<Interview> {
        let installment_id = ids::decode(
            "input.installmentId",
            Kind::Installment,
            &input.installment_id,
        )?;
        let participant_ids = ids::decode_all(
            "input.participantIds",
            Kind::Person,
            &input.participant_ids.unwrap_or_default(),
        )?;
        let created = catalog::interview::create(
            state::writer(ctx),
            catalog::interview::NewInterview {
                installment_id,
                outlet: input.outlet,
                title: input.title,
                summary: input.summary,
                url: input.url,
                published_at: input.published_at,
                participant_ids,
            },
        )
        .await?;
        Ok(Interview(created))
    }
}
