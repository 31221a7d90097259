//! The time publishing and the scheduler go by: the system clock, or a [`ManualClock`]
//! that tests set and advance (its sleepers wake when it passes their deadline), so
//! that a test of scheduled publishing never waits on the wall clock.
//!
//! Chosen through [`crate::Settings::clock`] (the system clock unless a test says so).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::watch;

/// Where "now" comes from.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A clock that moves only when told to.
    Manual(ManualClock),
}

impl Clock {
    /// Now, as stored: UTC, whole microseconds.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now().trunc_subsecs(6),
            Clock::Manual(clock) => clock.now(),
        }
    }

    /// Returns once this clock reads `deadline` or later.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        match self {
            Clock::System => {
                let wait = (deadline - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep(wait).await;
            }
            Clock::Manual(clock) => clock.sleep_until(deadline).await,
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(clock: ManualClock) -> Self {
        Clock::Manual(clock)
    }
}

/// A clock for tests: it reads what it was last set to. Clones share the time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Arc::new(watch::Sender::new(start.trunc_subsecs(6))),
        }
    }

    /// A clock reading the system time of its creation.
    pub fn starting_now() -> Self {
        ManualClock::new(Utc::now())
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    /// Sets the time (never backwards: an earlier `at` is ignored) and wakes every
    /// sleeper whose deadline it reached.
    pub fn set(&self, at: DateTime<Utc>) {
        let at = at.trunc_subsecs(6);
        self.now.send_if_modified(|now| {
            let later = at > *now;
            if later {
                *now = at;
            }
            later
        });
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        self.set(self.now() + by);
    }

    async fn sleep_until(&self, deadline: DateTime<Utc>) {
        let mut now = self.now.subscribe();
        // The sender lives as long as `self`: waiting cannot fail while we hold it.
        let _ = now.wait_for(|now| *now >= deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_its_sleepers_when_set_past_their_deadline() {
        let manual = ManualClock::starting_now();
        let clock = Clock::from(manual.clone());
        let deadline = clock.now() + chrono::Duration::seconds(60);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(deadline).await }
        });
        manual.advance(Duration::from_secs(30));
        assert!(!sleeper.is_finished());
        manual.set(deadline);
        tokio::time::timeout(Duration::from_secs(10), sleeper)
            .await
            .expect("woken")
            .expect("sleeper");
        assert_eq!(clock.now(), deadline);
        manual.set(deadline - chrono::Duration::seconds(1));
        assert_eq!(clock.now(), deadline, "the clock never goes backwards");
    }
}
