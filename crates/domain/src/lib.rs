//! Sensate's domain: the product's own words as types and rules.
//!
//! This crate is pure: no IO, no async, no SQL, no HTTP. Values enter it through `parse`
//! functions ("parse, don't validate"), so code that holds an [`EmailAddress`] or a
//! [`NewPassword`] never has to ask again whether it is well formed. Randomness and clocks are
//! passed in by the caller, which keeps every rule here testable with fixed inputs.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod clinical;
pub mod credentialing;
pub mod directory;
pub mod ethics;
pub mod platform;
pub mod referrals;

pub use platform::email::EmailAddress;
pub use platform::id::{SessionId, UserId};
pub use platform::name::PersonName;
pub use platform::password::NewPassword;
pub use platform::role::Role;
pub use platform::validation::FieldErrors;
