//! End-to-end tests of the public API: envelope flow, rotation, key files,
//! environment values, redaction, and property tests of the sealed format.

use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::Path;

use proptest::prelude::*;
use vault::{
    DataKey, KeyId, KeyRing, SEAL_OVERHEAD, VaultError, WrappedKey, create_key_file, load_key_file,
    load_or_create_key_file, save_key_file,
};

const M1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const M2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The base64 material lines of a ring's key file.
fn materials(ring: &KeyRing) -> Vec<String> {
    ring.to_file_text()
        .lines()
        .filter_map(|l| l.strip_prefix("material = \""))
        .map(|l| l.trim_end_matches('"').to_owned())
        .collect()
}

/// Names in `dir`, to check no temporary files are left behind.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

// ---- envelope flow -------------------------------------------------------

#[test]
fn envelope_round_trip_through_wrapping() {
    let ring = KeyRing::generate().unwrap();
    let dek = DataKey::generate().unwrap();
    let sealed = dek.seal(b"client:7:notes:1", b"session notes").unwrap();
    let wrapped = ring.wrap(&dek, "client:7").unwrap();
    drop(dek);

    let dek = ring.unwrap(&wrapped, "client:7").unwrap();
    let plain = dek.open(b"client:7:notes:1", &sealed).unwrap();
    assert_eq!(plain.as_slice(), b"session notes");
    assert!(matches!(
        dek.open(b"client:7:notes:2", &sealed),
        Err(VaultError::Decrypt)
    ));
}

#[test]
fn unwrap_for_another_subject_fails() {
    let ring = KeyRing::generate().unwrap();
    let wrapped = ring.wrap(&DataKey::generate().unwrap(), "client:7").unwrap();
    let err = ring.unwrap(&wrapped, "client:8").unwrap_err();
    assert!(matches!(err, VaultError::Decrypt), "{err}");
}

#[test]
fn tampered_wrapped_key_fails() {
    let ring = KeyRing::generate().unwrap();
    let wrapped = ring.wrap(&DataKey::generate().unwrap(), "s").unwrap();
    for i in 1..wrapped.bytes.len() {
        let mut bad = wrapped.clone();
        bad.bytes[i] ^= 0x80;
        assert!(matches!(ring.unwrap(&bad, "s"), Err(VaultError::Decrypt)));
    }
    let truncated = WrappedKey {
        kek_id: wrapped.kek_id.clone(),
        bytes: wrapped.bytes[..20].to_vec(),
    };
    assert!(matches!(ring.unwrap(&truncated, "s"), Err(VaultError::Malformed(_))));
}

#[test]
fn rotation_rewrap_and_retire() {
    let mut ring = KeyRing::generate().unwrap();
    let old = ring.active_id().clone();
    let subjects = ["client:1", "candidate-file:2", "user:3"];
    let mut rows: Vec<(WrappedKey, Vec<u8>)> = subjects
        .iter()
        .map(|s| {
            let dek = DataKey::generate().unwrap();
            let sealed = dek.seal(s.as_bytes(), s.as_bytes()).unwrap();
            (ring.wrap(&dek, s).unwrap(), sealed)
        })
        .collect();

    let new = ring.rotate().unwrap();
    assert_ne!(new, old);
    assert_eq!(ring.active_id(), &new);

    // Old wrapped keys still unwrap after rotation.
    for ((wrapped, sealed), s) in rows.iter().zip(subjects) {
        assert_eq!(wrapped.kek_id, old);
        let dek = ring.unwrap(wrapped, s).unwrap();
        assert_eq!(dek.open(s.as_bytes(), sealed).unwrap().as_slice(), s.as_bytes());
    }

    // Keep a copy of one row as it was before rewrapping.
    let stale = rows[0].0.clone();

    // Rewrap moves every row to the new key; the data still opens.
    for ((wrapped, _), s) in rows.iter_mut().zip(subjects) {
        *wrapped = ring.rewrap(wrapped, s).unwrap();
        assert_eq!(wrapped.kek_id, new);
    }
    ring.retire(&old).unwrap();
    assert!(!ring.contains(&old));
    for ((wrapped, sealed), s) in rows.iter().zip(subjects) {
        let dek = ring.unwrap(wrapped, s).unwrap();
        assert_eq!(dek.open(s.as_bytes(), sealed).unwrap().as_slice(), s.as_bytes());
    }

    // A row that missed the rewrap names a retired key: distinguishable.
    match ring.unwrap(&stale, subjects[0]) {
        Err(VaultError::UnknownKey(id)) => assert_eq!(id, old),
        other => panic!("expected UnknownKey, got {other:?}"),
    }
}

#[test]
fn active_key_cannot_be_retired() {
    let mut ring = KeyRing::generate().unwrap();
    let active = ring.active_id().clone();
    assert!(matches!(ring.retire(&active), Err(VaultError::ActiveKey(_))));
    assert!(ring.contains(&active));
}

#[test]
fn unknown_key_from_another_ring() {
    let a = KeyRing::generate().unwrap();
    let b = KeyRing::generate().unwrap();
    let wrapped = a.wrap(&DataKey::generate().unwrap(), "s").unwrap();
    assert!(matches!(b.unwrap(&wrapped, "s"), Err(VaultError::UnknownKey(_))));
}

#[test]
fn same_plaintext_seals_differently() {
    let dek = DataKey::generate().unwrap();
    let a = dek.seal(b"aad", b"same plaintext").unwrap();
    let b = dek.seal(b"aad", b"same plaintext").unwrap();
    assert_ne!(a, b);
    assert_ne!(a[1..25], b[1..25], "nonces must differ");
}

// ---- redaction -----------------------------------------------------------

#[test]
fn debug_never_shows_key_material() {
    let mut ring = KeyRing::generate().unwrap();
    ring.rotate().unwrap();
    let shown = format!("{ring:?} {ring:#?}");
    let secrets = materials(&ring);
    assert_eq!(secrets.len(), 2);
    for m in &secrets {
        assert_eq!(m.len(), 43);
        assert!(!shown.contains(m.as_str()), "{shown}");
        assert!(!shown.contains(&m[..12]), "{shown}");
    }
    for id in ring.ids() {
        assert!(shown.contains(id.as_str()));
    }

    let env = KeyRing::parse_env_value(&format!("a:{M1},b:{M2}")).unwrap();
    let shown = format!("{env:?} {env:#?}");
    assert!(!shown.contains(&M1[..12]) && !shown.contains(&M2[..12]), "{shown}");
    // Raw bytes 0,1,2,... must not show up as a byte list either.
    assert!(!shown.contains("0, 1, 2"), "{shown}");

    let dek = DataKey::generate().unwrap();
    assert_eq!(format!("{dek:?}"), "DataKey(<redacted>)");
}

// ---- environment values --------------------------------------------------

#[test]
fn env_single_bare_key() {
    let ring = KeyRing::parse_env_value(M1).unwrap();
    assert_eq!(ring.active_id().as_str(), "env-630dcd29");
    // Same key, same id: wrapped keys keep finding it across restarts.
    let again = KeyRing::parse_env_value(M1).unwrap();
    let wrapped = ring.wrap(&DataKey::generate().unwrap(), "s").unwrap();
    assert!(again.unwrap(&wrapped, "s").is_ok());
}

#[test]
fn env_list_and_interop_with_file() {
    let ring = KeyRing::parse_env_value(&format!("k-new:{M2},k-old:{M1}")).unwrap();
    assert_eq!(ring.active_id().as_str(), "k-new");
    let old_only = KeyRing::parse_env_value(&format!("k-old:{M1}")).unwrap();
    let wrapped = old_only.wrap(&DataKey::generate().unwrap(), "s").unwrap();
    let moved = ring.rewrap(&wrapped, "s").unwrap();
    assert_eq!(moved.kek_id.as_str(), "k-new");

    // An env ring written as a file (no creation dates) reads back.
    let back = KeyRing::parse_file_text(&ring.to_file_text()).unwrap();
    assert!(back.unwrap(&moved, "s").is_ok());
}

#[test]
fn env_malformed_is_an_error_without_echo() {
    for value in [
        "not-a-key".to_owned(),
        format!("id-with-secret:{}", &M1[..30]),
        format!("{M1},{M2}"),
        format!("a:{M1};b:{M2}"),
    ] {
        let err = KeyRing::parse_env_value(&value).unwrap_err();
        assert!(matches!(err, VaultError::EnvValue(_)));
        let msg = err.to_string();
        for piece in ["not-a-key", "id-with-secret", &M1[..10], &M2[..10]] {
            assert!(!msg.contains(piece), "{msg:?} echoes the input");
        }
    }
}

// ---- key files -----------------------------------------------------------

#[test]
fn create_writes_mode_0600_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let ring = KeyRing::generate().unwrap();
    create_key_file(&path, &ring).unwrap();
    assert_eq!(mode_of(&path), 0o600);
    assert_eq!(entries(dir.path()), vec!["master.key"]);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, *ring.to_file_text());
    let loaded = load_key_file(&path).unwrap();
    assert_eq!(loaded.active_id(), ring.active_id());
}

#[test]
fn create_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    fs::write(&path, "precious").unwrap();
    let err = create_key_file(&path, &KeyRing::generate().unwrap()).unwrap_err();
    assert!(matches!(err, VaultError::AlreadyExists { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"precious");

    // Nor through a dangling symlink.
    let link = dir.path().join("link.key");
    symlink(dir.path().join("nowhere"), &link).unwrap();
    let err = create_key_file(&link, &KeyRing::generate().unwrap()).unwrap_err();
    assert!(matches!(err, VaultError::AlreadyExists { .. }), "{err}");
    assert!(!dir.path().join("nowhere").exists());
    assert_eq!(entries(dir.path()), vec!["link.key", "master.key"]);
}

#[test]
fn load_refuses_group_or_other_access() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    create_key_file(&path, &KeyRing::generate().unwrap()).unwrap();

    set_mode(&path, 0o644);
    let err = load_key_file(&path).unwrap_err();
    assert!(matches!(err, VaultError::Permissions { mode: 0o644, .. }), "{err}");
    let msg = err.to_string();
    let shown = path.display().to_string();
    assert!(msg.contains("(mode 0644)"), "{msg}");
    assert!(msg.contains(&format!("run: chmod 600 {shown}")), "{msg}");

    for mode in [0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o660] {
        set_mode(&path, mode);
        assert!(
            matches!(load_key_file(&path), Err(VaultError::Permissions { .. })),
            "mode {mode:o} accepted"
        );
    }
    for mode in [0o600, 0o400] {
        set_mode(&path, mode);
        assert!(load_key_file(&path).is_ok(), "mode {mode:o} refused");
    }
}

#[test]
fn load_of_garbage_fails_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let garbage: &[u8] = b"\x00\xffnot a key file [[[\n";
    fs::write(&path, garbage).unwrap();
    set_mode(&path, 0o600);
    for _ in 0..2 {
        let err = load_key_file(&path).unwrap_err();
        assert!(matches!(err, VaultError::KeyFile(_)), "{err}");
        let err = load_or_create_key_file(&path).unwrap_err();
        assert!(matches!(err, VaultError::KeyFile(_)), "{err}");
    }
    assert_eq!(fs::read(&path).unwrap(), garbage);
    assert_eq!(mode_of(&path), 0o600);
    assert_eq!(entries(dir.path()), vec!["master.key"]);

    fs::write(&path, "active = \"a\"\n[[key]]\nid = \"a\"\nmaterial = \"short\"\n").unwrap();
    let msg = load_key_file(&path).unwrap_err().to_string();
    assert_eq!(msg, "key file: key 'a' material is not 32 bytes of base64url");
}

#[test]
fn load_missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    match load_key_file(dir.path().join("absent.key")) {
        Err(VaultError::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io NotFound, got {other:?}"),
    }
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn load_or_create_creates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let (ring, created) = load_or_create_key_file(&path).unwrap();
    assert!(created);
    assert_eq!(mode_of(&path), 0o600);
    let (again, created) = load_or_create_key_file(&path).unwrap();
    assert!(!created);
    assert_eq!(again.active_id(), ring.active_id());
    assert_eq!(materials(&again), materials(&ring));
}

#[test]
fn load_or_create_never_replaces_a_broken_path() {
    let dir = tempfile::tempdir().unwrap();

    // Too-open permissions: refused, untouched.
    let open = dir.path().join("open.key");
    create_key_file(&open, &KeyRing::generate().unwrap()).unwrap();
    set_mode(&open, 0o644);
    let before = fs::read(&open).unwrap();
    assert!(matches!(
        load_or_create_key_file(&open),
        Err(VaultError::Permissions { .. })
    ));
    assert_eq!(fs::read(&open).unwrap(), before);

    // A dangling symlink exists as a path: error, no new key anywhere.
    let link = dir.path().join("link.key");
    symlink(dir.path().join("nowhere"), &link).unwrap();
    assert!(matches!(load_or_create_key_file(&link), Err(VaultError::Io { .. })));
    assert!(!dir.path().join("nowhere").exists());

    // An empty file is broken, not absent.
    let empty = dir.path().join("empty.key");
    fs::write(&empty, "").unwrap();
    set_mode(&empty, 0o600);
    let err = load_or_create_key_file(&empty).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    assert_eq!(fs::read(&empty).unwrap(), b"");
}

#[test]
fn save_replaces_atomically_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let mut ring = KeyRing::generate().unwrap();
    create_key_file(&path, &ring).unwrap();
    let wrapped = ring.wrap(&DataKey::generate().unwrap(), "s").unwrap();

    set_mode(&path, 0o400); // save must not depend on the old file's mode
    let new = ring.rotate().unwrap();
    save_key_file(&path, &ring).unwrap();
    assert_eq!(mode_of(&path), 0o600);
    assert_eq!(entries(dir.path()), vec!["master.key"]);

    let loaded = load_key_file(&path).unwrap();
    assert_eq!(loaded.active_id(), &new);
    assert_eq!(loaded.ids().count(), 2);
    let moved = loaded.rewrap(&wrapped, "s").unwrap();
    assert_eq!(moved.kek_id, new);
}

#[test]
fn create_in_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("master.key");
    let err = create_key_file(&path, &KeyRing::generate().unwrap()).unwrap_err();
    assert!(matches!(err, VaultError::Io { .. }), "{err}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn key_id_parse_is_public_and_strict() {
    assert!(KeyId::parse("k-20261124-3f9a1c2e").is_ok());
    assert!("k 1".parse::<KeyId>().is_err());
    assert!(KeyId::parse(&"a".repeat(65)).is_err());
}

// ---- properties ------------------------------------------------------------

proptest! {
    #[test]
    fn prop_seal_open_round_trip(
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
        aad in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let dek = DataKey::generate().unwrap();
        let sealed = dek.seal(&aad, &plaintext).unwrap();
        prop_assert_eq!(sealed.len(), plaintext.len() + SEAL_OVERHEAD);
        let opened = dek.open(&aad, &sealed).unwrap();
        prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
    }

    #[test]
    fn prop_any_single_byte_mutation_fails(
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
        aad in proptest::collection::vec(any::<u8>(), 0..32),
        position in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let dek = DataKey::generate().unwrap();
        let mut sealed = dek.seal(&aad, &plaintext).unwrap();
        let i = position.index(sealed.len());
        sealed[i] ^= delta;
        prop_assert!(dek.open(&aad, &sealed).is_err(), "mutation at {} accepted", i);
    }

    #[test]
    fn prop_wrapped_key_only_opens_for_its_subject(
        subject in ".{0,40}",
        other in ".{0,40}",
    ) {
        prop_assume!(subject != other);
        let ring = KeyRing::generate().unwrap();
        let wrapped = ring.wrap(&DataKey::generate().unwrap(), &subject).unwrap();
        prop_assert!(ring.unwrap(&wrapped, &subject).is_ok());
        prop_assert!(matches!(ring.unwrap(&wrapped, &other), Err(VaultError::Decrypt)));
    }
}
