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
    /// Per device cookie (a browser that has signed in to the account before): the same
    /// allowance as an account. Its owner's attempts count here only, so guessing from other
    /// browsers or a flood from a shared address cannot lock them out; a stolen device cookie
    /// locks only itself.
    pub const DEVICE: ThrottlePolicy = ThrottlePolicy {
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
    /// Sign-ups from one client address: 10 an hour (an office may register a few colleagues).
    pub const SIGN_UP_PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 10,
        window: Duration::hours(1),
        lockout: Duration::hours(1),
    };
    /// Reset links for one account: 3 an hour, so nobody can flood an inbox or keep cancelling
    /// the owner's link.
    pub const RESET_PER_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 3,
        window: Duration::hours(1),
        lockout: Duration::hours(1),
    };
    /// Reset requests from one client address: 10 an hour.
    pub const RESET_PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 10,
        window: Duration::hours(1),
        lockout: Duration::hours(1),
    };
    /// Ethics complaints from one client address: 5 a day. A real concern is raised once; a
    /// clinic or library sharing an address still has room, a script flooding the committee
    /// does not.
    pub const COMPLAINT_PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: Duration::days(1),
        lockout: Duration::days(1),
    };
    /// Ethics complaints by one reporter's e-mail address: 3 a day, so nobody can bury a
    /// professional (or the committee) under copies from changing addresses of their own.
    pub const COMPLAINT_PER_REPORTER: ThrottlePolicy = ThrottlePolicy {
        max_failures: 3,
        window: Duration::days(1),
        lockout: Duration::days(1),
    };
    /// Requests for a referring-provider account from one client address: 10 a day (a clinic
    /// may ask for several physicians; a script may not fill the staff's list).
    pub const REFERRER_REQUEST_PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 10,
        window: Duration::days(1),
        lockout: Duration::days(1),
    };
    /// Requests for a referring-provider account from one e-mail address: 3 a day (one waits
    /// at a time; a decided one may be asked again).
    pub const REFERRER_REQUEST_PER_EMAIL: ThrottlePolicy = ThrottlePolicy {
        max_failures: 3,
        window: Duration::days(1),
        lockout: Duration::days(1),
    };
    /// The same complaint (reporter, professional and words) sent again: once in 30 days. The
    /// copy is answered kindly, not filed as a second case.
    pub const COMPLAINT_COPY: ThrottlePolicy = ThrottlePolicy {
        max_failures: 1,
        window: Duration::days(30),
        lockout: Duration::days(30),
    };

    /// Judges an attempt that has already been counted in `state` (the store counts
    /// atomically before the attempt is checked, so parallel requests cannot slip past).
    pub fn judge(&self, state: &ThrottleState, now: OffsetDateTime) -> ThrottleDecision {
        match state.locked_until {
            Some(until) if until > now => ThrottleDecision::Locked {
                retry_after: until - now,
            },
            _ if state.failures > self.max_failures => ThrottleDecision::Locked {
                retry_after: self.lockout,
            },
            _ => ThrottleDecision::Allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn counted_attempts_beyond_the_limit_are_refused() {
        let policy = ThrottlePolicy::ACCOUNT;
        let t0 = datetime!(2026-11-24 09:00 UTC);
        let state = |failures, locked_until| ThrottleState {
            failures,
            window_started_at: t0,
            locked_until,
        };
        assert_eq!(
            policy.judge(&state(5, None), t0),
            ThrottleDecision::Allowed,
            "the fifth attempt may go ahead"
        );
        assert_eq!(policy.judge(&state(6, None), t0).retry_minutes(), Some(15));
        let locked = state(1, Some(t0 + Duration::minutes(3)));
        assert_eq!(policy.judge(&locked, t0).retry_minutes(), Some(3));
        assert_eq!(
            policy.judge(&locked, t0 + Duration::minutes(3)),
            ThrottleDecision::Allowed
        );
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
