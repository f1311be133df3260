//! The demo's committee and register: an application in committee review (one reviewer has
//! recommended, the other has not, so the chair cannot decide yet), and certified
//! professionals whose credentials show every public status (active, expiring soon, expired,
//! suspended, revoked, lapsed) on `/verify` and in the status lists. Dated relative to today.

use domain::program::add_years;
use store::evidence::MembershipRow;
use time::{Date, Duration};

use crate::credential::{StatusAction, long_date};
use crate::{App, AppResult, RequestMeta, random};

/// The candidate whose application is with the committee.
pub(crate) const IN_REVIEW: &str = "review@demo.sensate.test";
const STAFF: &str = "staff@demo.sensate.test";
const REVIEWER_1: &str = "reviewer1@demo.sensate.test";
const REVIEWER_2: &str = "reviewer2@demo.sensate.test";
const SUPERVISOR: &str = "supervisor@demo.sensate.test";

/// A board sanction recorded on a demo credential.
struct Sanction {
    action: StatusAction,
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
}

const CERTIFIED: &[Certified] = &[
    Certified {
        email: "certified@demo.sensate.test",
        program: "CST",
        valid_until: 700,
        membership_from: -1200,
        membership_until: 700,
        sanction: None,
    },
    Certified {
        email: "expiring@demo.sensate.test",
        program: "CSC",
        valid_until: 20,
        membership_from: -1200,
        membership_until: 200,
        sanction: None,
    },
    Certified {
        email: "expired@demo.sensate.test",
        program: "CSE",
        valid_until: -45,
        membership_from: -1200,
        membership_until: -45,
        sanction: None,
    },
    Certified {
        email: "suspended@demo.sensate.test",
        program: "CST",
        valid_until: 900,
        membership_from: -500,
        membership_until: 900,
        sanction: Some(Sanction {
            action: StatusAction::Suspend,
            reason: "Ethics complaint EC-114 received; the ethics committee asked for an interim suspension.",
            notice: "Suspended pending the outcome of an ethics complaint.",
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
    },
    Certified {
        email: "lapsed@demo.sensate.test",
        program: "CST",
        valid_until: 800,
        membership_from: -700,
        membership_until: -30,
        sanction: None,
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
            if let Some(sanction) = &certified.sanction {
                let notice = sanction.notice.replace("{date}", &long_date(today));
                self.change_credential_status(
                    &staff.actor,
                    &credential.number,
                    sanction.action,
                    sanction.reason,
                    &notice,
                    meta,
                )
                .await?;
            }
        }
        Ok(())
    }
}

fn day(today: Date, offset: i64) -> Date {
    today + Duration::days(offset)
}
