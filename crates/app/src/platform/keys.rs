//! Loading, creating and rotating the key-encryption keys that protect every data key.

use std::path::PathBuf;

use store::Store;
use vault::{KeyRing, VaultError};

use crate::{AppError, AppResult};

/// Where the key ring comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file (default `<data dir>/master.key`, mode 0600), created on first run.
    File(PathBuf),
    /// `SENSATE_MASTER_KEY`, for deployments that inject secrets through the environment.
    /// The value itself is never kept here.
    Environment,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(path) => write!(f, "key file {}", path.display()),
            KeySource::Environment => f.write_str("SENSATE_MASTER_KEY"),
        }
    }
}

fn vault_error(error: VaultError) -> AppError {
    AppError::Refused(error.to_string())
}

/// Reads the key ring if it exists. `Ok(None)` only for a key file that does not exist yet.
/// A broken, unreadable or too-open key file is an error, and is never overwritten.
pub fn load_existing(source: &KeySource, env_value: Option<&str>) -> AppResult<Option<KeyRing>> {
    match source {
        KeySource::Environment => {
            let value = env_value.ok_or_else(|| AppError::Refused("SENSATE_MASTER_KEY is empty".into()))?;
            KeyRing::parse_env_value(value).map(Some).map_err(vault_error)
        }
        KeySource::File(path) => {
            if std::fs::symlink_metadata(path).is_err() {
                return Ok(None);
            }
            vault::load_key_file(path).map(Some).map_err(vault_error)
        }
    }
}

/// Refuses a key ring that cannot unwrap the database's data keys (the wrong key file, or one
/// restored from before a rotation).
pub async fn check_against_database(ring: &KeyRing, store: &Store, source: &KeySource) -> AppResult<()> {
    let counts = store.data_key_counts().await?;
    let missing: Vec<String> = counts
        .iter()
        .filter(|(id, _)| vault::KeyId::parse(id).map(|id| !ring.contains(&id)).unwrap_or(true))
        .map(|(id, n)| format!("{id} ({n} data keys)"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AppError::Refused(format!(
            "the {source} does not hold the key(s) that wrap this database's data: {}. \
             Use the key file that belongs to this database (restore it from its backup).",
            missing.join(", ")
        )))
    }
}

/// Loads the key ring, creating a key file on first run. A missing key file is created only
/// when the database holds no data keys yet: creating a fresh key beside existing data would
/// make that data unreadable, so that case stops with instructions instead.
pub async fn ensure(store: &Store, source: &KeySource, env_value: Option<&str>) -> AppResult<(KeyRing, bool)> {
    if let Some(ring) = load_existing(source, env_value)? {
        check_against_database(&ring, store, source).await?;
        return Ok((ring, false));
    }
    let KeySource::File(path) = source else {
        return Err(AppError::Refused("SENSATE_MASTER_KEY is not set".into()));
    };
    let counts = store.data_key_counts().await?;
    if !counts.is_empty() {
        return Err(AppError::Refused(format!(
            "the key file {} is missing, but the database holds data keys wrapped by {}. \
             Restore the key file from its backup; a new key cannot read existing data.",
            path.display(),
            counts.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| AppError::Refused(format!("cannot create {}: {e}", parent.display())))?;
    }
    let (ring, created) = vault::load_or_create_key_file(path).map_err(vault_error)?;
    Ok((ring, created))
}

#[derive(Debug)]
pub struct RotationReport {
    pub new_key: String,
    pub previous_keys: Vec<String>,
    pub rewrapped: u64,
}

/// Adds a new key-encryption key, makes it active, saves the key file, then re-wraps every data
/// key under it in batches. Running servers keep working throughout: they can unwrap with the
/// old keys (still in the file) and reload the file when they meet the new key id.
pub async fn rotate(store: &Store, source: &KeySource) -> AppResult<RotationReport> {
    let KeySource::File(path) = source else {
        return Err(AppError::Refused(
            "the keys come from SENSATE_MASTER_KEY; rotate by moving them to a key file \
             (SENSATE_KEY_FILE) or by providing a new SENSATE_MASTER_KEY list with the new key first"
                .into(),
        ));
    };
    let mut ring = vault::load_key_file(path).map_err(vault_error)?;
    check_against_database(&ring, store, source).await?;
    let previous_keys: Vec<String> = ring.ids().map(|id| id.to_string()).collect();
    let new_key = ring.rotate().map_err(vault_error)?;
    vault::save_key_file(path, &ring).map_err(vault_error)?;
    let rewrapped = rewrap_all(store, &ring).await?;
    Ok(RotationReport {
        new_key: new_key.to_string(),
        previous_keys,
        rewrapped,
    })
}

/// Re-wraps every live data key not yet under the active key. Idempotent: rerunning after an
/// interruption finishes the job.
pub async fn rewrap_all(store: &Store, ring: &KeyRing) -> AppResult<u64> {
    let active = ring.active_id().to_string();
    let mut rewrapped = 0;
    loop {
        let batch = store.data_keys_not_wrapped_by(&active, 500).await?;
        if batch.is_empty() {
            return Ok(rewrapped);
        }
        for key in batch {
            let (Some(kek_id), Some(bytes)) = (key.kek_id, key.wrapped) else {
                continue;
            };
            let old_id = vault::KeyId::parse(&kek_id).map_err(vault_error)?;
            let wrapped = vault::WrappedKey { kek_id: old_id, bytes };
            let fresh = ring.rewrap(&wrapped, &key.subject).map_err(vault_error)?;
            if store
                .rewrap_data_key(
                    &key.subject,
                    &kek_id,
                    fresh.kek_id.as_str(),
                    &fresh.bytes,
                    store::Timestamp::now(),
                )
                .await?
            {
                rewrapped += 1;
            }
        }
    }
}
