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

use crate::catalog::embargo::Viewer;
use crate::catalog::paging::{Page, PageArgs};
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
    ($key:ident, $model:ty, $by_ids:path) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for CatalogLoader {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $model> {
                let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                Ok($by_ids(self.db.conn(), &ids)
                    .await?
                    .into_iter()
                    .map(|m| ($key(m.id), m))
                    .collect())
            }
        }
    };
}

by_id_key!(SeriesId, series::Model, catalog::series::by_ids);
by_id_key!(PersonId, person::Model, catalog::person::by_ids);

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
            let found = catalog::installment::by_ids(self.db.conn(), viewer, &ids).await?;
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

/// A page of the installments of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstallmentsOf {
    pub series: i64,
    pub status: Option<InstallmentStatus>,
    pub args: PageArgs,
    pub viewer: Viewer,
}

impl Loader<InstallmentsOf> for CatalogLoader {
    type Value = Page<installment::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[InstallmentsOf]) -> LoadResult<InstallmentsOf, Self::Value> {
        let mut out = HashMap::new();
        for ((viewer, status, args), parents) in
            groups(keys, |k| ((k.viewer, k.status, k.args), k.series))
        {
            let pages =
                catalog::installment::of_series(self.db.conn(), viewer, &parents, status, &args)
                    .await?;
            out.extend(pages.into_iter().map(|(series, page)| {
                (
                    InstallmentsOf {
                        series,
                        status,
                        args,
                        viewer,
                    },
                    page,
                )
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
        let pages = catalog::installment::of_series(
            self.db.conn(),
            Viewer::Public,
            &parents,
            Some(InstallmentStatus::Published),
            &args,
        )
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

/// Whose credits or interviews: an installment's or a person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parent {
    Installment(i64),
    Person(i64),
}

impl Parent {
    pub(super) fn split(self) -> (bool, i64) {
        match self {
            Parent::Installment(id) => (true, id),
            Parent::Person(id) => (false, id),
        }
    }

    fn join(of_installment: bool, id: i64) -> Self {
        if of_installment {
            Parent::Installment(id)
        } else {
            Parent::Person(id)
        }
    }
}

/// A page of credits of an installment or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreditsOf {
    pub parent: Parent,
    pub role: Option<CreditRole>,
    pub args: PageArgs,
    pub viewer: Viewer,
}

impl Loader<CreditsOf> for CatalogLoader {
    type Value = Page<credit::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CreditsOf]) -> LoadResult<CreditsOf, Self::Value> {
        let mut out = HashMap::new();
        for ((viewer, of_installment, role, args), parents) in groups(keys, |k| {
            let (of_installment, id) = k.parent.split();
            ((k.viewer, of_installment, k.role, k.args), id)
        }) {
            let pages = catalog::credit::of_parents(
                self.db.conn(),
                viewer,
                credit_column(of_installment),
                &parents,
                role,
                &args,
            )
            .await?;
            out.extend(pages.into_iter().map(|(id, page)| {
                (
                    CreditsOf {
                        parent: Parent::join(of_installment, id),
                        role,
                        args,
                        viewer,
                    },
                    page,
                )
            }));
        }
        Ok(out)
    }
}

fn credit_column(of_installment: bool) -> catalog::paging::Key {
    if of_installment {
        catalog::credit::INSTALLMENT
    } else {
        catalog::credit::PERSON
    }
}

/// A page of interviews of an installment or with a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterviewsOf {
    pub parent: Parent,
    pub args: PageArgs,
    pub viewer: Viewer,
}

fn interview_column(of_installment: bool) -> catalog::paging::Key {
    if of_installment {
        catalog::interview::INSTALLMENT
    } else {
        catalog::interview::PARTICIPANT
    }
}

impl Loader<InterviewsOf> for CatalogLoader {
    type Value = Page<interview::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[InterviewsOf]) -> LoadResult<InterviewsOf, Self::Value> {
        let mut out = HashMap::new();
        for ((viewer, of_installment, args), parents) in groups(keys, |k| {
            let (of_installment, id) = k.parent.split();
            ((k.viewer, of_installment, k.args), id)
        }) {
            let pages = catalog::interview::of_parents(
                self.db.conn(),
                viewer,
                interview_column(of_installment),
                &parents,
                &args,
            )
            .await?;
            out.extend(pages.into_iter().map(|(id, page)| {
                (
                    InterviewsOf {
                        parent: Parent::join(of_installment, id),
                        args,
                        viewer,
                    },
                    page,
                )
            }));
        }
        Ok(out)
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
    SeriesInstallments(Option<InstallmentStatus>),
    Credits {
        of_installment: bool,
        role: Option<CreditRole>,
    },
    Interviews {
        of_installment: bool,
    },
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
                CountOf::SeriesInstallments(status) => {
                    catalog::installment::count_of_series(db, viewer, &unique, status).await?
                }
                CountOf::Credits {
                    of_installment,
                    role,
                } => {
                    let column = credit_column(of_installment);
                    catalog::credit::count_of_parents(db, viewer, column, &unique, role).await?
                }
                CountOf::Interviews { of_installment } => {
                    catalog::interview::count_of_parents(
                        db,
                        viewer,
                        interview_column(of_installment),
                        &unique,
                    )
                    .await?
                }
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
