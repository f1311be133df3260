//! `sensate serve`: bind, bring the application up (database, keys, demo data), serve.
//!
//! The server answers `/healthz` as soon as it listens. Until the database is reachable and
//! migrated, `/readyz` says why it is not ready and pages answer 503; start-up keeps retrying
//! the database every 5 seconds. A broken or missing key file stops the process with a clear
//! message and exit status 1; nothing is overwritten.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use app::App;
use store::Store;
use web::{ServerConfig, ServerState};

use crate::config::Config;

pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.starts_with("sqlite:") && !config.data_dir.exists() {
        // The data directory holds the database, the key file and the mail outbox: owner only.
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&config.data_dir)
            .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    }
    Store::open_lazy(&config.database_url, &config.store_options()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Opens the store, migrates, loads the keys: for the one-shot commands.
pub async fn open_app(config: &Config, demo: bool) -> anyhow::Result<App> {
    let store = open_store(config)?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot migrate {}", store::redact_url(&config.database_url)))?;
    let (source, env_value) = config.key_source();
    let (keys, _) = app::platform::keys::ensure(&store, &source, env_value.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    let app = App::new(store, keys, config.app_config(&public_url, demo), app::Clock::system())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.install_shipped_programs()
        .await
        .map_err(|e| anyhow::anyhow!("cannot install the shipped credential programs: {e}"))?;
    Ok(app)
}

pub async fn serve(config: Config, demo: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(&config)?;
    let (source, env_value) = config.key_source();
    // A key file that exists but cannot be used stops start-up before anything else happens.
    let loaded =
        app::platform::keys::load_existing(&source, env_value.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("listener has no address")?;
    // Unless told otherwise, a loopback server calls itself by a host name: did:web identifiers
    // name a host, not an IP address.
    let public_url = config.public_url.clone().unwrap_or_else(|| {
        if address.ip().is_loopback() {
            format!("http://localhost:{}", address.port())
        } else {
            format!("http://{address}")
        }
    });
    let mut server_config = ServerConfig::for_public_url(&public_url, demo);
    server_config.trust_forwarded_for = config.trust_forwarded_for;
    server_config.metrics_token.clone_from(&config.metrics_token);
    let state = ServerState::new(store.clone(), server_config);

    tracing::info!(database = %store::redact_url(&config.database_url), engine = store.engine().as_str(), "starting");
    if store.engine() == store::Engine::Sqlite {
        if config.sqlite_sync == store::SqliteSync::Normal {
            tracing::warn!("sqlite_synchronous = normal: a power cut can lose acknowledged writes (benchmarks only)");
        }
        if !config.sqlite_group_commit {
            tracing::warn!("sqlite_group_commit = false: every write waits for its own fsync (benchmarks only)");
        }
    }
    println!("Sensate is listening on {public_url}");

    let bring_up = tokio::spawn(bring_up(
        state.clone(),
        config.clone(),
        public_url.clone(),
        demo,
        loaded,
    ));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = web::serve(listener, state, shutdown).await;
    bring_up.abort();
    store.close().await;
    if let Some(stats) = store.write_stats() {
        tracing::info!(
            groups = stats.groups,
            writes = stats.writes,
            largest_group = stats.largest_group,
            failed_groups = stats.failed_groups,
            "SQLite writes committed since start"
        );
    }
    served.context("server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// Migrates (retrying while the database is unreachable), loads the keys, loads the demo,
/// then marks the server ready and starts the background tasks.
async fn bring_up(state: ServerState, config: Config, public_url: String, demo: bool, loaded: Option<vault::KeyRing>) {
    let store = state.store().clone();
    loop {
        match store.migrate().await {
            Ok(()) => break,
            Err(error) if error.is_unavailable() => {
                let message = format!(
                    "database {} unreachable: {error}",
                    store::redact_url(&config.database_url)
                );
                tracing::warn!("{message}; retrying in 5 s (/readyz answers 503 until then)");
                // /readyz is public: it says what is wrong, not where the database is.
                state.set_not_ready("database unreachable; retrying every 5 s");

                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(error) => fail(&format!("cannot migrate the database: {error}")),
        }
    }
    let (source, env_value) = config.key_source();
    let keys = match loaded {
        Some(ring) => match app::platform::keys::check_against_database(&ring, &store, &source).await {
            Ok(()) => ring,
            Err(error) => fail(&error.to_string()),
        },
        None => match app::platform::keys::ensure(&store, &source, env_value.as_deref()).await {
            Ok((ring, created)) => {
                if created {
                    tracing::info!(path = %config.key_file.display(), "created a new key file; back it up apart from the database");
                }
                ring
            }
            Err(error) => fail(&error.to_string()),
        },
    };
    let app = match App::new(store, keys, config.app_config(&public_url, demo), app::Clock::system()) {
        Ok(app) => app,
        Err(error) => fail(&format!("cannot start: {error}")),
    };
    if let Err(error) = app.install_shipped_programs().await {
        fail(&format!("cannot install the shipped credential programs: {error}"));
    }
    if let Err(error) = app.ensure_signing_key().await {
        fail(&format!("cannot create the credential-signing key: {error}"));
    }
    import_places_if_empty(&app).await;
    if demo {
        match app.demo_allowed().await {
            Ok(true) => {}
            Ok(false) => fail(
                "--demo is refused: this database holds real accounts (it was not created by the demo). \
                 Demo mode shows sent e-mail and live sign-in codes, so use an empty data directory or database for the demo.",
            ),
            Err(error) => fail(&format!("cannot check the database: {error}")),
        }
        match app.load_demo_if_empty().await {
            Ok(true) => {
                let credentials = app.demo_credentials().await.unwrap_or_default();
                print_demo_help(&public_url, &credentials);
            }
            Ok(false) => println!(
                "Demo mode: the database already has data, so no demo data was added. Demo accounts: {public_url}/demo"
            ),
            Err(error) => fail(&format!("cannot load the demo data: {error}")),
        }
    }
    // The directory's search index lives in each node's memory: build it before serving.
    let started = std::time::Instant::now();
    match app.load_directory().await {
        Ok(listed) => tracing::info!(
            listed,
            seconds = started.elapsed().as_secs_f64(),
            "directory index loaded"
        ),
        Err(error) => fail(&format!("cannot load the directory: {error}")),
    }
    tokio::spawn(app.clone().run_mail_sender());
    tokio::spawn(clean_expired_sessions(app.clone()));
    // Reminders before expiry and at membership end; every node runs it, each reminder goes out once.
    tokio::spawn(app.clone().run_lifecycle());
    state.set_ready(app);
    tracing::info!("ready");
}

/// The directory needs places: when the database has none, import the files
/// `scripts/gazetteer` fetched if they are there (a refresh, or more countries), else the
/// United States and Canada places built into the binary. A start never waits on the network.
async fn import_places_if_empty(app: &App) {
    if !app.gazetteer_is_empty().await.unwrap_or(false) {
        return;
    }
    let dir = app::directory::gazetteer::default_dir();
    let started = std::time::Instant::now();
    let (from, result) = if dir.join("postal-codes.tsv").exists() {
        (dir.display().to_string(), app.import_gazetteer(&dir).await)
    } else {
        ("the shipped data".to_owned(), app.import_shipped_gazetteer().await)
    };
    match result {
        Ok(summary) => tracing::info!(
            from,
            postal_codes = summary.postal_codes,
            places = summary.cities,
            seconds = started.elapsed().as_secs_f64(),
            attribution = app::directory::gazetteer::ATTRIBUTION,
            "places imported into the empty gazetteer"
        ),
        Err(error) => fail(&format!("cannot import the places from {from}: {error}")),
    }
}

fn fail(message: &str) -> ! {
    tracing::error!("{message}");
    eprintln!("sensate: {message}");
    std::process::exit(1);
}

fn print_demo_help(public_url: &str, credentials: &[app::demo::DemoCredential]) {
    println!();
    println!("Demo data loaded: {}.", app::demo::DEMO_BOARD_NAME);
    println!(
        "  Sign in at {public_url}/sign-in; every demo account's password is {}",
        app::demo::DEMO_PASSWORD
    );
    println!("  Accounts marked * sign in with a two-factor code: the current codes are at {public_url}/demo");
    for account in app::demo::demo_directory() {
        let roles: Vec<&str> = account.roles.iter().map(|role| role.label()).collect();
        println!(
            "    {:<30} {:<20} {}{}",
            account.email,
            account.name,
            roles.join(", "),
            if account.needs_code() { " *" } else { "" }
        );
    }
    if !credentials.is_empty() {
        println!(
            "  Credentials to look up at {public_url}/verify (signed status lists: {public_url}/status/revocation/1"
        );
        println!("  and {public_url}/status/suspension/1):");
        for credential in credentials {
            println!(
                "    {:<20}  {:<20} {:<9} {}",
                credential.number,
                credential.holder_name,
                credential.status.as_str(),
                credential.note
            );
        }
    }
    println!("  E-mail the demo sends to these accounts: {public_url}/demo/mailbox");
    println!();
}

/// Removes expired sessions every 10 minutes (expiry is enforced on every request anyway;
/// this only keeps the table small).
async fn clean_expired_sessions(app: App) {
    loop {
        let now = app.now().get();
        let policy = app.session_policy();
        let idle = store::Timestamp::new(now - policy.idle_timeout);
        let absolute = store::Timestamp::new(now - policy.absolute_timeout);
        if let Err(error) = app.store().delete_expired_sessions(idle, absolute).await {
            tracing::warn!(error = %error, "session clean-up failed");
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}
