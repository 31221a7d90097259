//! `Credit` and its mutations.

use async_graphql::{Context, InputObject, Object, Result, ID};
use entity::credit as model;

use super::guard::AdminGuard;
use super::ids::{self, Kind};
use super::installment::{self, Installment};
use super::loaders::{Loaders, PersonId};
use super::person::Person;
use super::state;
use crate::catalog::credit::WithPerson;
use crate::catalog::{self, CreditRole};
use crate::error::Error;

/// A person's part in one installment: cast (ACTOR) or crew.
pub struct Credit {
    row: model::Model,
    /// The person, when the credit was read with it (from a page of credits).
    person: Option<entity::person::Model>,
}

impl Credit {
    /// A credit alone: `person` loads its person.
    pub fn new(row: model::Model) -> Self {
        Credit { row, person: None }
    }

    /// A credit read with its person, as pages of credits are.
    pub fn with_person(read: WithPerson) -> Self {
        Credit {
            row: read.credit,
            person: Some(read.person),
        }
    }
}

#[Object]
impl Credit {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Credit, self.row.id)
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        if let Some(person) = &self.person {
            return Ok(Person(person.clone()));
        }
        ctx.data_unchecked::<Loaders>()
            .load_one(PersonId(self.row.person_id))
            .await?
            .map(Person)
            .ok_or_else(|| Error::internal("credit without its person").into())
    }

    async fn installment(&self, ctx: &Context<'_>) -> Result<Installment> {
        installment::owner(ctx, self.row.installment_id, "credit").await
    }

    async fn role(&self) -> CreditRole {
        self.row.role
    }

    /// The character an ACTOR plays, e.g. `Do Hyeonseo`.
    async fn character(&self) -> Option<&str> {
        self.row.character.as_deref()
    }

    async fn character_description(&self) -> Option<&str> {
        self.row.character_description.as_deref()
    }

    /// Billing order, 1 first.
    async fn billing(&self) -> Option<i32> {
        self.row.billing
    }

    /// True when this is the person's first role of its kind.
    async fn debut(&self) -> bool {
        self.row.debut
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
        Ok(Credit::new(added))
    }

    #[graphql(guard = "AdminGuard")]
    async fn remove_credit(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = ids::decode("id", Kind::Credit, &id)?;
        catalog::credit::remove(state::writer(ctx), row).await?;
        Ok(id)
    }
}
