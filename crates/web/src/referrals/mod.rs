//! Referrals from physicians and fertility clinics to certified professionals, and the requests
//! for referring-provider accounts.

pub(crate) mod referral;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new().merge(referral::routes())
}
