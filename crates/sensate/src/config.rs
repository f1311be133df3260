//! Configuration: built-in defaults, then `sensate.toml` (or the file named by
//! `SENSATE_CONFIG`), then `SENSATE_*` environment variables, then command-line flags.
//! Secrets (SMTP password, master key) are never printed: `Debug` redacts them, and the master
//! key is read from the environment only where it is used.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Everything `sensate.toml` may say. All keys are optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub board_name: Option<String>,
    /// The board's identity beyond its name (certificates, letters, e-mail).
    pub board_short_name: Option<String>,
    pub board_address: Option<Vec<String>>,
    /// A PNG file: the logo on certificates and letterheads (a drawn seal otherwise).
    pub board_logo: Option<PathBuf>,
    pub board_signatory_name: Option<String>,
    pub board_signatory_title: Option<String>,
    pub key_file: Option<PathBuf>,
    pub session_idle_minutes: Option<i64>,
    pub session_absolute_hours: Option<i64>,
    pub db_max_connections: Option<u32>,
    pub trust_forwarded_for: Option<bool>,
    /// A bearer token `/metrics` then requires (set it in the environment, not here).
    pub metrics_token: Option<String>,
    pub log_format: Option<String>,
    pub mail_from: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_security: Option<String>,
    pub files_url: Option<String>,
    pub max_upload_mb: Option<u64>,
    pub sqlite_synchronous: Option<String>,
    pub sqlite_group_commit: Option<bool>,
}

#[derive(Clone)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub public_url: Option<String>,
    pub board: app::credentialing::board::BoardIdentity,
    pub key_file: PathBuf,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub db_max_connections: u32,
    pub trust_forwarded_for: bool,
    pub metrics_token: Option<String>,
    pub json_logs: bool,
    pub mail_from: String,
    pub smtp: Option<Smtp>,
    /// Where uploaded documents are kept (encrypted): a directory, or a URL the file store
    /// understands (`file://…`, or `s3://…` in builds with S3 support).
    pub files_url: String,
    pub max_upload_mb: u64,
    /// SQLite's `synchronous`: `full` unless `sqlite_synchronous = "normal"` is asked for
    /// (benchmarks only: a power cut can then lose acknowledged writes).
    pub sqlite_sync: store::SqliteSync,
    /// SQLite: commit concurrent writes in groups (default); `false` gives every write its own
    /// transaction and fsync (benchmarks only: much slower, no safer).
    pub sqlite_group_commit: bool,
}

#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub security: app::platform::mail::SmtpSecurity,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &store::redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("key_file", &self.key_file)
            .field("smtp_host", &self.smtp.as_ref().map(|s| &s.host))
            .field(
                "smtp_password",
                &self
                    .smtp
                    .as_ref()
                    .and_then(|s| s.password.as_ref())
                    .map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// Values from the command line, which win over everything else.
#[derive(Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match env(name) {
        Some(text) => text
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name}={text:?} is not a valid value")),
        None => Ok(None),
    }
}

fn read_file(path: &Path, required: bool) -> anyhow::Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            toml::from_str(&text).with_context(|| format!("configuration file {} is not valid", path.display()))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !required => Ok(FileConfig::default()),
        Err(error) => Err(error).with_context(|| format!("cannot read configuration file {}", path.display())),
    }
}

/// The board's identity: the environment over the file, a name alone giving its initials.
fn board_identity(file: &FileConfig) -> anyhow::Result<app::credentialing::board::BoardIdentity> {
    let name = env("SENSATE_BOARD_NAME")
        .or(file.board_name.clone())
        .unwrap_or_else(|| "Certification Board".into());
    let mut board = app::credentialing::board::BoardIdentity::named(&name);
    if let Some(short) = env("SENSATE_BOARD_SHORT_NAME").or(file.board_short_name.clone()) {
        board.short_name = short.trim().to_owned();
    }
    // In the environment, address lines are separated by "|".
    if let Some(lines) = env("SENSATE_BOARD_ADDRESS")
        .map(|text| text.split('|').map(str::to_owned).collect())
        .or(file.board_address.clone())
    {
        board.address = lines
            .into_iter()
            .map(|line: String| line.trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect();
    }
    if let Some(path) = env("SENSATE_BOARD_LOGO").map(PathBuf::from).or(file.board_logo.clone()) {
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read the board logo {}", path.display()))?;
        if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            bail!("the board logo {} is not a PNG image", path.display());
        }
        board.logo_png = Some(bytes);
    }
    board.signatory_name = env("SENSATE_BOARD_SIGNATORY_NAME")
        .or(file.board_signatory_name.clone())
        .unwrap_or_default();
    board.signatory_title = env("SENSATE_BOARD_SIGNATORY_TITLE")
        .or(file.board_signatory_title.clone())
        .unwrap_or_default();
    Ok(board)
}

impl Config {
    pub fn load(overrides: Overrides) -> anyhow::Result<Config> {
        let (path, required) = match env("SENSATE_CONFIG") {
            Some(path) => (PathBuf::from(path), true),
            None => (PathBuf::from("sensate.toml"), false),
        };
        let file = read_file(&path, required)?;
        let board = board_identity(&file)?;

        let data_dir = overrides
            .data_dir
            .or(env("SENSATE_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(app::default_data_dir);
        let database_url = overrides
            .database_url
            .or(env("SENSATE_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}/sensate.db", data_dir.display()));
        let key_file = env("SENSATE_KEY_FILE")
            .map(PathBuf::from)
            .or(file.key_file)
            .unwrap_or_else(|| data_dir.join("master.key"));
        let smtp_host = env("SENSATE_SMTP_HOST").or(file.smtp_host);
        let smtp = match smtp_host {
            Some(host) => {
                let security = match env("SENSATE_SMTP_SECURITY")
                    .or(file.smtp_security)
                    .as_deref()
                    .unwrap_or("starttls")
                {
                    "tls" => app::platform::mail::SmtpSecurity::Tls,
                    "starttls" => app::platform::mail::SmtpSecurity::StartTls,
                    "none" => app::platform::mail::SmtpSecurity::None,
                    other => bail!("smtp_security must be tls, starttls or none (got {other:?})"),
                };
                let default_port = match security {
                    app::platform::mail::SmtpSecurity::Tls => 465,
                    app::platform::mail::SmtpSecurity::StartTls => 587,
                    app::platform::mail::SmtpSecurity::None => 25,
                };
                Some(Smtp {
                    host,
                    port: env_parse("SENSATE_SMTP_PORT")?
                        .or(file.smtp_port)
                        .unwrap_or(default_port),
                    username: env("SENSATE_SMTP_USERNAME").or(file.smtp_username),
                    password: env("SENSATE_SMTP_PASSWORD").or(file.smtp_password),
                    security,
                })
            }
            None => None,
        };
        let config = Config {
            listen: overrides
                .listen
                .or(env("SENSATE_LISTEN"))
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url,
            public_url: env("SENSATE_PUBLIC_URL")
                .or(file.public_url)
                .map(|u| u.trim_end_matches('/').to_owned()),
            board,
            key_file,
            session_idle_minutes: env_parse("SENSATE_SESSION_IDLE_MINUTES")?
                .or(file.session_idle_minutes)
                .unwrap_or(30),
            session_absolute_hours: env_parse("SENSATE_SESSION_ABSOLUTE_HOURS")?
                .or(file.session_absolute_hours)
                .unwrap_or(12),
            db_max_connections: env_parse("SENSATE_DB_MAX_CONNECTIONS")?
                .or(file.db_max_connections)
                .unwrap_or(10),
            trust_forwarded_for: env_parse("SENSATE_TRUST_FORWARDED_FOR")?
                .or(file.trust_forwarded_for)
                .unwrap_or(false),
            metrics_token: env("SENSATE_METRICS_TOKEN").or(file.metrics_token.clone()),
            json_logs: env("SENSATE_LOG_FORMAT")
                .or(file.log_format)
                .is_some_and(|f| f == "json"),
            mail_from: env("SENSATE_MAIL_FROM")
                .or(file.mail_from)
                .unwrap_or_else(|| "Sensate <no-reply@sensate.invalid>".into()),
            smtp,
            files_url: env("SENSATE_FILES_URL")
                .or(file.files_url)
                .unwrap_or_else(|| data_dir.join("files").display().to_string()),
            max_upload_mb: env_parse("SENSATE_MAX_UPLOAD_MB")?.or(file.max_upload_mb).unwrap_or(20),
            sqlite_sync: match env("SENSATE_SQLITE_SYNCHRONOUS")
                .or(file.sqlite_synchronous)
                .as_deref()
                .unwrap_or("full")
            {
                "full" => store::SqliteSync::Full,
                "normal" => store::SqliteSync::Normal,
                other => bail!("sqlite_synchronous must be full or normal (got {other:?})"),
            },
            sqlite_group_commit: env_parse("SENSATE_SQLITE_GROUP_COMMIT")?
                .or(file.sqlite_group_commit)
                .unwrap_or(true),
            data_dir,
        };
        if !(1..=200).contains(&config.max_upload_mb) {
            bail!("max_upload_mb must be between 1 and 200");
        }
        if config.session_idle_minutes < 1 || config.session_absolute_hours < 1 {
            bail!("session timeouts must be at least 1 minute (idle) and 1 hour (absolute)");
        }
        Ok(config)
    }

    /// Where the key-encryption keys come from: `SENSATE_MASTER_KEY` if set, else the key file.
    pub fn key_source(&self) -> (app::platform::keys::KeySource, Option<String>) {
        match env("SENSATE_MASTER_KEY") {
            Some(value) => (app::platform::keys::KeySource::Environment, Some(value)),
            None => (app::platform::keys::KeySource::File(self.key_file.clone()), None),
        }
    }

    pub fn app_config(&self, public_url: &str, demo: bool) -> app::AppConfig {
        let transport = match &self.smtp {
            Some(smtp) => app::platform::mail::MailTransport::Smtp {
                host: smtp.host.clone(),
                port: smtp.port,
                username: smtp.username.clone(),
                password: smtp.password.clone(),
                security: smtp.security,
            },
            None => app::platform::mail::MailTransport::Outbox {
                dir: self.data_dir.join("outbox"),
            },
        };
        app::AppConfig {
            public_url: public_url.to_owned(),
            session: domain::platform::session::SessionPolicy {
                idle_timeout: time::Duration::minutes(self.session_idle_minutes),
                absolute_timeout: time::Duration::hours(self.session_absolute_hours),
            },
            demo,
            // The demo is its own board, whatever this installation is configured as.
            board: if demo {
                app::demo::demo_board()
            } else {
                self.board.clone()
            },
            mail: app::platform::mail::MailConfig {
                from: self.mail_from.clone(),
                transport,
            },
            key_source: self.key_source().0,
            files: app::FilesConfig {
                location: self.files_url.clone(),
                max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            },
        }
    }

    pub fn store_options(&self) -> store::StoreOptions {
        store::StoreOptions {
            max_connections: self.db_max_connections,
            sqlite_sync: self.sqlite_sync,
            group_commit: self.sqlite_group_commit.then(store::GroupLimits::default),
            ..store::StoreOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_configuration_is_valid() {
        let parsed: FileConfig = toml::from_str(include_str!("../../../sensate.example.toml")).unwrap();
        assert_eq!(parsed.listen.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(parsed.session_idle_minutes, Some(30));
    }

    #[test]
    fn sqlite_writes_are_durable_and_grouped_unless_asked_otherwise() {
        let options = store::StoreOptions::default();
        assert_eq!(options.sqlite_sync, store::SqliteSync::Full);
        assert_eq!(options.group_commit, Some(store::GroupLimits::default()));
        let relaxed: FileConfig =
            toml::from_str("sqlite_synchronous = \"normal\"\nsqlite_group_commit = false").unwrap();
        assert_eq!(relaxed.sqlite_synchronous.as_deref(), Some("normal"));
        assert_eq!(relaxed.sqlite_group_commit, Some(false));
    }

    #[test]
    fn the_board_identity_is_read_whole_and_a_logo_must_be_a_png() {
        let file: FileConfig = toml::from_str(
            "board_name = \"Ordre des Sexologues du Québec\"\nboard_address = [\"1 rue Sainte-Catherine\", \" \", \"Montréal QC\"]\nboard_signatory_name = \"Dr. Anne Roy\"\nboard_signatory_title = \"Présidente\"",
        )
        .unwrap();
        let board = board_identity(&file).unwrap();
        assert_eq!(board.name, "Ordre des Sexologues du Québec");
        assert_eq!(board.short_name, "OSQ");
        assert_eq!(board.address, ["1 rue Sainte-Catherine", "Montréal QC"]);
        assert_eq!(
            (board.signatory_name.as_str(), board.signatory_title.as_str()),
            ("Dr. Anne Roy", "Présidente")
        );
        assert_eq!(board.logo_png, None);
        let dir = std::env::temp_dir().join(format!("sensate-logo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("logo.jpg"), b"\xff\xd8\xff\xe0 not a png").unwrap();
        let with_logo = FileConfig {
            board_logo: Some(dir.join("logo.jpg")),
            ..FileConfig::default()
        };
        let refused = board_identity(&with_logo).unwrap_err().to_string();
        assert!(refused.contains("is not a PNG image"), "{refused}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }

    #[test]
    fn debug_hides_the_smtp_password_and_database_password() {
        let config = Config {
            listen: "x".into(),
            data_dir: "d".into(),
            database_url: "postgres://u:dbsecret@h/x".into(),
            public_url: None,
            board: app::credentialing::board::BoardIdentity::named("B"),
            key_file: "k".into(),
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            db_max_connections: 1,
            trust_forwarded_for: false,
            metrics_token: Some("metricssecret".into()),
            json_logs: false,
            mail_from: "m".into(),
            smtp: Some(Smtp {
                host: "h".into(),
                port: 1,
                username: None,
                password: Some("smtpsecret".into()),
                security: app::platform::mail::SmtpSecurity::None,
            }),
            files_url: "f".into(),
            max_upload_mb: 20,
            sqlite_sync: store::SqliteSync::Full,
            sqlite_group_commit: true,
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("dbsecret") && !shown.contains("smtpsecret") && !shown.contains("metricssecret"),
            "{shown}"
        );
    }
}
