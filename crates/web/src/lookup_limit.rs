//! A per-node limit on public lookups (verification pages, the credentials API, the VC
//! check): at most [`PER_MINUTE`] per client address per minute. Counting in memory keeps a
//! public read from costing a database write; with several nodes the limit applies per node,
//! which is how a proxy's rate limit behaves too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lookups one address may make per minute: far above a person checking professionals, far
/// below a scraper walking the register.
pub const PER_MINUTE: u32 = 60;

const WINDOW: Duration = Duration::from_secs(60);

/// Addresses remembered before old windows are swept, so the map cannot grow without bound.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LookupLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LookupLimiter {
    /// Counts a lookup from `address`; `Err(seconds)` to wait when over the limit.
    pub fn check(&self, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            return Ok(());
        };
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let entry = windows.entry(address.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > PER_MINUTE {
            let wait = WINDOW.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
            Err(wait)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_address() {
        let limiter = LookupLimiter::default();
        for _ in 0..PER_MINUTE {
            assert_eq!(limiter.check("192.0.2.1"), Ok(()));
        }
        let wait = limiter.check("192.0.2.1").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert_eq!(limiter.check("192.0.2.2"), Ok(()), "another address is not affected");
    }
}
