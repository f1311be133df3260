//! Referrals from physicians and fertility clinics to certified professionals, and the requests
//! for referring-provider accounts.

pub mod counts;
pub mod referral;
