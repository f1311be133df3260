//! The audit log's events and its hash chain.
//!
//! Each event carries the SHA-256 hash of the event before it, and its own hash covers every
//! field plus that link. Editing a row changes its hash; deleting a row breaks the next row's
//! link or leaves a gap in the sequence; cutting rows off the end disagrees with the recorded
//! head. [`verify_chain`] names the first place any of that happened.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// What happened, before it is placed in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    /// Dotted verb, e.g. `signin.failure`, `protected.read` (see [`is_valid_action`]).
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub outcome: Outcome,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    /// Short, secret-free context (e.g. "wrong password", the denied route).
    pub detail: Option<String>,
}

/// Actions are lower-case words joined by dots or underscores, so they can be filtered on and
/// never carry free text (which could carry secrets).
pub fn is_valid_action(action: &str) -> bool {
    !action.is_empty() && action.len() <= 64 && action.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
}

/// An event as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Databases keep microseconds at best; the chain hashes exactly what is stored.
pub fn truncate_to_micros(at: OffsetDateTime) -> OffsetDateTime {
    let nanos = at.nanosecond();
    at.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(at)
}

/// The hash of an event: SHA-256 over every field, each length-prefixed so that no two
/// different events share an encoding, and the previous event's hash.
pub fn event_hash(seq: i64, at: OffsetDateTime, entry: &AuditEntry, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    let optional = |value: &Option<String>| value.as_deref().map(|v| format!("+{v}")).unwrap_or_default();
    field(b"sensate-audit-v1");
    field(&seq.to_be_bytes());
    field(&(at.unix_timestamp_nanos() / 1_000).to_be_bytes());
    field(optional(&entry.actor_id).as_bytes());
    field(optional(&entry.actor_role).as_bytes());
    field(entry.action.as_bytes());
    field(optional(&entry.subject_type).as_bytes());
    field(optional(&entry.subject_id).as_bytes());
    field(entry.outcome.as_str().as_bytes());
    field(optional(&entry.client_addr).as_bytes());
    field(optional(&entry.request_id).as_bytes());
    field(optional(&entry.detail).as_bytes());
    field(prev_hash.as_bytes());
    hex::encode(hasher.finalize())
}

/// The chain's last link as recorded beside it (sequence number and hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {seq}: its contents do not match its hash (the row was edited)")]
    Edited { seq: i64 },
    #[error("event {seq}: it does not link to the event before it (an event before it was removed or altered)")]
    Unlinked { seq: i64 },
    #[error("events {expected} to {found_minus_one} are missing (rows were deleted before event {found})", found_minus_one = found - 1)]
    Gap { expected: i64, found: i64 },
    #[error("the log ends at event {last_seen} but the recorded head is event {head} (events at the end were deleted)")]
    Truncated { last_seen: i64, head: i64 },
    #[error("the recorded head does not match event {seq}")]
    HeadMismatch { seq: i64 },
}

/// Walks the chain in sequence order and reports the first broken link. Pass the stored head
/// (None when the log has never been written); returns the number of events checked.
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next record; records must be fed in ascending `seq`.
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        if record.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                expected: self.expected_seq,
                found: record.seq,
            });
        }
        if record.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: record.seq });
        }
        if event_hash(record.seq, record.at, &record.entry, &record.prev_hash) != record.hash {
            return Err(ChainBreak::Edited { seq: record.seq });
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&record.hash);
        self.checked += 1;
        Ok(())
    }

    /// Compares where the walk ended with the recorded head.
    pub fn finish(self, head: Option<&ChainHead>) -> Result<u64, ChainBreak> {
        let last_seen = self.expected_seq - 1;
        match head {
            None if last_seen == 0 => Ok(0),
            None => Err(ChainBreak::HeadMismatch { seq: last_seen }),
            Some(head) if head.seq > last_seen => Err(ChainBreak::Truncated {
                last_seen,
                head: head.seq,
            }),
            Some(head) if head.seq != last_seen || head.hash != self.prev_hash => {
                Err(ChainBreak::HeadMismatch { seq: last_seen })
            }
            Some(_) => Ok(self.checked),
        }
    }
}

/// Verifies a whole chain held in memory (tests and small logs).
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    head: Option<&ChainHead>,
) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::default();
    for record in records {
        verifier.check(record)?;
    }
    verifier.finish(head)
}

/// Builds the next record of a chain (used by the store when appending).
pub fn next_record(head: Option<&ChainHead>, at: OffsetDateTime, entry: AuditEntry) -> AuditRecord {
    let (seq, prev_hash) = match head {
        Some(h) => (h.seq + 1, h.hash.clone()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let at = truncate_to_micros(at);
    let hash = event_hash(seq, at, &entry, &prev_hash);
    AuditRecord {
        seq,
        at,
        entry,
        prev_hash,
        hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            actor_id: Some("u1".into()),
            actor_role: Some("candidate".into()),
            action: action.into(),
            subject_type: None,
            subject_id: None,
            outcome: Outcome::Success,
            client_addr: Some("127.0.0.1".into()),
            request_id: Some("r1".into()),
            detail: None,
        }
    }

    fn chain(n: usize) -> (Vec<AuditRecord>, ChainHead) {
        let mut records: Vec<AuditRecord> = Vec::new();
        let mut head = None;
        for i in 0..n {
            let r = next_record(
                head.as_ref(),
                datetime!(2026-11-24 09:00:00.123456789 UTC),
                entry(&format!("a.b{}", "x".repeat(i))),
            );
            head = Some(ChainHead {
                seq: r.seq,
                hash: r.hash.clone(),
            });
            records.push(r);
        }
        (records, head.unwrap())
    }

    #[test]
    fn a_clean_chain_verifies() {
        let (records, head) = chain(5);
        assert_eq!(verify_chain(&records, Some(&head)), Ok(5));
        assert_eq!(verify_chain(&[], None), Ok(0));
        assert_eq!(records[0].at.nanosecond(), 123_456_000);
    }

    #[test]
    fn an_edit_is_named() {
        let (mut records, head) = chain(5);
        records[2].entry.outcome = Outcome::Denied;
        assert_eq!(verify_chain(&records, Some(&head)), Err(ChainBreak::Edited { seq: 3 }));
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let (mut records, head) = chain(5);
        records[2].entry.detail = Some("forged".into());
        records[2].hash = event_hash(3, records[2].at, &records[2].entry, &records[2].prev_hash);
        assert_eq!(
            verify_chain(&records, Some(&head)),
            Err(ChainBreak::Unlinked { seq: 4 })
        );
    }

    #[test]
    fn a_deletion_is_named() {
        let (mut records, head) = chain(5);
        records.remove(1);
        assert_eq!(
            verify_chain(&records, Some(&head)),
            Err(ChainBreak::Gap { expected: 2, found: 3 })
        );
        assert_eq!(
            ChainBreak::Gap { expected: 2, found: 3 }.to_string(),
            "events 2 to 2 are missing (rows were deleted before event 3)"
        );
    }

    #[test]
    fn a_truncated_tail_is_named() {
        let (mut records, head) = chain(5);
        records.truncate(3);
        assert_eq!(
            verify_chain(&records, Some(&head)),
            Err(ChainBreak::Truncated { last_seen: 3, head: 5 })
        );
    }

    #[test]
    fn actions_are_constrained() {
        assert!(is_valid_action("signin.failure"));
        assert!(is_valid_action("protected.read"));
        assert!(!is_valid_action("Sign in"));
        assert!(!is_valid_action(""));
    }
}
