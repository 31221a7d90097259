//! `Person`, its queries and mutations.

use async_graphql::{Context, InputObject, Object, Result, ID};
use entity::person as model;

use super::credit::Credit;
use super::guard::AdminGuard;
use super::ids::{self, Kind};
use super::interview::Interview;
use super::loaders::{Credits, Interviews, Parent};
use super::paging::{self, CountedConnection, TotalCount};
use super::state;
use crate::catalog::{self, decode_list};

pub struct Person(pub model::Model);

#[Object]
impl Person {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Person, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Earlier works the person is known for.
    async fn known_for(&self) -> Vec<String> {
        decode_list(&self.0.known_for)
    }

    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// The person's credits. Without an admin credential, only those on PUBLISHED
    /// installments.
    async fn credits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<Credit>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let list = Credits(Parent::Person, None);
        paging::nested(ctx, list, self.0.id, args, Credit::with_person).await
    }

    /// The interviews the person took part in. Without an admin credential, only those
    /// about PUBLISHED installments.
    async fn interviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<Interview>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let list = Interviews(Parent::Person);
        paging::nested(ctx, list, self.0.id, args, Interview).await
    }
}

#[derive(InputObject)]
pub struct PersonFilter {
    /// Case-insensitive substring of the name.
    search: Option<String>,
}

#[derive(InputObject)]
pub struct CreatePersonInput {
    name: String,
    known_for: Option<Vec<String>>,
    bio: Option<String>,
}

#[derive(InputObject)]
pub struct UpdatePersonInput {
    name: Option<String>,
    known_for: Option<Vec<String>>,
    bio: Option<String>,
}

move_fields!(CreatePersonInput => catalog::person::NewPerson { name, known_for, bio });

move_fields!(UpdatePersonInput => catalog::person::PersonChanges { name, known_for, bio });

#[derive(Default)]
pub struct PersonQuery;

#[Object]
impl PersonQuery {
    async fn all_people(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PersonFilter>,
    ) -> Result<CountedConnection<Person>> {
        let args = paging::args(ctx, first, after, last, before)?;
        let filter = catalog::person::Filter {
            search: filter.and_then(|f| f.search),
        };
        let db = state::db(ctx).conn();
        let page = catalog::person::list(db, &filter, &args).await?;
        Ok(paging::connection(page, TotalCount::People(filter), Person))
    }
}

#[derive(Default)]
pub struct PersonMutation;

#[Object]
impl PersonMutation {
    #[graphql(guard = "AdminGuard")]
    async fn create_person(&self, ctx: &Context<'_>, input: CreatePersonInput) -> Result<Person> {
        let created = catalog::person::create(state::writer(ctx), input.into()).await?;
        Ok(Person(created))
    }

    #[graphql(guard = "AdminGuard")]
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePersonInput,
    ) -> Result<Person> {
        let id = ids::decode("id", Kind::Person, &id)?;
        let updated = catalog::person::update(state::writer(ctx), id, input.into()).await?;
        Ok(Person(updated))
    }
}
