//! Throttling in fixed windows: how many attempts a window allows, and when to come back.

/// At most `max_attempts` attempts in a window of `window_millis` that starts with its first
/// attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub max_attempts: i64,
    pub window_millis: i64,
}

impl Throttle {
    /// Password attempts for one user id: 5 per 15 minutes.
    pub const PASSWORD: Self = Self { max_attempts: 5, window_millis: 15 * 60 * 1000 };

    /// Given the attempt count including this one and when the window began: `Ok` to go on,
    /// or `Err(seconds)` to wait before the window passes (at least 1).
    pub fn check(&self, attempts: i64, window_start: i64, now: i64) -> Result<(), u64> {
        if attempts <= self.max_attempts {
            return Ok(());
        }
        let remaining_millis = (window_start + self.window_millis - now).max(1);
        Err(u64::try_from((remaining_millis + 999) / 1000).unwrap_or(1))
    }
}

/// Sign-ups per client address: a clock hour is the window.
pub const HOUR_MILLIS: i64 = 60 * 60 * 1000;

/// Seconds from `now` to the start of the next clock hour (at least 1).
pub fn seconds_to_next_hour(now: i64) -> u64 {
    let remaining = HOUR_MILLIS - now.rem_euclid(HOUR_MILLIS);
    u64::try_from((remaining + 999) / 1000).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60 * 1000;

    #[test]
    fn five_attempts_pass_and_the_sixth_is_throttled() {
        for attempts in 1..=5 {
            assert_eq!(Throttle::PASSWORD.check(attempts, 0, MINUTE), Ok(()));
        }
        assert!(Throttle::PASSWORD.check(6, 0, MINUTE).is_err());
    }

    #[test]
    fn retry_after_is_the_rest_of_the_window_rounded_up() {
        assert_eq!(Throttle::PASSWORD.check(6, 0, MINUTE), Err(14 * 60));
        assert_eq!(Throttle::PASSWORD.check(6, 0, MINUTE + 1), Err(14 * 60));
        assert_eq!(Throttle::PASSWORD.check(6, 0, 15 * MINUTE - 1), Err(1));
    }

    #[test]
    fn retry_after_is_never_zero() {
        assert_eq!(Throttle::PASSWORD.check(6, 0, 15 * MINUTE), Err(1));
    }

    #[test]
    fn the_next_hour_is_counted_in_whole_seconds() {
        assert_eq!(seconds_to_next_hour(0), 3600);
        assert_eq!(seconds_to_next_hour(HOUR_MILLIS - 1), 1);
        assert_eq!(seconds_to_next_hour(HOUR_MILLIS + 30 * MINUTE), 1800);
    }
}
