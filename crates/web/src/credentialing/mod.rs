//! The certifying board's work: credential programs as versioned rules, candidates' evidence and
//! progress, documents, hours imports, supervision, applications, committee review, issuance,
//! credentials and their verification, renewal and the credential lifecycle.

pub(crate) mod api;
pub(crate) mod applications;
pub(crate) mod credentials;
pub(crate) mod documents;
pub(crate) mod hours_import;
pub(crate) mod portal;
pub(crate) mod programs;
pub(crate) mod renewals;
pub(crate) mod review;
pub(crate) mod supervision;
pub(crate) mod trust;
pub(crate) mod verification;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .merge(api::routes())
        .merge(programs::routes())
        .merge(portal::routes())
        .merge(applications::routes())
        .merge(review::routes())
        .merge(credentials::routes())
        .merge(verification::routes())
        .merge(renewals::routes())
        .merge(supervision::routes())
        .merge(documents::routes())
        .merge(hours_import::routes())
        .merge(trust::routes())
}
