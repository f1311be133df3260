//! Signing in: password first, then the second factor when one is set up.

use domain::{EmailAddress, SessionId};
use store::platform::sessions::{SessionRecord, SessionStage};

use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::devices::{DeviceCookie, Trust};
use crate::platform::protected::{Field, Subject};
use crate::platform::sessions::NewSession;
use crate::platform::throttle::Limit;
use crate::{App, AppError, AppResult, RequestMeta};

/// Where a person goes after the password step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Dashboard,
    /// Enter a code from the authenticator app (or a recovery code).
    SecondFactor,
    /// The person's role requires two-factor sign-in, which is not set up yet.
    EnrolSecondFactor,
}

#[derive(Debug)]
pub struct SignedIn {
    pub session: NewSession,
    pub next: NextStep,
}

impl App {
    /// The password step. Messages never say whether the account exists, and an unknown
    /// address costs the same password-hashing time as a wrong password. A browser holding a
    /// device cookie for the account is limited on its own counter; any other attempt on the
    /// account's and the address's (`platform::devices`).
    pub async fn sign_in(
        &self,
        email_input: &str,
        password: &str,
        device: &DeviceCookie,
        replaces: Option<&SessionId>,
        meta: &RequestMeta,
    ) -> AppResult<SignedIn> {
        let mut errors = domain::FieldErrors::new();
        if email_input.trim().is_empty() {
            errors.add("email", "Enter your e-mail address.");
        }
        if password.is_empty() {
            errors.add("password", "Enter your password.");
        }
        errors.into_result()?;

        let user = match EmailAddress::parse(email_input) {
            Ok(email) => self.store().user_by_email(&email).await?,
            Err(_) => None,
        };
        // Counted before the password is checked, so parallel guesses cannot slip past.
        let trust = self.device_trust(device, user.as_ref().map(|u| &u.id)).await?;
        let limits = trust.limits(email_input, meta);
        if let Err(throttled) = self.count_attempt(&limits).await {
            let who = AuditActor {
                user_id: user.as_ref().map(|u| u.id.to_string()),
                role: None,
            };
            let event = match trust {
                Trust::Device(_) => AuditEvent::denied("signin.throttled").detail("device"),
                Trust::Untrusted => AuditEvent::denied("signin.throttled"),
            };
            self.record(who, event, meta).await?;
            return Err(throttled);
        }
        let matched = self
            .passwords()
            .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        let user = match user {
            Some(user) if matched && user.disabled_at.is_none() => user,
            other => {
                let who = AuditActor {
                    user_id: other.map(|u| u.id.to_string()),
                    role: None,
                };
                self.record(who, AuditEvent::failure("signin.failure").detail("password"), meta)
                    .await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        let who = AuditActor {
            user_id: Some(user.id.to_string()),
            role: None,
        };
        if user.is_demo && !self.config().demo {
            self.record(who, AuditEvent::denied("signin.demo_refused"), meta)
                .await?;
            return Err(AppError::Refused(
                "Demo accounts only work while Sensate runs with --demo.".into(),
            ));
        }
        // The attempts were genuine: the owner's counter starts again, and a shared address
        // gets its attempt back.
        match &trust {
            Trust::Device(_) => {
                for limit in &limits {
                    self.clear_limit(limit).await?;
                }
            }
            Trust::Untrusted => {
                let mut limits = limits.iter();
                if let Some(account) = limits.next() {
                    self.clear_limit(account).await?;
                }
                for address in limits {
                    self.forgive(address).await?;
                }
            }
        }

        let (stage, next) = if user.mfa_enabled() {
            (SessionStage::MfaPending, NextStep::SecondFactor)
        } else if domain::platform::role::mfa_required(&user.roles) {
            (SessionStage::Active, NextStep::EnrolSecondFactor)
        } else {
            (SessionStage::Active, NextStep::Dashboard)
        };
        let mut session = self.start_session(&user, stage, replaces, meta).await?;
        // The browser is trusted once the sign-in is complete (after the second factor if one
        // is owed).
        if stage == SessionStage::Active {
            session.device_cookie = Some(self.remember_device(device, &user.id).await?);
        }
        let action = if stage == SessionStage::Active {
            "signin.success"
        } else {
            "signin.password_accepted"
        };
        self.record(who, AuditEvent::success(action), meta).await?;
        Ok(SignedIn { session, next })
    }

    /// The second step: a current authenticator code (each accepted once) or an unused
    /// recovery code. Wrong codes count towards the account's throttle.
    pub async fn verify_second_factor(
        &self,
        pending: &SessionRecord,
        code_input: &str,
        device: &DeviceCookie,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        let code: String = code_input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        if code.is_empty() {
            return Err(AppError::field(
                "code",
                "Enter the 6-digit code from your authenticator app, or a recovery code.",
            ));
        }
        let limit = Limit::second_factor(&pending.user_id);
        if let Err(throttled) = self.count_attempt(std::slice::from_ref(&limit)).await {
            let who = AuditActor {
                user_id: Some(pending.user_id.to_string()),
                role: None,
            };
            self.record(
                who,
                AuditEvent::denied("signin.throttled").detail("second factor"),
                meta,
            )
            .await?;
            return Err(throttled);
        }
        let user = self
            .store()
            .user_by_id(&pending.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let who = AuditActor {
            user_id: Some(user.id.to_string()),
            role: None,
        };

        let method = if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
            let step = match &user.totp_secret_sealed {
                Some(sealed) if user.totp_enabled() => {
                    let field = Field {
                        name: "users.totp_secret",
                        record_id: user.id.as_str(),
                    };
                    let secret = self
                        .open(who.clone(), &Subject::user(&user.id), field, sealed, meta)
                        .await?;
                    crate::platform::mfa::matching_step(&secret, &user.email, &code, self.now())?
                }
                _ => None,
            };
            match step {
                Some(step) if self.store().claim_totp_step(&user.id, step).await? => Some("authenticator code"),
                _ => None,
            }
        } else {
            let hash = crate::platform::random::token_hash(&code);
            self.store()
                .use_recovery_code(&user.id, &hash, self.now())
                .await?
                .then_some("recovery code")
        };

        let Some(method) = method else {
            self.record(who, AuditEvent::failure("signin.second_factor_failure"), meta)
                .await?;
            return Err(AppError::field(
                "code",
                "That code is not right, or was already used. Check your app and try again.",
            ));
        };
        self.clear_limit(&limit).await?;
        let mut session = self
            .start_session(&user, SessionStage::Active, Some(&pending.id), meta)
            .await?;
        session.device_cookie = Some(self.remember_device(device, &user.id).await?);
        self.record(who, AuditEvent::success("signin.success").detail(method), meta)
            .await?;
        Ok(session)
    }
}

/// Failed or refused sign-in attempts on one's own account that one has not been shown yet:
/// those since the sign-in before the current one.
#[derive(Debug, Clone, Default)]
pub struct FailedSignIns {
    pub total: i64,
    /// The newest, newest first.
    pub recent: Vec<FailedAttempt>,
}

#[derive(Debug, Clone)]
pub struct FailedAttempt {
    pub at: store::Timestamp,
    pub address: String,
    pub what: &'static str,
}

impl FailedSignIns {
    /// "3 failed sign-in attempts since your last sign-in" (None when there were none).
    pub fn summary(&self) -> Option<String> {
        match self.total {
            0 => None,
            1 => Some("1 failed sign-in attempt since your last sign-in.".to_owned()),
            n => Some(format!("{n} failed sign-in attempts since your last sign-in.")),
        }
    }
}

/// How many attempts the account page lists.
const FAILED_SHOWN: i64 = 10;

impl App {
    /// The failed sign-in attempts on the actor's account since their sign-in before this
    /// one, so the owner learns when someone has been guessing.
    pub async fn failed_sign_ins(&self, actor: &crate::Actor, meta: &RequestMeta) -> AppResult<FailedSignIns> {
        self.authorize(actor, crate::authz::Permission::ManageOwnAccount, meta)
            .await?;
        let (total, rows) = self
            .store()
            .failed_sign_ins_since_previous(&actor.user_id, FAILED_SHOWN)
            .await?;
        let recent = rows
            .into_iter()
            .map(|row| FailedAttempt {
                at: row.at,
                address: row.client_addr.unwrap_or_else(|| "unknown".into()),
                what: match row.action.as_str() {
                    "signin.second_factor_failure" => "Wrong code after the right password",
                    "signin.throttled" => "Refused: too many attempts",
                    _ => "Wrong password or passkey",
                },
            })
            .collect();
        Ok(FailedSignIns { total, recent })
    }
}
