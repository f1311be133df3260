//! The offline gazetteer: postal codes and places with coordinates, replaced whole by an
//! import and read by exact code, exact name and name or code prefix (for suggestions).

use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct PlaceRow {
    pub id: i64,
    /// `postal` or `city`.
    pub kind: String,
    pub country: String,
    pub code_key: Option<String>,
    pub name: String,
    pub name_key: String,
    pub region_code: String,
    pub region: String,
    pub latitude: f64,
    pub longitude: f64,
    pub population: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GazetteerSource {
    pub name: String,
    pub package: String,
    pub sha256: String,
    pub license: String,
    pub attribution: String,
    pub rows_kept: i64,
    pub imported_at: Timestamp,
}

const COLUMNS: &str =
    "id, kind, country, code_key, name, name_key, region_code, region, latitude, longitude, population";

/// Rows per INSERT statement: 11 values each stays well under SQLite's limit of variables.
const ROWS_PER_INSERT: usize = 400;

macro_rules! place_from_row {
    ($row:expr) => {{
        let row = $row;
        Ok::<PlaceRow, StoreError>(PlaceRow {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            country: row.try_get("country")?,
            code_key: row.try_get("code_key")?,
            name: row.try_get("name")?,
            name_key: row.try_get("name_key")?,
            region_code: row.try_get("region_code")?,
            region: row.try_get("region")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
            population: row.try_get("population")?,
        })
    }};
}

/// The smallest string greater than every string starting with `prefix` (in byte order):
/// the prefix with its last character moved one on. `None` for an empty prefix.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(last as u32 + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

impl Store {
    /// Replaces every place of `kind` with `places` (ids are assigned here, after the largest
    /// id of the other kind) and records the source, all in one transaction: searches see the
    /// old gazetteer or the new one, never half of each.
    pub async fn replace_places(&self, kind: &str, places: &[PlaceRow], source: &GazetteerSource) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM places WHERE kind = $1")
                .bind(kind)
                .execute(&mut *tx)
                .await?;
            let (max_id,): (Option<i64>,) = sqlx::query_as("SELECT max(id) FROM places").fetch_one(&mut *tx).await?;
            let mut next_id = max_id.unwrap_or(0) + 1;
            for chunk in places.chunks(ROWS_PER_INSERT) {
                let values = (0..chunk.len())
                    .map(|i| {
                        let b = i * 11;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4,
                            b + 5,
                            b + 6,
                            b + 7,
                            b + 8,
                            b + 9,
                            b + 10,
                            b + 11
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("INSERT INTO places ({COLUMNS}) VALUES {values}");
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for place in chunk {
                    query = query
                        .bind(next_id)
                        .bind(kind)
                        .bind(&place.country)
                        .bind(&place.code_key)
                        .bind(&place.name)
                        .bind(&place.name_key)
                        .bind(&place.region_code)
                        .bind(&place.region)
                        .bind(place.latitude)
                        .bind(place.longitude)
                        .bind(place.population);
                    next_id += 1;
                }
                query.execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM gazetteer_sources WHERE name = $1")
                .bind(&source.name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO gazetteer_sources (name, package, sha256, license, attribution, rows_kept, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&source.name)
            .bind(&source.package)
            .bind(&source.sha256)
            .bind(&source.license)
            .bind(&source.attribution)
            .bind(source.rows_kept)
            .bind(source.imported_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn gazetteer_sources(&self) -> Result<Vec<GazetteerSource>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT name, package, sha256, license, attribution, rows_kept, imported_at FROM gazetteer_sources \
                 ORDER BY name",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(GazetteerSource {
                        name: row.try_get("name")?,
                        package: row.try_get("package")?,
                        sha256: row.try_get("sha256")?,
                        license: row.try_get("license")?,
                        attribution: row.try_get("attribution")?,
                        rows_kept: row.try_get("rows_kept")?,
                        imported_at: row.try_get("imported_at")?,
                    })
                })
                .collect()
        })
    }

    /// Places with this postal code (folded), in `country` when given.
    pub async fn places_by_code(&self, code_key: &str, country: Option<&str>) -> Result<Vec<PlaceRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM places WHERE code_key = $1 AND ($2 = '' OR country = $2) ORDER BY country, id LIMIT 20"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(code_key)
                .bind(country.unwrap_or(""))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| place_from_row!(row)).collect()
        })
    }

    /// Places called exactly `name_key`, the most populous first.
    pub async fn places_by_name(&self, name_key: &str, limit: i64) -> Result<Vec<PlaceRow>> {
        let sql = format!("SELECT {COLUMNS} FROM places WHERE name_key = $1 ORDER BY population DESC, id LIMIT $2");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name_key)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| place_from_row!(row)).collect()
        })
    }

    /// Cities whose folded name starts with `prefix`, the most populous first (suggestions).
    pub async fn places_with_name_prefix(&self, prefix: &str, limit: i64) -> Result<Vec<PlaceRow>> {
        let Some(end) = prefix_end(prefix) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM places WHERE name_key >= $1 AND name_key < $2 AND kind = 'city' \
             ORDER BY population DESC, id LIMIT $3"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(prefix)
                .bind(end)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let places: Result<Vec<PlaceRow>> = rows.iter().map(|row| place_from_row!(row)).collect();
            // A collation other than byte order may let a neighbour in; keep true prefixes.
            Ok(places?.into_iter().filter(|p| p.name_key.starts_with(prefix)).collect())
        })
    }

    /// Postal codes starting with `prefix` (suggestions for a code not found).
    pub async fn places_with_code_prefix(&self, prefix: &str, limit: i64) -> Result<Vec<PlaceRow>> {
        let Some(end) = prefix_end(prefix) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM places WHERE code_key >= $1 AND code_key < $2 ORDER BY code_key, id LIMIT $3"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(prefix)
                .bind(end)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let places: Result<Vec<PlaceRow>> = rows.iter().map(|row| place_from_row!(row)).collect();
            Ok(places?
                .into_iter()
                .filter(|p| p.code_key.as_deref().is_some_and(|c| c.starts_with(prefix)))
                .collect())
        })
    }

    /// Places of a kind in a country, in id order, a page at a time (the data generator
    /// spreads profiles over them).
    pub async fn places_page(&self, kind: &str, after_id: i64, limit: i64) -> Result<Vec<PlaceRow>> {
        let sql = format!("SELECT {COLUMNS} FROM places WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3");
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| place_from_row!(row)).collect()
        })
    }

    /// How many places of each kind the gazetteer holds.
    pub async fn place_counts(&self) -> Result<Vec<(String, i64)>> {
        with_pool!(self, read, |pool| {
            Ok(
                sqlx::query_as("SELECT kind, count(*) FROM places GROUP BY kind ORDER BY kind")
                    .fetch_all(pool)
                    .await?,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_prefix_ends_just_after_its_last_character() {
        assert_eq!(super::prefix_end("sna").as_deref(), Some("snb"));
        assert_eq!(super::prefix_end("941").as_deref(), Some("942"));
        assert_eq!(super::prefix_end(""), None);
    }
}
