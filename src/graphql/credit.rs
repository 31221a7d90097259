//! `Credit` and its mutations.

use async_graphql::{Context, InputObject, Object, Result, ID};
use entity::credit as model;

use super::guard::AdminGuard;
use super::ids::{self, Kind};
use super::installment::{self, Installment};
use super::loaders::{Loaders, PersonId};
use super::person::Person;
use super::state;
use crate::catalog::{self, CreditRole};
use crate::error::Error;

/// A person's part in one installment: cast (ACTOR) or crew.
pub struct Credit(pub model::Model);

#[Object]
impl Credit {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Credit, self.0.id)
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        ctx.data_unchecked::<Loaders>()
            .load_one(PersonId(self.0.person_id))
            .await?
            .map(Person)
            .ok_or_else(|| Error::internal("credit without its person").into())
    }

    async fn installment(&self, ctx: &Context<'_>) -> Result<Installment> {
        installment::owner(ctx, self.0.installment_id, "credit").await
    }

    async fn role(&self) -> CreditRole {
        self.0.role
    }

    /// The character an ACTOR plays, e.g. `Do Hyeonseo`.
    async fn character(&self) -> Option<&str> {
        self.0.character.as_deref()
    }

    async fn character_description(&self) -> Option<&str> {
        self.0.character_description.as_deref()
    }

    /// Billing order, 1 first.
    async fn billing(&self) -> Option<i32> {
        self.0.billing
    }

    /// True when this is the person's first role of its kind.
    async fn debut(&self) -> bool {
        self.0.debut
    }
}

#[derive(InputObject)]
pub struct AddCreditInput {
    installment_id: ID,
    person_id: ID,
    role: CreditRole,
    character: Option<String>,
    character_description: Option<String>,
    billing: Option<i32>,
    #[graphql(default_with = "Some(false)")]
    debut: Option<bool>,
}

#[derive(Default)]
pub struct CreditMutation;

#[Object]
impl CreditMutation {
    #[graphql(guard = "AdminGuard")]
    async fn add_credit(&self, ctx: &Context<'_>, input: AddCreditInput) -> Result<Credit> {
        let installment_id = ids::decode(
            "input.installmentId",
            Kind::Installment,
            &input.installment_id,
        )?;
        let person_id = ids::decode("input.personId", Kind::Person, &input.person_id)?;
        let added = catalog::credit::add(
            state::writer(ctx),
            catalog::credit::NewCredit {
                installment_id,
                person_id,
                role: input.role,
                character: input.character,
                character_description: input.character_description,
                billing: input.billing,
                debut: input.debut.unwrap_or(false),
            },
        )
        .await?;
        Ok(Credit(added))
    }

    #[graphql(guard = "AdminGuard")]
    async fn remove_credit(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = ids::decode("id", Kind::Credit, &id)?;
        catalog::credit::remove(state::writer(ctx), row).await?;
        Ok(id)
    }
}
