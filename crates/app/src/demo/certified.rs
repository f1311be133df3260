//! The demo's committee and register: an application in committee review (one reviewer has
//! recommended, the other has not, so the chair cannot decide yet), certified professionals
//! whose credentials show every public status (active, expiring soon, expired, suspended,
//! revoked, lapsed) on `/verify` and in the status lists, and an ethics case in progress (the
//! complaint behind Dr. Kessler's interim suspension: filed through the public complaint
//! function, accepted at intake, the respondent notified, his credential suspended as an
//! interim measure by the ethics committee, and his reply awaited). Dated relative to today.

use domain::credentialing::programs::add_years;
use store::credentialing::evidence::MembershipRow;
use time::{Date, Duration};

use crate::credentialing::credentials::{StatusAction, long_date};
use crate::ethics::cases::ComplaintInput;
use crate::{App, AppResult, RequestMeta, platform::random};

/// The candidate whose application is with the committee.
pub(crate) const IN_REVIEW: &str = "review@demo.sensate.test";
pub(crate) const STAFF: &str = "staff@demo.sensate.test";
const REVIEWER_1: &str = "reviewer1@demo.sensate.test";
const REVIEWER_2: &str = "reviewer2@demo.sensate.test";
const SUPERVISOR: &str = "supervisor@demo.sensate.test";
const ETHICS: &str = "ethics@demo.sensate.test";

/// A board sanction recorded on a demo credential.
struct Sanction {
    action: StatusAction,
    /// The reason kept with the credential; `{case}` becomes the reference of the demo's
    /// ethics case about the holder.
    reason: &'static str,
    /// The public notice; `{date}` becomes today's date in words.
    notice: &'static str,
}

/// A certified professional: their credential and membership, in days from today.
struct Certified {
    email: &'static str,
    program: &'static str,
    /// The credential runs for the program's three years up to this day.
    valid_until: i64,
    membership_from: i64,
    membership_until: i64,
    sanction: Option<Sanction>,
    /// An open ethics case about the holder, filed before the sanction.
    complaint: Option<DemoComplaint>,
}

/// A complaint from a member of the public, as they would type it into the public form; the
/// ethics committee member accepts it at intake and notifies the respondent.
struct DemoComplaint {
    reporter_name: &'static str,
    reporter_email: &'static str,
    description: &'static str,
    /// When it began and ended, in days from today.
    happened: (i64, i64),
    /// Why the committee took the case up (sealed in the case's history).
    intake_reason: &'static str,
    /// An interim suspension the committee takes once the respondent is notified: (its
    /// reasons, sealed in the case's history; the public notice).
    interim: Option<(&'static str, &'static str)>,
}

const CERTIFIED: &[Certified] = &[
    Certified {
        email: "certified@demo.sensate.test",
        program: "CST",
        valid_until: 700,
        membership_from: -1200,
        membership_until: 700,
        sanction: None,
        complaint: None,
    },
    Certified {
        email: "expiring@demo.sensate.test",
        program: "CSC",
        valid_until: 20,
        membership_from: -1200,
        membership_until: 200,
        sanction: None,
        complaint: None,
    },
    Certified {
        email: "expired@demo.sensate.test",
        program: "CSE",
        valid_until: -45,
        membership_from: -1200,
        membership_until: -45,
        sanction: None,
        complaint: None,
    },
    Certified {
        email: "suspended@demo.sensate.test",
        program: "CST",
        valid_until: 900,
        membership_from: -500,
        membership_until: 900,
        // Suspended by the ethics committee as an interim measure in the case below.
        sanction: None,
        complaint: Some(DemoComplaint {
            reporter_name: "Jamie Caldwell",
            reporter_email: "jamie.caldwell@mail.test",
            description: "After our fourth session Dr. Kessler suggested we meet for drinks \"as friends\" outside the practice, and he kept sending me messages from his personal phone late at night. When I told him this made me uncomfortable, he ended my treatment without referring me to anyone else.",
            happened: (-120, -75),
            intake_reason: "Conduct towards a client during treatment (boundaries, ending care without a referral): within the committee's scope.",
            interim: Some((
                "The messages the reporter sent us show continued late-night contact with a client whose treatment he ended; clients may be at risk until the committee decides.",
                "Suspended pending the outcome of an ethics complaint.",
            )),
        }),
    },
    Certified {
        email: "revoked@demo.sensate.test",
        program: "CST",
        valid_until: 500,
        membership_from: -1000,
        membership_until: 500,
        sanction: Some(Sanction {
            action: StatusAction::Revoke,
            reason: "Ethics case EC-097: the ethics committee found a boundary violation with a client.",
            notice: "Revoked on {date} after an ethics committee finding of a boundary violation.",
        }),
        complaint: None,
    },
    Certified {
        email: "lapsed@demo.sensate.test",
        program: "CST",
        valid_until: 800,
        membership_from: -700,
        membership_until: -30,
        sanction: None,
        complaint: None,
    },
];

impl App {
    /// Sam Whitaker's application: prepared, endorsed by Dr. Marsh, fee paid, submitted (the
    /// sealed snapshot), two reviewers assigned, and the first one's recommendation made.
    pub(crate) async fn load_demo_committee(&self, meta: &RequestMeta) -> AppResult<()> {
        let sam = self.demo_person(IN_REVIEW).await?;
        let marsh = self.demo_person(SUPERVISOR).await?;
        let staff = self.demo_person(STAFF).await?;
        let first = self.demo_person(REVIEWER_1).await?;
        let second = self.demo_person(REVIEWER_2).await?;
        let application = self.start_application(&sam.actor, "CST", meta).await?;
        self.endorse_application(&marsh.actor, &application.id, meta).await?;
        self.record_fee(&staff.actor, &application.id, false, meta).await?;
        self.submit_application(&sam.actor, &application.id, meta).await?;
        for reviewer in [&first, &second] {
            self.assign_reviewer(&staff.actor, &application.id, reviewer.id.as_str(), meta)
                .await?;
        }
        self.recommend(
            &first.actor,
            &application.id,
            "approve",
            "Every requirement is met on the snapshot: 300 clinical hours under contract, 50 hours of \
             supervision with Dr. Marsh (10 in her approved group), transcript and both references on file. \
             Approve.",
            meta,
        )
        .await
    }

    /// The certified professionals, each with a membership and a credential recorded from the
    /// board's earlier register, and the board's sanctions where there are any.
    pub(crate) async fn load_demo_certified(&self, meta: &RequestMeta) -> AppResult<()> {
        let today = self.today();
        let at = self.now();
        let staff = self.demo_person(STAFF).await?;
        for certified in CERTIFIED {
            let person = self.demo_person(certified.email).await?;
            let membership = MembershipRow {
                id: random::id()?,
                kind: "professional".into(),
                valid_from: day(today, certified.membership_from).to_string(),
                valid_until: Some(day(today, certified.membership_until).to_string()),
                document_id: None,
            };
            self.store()
                .insert_membership(person.id.as_str(), &membership, at)
                .await?;
            let valid_until = day(today, certified.valid_until);
            let credential = self
                .record_existing_credential(&person.id, certified.program, add_years(valid_until, -3), valid_until)
                .await?;
            let reference = match &certified.complaint {
                Some(complaint) => Some(self.load_demo_ethics_case(&credential.number, complaint, meta).await?),
                None => None,
            };
            if let Some(sanction) = &certified.sanction {
                let notice = sanction.notice.replace("{date}", &long_date(today));
                let reason = sanction
                    .reason
                    .replace("{case}", reference.as_deref().unwrap_or("(none)"));
                self.change_credential_status(
                    &staff.actor,
                    &credential.number,
                    sanction.action,
                    &reason,
                    &notice,
                    meta,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// An ethics case in progress: the complaint filed through the public complaint function
    /// (so it is sealed, numbered and acknowledged like any other), accepted at intake by the
    /// demo's ethics committee member, and the respondent notified (the e-mail with the link to
    /// his portal is in the demo mailbox). Returns the case reference.
    async fn load_demo_ethics_case(
        &self,
        credential_number: &str,
        complaint: &DemoComplaint,
        meta: &RequestMeta,
    ) -> AppResult<String> {
        let today = self.today();
        let input = ComplaintInput {
            credential_number: credential_number.to_owned(),
            name: complaint.reporter_name.to_owned(),
            email: complaint.reporter_email.to_owned(),
            description: complaint.description.to_owned(),
            happened_from: day(today, complaint.happened.0).to_string(),
            happened_until: day(today, complaint.happened.1).to_string(),
            ..ComplaintInput::default()
        };
        let reference = self.file_complaint(&input, Vec::new(), meta).await?;
        let case = self
            .store()
            .ethics_cases()
            .await?
            .into_iter()
            .find(|case| case.reference == reference)
            .ok_or_else(|| crate::AppError::internal(anyhow::anyhow!("demo ethics case {reference} missing")))?;
        let committee = self.demo_person(ETHICS).await?;
        self.ethics_intake(&committee.actor, &case.id, true, complaint.intake_reason, meta)
            .await?;
        self.notify_respondent(&committee.actor, &case.id, meta).await?;
        if let Some((reasons, notice)) = complaint.interim {
            self.decide_ethics_case(
                &committee.actor,
                &case.id,
                "suspension",
                "",
                reasons,
                notice,
                true,
                meta,
            )
            .await?;
        }
        Ok(reference)
    }
}

fn day(today: Date, offset: i64) -> Date {
    today + Duration::days(offset)
}
