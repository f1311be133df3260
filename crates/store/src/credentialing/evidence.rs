//! A candidate's evidence: documents, memberships, the ethics attestation, degrees, licenses,
//! insurance, credentials held, and the hour logs.
//!
//! Rows are written as the app hands them over (already checked by the domain); this module
//! only stores and reads them. Reads are always scoped to one owner.

use sqlx::Row;

use crate::{Result, Store, StoreError, Timestamp};

/// An uploaded file's description (its bytes are in the file store).
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub id: String,
    pub owner_id: String,
    pub kind: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub object_path: String,
    pub uploaded_by: String,
    pub uploaded_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub id: String,
    pub kind: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub document_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DegreeRow {
    pub id: String,
    pub level: String,
    pub field: String,
    pub institution: String,
    pub accredited: bool,
    pub awarded_on: String,
    pub document_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LicenseRow {
    pub id: String,
    pub profession: String,
    pub jurisdiction: String,
    pub number: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub document_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InsuranceRow {
    pub id: String,
    pub carrier: String,
    pub policy_number: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub document_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub id: String,
    pub user_id: String,
    pub program_code: String,
    pub number: String,
    pub valid_from: String,
    pub valid_until: String,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct HourRow {
    pub id: String,
    pub log: String,
    pub entry_date: String,
    pub hours_centi: i64,
    pub mode: String,
    pub provider: String,
    pub title: String,
    /// JSON: `[["area_key", centi], …]`.
    pub split: String,
    pub document_id: Option<String>,
    pub import_batch: Option<String>,
    pub fingerprint: String,
    pub created_at: Timestamp,
}

/// Which evidence table a dated record lives in (for the shared delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceTable {
    Memberships,
    Degrees,
    Licenses,
    Insurance,
    Hours,
    /// Continuing-education credits of a renewal (their certificates).
    RenewalCredits,
}

impl EvidenceTable {
    fn name(self) -> &'static str {
        match self {
            EvidenceTable::Memberships => "memberships",
            EvidenceTable::Degrees => "degrees",
            EvidenceTable::Licenses => "licenses",
            EvidenceTable::Insurance => "insurance_policies",
            EvidenceTable::Hours => "hour_entries",
            EvidenceTable::RenewalCredits => "renewal_entries",
        }
    }
}

const DOCUMENT_COLUMNS: &str =
    "id, owner_id, kind, file_name, media_type, size_bytes, sha256, object_path, uploaded_by, uploaded_at";

fn document_from_row<R: Row>(row: &R) -> Result<DocumentRecord>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(DocumentRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        kind: row.try_get("kind")?,
        file_name: row.try_get("file_name")?,
        media_type: row.try_get("media_type")?,
        size_bytes: row.try_get("size_bytes")?,
        sha256: row.try_get("sha256")?,
        object_path: row.try_get("object_path")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

impl Store {
    pub async fn insert_document(&self, document: &DocumentRecord) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO documents (id, owner_id, kind, file_name, media_type, size_bytes, sha256, object_path, \
                 uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&document.id)
            .bind(&document.owner_id)
            .bind(&document.kind)
            .bind(&document.file_name)
            .bind(&document.media_type)
            .bind(document.size_bytes)
            .bind(&document.sha256)
            .bind(&document.object_path)
            .bind(&document.uploaded_by)
            .bind(document.uploaded_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn document(&self, id: &str) -> Result<Option<DocumentRecord>> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1 AND deleted_at IS NULL");
        with_pool!(self, read, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(document_from_row).transpose()
        })
    }

    /// An owner's documents, newest first.
    pub async fn documents_of(&self, owner_id: &str) -> Result<Vec<DocumentRecord>> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE owner_id = $1 AND deleted_at IS NULL \
             ORDER BY uploaded_at DESC, id"
        );
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(owner_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(document_from_row).collect()
        })
    }

    pub async fn add_pursuit(&self, user_id: &str, program_code: &str, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO pursuits (user_id, program_code, started_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, program_code) DO NOTHING",
            )
            .bind(user_id)
            .bind(program_code)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn pursuits(&self, user_id: &str) -> Result<Vec<String>> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT program_code FROM pursuits WHERE user_id = $1 ORDER BY started_at, program_code",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn insert_membership(&self, user_id: &str, row: &MembershipRow, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO memberships (id, user_id, kind, valid_from, valid_until, document_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&row.id)
            .bind(user_id)
            .bind(&row.kind)
            .bind(&row.valid_from)
            .bind(&row.valid_until)
            .bind(&row.document_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            // A membership decides whether credentials lapse, so the directory follows it.
            crate::directory::profiles::record_change_sql!(user_id, tx);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn memberships(&self, user_id: &str) -> Result<Vec<MembershipRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, kind, valid_from, valid_until, document_id FROM memberships WHERE user_id = $1 \
                 ORDER BY valid_from, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<MembershipRow> {
                    Ok(MembershipRow {
                        id: row.try_get("id")?,
                        kind: row.try_get("kind")?,
                        valid_from: row.try_get("valid_from")?,
                        valid_until: row.try_get("valid_until")?,
                        document_id: row.try_get("document_id")?,
                    })
                })
                .collect()
        })
    }

    /// Records (or re-records) the ethics attestation.
    pub async fn put_attestation(&self, user_id: &str, on: &str, statement: &str, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO ethics_attestations (user_id, attested_on, statement, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id) DO UPDATE SET attested_on = $2, statement = $3, created_at = $4",
            )
            .bind(user_id)
            .bind(on)
            .bind(statement)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn attestation(&self, user_id: &str) -> Result<Option<String>> {
        with_pool!(self, read, |pool| {
            Ok(
                sqlx::query_scalar("SELECT attested_on FROM ethics_attestations WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    pub async fn insert_degree(&self, user_id: &str, row: &DegreeRow, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO degrees (id, user_id, level, field, institution, accredited, awarded_on, document_id, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&row.id)
            .bind(user_id)
            .bind(&row.level)
            .bind(&row.field)
            .bind(&row.institution)
            .bind(row.accredited)
            .bind(&row.awarded_on)
            .bind(&row.document_id)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn degrees(&self, user_id: &str) -> Result<Vec<DegreeRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, level, field, institution, accredited, awarded_on, document_id FROM degrees \
                 WHERE user_id = $1 ORDER BY awarded_on, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<DegreeRow> {
                    Ok(DegreeRow {
                        id: row.try_get("id")?,
                        level: row.try_get("level")?,
                        field: row.try_get("field")?,
                        institution: row.try_get("institution")?,
                        accredited: row.try_get("accredited")?,
                        awarded_on: row.try_get("awarded_on")?,
                        document_id: row.try_get("document_id")?,
                    })
                })
                .collect()
        })
    }

    pub async fn insert_license(&self, user_id: &str, row: &LicenseRow, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO licenses (id, user_id, profession, jurisdiction, number, valid_from, valid_until, \
                 document_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&row.id)
            .bind(user_id)
            .bind(&row.profession)
            .bind(&row.jurisdiction)
            .bind(&row.number)
            .bind(&row.valid_from)
            .bind(&row.valid_until)
            .bind(&row.document_id)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn licenses(&self, user_id: &str) -> Result<Vec<LicenseRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, profession, jurisdiction, number, valid_from, valid_until, document_id FROM licenses \
                 WHERE user_id = $1 ORDER BY valid_from, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<LicenseRow> {
                    Ok(LicenseRow {
                        id: row.try_get("id")?,
                        profession: row.try_get("profession")?,
                        jurisdiction: row.try_get("jurisdiction")?,
                        number: row.try_get("number")?,
                        valid_from: row.try_get("valid_from")?,
                        valid_until: row.try_get("valid_until")?,
                        document_id: row.try_get("document_id")?,
                    })
                })
                .collect()
        })
    }

    pub async fn insert_insurance(&self, user_id: &str, row: &InsuranceRow, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO insurance_policies (id, user_id, carrier, policy_number, valid_from, valid_until, \
                 document_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&row.id)
            .bind(user_id)
            .bind(&row.carrier)
            .bind(&row.policy_number)
            .bind(&row.valid_from)
            .bind(&row.valid_until)
            .bind(&row.document_id)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn insurance(&self, user_id: &str) -> Result<Vec<InsuranceRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, carrier, policy_number, valid_from, valid_until, document_id FROM insurance_policies \
                 WHERE user_id = $1 ORDER BY valid_from, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<InsuranceRow> {
                    Ok(InsuranceRow {
                        id: row.try_get("id")?,
                        carrier: row.try_get("carrier")?,
                        policy_number: row.try_get("policy_number")?,
                        valid_from: row.try_get("valid_from")?,
                        valid_until: row.try_get("valid_until")?,
                        document_id: row.try_get("document_id")?,
                    })
                })
                .collect()
        })
    }

    /// Attaches an uploaded document to one of the owner's records.
    pub async fn attach_document(
        &self,
        table: EvidenceTable,
        user_id: &str,
        record_id: &str,
        document_id: &str,
    ) -> Result<()> {
        // A credit has no owner column: it is the owner's through its renewal.
        let sql = if table == EvidenceTable::RenewalCredits {
            "UPDATE renewal_entries SET document_id = $1 WHERE id = $2 \
             AND renewal_id IN (SELECT id FROM renewals WHERE user_id = $3)"
                .to_owned()
        } else {
            format!(
                "UPDATE {} SET document_id = $1 WHERE id = $2 AND user_id = $3",
                table.name()
            )
        };
        let changed = with_pool!(self, write, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(document_id)
                .bind(record_id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Deletes one of the owner's evidence records. Never another person's: the owner is part
    /// of the condition.
    pub async fn delete_evidence(&self, table: EvidenceTable, user_id: &str, record_id: &str) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE id = $1 AND user_id = $2", table.name());
        let changed = with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(record_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if table == EvidenceTable::Memberships {
                crate::directory::profiles::record_change_sql!(user_id, tx);
            }
            tx.commit().await?;
            changed
        });
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub async fn insert_credential(&self, row: &CredentialRow, at: Timestamp) -> Result<()> {
        with_pool!(self, write, |pool| {
            sqlx::query(
                "INSERT INTO credentials (id, user_id, program_code, number, valid_from, valid_until, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&row.id)
            .bind(&row.user_id)
            .bind(&row.program_code)
            .bind(&row.number)
            .bind(&row.valid_from)
            .bind(&row.valid_until)
            .bind(&row.status)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn credentials_of(&self, user_id: &str) -> Result<Vec<CredentialRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, user_id, program_code, number, valid_from, valid_until, status FROM credentials \
                 WHERE user_id = $1 ORDER BY valid_from, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<CredentialRow> {
                    Ok(CredentialRow {
                        id: row.try_get("id")?,
                        user_id: row.try_get("user_id")?,
                        program_code: row.try_get("program_code")?,
                        number: row.try_get("number")?,
                        valid_from: row.try_get("valid_from")?,
                        valid_until: row.try_get("valid_until")?,
                        status: row.try_get("status")?,
                    })
                })
                .collect()
        })
    }

    /// Adds hour entries all together or not at all (a CSV import is one call). A row whose
    /// fingerprint the person already has makes the whole call a [`StoreError::Conflict`].
    pub async fn insert_hours(&self, user_id: &str, rows: &[HourRow]) -> Result<()> {
        const SQL: &str = "INSERT INTO hour_entries (id, user_id, log, entry_date, hours_centi, mode, provider, title, \
                           split, document_id, import_batch, fingerprint, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            for row in rows {
                sqlx::query(SQL)
                    .bind(&row.id)
                    .bind(user_id)
                    .bind(&row.log)
                    .bind(&row.entry_date)
                    .bind(row.hours_centi)
                    .bind(&row.mode)
                    .bind(&row.provider)
                    .bind(&row.title)
                    .bind(&row.split)
                    .bind(&row.document_id)
                    .bind(&row.import_batch)
                    .bind(&row.fingerprint)
                    .bind(row.created_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The fingerprints among `fingerprints` that this person already has.
    pub async fn existing_fingerprints(&self, user_id: &str) -> Result<Vec<String>> {
        with_pool!(self, read, |pool| {
            Ok(
                sqlx::query_scalar("SELECT fingerprint FROM hour_entries WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_all(pool)
                    .await?,
            )
        })
    }

    pub async fn hours(&self, user_id: &str) -> Result<Vec<HourRow>> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT id, log, entry_date, hours_centi, mode, provider, title, split, document_id, import_batch, \
                 fingerprint, created_at FROM hour_entries WHERE user_id = $1 ORDER BY entry_date, created_at, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<HourRow> {
                    Ok(HourRow {
                        id: row.try_get("id")?,
                        log: row.try_get("log")?,
                        entry_date: row.try_get("entry_date")?,
                        hours_centi: row.try_get("hours_centi")?,
                        mode: row.try_get("mode")?,
                        provider: row.try_get("provider")?,
                        title: row.try_get("title")?,
                        split: row.try_get("split")?,
                        document_id: row.try_get("document_id")?,
                        import_batch: row.try_get("import_batch")?,
                        fingerprint: row.try_get("fingerprint")?,
                        created_at: row.try_get("created_at")?,
                    })
                })
                .collect()
        })
    }
}
