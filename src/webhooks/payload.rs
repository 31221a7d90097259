//! The JSON body of a webhook delivery: `type`, `timestamp` and `data`, the release
//! event with the same names and IDs as the GraphQL API.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::catalog::decode_list;
use crate::graphql::ids::{self, Kind};
use crate::releases::release_log::{EventKind, Release};

/// The `type` of a delivery, e.g. `release.installment_published`.
pub fn event_type(kind: EventKind) -> &'static str {
    match kind {
        EventKind::InstallmentPublished => "release.installment_published",
        EventKind::InstallmentUpdated => "release.installment_updated",
        EventKind::InterviewPublished => "release.interview_published",
    }
}

/// A time as the API writes it (RFC 3339, UTC).
fn time(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339())
}

fn optional_time(at: Option<DateTime<Utc>>) -> Value {
    at.map(time).unwrap_or(Value::Null)
}

/// The body POSTed for `release`, serialised once: these exact bytes are signed.
pub fn body(release: &Release) -> Vec<u8> {
    let event = &release.event;
    let series = &release.series;
    let installment = &release.installment;
    let interview = release.interview.as_ref().map(|interview| {
        json!({
            "id": ids::encode(Kind::Interview, interview.id),
            "outlet": interview.outlet,
            "title": interview.title,
            "summary": interview.summary,
            "url": interview.url,
            "publishedAt": optional_time(interview.published_at),
        })
    });
    let value = json!({
        "type": event_type(release.kind()),
        "timestamp": time(event.occurred_at),
        "data": {
            "cursor": ids::cursor(event.id),
            "kind": release.kind().as_str(),
            "occurredAt": time(event.occurred_at),
            "series": {
                "id": ids::encode(Kind::Series, series.id),
                "slug": series.slug,
                "title": series.title,
                "originalTitle": series.original_title,
                "network": series.network,
                "genres": decode_list(&series.genres),
            },
            "installment": {
                "id": ids::encode(Kind::Installment, installment.id),
                "number": installment.number,
                "title": installment.title,
                "synopsis": installment.synopsis,
                "episodeCount": installment.episode_count,
                "status": installment.status.as_str(),
                "releaseAt": optional_time(installment.release_at),
                "publishedAt": optional_time(installment.published_at),
            },
            "interview": interview,
        },
    });
    serde_json::to_vec(&value).unwrap_or_default()
}
