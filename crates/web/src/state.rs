//! What every request can reach: the application once it is ready, and web settings.

use std::sync::{Arc, OnceLock, RwLock};

use app::App;
use store::Store;

use crate::metrics::Metrics;

/// Web-level settings derived from the configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Mark cookies `Secure` and use the `__Host-` prefix. True when the public address is
    /// https, or loopback (browsers treat http://127.0.0.1 and http://localhost as secure).
    pub secure_cookies: bool,
    /// Send Strict-Transport-Security (only when served over TLS).
    pub hsts: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub demo: bool,
    /// When set, `/metrics` answers only a request bearing this token.
    pub metrics_token: Option<String>,
}

impl ServerConfig {
    /// Settings for a public URL such as `https://sensate.example` or `http://127.0.0.1:8080`.
    pub fn for_public_url(public_url: &str, demo: bool) -> ServerConfig {
        let https = public_url.starts_with("https://");
        let host = public_url.split("://").nth(1).unwrap_or_default();
        let loopback = ["127.", "localhost", "[::1]"].iter().any(|p| host.starts_with(p));
        ServerConfig {
            secure_cookies: https || loopback,
            hsts: https,
            trust_forwarded_for: false,
            demo,
            metrics_token: None,
        }
    }
}

#[derive(Clone)]
pub struct ServerState {
    inner: Arc<Inner>,
}

struct Inner {
    app: OnceLock<App>,
    store: Store,
    config: ServerConfig,
    metrics: Metrics,
    not_ready: RwLock<String>,
    board_name: RwLock<String>,
    lookups: crate::lookup_limit::LookupLimiter,
}

impl ServerState {
    pub fn new(store: Store, config: ServerConfig) -> ServerState {
        ServerState {
            inner: Arc::new(Inner {
                app: OnceLock::new(),
                store,
                config,
                metrics: Metrics::default(),
                not_ready: RwLock::new("starting".into()),
                board_name: RwLock::new(String::new()),
                lookups: crate::lookup_limit::LookupLimiter::default(),
            }),
        }
    }

    /// Counts a public lookup from the request's client address; refused over the limit.
    pub fn count_lookup(&self, meta: &app::RequestMeta) -> Result<(), crate::WebError> {
        let address = meta.client_addr.as_deref().unwrap_or("unknown");
        self.inner.lookups.check(address).map_err(|wait| {
            crate::WebError::App(app::AppError::Throttled(format!(
                "Too many lookups from your address. Try again in {wait} seconds."
            )))
        })
    }

    /// Called once the database is migrated and the keys are loaded.
    pub fn set_ready(&self, app: App) {
        if let Ok(mut name) = self.inner.board_name.write() {
            name.clone_from(&app.config().board.name);
        }
        let _ = self.inner.app.set(app);
    }

    /// Why the server is not ready yet (shown by /readyz).
    pub fn set_not_ready(&self, reason: impl Into<String>) {
        if let Ok(mut slot) = self.inner.not_ready.write() {
            *slot = reason.into();
        }
    }

    pub fn not_ready_reason(&self) -> String {
        self.inner.not_ready.read().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn app(&self) -> Option<&App> {
        self.inner.app.get()
    }

    /// The use cases for a handler: until start-up has finished, every request answers "not
    /// ready" (503) instead.
    pub(crate) fn ready_app(&self) -> Result<&App, crate::WebError> {
        self.app().ok_or(crate::WebError::NotReady)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn board_name(&self) -> String {
        self.inner.board_name.read().map(|n| n.clone()).unwrap_or_default()
    }

    pub(crate) fn session_cookie_name(&self) -> &'static str {
        if self.inner.config.secure_cookies {
            "__Host-sensate"
        } else {
            "sensate"
        }
    }

    /// The device cookie (`app::platform::devices`).
    pub(crate) fn device_cookie_name(&self) -> &'static str {
        if self.inner.config.secure_cookies {
            "__Host-sensate-device"
        } else {
            "sensate-device"
        }
    }

    pub(crate) fn csrf_cookie_name(&self) -> &'static str {
        if self.inner.config.secure_cookies {
            "__Host-sensate-csrf"
        } else {
            "sensate-csrf"
        }
    }
}
