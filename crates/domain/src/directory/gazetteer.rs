//! The offline gazetteer's rules: reading the GeoNames postal-code rows and city records the
//! import is given, folding names so "Montréal", "montreal" and "MONTREAL " meet, and telling
//! what a person typed into the place box (a postal code, or a city with perhaps its state).

use crate::directory::geo::Coordinates;

/// A place as the gazetteer keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct GazetteerPlace {
    /// `postal` or `city`.
    pub kind: PlaceKind,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The postal code folded by [`fold_postal_code`]; `None` for a city.
    pub code_key: Option<String>,
    pub name: String,
    /// Region code as GeoNames gives it (the state or province abbreviation for the United
    /// States and Canada, such as `CA` or `ON`).
    pub region_code: String,
    pub region: String,
    pub coordinates: Coordinates,
    pub population: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceKind {
    Postal,
    City,
}

impl PlaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Postal => "postal",
            PlaceKind::City => "city",
        }
    }

    pub fn parse(text: &str) -> Option<PlaceKind> {
        match text {
            "postal" => Some(PlaceKind::Postal),
            "city" => Some(PlaceKind::City),
            _ => None,
        }
    }
}

/// Why a row of a gazetteer file was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("expected 12 tab-separated columns, found {0}")]
    Columns(usize),
    #[error("coordinates out of range or unreadable")]
    Coordinates,
    #[error("no postal code or no place name")]
    Empty,
}

/// Reads one row of the GeoNames postal-code file (country, postal code, place name, admin1
/// name, admin1 code, admin2 name, admin2 code, admin3 name, admin3 code, latitude,
/// longitude, accuracy). Rows without an accuracy are military and diplomatic mail codes,
/// which have no place to stand for; the caller skips them (`Ok(None)`).
pub fn postal_row(line: &str) -> Result<Option<GazetteerPlace>, RowError> {
    let columns: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('\t').collect();
    if columns.len() != 12 {
        return Err(RowError::Columns(columns.len()));
    }
    if columns[11].trim().is_empty() {
        return Ok(None);
    }
    let code = fold_postal_code(columns[1]);
    let name = columns[2].trim();
    if code.is_empty() || name.is_empty() {
        return Err(RowError::Empty);
    }
    let lat: f64 = columns[9].trim().parse().map_err(|_| RowError::Coordinates)?;
    let lon: f64 = columns[10].trim().parse().map_err(|_| RowError::Coordinates)?;
    let coordinates = Coordinates::new(lat, lon).map_err(|_| RowError::Coordinates)?;
    Ok(Some(GazetteerPlace {
        kind: PlaceKind::Postal,
        country: columns[0].trim().to_ascii_uppercase(),
        code_key: Some(code),
        name: name.to_owned(),
        region_code: columns[4].trim().to_owned(),
        region: columns[3].trim().to_owned(),
        coordinates,
        population: 0,
    }))
}

/// A postal code as stored and looked up: upper-case letters and digits only.
pub fn fold_postal_code(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A place name folded for look-ups: lower-case ASCII letters and digits separated by single
/// spaces, accents removed ("Saint-Jérôme" → "saint jerome"), "st" and "ste" spelled out
/// so "St. Louis" meets "Saint Louis".
pub fn fold_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut push = |f: char| {
        if f.is_ascii_alphanumeric() {
            out.push(f.to_ascii_lowercase());
        } else if f != '\'' && f != '.' && !out.is_empty() && !out.ends_with(' ') {
            // Apostrophes and dots vanish ("O'Fallon", "St."); anything else separates words.
            out.push(' ');
        }
    };
    for c in text.chars() {
        match fold_accent(c) {
            Some(base) => base.chars().for_each(&mut push),
            None => push(c),
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    words
        .iter()
        .enumerate()
        .map(|(i, word)| match (*word, i + 1 < words.len()) {
            ("st", true) => "saint",
            ("ste", true) => "sainte",
            ("mt", true) => "mount",
            ("ft", true) => "fort",
            _ => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Latin letters with diacritics to their base letters (the letters of the place names of
/// the countries served).
fn fold_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => return None,
    })
}

/// What someone typed into the place box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceQuery {
    /// Looks like a postal code: a US ZIP (5 digits, perhaps with +4) or a Canadian code
    /// (the first three characters name the area the gazetteer knows).
    Postal {
        country: Option<&'static str>,
        code: String,
    },
    /// A place name, perhaps with a region after a comma ("Portland, OR").
    Name { name: String, region: Option<String> },
}

impl PlaceQuery {
    pub fn parse(text: &str) -> Option<PlaceQuery> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let code = fold_postal_code(text);
        let digits = code.chars().filter(char::is_ascii_digit).count();
        // A ZIP: 5 digits, or ZIP+4 (9 digits); only the first five locate it.
        if code.len() == digits && (code.len() == 5 || code.len() == 9) && text.len() <= 10 {
            return Some(PlaceQuery::Postal {
                country: Some("US"),
                code: code[..5].to_owned(),
            });
        }
        // A Canadian code: letter digit letter, then perhaps digit letter digit.
        let bytes = code.as_bytes();
        let canadian = (code.len() == 3 || code.len() == 6)
            && bytes.iter().enumerate().all(|(i, b)| {
                if i % 2 == 0 {
                    b.is_ascii_alphabetic()
                } else {
                    b.is_ascii_digit()
                }
            });
        if canadian && text.len() <= 8 {
            return Some(PlaceQuery::Postal {
                country: Some("CA"),
                code: code[..3].to_owned(),
            });
        }
        if digits > 0 && digits * 2 >= code.len() {
            return Some(PlaceQuery::Postal { country: None, code });
        }
        let (name, region) = match text.rsplit_once(',') {
            Some((name, region)) if !region.trim().is_empty() => (name, Some(region.trim().to_ascii_uppercase())),
            _ => (text, None),
        };
        let name = fold_name(name);
        if name.is_empty() {
            return None;
        }
        Some(PlaceQuery::Name { name, region })
    }
}

/// The edit distance between two folded names (Damerau's adjacent swap counted as one), for
/// ranking suggestions when a place is not found.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postal_row_is_read_and_military_codes_are_skipped() {
        let row = "US\t94108\tSan Francisco\tCalifornia\tCA\tSan Francisco\t075\t\t\t37.7929\t-122.4079\t4";
        let place = postal_row(row).unwrap().unwrap();
        assert_eq!(place.code_key.as_deref(), Some("94108"));
        assert_eq!(place.region_code, "CA");
        assert!((place.coordinates.lat() - 37.7929).abs() < 1e-9);
        let military = "US\t09001\tAPO AE\t\t\t\t\t\t\t0\t0\t";
        assert_eq!(postal_row(military).unwrap(), None);
        assert_eq!(postal_row("US\t1\t2"), Err(RowError::Columns(3)));
        let far = "US\t99999\tNowhere\tX\tX\t\t\t\t\t95\t0\t1";
        assert_eq!(postal_row(far), Err(RowError::Coordinates));
    }

    #[test]
    fn names_fold_to_meet() {
        assert_eq!(fold_name("Montréal"), "montreal");
        assert_eq!(fold_name("  SAINT-JÉRÔME "), "saint jerome");
        assert_eq!(fold_name("St. Louis"), "saint louis");
        assert_eq!(fold_name("Coeur d'Alene"), "coeur dalene");
        assert_eq!(fold_name("O'Fallon"), "ofallon");
    }

    #[test]
    fn the_place_box_tells_codes_from_names() {
        assert_eq!(
            PlaceQuery::parse("94108-1234"),
            Some(PlaceQuery::Postal {
                country: Some("US"),
                code: "94108".into()
            })
        );
        assert_eq!(
            PlaceQuery::parse("m5v 2t6"),
            Some(PlaceQuery::Postal {
                country: Some("CA"),
                code: "M5V".into()
            })
        );
        assert_eq!(
            PlaceQuery::parse("Portland, or"),
            Some(PlaceQuery::Name {
                name: "portland".into(),
                region: Some("OR".into())
            })
        );
        assert_eq!(PlaceQuery::parse("   "), None);
        assert!(matches!(
            PlaceQuery::parse("1234"),
            Some(PlaceQuery::Postal { country: None, .. })
        ));
    }

    #[test]
    fn edit_distance_counts_a_swap_as_one() {
        assert_eq!(edit_distance("san francisco", "sna francisco"), 1);
        assert_eq!(edit_distance("boston", "austin"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
