//! The one rule of publication: what asking to publish (or not), with or without a
//! release time, does to an installment, and the release time a published installment
//! keeps. Used by `installment::create` here and by publishing (`src/releases/publish.rs`).

use chrono::{DateTime, Utc};

use super::InstallmentStatus;

/// What a request to publish means at the moment it is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    /// Not published: a draft.
    Draft,
    /// Published by the scheduler at this (future) time.
    Scheduled(DateTime<Utc>),
    /// Published now.
    Now,
}

impl Publication {
    /// Not publishing gives a draft; publishing at a time after `now` schedules;
    /// publishing with no time, or one not after `now`, publishes now.
    pub fn decide(publish: bool, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (publish, at) {
            (false, _) => Publication::Draft,
            (true, Some(at)) if at > now => Publication::Scheduled(at),
            (true, _) => Publication::Now,
        }
    }

    pub fn status(self) -> InstallmentStatus {
        match self {
            Publication::Draft => InstallmentStatus::Draft,
            Publication::Scheduled(_) => InstallmentStatus::Scheduled,
            Publication::Now => InstallmentStatus::Published,
        }
    }

    /// The `releaseAt` of an installment published at `now`: its planned time when it
    /// has one (a back-catalogue installment published today may have been released
    /// years ago), else `now`.
    pub fn release_time(planned: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
        planned.unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_follows_publish_and_the_time() {
        let now = Utc::now();
        let later = now + chrono::Duration::seconds(1);
        let earlier = now - chrono::Duration::seconds(1);
        assert_eq!(
            Publication::decide(false, Some(later), now),
            Publication::Draft
        );
        assert_eq!(Publication::decide(false, None, now), Publication::Draft);
        assert_eq!(
            Publication::decide(true, Some(later), now),
            Publication::Scheduled(later)
        );
        assert_eq!(Publication::decide(true, Some(now), now), Publication::Now);
        assert_eq!(
            Publication::decide(true, Some(earlier), now),
            Publication::Now
        );
        assert_eq!(Publication::decide(true, None, now), Publication::Now);
        assert_eq!(Publication::release_time(Some(earlier), now), earlier);
        assert_eq!(Publication::release_time(None, now), now);
    }
}
