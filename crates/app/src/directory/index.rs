//! The directory's search index: every listed profile's searchable facts packed into a few
//! machine words, stored inline with each of its practice locations in a grid of 0.1° cells,
//! so a search reads each cell under its circle as one contiguous run of memory (no random
//! access per candidate, which at a million profiles costs more than all the filtering). Each app node holds
//! its own copy in memory, built from the database at start and kept current by following the
//! change feed (`directory::App::refresh_directory`), so a search never touches the database
//! for its filtering, counting or ordering; see bench/README.md for the design and figures.
//!
//! Everything selected narrows the results (a profile must have every chosen concern,
//! language, format, credential…), so a facet count is simply how many of the current results
//! have that value: one pass over the matches counts them all.

use std::collections::HashMap;

use domain::directory::geo::{BoundingBox, Coordinates};
use time::Date;
use time::macros::date;

/// Days are counted from here in 16 bits (until 2179).
const DAY_ZERO: Date = date!(2000 - 01 - 01);

/// A day as the index stores it.
pub fn day_number(day: Date) -> u16 {
    u16::try_from((day - DAY_ZERO).whole_days().clamp(0, i64::from(u16::MAX))).unwrap_or(u16::MAX)
}

/// Grid cells are this many degrees on each side (about 11 km north–south): small enough that
/// the cells under a 25 km circle hold little beyond it.
const CELL_DEGREES: f64 = 0.1;
const LAT_CELLS: u32 = 1_800;
const LON_CELLS: u32 = 3_600;

pub const ACCEPTING: u8 = 1;
pub const TELEHEALTH: u8 = 2;
pub const SLIDING_SCALE: u8 = 4;
/// The profile has more than one location (a search keeps its nearest once).
const SEVERAL_LOCATIONS: u8 = 8;
/// No lowest fee given.
pub const NO_FEE: u16 = u16::MAX;

/// The searchable facts of one profile. Bit positions follow the order of each list (the
/// board's lists for concerns, populations and insurers; the code tables for languages and
/// jurisdictions; `Format` and `CredentialKind` order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facets {
    pub concerns: u64,
    pub languages: u64,
    /// Two words rather than one `u128`, so the record is aligned to 8 bytes, not 16.
    pub jurisdictions: [u64; 2],
    pub populations: u32,
    pub insurers: u32,
    pub formats: u8,
    pub flags: u8,
    pub fee_min: u16,
    /// The last day each kind of credential is in good standing (0: not held). Expiry and a
    /// membership's end are dates, so they take effect at query time without any event.
    pub kinds_until: [u16; 4],
    /// The stable tie-break after distance.
    pub sort_key: u32,
}

impl Facets {
    /// The jurisdiction bits from a set of up to 128.
    pub fn jurisdiction_words(bits: u128) -> [u64; 2] {
        [bits as u64, (bits >> 64) as u64]
    }

    /// Whether telehealth is offered in jurisdiction `bit`.
    pub fn offers_telehealth_in(&self, bit: u32) -> bool {
        self.flags & TELEHEALTH != 0 && bit < 128 && self.jurisdictions[(bit / 64) as usize] & (1 << (bit % 64)) != 0
    }

    /// The kinds of credential in good standing on `today`, as bits.
    pub fn kinds_on(&self, today: u16) -> u8 {
        let mut kinds = 0;
        for (i, until) in self.kinds_until.iter().enumerate() {
            if *until >= today && *until != 0 {
                kinds |= 1 << i;
            }
        }
        kinds
    }
}

/// A practice location in the grid, with its profile's facts beside it.
#[derive(Debug, Clone, Copy)]
struct Located {
    lat: f32,
    lon: f32,
    /// The profile's slot, with the location's position (0–7) in the top three bits.
    slot_and_position: u32,
    facets: Facets,
}

const POSITION_SHIFT: u32 = 29;
const SLOT_MASK: u32 = (1 << POSITION_SHIFT) - 1;

/// What a search asks of the index (already parsed and turned into bits).
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    pub near: Option<(Coordinates, f64)>,
    /// Telehealth in this jurisdiction (its bit position).
    pub telehealth_in: Option<u32>,
    pub concerns: u64,
    pub languages: u64,
    pub populations: u32,
    pub insurers: u32,
    pub formats: u8,
    pub kinds: u8,
    pub accepting_only: bool,
    pub max_fee: Option<u16>,
    pub today: u16,
    /// Results to skip and to return.
    pub offset: usize,
    pub limit: usize,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub user_id: String,
    pub distance_km: Option<f64>,
    /// Which of the profile's locations was nearest.
    pub location_position: Option<u8>,
    /// Kinds of credential in good standing, as bits.
    pub kinds: u8,
    pub facets: Facets,
}

/// How many of the results have each value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetCounts {
    pub concerns: Vec<u32>,
    pub languages: Vec<u32>,
    pub populations: Vec<u32>,
    pub insurers: Vec<u32>,
    pub formats: [u32; 3],
    pub kinds: [u32; 4],
    pub accepting: u32,
    pub telehealth: u32,
    pub sliding_scale: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub counts: FacetCounts,
}

/// The index. Slots are reused after removals.
#[derive(Debug, Default)]
pub struct DirectoryIndex {
    /// The profile's user id (ids are 32 hex digits, kept as a number); 0 for a free slot.
    ids: Vec<u128>,
    /// The cell of the first location of each slot (u32::MAX for none).
    first_cell: Vec<u32>,
    /// Cells of the second and later locations, for the few profiles with several.
    more_cells: HashMap<u32, Vec<u32>>,
    slot_of: HashMap<u128, u32>,
    /// Ids that are not 32 hex digits (none are made so, but an old database may have them).
    odd_ids: HashMap<u128, String>,
    free: Vec<u32>,
    cells: HashMap<u32, Vec<Located>>,
    /// Profiles offering telehealth, with their facts.
    telehealth: Vec<(u32, Facets)>,
    listed: usize,
}

fn row_of(lat: f64) -> u32 {
    ((lat + 90.0) / CELL_DEGREES)
        .floor()
        .clamp(0.0, f64::from(LAT_CELLS - 1)) as u32
}

fn column_of(lon: f64) -> u32 {
    ((lon + 180.0) / CELL_DEGREES)
        .floor()
        .clamp(0.0, f64::from(LON_CELLS - 1)) as u32
}

fn cell_of(lat: f64, lon: f64) -> u32 {
    row_of(lat) * LON_CELLS + column_of(lon)
}

fn id_number(user_id: &str) -> (u128, bool) {
    if user_id.len() == 32
        && let Ok(n) = u128::from_str_radix(user_id, 16)
        && n != 0
    {
        return (n, true);
    }
    // Any other shape: a 128-bit hash of it, remembered beside.
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    (u128::from_be_bytes(bytes).max(1), false)
}

/// Counts each set bit of `bits` into `counts`.
fn count_bits(mut bits: u64, counts: &mut [u32]) {
    while bits != 0 {
        let i = bits.trailing_zeros() as usize;
        if let Some(count) = counts.get_mut(i) {
            *count += 1;
        }
        bits &= bits - 1;
    }
}

impl DirectoryIndex {
    pub fn new() -> DirectoryIndex {
        DirectoryIndex::default()
    }

    /// Profiles listed.
    pub fn len(&self) -> usize {
        self.listed
    }

    pub fn is_empty(&self) -> bool {
        self.listed == 0
    }

    /// Bytes held by the index's own arrays (for the benchmark's report).
    pub fn approximate_bytes(&self) -> usize {
        let slots = self.ids.capacity() * 16;
        let cells: usize = self
            .cells
            .values()
            .map(|v| v.capacity() * std::mem::size_of::<Located>() + 48)
            .sum();
        slots
            + self.first_cell.capacity() * 4
            + self.slot_of.capacity() * 24
            + cells
            + self.telehealth.capacity() * std::mem::size_of::<(u32, Facets)>()
    }

    fn user_id_of(&self, slot: u32) -> String {
        let id = self.ids[slot as usize];
        self.odd_ids.get(&id).cloned().unwrap_or_else(|| format!("{id:032x}"))
    }

    /// Takes a profile out (not listed any more, or about to be replaced).
    pub fn remove(&mut self, user_id: &str) {
        let (id, _) = id_number(user_id);
        let Some(slot) = self.slot_of.remove(&id) else { return };
        let index = slot as usize;
        let mut cells = vec![self.first_cell[index]];
        cells.extend(self.more_cells.remove(&slot).unwrap_or_default());
        for cell in cells {
            if let Some(entries) = self.cells.get_mut(&cell) {
                entries.retain(|e| e.slot_and_position & SLOT_MASK != slot);
                if entries.is_empty() {
                    self.cells.remove(&cell);
                }
            }
        }
        self.telehealth.retain(|(s, _)| *s != slot);
        self.odd_ids.remove(&id);
        self.ids[index] = 0;
        self.first_cell[index] = u32::MAX;
        self.free.push(slot);
        self.listed -= 1;
    }

    /// Puts a profile in, replacing what was there: `locations` are its practice locations in
    /// position order (at most 8).
    pub fn upsert(&mut self, user_id: &str, mut facets: Facets, locations: &[Coordinates]) {
        self.remove(user_id);
        if locations.len() > 1 {
            facets.flags |= SEVERAL_LOCATIONS;
        }
        let (id, plain) = id_number(user_id);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.ids.push(0);
                self.first_cell.push(u32::MAX);
                u32::try_from(self.ids.len() - 1).unwrap_or(SLOT_MASK)
            }
        };
        let index = slot as usize;
        self.ids[index] = id;
        if !plain {
            self.odd_ids.insert(id, user_id.to_owned());
        }
        self.slot_of.insert(id, slot);
        for (position, point) in locations.iter().take(8).enumerate() {
            let cell = cell_of(point.lat(), point.lon());
            self.cells.entry(cell).or_default().push(Located {
                lat: point.lat() as f32,
                lon: point.lon() as f32,
                slot_and_position: slot | ((position as u32) << POSITION_SHIFT),
                facets,
            });
            if position == 0 {
                self.first_cell[index] = cell;
            } else {
                self.more_cells.entry(slot).or_default().push(cell);
            }
        }
        if facets.flags & TELEHEALTH != 0 {
            self.telehealth.push((slot, facets));
        }
        self.listed += 1;
    }

    /// The kinds in good standing, if `facets` passes every filter.
    fn admits(facets: &Facets, criteria: &Criteria) -> Option<u8> {
        let kinds = facets.kinds_on(criteria.today);
        if kinds == 0
            || kinds & criteria.kinds != criteria.kinds
            || facets.concerns & criteria.concerns != criteria.concerns
            || facets.languages & criteria.languages != criteria.languages
            || facets.formats & criteria.formats != criteria.formats
            || facets.populations & criteria.populations != criteria.populations
            || facets.insurers & criteria.insurers != criteria.insurers
            || (criteria.accepting_only && facets.flags & ACCEPTING == 0)
        {
            return None;
        }
        if let Some(max) = criteria.max_fee
            && facets.flags & SLIDING_SCALE == 0
            && (facets.fee_min == NO_FEE || facets.fee_min > max)
        {
            return None;
        }
        Some(kinds)
    }

    /// Runs a search: filters, counts facets over every match, orders by distance (or, for
    /// telehealth alone, by the stable key) and returns one page.
    pub fn search(
        &self,
        criteria: &Criteria,
        concern_count: usize,
        population_count: usize,
        insurer_count: usize,
    ) -> Outcome {
        let mut counts = FacetCounts {
            concerns: vec![0; concern_count],
            languages: vec![0; domain::directory::profiles::LANGUAGES.len()],
            populations: vec![0; population_count],
            insurers: vec![0; insurer_count],
            ..FacetCounts::default()
        };
        // (distance, sort key, slot, position, kinds, facts)
        let mut matches: Vec<(f32, u32, u32, u8, u8, &Facets)> = Vec::new();
        if let Some((centre, radius_km)) = criteria.near {
            let area = BoundingBox::around(centre, radius_km);
            let mut nearest: HashMap<u32, usize> = HashMap::new();
            for cell in self.cells_over(&area) {
                let Some(entries) = self.cells.get(&cell) else { continue };
                for entry in entries {
                    let facets = &entry.facets;
                    let Some(kinds) = Self::admits(facets, criteria) else {
                        continue;
                    };
                    // With a place, a jurisdiction narrows to those who also see clients
                    // there by telehealth.
                    if let Some(code) = criteria.telehealth_in
                        && !facets.offers_telehealth_in(code)
                    {
                        continue;
                    }
                    let Ok(point) = Coordinates::new(f64::from(entry.lat), f64::from(entry.lon)) else {
                        continue;
                    };
                    if !area.contains(point) {
                        continue;
                    }
                    let distance = centre.distance_km(point);
                    if distance > radius_km {
                        continue;
                    }
                    let slot = entry.slot_and_position & SLOT_MASK;
                    let position = (entry.slot_and_position >> POSITION_SHIFT) as u8;
                    let found = (distance as f32, facets.sort_key, slot, position, kinds, facets);
                    if facets.flags & SEVERAL_LOCATIONS != 0 {
                        // Several locations: keep the nearest once.
                        match nearest.get(&slot) {
                            Some(&at) => {
                                if found.0 < matches[at].0 {
                                    matches[at] = found;
                                }
                                continue;
                            }
                            None => {
                                nearest.insert(slot, matches.len());
                            }
                        }
                    }
                    matches.push(found);
                }
            }
        } else if let Some(code) = criteria.telehealth_in {
            for (slot, facets) in &self.telehealth {
                if !facets.offers_telehealth_in(code) {
                    continue;
                }
                let Some(kinds) = Self::admits(facets, criteria) else {
                    continue;
                };
                matches.push((0.0, facets.sort_key, *slot, u8::MAX, kinds, facets));
            }
        }
        for (_, _, _, _, kinds, facets) in &matches {
            count_bits(facets.concerns, &mut counts.concerns);
            count_bits(facets.languages, &mut counts.languages);
            count_bits(u64::from(facets.populations), &mut counts.populations);
            count_bits(u64::from(facets.insurers), &mut counts.insurers);
            count_bits(u64::from(facets.formats), &mut counts.formats);
            count_bits(u64::from(*kinds), &mut counts.kinds);
            counts.accepting += u32::from(facets.flags & ACCEPTING != 0);
            counts.telehealth += u32::from(facets.flags & TELEHEALTH != 0);
            counts.sliding_scale += u32::from(facets.flags & SLIDING_SCALE != 0);
        }
        let total = matches.len();
        type Found<'a> = (f32, u32, u32, u8, u8, &'a Facets);
        let order = |a: &Found<'_>, b: &Found<'_>| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then(self.ids[a.2 as usize].cmp(&self.ids[b.2 as usize]))
        };
        let wanted = (criteria.offset + criteria.limit).min(total);
        if wanted < total && wanted > 0 {
            matches.select_nth_unstable_by(wanted - 1, order);
            matches.truncate(wanted);
        }
        matches.sort_unstable_by(order);
        let hits = matches
            .iter()
            .skip(criteria.offset)
            .take(criteria.limit)
            .map(|(distance, _, slot, position, kinds, facets)| Hit {
                user_id: self.user_id_of(*slot),
                distance_km: criteria.near.map(|_| f64::from(*distance)),
                location_position: (*position != u8::MAX).then_some(*position),
                kinds: *kinds,
                facets: **facets,
            })
            .collect();
        Outcome { total, hits, counts }
    }

    /// The grid cells a bounding box touches (both sides of the antimeridian when it wraps).
    fn cells_over(&self, area: &BoundingBox) -> Vec<u32> {
        let rows = row_of(area.min_lat)..=row_of(area.max_lat);
        let columns: Vec<std::ops::RangeInclusive<u32>> = if area.wraps() {
            vec![column_of(area.min_lon)..=LON_CELLS - 1, 0..=column_of(area.max_lon)]
        } else {
            vec![column_of(area.min_lon)..=column_of(area.max_lon)]
        };
        let mut cells = Vec::new();
        for row in rows {
            for range in &columns {
                for column in range.clone() {
                    cells.push(row * LON_CELLS + column);
                }
            }
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_as_small_as_bench_readme_says() {
        // The memory target depends on these sizes (bench/README.md, "How the search works").
        assert_eq!(std::mem::size_of::<Facets>(), 56);
        assert_eq!(std::mem::size_of::<Located>(), 72);
    }

    fn point(lat: f64, lon: f64) -> Coordinates {
        Coordinates::new(lat, lon).unwrap()
    }

    fn facets(concerns: u64, sort_key: u32) -> Facets {
        Facets {
            concerns,
            languages: 1,
            formats: 1,
            flags: ACCEPTING,
            fee_min: 120,
            kinds_until: [day_number(date!(2028 - 01 - 01)), 0, 0, 0],
            sort_key,
            ..Facets::default()
        }
    }

    fn near(lat: f64, lon: f64, km: f64) -> Criteria {
        Criteria {
            near: Some((point(lat, lon), km)),
            today: day_number(date!(2026 - 11 - 24)),
            limit: 20,
            ..Criteria::default()
        }
    }

    const A: &str = "0000000000000000000000000000000a";
    const B: &str = "0000000000000000000000000000000b";
    const C: &str = "0000000000000000000000000000000c";

    #[test]
    fn results_come_nearest_first_within_the_radius() {
        let mut index = DirectoryIndex::new();
        // Union Square, the Mission, Oakland, Los Angeles.
        index.upsert(A, facets(0b01, 5), &[point(37.7880, -122.4075)]);
        index.upsert(B, facets(0b11, 1), &[point(37.7599, -122.4148)]);
        index.upsert(C, facets(0b10, 3), &[point(37.8044, -122.2712), point(34.05, -118.25)]);
        index.upsert("legacy-id", facets(0b01, 2), &[point(34.05, -118.25)]);
        let outcome = index.search(&near(37.7929, -122.4079, 25.0), 2, 0, 0);
        assert_eq!(outcome.total, 3);
        let ids: Vec<&str> = outcome.hits.iter().map(|h| h.user_id.as_str()).collect();
        assert_eq!(ids, vec![A, B, C]);
        assert_eq!(outcome.counts.concerns, vec![2, 2]);
        assert!(outcome.hits[0].distance_km.unwrap() < 1.0);
        // Los Angeles finds C's second location, and the odd id comes back as it was.
        let outcome = index.search(&near(34.05, -118.25, 10.0), 2, 0, 0);
        let ids: Vec<&str> = outcome.hits.iter().map(|h| h.user_id.as_str()).collect();
        assert_eq!(ids, vec!["legacy-id", C]);
        assert_eq!(outcome.hits[1].location_position, Some(1));
    }

    #[test]
    fn every_filter_narrows_and_facets_count_the_results() {
        let mut index = DirectoryIndex::new();
        index.upsert(A, facets(0b01, 1), &[point(40.75, -73.99)]);
        index.upsert(B, facets(0b11, 2), &[point(40.76, -73.98)]);
        let mut criteria = near(40.75, -73.99, 25.0);
        criteria.concerns = 0b10;
        let outcome = index.search(&criteria, 2, 0, 0);
        assert_eq!(outcome.total, 1);
        assert_eq!(outcome.hits[0].user_id, B);
        criteria.concerns = 0;
        criteria.max_fee = Some(100);
        assert_eq!(index.search(&criteria, 2, 0, 0).total, 0);
        criteria.max_fee = None;
        criteria.kinds = 0b10;
        assert_eq!(index.search(&criteria, 2, 0, 0).total, 0);
    }

    #[test]
    fn an_expired_credential_drops_out_on_its_day_and_a_removal_at_once() {
        let mut index = DirectoryIndex::new();
        let mut f = facets(1, 1);
        f.kinds_until = [day_number(date!(2026 - 11 - 24)), 0, 0, 0];
        index.upsert(A, f, &[point(40.75, -73.99)]);
        index.upsert(B, facets(1, 2), &[point(40.75, -73.99)]);
        assert_eq!(index.search(&near(40.75, -73.99, 5.0), 1, 0, 0).total, 2);
        let mut tomorrow = near(40.75, -73.99, 5.0);
        tomorrow.today += 1;
        assert_eq!(index.search(&tomorrow, 1, 0, 0).total, 1);
        index.remove(B);
        assert_eq!(index.search(&near(40.75, -73.99, 5.0), 1, 0, 0).total, 1);
        assert_eq!(index.len(), 1);
        // The freed slot is reused.
        index.upsert(C, facets(1, 3), &[point(40.75, -73.99)]);
        assert_eq!(index.ids.len(), 2);
    }

    #[test]
    fn telehealth_searches_by_jurisdiction_and_pages_are_stable() {
        let mut index = DirectoryIndex::new();
        for i in 0..45u32 {
            let mut f = facets(1, 1000 - i);
            f.flags |= TELEHEALTH;
            f.jurisdictions = Facets::jurisdiction_words(1 << 4);
            index.upsert(&format!("{:032x}", i + 1), f, &[]);
        }
        let mut criteria = Criteria {
            telehealth_in: Some(4),
            today: day_number(date!(2026 - 11 - 24)),
            limit: 20,
            ..Criteria::default()
        };
        let first = index.search(&criteria, 1, 0, 0);
        assert_eq!(first.total, 45);
        assert_eq!(first.hits[0].user_id, format!("{:032x}", 45));
        criteria.offset = 40;
        let last = index.search(&criteria, 1, 0, 0);
        assert_eq!(last.hits.len(), 5);
        criteria.telehealth_in = Some(5);
        assert_eq!(index.search(&criteria, 1, 0, 0).total, 0);
    }

    #[test]
    fn cells_split_the_whole_globe() {
        // Every latitude has its own row: a clamp to too few rows would pile the world into one.
        assert_ne!(cell_of(40.75, -73.99), cell_of(45.50, -73.99));
        assert_eq!(row_of(89.99), LAT_CELLS - 1);
        assert_eq!(column_of(179.99), LON_CELLS - 1);
        let mut index = DirectoryIndex::new();
        index.upsert(A, facets(1, 1), &[point(40.75, -73.99)]);
        index.upsert(B, facets(1, 2), &[point(45.50, -73.57)]);
        assert_eq!(index.cells.len(), 2);
        assert_eq!(index.search(&near(45.50, -73.57, 25.0), 1, 0, 0).total, 1);
    }

    #[test]
    fn a_search_across_the_antimeridian_finds_both_sides() {
        let mut index = DirectoryIndex::new();
        index.upsert(A, facets(1, 1), &[point(51.9, 179.9)]);
        index.upsert(B, facets(1, 2), &[point(51.9, -179.9)]);
        assert_eq!(index.search(&near(51.9, 179.95, 30.0), 1, 0, 0).total, 2);
    }
}
