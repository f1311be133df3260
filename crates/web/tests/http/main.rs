//! Sensate's HTTP integration tests: one test binary (linking dominates incremental builds
//! here), one module per product area, as in every crate's `src/`. Each test starts a real
//! server on SQLite and on PostgreSQL (`both_engines!`); `support` holds the server and the
//! cookie-keeping browser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod authorization;
mod credentialing;
pub(crate) mod directory;
mod ethics;
mod platform;
mod referrals;
