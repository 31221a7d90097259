//! Batched loading: every nested list or reference of one request level costs one
//! statement, whatever the number of parents.
//!
//! Every key of an installment, a credit or an interview, or of a list or count of
//! them, carries the [`Viewer`] asking, and keys are only batched with keys of the
//! same viewer: an admin's load and a public one never share a statement, even in the
//! schema's shared loaders, where the keys of every subscriber meet.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader, NoCache};
use entity::{credit, installment, interview, person, series};
use sea_orm::{EntityTrait, FromQueryResult};

use crate::catalog::credit::WithPerson;
use crate::catalog::embargo::{by_ids, Viewer};
use crate::catalog::paging::{Lists, Page, PageArgs};
use crate::catalog::{self, CreditRole, InstallmentStatus};
use crate::db::Db;

/// Loaders without a cache, so that they never serve stale data. Each query and
/// mutation gets its own (see `batching`); subscriptions share the schema's.
pub type Loaders = DataLoader<CatalogLoader, NoCache>;

/// The shared loaders of the schema, used by subscriptions: a batch starts `delay`
/// after its first key, and takes the keys of every subscriber asking meanwhile.
pub fn shared(db: Db, delay: Duration) -> Loaders {
    DataLoader::with_cache(CatalogLoader { db }, tokio::spawn, NoCache).delay(delay)
}

pub struct CatalogLoader {
    db: Db,
}

impl CatalogLoader {
    pub fn new(db: Db) -> Self {
        CatalogLoader { db }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

macro_rules! by_id_key {
    ($key:ident, $entity:ty, $model:ty) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for CatalogLoader {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $model> {
                let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                Ok(by_ids::<$entity>(self.db.conn(), Viewer::Public, &ids)
                    .await?
                    .into_iter()
                    .map(|m| ($key(m.id), m))
                    .collect())
            }
        }
    };
}

// Series and people are public: the viewer does not narrow them.
by_id_key!(SeriesId, series::Entity, series::Model);
by_id_key!(PersonId, person::Entity, person::Model);

/// An installment, if the viewer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstallmentId {
    pub id: i64,
    pub viewer: Viewer,
}

impl Loader<InstallmentId> for CatalogLoader {
    type Value = installment::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[InstallmentId]) -> LoadResult<InstallmentId, installment::Model> {
        let mut out = HashMap::new();
        for (viewer, ids) in groups(keys, |k| (k.viewer, k.id)) {
            let found = by_ids::<installment::Entity>(self.db.conn(), viewer, &ids).await?;
            out.extend(
                found
                    .into_iter()
                    .map(|m| (InstallmentId { id: m.id, viewer }, m)),
            );
        }
        Ok(out)
    }
}

/// Groups keys that share everything but the parent, so that each group is one statement.
fn groups<K, G: Hash + Eq + Copy>(
    keys: &[K],
    group: impl Fn(&K) -> (G, i64),
) -> HashMap<G, Vec<i64>> {
    let mut out: HashMap<G, Vec<i64>> = HashMap::new();
    for key in keys {
        let (g, parent) = group(key);
        out.entry(g).or_default().push(parent);
    }
    out
}

/// A nested list: whose, and narrowed how. Its pages and counts are batched over
/// parents: keys that differ only by their parent are one statement.
pub trait List: Copy + Hash + Eq + Send + Sync + 'static {
    type Entity: EntityTrait<Model: Sync>;
    /// What a page holds: the entity's model, or the model with what its page joins.
    type Row: FromQueryResult + Clone + Send + Sync + 'static;

    /// The lists of this kind (of any parent) as `viewer` sees them.
    fn lists(self, viewer: Viewer) -> Lists<Self::Entity, Self::Row>;
    /// This list as `totalCount` names it.
    fn counted(self) -> CountOf;
}

/// The installments of a series, of a status when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesInstallments(pub Option<InstallmentStatus>);

/// The credits of an installment or a person, of a role when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Credits(pub Parent, pub Option<CreditRole>);

/// The interviews of an installment or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interviews(pub Parent);

/// Whose credits or interviews: an installment's or a person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parent {
    Installment,
    Person,
}

impl List for SeriesInstallments {
    type Entity = installment::Entity;
    type Row = installment::Model;

    fn lists(self, viewer: Viewer) -> Lists<installment::Entity> {
        catalog::installment::of_series(viewer, self.0)
    }

    fn counted(self) -> CountOf {
        CountOf::SeriesInstallments(self)
    }
}

impl List for Credits {
    type Entity = credit::Entity;
    type Row = WithPerson;

    fn lists(self, viewer: Viewer) -> Lists<credit::Entity, WithPerson> {
        let column = match self.0 {
            Parent::Installment => catalog::credit::INSTALLMENT,
            Parent::Person => catalog::credit::PERSON,
        };
        catalog::credit::of_parents(viewer, column, self.1)
    }

    fn counted(self) -> CountOf {
        CountOf::Credits(self)
    }
}

impl List for Interviews {
    type Entity = interview::Entity;
    type Row = interview::Model;

    fn lists(self, viewer: Viewer) -> Lists<interview::Entity> {
        let column = match self.0 {
            Parent::Installment => catalog::interview::INSTALLMENT,
            Parent::Person => catalog::interview::PARTICIPANT,
        };
        catalog::interview::of_parents(viewer, column)
    }

    fn counted(self) -> CountOf {
        CountOf::Interviews(self)
    }
}

/// One parent's page of a nested list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageOf<L> {
    pub list: L,
    pub parent: i64,
    pub args: PageArgs,
    pub viewer: Viewer,
}

impl<L: List> PageOf<L> {
    /// The key of the list's `totalCount`.
    pub fn count(&self) -> CountKey {
        CountKey {
            of: self.list.counted(),
            parent: self.parent,
            viewer: self.viewer,
        }
    }
}

impl<L: List> Loader<PageOf<L>> for CatalogLoader {
    type Value = Page<L::Row>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PageOf<L>]) -> LoadResult<PageOf<L>, Self::Value> {
        let mut out = HashMap::new();
        for ((list, args, viewer), parents) in
            groups(keys, |k| ((k.list, k.args, k.viewer), k.parent))
        {
            let pages = list
                .lists(viewer)
                .pages(self.db.conn(), &parents, &args)
                .await?;
            out.extend(pages.into_iter().map(|(parent, page)| {
                let key = PageOf {
                    list,
                    parent,
                    args,
                    viewer,
                };
                (key, page)
            }));
        }
        Ok(out)
    }
}

/// The published installment with the highest number of a series. Released, so the
/// same for every viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestOf(pub i64);

impl Loader<LatestOf> for CatalogLoader {
    type Value = installment::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[LatestOf]) -> LoadResult<LatestOf, Self::Value> {
        let parents: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let args = PageArgs {
            last: Some(1),
            ..PageArgs::default()
        };
        let pages =
            catalog::installment::of_series(Viewer::Public, Some(InstallmentStatus::Published))
                .pages(self.db.conn(), &parents, &args)
                .await?;
        Ok(pages
            .into_iter()
            .filter_map(|(series, page)| {
                page.items
                    .into_iter()
                    .next()
                    .map(|(_, m)| (LatestOf(series), m))
            })
            .collect())
    }
}

/// The people who took part in an interview (people are public, and only a visible
/// interview is ever asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParticipantsOf(pub i64);

impl Loader<ParticipantsOf> for CatalogLoader {
    type Value = Vec<person::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ParticipantsOf]) -> LoadResult<ParticipantsOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(catalog::interview::participants(self.db.conn(), &ids)
            .await?
            .into_iter()
            .map(|(id, people)| (ParticipantsOf(id), people))
            .collect())
    }
}

/// Which nested list `totalCount` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountOf {
    SeriesInstallments(SeriesInstallments),
    Credits(Credits),
    Interviews(Interviews),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountKey {
    pub of: CountOf,
    pub parent: i64,
    pub viewer: Viewer,
}

impl Loader<CountKey> for CatalogLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CountKey]) -> LoadResult<CountKey, u64> {
        let mut out = HashMap::new();
        let db = self.db.conn();
        for ((of, viewer), parents) in groups(keys, |k| ((k.of, k.viewer), k.parent)) {
            let unique: Vec<i64> = parents
                .into_iter()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let counts = match of {
                CountOf::SeriesInstallments(list) => list.lists(viewer).counts(db, &unique).await?,
                CountOf::Credits(list) => list.lists(viewer).counts(db, &unique).await?,
                CountOf::Interviews(list) => list.lists(viewer).counts(db, &unique).await?,
            };
            out.extend(
                counts
                    .into_iter()
                    .map(|(parent, n)| (CountKey { of, parent, viewer }, n)),
            );
        }
        Ok(out)
    }
}
