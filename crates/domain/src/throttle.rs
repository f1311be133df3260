//! Sign-in throttling: how many failed attempts a key (an account's e-mail, a client address)
//! may make before it must wait.

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed inside one window before the key is locked.
    pub max_failures: u32,
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// How long a locked key waits.
    pub lockout: Duration,
}

impl ThrottlePolicy {
    /// Per account: 5 failures in 15 minutes locks the account's sign-in for 15 minutes. Low
    /// enough to stop online guessing, high enough for someone fumbling a new password.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };
    /// Per client address: 20 failures in 15 minutes. Higher than per account because a clinic
    /// shares one address among many staff.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 20,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };
}

/// What the store remembers about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub window_started_at: OffsetDateTime,
    pub locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    Allowed,
    /// Refused; try again after this long.
    Locked {
        retry_after: Duration,
    },
}

impl ThrottleDecision {
    /// Whole minutes to wait, rounded up, never 0 (so "try again in 0 minutes" never shows).
    pub fn retry_minutes(&self) -> Option<i64> {
        match self {
            ThrottleDecision::Allowed => None,
            ThrottleDecision::Locked { retry_after } => {
                let seconds = retry_after.whole_seconds().max(1);
                Some((seconds + 59) / 60)
            }
        }
    }

    /// The message people see.
    pub fn message(&self) -> Option<String> {
        self.retry_minutes().map(|m| {
            let unit = if m == 1 { "minute" } else { "minutes" };
            format!("Too many attempts; try again in {m} {unit}.")
        })
    }
}

impl ThrottlePolicy {
    /// May a new attempt go ahead now?
    pub fn decide(&self, state: Option<&ThrottleState>, now: OffsetDateTime) -> ThrottleDecision {
        match state.and_then(|s| s.locked_until) {
            Some(until) if until > now => ThrottleDecision::Locked {
                retry_after: until - now,
            },
            _ => ThrottleDecision::Allowed,
        }
    }

    /// The state after one more failure at `now`.
    pub fn record_failure(&self, state: Option<&ThrottleState>, now: OffsetDateTime) -> ThrottleState {
        let fresh = ThrottleState {
            failures: 1,
            window_started_at: now,
            locked_until: None,
        };
        let mut next = match state {
            Some(s) if now - s.window_started_at < self.window && s.locked_until.is_none_or(|u| u > now) => {
                ThrottleState {
                    failures: s.failures.saturating_add(1),
                    ..*s
                }
            }
            _ => fresh,
        };
        if next.failures >= self.max_failures {
            next.locked_until = Some(now + self.lockout);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn locks_after_max_failures_and_unlocks_after_lockout() {
        let policy = ThrottlePolicy::ACCOUNT;
        let t0 = datetime!(2026-11-24 09:00 UTC);
        let mut state = None;
        for i in 0..5 {
            assert_eq!(
                policy.decide(state.as_ref(), t0 + Duration::seconds(i)),
                ThrottleDecision::Allowed
            );
            state = Some(policy.record_failure(state.as_ref(), t0 + Duration::seconds(i)));
        }
        let locked = policy.decide(state.as_ref(), t0 + Duration::seconds(5));
        assert_eq!(locked.retry_minutes(), Some(15));
        assert_eq!(locked.message().unwrap(), "Too many attempts; try again in 15 minutes.");
        let later = t0 + Duration::seconds(4) + Duration::minutes(15);
        assert_eq!(policy.decide(state.as_ref(), later), ThrottleDecision::Allowed);
        // After the lockout the count starts again.
        let after = policy.record_failure(state.as_ref(), later);
        assert_eq!(after.failures, 1);
        assert_eq!(after.locked_until, None);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let policy = ThrottlePolicy::ACCOUNT;
        let t0 = datetime!(2026-11-24 09:00 UTC);
        let s = policy.record_failure(None, t0);
        let s = policy.record_failure(Some(&s), t0 + Duration::minutes(16));
        assert_eq!(s.failures, 1);
    }

    #[test]
    fn minutes_round_up_and_singular() {
        let d = ThrottleDecision::Locked {
            retry_after: Duration::seconds(61),
        };
        assert_eq!(d.retry_minutes(), Some(2));
        let d = ThrottleDecision::Locked {
            retry_after: Duration::seconds(1),
        };
        assert_eq!(d.message().unwrap(), "Too many attempts; try again in 1 minute.");
    }
}
