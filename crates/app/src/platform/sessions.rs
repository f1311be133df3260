//! Server-side sessions: creating, resolving, rotating and ending them.

use domain::SessionId;
use domain::platform::session::{SessionPolicy, SessionState as Lifetime};
use store::platform::sessions::{SessionRecord, SessionStage};
use store::platform::users::UserRecord;
use subtle::ConstantTimeEq;
use time::Duration;

use crate::authz::Permission;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::{Actor, App, AppError, AppResult, RequestMeta};

/// A session between the password and the second factor lasts at most this long.
const MFA_PENDING_LIFETIME: Duration = Duration::minutes(10);

/// What a request's session cookie amounts to.
#[derive(Debug)]
pub enum SessionState {
    /// No cookie, or a cookie naming no session.
    Anonymous,
    /// The session ran out; the person should be told why and sign in again.
    Expired {
        idle: bool,
    },
    /// Password accepted, second factor owed.
    MfaPending {
        session: SessionRecord,
    },
    Active(Box<ActiveSession>),
}

#[derive(Clone)]
pub struct ActiveSession {
    pub actor: Actor,
    /// The anti-forgery token every form and state-changing API call of this session carries.
    pub csrf_token: String,
}

impl std::fmt::Debug for ActiveSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveSession")
            .field("actor", &self.actor)
            .field("csrf_token", &"<redacted>")
            .finish()
    }
}

/// A freshly created session: the cookie value goes to the browser, nowhere else.
pub struct NewSession {
    /// The session's id (not a secret: the cookie's token is).
    pub id: SessionId,
    pub cookie_token: String,
    /// The new session's anti-forgery token, for a page rendered in the same response.
    pub csrf_token: String,
    /// After a completed sign-in: the device cookie's new value (`platform::devices`).
    pub device_cookie: Option<String>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession(<redacted>)")
    }
}

/// Constant-time comparison for anti-forgery tokens.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

pub(crate) fn actor_from(user: &UserRecord, session: &SessionRecord) -> Actor {
    Actor {
        user_id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        roles: user.roles.clone(),
        session_id: session.id.clone(),
        mfa_enabled: user.mfa_enabled(),
        email_verified: user.email_verified_at.is_some(),
        is_demo: user.is_demo,
    }
}

impl App {
    pub fn session_policy(&self) -> SessionPolicy {
        self.config().session
    }

    /// Creates a session for `user`, replacing `replaces` (a new id at every change of
    /// privilege: sign-in, second factor, password change, enrolment).
    pub(crate) async fn start_session(
        &self,
        user: &UserRecord,
        stage: SessionStage,
        replaces: Option<&SessionId>,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        let cookie_token = crate::platform::random::token()?;
        let csrf_token = crate::platform::random::token()?;
        let now = self.now();
        let id = crate::platform::random::new_id::<SessionId>()?;
        let record = SessionRecord {
            id: id.clone(),
            token_hash: crate::platform::random::token_hash(&cookie_token),
            user_id: user.id.clone(),
            stage,
            csrf_secret: csrf_token.clone(),
            created_at: now,
            last_seen_at: now,
            client_addr: meta.client_addr.clone(),
            user_agent: meta.user_agent.as_deref().map(|ua| ua.chars().take(200).collect()),
        };
        self.store().insert_session(&record, replaces).await?;
        Ok(NewSession {
            id,
            cookie_token,
            csrf_token,
            device_cookie: None,
        })
    }

    /// Finds the session a cookie names, enforcing the idle and absolute timeouts.
    pub async fn resolve_session(&self, cookie_token: &str) -> AppResult<SessionState> {
        let Some(session) = self
            .store()
            .session_by_token_hash(&crate::platform::random::token_hash(cookie_token))
            .await?
        else {
            return Ok(SessionState::Anonymous);
        };
        let now = self.now();
        let mut policy = self.session_policy();
        if session.stage == SessionStage::MfaPending {
            policy.absolute_timeout = policy.absolute_timeout.min(MFA_PENDING_LIFETIME);
        }
        match policy.state(session.created_at.get(), session.last_seen_at.get(), now.get()) {
            Lifetime::Active => {}
            expired => {
                self.store().delete_session(&session.id).await?;
                return Ok(SessionState::Expired {
                    idle: expired == Lifetime::IdleExpired,
                });
            }
        }
        let Some(user) = self.store().user_by_id(&session.user_id).await? else {
            return Ok(SessionState::Anonymous);
        };
        if user.disabled_at.is_some() || (user.is_demo && !self.config().demo) {
            self.store().delete_session(&session.id).await?;
            return Ok(SessionState::Anonymous);
        }
        if policy.needs_touch(session.last_seen_at.get(), now.get()) {
            self.store().touch_session(&session.id, now).await?;
        }
        match session.stage {
            SessionStage::MfaPending => Ok(SessionState::MfaPending { session }),
            SessionStage::Active => {
                let actor = actor_from(&user, &session);
                Ok(SessionState::Active(Box::new(ActiveSession {
                    actor,
                    csrf_token: session.csrf_secret,
                })))
            }
        }
    }

    /// Signs out of the session the cookie names (any stage).
    pub async fn sign_out(&self, cookie_token: &str, meta: &RequestMeta) -> AppResult<()> {
        if let Some(session) = self
            .store()
            .session_by_token_hash(&crate::platform::random::token_hash(cookie_token))
            .await?
        {
            self.store().delete_session(&session.id).await?;
            let who = AuditActor {
                user_id: Some(session.user_id.to_string()),
                role: None,
            };
            self.record(
                who,
                AuditEvent::success("signout").subject("session", &session.id),
                meta,
            )
            .await?;
        }
        Ok(())
    }

    /// The signed-in sessions of the person asking.
    pub async fn my_sessions(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<SessionRecord>> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        Ok(self.store().sessions_of_user(&actor.user_id).await?)
    }

    /// Ends one session; only its owner may.
    pub async fn end_session(&self, actor: &Actor, session: &SessionId, meta: &RequestMeta) -> AppResult<()> {
        let Some(owner) = self.store().session_owner(session).await? else {
            return Err(AppError::NotFound);
        };
        self.authorize(actor, Permission::EndSession { owner: &owner }, meta)
            .await?;
        self.store().delete_session_of_user(&owner, session).await?;
        self.record(
            actor,
            AuditEvent::success("session.revoked").subject("session", session),
            meta,
        )
        .await?;
        Ok(())
    }

    /// "Sign out everywhere": ends every session of the person, this one included.
    pub async fn end_all_sessions(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<u64> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let ended = self.store().delete_sessions_of_user(&actor.user_id, None).await?;
        self.record(
            actor,
            AuditEvent::success("session.revoked_all").detail(format!("{ended} sessions")),
            meta,
        )
        .await?;
        Ok(ended)
    }
}
