//! The board's people: the list, invitations for roles that cannot sign themselves up, and
//! accepting an invitation.

use domain::{EmailAddress, FieldErrors, PersonName, Role, UserId};
use store::platform::tokens::{TokenPurpose, TokenRecord};
use store::platform::users::{NewUser, UserFilter, UserRecord};
use time::Duration;

use crate::authz::Permission;
use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::mail::Mail;
use crate::platform::protected::Subject;
use crate::{Actor, App, AppError, AppResult, RequestMeta};

const INVITATION_LIFETIME: Duration = Duration::days(7);

/// What came of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// A new person was sent a link to create their account.
    LinkSent,
    /// The address already had an account; the role was added to it.
    RoleAdded,
}

impl App {
    pub async fn list_people(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        meta: &RequestMeta,
    ) -> AppResult<(Vec<UserRecord>, i64)> {
        self.authorize(actor, Permission::ViewPeople, meta).await?;
        crate::platform::audit::refuse_nul("q", filter.text.as_deref())?;
        Ok(self.store().list_users(filter).await?)
    }

    pub async fn open_invitations(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<TokenRecord>> {
        self.authorize(actor, Permission::ViewPeople, meta).await?;
        Ok(self.store().open_invitations(self.now()).await?)
    }

    /// Invites `email` to take `role`.
    pub async fn invite(
        &self,
        actor: &Actor,
        email_input: &str,
        role_input: &str,
        meta: &RequestMeta,
    ) -> AppResult<Invited> {
        // The rule first, with the role when the form names a valid one: a refusal must not
        // depend on what else the form held.
        let parsed_role = Role::parse(role_input).ok();
        self.authorize(actor, Permission::InvitePerson { role: parsed_role }, meta)
            .await?;
        let mut errors = FieldErrors::new();
        // The address is someone else's: an empty field asks for theirs, not "your" address.
        let email = errors.check(
            "email",
            EmailAddress::parse(email_input).map_err(|error| match error {
                domain::platform::email::EmailError::Empty => {
                    "Enter the e-mail address of the person to invite.".to_owned()
                }
                other => other.to_string(),
            }),
        );
        let role = errors.check("role", Role::parse(role_input).map_err(|_| "Choose a role."));
        errors.into_result()?;
        let (Some(email), Some(role)) = (email, role) else {
            return Err(AppError::internal(anyhow::anyhow!("validated invitation lost a field")));
        };

        // Only a confirmed account gets the role straight away. An unconfirmed one may have
        // been registered by someone else to catch this invitation, so its owner gets a link
        // instead, which proves they read the inbox.
        let existing = self
            .store()
            .user_by_email(&email)
            .await?
            .filter(|u| u.email_verified_at.is_some());
        if let Some(existing) = existing {
            if existing.has_role(role) {
                return Err(AppError::field("email", format!("{email} already has this role.")));
            }
            self.store()
                .grant_role(&existing.id, role, Some(&actor.user_id), self.now())
                .await?;
            // A change of privilege ends the person's sessions: they sign in again and get a
            // new session id with the new role.
            self.store().delete_sessions_of_user(&existing.id, None).await?;
            let event = AuditEvent::success("admin.role_granted")
                .subject("user", &existing.id)
                .detail(role.as_str());
            self.record(actor, event, meta).await?;
            let mail = Mail::RoleGranted {
                name: &existing.display_name,
                role: role.label(),
                sign_in: self.link("/sign-in"),
            };
            self.send_mail(existing.email.as_str(), mail).await?;
            return Ok(Invited::RoleAdded);
        }

        let token = self
            .issue_token(
                TokenPurpose::Invitation,
                None,
                Some((&email, role)),
                Some(&actor.user_id),
                INVITATION_LIFETIME,
            )
            .await?;
        let event = AuditEvent::success("admin.invited")
            .subject("invitation", email.as_str())
            .detail(role.as_str());
        self.record(actor, event, meta).await?;
        let board = self.config().board.name.clone();
        let mail = Mail::Invitation {
            role: role.label(),
            board: &board,
            inviter: &actor.display_name,
            link: self.link(&format!("/invitations/{token}")),
        };
        self.send_mail(email.as_str(), mail).await?;
        Ok(Invited::LinkSent)
    }

    /// The invitation a link names, if still open (to show the acceptance form).
    pub async fn invitation(&self, token: &str) -> AppResult<TokenRecord> {
        let hash = crate::platform::random::token_hash(token);
        self.store()
            .peek_token(&hash, TokenPurpose::Invitation, self.now())
            .await?
            .ok_or(AppError::InvalidLink)
    }

    /// Accepts an invitation by choosing a name and password. The address is confirmed by
    /// the link itself.
    pub async fn accept_invitation(
        &self,
        token: &str,
        display_name: &str,
        password: &str,
        confirm: &str,
        meta: &RequestMeta,
    ) -> AppResult<EmailAddress> {
        let invitation = self.invitation(token).await?;
        let email = invitation
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok())
            .ok_or(AppError::InvalidLink)?;
        let role = invitation.role.ok_or(AppError::InvalidLink)?;
        let mut errors = FieldErrors::new();
        let name = errors.check("display_name", PersonName::parse(display_name));
        let identity: Vec<&str> = std::iter::once(email.local_part())
            .chain(display_name.split_whitespace())
            .collect();
        let new = crate::platform::accounts::check_new_password(&mut errors, password, confirm, &identity);
        errors.into_result()?;
        let (Some(name), Some(new)) = (name, new) else {
            return Err(AppError::internal(anyhow::anyhow!(
                "validated invitation form lost a field"
            )));
        };
        // The link proves the person reads this inbox. A confirmed account at this address
        // means the person should sign in instead (the link stays usable); an unconfirmed one
        // was never proven to be theirs, so it is replaced.
        if let Some(existing) = self.store().user_by_email(&email).await? {
            if existing.email_verified_at.is_some() {
                self.record(
                    AuditActor::default(),
                    AuditEvent::failure("account.invitation_conflict"),
                    meta,
                )
                .await?;
                return Err(AppError::Refused(
                    "An account with this address exists already; sign in instead.".into(),
                ));
            }
            if self.store().delete_unconfirmed_user(&existing.id).await? {
                self.store()
                    .destroy_data_key(Subject::user(&existing.id).as_str(), self.now())
                    .await?;
                let event = AuditEvent::success("account.unconfirmed_replaced").subject("user", &existing.id);
                self.record(AuditActor::default(), event, meta).await?;
            }
        }
        let hash = crate::platform::random::token_hash(token);
        let Some(consumed) = self
            .store()
            .consume_token(&hash, TokenPurpose::Invitation, self.now())
            .await?
        else {
            return Err(AppError::InvalidLink);
        };

        let password_hash = self.passwords().hash(new.expose()).await?;
        let id = crate::platform::random::new_id::<UserId>()?;
        let inviter = consumed.created_by.as_deref().and_then(|i| UserId::parse(i).ok());
        let now = self.now();
        let inserted = self
            .store()
            .insert_user(NewUser {
                id: &id,
                email: &email,
                display_name: name.as_str(),
                password_hash: &password_hash,
                email_verified_at: Some(now),
                roles: &[role],
                granted_by: inviter.as_ref(),
                is_demo: false,
                now,
            })
            .await;
        match inserted {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "An account with this address exists already; sign in instead.".into(),
                ));
            }
            Err(other) => return Err(other.into()),
        }
        let who = AuditActor {
            user_id: Some(id.to_string()),
            role: Some(role.as_str().into()),
        };
        self.record(
            who,
            AuditEvent::success("account.invitation_accepted")
                .subject("user", &id)
                .detail(role.as_str()),
            meta,
        )
        .await?;
        Ok(email)
    }
}

impl App {
    /// `sensate admin create`: the first board administrator. The account gets no usable
    /// password; instead a one-time link (24 hours) lets the person choose one, so no password
    /// passes through a terminal or shell history. Refused once any administrator exists
    /// (invite further ones from the People page).
    pub async fn create_first_admin(&self, email_input: &str, name_input: &str) -> AppResult<(EmailAddress, String)> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(email_input));
        let name = errors.check("name", PersonName::parse(name_input));
        errors.into_result()?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(AppError::internal(anyhow::anyhow!("validated admin lost a field")));
        };
        let filter = UserFilter {
            role: Some(Role::BoardAdmin),
            limit: 1,
            ..UserFilter::default()
        };
        if self.store().list_users(&filter).await?.1 > 0 {
            return Err(AppError::Refused(
                "a board administrator exists already; invite more from the People page".into(),
            ));
        }
        // A random password nobody knows: the account is usable only after the link is used.
        let unusable = self.passwords().hash(&crate::platform::random::token()?).await?;
        let id = crate::platform::random::new_id::<UserId>()?;
        let now = self.now();
        let inserted = self
            .store()
            .insert_user(NewUser {
                id: &id,
                email: &email,
                display_name: name.as_str(),
                password_hash: &unusable,
                email_verified_at: Some(now),
                roles: &[Role::BoardAdmin],
                granted_by: None,
                is_demo: false,
                now,
            })
            .await;
        match inserted {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(format!("{email} already has an account")));
            }
            Err(other) => return Err(other.into()),
        }
        let token = self
            .issue_token(TokenPurpose::ResetPassword, Some(&id), None, None, Duration::hours(24))
            .await?;
        let meta = RequestMeta {
            request_id: Some("cli".into()),
            ..RequestMeta::default()
        };
        self.record(
            AuditActor::default(),
            AuditEvent::success("admin.created").subject("user", &id),
            &meta,
        )
        .await?;
        Ok((email, self.link(&format!("/password/reset/{token}"))))
    }
}
