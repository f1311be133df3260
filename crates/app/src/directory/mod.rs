//! The public directory of certified professionals: profiles, the search and its in-memory
//! index, and the gazetteer that turns a postal code or a city into a place.

pub mod cards;
pub mod gazetteer;
pub mod generator;
pub mod index;
pub mod profiles;
