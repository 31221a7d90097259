//! The Soundtrack demo data (see `seed-facts.md`). Loading it twice changes nothing:
//! every record is looked up by its natural key first.

use crate::catalog::write::Writer;
use crate::catalog::{self, credit, installment, interview, person, series, CreditRole};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Result;
use crate::releases::outbox::{self, Wakeups};

struct CastMember {
    name: &'static str,
    known_for: &'static [&'static str],
    /// None in the demo: people are public, and what the source tells of them is about
    /// their parts in the unreleased #2, which stay under embargo with it (its credits
    /// and interview), not in a public bio.
    bio: Option<&'static str>,
    role: CreditRole,
    character: Option<&'static str>,
    character_description: Option<&'static str>,
    billing: Option<i32>,
    debut: bool,
}

const CAST: &[CastMember] = &[
    CastMember {
        name: "Keum Sae-rok",
        known_for: &["The Interest of Love"],
        bio: None,
        role: CreditRole::Actor,
        character: Some("Do Hyeonseo"),
        character_description: Some("A piano prodigy who gave up her dream of the concert stage and works odd jobs to get by."),
        billing: Some(1),
        debut: false,
    },
    CastMember {
        name: "Noh Sang-hyun",
        known_for: &["Pachinko"],
        bio: None,
        role: CreditRole::Actor,
        character: Some("Ji Suho"),
        character_description: Some("A college dreamer who loved online videos, now a successful CEO who collapses from stress and exhaustion."),
        billing: Some(2),
        debut: false,
    },
    CastMember {
        name: "Sohn Jeong-hyuck",
        known_for: &[],
        bio: None,
        role: CreditRole::Actor,
        character: None,
        character_description: None,
        billing: Some(3),
        debut: true,
    },
    CastMember {
        name: "Choi Jungkyu",
        known_for: &[],
        bio: None,
        role: CreditRole::Other,
        character: None,
        character_description: None,
        billing: None,
        debut: false,
    },
];

const SYNOPSIS_2: &str = "Do Hyeonseo, a piano prodigy, and Ji Suho, a dreamer who loves online videos, were a college couple who planned to walk the Camino de Santiago together, until an abrupt break-up ended that plan. Years later Suho is a successful CEO who collapses in his office from stress and exhaustion and begins to heal, while Hyeonseo, having given up on becoming a concert pianist, works odd jobs to get by. Fate brings them together again, and they must face what was left unresolved. Themes: lost love, chance meetings, second chances.";

const INTERVIEW_TITLE: &str = "Second instalment depicts harmonies of heartbreak and healing";
const INTERVIEW_SUMMARY: &str = "An exclusive interview with the director and the cast about Soundtrack #2. The director aimed at a mix of romance, comedy and music, made together with Choi Jungkyu, is confident that fans of Soundtrack #1 will enjoy #2, and praises the cast. Keum Sae-rok talks about the resilience of her character and learning the piano; Noh Sang-hyun about the mix of realism and humour in the script and the cheerful set.";

/// Loads the demo data; what is already there is left as it is. The release alerts it
/// emits wake no dispatcher of this process (on PostgreSQL, NOTIFY still tells the
/// running servers).
pub async fn seed(db: &Db) -> Result<()> {
    seed_with(&outbox::writer(db, Clock::System, &Wakeups::default())).await
}

/// Loads the demo data with `writer`.
pub async fn seed_with(writer: &Writer) -> Result<()> {
    let conn = writer.db().conn();
    let soundtrack = match series::by_slug(conn, "soundtrack").await? {
        Some(s) => s,
        None => {
            series::create(
                writer,
                series::NewSeries {
                    slug: "soundtrack".into(),
                    title: "Soundtrack".into(),
                    original_title: None,
                    network: None,
                    genres: Some(vec!["romance".into(), "comedy".into(), "music".into()]),
                    synopsis: None,
                },
            )
            .await?
        }
    };
    if installment::by_number(conn, soundtrack.id, 1)
        .await?
        .is_none()
    {
        installment::create(
            writer,
            installment::NewInstallment {
                series_id: soundtrack.id,
                number: 1,
                title: None,
                synopsis: None,
                episode_count: None,
                release_at: None,
                publish: true,
            },
        )
        .await?;
    }
    let second = match installment::by_number(conn, soundtrack.id, 2).await? {
        Some(i) => i,
        None => {
            installment::create(
                writer,
                installment::NewInstallment {
                    series_id: soundtrack.id,
                    number: 2,
                    title: None,
                    synopsis: Some(SYNOPSIS_2.into()),
                    episode_count: None,
                    release_at: None,
                    publish: false,
                },
            )
            .await?
        }
    };
    let mut people = Vec::with_capacity(CAST.len());
    for member in CAST {
        let found = match person::by_name(conn, member.name).await? {
            Some(p) => p,
            None => {
                person::create(
                    writer,
                    person::NewPerson {
                        name: member.name.into(),
                        known_for: Some(member.known_for.iter().map(|s| s.to_string()).collect()),
                        bio: member.bio.map(Into::into),
                    },
                )
                .await?
            }
        };
        let added = credit::add(
            writer,
            credit::NewCredit {
                installment_id: second.id,
                person_id: found.id,
                role: member.role,
                character: member.character.map(Into::into),
                character_description: member.character_description.map(Into::into),
                billing: member.billing,
                debut: member.debut,
            },
        )
        .await;
        match added {
            Ok(_) | Err(crate::error::Error::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
        people.push(found);
    }
    if interview::by_title(conn, second.id, "theSun", INTERVIEW_TITLE)
        .await?
        .is_none()
    {
        let participants = people
            .iter()
            .filter(|p| p.name == "Keum Sae-rok" || p.name == "Noh Sang-hyun")
            .map(|p| p.id)
            .collect();
        catalog::interview::create(
            writer,
            interview::NewInterview {
                installment_id: second.id,
                outlet: "theSun".into(),
                title: INTERVIEW_TITLE.into(),
                summary: Some(INTERVIEW_SUMMARY.into()),
                url: None,
                published_at: None,
                participant_ids: participants,
            },
        )
        .await?;
    }
    Ok(())
}
