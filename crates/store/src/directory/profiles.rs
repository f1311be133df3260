//! Public profiles, their practice locations, and the change feed every app node follows to
//! keep its in-memory search index current. Any write that can change what the directory
//! shows about a person records a change in the same transaction ([`record_change_sql!`]).

use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRow {
    pub user_id: String,
    pub listed: bool,
    pub pronouns: String,
    pub practice_name: String,
    pub telehealth: bool,
    /// Keys separated by single spaces (as are the other list fields).
    pub jurisdictions: String,
    pub formats: String,
    pub concerns: String,
    pub populations: String,
    pub approaches: String,
    pub languages: String,
    pub fee_min: Option<i32>,
    pub fee_max: Option<i32>,
    pub sliding_scale: bool,
    pub insurers: String,
    pub accepting_clients: bool,
    pub statement: String,
    pub tips: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
    pub photo_path: Option<String>,
    pub photo_media_type: Option<String>,
    pub sort_key: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocationRow {
    pub user_id: String,
    pub position: i32,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub region: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// What the search index needs of a person's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCredential {
    pub user_id: String,
    pub holder_name: String,
    pub number: String,
    pub program_code: String,
    pub rule_version: String,
    pub valid_from: String,
    pub valid_until: String,
    /// The board's action: `active`, `suspended` or `revoked`.
    pub status: String,
}

/// A membership's dates, for working out a lapse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingMembership {
    pub user_id: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
}

/// What a search result shows of a profile beyond the index's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRow {
    pub user_id: String,
    pub holder_name: String,
    pub pronouns: String,
    pub practice_name: String,
    pub fee_min: Option<i32>,
    pub fee_max: Option<i32>,
    pub photo: bool,
}

/// Everything the index loads for a batch of people.
#[derive(Debug, Clone, Default)]
pub struct ListingBatch {
    pub profiles: Vec<ProfileRow>,
    pub locations: Vec<LocationRow>,
    pub credentials: Vec<ListingCredential>,
    pub memberships: Vec<ListingMembership>,
}

const PROFILE_COLUMNS: &str = "user_id, listed, pronouns, practice_name, telehealth, jurisdictions, formats, concerns, \
     populations, approaches, languages, fee_min, fee_max, sliding_scale, insurers, accepting_clients, statement, tips, \
     contact_email, contact_phone, website, photo_path, photo_media_type, sort_key, created_at, updated_at";

const LOCATION_COLUMNS: &str = "user_id, position, address, postal_code, city, region, country, latitude, longitude";

/// Records, inside the caller's transaction, that what the directory shows about `user_id`
/// may have changed. The number comes from the locked head row, so numbers commit in order.
macro_rules! record_change_sql {
    ($user_id:expr, $tx:expr) => {{
        let seq: i64 = sqlx::query_scalar("UPDATE directory_head SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .fetch_one(&mut *$tx)
            .await?;
        sqlx::query("INSERT INTO directory_changes (seq, user_id) VALUES ($1, $2)")
            .bind(seq)
            .bind($user_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// The same for the holder of a credential, named by the credential's id.
macro_rules! record_credential_change_sql {
    ($credential_id:expr, $tx:expr) => {{
        let holder: Option<String> = sqlx::query_scalar("SELECT user_id FROM credentials WHERE id = $1")
            .bind($credential_id)
            .fetch_optional(&mut *$tx)
            .await?;
        if let Some(holder) = holder {
            $crate::directory::profiles::record_change_sql!(&holder, $tx);
        }
    }};
}

pub(crate) use record_change_sql;
pub(crate) use record_credential_change_sql;

macro_rules! profile_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<ProfileRow, StoreError>(ProfileRow {
            user_id: row.try_get("user_id")?,
            listed: row.try_get("listed")?,
            pronouns: row.try_get("pronouns")?,
            practice_name: row.try_get("practice_name")?,
            telehealth: row.try_get("telehealth")?,
            jurisdictions: row.try_get("jurisdictions")?,
            formats: row.try_get("formats")?,
            concerns: row.try_get("concerns")?,
            populations: row.try_get("populations")?,
            approaches: row.try_get("approaches")?,
            languages: row.try_get("languages")?,
            fee_min: row.try_get("fee_min")?,
            fee_max: row.try_get("fee_max")?,
            sliding_scale: row.try_get("sliding_scale")?,
            insurers: row.try_get("insurers")?,
            accepting_clients: row.try_get("accepting_clients")?,
            statement: row.try_get("statement")?,
            tips: row.try_get("tips")?,
            contact_email: row.try_get("contact_email")?,
            contact_phone: row.try_get("contact_phone")?,
            website: row.try_get("website")?,
            photo_path: row.try_get("photo_path")?,
            photo_media_type: row.try_get("photo_media_type")?,
            sort_key: row.try_get("sort_key")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }};
}

macro_rules! location_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<LocationRow, StoreError>(LocationRow {
            user_id: row.try_get("user_id")?,
            position: row.try_get("position")?,
            address: row.try_get("address")?,
            postal_code: row.try_get("postal_code")?,
            city: row.try_get("city")?,
            region: row.try_get("region")?,
            country: row.try_get("country")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
        })
    }};
}

macro_rules! insert_profile_sql {
    ($profile:expr, $executor:expr) => {{
        let profile = $profile;
        sqlx::query(
            "INSERT INTO directory_profiles (user_id, listed, pronouns, practice_name, telehealth, jurisdictions, \
             formats, concerns, populations, approaches, languages, fee_min, fee_max, sliding_scale, insurers, \
             accepting_clients, statement, tips, contact_email, contact_phone, website, photo_path, photo_media_type, \
             sort_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)",
        )
        .bind(&profile.user_id)
        .bind(profile.listed)
        .bind(&profile.pronouns)
        .bind(&profile.practice_name)
        .bind(profile.telehealth)
        .bind(&profile.jurisdictions)
        .bind(&profile.formats)
        .bind(&profile.concerns)
        .bind(&profile.populations)
        .bind(&profile.approaches)
        .bind(&profile.languages)
        .bind(profile.fee_min)
        .bind(profile.fee_max)
        .bind(profile.sliding_scale)
        .bind(&profile.insurers)
        .bind(profile.accepting_clients)
        .bind(&profile.statement)
        .bind(&profile.tips)
        .bind(&profile.contact_email)
        .bind(&profile.contact_phone)
        .bind(&profile.website)
        .bind(&profile.photo_path)
        .bind(&profile.photo_media_type)
        .bind(profile.sort_key)
        .bind(profile.created_at)
        .bind(profile.updated_at)
        .execute($executor)
        .await?;
    }};
}

macro_rules! insert_location_sql {
    ($location:expr, $executor:expr) => {{
        let location = $location;
        sqlx::query(
            "INSERT INTO directory_locations (user_id, position, address, postal_code, city, region, country, \
             latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&location.user_id)
        .bind(location.position)
        .bind(&location.address)
        .bind(&location.postal_code)
        .bind(&location.city)
        .bind(&location.region)
        .bind(&location.country)
        .bind(location.latitude)
        .bind(location.longitude)
        .execute($executor)
        .await?;
    }};
}

/// `$1, $2, … $n` from `first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Saves a profile and its locations (replacing what was there) and records the change,
    /// all or nothing. `created_at` and `sort_key` of an existing profile are kept.
    pub async fn save_directory_profile(&self, profile: &ProfileRow, locations: &[LocationRow]) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let existing: Option<(i64, Timestamp)> =
                sqlx::query_as("SELECT sort_key, created_at FROM directory_profiles WHERE user_id = $1")
                    .bind(&profile.user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut profile = profile.clone();
            if let Some((sort_key, created_at)) = existing {
                profile.sort_key = sort_key;
                profile.created_at = created_at;
                sqlx::query("DELETE FROM directory_locations WHERE user_id = $1")
                    .bind(&profile.user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM directory_profiles WHERE user_id = $1")
                    .bind(&profile.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            insert_profile_sql!(&profile, &mut *tx);
            for location in locations {
                insert_location_sql!(location, &mut *tx);
            }
            record_change_sql!(&profile.user_id, tx);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets or clears a profile's photo (the object path in the file store).
    pub async fn set_directory_photo(&self, user_id: &str, photo: Option<(&str, &str)>, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE directory_profiles SET photo_path = $1, photo_media_type = $2, updated_at = $3 \
                 WHERE user_id = $4",
            )
            .bind(photo.map(|p| p.0))
            .bind(photo.map(|p| p.1))
            .bind(at)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::NotFound);
            }
            record_change_sql!(user_id, tx);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn directory_profile(&self, user_id: &str) -> Result<Option<(ProfileRow, Vec<LocationRow>)>> {
        let batch = self.listing_batch_of(&[user_id.to_owned()]).await?;
        Ok(batch
            .profiles
            .into_iter()
            .next()
            .map(|profile| (profile, batch.locations)))
    }

    /// Profiles, locations, credentials and memberships of the people named (the index's
    /// refresh after a change).
    pub async fn listing_batch_of(&self, user_ids: &[String]) -> Result<ListingBatch> {
        if user_ids.is_empty() {
            return Ok(ListingBatch::default());
        }
        let list = placeholders(1, user_ids.len());
        let condition = format!("user_id IN ({list})");
        self.listing_batch(&condition, user_ids).await
    }

    /// The next batch of at most `limit` profiles after `after_user_id` in user-id order,
    /// with their locations, credentials and memberships: the index loads everyone this way
    /// without holding every row at once.
    pub async fn listing_batch_after(&self, after_user_id: &str, limit: i64) -> Result<(ListingBatch, Option<String>)> {
        let last: Option<String> = with_pool!(self, read, |pool| {
            sqlx::query_scalar(
                "SELECT max(user_id) FROM (SELECT user_id FROM directory_profiles WHERE user_id > $1 \
                 ORDER BY user_id LIMIT $2) AS page",
            )
            .bind(after_user_id)
            .bind(limit)
            .fetch_one(pool)
            .await?
        });
        let Some(last) = last else {
            return Ok((ListingBatch::default(), None));
        };
        let bounds = [after_user_id.to_owned(), last.clone()];
        let batch = self.listing_batch("user_id > $1 AND user_id <= $2", &bounds).await?;
        Ok((batch, Some(last)))
    }

    async fn listing_batch(&self, condition: &str, binds: &[String]) -> Result<ListingBatch> {
        let profiles_sql =
            format!("SELECT {PROFILE_COLUMNS} FROM directory_profiles WHERE {condition} ORDER BY user_id");
        let locations_sql =
            format!("SELECT {LOCATION_COLUMNS} FROM directory_locations WHERE {condition} ORDER BY user_id, position");
        let credentials_sql = format!(
            "SELECT user_id, holder_name, number, program_code, rule_version, valid_from, valid_until, status \
             FROM credentials WHERE {condition} AND status_index IS NOT NULL AND holder_name IS NOT NULL ORDER BY user_id, number"
        );
        let memberships_sql =
            format!("SELECT user_id, valid_from, valid_until FROM memberships WHERE {condition} ORDER BY user_id");
        with_pool!(self, read, |pool| {
            let mut batch = ListingBatch::default();
            let mut query = sqlx::query(sqlx::AssertSqlSafe(profiles_sql));
            for bind in binds {
                query = query.bind(bind);
            }
            for row in query.fetch_all(pool).await? {
                batch.profiles.push(profile_from_row!(&row)?);
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(locations_sql));
            for bind in binds {
                query = query.bind(bind);
            }
            for row in query.fetch_all(pool).await? {
                batch.locations.push(location_from_row!(&row)?);
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(credentials_sql));
            for bind in binds {
                query = query.bind(bind);
            }
            for row in query.fetch_all(pool).await? {
                batch.credentials.push(ListingCredential {
                    user_id: row.try_get("user_id")?,
                    holder_name: row.try_get("holder_name")?,
                    number: row.try_get("number")?,
                    program_code: row.try_get("program_code")?,
                    rule_version: row.try_get("rule_version")?,
                    valid_from: row.try_get("valid_from")?,
                    valid_until: row.try_get("valid_until")?,
                    status: row.try_get("status")?,
                });
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(memberships_sql));
            for bind in binds {
                query = query.bind(bind);
            }
            for row in query.fetch_all(pool).await? {
                batch.memberships.push(ListingMembership {
                    user_id: row.try_get("user_id")?,
                    valid_from: row.try_get("valid_from")?,
                    valid_until: row.try_get("valid_until")?,
                });
            }
            Ok(batch)
        })
    }

    /// The cards of a page of results and their locations, in two queries.
    pub async fn directory_cards(&self, user_ids: &[String]) -> Result<(Vec<CardRow>, Vec<LocationRow>)> {
        if user_ids.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let list = placeholders(1, user_ids.len());
        let cards_sql = format!(
            "SELECT p.user_id, p.pronouns, p.practice_name, p.fee_min, p.fee_max, p.photo_path, \
             (SELECT c.holder_name FROM credentials c WHERE c.user_id = p.user_id AND c.status_index IS NOT NULL \
              ORDER BY c.issued_at DESC LIMIT 1) AS holder_name \
             FROM directory_profiles p WHERE p.user_id IN ({list})"
        );
        let locations_sql = format!(
            "SELECT {LOCATION_COLUMNS} FROM directory_locations WHERE user_id IN ({list}) ORDER BY user_id, position"
        );
        with_pool!(self, read, |pool| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(cards_sql));
            for id in user_ids {
                query = query.bind(id);
            }
            let mut cards = Vec::new();
            for row in query.fetch_all(pool).await? {
                let photo: Option<String> = row.try_get("photo_path")?;
                cards.push(CardRow {
                    user_id: row.try_get("user_id")?,
                    holder_name: row.try_get::<Option<String>, _>("holder_name")?.unwrap_or_default(),
                    pronouns: row.try_get("pronouns")?,
                    practice_name: row.try_get("practice_name")?,
                    fee_min: row.try_get("fee_min")?,
                    fee_max: row.try_get("fee_max")?,
                    photo: photo.is_some(),
                });
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(locations_sql));
            for id in user_ids {
                query = query.bind(id);
            }
            let mut locations = Vec::new();
            for row in query.fetch_all(pool).await? {
                locations.push(location_from_row!(&row)?);
            }
            Ok((cards, locations))
        })
    }

    /// The last change number (where a freshly loaded index starts following from).
    pub async fn directory_head(&self) -> Result<i64> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT seq FROM directory_head WHERE id = 1")
                .fetch_one(pool)
                .await?)
        })
    }

    /// Changes after `seq`, oldest first, at most `limit`.
    pub async fn directory_changes_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        with_pool!(self, read, |pool| {
            Ok(
                sqlx::query_as("SELECT seq, user_id FROM directory_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(seq)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?,
            )
        })
    }

    /// How many profiles and locations exist, and the bytes of the fields the search index
    /// reads, as the database stores them (the benchmark's yardstick for the index's memory):
    /// per profile its user id, the six keyword lists, the lowest fee (4 bytes), the four
    /// flags (1 byte each) and the sort key (8); per location two 8-byte coordinates; per
    /// credential its program code, status and last day.
    pub async fn directory_sizes(&self) -> Result<(i64, i64, i64)> {
        with_pool!(self, read, |pool| {
            let (profiles, profile_bytes): (i64, Option<i64>) = sqlx::query_as(
                "SELECT count(*), CAST(sum(length(user_id) + length(jurisdictions) + length(formats) \
                 + length(concerns) + length(populations) + length(languages) + length(insurers) + 4 + 4 + 8) \
                 AS BIGINT) FROM directory_profiles",
            )
            .fetch_one(pool)
            .await?;
            let (locations,): (i64,) = sqlx::query_as("SELECT count(*) FROM directory_locations")
                .fetch_one(pool)
                .await?;
            let (credential_bytes,): (Option<i64>,) = sqlx::query_as(
                "SELECT CAST(sum(length(c.program_code) + length(c.status) + length(c.valid_until)) AS BIGINT) \
                 FROM credentials c WHERE c.status_index IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM directory_profiles p WHERE p.user_id = c.user_id)",
            )
            .fetch_one(pool)
            .await?;
            Ok((
                profiles,
                locations,
                profile_bytes.unwrap_or(0) + locations * 16 + credential_bytes.unwrap_or(0),
            ))
        })
    }
}

/// A value of a generated row (the data generator's bulk inserts bind mixed types).
#[derive(Debug, Clone)]
pub enum BulkValue {
    Text(String),
    OptionalText(Option<String>),
    Int(i64),
    OptionalInt(Option<i32>),
    Float(f64),
    Bool(bool),
    Time(Timestamp),
}

/// Rows for one table, all with the same columns.
#[derive(Debug, Clone)]
pub struct BulkRows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<BulkValue>>,
}

/// Binds parameters per statement at most (SQLite allows 32,766; PostgreSQL 65,535).
const BULK_PARAMETERS: usize = 4_000;

macro_rules! bulk_insert_sql {
    ($set:expr, $tx:expr) => {{
        let set = $set;
        let width = set.columns.len();
        let per_statement = (BULK_PARAMETERS / width).max(1);
        for chunk in set.rows.chunks(per_statement) {
            let values = (0..chunk.len())
                .map(|row| format!("({})", placeholders(row * width + 1, width)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT INTO {} ({}) VALUES {values}", set.table, set.columns.join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for value in row {
                    query = match value {
                        BulkValue::Text(v) => query.bind(v.clone()),
                        BulkValue::OptionalText(v) => query.bind(v.clone()),
                        BulkValue::Int(v) => query.bind(*v),
                        BulkValue::OptionalInt(v) => query.bind(*v),
                        BulkValue::Float(v) => query.bind(*v),
                        BulkValue::Bool(v) => query.bind(*v),
                        BulkValue::Time(v) => query.bind(*v),
                    };
                }
            }
            query.execute(&mut *$tx).await?;
        }
    }};
}

impl Store {
    /// Inserts generated rows for several tables in one transaction, in the order given
    /// (parents first). Only the data generator uses this.
    pub async fn insert_generated(&self, sets: &[BulkRows]) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            for set in sets {
                bulk_insert_sql!(set, tx);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Refreshes the planner's statistics after a bulk load. PostgreSQL without them
    /// seq-scans the location table for each page of result cards (seconds per search at a
    /// million profiles) until autovacuum analyzes it, if it is on. SQLite's planner prefers
    /// the indexes without statistics, so it needs nothing.
    pub async fn analyze_directory(&self) -> Result<()> {
        if let crate::Db::Postgres(pool) = &self.db {
            sqlx::query("ANALYZE users, credentials, memberships, directory_profiles, directory_locations")
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}
