//! The one wait helper of the tests: [`until`] polls a check, every [`POLL`], until it
//! gives a value or the timeout passes (then it panics, saying what never happened).
//! For what no event announces (a metric, a row, a status); where an event exists (a
//! message, a delivery), await it with a timeout instead.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often [`until`] looks again.
pub const POLL: Duration = Duration::from_millis(10);

/// Polls `check` until it gives `Some`, for at most `timeout`; panics with `what`
/// (and the last value, through `check`'s own message) when it never does.
pub async fn until<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "waited {timeout:?} in vain: {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}
