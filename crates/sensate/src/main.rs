//! `sensate`: the one binary. Subcommands serve the web application, migrate the database,
//! create the first administrator, verify the audit log and rotate the keys.

mod config;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "sensate",
    version,
    about = "Credentialing, verification, referral and practice for the sex-therapy field"
)]
struct Cli {
    /// Database URL (sqlite://PATH or postgres://…); default sqlite://<data dir>/sensate.db.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Directory for the SQLite database, the key file and the mail outbox (default ./data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Load demo data into an empty database and allow the demo accounts to sign in.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Inspect the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the key-encryption keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the first board administrator and print a one-time link to choose a password.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and name the first broken link (exit status 1 if broken).
    Verify,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new key-encryption key, make it active and re-wrap every data key under it.
    Rotate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let config = match Config::load(Overrides {
        listen,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
    }) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sensate: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    serve::init_logging(config.json_logs);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sensate: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command, config));
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sensate: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { demo, .. } => serve::serve(config, demo).await,
        Command::Migrate => {
            let store = serve::open_store(&config)?;
            store
                .migrate()
                .await
                .with_context(|| format!("cannot migrate {}", store::redact_url(&config.database_url)))?;
            println!("Database {} is up to date.", store::redact_url(&config.database_url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => {
            let app = serve::open_app(&config, false).await?;
            let (email, link) = app
                .create_first_admin(&email, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Board administrator {email} created.");
            println!("Open this link within 24 hours to choose a password (it works once):\n\n  {link}\n");
            println!("Two-factor sign-in is set up at the first sign-in.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = serve::open_store(&config)?;
            store.migrate().await.context("cannot open the database")?;
            match app::audit::verify_log(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                app::audit::VerifyOutcome::Intact { events } => {
                    println!("Audit log intact: {events} events, every link verified.");
                    Ok(ExitCode::SUCCESS)
                }
                app::audit::VerifyOutcome::Broken(broken) => {
                    println!("Audit log BROKEN: {broken}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let store = serve::open_store(&config)?;
            store.migrate().await.context("cannot open the database")?;
            let (source, _) = config.key_source();
            let report = app::keys::rotate(&store, &source)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("New active key: {}", report.new_key);
            println!("Data keys re-wrapped: {}", report.rewrapped);
            println!(
                "Earlier keys kept in the key file for running servers and backups: {}",
                report.previous_keys.join(", ")
            );
            println!("Back up the key file again now: a backup of the database needs the key file of the same time.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
