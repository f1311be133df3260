//! What every part of Sensate stands on: accounts, sign-in, sessions, two-factor sign-in,
//! passkeys, passwords, people and invitations, throttling, mail, the audit log, protected data
//! and keys, backup and settings. Nothing here names a product area; the areas use it.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod clock;
pub mod context;
pub mod devices;
pub mod keys;
pub mod mail;
pub mod mfa;
pub mod passkeys;
pub mod password;
pub mod people;
pub mod protected;
pub mod random;
pub mod sessions;
pub mod signin;
pub mod throttle;
