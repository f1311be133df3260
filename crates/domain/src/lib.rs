//! Sensate's domain: the product's own words as types and rules.
//!
//! This crate is pure: no IO, no async, no SQL, no HTTP. Values enter it through `parse`
//! functions ("parse, don't validate"), so code that holds an [`EmailAddress`] or a
//! [`NewPassword`] never has to ask again whether it is well formed. Randomness and clocks are
//! passed in by the caller, which keeps every rule here testable with fixed inputs.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod audit;
pub mod badge;
pub mod credential_number;
pub mod credential_status;
pub mod directory;
pub mod email;
pub mod evidence;
pub mod gazetteer;
pub mod geo;
pub mod hours;
pub mod id;
pub mod name;
pub mod password;
pub mod program;
pub mod renewal;
pub mod requirement;
pub mod role;
pub mod session;
pub mod status_list;
pub mod throttle;
pub mod validation;

pub use email::EmailAddress;
pub use id::{SessionId, UserId};
pub use name::PersonName;
pub use password::NewPassword;
pub use role::Role;
pub use validation::FieldErrors;
