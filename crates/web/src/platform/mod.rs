//! What every part of Sensate stands on: accounts, sign-in, sessions, two-factor sign-in,
//! passkeys, passwords, people and invitations, throttling, mail, the audit log, protected data
//! and keys, backup and settings. Nothing here names a product area; the areas use it.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod home;
pub(crate) mod passkeys;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .merge(api::routes())
        .merge(home::routes())
        .merge(auth::routes())
        .merge(passkeys::routes())
        .merge(account::routes())
        .merge(admin::routes())
}
