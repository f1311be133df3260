//! Schema migrations, embedded in the binary and applied by sqlx's migrator (which records a
//! checksum per version, refuses an edited migration, and takes an advisory lock on PostgreSQL
//! so several nodes can start at once).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Db, Result, Store, StoreError};

/// Every migration, in order. Add new files here; never edit one that has shipped.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/0001_foundation.sql")),
    (2, "programs", include_str!("../../migrations/0002_programs.sql")),
    (3, "evidence", include_str!("../../migrations/0003_evidence.sql")),
    (
        4,
        "signing_keys",
        include_str!("../../migrations/0004_signing_keys.sql"),
    ),
    (
        5,
        "review_and_credentials",
        include_str!("../../migrations/0005_review_and_credentials.sql"),
    ),
    (
        6,
        "renewals_and_reminders",
        include_str!("../../migrations/0006_renewals_and_reminders.sql"),
    ),
    (7, "ethics", include_str!("../../migrations/0007_ethics.sql")),
    (
        8,
        "directory_and_referrals",
        include_str!("../../migrations/0008_directory_and_referrals.sql"),
    ),
    (9, "passkeys", include_str!("../../migrations/0009_passkeys.sql")),
    (
        10,
        "codes_to_show",
        include_str!("../../migrations/0010_codes_to_show.sql"),
    ),
    (
        11,
        "ethics_reply_deadline",
        include_str!("../../migrations/0011_ethics_reply_deadline.sql"),
    ),
    (
        12,
        "credit_certificates",
        include_str!("../../migrations/0012_credit_certificates.sql"),
    ),
    (
        13,
        "review_supervision_invitations",
        include_str!("../../migrations/0013_review_supervision_invitations.sql"),
    ),
    (
        14,
        "device_cookies",
        include_str!("../../migrations/0014_device_cookies.sql"),
    ),
    (
        17,
        "referrer_requests_one_waiting",
        include_str!("../../migrations/0017_referrer_requests_one_waiting.sql"),
    ),
];

fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// A fingerprint of the whole schema history (names test template databases).
pub fn schema_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (version, name, sql) in MIGRATIONS {
        hasher.update(version.to_be_bytes());
        hasher.update(name.as_bytes());
        hasher.update(sql.as_bytes());
    }
    hex::encode(&hasher.finalize()[..6])
}

pub(crate) async fn run(store: &Store) -> Result<()> {
    let migrator = migrator();
    match &store.db {
        Db::Sqlite { write, .. } => migrator.run(write).await,
        Db::Postgres(pool) => migrator.run(pool).await,
    }
    .map_err(|error| match error {
        sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
        other => StoreError::Migration(other),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_numbered_in_order() {
        let versions: Vec<i64> = super::MIGRATIONS.iter().map(|m| m.0).collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(versions, sorted);
        assert_eq!(super::schema_fingerprint().len(), 12);
    }
}
