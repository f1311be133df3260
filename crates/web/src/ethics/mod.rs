//! Ethics complaints and the cases they open: intake, the respondent's reply, evidence notes and
//! the committee's decision with its sanction.

pub(crate) mod cases;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new().merge(cases::routes())
}
