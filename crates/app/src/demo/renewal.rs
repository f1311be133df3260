//! The demo's renewal audit: Rosa Delgado (her counseling credential ends in 20 days) logged
//! her continuing education, a certificate on the approved course but none yet on her
//! teaching, submitted, and her renewal waits in the staff's audit queue, where staff can open
//! the certificate, return the renewal asking for the missing one, and approve it once Rosa
//! answers on her renewal page.

use store::credentialing::evidence::EvidenceTable;
use time::Duration;

use crate::credentialing::renewals::CreditInput;
use crate::platform::audit::AuditEvent;
use crate::{App, AppError, AppResult, RequestMeta};

const HOLDER: &str = "expiring@demo.sensate.test";

impl App {
    pub(crate) async fn load_demo_renewal(&self, meta: &RequestMeta) -> AppResult<()> {
        let rosa = self.demo_person(HOLDER).await?;
        let credential = self
            .store()
            .issued_credentials_of(rosa.id.as_str())
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the demo holder has no credential")))?;
        let today = self.today();
        let credits = [
            (
                "approved",
                today - Duration::days(150),
                "12",
                "Pacific Institute of Sexology",
                "Sexual health across the lifespan (two-day course)",
            ),
            (
                "teaching",
                today - Duration::days(90),
                "8",
                "Lake Merritt Community College",
                "Workshop on consent and communication for nursing students",
            ),
        ];
        for (method, date, hours, provider, title) in credits {
            let input = CreditInput {
                method: method.into(),
                date: date.to_string(),
                hours: hours.into(),
                provider: provider.into(),
                title: title.into(),
            };
            self.add_renewal_credit(&rosa.actor, &credential.number, &input, meta)
                .await?;
        }
        let renewal = self
            .store()
            .renewal_for_cycle(&credential.id, &credential.valid_until)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the demo renewal was not opened")))?;
        let entries = self.store().renewal_entries(&renewal.id).await?;
        if let Some(course) = entries.iter().find(|e| e.method == "approved") {
            self.demo_document(
                &rosa,
                "certificate",
                Some((EvidenceTable::RenewalCredits, &course.id)),
                "Certificate of attendance Pacific Institute of Sexology",
                meta,
            )
            .await?;
        }
        // Submitted and drawn for the audit (the demo's draw is fixed so the queue has one).
        self.store().send_renewal_to_audit(&renewal.id, self.now()).await?;
        self.record(
            &rosa.actor,
            AuditEvent::success("renewal.audit_draw")
                .subject("renewal", &renewal.id)
                .detail("chosen for audit (demo data)"),
            meta,
        )
        .await?;
        Ok(())
    }
}
