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
    /// The address already had an account: its owner was sent a link to confirm the new role,
    /// which is added only once they do.
    RoleOffered,
}

/// An open invitation as staff see it.
#[derive(Debug, Clone)]
pub struct InvitationView {
    /// The invitation's id in links: the hash of its token (never the token itself).
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub sent_at: store::Timestamp,
    pub expires_at: store::Timestamp,
    /// The address already has an account: the invitation adds a role to it.
    pub existing_account: bool,
}

/// Who an invitation link is for, as its page needs it.
#[derive(Debug, Clone)]
pub struct InvitationLink {
    pub email: String,
    pub role: Role,
    /// A confirmed account has this address: its owner signs in and confirms the new role
    /// instead of creating an account.
    pub existing_account: bool,
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

    pub async fn open_invitations(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<Vec<InvitationView>> {
        self.authorize(actor, Permission::ViewPeople, meta).await?;
        let mut views = Vec::new();
        for token in self.store().open_invitations(self.now()).await? {
            if let Some(view) = self.invitation_view(token).await? {
                views.push(view);
            }
        }
        Ok(views)
    }

    async fn invitation_view(&self, token: TokenRecord) -> AppResult<Option<InvitationView>> {
        let (Some(email), Some(role)) = (token.email, token.role) else {
            return Ok(None);
        };
        let existing_account = match EmailAddress::parse(&email) {
            Ok(address) => self.confirmed_account(&address).await?.is_some(),
            Err(_) => false,
        };
        Ok(Some(InvitationView {
            id: token.token_hash,
            invited_by: self.name_of(token.created_by.as_deref()).await?,
            email,
            role,
            sent_at: token.created_at,
            expires_at: token.expires_at,
            existing_account,
        }))
    }

    /// One open invitation, by its id (for staff: to look at it or withdraw it).
    pub async fn open_invitation(&self, actor: &Actor, id: &str, meta: &RequestMeta) -> AppResult<InvitationView> {
        self.authorize(actor, Permission::ViewPeople, meta).await?;
        let token = self.open_invitation_row(id).await?;
        self.invitation_view(token).await?.ok_or(AppError::NotFound)
    }

    async fn open_invitation_row(&self, id: &str) -> AppResult<TokenRecord> {
        // Ids are SHA-256 hashes in hex; anything else names nothing.
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::NotFound);
        }
        self.store()
            .peek_token(id, TokenPurpose::Invitation, self.now())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The open invitation to `email`, if there is one (to link it when a second is refused).
    pub async fn open_invitation_to(
        &self,
        actor: &Actor,
        email: &str,
        meta: &RequestMeta,
    ) -> AppResult<Option<InvitationView>> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(None);
        };
        Ok(self
            .open_invitations(actor, meta)
            .await?
            .into_iter()
            .find(|invitation| invitation.email == email.as_str()))
    }

    /// Staff withdraw an open invitation (one they could have sent): its link then says it was
    /// withdrawn. Asks for an explicit confirmation (`confirmed`).
    pub async fn withdraw_invitation(
        &self,
        actor: &Actor,
        id: &str,
        confirmed: bool,
        meta: &RequestMeta,
    ) -> AppResult<InvitationView> {
        self.authorize(actor, Permission::InvitePerson { role: None }, meta)
            .await?;
        let token = self.open_invitation_row(id).await?;
        self.authorize(actor, Permission::InvitePerson { role: token.role }, meta)
            .await?;
        let view = self.invitation_view(token).await?.ok_or(AppError::NotFound)?;
        if !confirmed {
            return Err(AppError::field(
                "confirm",
                format!(
                    "Tick to confirm that the invitation to {} should be withdrawn.",
                    view.email
                ),
            ));
        }
        match self.store().withdraw_invitation(id, &actor.user_id, self.now()).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                return Err(AppError::Refused(
                    "This invitation was accepted, withdrawn or expired meanwhile.".into(),
                ));
            }
            Err(other) => return Err(other.into()),
        }
        let event = AuditEvent::success("admin.invitation_withdrawn")
            .subject("invitation", &view.email)
            .detail(view.role.as_str());
        self.record(actor, event, meta).await?;
        Ok(view)
    }

    /// A confirmed account at `email`. An unconfirmed one may have been registered by someone
    /// else to catch an invitation, so it never counts as the invitee's.
    async fn confirmed_account(&self, email: &EmailAddress) -> AppResult<Option<UserRecord>> {
        Ok(self
            .store()
            .user_by_email(email)
            .await?
            .filter(|u| u.email_verified_at.is_some()))
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

        let existing = self.confirmed_account(&email).await?;
        if let Some(existing) = &existing
            && existing.has_role(role)
        {
            return Err(AppError::field("email", format!("{email} already has this role.")));
        }
        // One open invitation per address: a second would leave two live links and no way to
        // tell which one staff meant.
        if let Some(open) = self
            .store()
            .open_invitations(self.now())
            .await?
            .into_iter()
            .find(|t| t.email.as_deref() == Some(email.as_str()))
        {
            let role = open.role.map_or("a role", Role::label);
            return Err(AppError::field(
                "email",
                format!("{email} already has an open invitation (as {role}). Withdraw it before sending another."),
            ));
        }

        // An existing account gets the role only once its owner confirms it: they follow the
        // link, sign in, and accept. Nothing changes on their account until then.
        let token = self
            .issue_token(
                TokenPurpose::Invitation,
                existing.as_ref().map(|u| &u.id),
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
        let link = self.link(&format!("/invitations/{token}"));
        let mail = match &existing {
            Some(person) => Mail::RoleOffered {
                name: &person.display_name,
                role: role.label(),
                board: &board,
                inviter: &actor.display_name,
                link,
            },
            None => Mail::Invitation {
                role: role.label(),
                board: &board,
                inviter: &actor.display_name,
                link,
            },
        };
        self.send_mail(email.as_str(), mail).await?;
        Ok(if existing.is_some() {
            Invited::RoleOffered
        } else {
            Invited::LinkSent
        })
    }

    /// The invitation a link names, if still open (to show the acceptance form).
    pub async fn invitation(&self, token: &str) -> AppResult<TokenRecord> {
        let hash = crate::platform::random::token_hash(token);
        self.store()
            .peek_token(&hash, TokenPurpose::Invitation, self.now())
            .await?
            .ok_or(AppError::InvalidLink)
    }

    /// The address and role an open invitation link names.
    async fn invitee(&self, token: &str) -> AppResult<(EmailAddress, Role)> {
        let invitation = self.invitation(token).await?;
        let email = invitation
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok())
            .ok_or(AppError::InvalidLink)?;
        let role = invitation.role.ok_or(AppError::InvalidLink)?;
        Ok((email, role))
    }

    /// Whom an open invitation link is for, and whether it adds a role to an existing account.
    pub async fn invitation_link(&self, token: &str) -> AppResult<InvitationLink> {
        let (email, role) = self.invitee(token).await?;
        Ok(InvitationLink {
            existing_account: self.confirmed_account(&email).await?.is_some(),
            email: email.to_string(),
            role,
        })
    }

    /// Whether staff withdrew the invitation this link carries.
    pub async fn invitation_withdrawn(&self, token: &str) -> AppResult<bool> {
        let hash = crate::platform::random::token_hash(token);
        Ok(self.store().invitation_withdrawn(&hash).await?)
    }

    /// The owner of an existing account confirms the role an invitation offers them. The link
    /// alone is not enough: they must be signed in as the invited address. Their sessions end
    /// (a change of privilege), so they sign in again with the new role.
    pub async fn accept_role_invitation(&self, actor: &Actor, token: &str, meta: &RequestMeta) -> AppResult<Role> {
        self.authorize(actor, Permission::ManageOwnAccount, meta).await?;
        let link = self.invitation_link(token).await?;
        if link.email != actor.email.as_str() {
            return Err(AppError::Refused(format!(
                "This invitation is for {}, and you are signed in as {}. Sign out, then sign in as {} to accept it.",
                link.email, actor.email, link.email
            )));
        }
        let hash = crate::platform::random::token_hash(token);
        let Some(consumed) = self
            .store()
            .consume_token(&hash, TokenPurpose::Invitation, self.now())
            .await?
        else {
            return Err(AppError::InvalidLink);
        };
        let inviter = consumed.created_by.as_deref().and_then(|i| UserId::parse(i).ok());
        self.store()
            .grant_role(&actor.user_id, link.role, inviter.as_ref(), self.now())
            .await?;
        self.store().delete_sessions_of_user(&actor.user_id, None).await?;
        let event = AuditEvent::success("account.role_accepted")
            .subject("user", &actor.user_id)
            .detail(link.role.as_str());
        self.record(actor, event, meta).await?;
        Ok(link.role)
    }

    /// Staff take a role away from a person, after confirming (`confirmed`). The board's last
    /// administrator keeps theirs. The person's sessions end and they are told by e-mail.
    pub async fn remove_role(
        &self,
        actor: &Actor,
        person: &str,
        role: &str,
        confirmed: bool,
        meta: &RequestMeta,
    ) -> AppResult<(UserRecord, Role)> {
        self.authorize(actor, Permission::RemoveRole { role: None }, meta)
            .await?;
        let (user, role) = self.role_to_remove(person, role).await?;
        self.authorize(actor, Permission::RemoveRole { role: Some(role) }, meta)
            .await?;
        if !confirmed {
            return Err(AppError::field(
                "confirm",
                format!(
                    "Tick to confirm that {} should lose the role {}.",
                    user.display_name,
                    role.label()
                ),
            ));
        }
        match self.store().remove_role(&user.id, role).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict) => {
                let event = AuditEvent::failure("admin.role_removal_refused")
                    .subject("user", &user.id)
                    .detail(role.as_str());
                self.record(actor, event, meta).await?;
                return Err(AppError::Refused(format!(
                    "{} is the board's last administrator: invite another administrator before removing this role.",
                    user.display_name
                )));
            }
            Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(other) => return Err(other.into()),
        }
        // A change of privilege ends the person's sessions: they sign in again without the role.
        self.store().delete_sessions_of_user(&user.id, None).await?;
        let event = AuditEvent::success("admin.role_removed")
            .subject("user", &user.id)
            .detail(role.as_str());
        self.record(actor, event, meta).await?;
        let mail = Mail::RoleRemoved {
            name: &user.display_name,
            role: role.label(),
            sign_in: self.link("/sign-in"),
        };
        self.send_mail(user.email.as_str(), mail).await?;
        Ok((user, role))
    }

    /// The person and role a removal names, for its confirmation page (staff only).
    pub async fn role_removal(
        &self,
        actor: &Actor,
        person: &str,
        role: &str,
        meta: &RequestMeta,
    ) -> AppResult<(UserRecord, Role)> {
        self.authorize(actor, Permission::RemoveRole { role: None }, meta)
            .await?;
        let (user, role) = self.role_to_remove(person, role).await?;
        self.authorize(actor, Permission::RemoveRole { role: Some(role) }, meta)
            .await?;
        Ok((user, role))
    }

    async fn role_to_remove(&self, person: &str, role: &str) -> AppResult<(UserRecord, Role)> {
        let id = UserId::parse(person).map_err(|_| AppError::NotFound)?;
        let role = Role::parse(role).map_err(|_| AppError::NotFound)?;
        let user = self.store().user_by_id(&id).await?.ok_or(AppError::NotFound)?;
        if !user.has_role(role) {
            return Err(AppError::NotFound);
        }
        Ok((user, role))
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
        let (email, role) = self.invitee(token).await?;
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
