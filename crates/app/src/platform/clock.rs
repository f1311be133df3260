//! The time, as the use cases see it. Tests move it forward to reach session timeouts
//! without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use store::Timestamp;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system clock (always 0 outside tests).
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> Timestamp {
        let offset = Duration::seconds(self.offset_seconds.load(Ordering::Relaxed));
        Timestamp::new(OffsetDateTime::now_utc() + offset)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_seconds.fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}
