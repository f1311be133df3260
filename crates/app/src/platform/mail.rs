//! E-mail: what Sensate writes, the outbox it is queued in, and the sender that delivers it.
//!
//! Messages never carry protected content: at most a name and a link to sign in.

use std::path::PathBuf;
use std::time::Duration;

use domain::platform::id::RecordId;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::platform::outbox::OutgoingEmail;

use crate::{App, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Implicit TLS (port 465).
    Tls,
    /// Upgrade with STARTTLS (port 587); refuses to send if the server cannot.
    StartTls,
    /// No encryption: only for a relay on the same host.
    None,
}

/// How mail leaves Sensate.
#[derive(Clone)]
pub enum MailTransport {
    /// The default: each message is written as an `.eml` file (RFC 5322) into this directory,
    /// where a person, a test or a mail-pickup service can read it.
    Outbox { dir: PathBuf },
    Smtp {
        host: String,
        port: u16,
        username: Option<String>,
        password: Option<String>,
        security: SmtpSecurity,
    },
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailTransport::Outbox { dir } => f.debug_struct("Outbox").field("dir", dir).finish(),
            MailTransport::Smtp {
                host,
                port,
                username,
                security,
                ..
            } => f
                .debug_struct("Smtp")
                .field("host", host)
                .field("port", port)
                .field("username", username)
                .field("password", &"<redacted>")
                .field("security", security)
                .finish(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    /// The From address, e.g. `Sensate <no-reply@board.example>`.
    pub from: String,
    pub transport: MailTransport,
}

/// The messages Sensate sends.
pub enum Mail<'a> {
    VerifyAddress {
        name: &'a str,
        link: String,
    },
    AlreadyRegistered {
        sign_in: String,
        reset: String,
    },
    ResetPassword {
        name: &'a str,
        link: String,
    },
    PasswordChanged {
        name: &'a str,
        reset: String,
    },
    Invitation {
        role: &'a str,
        board: &'a str,
        inviter: &'a str,
        link: String,
    },
    /// An existing account is offered a role: its owner signs in and confirms it.
    RoleOffered {
        name: &'a str,
        role: &'a str,
        board: &'a str,
        inviter: &'a str,
        link: String,
    },
    /// Staff took a role away from the account.
    RoleRemoved {
        name: &'a str,
        role: &'a str,
        sign_in: String,
    },
    TwoFactorChanged {
        name: &'a str,
        enabled: bool,
        security: String,
    },
    /// A passkey was added to or removed from the account.
    PasskeyChanged {
        name: &'a str,
        passkey: &'a str,
        added: bool,
        security: String,
    },
    /// A candidate asks a supervisor to sign a supervision contract. No details beyond names.
    SupervisionRequested {
        candidate: &'a str,
        program: &'a str,
        link: String,
    },
    /// Something happened in a supervision relationship that the other party should look at
    /// (a contract signed, declined or ended, sessions to countersign, a session rejected).
    SupervisionUpdate {
        name: &'a str,
        /// What happened in a few words: no names, no outcome.
        subject: &'a str,
        what: String,
        link: String,
    },
    /// Something happened to an application for certification or a credential (assigned for
    /// review, more information asked, a decision ready to read, a status change). The
    /// message names no outcome or reason: those are read in Sensate after signing in.
    ApplicationUpdate {
        name: &'a str,
        /// What happened in a few words: no names, no outcome.
        subject: &'a str,
        what: String,
        link: String,
    },
    /// Something happened in an ethics case: the reporter's acknowledgement, the respondent
    /// asked to reply, the committee told of a new complaint or reply, the reporter told the
    /// case is closed. The message carries the case reference and at most a link to sign in:
    /// never what the complaint says, who made it, or what was decided.
    EthicsCase {
        name: &'a str,
        reference: &'a str,
        what: String,
        link: Option<String>,
    },
    /// Something happened to a referral: the reference and a link only, never the client's
    /// name or the reason (the mail policy keeps protected content out of e-mail).
    Referral {
        name: &'a str,
        reference: &'a str,
        what: &'a str,
        link: String,
    },
    /// A reminder from the lifecycle job: a credential about to end, or a membership ended.
    CredentialReminder {
        name: &'a str,
        subject: String,
        what: String,
        link: String,
    },
}

impl Mail<'_> {
    /// Subject and plain-text body.
    fn render(&self, board: &str) -> (String, String) {
        match self {
            Mail::VerifyAddress { name, link } => (
                "Confirm your e-mail address".into(),
                format!(
                    "Hello {name},\n\nPlease confirm that this is your e-mail address for Sensate ({board}) by opening this link:\n\n{link}\n\nThe link works once and expires in 24 hours. If you did not create an account, ignore this message."
                ),
            ),
            Mail::AlreadyRegistered { sign_in, reset } => (
                "Someone tried to create an account with your address".into(),
                format!(
                    "Hello,\n\nSomeone (perhaps you) tried to create a Sensate account with this e-mail address, which already has one.\n\nSign in: {sign_in}\nForgot your password? {reset}\n\nIf this was not you, you can ignore this message; your account is unchanged."
                ),
            ),
            Mail::ResetPassword { name, link } => (
                "Reset your password".into(),
                format!(
                    "Hello {name},\n\nTo choose a new password for Sensate, open this link:\n\n{link}\n\nThe link works once and expires in 1 hour. If you did not ask for this, ignore this message; your password is unchanged."
                ),
            ),
            Mail::PasswordChanged { name, reset } => (
                "Your password was changed".into(),
                format!(
                    "Hello {name},\n\nThe password of your Sensate account was just changed, and your other sessions were signed out.\n\nIf this was not you, reset your password now: {reset}"
                ),
            ),
            Mail::Invitation {
                role,
                board,
                inviter,
                link,
            } => (
                format!("You are invited to Sensate as {role}"),
                format!(
                    "Hello,\n\n{inviter} invited you to join {board} on Sensate as {role}.\n\nTo accept, choose your password here:\n\n{link}\n\nThe invitation expires in 7 days."
                ),
            ),
            Mail::RoleOffered {
                name,
                role,
                board,
                inviter,
                link,
            } => (
                format!("You are invited to take the {role} role on Sensate"),
                format!(
                    "Hello {name},\n\n{inviter} invited you to take the {role} role with {board} on Sensate. Your account does not change until you accept.\n\nTo accept, open this link, sign in, and confirm:\n\n{link}\n\nThe invitation expires in 7 days. If you do not want this role, ignore this message."
                ),
            ),
            Mail::RoleRemoved { name, role, sign_in } => (
                format!("The {role} role was removed from your Sensate account"),
                format!(
                    "Hello {name},\n\nThe board removed the {role} role from your Sensate account, and your sessions were signed out. Sign in again to go on with your other roles:\n\n{sign_in}"
                ),
            ),
            Mail::TwoFactorChanged {
                name,
                enabled,
                security,
            } => {
                let what = if *enabled { "turned on" } else { "turned off" };
                (
                    format!("Two-factor sign-in was {what}"),
                    format!(
                        "Hello {name},\n\nTwo-factor sign-in was just {what} for your Sensate account.\n\nIf this was not you, review your security settings now: {security}"
                    ),
                )
            }
            Mail::PasskeyChanged {
                name,
                passkey,
                added,
                security,
            } => {
                let what = if *added { "added to" } else { "removed from" };
                (
                    format!("A passkey was {what} your account"),
                    format!(
                        "Hello {name},\n\nThe passkey \"{passkey}\" was just {what} your Sensate account.\n\nIf this was not you, review your security settings now: {security}"
                    ),
                )
            }
            Mail::SupervisionRequested {
                candidate,
                program,
                link,
            } => (
                // A display name is whatever its owner typed: it stays in the body, never in the
                // subject, where a mail client shows it with the weight of the sender's words.
                "A candidate asks you to be their supervisor".to_owned(),
                format!(
                    "Hello,\n\n{candidate} asks you to be their supervisor towards the {program} credential and has signed a supervision contract in Sensate ({board}).\n\nRead and sign it, or decline it, here:\n\n{link}"
                ),
            ),
            Mail::SupervisionUpdate {
                name,
                subject,
                what,
                link,
            } => (
                format!("Supervision: {subject}"),
                format!("Hello {name},\n\n{what}\n\nSee it in Sensate: {link}"),
            ),
            Mail::CredentialReminder {
                name,
                subject,
                what,
                link,
            } => (
                subject.clone(),
                format!("Hello {name},\n\n{what}\n\nSee it in Sensate: {link}"),
            ),
            Mail::ApplicationUpdate {
                name,
                subject,
                what,
                link,
            } => (
                format!("Certification: {subject}"),
                format!("Hello {name},\n\n{what}\n\nSign in to see it: {link}"),
            ),
            Mail::Referral {
                name,
                reference,
                what,
                link,
            } => (
                format!("Referral {reference}"),
                format!("Hello {name},\n\n{what}\n\nSign in to see it: {link}\n\n{board}"),
            ),
            Mail::EthicsCase {
                name,
                reference,
                what,
                link,
            } => (
                format!("Ethics case {reference}"),
                match link {
                    Some(link) => format!("Hello {name},\n\n{what}\n\nSign in to see it: {link}\n\n{board}"),
                    None => format!("Hello {name},\n\n{what}\n\n{board}"),
                },
            ),
        }
    }
}

/// A plain HTML rendering of the text body: escaped paragraphs, and clickable links only for
/// addresses on this site (`own_site`), so text a person typed (such as a name that looks like
/// a URL) never becomes a link in a message sent in the board's name.
fn html_body(subject: &str, text: &str, own_site: Option<&str>) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|para| {
            let lines: Vec<String> = para
                .lines()
                .map(|line| {
                    line.split(' ')
                        .map(|word| {
                            if own_site.is_some_and(|site| word.starts_with(&format!("{site}/"))) {
                                format!("<a href=\"{0}\">{0}</a>", escape(word))
                            } else {
                                escape(word)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>{}</body></html>",
        escape(subject),
        paragraphs.join("\n")
    )
}

impl App {
    /// Queues a message; the sender delivers it shortly after.
    pub async fn send_mail(&self, to: &str, mail: Mail<'_>) -> AppResult<()> {
        let email = self.compose_mail(to, mail)?;
        self.store().enqueue_email(&email, self.now()).await?;
        self.wake_mail_sender();
        Ok(())
    }

    /// A message ready for the outbox (for callers that queue it in their own transaction).
    pub(crate) fn compose_mail(&self, to: &str, mail: Mail<'_>) -> AppResult<OutgoingEmail> {
        let board = &self.config().board.name;
        let (subject, mut text) = mail.render(board);
        // Every message is signed with the board's name, the one it is sent for.
        if !text.trim_end().ends_with(board.as_str()) {
            text.push_str(&format!("\n\n{board}"));
        }
        Ok(OutgoingEmail {
            id: crate::platform::random::new_id::<RecordId>()?,
            recipient: to.to_owned(),
            body_html: Some(html_body(
                &subject,
                &text,
                Some(self.config().public_url.trim_end_matches('/')),
            )),
            subject,
            body_text: text,
        })
    }

    /// Tells the sender there is mail to deliver.
    pub(crate) fn wake_mail_sender(&self) {
        self.inner.mail_signal.notify_one();
    }

    /// Delivers due messages until the process ends: wakes when a message is queued, and
    /// at least every few seconds for retries and for messages queued by other nodes.
    pub async fn run_mail_sender(self) {
        loop {
            match self.deliver_due_mail().await {
                Ok(0) => {}
                Ok(sent) => tracing::debug!(sent, "mail delivered"),
                Err(error) => tracing::warn!(error = %error, "mail delivery round failed"),
            }
            let _ = tokio::time::timeout(Duration::from_secs(3), self.inner.mail_signal.notified()).await;
        }
    }

    /// One delivery round; returns how many messages were delivered.
    pub async fn deliver_due_mail(&self) -> AppResult<usize> {
        let now = self.now();
        let claim_until = store::Timestamp::new(now.get() + time::Duration::minutes(5));
        let batch = self.store().claim_due_emails(now, claim_until, 20).await?;
        let mut sent = 0;
        for email in batch {
            match deliver(&self.config().mail, &email).await {
                Ok(()) => {
                    self.store()
                        .mark_email_sent(&email.id, self.now(), self.config().demo)
                        .await?;
                    sent += 1;
                }
                Err(error) => {
                    let attempts_backoff = time::Duration::minutes(5);
                    tracing::warn!(email_id = %email.id, error = %error, "mail delivery failed; will retry");
                    let retry = store::Timestamp::new(self.now().get() + attempts_backoff);
                    self.store()
                        .mark_email_failed(&email.id, &error.to_string(), retry)
                        .await?;
                }
            }
        }
        Ok(sent)
    }
}

fn build_message(from: &str, email: &OutgoingEmail) -> anyhow::Result<Message> {
    let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("invalid From address: {e}"))?;
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid recipient: {e}"))?;
    let html = email
        .body_html
        .clone()
        .unwrap_or_else(|| html_body(&email.subject, &email.body_text, None));
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .multipart(MultiPart::alternative_plain_html(email.body_text.clone(), html))?)
}

async fn deliver(config: &MailConfig, email: &OutgoingEmail) -> anyhow::Result<()> {
    let message = build_message(&config.from, email)?;
    match &config.transport {
        MailTransport::Outbox { dir } => write_eml(dir, &email.id, &message.formatted()).await,
        MailTransport::Smtp {
            host,
            port,
            username,
            password,
            security,
        } => {
            let builder = match security {
                SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            };
            let mut builder = builder.port(*port).timeout(Some(Duration::from_secs(20)));
            if let (Some(user), Some(pass)) = (username, password) {
                builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
            }
            builder.build().send(message).await?;
            Ok(())
        }
    }
}

/// Writes the message atomically (temporary file, then rename) with owner-only permissions,
/// since messages can hold one-time links.
async fn write_eml(dir: &std::path::Path, id: &RecordId, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = dir.to_path_buf();
    let id = id.to_string();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let final_path = dir.join(format!("{stamp}-{id}.eml"));
        let temp_path = dir.join(format!(".{id}.tmp"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp_path)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp_path, &final_path)?;
        Ok(())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_links() {
        let html = html_body(
            "Hi <you>",
            "Hello <b> https://evil.example/login\n\nOpen https://x.example/a?b=1&c=2 now",
            Some("https://x.example"),
        );
        assert!(
            !html.contains("href=\"https://evil.example"),
            "only this site's links are clickable"
        );

        assert!(html.contains("<title>Hi &lt;you&gt;</title>"));
        assert!(html.contains("Hello &lt;b&gt;"));
        assert!(html.contains("<a href=\"https://x.example/a?b=1&amp;c=2\">"));
    }

    #[test]
    fn smtp_password_is_not_in_debug() {
        let transport = MailTransport::Smtp {
            host: "smtp.example".into(),
            port: 587,
            username: Some("u".into()),
            password: Some("hunter2-secret".into()),
            security: SmtpSecurity::StartTls,
        };
        assert!(!format!("{transport:?}").contains("hunter2"));
    }

    #[test]
    fn messages_build_as_mime() {
        let email = OutgoingEmail {
            id: RecordId::parse("0123456789abcdef0123456789abcdef").unwrap(),
            recipient: "dana@example.org".into(),
            subject: "Confirm your e-mail address".into(),
            body_text: "Open https://x.example/verify-email/abc".into(),
            body_html: None,
        };
        let message = build_message("Sensate <no-reply@sensate.example>", &email).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("To: dana@example.org"));
        assert!(text.contains("multipart/alternative"));
    }
}
