//! Password hashing with argon2id, off the async worker threads and behind a limit.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

use crate::{AppError, AppResult};

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Hashes and verifies passwords. Each hash takes ~19 MiB and tens of milliseconds of CPU, so
/// it runs on the blocking pool (never on the async workers that serve other requests) and at
/// most one hash per core runs at a time; a sign-in storm queues instead of exhausting memory.
#[derive(Clone)]
pub struct PasswordHasher {
    limit: Arc<Semaphore>,
    /// A hash of a random password, verified against when an account does not exist, so that
    /// "no such account" takes as long as "wrong password".
    dummy_hash: Arc<String>,
}

fn argon2() -> AppResult<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> AppResult<String> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing failed: {e}")))?;
    Ok(hash.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    match argon2() {
        Ok(hasher) => hasher.verify_password(password.as_bytes(), hash).is_ok(),
        Err(_) => false,
    }
}

impl PasswordHasher {
    pub fn new() -> AppResult<PasswordHasher> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let dummy = crate::platform::random::token()?;
        Ok(PasswordHasher {
            limit: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::new(hash_now(&dummy)?),
        })
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self.limit.acquire().await.map_err(AppError::internal)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(AppError::internal)?
    }

    /// Verifies `password` against `hash`; with no hash (unknown account) verifies against the
    /// dummy so the time taken does not reveal whether the account exists.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let _permit = self.limit.acquire().await.map_err(AppError::internal)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.as_str().to_owned(), str::to_owned);
        let matched = tokio::task::spawn_blocking(move || verify_now(&password, &hash))
            .await
            .map_err(AppError::internal)?;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let hasher = PasswordHasher::new().unwrap();
        let hash = hasher.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify("correct horse battery", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong horse battery", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("correct horse battery", None).await.unwrap());
        assert!(!hasher.verify("x", Some("not a hash")).await.unwrap());
    }
}
