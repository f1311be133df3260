//! The lifecycle job: reminders by e-mail 90, 30 and 7 days before a credential ends, and when
//! a holder's membership ends (which lapses their credentials). Statuses themselves (expired,
//! lapsed) are worked out from dates whenever read, so they need no job and change at once.
//!
//! Every node runs the job. Each reminder has a key naming what it is about; claiming the key
//! and queueing the e-mail are one transaction, so a reminder goes out once whatever the
//! number of nodes, and a restart neither repeats nor forgets one (a round after downtime
//! sends the reminders that became due meanwhile, the nearest one only).

use std::time::Duration;

use domain::UserId;
use domain::credentialing::credential_status::CredentialStatus;
use store::credentialing::renewals::ReminderRow;

use crate::authz::Permission;
use crate::platform::mail::Mail;
use crate::{Actor, App, AppResult, RequestMeta};

/// Days before the end of validity when the holder is reminded.
pub const EXPIRY_REMINDER_DAYS: [i64; 3] = [90, 30, 7];

/// How often each node looks for due reminders.
pub const ROUND_EVERY: Duration = Duration::from_secs(15 * 60);

const LAST_ROUND: &str = "lifecycle.last_round";

/// The reminder due `days_left` days before the end: the nearest threshold not yet passed
/// (at 25 days left the 30-day one; the 90-day one is not sent late).
pub fn expiry_threshold(days_left: i64) -> Option<i64> {
    if days_left < 0 {
        return None;
    }
    EXPIRY_REMINDER_DAYS
        .iter()
        .rev()
        .copied()
        .find(|threshold| days_left <= *threshold)
}

/// A reminder sent, for the admin page.
#[derive(Debug, Clone)]
pub struct ReminderLine {
    pub row: ReminderRow,
    pub recipient: String,
}

impl App {
    /// One round: sends every reminder now due that was not sent before. Returns how many
    /// this node sent.
    pub async fn run_lifecycle_round(&self) -> AppResult<usize> {
        let today = self.today();
        let mut sent = 0;
        let mut members_checked: Vec<String> = Vec::new();
        // Only what can be due: ending within the furthest threshold, or membership ended.
        let horizon = today + time::Duration::days(EXPIRY_REMINDER_DAYS[0]);
        let due = self
            .store()
            .credentials_due_for_reminders(&today.to_string(), &horizon.to_string())
            .await?;
        for credential in due {
            let status = self.credential_status(&credential).await?;
            let Some(user_id) = UserId::parse(&credential.user_id).ok() else {
                continue;
            };
            let Some(user) = self.store().user_by_id(&user_id).await? else {
                continue;
            };
            let program = self.program(&credential.program_code, None).await?.program;
            let link = format!(
                "{}/portal/credentials/{}/renewal",
                self.config().public_url,
                credential.number
            );
            if matches!(status, CredentialStatus::Active | CredentialStatus::Lapsed)
                && let Some(until) = crate::credentialing::evidence::parse_day(&credential.valid_until)
                && let Some(threshold) = expiry_threshold((until - today).whole_days())
            {
                let key = format!("expiry-{threshold}:{}:{}", credential.id, credential.valid_until);
                let mail = Mail::CredentialReminder {
                    name: &user.display_name,
                    subject: format!(
                        "Your {} credential ends in {} days",
                        credential.program_code,
                        (until - today).whole_days()
                    ),
                    what: format!(
                        "Your {} credential ({}) is valid until {until}. Renew it before then to stay certified and listed: log your continuing-education credits and submit the renewal.",
                        program.name, credential.number
                    ),
                    link: link.clone(),
                };
                if self
                    .send_reminder(&key, &user_id, "expiry", &credential.id, mail)
                    .await?
                {
                    sent += 1;
                }
            }
            // Membership: reminded once when the latest membership has ended, for a credential
            // that shows as lapsed because of it (an expired one stays expired, and its holder is
            // not told it lapsed).
            if status != CredentialStatus::Lapsed || members_checked.contains(&credential.user_id) {
                continue;
            }
            members_checked.push(credential.user_id.clone());
            let memberships = self.store().memberships(&credential.user_id).await?;
            let latest_end = memberships
                .iter()
                .map(|m| m.valid_until.clone())
                .max_by(|a, b| match (a, b) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(a), Some(b)) => a.cmp(b),
                })
                .flatten();
            if let Some(end) = latest_end
                && crate::credentialing::evidence::parse_day(&end).is_some_and(|end| end < today)
                && !self.membership_in_good_standing(&credential.user_id, today).await?
            {
                let key = format!("membership:{}:{end}", credential.user_id);
                let mail = Mail::CredentialReminder {
                    name: &user.display_name,
                    subject: "Your membership has ended: your credentials have lapsed".into(),
                    what: format!(
                        "Your membership ended on {end}. Credentials need membership in good standing, so yours now show as lapsed on the public register. Renew your membership and record it in your credential file to reinstate them."
                    ),
                    link: format!("{}/portal", self.config().public_url),
                };
                if self
                    .send_reminder(&key, &user_id, "membership", &credential.user_id, mail)
                    .await?
                {
                    sent += 1;
                }
            }
        }
        let now = self
            .now()
            .get()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.store().put_setting(LAST_ROUND, &now).await?;
        Ok(sent)
    }

    async fn send_reminder(
        &self,
        key: &str,
        user: &UserId,
        kind: &str,
        subject_id: &str,
        mail: Mail<'_>,
    ) -> AppResult<bool> {
        let Some(person) = self.store().user_by_id(user).await? else {
            return Ok(false);
        };
        let email = self.compose_mail(person.email.as_str(), mail)?;
        let reminder = ReminderRow {
            reminder_key: key.to_owned(),
            user_id: Some(user.to_string()),
            kind: kind.to_owned(),
            subject_id: subject_id.to_owned(),
            sent_at: self.now(),
        };
        let sent = self.store().send_reminder_once(&reminder, &email).await?;
        if sent {
            self.wake_mail_sender();
            tracing::info!(kind, "reminder queued");
        }
        Ok(sent)
    }

    /// Runs rounds until the process ends (spawned at start on every node).
    pub async fn run_lifecycle(self) {
        loop {
            match self.run_lifecycle_round().await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "lifecycle round sent reminders"),
                Err(error) => tracing::warn!(error = %error, "lifecycle round failed"),
            }
            tokio::time::sleep(ROUND_EVERY).await;
        }
    }

    /// The reminders sent lately and when the last round ran, for staff.
    pub async fn reminder_log(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> AppResult<(Vec<ReminderLine>, Option<String>)> {
        self.authorize(actor, Permission::ViewReminders, meta).await?;
        let mut lines = Vec::new();
        for row in self.store().recent_reminders(200).await? {
            let recipient = self.name_of(row.user_id.as_deref()).await?;
            lines.push(ReminderLine { row, recipient });
        }
        let last = self.store().setting(LAST_ROUND).await?;
        Ok((lines, last))
    }

    /// Runs one round now (the admin page's button); returns how many were sent.
    pub async fn run_lifecycle_now(&self, actor: &Actor, meta: &RequestMeta) -> AppResult<usize> {
        self.authorize(actor, Permission::ViewReminders, meta).await?;
        self.run_lifecycle_round().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_threshold_is_chosen() {
        assert_eq!(expiry_threshold(120), None);
        assert_eq!(expiry_threshold(90), Some(90));
        assert_eq!(expiry_threshold(31), Some(90));
        assert_eq!(expiry_threshold(30), Some(30));
        assert_eq!(expiry_threshold(8), Some(30));
        assert_eq!(expiry_threshold(7), Some(7));
        assert_eq!(expiry_threshold(0), Some(7));
        assert_eq!(expiry_threshold(-1), None);
    }
}
