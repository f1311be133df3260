//! Reading and writing the key file (Unix only).
//!
//! The key file is the root of all protected data, so it is handled
//! conservatively: it must not be readable by anyone but its owner, it is
//! written atomically (readers see the old or the new file, never a torn
//! one, even across a crash), and it is never overwritten except by an
//! explicit rotation.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::{KeyRing, VaultError};

/// Key files are a few hundred bytes per key; anything bigger than this is
/// the wrong file, and is not read into memory.
const MAX_KEY_FILE_LEN: u64 = 1 << 20;

/// Loads a key ring from a key file.
///
/// # Errors
/// [`VaultError::Io`] if the file is missing (`NotFound`), unreadable or
/// not a regular file; [`VaultError::Permissions`] if its mode grants any
/// access to group or others; [`VaultError::KeyFile`] if it is too large,
/// not UTF-8 or not a valid key file. The file is never modified.
pub fn load_key_file(path: impl AsRef<Path>) -> Result<KeyRing, VaultError> {
    let path = path.as_ref();
    let io_err = |source| io_error(path, source);
    let file = File::open(path).map_err(io_err)?;
    // Check the opened file, not the path, so a swap between the check and
    // the read cannot slip a different file past it.
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(VaultError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    if meta.len() > MAX_KEY_FILE_LEN {
        return Err(VaultError::KeyFile("file is too large to be a key file".into()));
    }

    // Sized up front so reading does not reallocate and leave unwiped
    // copies of key material behind; `take` guards against a file that
    // grew after the size check.
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        usize::try_from(meta.len()).unwrap_or(0).saturating_add(1),
    ));
    file.take(MAX_KEY_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::KeyFile("not UTF-8 text".into()))?;
    KeyRing::parse_file_text(text)
}

/// Writes a new key file with mode 0600, atomically, refusing to replace
/// anything already at `path` (including a dangling symlink).
///
/// The ring is written to a temporary 0600 file in the same directory and
/// synced, then hard-linked to `path` (which, unlike `rename`, fails if
/// `path` exists, even if it appeared a moment ago), and the directory is
/// synced so the new name survives a crash.
///
/// # Errors
/// [`VaultError::AlreadyExists`] if `path` exists; [`VaultError::Io`] for
/// filesystem errors.
pub fn create_key_file(path: impl AsRef<Path>, ring: &KeyRing) -> Result<(), VaultError> {
    let path = path.as_ref();
    // Early check for a clear error without touching the directory; the
    // hard link below is what actually guarantees no overwrite.
    if fs::symlink_metadata(path).is_ok() {
        return Err(already_exists(path));
    }
    let temp = TempFile::write(path, &render_checked(ring)?)?;
    fs::hard_link(&temp.path, path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => already_exists(path),
        _ => io_error(path, e),
    })?;
    drop(temp); // removes the temporary name; the inode lives on at `path`
    sync_dir(path)
}

/// Atomically replaces the key file at `path` (or creates it) with `ring`,
/// mode 0600. Meant for key rotation only; use [`create_key_file`] for a
/// first key file, which never overwrites.
///
/// If `path` is a symlink, the link itself is replaced by a regular file.
///
/// # Errors
/// [`VaultError::Io`] for filesystem errors; the old file is then intact.
pub fn save_key_file(path: impl AsRef<Path>, ring: &KeyRing) -> Result<(), VaultError> {
    let path = path.as_ref();
    let temp = TempFile::write(path, &render_checked(ring)?)?;
    fs::rename(&temp.path, path).map_err(|e| io_error(path, e))?;
    temp.disarm();
    sync_dir(path)
}

/// Loads the key file, or creates one with a new ring if nothing at all is
/// at `path`. Returns the ring and whether it was just created.
///
/// A file that exists but cannot be loaded (bad permissions, garbage, a
/// dangling symlink) is an error and is left untouched: replacing it with a
/// new key would make every existing wrapped key unreadable.
///
/// # Errors
/// As for [`load_key_file`] and [`create_key_file`].
pub fn load_or_create_key_file(path: impl AsRef<Path>) -> Result<(KeyRing, bool), VaultError> {
    let path = path.as_ref();
    match fs::symlink_metadata(path) {
        Ok(_) => Ok((load_key_file(path)?, false)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let ring = KeyRing::generate()?;
            match create_key_file(path, &ring) {
                Ok(()) => Ok((ring, true)),
                // Another process created it first: use theirs.
                Err(VaultError::AlreadyExists { .. }) => Ok((load_key_file(path)?, false)),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(io_error(path, e)),
    }
}

/// Renders the ring and checks that the text reads back to the very same
/// keys, so no bug in rendering can ever put an unreadable key file on disk.
fn render_checked(ring: &KeyRing) -> Result<Zeroizing<String>, VaultError> {
    let text = ring.to_file_text();
    let back = KeyRing::parse_file_text(&text)?;
    let same = back.active == ring.active
        && back.keys.len() == ring.keys.len()
        && back
            .keys
            .iter()
            .zip(&ring.keys)
            .all(|(a, b)| a.id == b.id && *a.material == *b.material);
    if !same {
        return Err(VaultError::KeyFile(
            "internal error: rendered key file does not read back identically; nothing written".into(),
        ));
    }
    Ok(text)
}

fn io_error(path: &Path, source: io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_owned(),
        source,
    }
}

fn already_exists(path: &Path) -> VaultError {
    VaultError::AlreadyExists { path: path.to_owned() }
}

/// The directory holding `path` ("." for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes a rename or link in `path`'s directory durable.
fn sync_dir(path: &Path) -> Result<(), VaultError> {
    let dir = parent_dir(path);
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error(dir, e))
}

/// A synced 0600 temporary file next to the key file, removed on drop
/// unless disarmed (i.e. renamed into place).
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    fn write(target: &Path, contents: &str) -> Result<TempFile, VaultError> {
        let name = target
            .file_name()
            .ok_or_else(|| io_error(target, io::Error::new(io::ErrorKind::InvalidInput, "not a file path")))?;
        let mut random = [0u8; 6];
        getrandom::fill(&mut random)?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{suffix}.tmp"));
        let path = parent_dir(target).join(temp_name);

        // create_new: never follow or reuse something planted at this name.
        // mode 0600 at creation so the key is never briefly world-readable.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io_error(target, e))?;
        let temp = TempFile { path, armed: true };
        // The umask can only clear bits; set exactly 0600 regardless.
        file.set_permissions(Permissions::from_mode(0o600))
            .and_then(|()| file.write_all(contents.as_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(target, e))?;
        Ok(temp)
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: failing to clean up must not mask the real error.
            let _ = fs::remove_file(&self.path);
        }
    }
}
