//! When a signed-in session ends on its own.

use time::{Duration, OffsetDateTime};

/// Session lifetime rules. Both limits come from configuration; the defaults follow common
/// guidance for systems holding health information (HIPAA "automatic logoff").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends (default 30 minutes).
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in however active it is (default 12 hours), so a
    /// stolen cookie cannot be kept alive forever.
    pub absolute_timeout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    IdleExpired,
    AbsoluteExpired,
}

/// Writing `last_seen` on every request would turn every page view into a database write;
/// refreshing it once a minute keeps idle expiry accurate to a minute.
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

impl SessionPolicy {
    pub fn state(&self, created_at: OffsetDateTime, last_seen_at: OffsetDateTime, now: OffsetDateTime) -> SessionState {
        if now - created_at >= self.absolute_timeout {
            SessionState::AbsoluteExpired
        } else if now - last_seen_at >= self.idle_timeout {
            SessionState::IdleExpired
        } else {
            SessionState::Active
        }
    }

    /// Whether this request should refresh `last_seen_at`.
    pub fn needs_touch(&self, last_seen_at: OffsetDateTime, now: OffsetDateTime) -> bool {
        now - last_seen_at >= TOUCH_INTERVAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn idle_and_absolute_limits() {
        let policy = SessionPolicy::default();
        let start = datetime!(2026-11-24 09:00 UTC);
        assert_eq!(
            policy.state(start, start, start + Duration::minutes(29)),
            SessionState::Active
        );
        assert_eq!(
            policy.state(start, start, start + Duration::minutes(30)),
            SessionState::IdleExpired
        );
        let busy = start + Duration::hours(12) - Duration::minutes(1);
        assert_eq!(
            policy.state(start, busy, start + Duration::hours(12)),
            SessionState::AbsoluteExpired
        );
        assert_eq!(policy.state(start, busy, busy), SessionState::Active);
    }

    #[test]
    fn touches_at_most_once_a_minute() {
        let policy = SessionPolicy::default();
        let t = datetime!(2026-11-24 09:00 UTC);
        assert!(!policy.needs_touch(t, t + Duration::seconds(59)));
        assert!(policy.needs_touch(t, t + Duration::seconds(60)));
    }
}
