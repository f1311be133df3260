//! What every part of Sensate stands on: accounts, sign-in, sessions, two-factor sign-in,
//! passkeys, passwords, people and invitations, throttling, mail, the audit log, protected data
//! and keys, backup and settings. Nothing here names a product area; the areas use it.

pub mod audit;
pub mod email;
pub mod id;
pub mod name;
pub mod password;
pub mod role;
pub mod session;
pub mod throttle;
pub mod validation;
