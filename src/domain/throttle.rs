//! Throttling arithmetic: growing delays between password checks from one source, a fixed-window
//! ceiling per user, sliding windows, and when to come back.

use std::fmt::Write;

pub const HOUR_MILLIS: i64 = 60 * 60 * 1000;

/// Sign-ups per client network are counted over the last hour, whatever the clock says.
pub const SIGNUP_WINDOW_MILLIS: i64 = HOUR_MILLIS;

/// Delays that grow with each failed check from one source: the first `free_attempts` checks
/// follow each other at once, then each waits twice as long as the one before, from
/// `first_delay_millis` up to `max_delay_millis`. A source quiet for `forget_after_millis` starts
/// anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub free_attempts: u32,
    pub first_delay_millis: i64,
    pub max_delay_millis: i64,
    pub forget_after_millis: i64,
}

impl Backoff {
    /// Password checks per (user, client network) for logins, and per session key for account
    /// changes: a person mistyping is never slowed down much, a guesser gets a few guesses an
    /// hour.
    pub const PASSWORD: Self = Self {
        free_attempts: 5,
        first_delay_millis: 1000,
        max_delay_millis: 15 * 60 * 1000,
        forget_after_millis: 24 * HOUR_MILLIS,
    };

    /// How long the next check from a source must wait after its `failures`-th.
    pub fn delay_after(&self, failures: u32) -> i64 {
        if failures < self.free_attempts {
            return 0;
        }
        let doublings = (failures - self.free_attempts).min(62);
        self.first_delay_millis.saturating_mul(1 << doublings).min(self.max_delay_millis)
    }

    /// The delays as the SQL reads them, a JSON array: at index `n`, the delay after `n + 1`
    /// failures, up to the first that reaches the maximum, which stands for every later count.
    /// The rule stays here; the statement only looks it up.
    pub fn schedule(&self) -> String {
        let mut schedule = String::from("[");
        let mut failures = 1;
        loop {
            let delay = self.delay_after(failures);
            let _ = write!(schedule, "{delay}");
            if delay >= self.max_delay_millis || failures == u32::MAX {
                break;
            }
            schedule.push(',');
            failures += 1;
        }
        schedule.push(']');
        schedule
    }
}

/// At most `max_attempts` attempts in a window of `window_millis` that starts with its first
/// attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub max_attempts: i64,
    pub window_millis: i64,
}

impl Throttle {
    /// Failed logins for one user from every source together: far above what the delays let
    /// one source reach, so that only a guesser with many networks meets it.
    pub const LOGIN_CEILING: Self = Self { max_attempts: 100, window_millis: HOUR_MILLIS };

    /// Given the attempt count including this one and when the window began: `Ok` to go on,
    /// or `Err(seconds)` to wait before the window passes (at least 1).
    pub fn check(&self, attempts: i64, window_start: i64, now: i64) -> Result<(), u64> {
        if attempts <= self.max_attempts {
            return Ok(());
        }
        Err(seconds_until(window_start + self.window_millis, now))
    }
}

/// Whole seconds from `now` to `then`, rounded up, at least 1: a `Retry-After`.
pub fn seconds_until(then: i64, now: i64) -> u64 {
    let remaining_millis = then.saturating_sub(now).max(1);
    u64::try_from(remaining_millis.saturating_add(999) / 1000).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60 * 1000;
    const PASSWORD: Backoff = Backoff::PASSWORD;

    #[test]
    fn the_first_five_checks_follow_each_other_at_once() {
        for failures in 0..5 {
            assert_eq!(PASSWORD.delay_after(failures), 0, "{failures}");
        }
    }

    #[test]
    fn from_the_fifth_failure_on_each_delay_doubles() {
        assert_eq!(PASSWORD.delay_after(5), 1000);
        assert_eq!(PASSWORD.delay_after(6), 2000);
        assert_eq!(PASSWORD.delay_after(7), 4000);
        assert_eq!(PASSWORD.delay_after(14), 512_000);
    }

    #[test]
    fn delays_stop_growing_at_the_maximum() {
        assert_eq!(PASSWORD.delay_after(15), 15 * MINUTE);
        assert_eq!(PASSWORD.delay_after(100), 15 * MINUTE);
        assert_eq!(PASSWORD.delay_after(u32::MAX), 15 * MINUTE);
    }

    #[test]
    fn the_schedule_ends_at_the_first_maximal_delay() {
        assert_eq!(PASSWORD.schedule(), "[0,0,0,0,1000,2000,4000,8000,16000,32000,64000,128000,256000,512000,900000]");
    }

    #[test]
    fn the_schedule_looked_up_as_the_sql_does_gives_every_delay() {
        let schedule: Vec<i64> = serde_json::from_str(&PASSWORD.schedule()).unwrap();
        // Before the attempt that makes `failures + 1`, the row holds `failures`.
        for failures in 0..1000_usize {
            let looked_up = schedule[failures.min(schedule.len() - 1)];
            assert_eq!(looked_up, PASSWORD.delay_after(failures as u32 + 1), "{failures}");
        }
    }

    #[test]
    fn a_backoff_without_free_attempts_delays_from_the_first_failure() {
        let strict = Backoff { free_attempts: 0, first_delay_millis: 10, max_delay_millis: 40, forget_after_millis: 1 };
        assert_eq!((strict.delay_after(0), strict.delay_after(1), strict.delay_after(2)), (10, 20, 40));
        assert_eq!(strict.schedule(), "[20,40]");
    }

    #[test]
    fn a_hundred_failed_logins_pass_the_ceiling_and_the_next_is_throttled() {
        assert_eq!(Throttle::LOGIN_CEILING.check(100, 0, MINUTE), Ok(()));
        assert_eq!(Throttle::LOGIN_CEILING.check(101, 0, MINUTE), Err(59 * 60));
    }

    #[test]
    fn retry_after_is_the_rest_of_the_window_rounded_up() {
        let throttle = Throttle { max_attempts: 5, window_millis: 15 * MINUTE };
        assert_eq!(throttle.check(6, 0, MINUTE), Err(14 * 60));
        assert_eq!(throttle.check(6, 0, MINUTE + 1), Err(14 * 60));
        assert_eq!(throttle.check(6, 0, 15 * MINUTE - 1), Err(1));
    }

    #[test]
    fn retry_after_is_never_zero() {
        assert_eq!(seconds_until(0, 0), 1);
        assert_eq!(seconds_until(0, MINUTE), 1);
        assert_eq!(Throttle::LOGIN_CEILING.check(101, 0, HOUR_MILLIS), Err(1));
    }

    #[test]
    fn seconds_until_round_up() {
        assert_eq!(seconds_until(1000, 0), 1);
        assert_eq!(seconds_until(1001, 0), 2);
        assert_eq!(seconds_until(HOUR_MILLIS, 1), 3600);
    }
}
