//! The retry schedule: exponential backoff with jitter.

use std::time::Duration;

use rand::Rng;

/// How long to wait after the `failures`-th failed attempt (1 for the first):
/// `min × 2^(failures − 1)`, at most `max`, less a random 0–50 % (so that endpoints
/// that failed together do not retry together).
pub fn backoff(failures: u32, min: Duration, max: Duration) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let full = min.saturating_mul(1u32 << exponent).min(max.max(min));
    let jitter: f64 = rand::thread_rng().gen_range(0.5..=1.0);
    full.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_maximum_with_at_most_half_taken_off() {
        let min = Duration::from_secs(5);
        let max = Duration::from_secs(900);
        for (failures, full) in [(1, 5), (2, 10), (3, 20), (8, 640), (9, 900), (40, 900)] {
            let wait = backoff(failures, min, max);
            let full = Duration::from_secs(full);
            assert!(wait <= full && wait >= full / 2, "{failures}: {wait:?}");
        }
    }
}
