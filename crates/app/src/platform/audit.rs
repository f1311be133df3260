//! Writing, reading and verifying the audit log.

use domain::platform::audit::{AuditEntry, ChainBreak, ChainVerifier, Outcome, is_valid_action};
use store::Store;
use store::platform::audit::{AuditFilter, AuditListItem};

use crate::authz::Permission;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

/// One thing worth recording.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: &'static str,
    pub outcome: Outcome,
    pub subject_type: Option<&'static str>,
    pub subject_id: Option<String>,
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn success(action: &'static str) -> AuditEvent {
        AuditEvent {
            action,
            outcome: Outcome::Success,
            subject_type: None,
            subject_id: None,
            detail: None,
        }
    }
    pub fn failure(action: &'static str) -> AuditEvent {
        AuditEvent {
            outcome: Outcome::Failure,
            ..AuditEvent::success(action)
        }
    }
    pub fn denied(action: &'static str) -> AuditEvent {
        AuditEvent {
            outcome: Outcome::Denied,
            ..AuditEvent::success(action)
        }
    }
    pub fn subject(mut self, kind: &'static str, id: impl ToString) -> AuditEvent {
        self.subject_type = Some(kind);
        self.subject_id = Some(id.to_string());
        self
    }
    /// Secret-free context only: a reason, a route, a field name.
    pub fn detail(mut self, detail: impl Into<String>) -> AuditEvent {
        self.detail = Some(detail.into());
        self
    }
}

/// Who did it, when there is no full [`Actor`] yet (during sign-in, for instance).
#[derive(Debug, Clone, Default)]
pub struct AuditActor {
    pub user_id: Option<String>,
    pub role: Option<String>,
}

impl From<&Actor> for AuditActor {
    fn from(actor: &Actor) -> Self {
        AuditActor {
            user_id: Some(actor.user_id.to_string()),
            role: actor.primary_role().map(|r| r.as_str().to_owned()),
        }
    }
}

impl App {
    /// Appends an event. Callers propagate a failure: an action whose record cannot be written
    /// does not happen (or, for reads of protected data, is not shown).
    pub async fn record(&self, who: impl Into<AuditActor>, event: AuditEvent, meta: &RequestMeta) -> AppResult<()> {
        if !is_valid_action(event.action) {
            return Err(AppError::internal(anyhow::anyhow!(
                "invalid audit action {:?}",
                event.action
            )));
        }
        let who = who.into();
        let entry = AuditEntry {
            actor_id: who.user_id,
            actor_role: who.role,
            action: event.action.to_owned(),
            subject_type: event.subject_type.map(str::to_owned),
            subject_id: event.subject_id,
            outcome: event.outcome,
            client_addr: meta.client_addr.clone(),
            request_id: meta.request_id.clone(),
            detail: event.detail,
        };
        self.store().append_audit(entry, self.now()).await?;
        Ok(())
    }

    /// The audit log for a board administrator. Viewing it is itself recorded.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        meta: &RequestMeta,
    ) -> AppResult<(Vec<AuditListItem>, i64)> {
        self.authorize(actor, Permission::ViewAuditLog, meta).await?;
        refuse_nul("actor", filter.actor_email.as_deref())?;
        refuse_nul("action", filter.action_prefix.as_deref())?;
        let listed = self.store().list_audit(filter).await?;
        self.record(actor, AuditEvent::success("audit.viewed"), meta).await?;
        Ok(listed)
    }
}

/// Refuses a search text holding a NUL character: PostgreSQL cannot hold one in text, so the
/// query would fail instead of finding nothing (found by API fuzzing).
pub(crate) fn refuse_nul(field: &str, text: Option<&str>) -> AppResult<()> {
    if text.is_some_and(|t| t.contains('\0')) {
        return Err(AppError::field(field, "A search cannot contain a NUL character."));
    }
    Ok(())
}

/// The outcome of walking the chain.
#[derive(Debug)]
pub enum VerifyOutcome {
    Intact { events: u64 },
    Broken(ChainBreak),
}

/// Walks the whole chain in order, in batches, and names the first broken link.
pub async fn verify_log(store: &Store) -> AppResult<VerifyOutcome> {
    const BATCH: i64 = 1_000;
    let head = store.audit_head().await?;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let batch = store.audit_events_after(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for record in &batch {
            if let Err(broken) = verifier.check(record) {
                return Ok(VerifyOutcome::Broken(broken));
            }
        }
    }
    Ok(match verifier.finish(head.as_ref()) {
        Ok(events) => VerifyOutcome::Intact { events },
        Err(broken) => VerifyOutcome::Broken(broken),
    })
}
