//! The certifying board's work: credential programs as versioned rules, candidates' evidence and
//! progress, documents, hours imports, supervision, applications, committee review, issuance,
//! credentials and their verification, renewal and the credential lifecycle.

pub mod applications;
pub mod badge;
pub mod credential_number;
pub mod credential_status;
pub mod evidence;
pub mod hours;
pub mod programs;
pub mod renewals;
pub mod requirement;
pub mod status_list;
