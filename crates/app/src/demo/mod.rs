//! The demo: a small, realistic board with one account per role, loaded into an empty
//! database by `sensate serve --demo`. Demo accounts are marked as such and refused when the
//! server runs without `--demo`.

mod certified;
mod credentialing;
mod directory;
mod renewal;

use domain::credentialing::credential_status::CredentialStatus;
use domain::{EmailAddress, Role, UserId};
use store::platform::users::NewUser;
use time::Date;

use crate::platform::audit::{AuditActor, AuditEvent};
use crate::platform::protected::{Field, Subject};
use crate::{App, AppError, AppResult, RequestMeta};
use vault::Zeroizing;

/// Every demo account's password (printed at start-up and shown on the demo page).
pub const DEMO_PASSWORD: &str = "demo-sensate-2026";
pub const DEMO_BOARD_NAME: &str = "Northbridge Board of Sexuality Professionals";

/// The demo board's identity (`serve --demo` sets it in place of the configured one).
pub fn demo_board() -> crate::credentialing::board::BoardIdentity {
    crate::credentialing::board::BoardIdentity {
        name: DEMO_BOARD_NAME.to_owned(),
        short_name: "NBSP".to_owned(),
        address: vec![
            "1200 Harbor Street, Suite 400".to_owned(),
            "Northbridge, CA 94107".to_owned(),
        ],
        logo_png: None,
        signatory_name: "Dr. Miriam Osei".to_owned(),
        signatory_title: "Chair, Certification Committee".to_owned(),
    }
}

struct DemoPerson {
    email: &'static str,
    name: &'static str,
    roles: &'static [Role],
    about: &'static str,
}

const PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        email: "admin@demo.sensate.test",
        name: "Morgan Ellis",
        roles: &[Role::BoardAdmin],
        about: "Board administrator: people, invitations, audit log",
    },
    DemoPerson {
        email: "staff@demo.sensate.test",
        name: "Priya Raman",
        roles: &[Role::BoardStaff],
        about: "Board staff: runs the review workbench",
    },
    DemoPerson {
        email: "reviewer1@demo.sensate.test",
        name: "Dr. Samuel Okafor",
        roles: &[Role::CommitteeReviewer],
        about: "Certification committee reviewer: has recommended approving Sam Whitaker's application",
    },
    DemoPerson {
        email: "reviewer2@demo.sensate.test",
        name: "Dr. Grace Adeyemi",
        roles: &[Role::CommitteeReviewer],
        about: "Certification committee reviewer: Sam Whitaker's application waits for her recommendation",
    },
    DemoPerson {
        email: "reviewer3@demo.sensate.test",
        name: "Dr. Amara Nwosu",
        roles: &[Role::CommitteeReviewer],
        about: "Certification committee reviewer with no assignments yet",
    },
    DemoPerson {
        email: "chair@demo.sensate.test",
        name: "Dr. Lena Fischer",
        roles: &[Role::CommitteeChair],
        about: "Chair of the certification committee: decides once both reviewers have recommended",
    },
    DemoPerson {
        email: "ethics@demo.sensate.test",
        name: "Dr. Ruth Abernathy",
        roles: &[Role::EthicsCommittee],
        about: "Ethics committee member: handles complaints about certified professionals; the case about Dr. Kessler waits for his reply",
    },
    DemoPerson {
        email: "supervisor@demo.sensate.test",
        name: "Dr. Helen Marsh",
        roles: &[Role::Candidate, Role::Supervisor],
        about: "Certified sex therapist and supervisor",
    },
    DemoPerson {
        email: "candidate@demo.sensate.test",
        name: "Jordan Lee",
        roles: &[Role::Candidate],
        about: "Counsellor who has just started towards the sex therapist credential",
    },
    DemoPerson {
        email: "halfway@demo.sensate.test",
        name: "Alex Moreno",
        roles: &[Role::Candidate],
        about: "Candidate half-way to the sex therapist credential, sessions waiting for Dr. Marsh",
    },
    DemoPerson {
        email: "ready@demo.sensate.test",
        name: "Taylor Brooks",
        roles: &[Role::Candidate],
        about: "Candidate who meets every requirement and can apply",
    },
    DemoPerson {
        email: "review@demo.sensate.test",
        name: "Sam Whitaker",
        roles: &[Role::Candidate],
        about: "Candidate whose submitted application is with the committee (one of two recommendations in)",
    },
    DemoPerson {
        email: "certified@demo.sensate.test",
        name: "Dr. Noor Haddad",
        roles: &[Role::Candidate],
        about: "Certified sex therapist in good standing, listed in the directory (San Francisco, 94108) with a referral to answer",
    },
    DemoPerson {
        email: "expiring@demo.sensate.test",
        name: "Rosa Delgado",
        roles: &[Role::Candidate],
        about: "Certified sexuality counselor whose credential expires in 20 days",
    },
    DemoPerson {
        email: "expired@demo.sensate.test",
        name: "Marcus Bell",
        roles: &[Role::Candidate],
        about: "Sexuality educator whose credential expired six weeks ago without renewal",
    },
    DemoPerson {
        email: "suspended@demo.sensate.test",
        name: "Dr. Adrian Kessler",
        roles: &[Role::Candidate],
        about: "Sex therapist whose credential the ethics committee suspended as an interim measure while it considers a complaint: the committee's case waits for his reply (its link is in the demo mailbox)",
    },
    DemoPerson {
        email: "revoked@demo.sensate.test",
        name: "Dr. Victor Hale",
        roles: &[Role::Candidate],
        about: "Former sex therapist whose credential was revoked after an ethics committee finding",
    },
    DemoPerson {
        email: "lapsed@demo.sensate.test",
        name: "Dr. Elena Petrova",
        roles: &[Role::Candidate],
        about: "Sex therapist whose credential lapsed when her membership ended last month",
    },
    DemoPerson {
        email: "clinician@demo.sensate.test",
        name: "Dr. Amara Osei",
        roles: &[Role::Clinician],
        about: "Sex therapist in private practice",
    },
    DemoPerson {
        email: "client@demo.sensate.test",
        name: "Riley Chen",
        roles: &[Role::Client],
        about: "A client of Dr. Osei",
    },
    DemoPerson {
        email: "referrer@demo.sensate.test",
        name: "Dr. Paul Novak",
        roles: &[Role::ReferringProvider],
        about: "Reproductive endocrinologist at a fertility clinic (referring provider): sent Dr. Haddad a referral",
    },
];

/// Demo accounts whose roles do not require two-factor sign-in but who have it: Dr. Haddad
/// receives the demo's client referral, and whoever receives protected client data signs in
/// with two factors.
const TWO_FACTOR_BY_CHOICE: &[&str] = &["certified@demo.sensate.test"];

/// Whether a demo account signs in with an authenticator code.
fn signs_in_with_code(email: &str, roles: &[Role]) -> bool {
    domain::platform::role::mfa_required(roles) || TWO_FACTOR_BY_CHOICE.contains(&email)
}

/// A demo account as the demo page lists it.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub about: &'static str,
    /// The authenticator code valid now, for accounts with two-factor sign-in.
    pub current_code: Option<String>,
}

impl DemoAccount {
    /// Whether the account signs in with a two-factor code.
    pub fn needs_code(&self) -> bool {
        signs_in_with_code(&self.email, &self.roles)
    }
}

/// Every demo account as loaded (without codes): for the start-up message.
pub fn demo_directory() -> Vec<DemoAccount> {
    PEOPLE
        .iter()
        .map(|person| DemoAccount {
            email: person.email.to_owned(),
            name: person.name.to_owned(),
            roles: person.roles.to_vec(),
            about: person.about,
            current_code: None,
        })
        .collect()
}

/// A demo credential, to try verification and the status lists with.
#[derive(Debug, Clone)]
pub struct DemoCredential {
    pub number: String,
    pub holder_name: String,
    pub email: String,
    pub program_code: String,
    pub status: CredentialStatus,
    pub valid_until: Date,
    /// What to notice: when it expires or expired, or the board's public notice.
    pub note: String,
}

impl App {
    /// Whether this database may be served with `--demo`: only an empty one or one the demo
    /// created. Demo mode shows sent mail and live codes, so a real database never runs in it.
    pub async fn demo_allowed(&self) -> AppResult<bool> {
        Ok(self.store().count_users().await? == 0
            || self.store().setting("demo_database").await?.as_deref() == Some("true"))
    }

    /// Loads the demo data if the database has no accounts yet. Returns whether it did.
    pub async fn load_demo_if_empty(&self) -> AppResult<bool> {
        if self.store().count_users().await? > 0 {
            return Ok(false);
        }
        self.store().put_setting("demo_database", "true").await?;

        let meta = RequestMeta {
            request_id: Some("demo-loader".into()),
            ..RequestMeta::default()
        };
        let hash = self.passwords().hash(DEMO_PASSWORD).await?;
        for person in PEOPLE {
            let id = crate::platform::random::new_id::<UserId>()?;
            let email = EmailAddress::parse(person.email)
                .map_err(|e| AppError::internal(anyhow::anyhow!("demo e-mail: {e}")))?;
            let now = self.now();
            self.store()
                .insert_user(NewUser {
                    id: &id,
                    email: &email,
                    display_name: person.name,
                    password_hash: &hash,
                    email_verified_at: Some(now),
                    roles: person.roles,
                    granted_by: None,
                    is_demo: true,
                    now,
                })
                .await?;
            // Accounts with two-factor sign-in get it set up, so a newcomer can sign in straight
            // away with the code the demo page shows.
            if signs_in_with_code(person.email, person.roles) {
                let who = AuditActor {
                    user_id: Some(id.to_string()),
                    role: None,
                };
                let secret = crate::platform::random::bytes::<20>()?;
                let field = Field {
                    name: "users.totp_secret",
                    record_id: id.as_str(),
                };
                let sealed = self.seal(who, &Subject::user(&id), field, &secret, &meta).await?;
                self.store().set_pending_totp(&id, &sealed, now).await?;
                self.store().enable_totp(&id, 0, &[], now).await?;
            }
        }
        self.load_demo_credentialing(&meta).await?;
        self.load_demo_committee(&meta).await?;
        self.load_demo_certified(&meta).await?;
        self.load_demo_renewal(&meta).await?;
        self.load_demo_directory(&meta).await?;
        self.record(
            AuditActor::default(),
            AuditEvent::success("demo.loaded").detail(format!("{} accounts", PEOPLE.len())),
            &meta,
        )
        .await?;
        Ok(true)
    }

    /// The demo accounts with their current codes. Only in demo mode, and only for accounts
    /// marked as demo accounts; the first reading of each secret is audited like any
    /// protected read, later visits use the copy this process keeps.
    pub async fn demo_accounts(&self) -> AppResult<Vec<DemoAccount>> {
        if !self.config().demo {
            return Err(AppError::NotFound);
        }
        let meta = RequestMeta {
            request_id: Some("demo-page".into()),
            ..RequestMeta::default()
        };
        let mut accounts = Vec::new();
        for person in PEOPLE {
            let Ok(email) = EmailAddress::parse(person.email) else {
                continue;
            };
            let Some(user) = self.store().user_by_email(&email).await?.filter(|u| u.is_demo) else {
                continue;
            };
            let current_code = match (&user.totp_secret_sealed, user.totp_enabled()) {
                (Some(sealed), true) => {
                    let cached = self.demo_secrets().get(&user.id);
                    let secret = match cached {
                        Some(secret) => secret,
                        None => {
                            let who = AuditActor {
                                user_id: Some(user.id.to_string()),
                                role: None,
                            };
                            let field = Field {
                                name: "users.totp_secret",
                                record_id: user.id.as_str(),
                            };
                            let secret = self.open(who, &Subject::user(&user.id), field, sealed, &meta).await?;
                            self.demo_secrets().put(&user.id, &secret);
                            secret
                        }
                    };
                    Some(crate::platform::mfa::current_code(&secret, &user.email, self.now())?)
                }
                _ => None,
            };
            accounts.push(DemoAccount {
                email: user.email.to_string(),
                name: user.display_name.clone(),
                roles: user.roles.clone(),
                about: person.about,
                current_code,
            });
        }
        Ok(accounts)
    }

    /// The demo accounts' issued credentials with today's status, in the order of the demo
    /// accounts. Only in demo mode.
    pub async fn demo_credentials(&self) -> AppResult<Vec<DemoCredential>> {
        if !self.config().demo {
            return Err(AppError::NotFound);
        }
        let today = self.today();
        let mut credentials = Vec::new();
        for person in PEOPLE {
            let Ok(email) = EmailAddress::parse(person.email) else {
                continue;
            };
            let Some(user) = self.store().user_by_email(&email).await?.filter(|u| u.is_demo) else {
                continue;
            };
            for credential in self.store().issued_credentials_of(user.id.as_str()).await? {
                let status = self.credential_status(&credential).await?;
                let Some(valid_until) = crate::credentialing::evidence::parse_day(&credential.valid_until) else {
                    continue;
                };
                let days = (valid_until - today).whole_days();
                let note = match status {
                    CredentialStatus::Active if days <= 90 => format!("expires in {days} days, on {valid_until}"),
                    CredentialStatus::Active => format!("valid until {valid_until}"),
                    CredentialStatus::Expired => format!("expired on {valid_until}"),
                    CredentialStatus::Lapsed => "membership not in good standing".to_owned(),
                    CredentialStatus::Suspended | CredentialStatus::Revoked => {
                        credential.public_notice.clone().unwrap_or_default()
                    }
                };
                credentials.push(DemoCredential {
                    number: credential.number,
                    holder_name: credential.holder_name,
                    email: user.email.to_string(),
                    program_code: credential.program_code,
                    status,
                    valid_until,
                    note,
                });
            }
        }
        Ok(credentials)
    }
}

/// The demo accounts' authenticator secrets this process has opened (demo mode only).
#[derive(Default)]
pub(crate) struct DemoSecrets {
    by_user: std::sync::Mutex<std::collections::HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl DemoSecrets {
    fn get(&self, user: &UserId) -> Option<Zeroizing<Vec<u8>>> {
        let map = self.by_user.lock().ok()?;
        map.get(user.as_str()).cloned()
    }

    fn put(&self, user: &UserId, secret: &[u8]) {
        if let Ok(mut map) = self.by_user.lock() {
            map.insert(user.as_str().to_owned(), Zeroizing::new(secret.to_vec()));
        }
    }
}
