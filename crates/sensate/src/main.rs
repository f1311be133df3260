//! `sensate`: the one binary. Subcommands serve the web application, migrate the database,
//! create the first administrator, verify the audit log, rotate the keys and import credential
//! programs.

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
    /// Manage the credential programs and the board lists.
    Programs {
        #[command(subcommand)]
        command: ProgramsCommand,
    },
    /// The offline gazetteer of postal codes and places (see GAZETTEER.md).
    Gazetteer {
        #[command(subcommand)]
        command: GazetteerCommand,
    },
    /// The public directory.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Back up the database and the documents into DEST (a new directory) while the server
    /// keeps serving. The key file is not included: keep it separately (BACKUP.md says why).
    Backup {
        /// A new or empty directory.
        dest: PathBuf,
    },
    /// Restore a backup made by `sensate backup` into this installation's database and
    /// document directory, which must be empty; then check it row by row.
    Restore {
        /// The backup's directory.
        src: PathBuf,
    },
}

#[derive(Subcommand)]
enum GazetteerCommand {
    /// Import the files `scripts/gazetteer` fetched (replaces the places held).
    Import {
        /// Where the files are (default $SENSATE_GAZETTEER_DIR, else target/gazetteer).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Create synthetic certified professionals with listed profiles over the gazetteer's
    /// places (for load tests and benchmarks; never on a board's real database).
    Generate {
        /// How many profiles.
        #[arg(long)]
        profiles: u64,
        /// Seed of the generator (the same seed makes the same profiles).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print how many profiles and locations there are and the bytes of the fields the
    /// search index reads, as stored (the benchmark's yardstick for memory).
    Stats,
}

#[derive(Subcommand)]
enum ProgramsCommand {
    /// Import a definition file (board lists or a program version). A file with any problem is
    /// refused as a whole, with each problem's line and field (exit status 1).
    Import {
        /// The TOML file, such as programs/cst.toml.
        file: PathBuf,
    },
    /// List the programs and the version of each in force today.
    List,
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

/// This installation's database and document directory, as a backup sees them.
fn backup_place<'a>(store: &'a store::Store, config: &'a Config) -> app::platform::backup::Place<'a> {
    app::platform::backup::Place {
        store,
        database_url: &config.database_url,
        files_location: &config.files_url,
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
            match app::platform::audit::verify_log(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                app::platform::audit::VerifyOutcome::Intact { events } => {
                    println!("Audit log intact: {events} events, every link verified.");
                    Ok(ExitCode::SUCCESS)
                }
                app::platform::audit::VerifyOutcome::Broken(broken) => {
                    println!("Audit log BROKEN: {broken}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Programs {
            command: ProgramsCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = serve::open_app(&config, false).await?;
            match app.import_definition_as_operator(&text).await {
                Ok(outcome) => {
                    println!("{}", outcome.describe());
                    Ok(ExitCode::SUCCESS)
                }
                Err(app::AppError::Validation(errors)) => {
                    eprintln!("{} was refused; nothing was stored:", file.display());
                    for (_, message) in errors.iter() {
                        for line in message.lines() {
                            eprintln!("  {}: {line}", file.display());
                        }
                    }
                    Ok(ExitCode::FAILURE)
                }
                Err(app::AppError::Refused(reason)) => {
                    eprintln!("{} was refused: {reason}", file.display());
                    Ok(ExitCode::FAILURE)
                }
                Err(error) => Err(anyhow::anyhow!("{error}")),
            }
        }
        Command::Programs {
            command: ProgramsCommand::List,
        } => {
            let app = serve::open_app(&config, false).await?;
            let programs = app.programs().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            for program in programs {
                println!(
                    "{:<8} {:<12} in force since {}  {}",
                    program.code, program.version, program.effective_from, program.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Gazetteer {
            command: GazetteerCommand::Import { dir },
        } => {
            let app = serve::open_app(&config, false).await?;
            let dir = dir.unwrap_or_else(app::directory::gazetteer::default_dir);
            let started = std::time::Instant::now();
            let summary = app.import_gazetteer(&dir).await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
            println!(
                "Gazetteer imported from {}: {} postal codes and {} places in {:.1} s.",
                dir.display(),
                summary.postal_codes,
                summary.cities,
                started.elapsed().as_secs_f64()
            );
            println!("{}", app::directory::gazetteer::ATTRIBUTION);
            Ok(ExitCode::SUCCESS)
        }
        Command::Directory {
            command: DirectoryCommand::Generate { profiles, seed },
        } => {
            let app = serve::open_app(&config, false).await?;
            let started = std::time::Instant::now();
            let made = app
                .generate_directory(profiles, seed)
                .await
                .map_err(|e| anyhow::anyhow!("{e:#}"))?;
            println!(
                "Generated {made} listed profiles in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Directory {
            command: DirectoryCommand::Stats,
        } => {
            let app = serve::open_app(&config, false).await?;
            let (profiles, locations, bytes) = app
                .store()
                .directory_sizes()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("profiles={profiles} locations={locations} indexed_field_bytes={bytes}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { dest } => {
            let store = serve::open_store(&config)?;
            let place = backup_place(&store, &config);
            let now = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .context("cannot format the time")?;
            let manifest = app::platform::backup::backup(&place, &dest, &now)
                .await
                .with_context(|| format!("the backup into {} failed", dest.display()))?;
            println!(
                "Backup written to {}: {} database ({} bytes){}.",
                dest.display(),
                manifest.engine,
                manifest.database.bytes,
                match &manifest.documents {
                    Some(documents) => format!(", {} document files", documents.len()),
                    None => ", documents not included (they are in an object store: back it up with its own tools)"
                        .to_owned(),
                }
            );
            for (table, rows) in &manifest.row_counts {
                println!("  {table}: {rows} rows");
            }
            println!(
                "The key file ({}) is not in the backup. Keep a copy of it somewhere else: without it nothing sealed in the backup can be read.",
                config.key_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { src } => {
            let store = serve::open_store(&config)?;
            let place = backup_place(&store, &config);
            let manifest = app::platform::backup::restore(&src, &place)
                .await
                .with_context(|| format!("the restore from {} failed", src.display()))?;
            println!(
                "Restored the backup of {} ({} database) into {}; every file matched its checksum and every counted table has its rows.",
                manifest.created_at,
                manifest.engine,
                store::redact_url(&config.database_url)
            );
            match app::platform::audit::verify_log(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                app::platform::audit::VerifyOutcome::Intact { events } => {
                    println!("Audit log intact: {events} events, every link verified.");
                }
                app::platform::audit::VerifyOutcome::Broken(broken) => {
                    println!("Audit log BROKEN: {broken}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            println!(
                "Put the installation's key file at {} before starting the server.",
                config.key_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let store = serve::open_store(&config)?;
            store.migrate().await.context("cannot open the database")?;
            let (source, _) = config.key_source();
            let report = app::platform::keys::rotate(&store, &source)
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
