//! The certifying board's work: credential programs as versioned rules, candidates' evidence and
//! progress, documents, hours imports, supervision, applications, committee review, issuance,
//! credentials and their verification, renewal and the credential lifecycle.

pub mod applications;
pub mod credentials;
pub mod evidence;
pub mod issuer;
pub mod programs;
pub mod renewals;
pub mod review;
pub mod supervision;
