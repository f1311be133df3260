//! The public directory's own words: the formats a professional works in, the languages and
//! telehealth jurisdictions they may list (ISO 639 and ISO 3166-2 codes, fixed by those
//! standards rather than by the board), a profile as the professional writes it, and a search
//! as a member of the public asks it. Both are parsed here, once, with a message per field.

use std::collections::BTreeSet;

use crate::FieldErrors;
use crate::credentialing::programs::{BoardLists, CredentialKind};
use crate::directory::geo::Radius;

/// How a professional sees clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Individuals,
    Couples,
    Groups,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Individuals, Format::Couples, Format::Groups];

    pub fn key(self) -> &'static str {
        match self {
            Format::Individuals => "individuals",
            Format::Couples => "couples",
            Format::Groups => "groups",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Individuals => "Individuals",
            Format::Couples => "Couples and partners",
            Format::Groups => "Groups",
        }
    }

    pub fn parse(key: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.key() == key)
    }

    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Languages a professional may offer sessions in: ISO 639-1 codes, or ISO 639-3 where the
/// language has no two-letter code (American Sign Language, Cantonese). At most 64, so a set
/// of them fits one machine word in the search index.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("ase", "American Sign Language"),
    ("zh", "Mandarin Chinese"),
    ("yue", "Cantonese"),
    ("tl", "Tagalog"),
    ("vi", "Vietnamese"),
    ("ar", "Arabic"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("uk", "Ukrainian"),
    ("pt", "Portuguese"),
    ("ht", "Haitian Creole"),
    ("de", "German"),
    ("it", "Italian"),
    ("pl", "Polish"),
    ("hi", "Hindi"),
    ("ur", "Urdu"),
    ("bn", "Bengali"),
    ("pa", "Punjabi"),
    ("gu", "Gujarati"),
    ("ta", "Tamil"),
    ("te", "Telugu"),
    ("fa", "Persian"),
    ("he", "Hebrew"),
    ("yi", "Yiddish"),
    ("el", "Greek"),
    ("tr", "Turkish"),
    ("hy", "Armenian"),
    ("ja", "Japanese"),
    ("th", "Thai"),
    ("km", "Khmer"),
    ("lo", "Lao"),
    ("hmn", "Hmong"),
    ("id", "Indonesian"),
    ("am", "Amharic"),
    ("so", "Somali"),
    ("sw", "Swahili"),
    ("yo", "Yoruba"),
    ("ig", "Igbo"),
    ("nl", "Dutch"),
    ("sv", "Swedish"),
    ("ro", "Romanian"),
    ("hu", "Hungarian"),
    ("cs", "Czech"),
];

/// Where a professional may see clients by telehealth: the jurisdictions that license them
/// (ISO 3166-2 codes: the states of the United States with the District of Columbia and
/// Puerto Rico, and the provinces and territories of Canada).
pub const JURISDICTIONS: &[(&str, &str)] = &[
    ("US-AL", "Alabama"),
    ("US-AK", "Alaska"),
    ("US-AZ", "Arizona"),
    ("US-AR", "Arkansas"),
    ("US-CA", "California"),
    ("US-CO", "Colorado"),
    ("US-CT", "Connecticut"),
    ("US-DE", "Delaware"),
    ("US-DC", "District of Columbia"),
    ("US-FL", "Florida"),
    ("US-GA", "Georgia"),
    ("US-HI", "Hawaii"),
    ("US-ID", "Idaho"),
    ("US-IL", "Illinois"),
    ("US-IN", "Indiana"),
    ("US-IA", "Iowa"),
    ("US-KS", "Kansas"),
    ("US-KY", "Kentucky"),
    ("US-LA", "Louisiana"),
    ("US-ME", "Maine"),
    ("US-MD", "Maryland"),
    ("US-MA", "Massachusetts"),
    ("US-MI", "Michigan"),
    ("US-MN", "Minnesota"),
    ("US-MS", "Mississippi"),
    ("US-MO", "Missouri"),
    ("US-MT", "Montana"),
    ("US-NE", "Nebraska"),
    ("US-NV", "Nevada"),
    ("US-NH", "New Hampshire"),
    ("US-NJ", "New Jersey"),
    ("US-NM", "New Mexico"),
    ("US-NY", "New York"),
    ("US-NC", "North Carolina"),
    ("US-ND", "North Dakota"),
    ("US-OH", "Ohio"),
    ("US-OK", "Oklahoma"),
    ("US-OR", "Oregon"),
    ("US-PA", "Pennsylvania"),
    ("US-PR", "Puerto Rico"),
    ("US-RI", "Rhode Island"),
    ("US-SC", "South Carolina"),
    ("US-SD", "South Dakota"),
    ("US-TN", "Tennessee"),
    ("US-TX", "Texas"),
    ("US-UT", "Utah"),
    ("US-VT", "Vermont"),
    ("US-VA", "Virginia"),
    ("US-WA", "Washington"),
    ("US-WV", "West Virginia"),
    ("US-WI", "Wisconsin"),
    ("US-WY", "Wyoming"),
    ("CA-AB", "Alberta"),
    ("CA-BC", "British Columbia"),
    ("CA-MB", "Manitoba"),
    ("CA-NB", "New Brunswick"),
    ("CA-NL", "Newfoundland and Labrador"),
    ("CA-NS", "Nova Scotia"),
    ("CA-NT", "Northwest Territories"),
    ("CA-NU", "Nunavut"),
    ("CA-ON", "Ontario"),
    ("CA-PE", "Prince Edward Island"),
    ("CA-QC", "Quebec"),
    ("CA-SK", "Saskatchewan"),
    ("CA-YT", "Yukon"),
];

/// Position of `code` in a code table, which is its bit in the search index.
pub fn position(table: &[(&str, &str)], code: &str) -> Option<usize> {
    table.iter().position(|(key, _)| *key == code)
}

/// The name of a code in a table, or the code itself when the table no longer has it.
pub fn name_of<'a>(table: &'a [(&'a str, &'a str)], code: &'a str) -> &'a str {
    table
        .iter()
        .find(|(key, _)| *key == code)
        .map_or(code, |(_, name)| name)
}

/// Countries whose places a practice location may be in (the jurisdictions above).
pub const COUNTRIES: &[(&str, &str)] = &[("US", "United States"), ("CA", "Canada")];

/// The most practice locations one profile lists.
pub const MAX_LOCATIONS: usize = 5;

/// Fees are whole currency units per session; nobody charges more than this per session.
pub const MAX_FEE: u32 = 5_000;

/// One practice location as typed: the street line is shown as written; the postal code (or,
/// failing that, the city) is looked up in the gazetteer for coordinates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationInput {
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

/// A location whose text is acceptable; its coordinates come from the gazetteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationDraft {
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

/// A profile as the professional typed it (every field a string or a list of keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileInput {
    pub listed: bool,
    pub pronouns: String,
    pub practice_name: String,
    pub locations: Vec<LocationInput>,
    pub telehealth: bool,
    pub jurisdictions: Vec<String>,
    pub formats: Vec<String>,
    pub concerns: Vec<String>,
    pub populations: Vec<String>,
    pub approaches: Vec<String>,
    pub languages: Vec<String>,
    pub fee_min: String,
    pub fee_max: String,
    pub sliding_scale: bool,
    pub insurers: Vec<String>,
    pub accepting_clients: bool,
    pub statement: String,
    pub tips: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub website: String,
}

/// A profile that passed every rule below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDraft {
    pub listed: bool,
    pub pronouns: String,
    pub practice_name: String,
    pub locations: Vec<LocationDraft>,
    pub telehealth: bool,
    pub jurisdictions: BTreeSet<String>,
    pub formats: BTreeSet<Format>,
    pub concerns: BTreeSet<String>,
    pub populations: BTreeSet<String>,
    pub approaches: BTreeSet<String>,
    pub languages: BTreeSet<String>,
    pub fee_min: Option<u32>,
    pub fee_max: Option<u32>,
    pub sliding_scale: bool,
    pub insurers: BTreeSet<String>,
    pub accepting_clients: bool,
    pub statement: String,
    pub tips: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
}

/// Trims and refuses text over `max` characters or holding control characters other than
/// line breaks (which would break the page or the search index's one-line fields).
fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize, multiline: bool) -> String {
    let value = value.trim().replace("\r\n", "\n");
    if value.chars().count() > max {
        errors.add(
            field,
            format!(
                "Keep this to {max} characters or fewer (it has {}).",
                value.chars().count()
            ),
        );
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        errors.add(field, "Remove the control characters from this text.");
    }
    value
}

/// Keys checked against a list; an unknown key is named in the message.
fn keys(
    errors: &mut FieldErrors,
    field: &str,
    values: &[String],
    known: impl Fn(&str) -> bool,
    what: &str,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if known(value) {
            out.insert(value.to_owned());
        } else {
            errors.add(
                field,
                format!(
                    "\u{201c}{}\u{201d} is not a {what} on the board's list.",
                    shorten(value)
                ),
            );
        }
    }
    out
}

/// At most 40 characters of someone's input, for quoting it back in a message.
pub fn shorten(value: &str) -> String {
    let mut short: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        short.push('\u{2026}');
    }
    short
}

fn fee(errors: &mut FieldErrors, field: &str, value: &str) -> Option<u32> {
    let value = value.trim().trim_start_matches('$').replace(',', "");
    if value.is_empty() {
        return None;
    }
    match value.parse::<u32>() {
        Ok(amount) if amount <= MAX_FEE => Some(amount),
        Ok(_) => {
            errors.add(field, format!("Enter a fee of at most {MAX_FEE} per session."));
            None
        }
        Err(_) => {
            errors.add(field, "Enter the fee as a whole number, such as 150.");
            None
        }
    }
}

/// A phone number as people write it: digits with spaces, dots, dashes, brackets, a leading
/// plus and an extension; between 7 and 15 digits (E.164's longest).
fn phone(errors: &mut FieldErrors, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " .-()+x".contains(c) || c == 'e' || c == 't');
    if !allowed || !(7..=15).contains(&digits) || value.len() > 40 {
        errors.add("contact_phone", "Enter a phone number such as +1 415 555 0134.");
        return None;
    }
    Some(value.to_owned())
}

/// A website must be an https address without spaces (shown as a link on the public page).
fn website(errors: &mut FieldErrors, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let host = value.strip_prefix("https://").unwrap_or("");
    let host_part = host.split('/').next().unwrap_or("");
    if host_part.is_empty()
        || !host_part.contains('.')
        || value.len() > 200
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    {
        errors.add(
            "website",
            "Enter the full address starting with https://, such as https://example.org.",
        );
        return None;
    }
    Some(value.to_owned())
}

impl ProfileDraft {
    /// Applies every rule of a public profile. `lists` gives the board's concerns,
    /// populations, approaches and insurers.
    pub fn parse(input: &ProfileInput, lists: &BoardLists) -> Result<ProfileDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let pronouns = text(&mut errors, "pronouns", &input.pronouns, 40, false);
        let practice_name = text(&mut errors, "practice_name", &input.practice_name, 120, false);
        let statement = text(&mut errors, "statement", &input.statement, 1_500, true);
        let tips = text(&mut errors, "tips", &input.tips, 4_000, true);

        let mut locations = Vec::new();
        for (index, location) in input.locations.iter().enumerate() {
            let field = |name: &str| format!("locations[{index}].{name}");
            let address = text(&mut errors, &field("address"), &location.address, 160, false);
            let postal_code = text(&mut errors, &field("postal_code"), &location.postal_code, 12, false);
            let city = text(&mut errors, &field("city"), &location.city, 80, false);
            let country = location.country.trim().to_ascii_uppercase();
            if address.is_empty() && postal_code.is_empty() && city.is_empty() {
                // An empty row of the form: nothing typed, nothing kept.
                continue;
            }
            if postal_code.is_empty() && city.is_empty() {
                errors.add(
                    &field("postal_code"),
                    "Enter the postal code (or the city) of this location.",
                );
            }
            if position(COUNTRIES, &country).is_none() {
                errors.add(&field("country"), "Choose the United States or Canada.");
            }
            locations.push(LocationDraft {
                address,
                postal_code,
                city,
                country,
            });
        }
        if locations.len() > MAX_LOCATIONS {
            errors.add("locations", format!("List at most {MAX_LOCATIONS} practice locations."));
        }

        let jurisdictions = keys(
            &mut errors,
            "jurisdictions",
            &input.jurisdictions,
            |code| position(JURISDICTIONS, code).is_some(),
            "jurisdiction",
        );
        if input.telehealth && jurisdictions.is_empty() {
            errors.add(
                "jurisdictions",
                "Choose the states or provinces where you are licensed to see clients by telehealth.",
            );
        }
        let mut formats = BTreeSet::new();
        for key in &input.formats {
            match Format::parse(key.trim()) {
                Some(format) => {
                    formats.insert(format);
                }
                None => errors.add("formats", format!("\u{201c}{}\u{201d} is not a format.", shorten(key))),
            }
        }
        let concerns = keys(
            &mut errors,
            "concerns",
            &input.concerns,
            |k| lists.concerns.iter().any(|i| i.key == k),
            "concern",
        );
        let populations = keys(
            &mut errors,
            "populations",
            &input.populations,
            |k| lists.populations.iter().any(|i| i.key == k),
            "population",
        );
        let approaches = keys(
            &mut errors,
            "approaches",
            &input.approaches,
            |k| lists.approaches.iter().any(|i| i.key == k),
            "approach",
        );
        let insurers = keys(
            &mut errors,
            "insurers",
            &input.insurers,
            |k| lists.insurers.iter().any(|i| i.key == k),
            "insurer",
        );
        let languages = keys(
            &mut errors,
            "languages",
            &input.languages,
            |code| position(LANGUAGES, code).is_some(),
            "language",
        );
        let fee_min = fee(&mut errors, "fee_min", &input.fee_min);
        let fee_max = fee(&mut errors, "fee_max", &input.fee_max);
        if let (Some(min), Some(max)) = (fee_min, fee_max)
            && min > max
        {
            errors.add("fee_max", "The highest fee must be at least the lowest fee.");
        }
        let contact_email = match input.contact_email.trim() {
            "" => None,
            email => match crate::EmailAddress::parse(email) {
                Ok(address) => Some(address.as_str().to_owned()),
                Err(error) => {
                    errors.add("contact_email", error.to_string());
                    None
                }
            },
        };
        let contact_phone = phone(&mut errors, &input.contact_phone);
        let website = website(&mut errors, &input.website);

        // Rules that only matter for a listed profile: people must be able to find it and to
        // know what it offers.
        if input.listed {
            if locations.is_empty() && !input.telehealth {
                errors.add(
                    "locations",
                    "Add a practice location or offer telehealth, so people can find you.",
                );
            }
            if formats.is_empty() {
                errors.add("formats", "Choose at least one format.");
            }
            if concerns.is_empty() {
                errors.add("concerns", "Choose at least one concern you treat or teach about.");
            }
            if languages.is_empty() {
                errors.add("languages", "Choose at least one language.");
            }
        }
        errors.into_result()?;
        Ok(ProfileDraft {
            listed: input.listed,
            pronouns,
            practice_name,
            locations,
            telehealth: input.telehealth,
            jurisdictions,
            formats,
            concerns,
            populations,
            approaches,
            languages,
            fee_min,
            fee_max,
            sliding_scale: input.sliding_scale,
            insurers,
            accepting_clients: input.accepting_clients,
            statement,
            tips,
            contact_email,
            contact_phone,
            website,
        })
    }
}

/// Results per page of a directory search.
pub const PAGE_SIZE: usize = 20;
/// The furthest page anyone can ask for: deeper than this, a narrower search serves better,
/// and the index never has to rank more than `MAX_PAGE × PAGE_SIZE` results.
pub const MAX_PAGE: usize = 50;
/// The most values one filter may repeat, and the longest query string read: anything longer
/// was built to be expensive, not typed.
pub const MAX_VALUES_PER_FILTER: usize = 8;
pub const MAX_QUERY_BYTES: usize = 2_048;
/// The longest place a search takes, in characters as sent (white space around it included).
pub const MAX_PLACE_CHARS: usize = 100;

/// A directory search as asked. Every selected value narrows the results (a professional
/// must treat every chosen concern, work in every chosen format, and so on).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// A postal code or a city name, looked up in the gazetteer.
    pub place: Option<String>,
    pub radius: Option<Radius>,
    /// Telehealth in this jurisdiction (ISO 3166-2).
    pub telehealth_in: Option<String>,
    pub concerns: BTreeSet<String>,
    pub formats: BTreeSet<Format>,
    pub languages: BTreeSet<String>,
    pub kinds: BTreeSet<CredentialKind>,
    pub populations: BTreeSet<String>,
    pub insurers: BTreeSet<String>,
    pub accepting_only: bool,
    /// Only professionals whose lowest fee is at most this, or who offer a sliding scale.
    pub max_fee: Option<u32>,
    /// From 1.
    pub page: usize,
}

impl SearchQuery {
    /// Whether anything narrows the search beyond its place or telehealth jurisdiction.
    pub fn has_filters(&self) -> bool {
        !(self.concerns.is_empty()
            && self.formats.is_empty()
            && self.languages.is_empty()
            && self.kinds.is_empty()
            && self.populations.is_empty()
            && self.insurers.is_empty())
            || self.accepting_only
            || self.max_fee.is_some()
    }

    /// Reads a search from query-string pairs. Unknown parameter names are ignored (links
    /// carry tracking tags), and so are empty values (a form's empty fields); unknown values, a
    /// radius out of range, a page out of range and an oversized query are refused with a
    /// message per parameter.
    pub fn parse(pairs: &[(String, String)], lists: &BoardLists) -> Result<SearchQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut query = SearchQuery {
            page: 1,
            ..SearchQuery::default()
        };
        let total: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        if total > MAX_QUERY_BYTES {
            errors.add("query", "This search is too long. Choose fewer filters.");
            return Err(errors);
        }
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for (key, sent) in pairs {
            // What people type (a place, a fee, a distance) is trimmed; the other values come
            // from the form's menus and checkboxes, and must be sent exactly.
            let value = match key.as_str() {
                "place" | "max_fee" | "radius" => sent.trim(),
                _ => sent.as_str(),
            };
            let count = counts.entry(key.as_str()).or_default();
            *count += 1;
            if *count > MAX_VALUES_PER_FILTER {
                errors.add(key, format!("Choose at most {MAX_VALUES_PER_FILTER} values here."));
                continue;
            }
            match key.as_str() {
                // Measured as sent, even when only white space (then it counts as absent).
                "place" if sent.chars().count() > MAX_PLACE_CHARS => {
                    errors.add("place", "Enter a postal code or a city name.");
                }
                "place" if !value.is_empty() => {
                    if value.chars().any(char::is_control) {
                        errors.add("place", "Enter a postal code or a city name.");
                    } else {
                        query.place = Some(value.to_owned());
                    }
                }
                "radius" if !value.is_empty() => {
                    query.radius = errors.check("radius", Radius::parse(value));
                }
                "telehealth" if !value.is_empty() => {
                    if position(JURISDICTIONS, value).is_some() {
                        query.telehealth_in = Some(value.to_owned());
                    } else {
                        errors.add("telehealth", format!("\u{201c}{}\u{201d} is not a state or province code.", shorten(value)));
                    }
                }
                "concern" if !value.is_empty() => {
                    if lists.concerns.iter().any(|i| i.key == value) {
                        query.concerns.insert(value.to_owned());
                    } else {
                        errors.add("concern", format!("\u{201c}{}\u{201d} is not a concern on the list.", shorten(value)));
                    }
                }
                "population" if !value.is_empty() => {
                    if lists.populations.iter().any(|i| i.key == value) {
                        query.populations.insert(value.to_owned());
                    } else {
                        errors.add("population", format!("\u{201c}{}\u{201d} is not a population on the list.", shorten(value)));
                    }
                }
                "format" if !value.is_empty() => match Format::parse(value) {
                    Some(format) => {
                        query.formats.insert(format);
                    }
                    None => errors.add("format", format!("\u{201c}{}\u{201d} is not a format.", shorten(value))),
                },
                "language" if !value.is_empty() => {
                    if position(LANGUAGES, value).is_some() {
                        query.languages.insert(value.to_owned());
                    } else {
                        errors.add("language", format!("\u{201c}{}\u{201d} is not a language code on the list.", shorten(value)));
                    }
                }
                "credential" if !value.is_empty() => match CredentialKind::parse(value) {
                    Some(kind) => {
                        query.kinds.insert(kind);
                    }
                    None => errors.add(
                        "credential",
                        format!("\u{201c}{}\u{201d} is not a credential: choose therapist, counselor, educator or supervisor.", shorten(value)),
                    ),
                },
                "insurance" if !value.is_empty() => {
                    if lists.insurers.iter().any(|i| i.key == value) {
                        query.insurers.insert(value.to_owned());
                    } else {
                        errors.add("insurance", format!("\u{201c}{}\u{201d} is not an insurer on the list.", shorten(value)));
                    }
                }
                "accepting" if !value.is_empty() => match value {
                    "yes" | "true" | "1" | "on" => query.accepting_only = true,
                    "no" | "false" | "0" | "any" => query.accepting_only = false,
                    _ => errors.add("accepting", "Use yes or no."),
                },
                "max_fee" if !value.is_empty() => match value.trim_start_matches('$').parse::<u32>() {
                    Ok(amount) if amount <= MAX_FEE => query.max_fee = Some(amount),
                    _ => errors.add("max_fee", format!("Enter a whole amount between 0 and {MAX_FEE}.")),
                },
                "page" if !value.is_empty() => match value.parse::<usize>() {
                    Ok(page) if (1..=MAX_PAGE).contains(&page) => query.page = page,
                    _ => errors.add("page", format!("Pages run from 1 to {MAX_PAGE}; narrow the search to see further.")),
                },
                _ => {}
            }
        }
        // A radius only means something around a place. The search form always sends one (its
        // distance menu has no empty choice), so a telehealth-only search carries it too.
        if query.place.is_none() {
            query.radius = None;
        }
        errors.into_result()?;
        Ok(query)
    }

    /// The query string that asks this search again (shareable, stable order), with `page`
    /// replaced.
    pub fn to_query_string(&self, page: usize) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(place) = &self.place {
            pairs.push(("place", place.clone()));
        }
        if let Some(radius) = self.radius {
            pairs.push(("radius", radius.km().to_string()));
        }
        if let Some(code) = &self.telehealth_in {
            pairs.push(("telehealth", code.clone()));
        }
        pairs.extend(self.concerns.iter().map(|c| ("concern", c.clone())));
        pairs.extend(self.formats.iter().map(|f| ("format", f.key().to_owned())));
        pairs.extend(self.languages.iter().map(|l| ("language", l.clone())));
        pairs.extend(self.kinds.iter().map(|k| ("credential", k.as_str().to_owned())));
        pairs.extend(self.populations.iter().map(|p| ("population", p.clone())));
        pairs.extend(self.insurers.iter().map(|i| ("insurance", i.clone())));
        if self.accepting_only {
            pairs.push(("accepting", "yes".into()));
        }
        if let Some(fee) = self.max_fee {
            pairs.push(("max_fee", fee.to_string()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Whether the search asks for anything at all (an empty search shows the form only).
    pub fn is_empty(&self) -> bool {
        self.place.is_none() && self.telehealth_in.is_none()
    }
}

/// Percent-encodes a query-string value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else if byte == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentialing::programs::ListItem;

    fn lists() -> BoardLists {
        let item = |key: &str| ListItem {
            key: key.into(),
            name: key.into(),
        };
        BoardLists {
            concerns: vec![item("low_desire"), item("sexual_pain")],
            populations: vec![item("adults")],
            approaches: vec![item("cbt")],
            insurers: vec![item("aetna")],
            ..BoardLists::default()
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    fn listed_profile() -> ProfileInput {
        ProfileInput {
            listed: true,
            practice_name: "Harbor Sexual Health".into(),
            locations: vec![LocationInput {
                address: "450 Sutter St, Suite 1200".into(),
                postal_code: "94108".into(),
                city: "San Francisco".into(),
                country: "US".into(),
            }],
            formats: vec!["couples".into()],
            concerns: vec!["low_desire".into()],
            languages: vec!["en".into(), "es".into()],
            fee_min: "$120".into(),
            fee_max: "180".into(),
            ..ProfileInput::default()
        }
    }

    #[test]
    fn a_complete_profile_parses() {
        let draft = ProfileDraft::parse(&listed_profile(), &lists()).unwrap();
        assert_eq!(draft.fee_min, Some(120));
        assert_eq!(draft.locations.len(), 1);
        assert!(draft.formats.contains(&Format::Couples));
        assert_eq!(draft.languages.len(), 2);
    }

    #[test]
    fn each_bad_field_is_named() {
        let input = ProfileInput {
            telehealth: true,
            concerns: vec!["low_desire".into(), "astrology".into()],
            languages: vec!["xx".into()],
            fee_min: "200".into(),
            fee_max: "100".into(),
            website: "javascript:alert(1)".into(),
            contact_phone: "call me".into(),
            ..listed_profile()
        };
        let errors = ProfileDraft::parse(&input, &lists()).unwrap_err();
        assert!(errors.get("jurisdictions").unwrap().contains("licensed"));
        assert!(errors.get("concerns").unwrap().contains("astrology"));
        assert!(errors.get("languages").unwrap().contains("xx"));
        assert!(errors.get("fee_max").unwrap().contains("at least the lowest"));
        assert!(errors.get("website").unwrap().contains("https://"));
        assert!(errors.get("contact_phone").is_some());
    }

    #[test]
    fn a_listed_profile_needs_a_way_to_be_found() {
        let input = ProfileInput {
            locations: vec![],
            telehealth: false,
            ..listed_profile()
        };
        let errors = ProfileDraft::parse(&input, &lists()).unwrap_err();
        assert!(errors.get("locations").unwrap().contains("telehealth"));
        // An unlisted draft may be incomplete.
        let unlisted = ProfileInput { listed: false, ..input };
        assert!(ProfileDraft::parse(&unlisted, &lists()).is_ok());
    }

    #[test]
    fn a_search_reads_its_filters_and_refuses_unknown_values() {
        let query = SearchQuery::parse(
            &pairs(&[
                ("place", "94108"),
                ("radius", "40"),
                ("concern", "low_desire"),
                ("format", "couples"),
                ("language", "es"),
                ("credential", "therapist"),
                ("utm_source", "newsletter"),
                ("page", "2"),
            ]),
            &lists(),
        )
        .unwrap();
        assert_eq!(query.radius.unwrap().km(), 40);
        assert_eq!(query.page, 2);
        assert_eq!(
            query.to_query_string(1),
            "place=94108&radius=40&concern=low_desire&format=couples&language=es&credential=therapist"
        );
        let errors = SearchQuery::parse(
            &pairs(&[
                ("place", "x"),
                ("radius", "9000"),
                ("concern", "' OR 1=1 --"),
                ("page", "999"),
            ]),
            &lists(),
        )
        .unwrap_err();
        assert!(errors.get("radius").is_some());
        assert!(errors.get("concern").unwrap().contains("OR 1=1"));
        assert!(errors.get("page").unwrap().contains("narrow"));
    }

    #[test]
    fn a_search_built_to_be_expensive_is_refused() {
        let many: Vec<(&str, &str)> = std::iter::repeat_n(("concern", "low_desire"), 20).collect();
        let errors = SearchQuery::parse(&pairs(&many), &lists()).unwrap_err();
        assert!(errors.get("concern").unwrap().contains("at most"));
        let long = "a".repeat(5_000);
        let errors = SearchQuery::parse(&pairs(&[("place", &long)]), &lists()).unwrap_err();
        assert!(errors.get("query").is_some());
    }

    #[test]
    fn a_radius_without_a_place_is_ignored() {
        // What the search form sends for a telehealth-only search: its distance menu has no
        // empty choice.
        let query = SearchQuery::parse(
            &pairs(&[("place", ""), ("radius", "25"), ("telehealth", "US-CA")]),
            &lists(),
        )
        .unwrap();
        assert_eq!(query.radius, None);
        assert_eq!(query.telehealth_in.as_deref(), Some("US-CA"));
        assert_eq!(query.to_query_string(1), "telehealth=US-CA");
        let nothing = SearchQuery::parse(&pairs(&[("radius", "25")]), &lists()).unwrap();
        assert!(nothing.is_empty());
    }

    #[test]
    fn a_place_is_measured_as_sent() {
        let padded = |spaces: usize| format!("{}94108", " ".repeat(spaces));
        let fits = SearchQuery::parse(&pairs(&[("place", &padded(MAX_PLACE_CHARS - 5))]), &lists()).unwrap();
        assert_eq!(fits.place.as_deref(), Some("94108"));
        let errors = SearchQuery::parse(&pairs(&[("place", &padded(MAX_PLACE_CHARS - 4))]), &lists()).unwrap_err();
        assert!(errors.get("place").is_some());
        let blank = " ".repeat(MAX_PLACE_CHARS + 1);
        assert!(SearchQuery::parse(&pairs(&[("place", &blank)]), &lists()).is_err());
    }

    #[test]
    fn values_are_encoded_for_links() {
        assert_eq!(encode("São Paulo & co"), "S%C3%A3o+Paulo+%26+co");
    }
}
