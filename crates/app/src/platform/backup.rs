//! Backups an operator can take while the server serves, and restore into an empty place.
//!
//! A backup is a directory holding the database (a SQLite snapshot, or a `pg_dump` archive),
//! a copy of the encrypted document store when it is a local directory, and `manifest.json`:
//! what was taken when, the SHA-256 of every file, and the row counts of the tables that
//! matter, so a restore can prove it brought everything back.
//!
//! The key file is never part of a backup. Everything sealed (documents, records, referrals)
//! is encrypted under keys that the key file's master key wraps, so a backup without the key
//! file is unreadable to whoever steals it; and erasing a person (shredding their key) stays
//! final only while old copies of the key file are not kept beside old backups. Keep the key
//! file in a separate place (a secrets store, or offline), backed up whenever it rotates.
//!
//! The database copy is taken first and the documents after it, so every document the copied
//! database names is in the backup (documents are written before the row that names them).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{Engine, Store};

/// This backup format.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "sensate.db";
const POSTGRES_FILE: &str = "sensate.pgdump";
const FILES_DIR: &str = "files";

/// One file of a backup, relative to its directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackedUpFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What `manifest.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub sensate_version: String,
    pub created_at: String,
    pub engine: String,
    pub database: BackedUpFile,
    /// None when the documents are in an object store (back that up with its own tools).
    pub documents: Option<Vec<BackedUpFile>>,
    pub row_counts: BTreeMap<String, i64>,
}

/// Where a backup comes from or goes to.
pub struct Place<'a> {
    pub store: &'a Store,
    pub database_url: &'a str,
    /// The document store's location as configured (a directory, or a URL).
    pub files_location: &'a str,
}

/// The document store's directory, when it is one.
fn files_directory(location: &str) -> Option<PathBuf> {
    if let Some(path) = location.strip_prefix("file://") {
        return Some(PathBuf::from(path));
    }
    (!location.contains("://")).then(|| PathBuf::from(location))
}

/// Takes a backup of `from` into `dest`, which must not exist or be an empty directory.
pub async fn backup(from: &Place<'_>, dest: &Path, created_at: &str) -> anyhow::Result<Manifest> {
    if dest.exists() && dest.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!(
            "{} already holds files: a backup goes into a new, empty directory",
            dest.display()
        );
    }
    // A backup only reads: it never migrates or creates the database it copies.
    from.store
        .ping()
        .await
        .context("cannot reach the database to back up")?;
    private_dir(dest)?;
    // The counts come from the snapshot itself, so they match what the copy holds even while
    // the server keeps writing.
    let (database, row_counts) = match from.store.engine() {
        Engine::Sqlite => {
            let target = dest.join(SQLITE_FILE);
            from.store
                .snapshot_sqlite_into(&target)
                .await
                .context("cannot take the SQLite snapshot")?;
            owner_only(&target)?;
            let (problems, counts) = store::engine::backup::inspect_sqlite_file(&target)
                .await
                .context("cannot check the snapshot")?;
            if !problems.is_empty() {
                bail!("the snapshot fails its integrity check: {}", problems.join("; "));
            }
            (SQLITE_FILE, counts)
        }
        Engine::Postgres => {
            let snapshot = from.store.export_snapshot().await.context("cannot take a snapshot")?;
            let file = dest.join(POSTGRES_FILE);
            let at = format!("--snapshot={}", snapshot.id);
            let args = [
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                at.as_str(),
                "--file",
            ];
            run_postgres_tool("pg_dump", &args, &file, from.database_url).await?;
            owner_only(&file)?;
            (POSTGRES_FILE, snapshot.counts)
        }
    };
    let row_counts: BTreeMap<String, i64> = row_counts.into_iter().collect();
    let database = describe(dest, Path::new(database))?;
    let documents = match files_directory(from.files_location) {
        Some(dir) => Some(copy_tree(&dir, &dest.join(FILES_DIR), dest)?),
        None => None,
    };
    let manifest = Manifest {
        format: FORMAT,
        sensate_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: created_at.to_owned(),
        engine: from.store.engine().as_str().to_owned(),
        database,
        documents,
        row_counts,
    };
    let text = serde_json::to_string_pretty(&manifest)?;
    write_synced(&dest.join(MANIFEST), text.as_bytes())?;
    Ok(manifest)
}

/// Checks a backup against its manifest: every file present with its recorded checksum.
pub fn check(src: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read_to_string(src.join(MANIFEST))
        .with_context(|| format!("{} has no {MANIFEST}: is it a Sensate backup?", src.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| format!("{MANIFEST} cannot be read"))?;
    if manifest.format != FORMAT {
        bail!(
            "backup format {} is not one this version reads ({FORMAT})",
            manifest.format
        );
    }
    let mut files = vec![&manifest.database];
    files.extend(manifest.documents.iter().flatten());
    for file in files {
        let found = describe(src, Path::new(&file.path))?;
        if found != *file {
            bail!(
                "{} does not match the manifest (expected {} bytes, sha256 {}; found {} bytes, sha256 {})",
                file.path,
                file.bytes,
                file.sha256,
                found.bytes,
                found.sha256
            );
        }
    }
    Ok(manifest)
}

/// Restores the backup in `src` into `into`, whose database and document directory must be
/// empty; then checks that every counted table has the rows the manifest recorded.
pub async fn restore(src: &Path, into: &Place<'_>) -> anyhow::Result<Manifest> {
    let manifest = check(src)?;
    if manifest.engine != into.store.engine().as_str() {
        bail!(
            "this backup is of a {} database; restore it into the same engine (or move the data with the engines' own tools)",
            manifest.engine
        );
    }
    match into.store.engine() {
        Engine::Sqlite => {
            let target = store::engine::backup::sqlite_file(into.database_url)?;
            if std::fs::metadata(&target).map(|m| m.len() > 0).unwrap_or(false) {
                bail!("{} already exists: restore into a new data directory", target.display());
            }
            if let Some(parent) = target.parent() {
                private_dir(parent)?;
            }
            copy_synced(&src.join(&manifest.database.path), &target)?;
        }
        Engine::Postgres => {
            if !into
                .store
                .is_empty_database()
                .await
                .context("cannot reach the database")?
            {
                bail!("the database already has tables: restore into a new, empty database (createdb)");
            }
            let file = src.join(&manifest.database.path);
            let args = [
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
            ];
            run_postgres_tool("pg_restore", &args, &file, into.database_url).await?;
        }
    }
    if let (Some(documents), Some(dir)) = (&manifest.documents, files_directory(into.files_location)) {
        if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
            bail!(
                "{} already holds files: restore into an empty document directory",
                dir.display()
            );
        }
        for file in documents {
            let relative = Path::new(&file.path)
                .strip_prefix(FILES_DIR)
                .map_err(|_| anyhow!("{} is outside {FILES_DIR}/", file.path))?;
            let target = dir.join(relative);
            if let Some(parent) = target.parent() {
                private_dir(parent)?;
            }
            copy_synced(&src.join(&file.path), &target)?;
        }
    }
    into.store
        .migrate()
        .await
        .context("cannot open the restored database")?;
    let problems = into.store.integrity_problems().await?;
    if !problems.is_empty() {
        bail!(
            "the restored database fails its integrity check: {}",
            problems.join("; ")
        );
    }
    let counts: BTreeMap<String, i64> = into.store.row_counts().await?.into_iter().collect();
    for (table, expected) in &manifest.row_counts {
        let found = counts.get(table).copied().unwrap_or(0);
        if found != *expected {
            bail!("{table} has {found} rows after the restore; the backup recorded {expected}");
        }
    }
    Ok(manifest)
}

/// Runs pg_dump (`file` is the archive written, after `args`) or pg_restore (`file` is the
/// archive read, last) on `url`, its password passed in PGPASSWORD rather than on the
/// command line, where other local users could read it.
async fn run_postgres_tool(tool: &str, args: &[&str], file: &Path, url: &str) -> anyhow::Result<()> {
    let (url, password) = store::engine::backup::postgres_url_for_tools(url);
    let mut command = tokio::process::Command::new(tool);
    command.args(args);
    if tool == "pg_dump" {
        command.arg(file).arg("--dbname").arg(&url);
    } else {
        command.arg("--dbname").arg(&url).arg(file);
    }
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .output()
        .await
        .with_context(|| format!("cannot run {tool}: PostgreSQL's client tools must be on PATH"))?;
    if !output.status.success() {
        bail!(
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Copies every file under `from` into `to`, returning each as described relative to `root`.
fn copy_tree(from: &Path, to: &Path, root: &Path) -> anyhow::Result<Vec<BackedUpFile>> {
    let mut copied = Vec::new();
    if !from.exists() {
        return Ok(copied);
    }
    let mut pending = vec![from.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let relative = path.strip_prefix(from)?;
                let target = to.join(relative);
                if let Some(parent) = target.parent() {
                    private_dir(parent)?;
                }
                copy_synced(&path, &target)?;
                copied.push(describe(root, target.strip_prefix(root)?)?);
            }
        }
    }
    copied.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(copied)
}

fn describe(root: &Path, relative: &Path) -> anyhow::Result<BackedUpFile> {
    let path = root.join(relative);
    let mut file = std::fs::File::open(&path).with_context(|| format!("{} is missing", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        bytes += read as u64;
    }
    Ok(BackedUpFile {
        path: relative.to_string_lossy().replace('\\', "/"),
        bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// A directory only its owner can enter (a backup holds names and addresses in the clear).
fn private_dir(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Copies a file (readable by its owner only) and makes the copy durable before saying it
/// is there.
fn copy_synced(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    owner_only(to)?;
    std::fs::File::open(to)?.sync_all()?;
    Ok(())
}

fn owner_only(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))
}

/// Writes a file and makes it durable before saying it is there.
fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
