//! The certifying board's work: credential programs as versioned rules, candidates' evidence and
//! progress, documents, hours imports, supervision, applications, committee review, issuance,
//! credentials and their verification, renewal and the credential lifecycle.

pub mod applications;
pub mod board;
pub mod credentials;
pub mod documents;
pub mod evidence;
pub mod hours_import;
pub mod issuer;
pub mod lifecycle;
pub mod programs;
pub mod progress;
pub mod renewals;
pub mod review;
pub mod review_evidence;
pub mod supervision;
