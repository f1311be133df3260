//! The public directory of certified professionals: profiles, the search and its in-memory
//! index, and the gazetteer that turns a postal code or a city into a place.

pub(crate) mod api;
pub(crate) mod profiles;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new().merge(api::routes()).merge(profiles::routes())
}
