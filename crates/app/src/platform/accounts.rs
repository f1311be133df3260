//! Creating accounts, confirming addresses, and choosing passwords.

use domain::{EmailAddress, FieldErrors, NewPassword, PersonName, Role, UserId};
use store::platform::tokens::{TokenPurpose, TokenRecord};
use store::platform::users::NewUser;
use time::Duration;

use crate::authz::Permission;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::mail::Mail;
use crate::platform::sessions::NewSession;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

const VERIFY_LIFETIME: Duration = Duration::hours(24);
const RESET_LIFETIME: Duration = Duration::hours(1);

/// What someone typed into the sign-up form.
#[derive(Clone, Default)]
pub struct SignUpForm {
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

impl std::fmt::Debug for SignUpForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpForm")
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Checks a new password and its confirmation, naming problems per field.
pub(crate) fn check_new_password(
    errors: &mut FieldErrors,
    password: &str,
    confirm: &str,
    identity: &[&str],
) -> Option<NewPassword> {
    let parsed = errors.check("password", NewPassword::parse(password, identity));
    if parsed.is_some() && password != confirm {
        errors.add("password_confirm", "The two passwords are not the same.");
        return None;
    }
    parsed
}

impl App {
    pub(crate) async fn issue_token(
        &self,
        purpose: TokenPurpose,
        user: Option<&UserId>,
        invite: Option<(&EmailAddress, Role)>,
        created_by: Option<&UserId>,
        lifetime: Duration,
    ) -> AppResult<String> {
        let token = crate::platform::random::token()?;
        let now = self.now();
        self.store()
            .insert_token(&TokenRecord {
                token_hash: crate::platform::random::token_hash(&token),
                purpose,
                user_id: user.cloned(),
                email: invite.map(|(e, _)| e.to_string()),
                role: invite.map(|(_, r)| r),
                created_by: created_by.map(ToString::to_string),
                created_at: now,
                expires_at: store::Timestamp::new(now.get() + lifetime),
                used_at: None,
            })
            .await?;
        Ok(token)
    }

    /// Open sign-up, for candidates only. Whether or not the address already has an account,
    /// the person sees the same "check your inbox" page; the owner of an existing account gets
    /// a note instead of a second account, so the form cannot be used to probe for members.
    pub async fn sign_up(&self, form: &SignUpForm, meta: &RequestMeta) -> AppResult<()> {
        let mut errors = FieldErrors::new();
        let name = errors.check("display_name", PersonName::parse(&form.display_name));
        let email = errors.check("email", EmailAddress::parse(&form.email));
        let identity: Vec<&str> = email
            .as_ref()
            .map(|e| vec![e.local_part()])
            .unwrap_or_default()
            .into_iter()
            .chain(form.display_name.split_whitespace())
            .collect();
        let password = check_new_password(&mut errors, &form.password, &form.password_confirm, &identity);
        errors.into_result()?;
        let (Some(name), Some(email), Some(password)) = (name, email, password) else {
            return Err(AppError::internal(anyhow::anyhow!(
                "validated sign-up form lost a field"
            )));
        };

        if let Some(limit) = crate::platform::throttle::Limit::sign_up(meta) {
            self.count_attempt(&[limit]).await?;
        }
        // Hash before looking the address up, so both paths take the same time; the rest
        // (a new account and its link, or a note to the existing owner) happens after the
        // answer, so its different database work cannot be timed either.
        let hash = self.passwords().hash(password.expose()).await?;
        let app = self.clone();
        let meta = meta.clone();
        tokio::spawn(async move {
            if let Err(error) = app.register(name, email, hash, &meta).await {
                tracing::error!(error = ?error, "sign-up could not be completed");
            }
        });
        Ok(())
    }

    async fn register(&self, name: PersonName, email: EmailAddress, hash: String, meta: &RequestMeta) -> AppResult<()> {
        let id = crate::platform::random::new_id::<UserId>()?;
        let inserted = self
            .store()
            .insert_user(NewUser {
                id: &id,
                email: &email,
                display_name: name.as_str(),
                password_hash: &hash,
                email_verified_at: None,
                roles: &[Role::Candidate],
                granted_by: None,
                is_demo: false,
                now: self.now(),
            })
            .await;
        match inserted {
            Ok(()) => {
                let who = AuditActor {
                    user_id: Some(id.to_string()),
                    role: Some(Role::Candidate.as_str().into()),
                };
                self.record(who, AuditEvent::success("account.signup").subject("user", &id), meta)
                    .await?;
                self.send_verification(&id, &email, name.as_str()).await
            }
            Err(store::StoreError::Conflict) => {
                self.record(
                    AuditActor::default(),
                    AuditEvent::failure("account.signup_existing"),
                    meta,
                )
                .await?;
                let mail = Mail::AlreadyRegistered {
                    sign_in: self.link("/sign-in"),
                    reset: self.link("/password/forgot"),
                };
                self.send_mail(email.as_str(), mail).await
            }
            Err(other) => Err(other.into()),
        }
    }

    async fn send_verification(&self, id: &UserId, email: &EmailAddress, name: &str) -> AppResult<()> {
        self.store()
            .revoke_tokens(id, TokenPurpose::VerifyEmail, self.now())
            .await?;
        let token = self
            .issue_token(TokenPurpose::VerifyEmail, Some(id), None, None, VERIFY_LIFETIME)
            .await?;
        let link = self.link(&format!("/verify-email/{token}"));
        self.send_mail(email.as_str(), Mail::VerifyAddress { name, link }).await
    }

    /// Sends a fresh confirmation link to a signed-in person whose address is unconfirmed.
    pub async fn resend_verification(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        if actor.email_verified {
            return Ok(());
        }
        self.send_verification(&actor.user_id, &actor.email, &actor.display_name)
            .await?;
        self.record(actor, AuditEvent::success("account.verification_resent"), meta)
            .await
    }

    /// Follows a confirmation link. Returns the confirmed address.
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> AppResult<EmailAddress> {
        let hash = crate::platform::random::token_hash(token);
        let Some(record) = self
            .store()
            .consume_token(&hash, TokenPurpose::VerifyEmail, self.now())
            .await?
        else {
            self.record(
                AuditActor::default(),
                AuditEvent::failure("account.email_verify_failure"),
                meta,
            )
            .await?;
            return Err(AppError::InvalidLink);
        };
        let user_id = record.user_id.ok_or(AppError::InvalidLink)?;
        let user = self.store().user_by_id(&user_id).await?.ok_or(AppError::InvalidLink)?;
        self.store().mark_email_verified(&user_id, self.now()).await?;
        let who = AuditActor {
            user_id: Some(user_id.to_string()),
            role: None,
        };
        self.record(
            who,
            AuditEvent::success("account.email_verified").subject("user", &user_id),
            meta,
        )
        .await?;
        Ok(user.email)
    }

    /// Always answers the same way; the reset link goes only to an existing account's
    /// address. The work runs in the background so the response time does not reveal
    /// whether the account exists.
    pub async fn request_password_reset(&self, email_input: &str, meta: &RequestMeta) -> AppResult<()> {
        let email = EmailAddress::parse(email_input).map_err(|e| AppError::field("email", e.to_string()))?;
        if let Some(limit) = crate::platform::throttle::Limit::reset_address(meta) {
            self.count_attempt(&[limit]).await?;
        }
        let app = self.clone();
        let meta = meta.clone();
        tokio::spawn(async move {
            if let Err(error) = app.send_reset_link(&email, &meta).await {
                tracing::error!(error = ?error, "password reset request failed");
            }
        });
        Ok(())
    }

    async fn send_reset_link(&self, email: &EmailAddress, meta: &RequestMeta) -> AppResult<()> {
        // At most a few links an hour per account: no inbox flooding, and the owner's link is
        // not cancelled over and over. Refused silently, like everything on this path.
        if self
            .count_attempt(&[crate::platform::throttle::Limit::reset_account(email.as_str())])
            .await
            .is_err()
        {
            return self
                .record(
                    AuditActor::default(),
                    AuditEvent::denied("password.reset_throttled"),
                    meta,
                )
                .await;
        }
        let Some(user) = self.store().user_by_email(email).await? else {
            return self
                .record(
                    AuditActor::default(),
                    AuditEvent::failure("password.reset_requested_unknown"),
                    meta,
                )
                .await;
        };
        // A new link replaces any earlier one.
        self.store()
            .revoke_tokens(&user.id, TokenPurpose::ResetPassword, self.now())
            .await?;
        let token = self
            .issue_token(TokenPurpose::ResetPassword, Some(&user.id), None, None, RESET_LIFETIME)
            .await?;
        let link = self.link(&format!("/password/reset/{token}"));
        self.send_mail(
            user.email.as_str(),
            Mail::ResetPassword {
                name: &user.display_name,
                link,
            },
        )
        .await?;
        let who = AuditActor {
            user_id: Some(user.id.to_string()),
            role: None,
        };
        self.record(who, AuditEvent::success("password.reset_requested"), meta)
            .await
    }

    /// Whether a reset link is still good (to show the form, or say it expired).
    pub async fn reset_link_is_valid(&self, token: &str) -> AppResult<bool> {
        let hash = crate::platform::random::token_hash(token);
        Ok(self
            .store()
            .peek_token(&hash, TokenPurpose::ResetPassword, self.now())
            .await?
            .is_some())
    }

    /// Sets a new password from a reset link. Every session of the account ends.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let hash = crate::platform::random::token_hash(token);
        let Some(record) = self
            .store()
            .peek_token(&hash, TokenPurpose::ResetPassword, self.now())
            .await?
        else {
            self.record(
                AuditActor::default(),
                AuditEvent::failure("password.reset_link_invalid"),
                meta,
            )
            .await?;
            return Err(AppError::InvalidLink);
        };

        let user_id = record.user_id.ok_or(AppError::InvalidLink)?;
        let user = self.store().user_by_id(&user_id).await?.ok_or(AppError::InvalidLink)?;
        let mut errors = FieldErrors::new();
        let identity: Vec<&str> = std::iter::once(user.email.local_part())
            .chain(user.display_name.split_whitespace())
            .collect();
        let new = check_new_password(&mut errors, password, confirm, &identity);
        errors.into_result()?;
        let Some(new) = new else {
            return Err(AppError::internal(anyhow::anyhow!("validated password lost")));
        };
        // Consume only now, so a mistyped password does not burn the link.
        if self
            .store()
            .consume_token(&hash, TokenPurpose::ResetPassword, self.now())
            .await?
            .is_none()
        {
            return Err(AppError::InvalidLink);
        }
        let new_hash = self.passwords().hash(new.expose()).await?;
        self.store().set_password_hash(&user.id, &new_hash, self.now()).await?;
        // Following the link proves the person reads this inbox.
        self.store().mark_email_verified(&user.id, self.now()).await?;
        self.store().delete_sessions_of_user(&user.id, None).await?;
        self.store().clear_throttle(&format!("account:{}", user.email)).await?;
        let who = AuditActor {
            user_id: Some(user.id.to_string()),
            role: None,
        };
        self.record(who, AuditEvent::success("password.reset"), meta).await?;
        let reset = self.link("/password/forgot");
        self.send_mail(
            user.email.as_str(),
            Mail::PasswordChanged {
                name: &user.display_name,
                reset,
            },
        )
        .await
    }

    /// Changes the password of the person asking. Other sessions end; this one gets a new id.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        password: &str,
        confirm: &str,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let mut errors = FieldErrors::new();
        if current.is_empty() {
            errors.add("current_password", "Enter your current password.");
        }
        let identity: Vec<&str> = std::iter::once(user.email.local_part())
            .chain(user.display_name.split_whitespace())
            .collect();
        let new = check_new_password(&mut errors, password, confirm, &identity);
        errors.into_result()?;
        match self
            .recheck_password(actor, &user.password_hash, current, "password.change_failure", meta)
            .await
        {
            Err(AppError::Validation(_)) => {
                return Err(AppError::field(
                    "current_password",
                    "That is not your current password.",
                ));
            }
            other => other?,
        }

        let Some(new) = new else {
            return Err(AppError::internal(anyhow::anyhow!("validated password lost")));
        };
        let new_hash = self.passwords().hash(new.expose()).await?;
        self.store().set_password_hash(&user.id, &new_hash, self.now()).await?;
        self.store()
            .delete_sessions_of_user(&user.id, Some(&actor.session_id))
            .await?;
        self.store()
            .revoke_tokens(&user.id, TokenPurpose::ResetPassword, self.now())
            .await?;
        let session = self
            .start_session(
                &user,
                store::platform::sessions::SessionStage::Active,
                Some(&actor.session_id),
                meta,
            )
            .await?;
        self.record(actor, AuditEvent::success("password.changed"), meta)
            .await?;
        let reset = self.link("/password/forgot");
        self.send_mail(
            user.email.as_str(),
            Mail::PasswordChanged {
                name: &user.display_name,
                reset,
            },
        )
        .await?;
        Ok(session)
    }
}

impl App {
    /// Changes the name shown for the person asking.
    pub async fn rename(&self, actor: &Actor, name_input: &str, meta: &RequestMeta) -> AppResult<PersonName> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let name = PersonName::parse(name_input).map_err(|e| AppError::field("display_name", e.to_string()))?;
        self.store()
            .set_display_name(&actor.user_id, name.as_str(), self.now())
            .await?;
        self.record(
            actor,
            AuditEvent::success("account.renamed").subject("user", &actor.user_id),
            meta,
        )
        .await?;
        Ok(name)
    }
}
