//! Two-factor sign-in with time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s,
//! one step of clock drift either way) and single-use recovery codes.

use domain::{EmailAddress, SessionId};
use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

use crate::authz::Permission;
use crate::platform::audit::AuditEvent;
use crate::platform::protected::{Field, Subject};
use crate::platform::sessions::NewSession;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

pub const RECOVERY_CODES: usize = 10;

/// What the set-up page shows.
pub struct TotpSetup {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// An inline SVG QR code of `otpauth_uri`.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSetup(<redacted>)")
    }
}

fn totp(secret: &[u8], account: &EmailAddress) -> AppResult<Totp> {
    Builder::new()
        .with_secret(Secret::new(secret.to_vec().into_boxed_slice()))
        .with_account_name(account.as_str())
        .with_issuer(Some("Sensate"))
        .with_skew(1)
        .build()
        .map_err(|e| AppError::internal(anyhow::anyhow!("TOTP set-up: {e}")))
}

/// The time step `code` belongs to, if it is valid now (within one step of drift).
pub(crate) fn matching_step(
    secret: &[u8],
    account: &EmailAddress,
    code: &str,
    now: store::Timestamp,
) -> AppResult<Option<i64>> {
    let seconds = u64::try_from(now.get().unix_timestamp()).unwrap_or_default();
    Ok(totp(secret, account)?
        .check(code, seconds)
        .and_then(|step| i64::try_from(step).ok()))
}

/// The current code for a secret (the demo page shows it for demo accounts).
pub(crate) fn current_code(secret: &[u8], account: &EmailAddress, now: store::Timestamp) -> AppResult<String> {
    let seconds = u64::try_from(now.get().unix_timestamp()).unwrap_or_default();
    Ok(totp(secret, account)?.generate(seconds).to_string())
}

/// A fresh set of recovery codes, as shown once to the person and as stored (hashed).
fn new_recovery_codes() -> AppResult<(Vec<String>, Vec<String>)> {
    let codes = (0..RECOVERY_CODES)
        .map(|_| crate::platform::random::recovery_code())
        .collect::<AppResult<Vec<_>>>()?;
    let hashes = codes.iter().map(|c| crate::platform::random::token_hash(c)).collect();
    Ok((codes, hashes))
}

fn qr_svg(uri: &str) -> AppResult<String> {
    let code = QrCode::new(uri.as_bytes()).map_err(|e| AppError::internal(anyhow::anyhow!("QR code: {e}")))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // The renderer writes a standalone XML document; inline in HTML only the <svg> element
    // is wanted, labelled for screen readers.
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"",
        1,
    ))
}

impl App {
    async fn totp_secret(&self, actor: &Actor, sealed: &[u8], meta: &RequestMeta) -> AppResult<Vec<u8>> {
        let field = Field {
            name: "users.totp_secret",
            record_id: actor.user_id.as_str(),
        };
        Ok(self
            .open(actor, &Subject::user(&actor.user_id), field, sealed, meta)
            .await?
            .to_vec())
    }

    /// Starts (or resumes) setting up an authenticator app. The secret is kept sealed until
    /// confirmed, so reloading the page shows the same one.
    pub async fn begin_totp_setup(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<TotpSetup> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if user.totp_enabled() {
            return Err(AppError::Refused("Two-factor sign-in is already on.".into()));
        }
        let secret = match &user.totp_secret_sealed {
            Some(sealed) => self.totp_secret(actor, sealed, meta).await?,
            None => {
                let secret = crate::platform::random::bytes::<20>()?.to_vec();
                let field = Field {
                    name: "users.totp_secret",
                    record_id: actor.user_id.as_str(),
                };
                let sealed = self
                    .seal(actor, &Subject::user(&actor.user_id), field, &secret, meta)
                    .await?;
                self.store()
                    .set_pending_totp(&actor.user_id, &sealed, self.now())
                    .await?;
                secret
            }
        };
        let totp = totp(&secret, &actor.email)?;
        let otpauth_uri = totp
            .to_url()
            .map_err(|e| AppError::internal(anyhow::anyhow!("otpauth URL: {e}")))?;
        Ok(TotpSetup {
            secret_base32: totp.secret().to_base32(),
            qr_svg: qr_svg(&otpauth_uri)?,
            otpauth_uri,
        })
    }

    /// Keeps new recovery codes, sealed, for one session to show once
    /// ([`App::take_recovery_codes_to_show`]).
    async fn keep_codes_to_show(
        &self,
        actor: &Actor,
        session: &SessionId,
        codes: &[String],
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let field = Field {
            name: "codes_to_show.sealed",
            record_id: session.as_str(),
        };
        let sealed = self
            .seal(
                actor,
                &Subject::user(&actor.user_id),
                field,
                codes.join("\n").as_bytes(),
                meta,
            )
            .await?;
        self.store().keep_codes_to_show(session, &sealed, self.now()).await?;
        Ok(())
    }

    /// The recovery codes made in this session and not shown yet; `None` once they were shown
    /// (a reload never makes new ones).
    pub async fn take_recovery_codes_to_show(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<Option<Vec<String>>> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let Some(sealed) = self.store().take_codes_to_show(&actor.session_id).await? else {
            return Ok(None);
        };
        let field = Field {
            name: "codes_to_show.sealed",
            record_id: actor.session_id.as_str(),
        };
        let plain = self
            .open(actor, &Subject::user(&actor.user_id), field, &sealed, meta)
            .await?;
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| AppError::internal(anyhow::anyhow!("recovery codes to show are not text")))?;
        Ok(Some(text.lines().map(str::to_owned).collect()))
    }

    /// Confirms set-up with a code from the app. Returns a new session, since the account's
    /// privileges changed; the recovery codes wait in it to be shown once.
    pub async fn confirm_totp_setup(
        &self,
        actor: &Actor,
        code_input: &str,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let code: String = code_input.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(AppError::field(
                "code",
                "Enter the 6-digit code your authenticator app shows.",
            ));
        }
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let Some(sealed) = user.totp_secret_sealed.as_deref().filter(|_| !user.totp_enabled()) else {
            return Err(AppError::Refused(
                "Start the set-up again: no set-up is in progress.".into(),
            ));
        };
        let secret = self.totp_secret(actor, sealed, meta).await?;
        let Some(step) = matching_step(&secret, &actor.email, &code, self.now())? else {
            self.record(actor, AuditEvent::failure("mfa.enrol_failure"), meta)
                .await?;
            return Err(AppError::field(
                "code",
                "That code is not right. Check the time on your device and try the newest code.",
            ));
        };
        let (codes, hashes) = new_recovery_codes()?;
        self.store()
            .enable_totp(&actor.user_id, step, &hashes, self.now())
            .await?;
        let session = self
            .start_session(
                &user,
                store::platform::sessions::SessionStage::Active,
                Some(&actor.session_id),
                meta,
            )
            .await?;
        self.keep_codes_to_show(actor, &session.id, &codes, meta).await?;
        self.record(actor, AuditEvent::success("mfa.enabled"), meta).await?;
        let security = self.link("/account/security");
        self.send_mail(
            actor.email.as_str(),
            crate::platform::mail::Mail::TwoFactorChanged {
                name: &actor.display_name,
                enabled: true,
                security,
            },
        )
        .await?;
        Ok(session)
    }

    /// Replaces the recovery codes (the old ones stop working). Needs the password. The new
    /// codes wait in this session to be shown once.
    pub async fn regenerate_recovery_codes(&self, actor: &Actor, password: &str, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !user.mfa_enabled() {
            return Err(AppError::Refused("Turn on two-factor sign-in first.".into()));
        }
        self.recheck_password(actor, &user.password_hash, password, "mfa.recovery_codes_failure", meta)
            .await?;
        let (codes, hashes) = new_recovery_codes()?;
        self.store().replace_recovery_codes(&actor.user_id, &hashes).await?;
        self.keep_codes_to_show(actor, &actor.session_id, &codes, meta).await?;
        self.record(actor, AuditEvent::success("mfa.recovery_codes_replaced"), meta)
            .await?;
        Ok(())
    }

    /// Turns two-factor sign-in off (needs the password); refused for roles that require it.
    pub async fn disable_totp(&self, actor: &Actor, password: &str, meta: &RequestMeta) -> AppResult<()> {
        self.authorize(actor, Permission::TurnOffTwoFactor, meta).await?;
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        self.recheck_password(actor, &user.password_hash, password, "mfa.disable_failure", meta)
            .await?;

        if user.passkeys > 0 {
            // Passkeys remain a second factor, and the recovery codes stay with them.
            self.store().remove_totp(&actor.user_id, self.now()).await?;
            let event = AuditEvent::success("mfa.disabled").detail("authenticator app only; passkeys remain");
            self.record(actor, event, meta).await?;
            return Ok(());
        }
        self.store().disable_totp(&actor.user_id, self.now()).await?;
        self.record(actor, AuditEvent::success("mfa.disabled"), meta).await?;
        let security = self.link("/account/security");
        self.send_mail(
            actor.email.as_str(),
            crate::platform::mail::Mail::TwoFactorChanged {
                name: &actor.display_name,
                enabled: false,
                security,
            },
        )
        .await?;
        Ok(())
    }
}

impl App {
    /// Asks for the password again before a sensitive change. Attempts are limited like
    /// sign-ins, so a stolen session cannot be used to guess the password; the counter is the
    /// account's own, apart from sign-in's (which anyone can fill from outside).
    pub(crate) async fn recheck_password(
        &self,
        actor: &Actor,
        hash: &str,
        password: &str,
        failure_action: &'static str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let limit = crate::platform::throttle::Limit::password_recheck(&actor.user_id);
        self.count_attempt(std::slice::from_ref(&limit)).await?;
        if !self.passwords().verify(password, Some(hash)).await? {
            self.record(actor, AuditEvent::failure(failure_action), meta).await?;
            return Err(AppError::field("password", "That password is not right."));
        }
        self.clear_limit(&limit).await
    }
}
