//! Passkeys (WebAuthn, through webauthn-rs): added from the security page, then used as the
//! second factor after the password, or alone for a passwordless sign-in.
//!
//! A passkey always requires user verification (a PIN or biometric on the device), so it is
//! possession and a second factor in one: a passwordless sign-in is a full two-factor sign-in.
//!
//! Each ceremony is two requests. The first stores webauthn-rs's state server-side
//! (`webauthn_challenges`), bound to the session that asked (or, before sign-in, to the
//! visitor's anti-forgery token) and valid for [`CHALLENGE_LIFETIME`]; the second takes it out
//! of the table before checking the answer, so a challenge is answered once, right or wrong.

use domain::{SessionId, UserId};
use store::platform::passkeys::{CeremonyPurpose, Challenge, PasskeyRecord};
use store::platform::sessions::{SessionRecord, SessionStage};
use store::platform::users::UserRecord;
use time::Duration;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

pub use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse,
};

use crate::authz::Permission;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::devices::{DeviceCookie, Trust};
use crate::platform::sessions::NewSession;
use crate::platform::throttle::Limit;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

/// How long a browser has to answer a challenge.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
/// What the browser is told to wait for the person (a little less than the challenge lives).
const AUTHENTICATOR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(240);
pub const MAX_NAME_CHARS: usize = 60;

/// The site passkeys are registered to, from the configured public URL.
pub struct RelyingParty {
    webauthn: Webauthn,
    /// The relying party id (a host name) the browser must be on.
    pub id: String,
    /// The origin pages must be served from for passkeys to work there.
    pub origin: String,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .field("origin", &self.origin)
            .finish()
    }
}

impl RelyingParty {
    /// WebAuthn names a site by host name, never by IP address. A loopback address is taken
    /// as `localhost` (which browsers treat as secure, like 127.0.0.1), so a server on
    /// `http://127.0.0.1:8080` offers passkeys at `http://localhost:8080`.
    pub fn for_public_url(public_url: &str) -> Result<RelyingParty, String> {
        let url = Url::parse(public_url).map_err(|e| format!("the public URL {public_url:?} is not a URL: {e}"))?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let (id, origin) = match url.host() {
            Some(url::Host::Domain(domain)) => {
                let domain = domain.to_ascii_lowercase();
                (domain.clone(), format!("{}://{domain}{port}", url.scheme()))
            }
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => {
                ("localhost".to_owned(), format!("{}://localhost{port}", url.scheme()))
            }
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => {
                ("localhost".to_owned(), format!("{}://localhost{port}", url.scheme()))
            }
            _ => {
                return Err(format!(
                    "passkeys need the public URL to name the site by a host name, not an address (it is {public_url})"
                ));
            }
        };
        let origin_url = Url::parse(&origin).map_err(|e| format!("passkey origin {origin}: {e}"))?;
        let webauthn = WebauthnBuilder::new(&id, &origin_url)
            .and_then(|builder| builder.rp_name("Sensate").timeout(AUTHENTICATOR_TIMEOUT).build())
            .map_err(|e| format!("passkeys cannot be offered for {origin}: {e}"))?;
        Ok(RelyingParty { webauthn, id, origin })
    }
}

/// A passkey as its owner sees it listed.
#[derive(Debug, Clone)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created_at: store::Timestamp,
    pub last_used_at: Option<store::Timestamp>,
}

impl From<PasskeyRecord> for PasskeyInfo {
    fn from(record: PasskeyRecord) -> Self {
        PasskeyInfo {
            id: record.id,
            name: record.name,
            created_at: record.created_at,
            last_used_at: record.last_used_at,
        }
    }
}

/// Which second factors a person owing one can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactors {
    pub authenticator_app: bool,
    pub passkey: bool,
}

/// What a challenge is bound to: the session that asked for it, or a visitor's anti-forgery
/// token (hashed: the table never holds a live token).
fn session_binding(session: &SessionId) -> String {
    format!("session:{session}")
}

fn visitor_binding(visitor_token: &str) -> String {
    format!("visitor:{}", crate::platform::random::token_hash(visitor_token))
}

fn credential_key(raw_id: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw_id)
}

fn to_json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|e| AppError::internal(anyhow::anyhow!("passkey state: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> AppResult<T> {
    serde_json::from_str(text).map_err(|e| AppError::internal(anyhow::anyhow!("stored passkey data: {e}")))
}

/// The refusal people see when a passkey answer fails any check (the audit log says which).
fn not_accepted() -> AppError {
    AppError::Refused("That passkey was not accepted. Try again, or use another way to sign in.".into())
}

fn expired_challenge() -> AppError {
    AppError::Refused("This passkey request expired or was already answered. Try again.".into())
}

/// A name for a passkey: trimmed, 1 to 60 characters, no control characters.
fn parse_name(input: &str) -> Result<String, &'static str> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Give this passkey a name, such as the device it is on.");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("Use at most 60 characters.");
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits and punctuation only.");
    }
    Ok(name.to_owned())
}

impl App {
    fn relying_party(&self) -> AppResult<&RelyingParty> {
        self.inner
            .passkeys
            .as_ref()
            .map_err(|why| AppError::Refused(format!("Passkeys are not available on this server: {why}.")))
    }

    /// The site passkeys work on, or why there is none (pages say so).
    pub fn passkey_site(&self) -> Result<&RelyingParty, &str> {
        self.inner.passkeys.as_ref().map_err(String::as_str)
    }

    fn challenge(
        &self,
        binding: String,
        purpose: CeremonyPurpose,
        user_id: Option<&UserId>,
        passkey_name: Option<String>,
        state: String,
    ) -> Challenge {
        let now = self.now();
        Challenge {
            binding,
            purpose,
            user_id: user_id.cloned(),
            passkey_name,
            state,
            created_at: now,
            expires_at: store::Timestamp::new(now.get() + CHALLENGE_LIFETIME),
        }
    }

    /// The stored passkeys of a user, ready for webauthn-rs (with their rows).
    async fn passkeys_with_credentials(&self, user: &UserId) -> AppResult<Vec<(PasskeyRecord, Passkey)>> {
        let mut out = Vec::new();
        for record in self.store().passkeys_of_user(user).await? {
            let passkey = from_json::<Passkey>(&record.credential)?;
            out.push((record, passkey));
        }
        Ok(out)
    }

    /// The signed-in person's passkeys, oldest first.
    pub async fn my_passkeys(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<PasskeyInfo>> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        Ok(self
            .store()
            .passkeys_of_user(&actor.user_id)
            .await?
            .into_iter()
            .map(PasskeyInfo::from)
            .collect())
    }

    /// One of the signed-in person's passkeys (for the removal page); `NotFound` otherwise.
    pub async fn my_passkey(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<PasskeyInfo> {
        self.my_passkeys(actor, meta)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound)
    }

    /// Step 1 of adding a passkey: checks the name and the password (adding a way to sign in
    /// is a sensitive change: a stolen session alone must not plant a passkey), then returns
    /// the options for `navigator.credentials.create`.
    pub async fn begin_passkey_registration(
        &self,
        actor: &Actor,
        name_input: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> AppResult<CreationChallengeResponse> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let relying_party = self.relying_party()?;
        let mut errors = domain::FieldErrors::new();
        let name = parse_name(name_input).map_err(|message| errors.add("passkey_name", message));
        if password.is_empty() {
            errors.add("passkey_password", "Enter your password.");
        }
        errors.into_result()?;
        let name = name.map_err(|_| AppError::internal(anyhow::anyhow!("passkey name checked above")))?;
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        self.recheck_password(actor, &user.password_hash, password, "passkey.add_failure", meta)
            .await
            .map_err(|error| match error {
                AppError::Validation(_) => AppError::field("passkey_password", "That password is not right."),
                other => other,
            })?;

        let handle = self
            .store()
            .ensure_webauthn_handle(&actor.user_id, &Uuid::new_v4().to_string())
            .await?;
        let handle =
            Uuid::parse_str(&handle).map_err(|e| AppError::internal(anyhow::anyhow!("webauthn handle: {e}")))?;
        let existing = self
            .passkeys_with_credentials(&actor.user_id)
            .await?
            .into_iter()
            .map(|(_, passkey)| passkey.cred_id().clone())
            .collect::<Vec<_>>();
        let (mut options, state) = relying_party
            .webauthn
            .start_passkey_registration(handle, actor.email.as_str(), &actor.display_name, Some(existing))
            .map_err(|e| AppError::internal(anyhow::anyhow!("passkey registration options: {e}")))?;
        // Ask for a discoverable credential where the authenticator can store one, so the
        // same passkey also signs in without the password. ("preferred": security keys
        // without room for one still register, as a second factor.)
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Preferred);
        }
        let challenge = self.challenge(
            session_binding(&actor.session_id),
            CeremonyPurpose::Register,
            Some(&actor.user_id),
            Some(name),
            to_json(&state)?,
        );
        self.store().put_challenge(&challenge).await?;
        Ok(options)
    }

    /// Step 2 of adding a passkey: checks the authenticator's answer against this session's
    /// challenge and stores the passkey. Returns its id, and a new session (the account's
    /// sign-in methods changed).
    pub async fn finish_passkey_registration(
        &self,
        actor: &Actor,
        credential: &RegisterPublicKeyCredential,
        meta: &RequestMeta,
    ) -> AppResult<(String, NewSession)> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let relying_party = self.relying_party()?;
        let challenge = self
            .store()
            .take_challenge(
                &session_binding(&actor.session_id),
                CeremonyPurpose::Register,
                self.now(),
            )
            .await?;
        let Some(challenge) = challenge.filter(|c| c.user_id.as_ref() == Some(&actor.user_id)) else {
            self.record(
                actor,
                AuditEvent::failure("passkey.add_failure").detail("no challenge"),
                meta,
            )
            .await?;
            return Err(expired_challenge());
        };
        let state: PasskeyRegistration = from_json(&challenge.state)?;
        let passkey = match relying_party.webauthn.finish_passkey_registration(credential, &state) {
            Ok(passkey) => passkey,
            Err(error) => {
                let event = AuditEvent::failure("passkey.add_failure").detail(format!("{error:?}"));
                self.record(actor, event, meta).await?;
                return Err(AppError::Refused(
                    "Your device's answer could not be checked, so no passkey was added. Try again.".into(),
                ));
            }
        };
        let now = self.now();
        let record = PasskeyRecord {
            id: crate::platform::random::id()?,
            user_id: actor.user_id.clone(),
            credential_id: credential_key(passkey.cred_id().as_ref()),
            name: challenge.passkey_name.clone().unwrap_or_else(|| "Passkey".into()),
            credential: to_json(&passkey)?,
            created_at: now,
            last_used_at: None,
        };
        match self.store().insert_passkey(&record).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                self.record(
                    actor,
                    AuditEvent::failure("passkey.add_failure").detail("already registered"),
                    meta,
                )
                .await?;
                return Err(AppError::Refused("This passkey is already registered.".into()));
            }
            Err(other) => return Err(other.into()),
        }
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let session = self
            .start_session(&user, SessionStage::Active, Some(&actor.session_id), meta)
            .await?;
        self.announce_passkey_change(actor, &record.id, &record.name, true, meta)
            .await?;
        Ok((record.id, session))
    }

    /// Removes a passkey (needs the password). Refused when it is the last second factor of a
    /// person whose role requires one; when it is the last for anyone else, two-factor sign-in
    /// ends with it and the recovery codes go too.
    pub async fn remove_passkey(&self, actor: &Actor, id: &str, password: &str, meta: &RequestMeta) -> AppResult<()> {
        let passkey = self.my_passkey(actor, id, meta).await?;
        let user = self
            .store()
            .user_by_id(&actor.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let last_factor = !user.totp_enabled() && user.passkeys <= 1;
        if last_factor && domain::platform::role::mfa_required(&actor.roles) {
            return Err(AppError::Refused(
                "Your role requires two-factor sign-in: add another passkey or an authenticator app before removing this one."
                    .into(),
            ));
        }
        if password.is_empty() {
            return Err(AppError::field("password", "Enter your password."));
        }
        self.recheck_password(actor, &user.password_hash, password, "passkey.remove_failure", meta)
            .await?;
        if !self.store().delete_passkey(&actor.user_id, id).await? {
            return Err(AppError::NotFound);
        }
        if last_factor {
            self.store().replace_recovery_codes(&actor.user_id, &[]).await?;
        }
        self.announce_passkey_change(actor, id, &passkey.name, false, meta)
            .await
    }

    /// Audits a passkey added or removed and tells the account's owner by e-mail, so that a
    /// change they did not make (on a session left open, say) does not go unnoticed.
    async fn announce_passkey_change(
        &self,
        actor: &Actor,
        passkey_id: &str,
        passkey_name: &str,
        added: bool,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let action = if added { "passkey.added" } else { "passkey.removed" };
        self.record(actor, AuditEvent::success(action).subject("passkey", passkey_id), meta)
            .await?;
        let security = self.link("/account/security");
        self.send_mail(
            actor.email.as_str(),
            crate::platform::mail::Mail::PasskeyChanged {
                name: &actor.display_name,
                passkey: passkey_name,
                added,
                security,
            },
        )
        .await
    }

    /// The second factors the person behind a pending session has.
    pub async fn second_factors(&self, pending: &SessionRecord) -> AppResult<SecondFactors> {
        let user = self
            .store()
            .user_by_id(&pending.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(SecondFactors {
            authenticator_app: user.totp_enabled(),
            passkey: user.passkeys > 0 && self.inner.passkeys.is_ok(),
        })
    }

    /// Step 1 of a passkey as the second factor: options naming this person's passkeys.
    pub async fn begin_passkey_second_factor(&self, pending: &SessionRecord) -> AppResult<RequestChallengeResponse> {
        let relying_party = self.relying_party()?;
        let passkeys = self
            .passkeys_with_credentials(&pending.user_id)
            .await?
            .into_iter()
            .map(|(_, passkey)| passkey)
            .collect::<Vec<_>>();
        if passkeys.is_empty() {
            return Err(AppError::Refused("You have no passkey. Use a code instead.".into()));
        }
        let (options, state) = relying_party
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| AppError::internal(anyhow::anyhow!("passkey options: {e}")))?;
        let challenge = self.challenge(
            session_binding(&pending.id),
            CeremonyPurpose::SecondFactor,
            Some(&pending.user_id),
            None,
            to_json(&state)?,
        );
        self.store().put_challenge(&challenge).await?;
        Ok(options)
    }

    /// Step 2 of a passkey as the second factor. Failures count towards the same limit as
    /// wrong codes.
    pub async fn finish_passkey_second_factor(
        &self,
        pending: &SessionRecord,
        credential: &PublicKeyCredential,
        device: &DeviceCookie,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        let relying_party = self.relying_party()?;
        let who = AuditActor {
            user_id: Some(pending.user_id.to_string()),
            role: None,
        };
        let limit = Limit::second_factor(&pending.user_id);
        if let Err(throttled) = self.count_attempt(std::slice::from_ref(&limit)).await {
            self.record(who, AuditEvent::denied("signin.throttled").detail("passkey"), meta)
                .await?;
            return Err(throttled);
        }
        let failed =
            |detail: String| AuditEvent::failure("signin.second_factor_failure").detail(format!("passkey: {detail}"));
        let challenge = self
            .store()
            .take_challenge(&session_binding(&pending.id), CeremonyPurpose::SecondFactor, self.now())
            .await?;
        let Some(challenge) = challenge.filter(|c| c.user_id.as_ref() == Some(&pending.user_id)) else {
            self.record(who, failed("no challenge".into()), meta).await?;
            return Err(expired_challenge());
        };
        let state: PasskeyAuthentication = from_json(&challenge.state)?;
        // The passkey must be this person's, and still registered.
        let record = self
            .store()
            .passkey_by_credential_id(&credential_key(credential.get_credential_id()))
            .await?;
        let Some(record) = record.filter(|r| r.user_id == pending.user_id) else {
            self.record(who, failed("not one of this account's passkeys".into()), meta)
                .await?;
            return Err(not_accepted());
        };
        let result = match relying_party.webauthn.finish_passkey_authentication(credential, &state) {
            Ok(result) => result,
            Err(error) => {
                self.record(who, failed(format!("{error:?}")), meta).await?;
                return Err(not_accepted());
            }
        };
        let user = self
            .store()
            .user_by_id(&pending.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        self.clear_limit(&limit).await?;
        let mut session = self
            .signed_in_with_passkey(&user, &record, &result, Some(&pending.id), who, meta)
            .await?;
        session.device_cookie = Some(self.remember_device(device, &user.id).await?);
        Ok(session)
    }

    /// Step 1 of a passwordless sign-in: options for any passkey the device holds for this
    /// site (a discoverable credential). Bound to the visitor's anti-forgery token.
    pub async fn begin_passkey_sign_in(&self, visitor_token: &str) -> AppResult<RequestChallengeResponse> {
        let relying_party = self.relying_party()?;
        let (mut options, state) = relying_party
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| AppError::internal(anyhow::anyhow!("passkey options: {e}")))?;
        // The page decides between a button press and autofill; the options stay neutral.
        options.mediation = None;
        let challenge = self.challenge(
            visitor_binding(visitor_token),
            CeremonyPurpose::SignIn,
            None,
            None,
            to_json(&state)?,
        );
        self.store().put_challenge(&challenge).await?;
        Ok(options)
    }

    /// Step 2 of a passwordless sign-in: a full sign-in (the passkey verified its user), with
    /// the same throttling, refusals and new session id as the password.
    pub async fn finish_passkey_sign_in(
        &self,
        visitor_token: &str,
        credential: &PublicKeyCredential,
        device: &DeviceCookie,
        replaces: Option<&SessionId>,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        let relying_party = self.relying_party()?;
        // A browser without a device cookie is counted on its address before anything is
        // checked. One with a cookie is counted once the passkey names its account: on the
        // cookie's own counter if the cookie is that account's, as any other attempt if not
        // (and on the address after a failure before that).
        let address_limit = Limit::address(meta);
        let throttled = |detail| AuditEvent::denied("signin.throttled").detail(detail);
        if device.is_empty()
            && let Some(limit) = &address_limit
            && let Err(refused) = self.count_attempt(std::slice::from_ref(limit)).await
        {
            self.record(AuditActor::default(), throttled("passkey"), meta).await?;
            return Err(refused);
        }
        let early_failure = async |detail: &str, error: AppError| -> AppResult<NewSession> {
            let event = AuditEvent::failure("signin.failure").detail(format!("passkey: {detail}"));
            self.record(AuditActor::default(), event, meta).await?;
            if !device.is_empty()
                && let Some(limit) = &address_limit
            {
                self.count_attempt(std::slice::from_ref(limit)).await?;
            }
            Err(error)
        };
        let failed = |detail: &str| AuditEvent::failure("signin.failure").detail(format!("passkey: {detail}"));
        let challenge = self
            .store()
            .take_challenge(&visitor_binding(visitor_token), CeremonyPurpose::SignIn, self.now())
            .await?;
        let Some(challenge) = challenge else {
            return early_failure("no challenge", expired_challenge()).await;
        };
        let state: DiscoverableAuthentication = from_json(&challenge.state)?;
        let (handle, raw_id) = match relying_party.webauthn.identify_discoverable_authentication(credential) {
            Ok(found) => found,
            Err(_) => return early_failure("no user handle", not_accepted()).await,
        };
        let Some(record) = self.store().passkey_by_credential_id(&credential_key(raw_id)).await? else {
            return early_failure("unknown passkey", not_accepted()).await;
        };
        let who = AuditActor {
            user_id: Some(record.user_id.to_string()),
            role: None,
        };
        let user = self
            .store()
            .user_by_id(&record.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        // The authenticator names the account it holds the passkey for; it must be the
        // account the passkey is registered to.
        if user.webauthn_handle.as_deref() != Some(handle.to_string().as_str()) {
            self.record(who, failed("user handle of another account"), meta).await?;
            return Err(not_accepted());
        }
        let trust = self.device_trust(device, Some(&user.id)).await?;
        let limits = match (&trust, device.is_empty()) {
            (Trust::Device(_), _) => trust.limits(user.email.as_str(), meta),
            // The address was counted already.
            (Trust::Untrusted, true) => vec![Limit::account(user.email.as_str())],
            (Trust::Untrusted, false) => trust.limits(user.email.as_str(), meta),
        };
        if let Err(refused) = self.count_attempt(&limits).await {
            self.record(who, throttled("passkey"), meta).await?;
            return Err(refused);
        }
        let passkey: Passkey = from_json(&record.credential)?;
        let result = match relying_party
            .webauthn
            .finish_discoverable_authentication_v2(credential, state, &passkey)
        {
            Ok(result) => result,
            Err(error) => {
                self.record(who, failed(&format!("{error:?}")), meta).await?;
                return Err(not_accepted());
            }
        };
        self.refuse_unusable_account(&user, who.clone(), meta).await?;
        // As after a password: the owner's counter starts again, a shared address gets its
        // attempt back.
        if let Some(own) = limits.first() {
            self.clear_limit(own).await?;
        }
        if let (Trust::Untrusted, Some(limit)) = (&trust, &address_limit) {
            self.forgive(limit).await?;
        }
        let mut session = self
            .signed_in_with_passkey(&user, &record, &result, replaces, who, meta)
            .await?;
        session.device_cookie = Some(self.remember_device(device, &user.id).await?);
        Ok(session)
    }

    /// The end of every passkey sign-in (second factor or passwordless): the passkey's use is
    /// noted, a new session replaces the old one, and the success is audited with the passkey.
    async fn signed_in_with_passkey(
        &self,
        user: &UserRecord,
        record: &PasskeyRecord,
        result: &webauthn_rs::prelude::AuthenticationResult,
        replaces: Option<&SessionId>,
        who: AuditActor,
        meta: &RequestMeta,
    ) -> AppResult<NewSession> {
        self.note_passkey_use(record, result).await?;
        let session = self.start_session(user, SessionStage::Active, replaces, meta).await?;
        self.record(
            who,
            AuditEvent::success("signin.success")
                .detail("passkey")
                .subject("passkey", &record.id),
            meta,
        )
        .await?;
        Ok(session)
    }

    /// A disabled account signs in by no means; a demo account only in demo mode.
    async fn refuse_unusable_account(&self, user: &UserRecord, who: AuditActor, meta: &RequestMeta) -> AppResult<()> {
        if user.disabled_at.is_some() {
            self.record(
                who,
                AuditEvent::failure("signin.failure").detail("passkey: account disabled"),
                meta,
            )
            .await?;
            return Err(not_accepted());
        }
        if user.is_demo && !self.config().demo {
            self.record(who, AuditEvent::denied("signin.demo_refused"), meta)
                .await?;
            return Err(AppError::Refused(
                "Demo accounts only work while Sensate runs with --demo.".into(),
            ));
        }
        Ok(())
    }

    /// Records the sign-in time, and the new counter or backup flags when they moved (a
    /// counter that did not move forward was already refused by webauthn-rs as a clone).
    async fn note_passkey_use(
        &self,
        record: &PasskeyRecord,
        result: &webauthn_rs::prelude::AuthenticationResult,
    ) -> AppResult<()> {
        let mut passkey: Passkey = from_json(&record.credential)?;
        let changed = passkey.update_credential(result).unwrap_or(false);
        let credential = if changed { Some(to_json(&passkey)?) } else { None };
        self.store()
            .record_passkey_use(&record.id, credential.as_deref(), self.now())
            .await?;
        Ok(())
    }
}
