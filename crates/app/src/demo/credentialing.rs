//! The demo's credentialing data: a certified supervisor with an approved group, and three
//! candidates for the sex therapist credential at three stages (just started, half-way with
//! sessions waiting for the supervisor, and ready to submit), plus a fourth with a complete
//! file whose application `demo_certified` takes through submission to the committee; dated
//! relative to today so the demo stays current whenever it is loaded.

use domain::credentialing::hours::Hours;
use domain::credentialing::programs::LogKind;
use domain::{EmailAddress, UserId};
use store::credentialing::evidence::{DegreeRow, EvidenceTable, InsuranceRow, LicenseRow, MembershipRow};
use store::credentialing::supervision::{ContractRow, GroupRow, SupervisionSessionRow};
use time::{Date, Duration};

use crate::credentialing::documents::{UploadInput, attach_value};
use crate::credentialing::evidence::{CheckedHours, hour_row};
use crate::{Actor, App, AppError, AppResult, RequestMeta, platform::random};

/// A small, valid one-page PDF standing in for a scanned document.
fn demo_pdf(title: &str) -> Vec<u8> {
    let text = title.replace(['(', ')', '\\'], " ");
    let content = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn ts(day: Date) -> store::Timestamp {
    store::Timestamp::new(day.midnight().assume_utc() + Duration::hours(10))
}

fn centi(hours: u32) -> i64 {
    i64::from(Hours::whole(hours).centi())
}

/// One demo person's id and an actor to act for them.
pub(crate) struct Person {
    pub(crate) id: UserId,
    pub(crate) actor: Actor,
}

/// What tells two candidates with a complete file apart: their degree, references and clinics.
struct ReadyFile {
    degree_field: &'static str,
    institution: &'static str,
    transcript: &'static str,
    references: [&'static str; 2],
    clinic: &'static str,
    telehealth: &'static str,
}

/// Taylor Brooks's file (the web tests look for these titles).
const TAYLOR_FILE: ReadyFile = ReadyFile {
    degree_field: "Clinical social work",
    institution: "University of Northbridge",
    transcript: "Transcript MSW",
    references: ["Reference letter Dr Cho", "Reference letter Dr Haddad"],
    clinic: "Harbour Sexual Health Clinic",
    telehealth: "Harbour Clinic telehealth service",
};

/// Sam Whitaker's file: complete too, and submitted (see `demo_certified`).
const SAM_FILE: ReadyFile = ReadyFile {
    degree_field: "Counselling psychology",
    institution: "Lakeshore University",
    transcript: "Transcript MA Counselling Psychology",
    references: ["Reference letter Dr Haddad", "Reference letter Dr Lindqvist"],
    clinic: "Riverside Centre for Sexual Health",
    telehealth: "Riverside Centre video sessions",
};

impl App {
    pub(crate) async fn demo_person(&self, email: &str) -> AppResult<Person> {
        let email = EmailAddress::parse(email).map_err(|e| AppError::internal(anyhow::anyhow!("demo e-mail: {e}")))?;
        let user = self
            .store()
            .user_by_email(&email)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("demo person {email} missing")))?;
        let actor = Actor {
            user_id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            session_id: random::new_id()?,
            mfa_enabled: true,
            email_verified: true,
            is_demo: true,
        };
        Ok(Person { id: user.id, actor })
    }

    pub(crate) async fn demo_document(
        &self,
        person: &Person,
        kind: &str,
        attach: Option<(EvidenceTable, &str)>,
        title: &str,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let input = UploadInput {
            kind: kind.to_owned(),
            attach_to: attach
                .and_then(|(table, id)| attach_value(table, id))
                .unwrap_or_default(),
            file_name: format!("{}.pdf", title.to_lowercase().replace(' ', "-")),
        };
        let bytes = bytes::Bytes::from(demo_pdf(title));
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes)]);
        self.upload_document(&person.actor, &input, body, meta).await?;
        Ok(())
    }

    /// Licence, insurance and membership current from `from` until well after today.
    async fn demo_standing(&self, person: &Person, from: Date, meta: &RequestMeta, documented: bool) -> AppResult<()> {
        let today = self.today();
        let owner = person.id.as_str();
        let at = self.now();
        let license = LicenseRow {
            id: random::id()?,
            profession: "psychology".into(),
            jurisdiction: "Ontario".into(),
            number: format!("PSY-{}", &owner[..6]),
            valid_from: from.to_string(),
            valid_until: Some((today + Duration::days(700)).to_string()),
            document_id: None,
        };
        self.store().insert_license(owner, &license, at).await?;
        let insurance = InsuranceRow {
            id: random::id()?,
            carrier: "Guardian Mutual".into(),
            policy_number: format!("GM-{}", &owner[..6]),
            valid_from: from.to_string(),
            valid_until: Some((today + Duration::days(165)).to_string()),
            document_id: None,
        };
        self.store().insert_insurance(owner, &insurance, at).await?;
        let membership = MembershipRow {
            id: random::id()?,
            kind: "professional".into(),
            valid_from: from.to_string(),
            valid_until: Some((today + Duration::days(300)).to_string()),
            document_id: None,
        };
        self.store().insert_membership(owner, &membership, at).await?;
        if documented {
            self.demo_document(
                person,
                "license",
                Some((EvidenceTable::Licenses, &license.id)),
                "License certificate",
                meta,
            )
            .await?;
            self.demo_document(
                person,
                "insurance_face_sheet",
                Some((EvidenceTable::Insurance, &insurance.id)),
                "Insurance face sheet",
                meta,
            )
            .await?;
        }
        Ok(())
    }

    /// A signed contract between `candidate` and `supervisor`, starting on `start`.
    async fn demo_contract(&self, candidate: &Person, supervisor: &Person, start: Date) -> AppResult<ContractRow> {
        let row = ContractRow {
            id: random::id()?,
            candidate_id: candidate.id.to_string(),
            supervisor_id: Some(supervisor.id.to_string()),
            supervisor_email: supervisor.actor.email.to_string(),
            program_code: "CST".into(),
            starts_on: start.to_string(),
            is_primary: true,
            notice_days: crate::credentialing::supervision::NOTICE_DAYS,
            terms: crate::credentialing::supervision::contract_terms(
                &candidate.actor.display_name,
                "Certified Sex Therapist",
            ),
            candidate_signed_at: Some(ts(start - Duration::days(10))),
            supervisor_signed_at: None,
            declined_at: None,
            ended_by: None,
            end_noticed_at: None,
            ends_on: None,
            end_reason: None,
            created_at: ts(start - Duration::days(10)),
        };
        self.store().insert_contract(&row).await?;
        self.store()
            .sign_contract_as_supervisor(
                &row.id,
                supervisor.id.as_str(),
                supervisor.actor.email.as_str(),
                ts(start - Duration::days(7)),
            )
            .await?;
        self.store()
            .add_pursuit(candidate.id.as_str(), "CST", ts(start - Duration::days(30)))
            .await?;
        Ok(row)
    }

    /// Sessions every `every` days from `first`, `count` of them, `hours` each.
    #[allow(clippy::too_many_arguments)]
    async fn demo_sessions(
        &self,
        contract: &ContractRow,
        first: Date,
        every: i64,
        count: i64,
        hours: u32,
        group: Option<&str>,
        status: &str,
    ) -> AppResult<()> {
        for n in 0..count {
            let day = first + Duration::days(n * every);
            let row = SupervisionSessionRow {
                id: random::id()?,
                contract_id: contract.id.clone(),
                session_date: day.to_string(),
                hours_centi: centi(hours),
                format: if group.is_some() { "group" } else { "individual" }.into(),
                group_id: group.map(str::to_owned),
                counts_as_training: false,
                topic: if group.is_some() {
                    "Peer case consultation"
                } else {
                    "Case formulation and treatment planning"
                }
                .into(),
                status: "pending".into(),
                decided_at: None,
                reject_reason: None,
                created_at: ts(day),
                corrects_id: None,
            };
            self.store().insert_supervision_session(&row).await?;
            if status != "pending" {
                self.store()
                    .decide_supervision_session(&row.id, status, None, ts(day + Duration::days(2)))
                    .await?;
            }
        }
        Ok(())
    }

    /// Hour entries in one log: `count` entries of `hours`, every `every` days from `first`.
    #[allow(clippy::too_many_arguments)]
    async fn demo_hours(
        &self,
        person: &Person,
        log: LogKind,
        first: Date,
        every: i64,
        count: i64,
        hours: u32,
        mode: &str,
        split: &[&str],
        provider: &str,
    ) -> AppResult<()> {
        let mut rows = Vec::new();
        for n in 0..count {
            let date = first + Duration::days(n * every);
            let share = Hours::whole(hours).centi() / u32::try_from(split.len().max(1)).unwrap_or(1);
            let mut parts: Vec<(String, Hours)> = split
                .iter()
                .map(|key| ((*key).to_owned(), Hours::from_centi(share)))
                .collect();
            // Put any remainder on the first part so the split adds up exactly.
            if let Some(first_part) = parts.first_mut() {
                let rest = Hours::whole(hours).centi() - share * u32::try_from(split.len()).unwrap_or(1);
                first_part.1 = Hours::from_centi(share + rest);
            }
            let title = match log {
                LogKind::Clinical => "Individual and couples therapy for sexual concerns".to_owned(),
                LogKind::Sar => "Sexual Attitude Reassessment seminar".to_owned(),
                LogKind::CoreKnowledge => format!("Core knowledge module {}", n + 1),
                LogKind::Training => format!("Sex-therapy training module {}", n + 1),
                _ => format!("{} module {}", log.words(), n + 1),
            };
            let checked = CheckedHours {
                log,
                date,
                hours: Hours::whole(hours),
                mode: mode.to_owned(),
                provider: provider.to_owned(),
                title,
                split: parts,
            };
            rows.push(hour_row(&checked, random::id()?, None, ts(date)));
        }
        self.store().insert_hours(person.id.as_str(), &rows).await?;
        Ok(())
    }

    /// A complete file for CST 2025.T.1 under `supervisor`: standing, ethics, degree,
    /// documents, hours and 50 hours of countersigned supervision (10 in the approved group).
    async fn demo_ready_file(
        &self,
        person: &Person,
        supervisor: &Person,
        group_id: &str,
        file: &ReadyFile,
        meta: &RequestMeta,
    ) -> AppResult<()> {
        let today = self.today();
        let at = self.now();
        self.demo_standing(person, today - Duration::days(2500), meta, true)
            .await?;
        self.store()
            .put_attestation(
                person.id.as_str(),
                &(today - Duration::days(600)).to_string(),
                crate::credentialing::evidence::ETHICS_STATEMENT,
                at,
            )
            .await?;
        let degree = DegreeRow {
            id: random::id()?,
            level: "master".into(),
            field: file.degree_field.into(),
            institution: file.institution.into(),
            accredited: true,
            awarded_on: (today - Duration::days(2600)).to_string(),
            document_id: None,
        };
        self.store().insert_degree(person.id.as_str(), &degree, at).await?;
        self.demo_document(
            person,
            "transcript",
            Some((EvidenceTable::Degrees, &degree.id)),
            file.transcript,
            meta,
        )
        .await?;
        self.demo_document(person, "cv", None, "Curriculum vitae", meta).await?;
        self.demo_document(person, "reference_letter", None, file.references[0], meta)
            .await?;
        self.demo_document(person, "reference_letter", None, file.references[1], meta)
            .await?;
        let start = today - Duration::days(700);
        let contract = self.demo_contract(person, supervisor, start).await?;
        self.demo_hours(
            person,
            LogKind::Sar,
            today - Duration::days(900),
            1,
            1,
            12,
            "in_person",
            &[],
            "Northbridge SAR Institute",
        )
        .await?;
        self.demo_hours(
            person,
            LogKind::CoreKnowledge,
            today - Duration::days(880),
            20,
            4,
            15,
            "elearning",
            &[
                "ethics",
                "development",
                "socio_cultural",
                "orientation_identity",
                "anatomy_physiology",
            ],
            "Open Sexuality Academy",
        )
        .await?;
        self.demo_hours(
            person,
            LogKind::CoreKnowledge,
            today - Duration::days(790),
            20,
            2,
            15,
            "in_person",
            &["health_medical", "sexual_function", "communication"],
            "Northbridge University",
        )
        .await?;
        self.demo_hours(
            person,
            LogKind::Training,
            today - Duration::days(760),
            25,
            2,
            15,
            "elearning",
            &["theory_models", "ethics_practice"],
            "Institute for Sex Therapy",
        )
        .await?;
        self.demo_hours(
            person,
            LogKind::Training,
            today - Duration::days(700),
            25,
            2,
            15,
            "live_online",
            &["sexual_concerns", "couples_relational", "trauma_informed"],
            "Institute for Sex Therapy",
        )
        .await?;
        self.demo_hours(
            person,
            LogKind::Clinical,
            start + Duration::days(2),
            6,
            50,
            4,
            "in_person",
            &[],
            file.clinic,
        )
        .await?;
        self.demo_hours(
            person,
            LogKind::Clinical,
            start + Duration::days(4),
            8,
            25,
            4,
            "telehealth_video",
            &[],
            file.telehealth,
        )
        .await?;
        // 40 hours individually, two a fortnight; 10 in the approved group: 50 over 20 months.
        self.demo_sessions(&contract, start + Duration::days(3), 30, 20, 2, None, "countersigned")
            .await?;
        self.demo_sessions(
            &contract,
            start + Duration::days(17),
            60,
            10,
            1,
            Some(group_id),
            "countersigned",
        )
        .await?;
        Ok(())
    }

    /// Loads the credentialing part of the demo (after the demo accounts exist).
    pub(crate) async fn load_demo_credentialing(&self, meta: &RequestMeta) -> AppResult<()> {
        let today = self.today();
        let marsh = self.demo_person("supervisor@demo.sensate.test").await?;
        let jordan = self.demo_person("candidate@demo.sensate.test").await?;
        let alex = self.demo_person("halfway@demo.sensate.test").await?;
        let taylor = self.demo_person("ready@demo.sensate.test").await?;
        let at = self.now();

        // Dr. Marsh: certified sex therapist for years, certified supervisor, in good standing.
        // Recorded like credentials from the board's earlier register: numbered, verifiable.
        for (program, from) in [("CST", 2200), ("CST-S", 1400)] {
            self.record_existing_credential(
                &marsh.id,
                program,
                today - Duration::days(from),
                today + Duration::days(500),
            )
            .await?;
        }
        self.demo_standing(&marsh, today - Duration::days(3000), meta, true)
            .await?;
        let group = GroupRow {
            id: random::id()?,
            supervisor_id: marsh.id.to_string(),
            name: "Tuesday peer consultation group".into(),
            size: 3,
            requested_at: ts(today - Duration::days(800)),
            decided_at: None,
            approved: false,
            decision_note: None,
        };
        self.store().insert_group(&group).await?;
        let staff = self.demo_person("staff@demo.sensate.test").await?;
        self.store()
            .decide_group(
                &group.id,
                true,
                staff.id.as_str(),
                "Approved: 3 supervisees.",
                ts(today - Duration::days(790)),
            )
            .await?;

        // Jordan: just started: has chosen the credential and recorded a membership.
        self.store().add_pursuit(jordan.id.as_str(), "CST", at).await?;
        let membership = MembershipRow {
            id: random::id()?,
            kind: "early_career".into(),
            valid_from: (today - Duration::days(40)).to_string(),
            valid_until: Some((today + Duration::days(325)).to_string()),
            document_id: None,
        };
        self.store()
            .insert_membership(jordan.id.as_str(), &membership, at)
            .await?;

        // Alex: half-way: eight months into supervision, three sessions waiting for Dr. Marsh.
        self.demo_standing(&alex, today - Duration::days(1500), meta, false)
            .await?;
        self.store()
            .put_attestation(
                alex.id.as_str(),
                &(today - Duration::days(250)).to_string(),
                crate::credentialing::evidence::ETHICS_STATEMENT,
                at,
            )
            .await?;
        let start = today - Duration::days(240);
        let contract = self.demo_contract(&alex, &marsh, start).await?;
        self.demo_hours(
            &alex,
            LogKind::Sar,
            today - Duration::days(400),
            1,
            1,
            12,
            "in_person",
            &[],
            "Northbridge SAR Institute",
        )
        .await?;
        self.demo_hours(
            &alex,
            LogKind::CoreKnowledge,
            today - Duration::days(380),
            30,
            3,
            15,
            "elearning",
            &["ethics", "development", "orientation_identity"],
            "Open Sexuality Academy",
        )
        .await?;
        self.demo_hours(
            &alex,
            LogKind::Training,
            today - Duration::days(300),
            40,
            2,
            10,
            "live_online",
            &["theory_models", "assessment_diagnosis"],
            "Institute for Sex Therapy",
        )
        .await?;
        self.demo_hours(
            &alex,
            LogKind::Clinical,
            start + Duration::days(3),
            7,
            30,
            4,
            "in_person",
            &[],
            "Lakeside Counselling Centre",
        )
        .await?;
        self.demo_sessions(&contract, start + Duration::days(5), 16, 13, 2, None, "countersigned")
            .await?;
        self.demo_sessions(&contract, today - Duration::days(12), 5, 3, 2, None, "pending")
            .await?;

        // Taylor: ready to submit: every requirement of CST 2025.T.1 is met.
        self.demo_ready_file(&taylor, &marsh, &group.id, &TAYLOR_FILE, meta)
            .await?;
        // Sam: the same stage, but already applied (the committee's part is in demo_certified).
        let sam = self.demo_person(crate::demo::certified::IN_REVIEW).await?;
        self.demo_ready_file(&sam, &marsh, &group.id, &SAM_FILE, meta).await?;
        Ok(())
    }
}
