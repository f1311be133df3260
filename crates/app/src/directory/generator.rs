//! Synthetic certified professionals for load tests and the benchmark: people with an issued
//! credential, a membership and a listed profile at a real postal code from the gazetteer,
//! written straight to the database in large transactions. The same seed makes the same
//! people. Generated people cannot sign in (their password hash is not a hash).

use domain::credentialing::credential_number::CredentialNumber;
use domain::directory::profiles::{Format, JURISDICTIONS, LANGUAGES};
use store::directory::gazetteer::PlaceRow;
use store::directory::profiles::{BulkRows, BulkValue};

use crate::{App, AppError, AppResult};

/// People written per transaction.
const BATCH: u64 = 5_000;

/// A small, fast, seedable generator (SplitMix64): reproducible without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const FIRST: [&str; 24] = [
    "Avery", "Jordan", "Priya", "Mateo", "Noor", "Elena", "Samuel", "Grace", "Hiroshi", "Amara", "Lucas", "Fatima",
    "Daniel", "Mei", "Olivia", "Kwame", "Sofia", "Ibrahim", "Hannah", "Diego", "Leah", "Arjun", "Chloe", "Tomasz",
];
const LAST: [&str; 24] = [
    "Nguyen", "Garcia", "Okafor", "Kim", "Haddad", "Rossi", "Cohen", "Patel", "Martin", "Silva", "Brown", "Kowalski",
    "Tanaka", "Moreau", "Adeyemi", "Larsen", "Murphy", "Chen", "Singh", "Lopez", "Novak", "Ali", "Baker", "Fischer",
];

/// The demo's first sample professionals carry names in the scripts a certificate must print
/// (Vietnamese, Greek, Cyrillic, Arabic, Hebrew), so the demo shows them on every document.
const WORLD_NAMES: [&str; 5] = [
    "Nguyễn Thị Minh",
    "Δημήτρης Παπαδόπουλος",
    "Ольга Иванова",
    "سارة المنصوري",
    "שרה כהן",
];

/// Languages weighted as a North American practice offers them (per cent per language).
const LANGUAGE_ODDS: [(&str, u64); 8] = [
    ("es", 22),
    ("fr", 6),
    ("zh", 3),
    ("ase", 2),
    ("vi", 2),
    ("ko", 2),
    ("ar", 2),
    ("pt", 2),
];

fn text(value: impl Into<String>) -> BulkValue {
    BulkValue::Text(value.into())
}

impl App {
    /// The next number of a reserved block (`(next, last)`), reserving 5,000 more when it runs
    /// out.
    async fn next_in_block(&self, block: &mut (i64, i64), name: &str, year: i32) -> AppResult<i64> {
        if block.0 == 0 || block.0 > block.1 {
            let last = self.store().reserve_sequence(name, year, 5_000).await?;
            *block = (last - 4_999, last);
        }
        let next = block.0;
        block.0 += 1;
        Ok(next)
    }

    /// Creates `count` listed professionals, spread over the gazetteer's postal codes.
    pub async fn generate_directory(&self, count: u64, seed: u64) -> AppResult<u64> {
        self.generate_professionals(count, seed, None).await
    }

    /// The same, for the demo: demo accounts (so the demo database stays a demo database),
    /// at postal codes starting with one of `prefixes` (a few metropolitan areas, so a
    /// newcomer's first search finds several people).
    pub(crate) async fn generate_demo_professionals(&self, count: u64, prefixes: &[&str]) -> AppResult<u64> {
        self.generate_professionals(count, 2026, Some(prefixes)).await
    }

    async fn generate_professionals(&self, count: u64, seed: u64, demo_prefixes: Option<&[&str]>) -> AppResult<u64> {
        let mut places: Vec<PlaceRow> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store().places_page("postal", after, 20_000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            places.extend(page.into_iter().filter(|place| {
                demo_prefixes.is_none_or(|prefixes| {
                    prefixes
                        .iter()
                        .any(|p| place.code_key.as_deref().is_some_and(|code| code.starts_with(p)))
                })
            }));
        }
        if places.is_empty() {
            return Err(AppError::Refused(
                "The gazetteer is empty: run scripts/gazetteer and `sensate gazetteer import` first.".into(),
            ));
        }
        let lists = self.board_lists().await?;
        let membership_kind = lists
            .membership_types
            .first()
            .map(|m| m.key.clone())
            .ok_or_else(|| AppError::Refused("The board lists have no membership type.".into()))?;
        let mut programs = Vec::new();
        for code in ["CST", "CSC", "CSE", "CST-S"] {
            let program = self.program(code, None).await?.program;
            programs.push((program.code.clone(), program.version.clone()));
        }
        let mut random = Random(seed);
        let now = self.now();
        let run = format!("{:08x}", random.next() as u32);
        // Numbers come from the same sequences as issued credentials, reserved a block at a
        // time, so generated and real credentials never share a number or a status position.
        let mut blocks = [(0i64, 0i64); 5];
        let mut made = 0;
        while made < count {
            let batch = BATCH.min(count - made);
            let mut users = BulkRows {
                table: "users",
                columns: &[
                    "id",
                    "email",
                    "display_name",
                    "password_hash",
                    "is_demo",
                    "created_at",
                    "updated_at",
                ],
                rows: Vec::new(),
            };
            let mut credentials = BulkRows {
                table: "credentials",
                columns: &[
                    "id",
                    "user_id",
                    "holder_name",
                    "program_code",
                    "rule_version",
                    "number",
                    "valid_from",
                    "valid_until",
                    "status",
                    "issued_at",
                    "status_index",
                    "created_at",
                ],
                rows: Vec::new(),
            };
            let mut memberships = BulkRows {
                table: "memberships",
                columns: &["id", "user_id", "kind", "valid_from", "valid_until", "created_at"],
                rows: Vec::new(),
            };
            let mut profiles = BulkRows {
                table: "directory_profiles",
                columns: &[
                    "user_id",
                    "listed",
                    "pronouns",
                    "practice_name",
                    "telehealth",
                    "jurisdictions",
                    "formats",
                    "concerns",
                    "populations",
                    "approaches",
                    "languages",
                    "fee_min",
                    "fee_max",
                    "sliding_scale",
                    "insurers",
                    "accepting_clients",
                    "statement",
                    "tips",
                    "contact_email",
                    "sort_key",
                    "created_at",
                    "updated_at",
                ],
                rows: Vec::new(),
            };
            let mut locations = BulkRows {
                table: "directory_locations",
                columns: &[
                    "user_id",
                    "position",
                    "address",
                    "postal_code",
                    "city",
                    "region",
                    "country",
                    "latitude",
                    "longitude",
                ],
                rows: Vec::new(),
            };
            for _ in 0..batch {
                let n = made;
                made += 1;
                let user_id = format!("{:032x}", (u128::from(random.next()) << 64) | u128::from(random.next()));
                let mut name = format!(
                    "{} {}",
                    FIRST[random.below(FIRST.len())],
                    LAST[random.below(LAST.len())]
                );
                if demo_prefixes.is_some()
                    && let Some(world) = usize::try_from(n).ok().and_then(|n| WORLD_NAMES.get(n))
                {
                    (*world).clone_into(&mut name);
                }
                users.rows.push(vec![
                    text(&user_id),
                    text(format!("generated-{run}-{n}@generated.sensate.test")),
                    text(&name),
                    text("!generated"),
                    BulkValue::Bool(demo_prefixes.is_some()),
                    BulkValue::Time(now),
                    BulkValue::Time(now),
                ]);
                // Therapists most, then counselors and educators; some therapists supervise.
                let roll = random.below(100);
                let mut held = vec![if roll < 60 {
                    0
                } else if roll < 80 {
                    1
                } else {
                    2
                }];
                if held[0] == 0 && random.chance(8) {
                    held.push(3);
                }
                for which in held {
                    let (code, version) = &programs[which];
                    let sequence = self.next_in_block(&mut blocks[which], code.as_str(), 2025).await?;
                    let status_sequence = self.next_in_block(&mut blocks[4], "status-list", 0).await?;
                    let (list, bit) = crate::credentialing::credentials::status_position(status_sequence);
                    let number = u32::try_from(sequence)
                        .ok()
                        .and_then(|sequence| CredentialNumber::new(code, 2025, sequence))
                        .ok_or_else(|| AppError::Refused("Too many generated credentials for one program.".into()))?;
                    credentials.rows.push(vec![
                        text(format!(
                            "{:032x}",
                            (u128::from(random.next()) << 64) | u128::from(random.next())
                        )),
                        text(&user_id),
                        text(&name),
                        text(code.to_string()),
                        text(version),
                        text(number.as_str()),
                        text("2025-06-01"),
                        text("2028-05-31"),
                        text("active"),
                        BulkValue::Time(now),
                        BulkValue::Int((list - 1) * crate::credentialing::credentials::LIST_SIZE + bit as i64),
                        BulkValue::Time(now),
                    ]);
                }
                memberships.rows.push(vec![
                    text(format!(
                        "{:032x}",
                        (u128::from(random.next()) << 64) | u128::from(random.next())
                    )),
                    text(&user_id),
                    text(&membership_kind),
                    text("2025-01-01"),
                    BulkValue::OptionalText(None),
                    BulkValue::Time(now),
                ]);
                let place = &places[random.below(places.len())];
                let pick = |random: &mut Random,
                            items: &[domain::credentialing::programs::ListItem],
                            least: usize,
                            most: usize| {
                    let want = least + random.below(most - least + 1);
                    let mut keys: Vec<&str> = Vec::new();
                    for _ in 0..want * 2 {
                        let key = items[random.below(items.len())].key.as_str();
                        if !keys.contains(&key) && keys.len() < want {
                            keys.push(key);
                        }
                    }
                    keys.join(" ")
                };
                let mut formats = vec![Format::Individuals.key()];
                if random.chance(60) {
                    formats.push(Format::Couples.key());
                }
                if random.chance(15) {
                    formats.push(Format::Groups.key());
                }
                let mut languages = vec!["en"];
                for (code, odds) in LANGUAGE_ODDS {
                    if random.chance(odds) {
                        languages.push(code);
                    }
                }
                if random.chance(2) {
                    languages.push(LANGUAGES[random.below(LANGUAGES.len())].0);
                }
                languages.sort_unstable();
                languages.dedup();
                let telehealth = random.chance(50);
                let home = JURISDICTIONS
                    .iter()
                    .find(|(code, _)| code[3..] == place.region_code && code.starts_with(&place.country))
                    .map_or("US-NY", |(code, _)| code);
                let mut jurisdictions = vec![home];
                if telehealth && random.chance(30) {
                    jurisdictions.push(JURISDICTIONS[random.below(JURISDICTIONS.len())].0);
                }
                jurisdictions.sort_unstable();
                jurisdictions.dedup();
                let fee_min = 80 + 10 * random.below(17) as i32;
                profiles.rows.push(vec![
                    text(&user_id),
                    BulkValue::Bool(true),
                    text(""),
                    text(format!("{} Sexual Health", place.name)),
                    BulkValue::Bool(telehealth),
                    text(if telehealth {
                        jurisdictions.join(" ")
                    } else {
                        String::new()
                    }),
                    text(formats.join(" ")),
                    text(pick(&mut random, &lists.concerns, 2, 7)),
                    text(pick(&mut random, &lists.populations, 0, 3)),
                    text(pick(&mut random, &lists.approaches, 1, 3)),
                    text(languages.join(" ")),
                    BulkValue::OptionalInt(Some(fee_min)),
                    BulkValue::OptionalInt(Some(fee_min + 40)),
                    BulkValue::Bool(random.chance(30)),
                    text(pick(&mut random, &lists.insurers, 0, 3)),
                    BulkValue::Bool(random.chance(70)),
                    text(if demo_prefixes.is_some() {
                        "A sample profile of the demo directory."
                    } else {
                        "Generated profile for load testing."
                    }),
                    text(""),
                    BulkValue::OptionalText(None),
                    BulkValue::Int(random.next() as i64),
                    BulkValue::Time(now),
                    BulkValue::Time(now),
                ]);
                locations.rows.push(vec![
                    text(&user_id),
                    BulkValue::Int(0),
                    text(""),
                    text(place.code_key.clone().unwrap_or_default()),
                    text(&place.name),
                    text(&place.region_code),
                    text(&place.country),
                    BulkValue::Float(place.latitude),
                    BulkValue::Float(place.longitude),
                ]);
            }
            self.store()
                .insert_generated(&[users, credentials, memberships, profiles, locations])
                .await?;
        }
        self.store().analyze_directory().await?;
        Ok(made)
    }
}
