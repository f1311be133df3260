//! The public directory: a certified professional's profile (edited by them, listed only
//! while one of their credentials is in good standing), the public profile page, and the
//! search, answered from this node's in-memory index ([`crate::directory::index`]).
//!
//! Freshness across nodes: every write that can change a listing records a change in the
//! same transaction (`store::directory::profiles`); each node reads the changes it has not seen at
//! most every quarter second, on the next search after that (and the node that made a change
//! looks at once). A suspended credential therefore leaves this node's results at once and
//! every other node's within a quarter second of its next request, with no restart and no
//! timer.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use domain::credentialing::programs::{BoardLists, CredentialKind, Rule};
use domain::directory::geo::Coordinates;
use domain::directory::profiles::{
    Format, JURISDICTIONS, LANGUAGES, LocationInput, PAGE_SIZE, ProfileDraft, ProfileInput, SearchQuery, position,
};
use domain::{FieldErrors, UserId};
use store::directory::profiles::{ListingBatch, ListingCredential, ListingMembership, LocationRow, ProfileRow};
use time::Date;

use crate::authz::Permission;
use crate::directory::cards::{CardCache, CardFacts};
use crate::directory::gazetteer::{Place, PlaceLookup};
use crate::directory::index::{
    ACCEPTING, Criteria, DirectoryIndex, FacetCounts, Facets, NO_FEE, SLIDING_SCALE, TELEHEALTH, day_number,
};
use crate::platform::audit::AuditEvent;
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// How often, at most, a node looks for changes made elsewhere (a change made on this node
/// makes the next request look at once).
const POLL_EVERY: Duration = Duration::from_millis(250);
/// Profiles loaded per batch when the index is built.
const LOAD_BATCH: i64 = 5_000;

/// The bits the index gives the board's lists (their order in the lists file).
#[derive(Debug, Clone, Default)]
struct Vocabulary {
    version: String,
    concerns: Vec<String>,
    populations: Vec<String>,
    insurers: Vec<String>,
}

impl Vocabulary {
    fn of(lists: &BoardLists) -> Vocabulary {
        let keys = |items: &[domain::credentialing::programs::ListItem], max: usize| -> Vec<String> {
            items.iter().take(max).map(|i| i.key.clone()).collect()
        };
        Vocabulary {
            version: lists.version.clone(),
            concerns: keys(&lists.concerns, 64),
            populations: keys(&lists.populations, 32),
            insurers: keys(&lists.insurers, 32),
        }
    }
}

fn bits_of<'a>(list: &[String], keys: impl IntoIterator<Item = &'a str>) -> u64 {
    keys.into_iter()
        .filter_map(|key| list.iter().position(|k| k == key))
        .fold(0, |bits, i| bits | (1 << i))
}

fn table_bits<'a>(table: &[(&str, &str)], keys: impl IntoIterator<Item = &'a str>) -> u128 {
    keys.into_iter()
        .filter_map(|key| position(table, key))
        .fold(0, |bits, i| bits | (1 << i))
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
}

/// What the listing needs to know of a program.
#[derive(Debug, Clone)]
struct ProgramFacts {
    kind: CredentialKind,
    needs_membership: bool,
    depends_on: Option<String>,
}

/// The directory's per-node state: the index, the lists it was built with, how far it has
/// followed the change feed.
#[derive(Default)]
pub struct DirectoryState {
    index: RwLock<DirectoryIndex>,
    // Shared, not copied, by every search.
    vocabulary: RwLock<Arc<Vocabulary>>,
    lists: RwLock<Arc<BoardLists>>,
    head: AtomicI64,
    loaded: AtomicBool,
    last_poll: Mutex<Option<Instant>>,
    /// One loader or refresher at a time.
    updating: tokio::sync::Mutex<()>,
    programs: Mutex<HashMap<(String, String), Option<ProgramFacts>>>,
    /// Result cards shown recently (dropped as their holders change).
    cards: CardCache,
}

/// A practice location as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownLocation {
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub region: String,
    pub country: String,
}

impl From<&LocationRow> for ShownLocation {
    fn from(row: &LocationRow) -> Self {
        ShownLocation {
            address: row.address.clone(),
            postal_code: row.postal_code.clone(),
            city: row.city.clone(),
            region: row.region.clone(),
            country: row.country.clone(),
        }
    }
}

/// A credential badge on a profile: from the credential record, linking to verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub number: String,
    pub program_name: String,
    pub kind: CredentialKind,
    pub valid_until: Date,
}

/// A key with its name, for the lists shown on a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub key: String,
    pub name: String,
}

/// A profile as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicProfile {
    pub user_id: String,
    pub name: String,
    pub pronouns: String,
    pub practice_name: String,
    pub badges: Vec<Badge>,
    pub locations: Vec<ShownLocation>,
    pub telehealth: bool,
    pub jurisdictions: Vec<Named>,
    pub formats: Vec<Named>,
    pub concerns: Vec<Named>,
    pub populations: Vec<Named>,
    pub approaches: Vec<Named>,
    pub languages: Vec<Named>,
    pub fee_min: Option<i32>,
    pub fee_max: Option<i32>,
    pub sliding_scale: bool,
    pub insurers: Vec<Named>,
    pub accepting_clients: bool,
    pub statement: String,
    pub tips: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
    pub has_photo: bool,
}

/// The edit form's contents and what the holder sees around it.
#[derive(Debug, Clone)]
pub struct ProfileEditor {
    pub input: ProfileInput,
    pub name_as_certified: String,
    pub badges: Vec<Badge>,
    /// Whether the public can see the profile now, and if not, why.
    pub visibility: Visibility,
    pub lists: BoardLists,
    pub has_photo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Listed,
    NotSaved,
    HiddenByChoice,
    NoCredentialInGoodStanding,
}

/// One result card.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultCard {
    pub user_id: String,
    pub name: String,
    pub pronouns: String,
    pub practice_name: String,
    pub kinds: Vec<CredentialKind>,
    pub distance_km: Option<f64>,
    pub location: Option<ShownLocation>,
    pub telehealth: bool,
    pub accepting_clients: bool,
    pub fee_min: Option<i32>,
    pub fee_max: Option<i32>,
    pub sliding_scale: bool,
    pub concerns: Vec<Named>,
    pub languages: Vec<Named>,
    pub formats: Vec<Named>,
}

/// One value of a filter with how many results have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    pub key: String,
    pub name: String,
    pub count: u32,
    pub selected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FacetView {
    pub concerns: Vec<FacetValue>,
    pub formats: Vec<FacetValue>,
    pub languages: Vec<FacetValue>,
    pub kinds: Vec<FacetValue>,
    pub populations: Vec<FacetValue>,
    pub insurers: Vec<FacetValue>,
    pub accepting: u32,
    pub sliding_scale: u32,
}

/// A way to find more when a search found nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widening {
    pub label: String,
    pub query_string: String,
    pub total: usize,
}

/// A search's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectorySearch {
    pub query: SearchQuery,
    pub place: Option<Place>,
    /// Set when the place was not found: the nearest spellings or codes.
    pub place_suggestions: Option<Vec<Place>>,
    /// Set when the place could not be looked up because this installation holds no places
    /// at all (nothing the visitor typed is wrong).
    pub places_missing: bool,
    pub total: usize,
    pub results: Vec<ResultCard>,
    pub facets: FacetView,
    pub widen: Vec<Widening>,
    pub page: usize,
    pub pages: usize,
}

/// When each kind of credential stops being in good standing, from the person's credentials
/// and memberships as they stand today (0: not in good standing today).
fn kinds_until(
    credentials: &[&ListingCredential],
    memberships: &[&ListingMembership],
    programs: &HashMap<(String, String), Option<ProgramFacts>>,
    today: Date,
) -> [u16; 4] {
    let mut until = [0u16; 4];
    for credential in credentials {
        if let Some((kind, end)) = good_until(credential, credentials, memberships, programs, today, 0) {
            let slot = kind as usize;
            until[slot] = until[slot].max(day_number(end));
        }
    }
    until
}

fn day(text: &str) -> Option<Date> {
    crate::credentialing::evidence::parse_day(text)
}

/// The last day a credential stays in good standing if nothing else happens, or `None` if
/// it is not in good standing today. Mirrors `credential_status::status_on`: the board's
/// action, the dates, the membership (consecutive memberships chained), the credential it
/// depends on.
fn good_until(
    credential: &ListingCredential,
    all: &[&ListingCredential],
    memberships: &[&ListingMembership],
    programs: &HashMap<(String, String), Option<ProgramFacts>>,
    today: Date,
    depth: u8,
) -> Option<(CredentialKind, Date)> {
    let facts = programs
        .get(&(credential.program_code.clone(), credential.rule_version.clone()))
        .cloned()
        .flatten()?;
    if credential.status != "active" {
        return None;
    }
    let from = day(&credential.valid_from)?;
    let mut end = day(&credential.valid_until)?;
    if today < from || today > end {
        return None;
    }
    if facts.needs_membership {
        let spans: Vec<(Date, Option<Date>)> = memberships
            .iter()
            .filter_map(|m| Some((day(&m.valid_from)?, m.valid_until.as_deref().and_then(day))))
            .collect();
        let current = spans
            .iter()
            .filter(|(from, until)| *from <= today && until.is_none_or(|u| today <= u))
            .map(|(_, until)| *until)
            .max_by_key(|until| until.unwrap_or(Date::MAX));
        let mut covered_to = current?;
        // A membership starting the day after (or before) the current one ends carries on.
        while let Some(last) = covered_to {
            let next = spans
                .iter()
                .filter(|(from, until)| *from <= last.next_day().unwrap_or(last) && until.is_none_or(|u| u > last))
                .map(|(_, until)| *until)
                .max_by_key(|until| until.unwrap_or(Date::MAX));
            match next {
                Some(extended) => covered_to = extended,
                None => break,
            }
        }
        if let Some(last) = covered_to {
            end = end.min(last);
        }
    }
    if let Some(code) = &facts.depends_on {
        if depth > 0 {
            return None;
        }
        let dependency_end = all
            .iter()
            .filter(|c| &c.program_code == code)
            .filter_map(|c| good_until(c, all, memberships, programs, today, depth + 1))
            .map(|(_, end)| end)
            .max()?;
        end = end.min(dependency_end);
    }
    Some((facts.kind, end))
}

/// The index facts of a saved profile.
fn facets_of(profile: &ProfileRow, vocabulary: &Vocabulary, kinds_until: [u16; 4]) -> Facets {
    let mut flags = 0;
    if profile.accepting_clients {
        flags |= ACCEPTING;
    }
    if profile.telehealth {
        flags |= TELEHEALTH;
    }
    if profile.sliding_scale {
        flags |= SLIDING_SCALE;
    }
    let formats = words(&profile.formats)
        .filter_map(Format::parse)
        .fold(0u8, |bits, f| bits | f.bit());
    Facets {
        concerns: bits_of(&vocabulary.concerns, words(&profile.concerns)),
        languages: u64::try_from(table_bits(LANGUAGES, words(&profile.languages))).unwrap_or(0),
        jurisdictions: Facets::jurisdiction_words(table_bits(JURISDICTIONS, words(&profile.jurisdictions))),
        populations: u32::try_from(bits_of(&vocabulary.populations, words(&profile.populations))).unwrap_or(0),
        insurers: u32::try_from(bits_of(&vocabulary.insurers, words(&profile.insurers))).unwrap_or(0),
        formats,
        flags,
        fee_min: profile.fee_min.and_then(|f| u16::try_from(f).ok()).unwrap_or(NO_FEE),
        kinds_until,
        // The low 32 bits of a random 64-bit number are as random.
        sort_key: (profile.sort_key & 0xFFFF_FFFF) as u32,
    }
}

fn kind_bit(kind: CredentialKind) -> u8 {
    1 << (kind as u8)
}

fn kinds_of(bits: u8) -> Vec<CredentialKind> {
    CredentialKind::ALL
        .into_iter()
        .filter(|kind| bits & kind_bit(*kind) != 0)
        .collect()
}

fn named(items: &[domain::credentialing::programs::ListItem], keys: &str) -> Vec<Named> {
    words(keys)
        .map(|key| Named {
            key: key.to_owned(),
            name: items
                .iter()
                .find(|i| i.key == key)
                .map_or_else(|| key.to_owned(), |i| i.name.clone()),
        })
        .collect()
}

fn named_from_table(table: &[(&str, &str)], keys: &str) -> Vec<Named> {
    words(keys)
        .map(|key| Named {
            key: key.to_owned(),
            name: domain::directory::profiles::name_of(table, key).to_owned(),
        })
        .collect()
}

fn named_formats(keys: &str) -> Vec<Named> {
    words(keys)
        .filter_map(Format::parse)
        .map(|f| Named {
            key: f.key().to_owned(),
            name: f.name().to_owned(),
        })
        .collect()
}

fn join(keys: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    keys.into_iter()
        .map(|k| k.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

impl App {
    fn directory(&self) -> &DirectoryState {
        &self.inner.directory
    }

    /// The facts of every program version the people in `batch` hold credentials under.
    async fn program_facts(&self, batch: &ListingBatch) -> HashMap<(String, String), Option<ProgramFacts>> {
        let wanted: BTreeSet<(String, String)> = batch
            .credentials
            .iter()
            .map(|c| (c.program_code.clone(), c.rule_version.clone()))
            .collect();
        let mut known = self
            .directory()
            .programs
            .lock()
            .map(|programs| programs.clone())
            .unwrap_or_default();
        for key in wanted {
            if known.contains_key(&key) {
                continue;
            }
            let facts = self.program_of(&key.0, &key.1).await.map(|program| ProgramFacts {
                kind: program.kind,
                needs_membership: program
                    .requirements
                    .iter()
                    .any(|r| matches!(r.rule, Rule::Membership { .. })),
                depends_on: program.requirements.iter().find_map(|r| match &r.rule {
                    Rule::Credential { program, .. } => Some(program.to_string()),
                    _ => None,
                }),
            });
            known.insert(key, facts);
        }
        if let Ok(mut programs) = self.directory().programs.lock() {
            programs.clone_from(&known);
        }
        known
    }

    /// Applies a batch to the index: people in `everyone` who are not (or no longer) listed
    /// are taken out.
    async fn apply_batch(&self, batch: &ListingBatch, everyone: &[String]) -> AppResult<()> {
        let programs = self.program_facts(batch).await;
        let today = self.today();
        let vocabulary = self
            .directory()
            .vocabulary
            .read()
            .map(|v| Arc::clone(&v))
            .unwrap_or_default();
        let mut credentials: HashMap<&str, Vec<&ListingCredential>> = HashMap::new();
        for credential in &batch.credentials {
            credentials
                .entry(credential.user_id.as_str())
                .or_default()
                .push(credential);
        }
        let mut memberships: HashMap<&str, Vec<&ListingMembership>> = HashMap::new();
        for membership in &batch.memberships {
            memberships
                .entry(membership.user_id.as_str())
                .or_default()
                .push(membership);
        }
        let mut locations: HashMap<&str, Vec<Coordinates>> = HashMap::new();
        for location in &batch.locations {
            if let Ok(point) = Coordinates::new(location.latitude, location.longitude) {
                locations.entry(location.user_id.as_str()).or_default().push(point);
            }
        }
        let mut index = self
            .directory()
            .index
            .write()
            .map_err(|_| AppError::internal(anyhow::anyhow!("directory index lock poisoned")))?;
        let mut seen = BTreeSet::new();
        for profile in &batch.profiles {
            seen.insert(profile.user_id.as_str());
            let until = kinds_until(
                credentials.get(profile.user_id.as_str()).map_or(&[][..], Vec::as_slice),
                memberships.get(profile.user_id.as_str()).map_or(&[][..], Vec::as_slice),
                &programs,
                today,
            );
            let places = locations.get(profile.user_id.as_str()).map_or(&[][..], Vec::as_slice);
            if profile.listed && until.iter().any(|u| *u != 0) && (!places.is_empty() || profile.telehealth) {
                index.upsert(&profile.user_id, facets_of(profile, &vocabulary, until), places);
            } else {
                index.remove(&profile.user_id);
            }
        }
        for user_id in everyone {
            if !seen.contains(user_id.as_str()) {
                index.remove(user_id);
            }
        }
        Ok(())
    }

    /// Builds this node's index from the database (at start, and again if the board's lists
    /// change). Searches wait for the first build.
    pub async fn load_directory(&self) -> AppResult<usize> {
        let _updating = self.directory().updating.lock().await;
        self.load_directory_locked().await
    }

    async fn load_directory_locked(&self) -> AppResult<usize> {
        let lists = self.board_lists().await?;
        let head = self.store().directory_head().await?;
        if let Ok(mut vocabulary) = self.directory().vocabulary.write() {
            *vocabulary = Arc::new(Vocabulary::of(&lists));
        }
        if let Ok(mut held) = self.directory().lists.write() {
            *held = Arc::new(lists);
        }
        if let Ok(mut index) = self.directory().index.write() {
            *index = DirectoryIndex::new();
        }
        self.directory().cards.clear();
        let mut after = String::new();
        loop {
            let (batch, last) = self.store().listing_batch_after(&after, LOAD_BATCH).await?;
            let Some(last) = last else { break };
            self.apply_batch(&batch, &[]).await?;
            after = last;
        }
        self.directory().head.store(head, Ordering::SeqCst);
        self.directory().loaded.store(true, Ordering::SeqCst);
        if let Ok(mut last) = self.directory().last_poll.lock() {
            *last = Some(Instant::now());
        }
        Ok(self.directory().index.read().map(|i| i.len()).unwrap_or(0))
    }

    /// Follows the change feed: reloads the people changed since this node last looked.
    /// `force` looks now rather than at most once a second.
    pub async fn refresh_directory(&self, force: bool) -> AppResult<()> {
        if !self.directory().loaded.load(Ordering::SeqCst) {
            self.load_directory().await?;
            return Ok(());
        }
        if !force {
            let due = self
                .directory()
                .last_poll
                .lock()
                .map(|last| last.is_none_or(|at| at.elapsed() >= POLL_EVERY))
                .unwrap_or(true);
            if !due {
                return Ok(());
            }
        }
        // Another request is refreshing: this one answers from the index as it is.
        let Ok(_updating) = self.directory().updating.try_lock() else {
            return Ok(());
        };
        if let Ok(mut last) = self.directory().last_poll.lock() {
            *last = Some(Instant::now());
        }
        let lists_version = self
            .directory()
            .vocabulary
            .read()
            .map(|v| v.version.clone())
            .unwrap_or_default();
        if self.board_lists().await?.version != lists_version {
            self.load_directory_locked().await?;
            return Ok(());
        }
        loop {
            let head = self.directory().head.load(Ordering::SeqCst);
            let changes = self.store().directory_changes_after(head, 500).await?;
            let Some((last, _)) = changes.last() else { break };
            let last = *last;
            let people: Vec<String> = changes
                .into_iter()
                .map(|(_, user)| user)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let batch = self.store().listing_batch_of(&people).await?;
            self.apply_batch(&batch, &people).await?;
            self.directory().cards.forget(&people);
            self.directory().head.store(last, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Something that may change a listing was written on this node: the next search looks at
    /// the change feed before answering, so this node shows it at once.
    pub(crate) fn directory_may_have_changed(&self) {
        if let Ok(mut last) = self.directory().last_poll.lock() {
            *last = None;
        }
    }

    /// The lists the directory was built with (for parsing searches without a query).
    pub async fn directory_lists(&self) -> AppResult<Arc<BoardLists>> {
        self.refresh_directory(false).await?;
        Ok(self
            .directory()
            .lists
            .read()
            .map(|l| Arc::clone(&l))
            .unwrap_or_default())
    }

    /// Profiles listed on this node.
    pub fn directory_size(&self) -> (usize, usize) {
        self.directory()
            .index
            .read()
            .map(|i| (i.len(), i.approximate_bytes()))
            .unwrap_or((0, 0))
    }

    /// The credentials the board issued to `holder`, as badges (those in good standing only
    /// when `current_only`).
    async fn badges_of(&self, holder: &str, current_only: bool) -> AppResult<Vec<Badge>> {
        let mut badges = Vec::new();
        for credential in self.store().issued_credentials_of(holder).await? {
            let status = self.credential_status(&credential).await?;
            if current_only && !status.in_good_standing() {
                continue;
            }
            let Some(program) = self
                .program_of(&credential.program_code, &credential.rule_version)
                .await
            else {
                continue;
            };
            let Some(valid_until) = day(&credential.valid_until) else {
                continue;
            };
            badges.push(Badge {
                number: credential.number.clone(),
                program_name: program.name.clone(),
                kind: program.kind,
                valid_until,
            });
        }
        Ok(badges)
    }

    async fn require_holder(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<Vec<store::credentialing::credentials::IssuedCredential>> {
        let credentials = self.store().issued_credentials_of(actor.user_id.as_str()).await?;
        self.authorize(
            actor,
            Permission::EditDirectoryProfile {
                holds_credential: !credentials.is_empty(),
            },
            meta,
        )
        .await?;
        Ok(credentials)
    }

    /// The profile editor: what was saved (or an empty profile), the badges, whether it shows.
    pub async fn profile_editor(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<ProfileEditor> {
        let credentials = self.require_holder(actor, meta).await?;
        let lists = self.board_lists().await?;
        let badges = self.badges_of(actor.user_id.as_str(), false).await?;
        let current = self.badges_of(actor.user_id.as_str(), true).await?;
        let saved = self.store().directory_profile(actor.user_id.as_str()).await?;
        let name_as_certified = credentials
            .iter()
            .max_by_key(|c| c.issued_at)
            .map_or_else(|| actor.display_name.clone(), |c| c.holder_name.clone());
        let (input, visibility, has_photo) = match saved {
            None => (
                ProfileInput {
                    listed: true,
                    accepting_clients: true,
                    contact_email: actor.email.as_str().to_owned(),
                    ..ProfileInput::default()
                },
                Visibility::NotSaved,
                false,
            ),
            Some((profile, locations)) => {
                let visibility = if !profile.listed {
                    Visibility::HiddenByChoice
                } else if current.is_empty() {
                    Visibility::NoCredentialInGoodStanding
                } else {
                    Visibility::Listed
                };
                let has_photo = profile.photo_path.is_some();
                (input_of(&profile, &locations), visibility, has_photo)
            }
        };
        Ok(ProfileEditor {
            input,
            name_as_certified,
            badges,
            visibility,
            lists,
            has_photo,
        })
    }

    /// Saves the holder's profile. Each location's postal code (or city) is looked up in the
    /// gazetteer; one that is not found is named with suggestions and nothing is saved.
    pub async fn save_profile(&self, actor: &Actor, input: &ProfileInput, meta: &RequestMeta) -> AppResult<()> {
        self.require_holder(actor, meta).await?;
        let lists = self.board_lists().await?;
        let draft = ProfileDraft::parse(input, &lists).map_err(AppError::Validation)?;
        let mut errors = FieldErrors::new();
        let mut locations = Vec::new();
        for (index, location) in draft.locations.iter().enumerate() {
            let typed = if location.postal_code.is_empty() {
                location.city.clone()
            } else {
                location.postal_code.clone()
            };
            match self.locate(&typed).await? {
                PlaceLookup::Found(place) if place.country == location.country => {
                    locations.push(LocationRow {
                        user_id: actor.user_id.as_str().to_owned(),
                        position: i32::try_from(index).unwrap_or(0),
                        address: location.address.clone(),
                        postal_code: place
                            .postal_code
                            .clone()
                            .unwrap_or_else(|| location.postal_code.clone()),
                        city: if location.city.is_empty() {
                            place.name.clone()
                        } else {
                            location.city.clone()
                        },
                        region: place.region_code.clone(),
                        country: place.country.clone(),
                        latitude: place.coordinates.lat(),
                        longitude: place.coordinates.lon(),
                    });
                }
                PlaceLookup::Found(place) => errors.add(
                    &format!("locations[{index}].country"),
                    format!(
                        "{} is in {}; choose that country or check the code.",
                        place.label(),
                        place.country
                    ),
                ),
                PlaceLookup::NotFound { suggestions } => {
                    let field = if location.postal_code.is_empty() {
                        "city"
                    } else {
                        "postal_code"
                    };
                    let mut message = format!("We could not find \u{201c}{typed}\u{201d}.");
                    if !suggestions.is_empty() {
                        let names: Vec<String> = suggestions.iter().map(Place::label).collect();
                        message.push_str(&format!(" Did you mean {}?", names.join(", or ")));
                    }
                    errors.add(&format!("locations[{index}].{field}"), message);
                }
            }
        }
        errors.into_result().map_err(AppError::Validation)?;
        let now = self.now();
        let profile = ProfileRow {
            user_id: actor.user_id.as_str().to_owned(),
            listed: draft.listed,
            pronouns: draft.pronouns,
            practice_name: draft.practice_name,
            telehealth: draft.telehealth,
            jurisdictions: join(&draft.jurisdictions),
            formats: join(draft.formats.iter().map(|f| f.key())),
            concerns: join(&draft.concerns),
            populations: join(&draft.populations),
            approaches: join(&draft.approaches),
            languages: join(&draft.languages),
            fee_min: draft.fee_min.and_then(|f| i32::try_from(f).ok()),
            fee_max: draft.fee_max.and_then(|f| i32::try_from(f).ok()),
            sliding_scale: draft.sliding_scale,
            insurers: join(&draft.insurers),
            accepting_clients: draft.accepting_clients,
            statement: draft.statement,
            tips: draft.tips,
            contact_email: draft.contact_email,
            contact_phone: draft.contact_phone,
            website: draft.website,
            photo_path: None,
            photo_media_type: None,
            sort_key: random::sort_key()?,
            created_at: now,
            updated_at: now,
        };
        let existing = self.store().directory_profile(actor.user_id.as_str()).await?;
        let profile = ProfileRow {
            photo_path: existing.as_ref().and_then(|(p, _)| p.photo_path.clone()),
            photo_media_type: existing.as_ref().and_then(|(p, _)| p.photo_media_type.clone()),
            ..profile
        };
        self.store().save_directory_profile(&profile, &locations).await?;
        self.record(
            actor,
            AuditEvent::success("directory.profile_saved").subject("user", actor.user_id.as_str()),
            meta,
        )
        .await?;
        // This node shows the change at once; the others on their next look at the feed.
        self.refresh_directory(true).await?;
        Ok(())
    }

    /// A listed profile as the public sees it; not found unless listed and in good standing.
    pub async fn public_profile(&self, user_id: &str) -> AppResult<PublicProfile> {
        let (profile, locations) = self
            .store()
            .directory_profile(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let badges = self.badges_of(user_id, true).await?;
        if !profile.listed || badges.is_empty() {
            return Err(AppError::NotFound);
        }
        let lists = self.board_lists().await?;
        let name = self
            .store()
            .issued_credentials_of(user_id)
            .await?
            .into_iter()
            .max_by_key(|c| c.issued_at)
            .map(|c| c.holder_name)
            .unwrap_or_default();
        Ok(PublicProfile {
            user_id: profile.user_id.clone(),
            name,
            pronouns: profile.pronouns.clone(),
            practice_name: profile.practice_name.clone(),
            badges,
            locations: locations.iter().map(ShownLocation::from).collect(),
            telehealth: profile.telehealth,
            jurisdictions: named_from_table(JURISDICTIONS, &profile.jurisdictions),
            formats: named_formats(&profile.formats),
            concerns: named(&lists.concerns, &profile.concerns),
            populations: named(&lists.populations, &profile.populations),
            approaches: named(&lists.approaches, &profile.approaches),
            languages: named_from_table(LANGUAGES, &profile.languages),
            fee_min: profile.fee_min,
            fee_max: profile.fee_max,
            sliding_scale: profile.sliding_scale,
            insurers: named(&lists.insurers, &profile.insurers),
            accepting_clients: profile.accepting_clients,
            statement: profile.statement.clone(),
            tips: profile.tips.clone(),
            contact_email: profile.contact_email.clone(),
            contact_phone: profile.contact_phone.clone(),
            website: profile.website.clone(),
            has_photo: profile.photo_path.is_some(),
        })
    }

    /// Parses a search against the lists the index was built with.
    pub async fn parse_search(&self, pairs: &[(String, String)]) -> AppResult<SearchQuery> {
        let lists = self.directory_lists().await?;
        SearchQuery::parse(pairs, &lists).map_err(AppError::Validation)
    }

    /// Runs a directory search.
    pub async fn search_directory(&self, query: &SearchQuery) -> AppResult<DirectorySearch> {
        self.refresh_directory(false).await?;
        let lists = self.directory().lists.read().map(|l| l.clone()).unwrap_or_default();
        let vocabulary = self
            .directory()
            .vocabulary
            .read()
            .map(|v| v.clone())
            .unwrap_or_default();
        let mut answer = DirectorySearch {
            query: query.clone(),
            place: None,
            place_suggestions: None,
            places_missing: false,
            total: 0,
            results: Vec::new(),
            facets: FacetView::default(),
            widen: Vec::new(),
            page: query.page,
            pages: 0,
        };
        let mut near = None;
        if let Some(text) = &query.place {
            match self.locate(text).await? {
                PlaceLookup::Found(place) => {
                    let radius = query
                        .radius
                        .map_or(f64::from(domain::directory::geo::Radius::DEFAULT_KM), |r| {
                            f64::from(r.km())
                        });
                    near = Some((place.coordinates, radius));
                    answer.place = Some(place);
                }
                PlaceLookup::NotFound { suggestions } => {
                    answer.places_missing = suggestions.is_empty() && self.gazetteer_is_empty().await?;
                    answer.place_suggestions = Some(suggestions);
                    return Ok(answer);
                }
            }
        }
        if near.is_none() && query.telehealth_in.is_none() {
            return Ok(answer);
        }
        let criteria = self.criteria(query, &vocabulary, near);
        let outcome = self.run_search(&criteria, &vocabulary)?;
        answer.total = outcome.total;
        answer.pages = outcome.total.div_ceil(PAGE_SIZE);
        answer.facets = facet_view(&outcome.counts, query, &lists);
        if outcome.total == 0 {
            answer.widen = self.widenings(query, &vocabulary, near)?;
        }
        let cards = self.cards_of(&outcome.hits).await?;
        for hit in &outcome.hits {
            let Some(card) = cards.get(&hit.user_id) else {
                continue;
            };
            let facets = &hit.facets;
            answer.results.push(ResultCard {
                user_id: hit.user_id.clone(),
                name: card.holder_name.clone(),
                pronouns: card.pronouns.clone(),
                practice_name: card.practice_name.clone(),
                kinds: kinds_of(hit.kinds),
                distance_km: hit.distance_km,
                location: card.location(hit.location_position).cloned(),
                telehealth: facets.flags & TELEHEALTH != 0,
                accepting_clients: facets.flags & ACCEPTING != 0,
                fee_min: card.fee_min,
                fee_max: card.fee_max,
                sliding_scale: facets.flags & SLIDING_SCALE != 0,
                concerns: bits_named(facets.concerns, &lists.concerns),
                languages: LANGUAGES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| facets.languages & (1 << i) != 0)
                    .map(|(_, (key, name))| Named {
                        key: (*key).to_owned(),
                        name: (*name).to_owned(),
                    })
                    .collect(),
                formats: Format::ALL
                    .into_iter()
                    .filter(|f| facets.formats & f.bit() != 0)
                    .map(|f| Named {
                        key: f.key().to_owned(),
                        name: f.name().to_owned(),
                    })
                    .collect(),
            });
        }
        Ok(answer)
    }

    /// The cards for a page of results: from this node's cache, the rest in one read.
    async fn cards_of(&self, hits: &[crate::directory::index::Hit]) -> AppResult<HashMap<String, Arc<CardFacts>>> {
        let ids: Vec<&str> = hits.iter().map(|h| h.user_id.as_str()).collect();
        let (mut cards, generation) = self.directory().cards.get(&ids);
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !cards.contains_key(**id))
            .map(|id| (*id).to_owned())
            .collect();
        if !missing.is_empty() {
            let (rows, locations) = self.store().directory_cards(&missing).await?;
            let fetched = CardFacts::from_rows(rows, &locations);
            self.directory().cards.fill(generation, &fetched);
            cards.extend(fetched);
        }
        Ok(cards)
    }

    fn criteria(&self, query: &SearchQuery, vocabulary: &Vocabulary, near: Option<(Coordinates, f64)>) -> Criteria {
        Criteria {
            near,
            telehealth_in: query
                .telehealth_in
                .as_deref()
                .and_then(|code| position(JURISDICTIONS, code))
                .and_then(|p| u32::try_from(p).ok()),
            concerns: bits_of(&vocabulary.concerns, query.concerns.iter().map(String::as_str)),
            languages: u64::try_from(table_bits(LANGUAGES, query.languages.iter().map(String::as_str))).unwrap_or(0),
            populations: u32::try_from(bits_of(
                &vocabulary.populations,
                query.populations.iter().map(String::as_str),
            ))
            .unwrap_or(0),
            insurers: u32::try_from(bits_of(&vocabulary.insurers, query.insurers.iter().map(String::as_str)))
                .unwrap_or(0),
            formats: query.formats.iter().fold(0, |bits, f| bits | f.bit()),
            kinds: query.kinds.iter().fold(0, |bits, k| bits | kind_bit(*k)),
            accepting_only: query.accepting_only,
            max_fee: query.max_fee.and_then(|f| u16::try_from(f).ok()),
            today: day_number(self.today()),
            offset: (query.page.max(1) - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        }
    }

    fn run_search(&self, criteria: &Criteria, vocabulary: &Vocabulary) -> AppResult<crate::directory::index::Outcome> {
        let index = self
            .directory()
            .index
            .read()
            .map_err(|_| AppError::internal(anyhow::anyhow!("directory index lock poisoned")))?;
        Ok(index.search(
            criteria,
            vocabulary.concerns.len(),
            vocabulary.populations.len(),
            vocabulary.insurers.len(),
        ))
    }

    /// When nothing matched: how many a wider radius, or the search without each filter,
    /// would find.
    fn widenings(
        &self,
        query: &SearchQuery,
        vocabulary: &Vocabulary,
        near: Option<(Coordinates, f64)>,
    ) -> AppResult<Vec<Widening>> {
        let mut out = Vec::new();
        let count = |q: &SearchQuery, near: Option<(Coordinates, f64)>| -> AppResult<usize> {
            let mut criteria = self.criteria(q, vocabulary, near);
            criteria.offset = 0;
            criteria.limit = 0;
            Ok(self.run_search(&criteria, vocabulary)?.total)
        };
        if let Some((centre, radius)) = near {
            for wider in [50u16, 100, 250, 500] {
                if f64::from(wider) <= radius {
                    continue;
                }
                let total = count(query, Some((centre, f64::from(wider))))?;
                if total > 0 {
                    let mut q = query.clone();
                    q.radius = domain::directory::geo::Radius::parse(&wider.to_string()).ok();
                    out.push(Widening {
                        label: format!("Search within {wider} km"),
                        query_string: q.to_query_string(1),
                        total,
                    });
                    break;
                }
            }
        }
        let mut without = |label: String, q: SearchQuery| -> AppResult<()> {
            let total = count(&q, near)?;
            if total > 0 {
                out.push(Widening {
                    label,
                    query_string: q.to_query_string(1),
                    total,
                });
            }
            Ok(())
        };
        for concern in &query.concerns {
            let mut q = query.clone();
            q.concerns.remove(concern);
            without(format!("Without the concern \u{201c}{concern}\u{201d}"), q)?;
        }
        for format in &query.formats {
            let mut q = query.clone();
            q.formats.remove(format);
            without(format!("Without \u{201c}{}\u{201d}", format.name()), q)?;
        }
        for language in &query.languages {
            let mut q = query.clone();
            q.languages.remove(language);
            without(
                format!(
                    "In any language, not only {}",
                    domain::directory::profiles::name_of(LANGUAGES, language)
                ),
                q,
            )?;
        }
        for kind in &query.kinds {
            let mut q = query.clone();
            q.kinds.remove(kind);
            without(format!("Any credential, not only {}", kind.as_str()), q)?;
        }
        if query.accepting_only {
            let mut q = query.clone();
            q.accepting_only = false;
            without("Including those not taking new clients".to_owned(), q)?;
        }
        if query.max_fee.is_some() {
            let mut q = query.clone();
            q.max_fee = None;
            without("Any fee".to_owned(), q)?;
        }
        if !query.insurers.is_empty() {
            let mut q = query.clone();
            q.insurers.clear();
            without("Any insurance".to_owned(), q)?;
        }
        if !query.populations.is_empty() {
            let mut q = query.clone();
            q.populations.clear();
            without("Any population".to_owned(), q)?;
        }
        Ok(out)
    }
}

fn bits_named(bits: u64, items: &[domain::credentialing::programs::ListItem]) -> Vec<Named> {
    items
        .iter()
        .take(64)
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, item)| Named {
            key: item.key.clone(),
            name: item.name.clone(),
        })
        .collect()
}

fn facet_view(counts: &FacetCounts, query: &SearchQuery, lists: &BoardLists) -> FacetView {
    let from_list =
        |items: &[domain::credentialing::programs::ListItem], counts: &[u32], selected: &BTreeSet<String>| {
            items
                .iter()
                .zip(counts.iter())
                .map(|(item, count)| FacetValue {
                    key: item.key.clone(),
                    name: item.name.clone(),
                    count: *count,
                    selected: selected.contains(&item.key),
                })
                .collect::<Vec<_>>()
        };
    FacetView {
        concerns: from_list(&lists.concerns, &counts.concerns, &query.concerns),
        populations: from_list(&lists.populations, &counts.populations, &query.populations),
        insurers: from_list(&lists.insurers, &counts.insurers, &query.insurers),
        formats: Format::ALL
            .into_iter()
            .zip(counts.formats)
            .map(|(format, count)| FacetValue {
                key: format.key().to_owned(),
                name: format.name().to_owned(),
                count,
                selected: query.formats.contains(&format),
            })
            .collect(),
        languages: LANGUAGES
            .iter()
            .zip(counts.languages.iter())
            .filter(|((key, _), count)| **count > 0 || query.languages.contains(*key))
            .map(|((key, name), count)| FacetValue {
                key: (*key).to_owned(),
                name: (*name).to_owned(),
                count: *count,
                selected: query.languages.contains(*key),
            })
            .collect(),
        kinds: CredentialKind::ALL
            .into_iter()
            .zip(counts.kinds)
            .map(|(kind, count)| FacetValue {
                key: kind.as_str().to_owned(),
                name: kind_name(kind).to_owned(),
                count,
                selected: query.kinds.contains(&kind),
            })
            .collect(),
        accepting: counts.accepting,
        sliding_scale: counts.sliding_scale,
    }
}

/// The public name of a kind of credential.
pub fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Therapist => "Sex therapist",
        CredentialKind::Counselor => "Sexuality counselor",
        CredentialKind::Educator => "Sexuality educator",
        CredentialKind::Supervisor => "Supervisor",
    }
}

/// The form's fields from a saved profile.
fn input_of(profile: &ProfileRow, locations: &[LocationRow]) -> ProfileInput {
    let list = |text: &str| words(text).map(str::to_owned).collect::<Vec<_>>();
    ProfileInput {
        listed: profile.listed,
        pronouns: profile.pronouns.clone(),
        practice_name: profile.practice_name.clone(),
        locations: locations
            .iter()
            .map(|l| LocationInput {
                address: l.address.clone(),
                postal_code: l.postal_code.clone(),
                city: l.city.clone(),
                country: l.country.clone(),
            })
            .collect(),
        telehealth: profile.telehealth,
        jurisdictions: list(&profile.jurisdictions),
        formats: list(&profile.formats),
        concerns: list(&profile.concerns),
        populations: list(&profile.populations),
        approaches: list(&profile.approaches),
        languages: list(&profile.languages),
        fee_min: profile.fee_min.map(|f| f.to_string()).unwrap_or_default(),
        fee_max: profile.fee_max.map(|f| f.to_string()).unwrap_or_default(),
        sliding_scale: profile.sliding_scale,
        insurers: list(&profile.insurers),
        accepting_clients: profile.accepting_clients,
        statement: profile.statement.clone(),
        tips: profile.tips.clone(),
        contact_email: profile.contact_email.clone().unwrap_or_default(),
        contact_phone: profile.contact_phone.clone().unwrap_or_default(),
        website: profile.website.clone().unwrap_or_default(),
    }
}

/// Checks a user id from a URL (profile pages) before it reaches the database.
pub fn profile_id(text: &str) -> AppResult<UserId> {
    UserId::parse(text).map_err(|_| AppError::NotFound)
}
