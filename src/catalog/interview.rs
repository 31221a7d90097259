//! Interviews about installments, and who took part.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{interview, interview_participant, person};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set,
};

use entity::release_event::EventKind;

use super::embargo::{self, Viewer};
use super::paging::{Key, Lists};
use super::write::{Event, Writer};
use super::{installment, validate, InstallmentStatus};
use crate::error::{Error, Result};

pub const KEY: Key = Key {
    table: "interview",
    column: "id",
};
pub const INSTALLMENT: Key = Key {
    table: "interview",
    column: "installment_id",
};
pub const PARTICIPANT: Key = Key {
    table: "interview_participant",
    column: "person_id",
};

pub struct NewInterview {
    pub installment_id: i64,
    pub outlet: String,
    pub title: String,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub participant_ids: Vec<i64>,
}

/// The interviews `viewer` sees, joined to their participants for `PARTICIPANT`.
fn base(viewer: Viewer, parent: Key) -> sea_orm::Select<interview::Entity> {
    let select = viewer.interviews(interview::Entity::find());
    if parent.table == PARTICIPANT.table {
        select.join(
            JoinType::InnerJoin,
            interview::Relation::InterviewParticipant.def(),
        )
    } else {
        select
    }
}

/// The lists of the interviews `viewer` sees of each installment (`INSTALLMENT`) or
/// person (`PARTICIPANT`).
pub fn of_parents(viewer: Viewer, parent: Key) -> Lists<interview::Entity> {
    let lists = Lists::new(base(viewer, parent), parent, KEY, |m| m.id);
    viewer.installment_parents(lists, parent, INSTALLMENT)
}

/// The participants of each interview, in the order they were added.
pub async fn participants(
    db: &impl ConnectionTrait,
    interview_ids: &[i64],
) -> Result<HashMap<i64, Vec<person::Model>>> {
    let rows = interview_participant::Entity::find()
        .filter(interview_participant::Column::InterviewId.is_in(interview_ids.iter().copied()))
        .order_by_asc(interview_participant::Column::InterviewId)
        .order_by_asc(interview_participant::Column::PersonId)
        .find_also_related(person::Entity)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<person::Model>> =
        interview_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (link, person) in rows {
        if let Some(person) = person {
            out.entry(link.interview_id).or_default().push(person);
        }
    }
    Ok(out)
}

/// Finds an interview of an installment by outlet and title (used by the demo data).
pub async fn by_title(
    db: &impl ConnectionTrait,
    installment_id: i64,
    outlet: &str,
    title: &str,
) -> Result<Option<interview::Model>> {
    Ok(interview::Entity::find()
        .filter(interview::Column::InstallmentId.eq(installment_id))
        .filter(interview::Column::Outlet.eq(outlet))
        .filter(interview::Column::Title.eq(title))
        .one(db)
        .await?)
}

/// Adds an interview; on a published installment this emits `INTERVIEW_PUBLISHED`.
pub async fn create(writer: &Writer, input: NewInterview) -> Result<interview::Model> {
    let outlet = validate::name("input.outlet", &input.outlet)?;
    let title = validate::name("input.title", &input.title)?;
    let summary = validate::optional_text("input.summary", input.summary, validate::MAX_TEXT)?;
    let url = validate::url("input.url", input.url)?;
    if input.participant_ids.len() > validate::MAX_LIST {
        return Err(Error::bad_input(
            "input.participantIds",
            format!("must have at most {} entries", validate::MAX_LIST),
        ));
    }
    let mut participant_ids = input.participant_ids;
    participant_ids.dedup();
    let mut txn = writer.begin().await?;
    let target = installment::get(&*txn, input.installment_id)
        .await?
        .ok_or_else(|| Error::not_found("installment", "input.installmentId"))?;
    let found = embargo::by_ids::<person::Entity>(&*txn, Viewer::Public, &participant_ids).await?;
    if let Some(missing) = participant_ids
        .iter()
        .find(|id| !found.iter().any(|p| p.id == **id))
    {
        tracing::debug!(person = missing, "unknown participant");
        return Err(Error::not_found("person", "input.participantIds"));
    }
    let at = txn.now();
    let model = interview::ActiveModel {
        installment_id: Set(target.id),
        outlet: Set(outlet),
        title: Set(title),
        summary: Set(summary),
        url: Set(url),
        published_at: Set(input.published_at),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    let mut seen = Vec::with_capacity(participant_ids.len());
    for person_id in participant_ids {
        if seen.contains(&person_id) {
            continue;
        }
        seen.push(person_id);
        interview_participant::ActiveModel {
            interview_id: Set(model.id),
            person_id: Set(person_id),
        }
        .insert(&*txn)
        .await?;
    }
    if target.status == InstallmentStatus::Published {
        txn.queue(Event::Release {
            kind: EventKind::InterviewPublished,
            series_id: target.series_id,
            installment_id: target.id,
            interview_id: Some(model.id),
            at,
        });
    }
    txn.commit().await?;
    Ok(model)
}
