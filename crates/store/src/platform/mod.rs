//! What every part of Sensate stands on: accounts, sign-in, sessions, two-factor sign-in,
//! passkeys, passwords, people and invitations, throttling, mail, the audit log, protected data
//! and keys, backup and settings. Nothing here names a product area; the areas use it.

pub mod audit;
pub mod data_keys;
pub mod devices;
pub mod outbox;
pub mod passkeys;
pub mod sessions;
pub mod settings;
pub mod throttle;
pub mod tokens;
pub mod users;
