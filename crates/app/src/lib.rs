//! Sensate's use cases: the only layer that joins the domain, the store and the vault.
//!
//! Every request that does something calls one public method here. This layer decides who may
//! do what ([`authz`], the one place a reader audits), writes the audit log ([`audit`]),
//! seals and opens protected data through the vault ([`protected`]), and queues e-mail
//! ([`mail`]). HTTP handlers only extract input, call one method and map the result.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod authz;
pub mod clinical;
pub mod credentialing;
pub mod demo;
pub mod directory;
mod error;
pub mod ethics;
pub mod platform;
pub mod referrals;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use domain::platform::session::SessionPolicy;
use store::Store;
use vault::KeyRing;

pub use error::{AppError, AppResult};
pub use platform::clock::Clock;
pub use platform::context::{Actor, RequestMeta};

/// Settings the use cases need (the binary builds this from `sensate.toml` and the
/// environment).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The address people use to reach Sensate, without a trailing slash; links in e-mail
    /// start with it.
    pub public_url: String,
    pub session: SessionPolicy,
    /// Demo mode: demo accounts may sign in and the demo pages are served.
    pub demo: bool,
    /// Who the board is, on every page, document, credential and e-mail.
    pub board: credentialing::board::BoardIdentity,
    pub mail: platform::mail::MailConfig,
    /// Where the key ring was loaded from, so rotation and reloads use the same source.
    pub key_source: platform::keys::KeySource,
    pub files: FilesConfig,
}

/// Where uploaded documents are stored, and how large one may be.
#[derive(Debug, Clone)]
pub struct FilesConfig {
    /// A directory path, or a URL (`file:///…`, `memory:///`, `s3://…` with the S3 build).
    pub location: String,
    pub max_upload_bytes: u64,
}

impl FilesConfig {
    fn open(&self) -> AppResult<files::FileStore> {
        let opened = if self.location.contains("://") {
            files::FileStore::from_url(&self.location, std::iter::empty::<(String, String)>())
        } else {
            files::FileStore::local(std::path::Path::new(&self.location))
        };
        opened.map_err(|error| {
            AppError::internal(anyhow::anyhow!(
                "cannot open the file store at {}: {error}",
                self.location
            ))
        })
    }
}

/// The application: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    keys: RwLock<KeyRing>,
    config: AppConfig,
    passwords: platform::password::PasswordHasher,
    clock: Clock,
    mail_signal: tokio::sync::Notify,
    files: files::FileStore,
    status_lists: credentialing::credentials::StatusListCache,
    directory: directory::profiles::DirectoryState,
    places: directory::gazetteer::PlaceCache,
    /// The WebAuthn relying party, or why passkeys are not offered.
    passkeys: Result<platform::passkeys::RelyingParty, String>,
    /// Demo mode only: the demo accounts' authenticator secrets, opened (and audited) once
    /// per process so each visit to `/demo` does not fill the audit log.
    demo_secrets: demo::DemoSecrets,
}

impl App {
    pub fn new(store: Store, keys: KeyRing, config: AppConfig, clock: Clock) -> AppResult<App> {
        let passwords = platform::password::PasswordHasher::new()?;
        let files = config.files.open()?;
        let passkeys = platform::passkeys::RelyingParty::for_public_url(&config.public_url);
        Ok(App {
            inner: Arc::new(Inner {
                store,
                keys: RwLock::new(keys),
                config,
                passwords,
                clock,
                mail_signal: tokio::sync::Notify::new(),
                files,
                status_lists: credentialing::credentials::StatusListCache::default(),
                directory: directory::profiles::DirectoryState::default(),
                places: directory::gazetteer::PlaceCache::default(),
                passkeys,
                demo_secrets: demo::DemoSecrets::default(),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn demo_secrets(&self) -> &demo::DemoSecrets {
        &self.inner.demo_secrets
    }

    /// The signed status lists last served (see `credential::App::status_list`).
    pub(crate) fn status_list_cache(&self) -> &credentialing::credentials::StatusListCache {
        &self.inner.status_lists
    }

    /// The encrypted document store (only `documents` reads and writes it).
    pub(crate) fn files(&self) -> &files::FileStore {
        &self.inner.files
    }

    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn now(&self) -> store::Timestamp {
        self.inner.clock.now()
    }

    pub(crate) fn passwords(&self) -> &platform::password::PasswordHasher {
        &self.inner.passwords
    }

    /// The link people follow for `path` (which starts with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.inner.config.public_url.trim_end_matches('/'), path)
    }
}

/// Where data lives on disk by default.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("./data")
}
