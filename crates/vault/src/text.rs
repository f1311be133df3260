//! Text forms of a key ring: the TOML key file and the environment value.
//!
//! Key file:
//!
//! ```toml
//! # Sensate key-encryption keys. Keep secret; back up apart from the database.
//! active = "k-20261124-3f9a1c2e"
//!
//! [[key]]
//! id = "k-20261124-3f9a1c2e"
//! created = "2026-11-24T10:00:00Z"    # RFC 3339; optional
//! material = "<43 characters: 32 bytes as base64url, no padding>"
//! ```
//!
//! Environment value: `<id>:<base64url>[,<id>:<base64url>...]` with the first
//! entry active, or a single bare `<base64url>` key whose id is derived from
//! it (`env-` + 8 hex digits of its SHA-256).
//!
//! Parsing is strict (unknown settings, duplicate ids and non-canonical
//! base64 are errors) because a silently misread key file loses data. Error
//! messages point at entries by number or short id and never quote values.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::{Zeroize, Zeroizing};

use crate::data_key::KEY_LEN;
use crate::ring::{Kek, KeyRing};
use crate::{KeyId, VaultError};

const HEADER: &str = "# Sensate key-encryption keys. Keep secret; back up apart from the database.\n";

/// Length of 32 bytes in unpadded base64.
const MATERIAL_B64_LEN: usize = 43;

impl KeyRing {
    /// The ring as key-file text (see the module docs of `text` for the
    /// format). The result holds key material and is wiped when dropped.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        // Reserve generously up front: a reallocation would leave a copy of
        // the material in freed memory that nobody wipes.
        let mut out = Zeroizing::new(String::with_capacity(HEADER.len() + 128 + self.keys.len() * 256));
        out.push_str(HEADER);
        // Writing into a String cannot fail, so the fmt results are ignored.
        let _ = writeln!(out, "active = \"{}\"", self.active);
        for kek in &self.keys {
            let _ = write!(out, "\n[[key]]\nid = \"{}\"\n", kek.id);
            if let Some(created) = kek.created
                && let Ok(stamp) = created.format(&Rfc3339)
            {
                let _ = writeln!(out, "created = \"{stamp}\"");
            }
            let mut b64 = Zeroizing::new([0u8; MATERIAL_B64_LEN]);
            if let Ok(n) = URL_SAFE_NO_PAD.encode_slice(kek.material.as_slice(), b64.as_mut_slice())
                && let Ok(text) = std::str::from_utf8(&b64[..n])
            {
                let _ = writeln!(out, "material = \"{text}\"");
            }
        }
        out
    }

    /// Parses key-file text.
    ///
    /// # Errors
    /// [`VaultError::KeyFile`] naming the problem: not TOML (with the line),
    /// empty, missing or invalid `active`, no `[[key]]` entries, invalid or
    /// duplicate ids, material that is not 32 bytes of base64url, a bad
    /// `created` timestamp, an unknown setting, or an active key that is not
    /// in the file.
    pub fn parse_file_text(text: &str) -> Result<KeyRing, VaultError> {
        let err = |msg: String| VaultError::KeyFile(msg);
        let table = Scrubbed(text.parse::<toml::Table>().map_err(|e| {
            // toml's own message can quote the offending text; give only
            // the line number.
            match e.span().and_then(|s| text.as_bytes().get(..s.start)) {
                Some(before) => err(format!(
                    "not valid TOML (syntax error on line {})",
                    before.iter().filter(|&&b| b == b'\n').count() + 1
                )),
                None => err("not valid TOML".into()),
            }
        })?);
        let table = &table.0;
        if table.is_empty() {
            return Err(err("the file is empty (no 'active' and no [[key]] entries)".into()));
        }
        if table.keys().any(|k| k != "active" && k != "key") {
            return Err(err(
                "unknown setting at top level (expected 'active' and [[key]] entries)".into(),
            ));
        }
        let active = match table.get("active") {
            None => return Err(err("missing 'active = \"<key id>\"'".into())),
            Some(toml::Value::String(s)) => {
                KeyId::parse(s).map_err(|_| err("'active' is not a valid key id".into()))?
            }
            Some(_) => return Err(err("'active' must be a quoted key id".into())),
        };
        let entries = match table.get("key") {
            None => return Err(err("no [[key]] entries".into())),
            Some(toml::Value::Array(a)) if a.is_empty() => {
                return Err(err("no [[key]] entries".into()));
            }
            Some(toml::Value::Array(a)) => a,
            Some(_) => return Err(err("'key' must be written as [[key]] entries".into())),
        };

        let mut keys: Vec<Kek> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let kek = parse_entry(index + 1, entry).map_err(err)?;
            if keys.iter().any(|k| k.id == kek.id) {
                return Err(err(format!("key id {} appears more than once", kek.id.for_message())));
            }
            keys.push(kek);
        }
        if !keys.iter().any(|k| k.id == active) {
            return Err(err(format!("active key {} is not in the file", active.for_message())));
        }
        Ok(KeyRing { keys, active })
    }

    /// Parses the environment form: `<id>:<base64url>[,<id>:<base64url>...]`
    /// with the first entry active, or one bare base64url key whose id is
    /// `env-` + the first 8 hex digits of its SHA-256. Surrounding
    /// whitespace (e.g. a trailing newline) is ignored.
    ///
    /// # Errors
    /// [`VaultError::EnvValue`], naming the entry by number; the value
    /// (ids included) is never repeated.
    pub fn parse_env_value(value: &str) -> Result<KeyRing, VaultError> {
        let err = |msg: String| VaultError::EnvValue(msg);
        let value = value.trim();
        if value.is_empty() {
            return Err(err("is empty".into()));
        }
        // ':' and ',' are outside the base64url alphabet, so their absence
        // means the bare form.
        if !value.contains([':', ',']) {
            let material = decode_material(value)
                .ok_or_else(|| err("is not 32 bytes of base64url (nor <id>:<key> entries)".into()))?;
            let id = KeyId::for_material(&material);
            return Ok(KeyRing {
                active: id.clone(),
                keys: vec![Kek {
                    id,
                    created: None,
                    material,
                }],
            });
        }

        let mut keys: Vec<Kek> = Vec::new();
        for (index, entry) in value.split(',').enumerate() {
            let n = index + 1;
            let (id, material) = entry
                .trim()
                .split_once(':')
                .ok_or_else(|| err(format!("entry {n} is not of the form <key id>:<base64url key>")))?;
            let id = KeyId::parse(id).map_err(|_| err(format!("entry {n} has an invalid key id")))?;
            let material =
                decode_material(material).ok_or_else(|| err(format!("entry {n}: key is not 32 bytes of base64url")))?;
            if keys.iter().any(|k| k.id == id) {
                return Err(err(format!("entry {n} repeats an earlier key id")));
            }
            keys.push(Kek {
                id,
                created: None,
                material,
            });
        }
        let active = keys
            .first()
            .map(|k| k.id.clone())
            .ok_or_else(|| err("has no entries".into()))?;
        Ok(KeyRing { keys, active })
    }
}

/// Parses the `n`th (1-based) `[[key]]` entry.
fn parse_entry(n: usize, entry: &toml::Value) -> Result<Kek, String> {
    let toml::Value::Table(fields) = entry else {
        return Err(format!("key #{n} is not a [[key]] table"));
    };
    let id = match fields.get("id") {
        Some(toml::Value::String(s)) => KeyId::parse(s)
            .map_err(|_| format!("key #{n} has an invalid 'id' (expected 1-64 characters of A-Z a-z 0-9 . _ -)"))?,
        Some(_) => return Err(format!("key #{n}: 'id' must be a quoted string")),
        None => return Err(format!("key #{n} has no 'id'")),
    };
    let name = id.for_message();
    if fields
        .keys()
        .any(|k| !matches!(k.as_str(), "id" | "created" | "material"))
    {
        return Err(format!(
            "key {name} has an unknown setting (expected id, created, material)"
        ));
    }
    let created = match fields.get("created") {
        None => None,
        // Accept both a quoted timestamp and a bare TOML datetime.
        Some(toml::Value::String(s)) => Some(parse_created(s, &name)?),
        Some(toml::Value::Datetime(d)) => Some(parse_created(&d.to_string(), &name)?),
        Some(_) => {
            return Err(format!("key {name}: 'created' must be an RFC 3339 timestamp"));
        }
    };
    let material = match fields.get("material") {
        Some(toml::Value::String(s)) => {
            decode_material(s).ok_or_else(|| format!("key {name} material is not 32 bytes of base64url"))?
        }
        Some(_) => return Err(format!("key {name}: 'material' must be a quoted string")),
        None => return Err(format!("key {name} has no 'material'")),
    };
    Ok(Kek { id, created, material })
}

fn parse_created(s: &str, name: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| format!("key {name}: 'created' is not an RFC 3339 timestamp"))
}

/// Decodes exactly 32 bytes of canonical unpadded base64url.
fn decode_material(s: &str) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    if s.len() != MATERIAL_B64_LEN {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    match URL_SAFE_NO_PAD.decode_slice(s, key.as_mut_slice()) {
        Ok(KEY_LEN) => Some(key),
        _ => None,
    }
}

/// A parsed TOML table whose strings (key material among them) are wiped
/// when it is dropped, whether parsing succeeded or not.
struct Scrubbed(toml::Table);

impl Drop for Scrubbed {
    fn drop(&mut self) {
        fn scrub(value: &mut toml::Value) {
            match value {
                toml::Value::String(s) => s.zeroize(),
                toml::Value::Array(items) => items.iter_mut().for_each(scrub),
                toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| scrub(v)),
                _ => {}
            }
        }
        self.0.iter_mut().for_each(|(_, v)| scrub(v));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const M1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const M2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

    fn file(active: &str, keys: &[(&str, &str)]) -> String {
        let mut s = format!("active = \"{active}\"\n");
        for (id, m) in keys {
            s.push_str(&format!(
                "[[key]]\nid = \"{id}\"\ncreated = \"2026-11-24T10:00:00Z\"\nmaterial = \"{m}\"\n"
            ));
        }
        s
    }

    fn file_error(text: &str) -> String {
        match KeyRing::parse_file_text(text) {
            Err(VaultError::KeyFile(msg)) => msg,
            other => panic!("expected a key-file error, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let text = format!(
            "# Sensate key-encryption keys. Keep secret; back up apart from the database.\n\
             active = \"k-20261124-3f9a1c2e\"\n[[key]]\nid = \"k-20261124-3f9a1c2e\"\n\
             created = \"2026-11-24T10:00:00Z\"\nmaterial = \"{M1}\"\n"
        );
        let ring = KeyRing::parse_file_text(&text).unwrap();
        assert_eq!(ring.active_id().as_str(), "k-20261124-3f9a1c2e");
        let expected: Vec<u8> = (0..32).collect();
        assert_eq!(ring.keys[0].material.as_slice(), expected.as_slice());
    }

    #[test]
    fn file_text_round_trips() {
        let mut ring = KeyRing::generate().unwrap();
        ring.rotate().unwrap();
        let text = ring.to_file_text();
        assert!(text.starts_with(HEADER));
        let back = KeyRing::parse_file_text(&text).unwrap();
        assert_eq!(back.active_id(), ring.active_id());
        assert_eq!(back.ids().collect::<Vec<_>>(), ring.ids().collect::<Vec<_>>());
        for (a, b) in ring.keys.iter().zip(&back.keys) {
            assert_eq!(*a.material, *b.material);
            assert_eq!(a.created, b.created);
        }
        assert_eq!(*back.to_file_text(), *text);
    }

    #[test]
    fn created_is_optional_and_may_be_a_toml_datetime() {
        let text = format!(
            "active = \"a\"\n[[key]]\nid = \"a\"\nmaterial = \"{M1}\"\n\
             [[key]]\nid = \"b\"\ncreated = 2026-11-24T10:00:00Z\nmaterial = \"{M2}\"\n"
        );
        let ring = KeyRing::parse_file_text(&text).unwrap();
        assert!(ring.keys[0].created.is_none());
        assert!(ring.keys[1].created.is_some());
    }

    #[test]
    fn file_errors_name_the_problem_without_material() {
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("# only a comment\n".into(), "empty"),
            (format!("active = \"x\"\nmaterial = \"{M1}\n"), "line 2"),
            (
                file("a", &[("a", &M1[..40])]),
                "key 'a' material is not 32 bytes of base64url",
            ),
            (
                file("a", &[("a", &format!("{M1}A"))]),
                "key 'a' material is not 32 bytes",
            ),
            (
                file("a", &[("a", &format!("{M1}="))]),
                "key 'a' material is not 32 bytes",
            ),
            (file("a", &[("a", &M1.replace('A', "+"))]), "key 'a' material"),
            (file("x", &[("a", M1)]), "active key 'x' is not in the file"),
            (file("a", &[("a", M1), ("a", M2)]), "key id 'a' appears more than once"),
            (file("a", &[]), "no [[key]] entries"),
            (format!("[[key]]\nid = \"a\"\nmaterial = \"{M1}\"\n"), "missing 'active"),
            (file("a b", &[("a", M1)]), "'active' is not a valid key id"),
            (file("a", &[("a b", M1)]), "key #1 has an invalid 'id'"),
            (
                format!("active = \"a\"\n[[key]]\nmaterial = \"{M1}\"\n"),
                "key #1 has no 'id'",
            ),
            (
                "active = \"a\"\n[[key]]\nid = \"a\"\n".into(),
                "key 'a' has no 'material'",
            ),
            (
                format!("extra = 1\n{}", file("a", &[("a", M1)])),
                "unknown setting at top level",
            ),
            // After a [[key]] header a setting belongs to that key (TOML rules).
            (
                format!("{}extra = 1\n", file("a", &[("a", M1)])),
                "key 'a' has an unknown setting",
            ),
            (
                format!("active = \"a\"\n[[key]]\nid = \"a\"\nmaterial = \"{M1}\"\nmaterail = \"{M2}\"\n"),
                "key 'a' has an unknown setting",
            ),
            (
                format!("active = \"a\"\n[[key]]\nid = \"a\"\ncreated = \"yesterday\"\nmaterial = \"{M1}\"\n"),
                "'created' is not an RFC 3339 timestamp",
            ),
        ];
        for (text, expected) in cases {
            let msg = file_error(&text);
            assert!(msg.contains(expected), "{msg:?} lacks {expected:?}");
            for secret in [M1, M2, &M1[..20], &M2[..20]] {
                assert!(!msg.contains(secret), "{msg:?} leaks material");
            }
        }
    }

    #[test]
    fn material_pasted_as_an_id_is_not_echoed() {
        // Swapped fields: the "id" is a valid key id but is really a key.
        let msg = file_error(&format!(
            "active = \"{M1}\"\n[[key]]\nid = \"{M1}\"\nmaterial = \"k-1\"\n"
        ));
        assert!(msg.contains("material is not 32 bytes"), "{msg}");
        assert!(!msg.contains(&M1[..20]), "{msg}");
        let msg = file_error(&file(M2, &[("a", M1)]));
        assert!(msg.contains("is not in the file") && !msg.contains(&M2[..20]), "{msg}");
    }

    #[test]
    fn syntax_error_does_not_quote_the_line() {
        let msg = file_error(&format!("active = \"a\"\n[[key]]\nmaterial = {M1}\n"));
        assert!(msg.contains("line 3"), "{msg}");
        assert!(!msg.contains(&M1[..20]), "{msg}");
    }

    #[test]
    fn env_bare_key() {
        let ring = KeyRing::parse_env_value(&format!("{M1}\n")).unwrap();
        // SHA-256 of the bytes 0..32, first four bytes.
        assert_eq!(ring.active_id().as_str(), "env-630dcd29");
        assert_eq!(ring.ids().count(), 1);
    }

    #[test]
    fn env_list_first_is_active() {
        let ring = KeyRing::parse_env_value(&format!("new:{M2}, old:{M1}")).unwrap();
        assert_eq!(ring.active_id().as_str(), "new");
        assert_eq!(ring.ids().map(KeyId::as_str).collect::<Vec<_>>(), vec!["new", "old"]);
        assert_eq!(ring.keys[1].material.as_slice()[31], 31);
    }

    #[test]
    fn env_errors_do_not_echo_the_value() {
        let cases = [
            String::new(),
            "   ".into(),
            M1[..42].to_string(),
            format!("{M1}{M1}"),
            format!("a:{M1},"),
            format!("a:{M1},{M2}"),
            format!("a b:{M1}"),
            format!("secret-id:{M1},secret-id:{M2}"),
            format!("a:{}", &M1[..42]),
            format!("a:{M1}=="),
            format!(":{M1}"),
        ];
        for value in cases {
            let msg = match KeyRing::parse_env_value(&value) {
                Err(e @ VaultError::EnvValue(_)) => e.to_string(),
                other => panic!("{value:?} gave {other:?}"),
            };
            for part in [&M1[..16], &M2[..16], "secret-id"] {
                assert!(!msg.contains(part), "{msg:?} echoes input");
            }
        }
    }
}
