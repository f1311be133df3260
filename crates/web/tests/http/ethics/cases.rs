//! Ethics cases over HTTP: a member of the public raises a concern about a certified
//! professional from the verification page (a mistyped number, a wrong file and a filled-in
//! trap field are refused with what was typed kept; the limits per reporter and per address
//! hold, and the same complaint sent again is not a second case), gets an acknowledgement with the reference and none of the complaint; the ethics
//! committee takes intake, notifies the respondent, who replies in their portal; the
//! committee records a note and revokes the credential with a public notice, and the
//! verification page and API say so at once. Nobody else sees the case, the respondent never
//! sees who complained, and the complaint is not stored in the clear. A final decision waits
//! for the respondent's reply or for their last day to reply to pass (the app's clock is moved
//! past it); before that, only a suspension marked interim is taken, labelled interim on the
//! public record, with the respondent told at once, and the final decision lifts or replaces
//! it. Both engines.

use app::credentialing::credentials::long_date;
use app::ethics::cases::{REPLY_PERIOD_DAYS, reply_due_on};

use crate::support::{Browser, Page, TestApp};
use domain::Role;
use store::both_engines;
use time::Duration;

const HOLDER: &str = "holder@practice.test";
const REPORTER: &str = "robin.reporter@mail.test";
const REPORTER_PHONE: &str = "+1 (555) 010-2030";
const DESCRIPTION: &str =
    "During my third session the therapist asked me out for dinner and kept texting me at night afterwards.";
const NOTICE: &str = "Revoked on the finding of the ethics committee (case on file).";

/// A small but complete PDF carrying `text`.
fn pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The same number with its last check digit changed: a typo the check digits catch.
fn mistyped(number: &str) -> String {
    let mut chars: Vec<char> = number.chars().collect();
    let last = chars.last_mut().unwrap();
    *last = char::from_digit((last.to_digit(10).unwrap() + 1) % 10, 10).unwrap();
    chars.into_iter().collect()
}

/// Posts the public complaint form (fetched first for its token) with these fields changed.
async fn complain(browser: &Browser, fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)]) -> Page {
    let form = browser.get("/ethics/complaints/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let mut all: Vec<(&str, &str)> = vec![
        ("csrf", csrf.as_str()),
        ("name", "Robin Reporter"),
        ("email", REPORTER),
        ("phone", REPORTER_PHONE),
        ("description", DESCRIPTION),
        ("happened_from", "2026-01-05"),
        ("happened_until", ""),
        ("homepage", ""),
    ];
    for (name, value) in fields {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    browser.post_multipart("/ethics/complaints/new", &all, files).await
}

/// A certified professional (signed in) and their credential's number.
async fn professional(t: &TestApp) -> (Browser, String) {
    let browser = t.signed_in(HOLDER, &[Role::Candidate]).await;
    let holder = t.actor(HOLDER).await.user_id;
    let today = t.app.today();
    let credential = t
        .app
        .record_existing_credential(&holder, "CST", today - Duration::days(400), today + Duration::days(700))
        .await
        .unwrap();
    (browser, credential.number)
}

both_engines! {
    async fn a_complaint_leads_to_a_revoked_credential_and_stays_sealed(engine) {
        let t = TestApp::start(engine).await;
        let (holder, number) = professional(&t).await;
        let committee = t.signed_in("ethics@board.test", &[Role::EthicsCommittee]).await;
        let other = t.signed_in("other@practice.test", &[Role::Candidate]).await;
        let reviewer = t.signed_in("reviewer@board.test", &[Role::CommitteeReviewer]).await;
        let public = t.client();

        // The verification page and the footer lead to the form, which takes the number along.
        let verify = public.get(&format!("/verify/{number}")).await;
        assert!(verify.contains(&format!("href=\"/ethics/complaints/new?number={number}\"")), "{}", verify.body);
        assert!(verify.contains("Report a concern about this professional"));
        assert!(public.get("/").await.contains("href=\"/ethics/complaints/new\""), "linked from the footer");
        let form = public.get(&format!("/ethics/complaints/new?number={number}")).await;
        assert_eq!(form.input_value("credential_number"), number);

        // A mistyped number is named as a typo, next to its field, and everything typed is kept.
        let typo = mistyped(&number);
        let refused = complain(&public, &[("credential_number", &typo)], &[]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.contains("check digits do not match"), "{}", refused.body);
        assert!(refused.contains("id=\"credential_number-error\""));
        assert!(refused.contains("aria-describedby=\"credential_number-error"));
        assert_eq!(refused.input_value("credential_number"), typo);
        assert_eq!(refused.input_value("name"), "Robin Reporter");
        assert_eq!(refused.input_value("phone"), REPORTER_PHONE);
        assert!(refused.contains(DESCRIPTION), "the description is kept");
        // A well-formed number nobody holds is told apart from a typo.
        let program = domain::credentialing::programs::ProgramCode::parse("CST").unwrap();
        let unknown = domain::credentialing::credential_number::CredentialNumber::new(&program, 2020, 4242).unwrap();
        let refused = complain(&public, &[("credential_number", unknown.as_str())], &[]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.contains(&format!("No credential numbered {unknown} is in the board")), "{}", refused.body);
        // Too short a description, and a file that is not a document, are named too.
        let refused = complain(&public, &[("credential_number", &number), ("description", "He was rude.")], &[("documents", "notes.txt", b"just text".to_vec())]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.contains("Describe what happened in at least 30 characters"), "{}", refused.body);
        assert!(refused.contains("notes.txt"), "{}", refused.body);
        assert!(refused.contains("Only PDF, PNG or JPEG files can be uploaded."), "{}", refused.body);
        assert!(refused.contains("He was rude."));

        // The complaint, with a document, is received; the reporter gets the reference only.
        let evidence = pdf("Screenshot of the messages");
        let sent = complain(&public, &[("credential_number", &number)], &[("documents", "messages.pdf", evidence.clone())]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let location = sent.location();
        let reference = location.strip_prefix("/ethics/complaints/received?reference=").unwrap().to_owned();
        assert!(reference.starts_with(&format!("EC-{}-", t.app.today().year())) && reference.ends_with("-0001"), "{reference}");
        let thanks = public.get(&location).await;
        assert!(thanks.contains(&reference), "{}", thanks.body);
        let (subject, text) = t.last_mail(REPORTER).await;
        assert!(subject.contains(&reference) && text.contains(&reference), "{subject}: {text}");
        for secret in [DESCRIPTION, "dinner", number.as_str(), "Test Person", REPORTER_PHONE] {
            assert!(!text.contains(secret) && !subject.contains(secret), "the acknowledgement carries no content ({secret}): {text}");
        }
        let faked = public.get("/ethics/complaints/received?reference=Call%20555-0100").await;
        assert!(!faked.contains("Call 555-0100"), "only a reference is repeated");

        // The trap field refuses (what was typed is kept, the trap is not), and so do the limits.
        let trapped = complain(&public, &[("credential_number", &number), ("email", "bot@spam.test"), ("homepage", "http://spam.test")], &[]).await;
        assert_eq!(trapped.status, 422, "{}", trapped.body);
        assert!(trapped.contains("Your complaint was not sent"), "{}", trapped.body);
        assert!(trapped.contains(DESCRIPTION) && !trapped.contains("http://spam.test"));
        // The same complaint again (a reload, a second click) is not a second case, and does
        // not use up the reporter's allowance.
        let copy = complain(&public, &[("credential_number", &number), ("description", &DESCRIPTION.to_uppercase())], &[]).await;
        assert_eq!(copy.status, 422, "{}", copy.body);
        assert!(copy.contains("We already have this complaint from you"), "{}", copy.body);
        assert!(copy.contains(&DESCRIPTION.to_uppercase()), "what was typed is kept");
        for n in 0..2 {
            let another = format!("{DESCRIPTION} It happened again ({n}).");
            assert_eq!(complain(&public, &[("credential_number", &number), ("description", &another)], &[]).await.status, 303);
        }
        let later = format!("{DESCRIPTION} And once more.");
        let too_many = complain(&public, &[("credential_number", &number), ("description", &later)], &[]).await;
        assert_eq!(too_many.status, 429, "{}", too_many.body);
        assert!(too_many.contains("We cannot take more complaints from you today"), "{}", too_many.body);
        assert!(too_many.contains(&later), "what was typed is kept");
        let from_here = complain(&public, &[("credential_number", &number), ("email", "carol@mail.test")], &[]).await;
        assert_eq!(from_here.status, 429, "the address's limit holds for a new reporter too");
        let cases = t.db.store.ethics_cases().await.unwrap();
        assert_eq!(cases.len(), 3, "the refused complaints left nothing");

        // Sealed at rest: neither the description nor the reporter's details are in the table,
        // and the document is stored encrypted.
        let case = cases.iter().find(|c| c.reference == reference).unwrap().clone();
        let id = case.id.clone();
        for row in &cases {
            for sealed in [&row.complaint_sealed, &row.reporter_sealed] {
                for secret in [DESCRIPTION.as_bytes(), b"dinner".as_slice(), REPORTER.as_bytes(), b"Robin Reporter".as_slice()] {
                    assert!(!sealed.windows(secret.len()).any(|w| w == secret), "stored in the clear");
                }
            }
        }
        for event in t.db.store.ethics_events(&id).await.unwrap() {
            assert!(event.body_sealed.is_none(), "the receipt holds no text");
        }

        // Nobody but the committee (and staff) sees the queue or the file.
        for (who, browser) in [("another candidate", &other), ("a committee reviewer", &reviewer), ("the respondent", &holder)] {
            assert_eq!(browser.get("/ethics/cases").await.status, 403, "{who}: queue");
            let refused = browser.get(&format!("/ethics/cases/{id}")).await;
            assert_eq!(refused.status, 403, "{who}: case file");
            assert!(!refused.contains(REPORTER) && !refused.contains(DESCRIPTION), "{who}");
        }
        assert_ne!(public.get(&format!("/ethics/cases/{id}")).await.status, 200);
        assert_eq!(holder.get(&format!("/portal/ethics-cases/{id}")).await.status, 404, "not notified yet");
        assert!(!holder.get("/portal/credentials").await.contains("Ethics cases about you"), "not listed before notification");

        let queue = committee.get("/ethics/cases").await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        assert!(queue.contains(&reference) && queue.contains("Received, waiting for intake"), "{}", queue.body);
        assert!(committee.get("/dashboard").await.contains("href=\"/ethics/cases\""), "the nav and the card link the queue");
        let file_path = format!("/ethics/cases/{id}");
        let file = committee.get(&file_path).await;
        assert!(file.contains(DESCRIPTION) && file.contains(REPORTER) && file.contains("+1 (555) 010-2030"), "{}", file.body);
        let document = file.body.split(&format!("{file_path}/documents/")).nth(1).unwrap().split('"').next().unwrap().to_owned();
        let (status, headers, body) = committee.get_bytes(&format!("{file_path}/documents/{document}")).await;
        assert_eq!(status, 200);
        assert_eq!(body, evidence, "the document comes back as sent");
        assert_eq!(headers["content-disposition"], "attachment; filename=\"complaint-document-1.pdf\"");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(holder.get_bytes(&format!("{file_path}/documents/{document}")).await.0, 403, "the respondent does not get the reporter's documents");

        // Intake: a dismissal needs a reason; the case is accepted. No decision before the
        // respondent is notified.
        let no_reason = committee.submit(&file_path, &format!("{file_path}/intake"), &[("decision", "dismiss"), ("reason", "")]).await;
        assert_eq!(no_reason.status, 422);
        assert!(no_reason.contains("Write why the complaint is out of scope"), "{}", no_reason.body);
        let accepted = committee.submit(&file_path, &format!("{file_path}/intake"), &[("decision", "accept"), ("reason", "Conduct towards a client: within scope.")]).await;
        assert_eq!(accepted.location(), format!("{file_path}?done=accepted"));
        let early = committee.submit(&file_path, &format!("{file_path}/decide"), &[("sanction", "revocation"), ("reasons", "Clear breach of boundaries."), ("notice", NOTICE)]).await;
        assert_eq!(early.status, 422);
        assert!(early.contains("once the respondent has been notified"), "{}", early.body);
        assert!(!early.contains("Record the decision"), "the decision form waits for the notification");

        // The respondent is notified by a link only, reads the complaint (not who made it) and replies.
        let notified = committee.submit(&file_path, &format!("{file_path}/notify"), &[]).await;
        assert_eq!(notified.location(), format!("{file_path}?done=notified"));
        let (_, mail) = t.last_mail(HOLDER).await;
        assert!(mail.contains(&format!("/portal/ethics-cases/{id}")), "{mail}");
        assert!(!mail.contains(DESCRIPTION) && !mail.contains("dinner") && !mail.contains("Robin"), "{mail}");
        let portal = format!("/portal/ethics-cases/{id}");
        let listed = holder.get("/portal/credentials").await;
        assert!(listed.contains("Ethics cases about you") && listed.contains(&portal) && listed.contains("Waiting for your reply"), "{}", listed.body);
        let mine = holder.get(&portal).await;
        assert_eq!(mine.status, 200, "{}", mine.body);
        assert!(mine.contains(DESCRIPTION) && mine.contains(&reference));
        for secret in [REPORTER, "Robin Reporter", REPORTER_PHONE, "complaint-document"] {
            assert!(!mine.contains(secret), "the respondent sees nothing of the reporter ({secret})");
        }
        assert_eq!(other.get(&portal).await.status, 403, "another candidate");
        assert_eq!(committee.get(&portal).await.status, 403, "the respondent's page is the respondent's");
        let empty = holder.post_multipart(&format!("{portal}/reply"), &[("csrf", &mine.csrf()), ("reply", "")], &[]).await;
        assert_eq!(empty.status, 422);
        assert!(empty.contains("Write your reply"), "{}", empty.body);
        let statement = pdf("My statement");
        let replied = holder.post_multipart(&format!("{portal}/reply"), &[("csrf", &mine.csrf()), ("reply", "I never texted the client; the messages came from the practice's shared phone.")], &[("documents", "statement.pdf", statement.clone())]).await;
        assert_eq!(replied.location(), format!("{portal}?done=replied"), "{}", replied.body);
        let again = holder.post_multipart(&format!("{portal}/reply"), &[("csrf", &mine.csrf()), ("reply", "One more thing to add to my reply.")], &[]).await;
        assert_eq!(again.status, 422);
        assert!(again.contains("You already replied"), "{}", again.body);
        let mine = holder.get(&portal).await;
        let own = mine.body.split(&format!("{file_path}/documents/")).nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_eq!(holder.get_bytes(&format!("{file_path}/documents/{own}")).await.2, statement, "the respondent reads their own document");
        assert_eq!(other.get_bytes(&format!("{file_path}/documents/{own}")).await.0, 403);

        // The committee reads the reply, notes evidence and decides: revocation with a notice.
        let file = committee.get(&file_path).await;
        assert!(file.contains("the practice&#39;s shared phone") || file.contains("the practice's shared phone"), "{}", file.body);
        assert!(file.contains("reply-document-1.pdf"));
        let noted = committee.submit(&file_path, &format!("{file_path}/notes"), &[("note", "The practice manager confirms the shared phone was not used at night.")]).await;
        assert_eq!(noted.status, 303, "{}", noted.body);
        let no_notice = committee.submit(&file_path, &format!("{file_path}/decide"), &[("sanction", "revocation"), ("reasons", "The messages came from the therapist's own phone."), ("notice", "")]).await;
        assert_eq!(no_notice.status, 422);
        assert!(no_notice.contains("Write the public notice"), "{}", no_notice.body);
        assert!(no_notice.contains("The messages came from the therapist"), "what was typed is kept");
        let quiet = committee.submit(&file_path, &format!("{file_path}/decide"), &[("sanction", "none"), ("reasons", "No breach was found in the end."), ("notice", "Nothing to see.")]).await;
        assert_eq!(quiet.status, 422);
        assert!(quiet.contains("A public notice is published only with a suspension or revocation"), "{}", quiet.body);
        let list_before = public.get("/status/revocation/1").await.header("etag");
        assert!(!list_before.is_empty(), "the revocation list is served");
        let decided = committee.submit(&file_path, &format!("{file_path}/decide"), &[("sanction", "revocation"), ("reasons", "The messages came from the therapist's own phone; boundaries were crossed."), ("notice", NOTICE)]).await;
        assert_eq!(decided.location(), format!("{file_path}?done=decided"), "{}", decided.body);

        // At once: the verification page, the API and the register say revoked, with the notice.
        let page = public.get(&format!("/verify/{number}")).await;
        assert!(page.contains(">revoked<") && page.contains(NOTICE), "{}", page.body);
        let api = public.get_json(&format!("/api/v1/credentials/{number}")).await;
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["status"], "revoked");
        assert_eq!(json["public_notice"], NOTICE);
        let list_after = public.get("/status/revocation/1").await;
        assert_eq!(list_after.status, 200);
        assert_ne!(list_after.header("etag"), list_before, "the revocation list changed at once");
        // The respondent reads the decision; the reporter is told the case is closed, no more.
        let mine = holder.get(&portal).await;
        assert!(mine.contains("Revocation of the credential") && mine.contains("boundaries were crossed"), "{}", mine.body);
        let (_, closed) = t.last_mail(REPORTER).await;
        assert!(closed.contains(&reference) && closed.contains("finished its work"), "{closed}");
        assert!(!closed.contains("revoked") && !closed.contains("boundaries"), "{closed}");
        // The committee's list finds the case by its reference and by the professional.
        let listed = committee.get(&format!("/ethics/cases?q={reference}")).await;
        assert!(listed.contains("Showing 1\u{2013}1 of 1") && listed.contains(&reference), "{}", listed.body);
        let nobody = committee.get("/ethics/cases?q=nobody-by-that-name").await;
        assert!(nobody.contains("No cases match."), "{}", nobody.body);
        // Every link in every mail of the case answers its addressee.
        assert!(t.follow_mail_links(HOLDER, &holder).await > 0);
        t.follow_mail_links(REPORTER, &public).await;
        if !t.db.store.recent_emails(Some("ethics@board.test"), 10).await.unwrap().is_empty() {
            assert!(t.follow_mail_links("ethics@board.test", &committee).await > 0);
        }

        let actions = t.audit_actions().await;
        for action in ["ethics.complaint_filed", "ethics.complaint_refused", "ethics.complaint_throttled", "ethics.complaint_repeated", "ethics.case_opened", "ethics.accepted", "ethics.respondent_notified", "ethics.reply_received", "ethics.evidence_noted", "ethics.decided", "ethics.document_downloaded", "credential.revoked", "protected.read", "access.denied"] {
            assert!(actions.iter().any(|(a, _)| a == action), "{action}");
        }
    }

    async fn conditions_leave_the_credential_and_a_dismissal_closes_the_case(engine) {
        let t = TestApp::start(engine).await;
        let (holder, number) = professional(&t).await;
        let staff = t.signed_in("clerk@board.test", &[Role::BoardStaff]).await;
        let public = t.client();
        let first = complain(&public, &[("credential_number", &number)], &[]).await;
        assert_eq!(first.status, 303, "{}", first.body);
        let second = complain(&public, &[("credential_number", &number), ("email", "sam@mail.test")], &[]).await;
        assert_eq!(second.status, 303, "{}", second.body);
        let cases = t.db.store.ethics_cases().await.unwrap();
        let (dismissed, kept) = (&cases[0], &cases[1]);

        // Board staff may act too. A dismissal tells the reporter the case is closed.
        let path = format!("/ethics/cases/{}", dismissed.id);
        let done = staff.submit(&path, &format!("{path}/intake"), &[("decision", "dismiss"), ("reason", "The concern is about billing, which the board does not regulate.")]).await;
        assert_eq!(done.location(), format!("{path}?done=dismissed"));
        let file = staff.get(&path).await;
        assert!(file.contains("Dismissed as out of scope") && file.contains("billing"), "{}", file.body);
        assert!(!file.contains("Add an evidence note"), "a closed case takes no more notes");
        assert!(t.last_mail(REPORTER).await.1.contains("finished its work"));
        assert_eq!(holder.get(&format!("/portal/ethics-cases/{}", dismissed.id)).await.status, 404, "a dismissed complaint never reaches the respondent");

        // No reply: a final decision waits for the respondent's last day to reply to pass.
        let path = format!("/ethics/cases/{}", kept.id);
        assert_eq!(staff.submit(&path, &format!("{path}/intake"), &[("decision", "accept"), ("reason", "")]).await.status, 303);
        assert_eq!(staff.submit(&path, &format!("{path}/notify"), &[]).await.status, 303);
        let due = long_date(reply_due_on(t.app.today(), REPLY_PERIOD_DAYS));
        let conditions = [("sanction", "conditions"), ("reasons", "Boundaries were unclear to the client."), ("conditions", "Complete a 12-hour ethics course within six months.")];
        let early = staff.submit(&path, &format!("{path}/decide"), &conditions).await;
        assert_eq!(early.status, 422, "{}", early.body);
        assert!(early.contains(&format!("The respondent has until {due} to reply; decide after their reply or after that day, or take an interim measure.")), "{}", early.body);
        assert!(early.contains("12-hour ethics course"), "what was typed is kept");
        let mine = holder.get(&format!("/portal/ethics-cases/{}", kept.id)).await;
        assert!(mine.contains(&format!("Reply by</dt><dd>{due}")), "{}", mine.body);
        assert!(mine.contains("Your reply is read before anything is decided"));

        // The last day to reply passes (the app's clock moves on; sessions expire meanwhile).
        t.clock.advance(Duration::days(REPLY_PERIOD_DAYS + 1));
        let staff = t.signed_in("clerk.two@board.test", &[Role::BoardStaff]).await;
        let holder = t.client();
        assert_eq!(holder.sign_in(HOLDER, crate::support::PASSWORD).await.status, 303);

        // Conditions are decided without a reply; the credential stays active and nothing is published.
        let missing = staff.submit(&path, &format!("{path}/decide"), &[("sanction", "conditions"), ("reasons", "Boundaries were unclear to the client."), ("conditions", "")]).await;
        assert_eq!(missing.status, 422);
        assert!(missing.contains("Write the conditions"), "{}", missing.body);
        let decided = staff.submit(&path, &format!("{path}/decide"), &[("sanction", "conditions"), ("reasons", "Boundaries were unclear to the client."), ("conditions", "Complete a 12-hour ethics course within six months.")]).await;
        assert_eq!(decided.status, 303, "{}", decided.body);
        let api: serde_json::Value = serde_json::from_str(&public.get_json(&format!("/api/v1/credentials/{number}")).await.body).unwrap();
        assert_ne!(api["status"], "revoked");
        assert_ne!(api["status"], "suspended");
        assert!(api["public_notice"].is_null(), "{api}");
        let mine = holder.get(&format!("/portal/ethics-cases/{}", kept.id)).await;
        assert!(mine.contains("12-hour ethics course") && !mine.contains("Send the reply"), "{}", mine.body);
        let queue = staff.get("/ethics/cases?state=decided").await;
        assert!(queue.contains(&kept.reference) && !queue.contains(&dismissed.reference), "{}", queue.body);
    }
}

both_engines! {
    async fn before_the_reply_only_an_interim_suspension_is_taken_and_the_decision_lifts_it(engine) {
        let t = TestApp::start(engine).await;
        let (holder, number) = professional(&t).await;
        let committee = t.signed_in("ethics@board.test", &[Role::EthicsCommittee]).await;
        let public = t.client();
        assert_eq!(complain(&public, &[("credential_number", &number)], &[]).await.status, 303);
        let case = t.db.store.ethics_cases().await.unwrap().remove(0);
        let path = format!("/ethics/cases/{}", case.id);
        let portal = format!("/portal/ethics-cases/{}", case.id);
        assert_eq!(committee.submit(&path, &format!("{path}/intake"), &[("decision", "accept"), ("reason", "")]).await.status, 303);
        assert_eq!(committee.submit(&path, &format!("{path}/notify"), &[]).await.status, 303);

        // Notifying sets the last day to reply, shown to both sides and named in the e-mail.
        let due = long_date(reply_due_on(t.app.today(), REPLY_PERIOD_DAYS));
        let stored = t.db.store.ethics_case(&case.id).await.unwrap().unwrap();
        assert_eq!(stored.reply_due_on, Some(reply_due_on(t.app.today(), REPLY_PERIOD_DAYS).to_string()));
        let file = committee.get(&path).await;
        assert!(file.contains(&format!("Reply by {due}")), "{}", file.body);
        assert!(file.contains(&format!("They have until {due} to reply.")), "{}", file.body);
        let (_, notified) = t.last_mail(HOLDER).await;
        assert!(notified.contains(&due), "{notified}");
        let mine = holder.get(&portal).await;
        assert!(mine.contains(&format!("Reply by</dt><dd>{due}")), "{}", mine.body);

        // A suspension before the reply or its deadline is refused, with the message by the
        // sanction; the credential stays active.
        let reasons = "Further reports of late-night messages to a current client; clients may be at risk until the committee decides.";
        let suspend = [("sanction", "suspension"), ("reasons", reasons), ("notice", "")];
        let refused = committee.submit(&path, &format!("{path}/decide"), &suspend).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        let message = format!("The respondent has until {due} to reply; decide after their reply or after that day, or take an interim measure.");
        let sanction_field = refused.body.split("<legend>Sanction</legend>").nth(1).unwrap().split("</fieldset>").next().unwrap();
        assert!(sanction_field.contains(&message), "next to the sanction: {}", refused.body);
        assert!(refused.contains(reasons), "what was typed is kept");
        let api: serde_json::Value = serde_json::from_str(&public.get_json(&format!("/api/v1/credentials/{number}")).await.body).unwrap();
        assert_ne!(api["status"], "suspended", "{api}");
        assert_eq!(api["interim_suspension"], false);

        // Marked interim: only a suspension, with reasons of at least 30 characters.
        let short = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "suspension"), ("reasons", "Risk to clients."), ("interim", "yes")]).await;
        assert_eq!(short.status, 422);
        assert!(short.contains("in at least 30 characters"), "{}", short.body);
        let revoke = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "revocation"), ("reasons", reasons), ("notice", "Revoked."), ("interim", "yes")]).await;
        assert_eq!(revoke.status, 422);
        assert!(revoke.contains("Only a suspension can be taken as an interim measure"), "{}", revoke.body);
        let interim = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "suspension"), ("reasons", reasons), ("notice", ""), ("interim", "yes")]).await;
        assert_eq!(interim.location(), format!("{path}?done=interim"), "{}", interim.body);

        // At once: suspended, and labelled interim on the public record and in the API.
        let page = public.get(&format!("/verify/{number}")).await;
        assert!(page.contains(">suspended<"), "{}", page.body);
        assert!(page.contains("Interim suspension while an ethics complaint is considered"), "{}", page.body);
        let api: serde_json::Value = serde_json::from_str(&public.get_json(&format!("/api/v1/credentials/{number}")).await.body).unwrap();
        assert_eq!(api["status"], "suspended");
        assert_eq!(api["interim_suspension"], true);
        assert!(api["public_notice"].as_str().unwrap().starts_with("Interim suspension"), "{api}");
        // The respondent is told at once, by a link only, with no name in the subject.
        let (subject, mail) = t.last_mail(HOLDER).await;
        assert!(mail.contains("interim measure") && mail.contains(&portal), "{mail}");
        assert!(!mail.contains(reasons) && !mail.contains("late-night"), "no content: {mail}");
        assert!(subject.contains(&case.reference) && !subject.contains("Test Person"), "{subject}");
        let mine = holder.get(&portal).await;
        assert!(mine.contains("Interim suspension of your credential") && mine.contains(reasons), "{}", mine.body);
        // The case stays open, its history names the interim measure; once only.
        let file = committee.get(&path).await;
        assert!(file.contains("Interim suspension of the credential") && file.contains("Record the decision"), "{}", file.body);
        assert!(!file.contains("id=\"interim\""), "no second interim suspension offered");
        let again = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "suspension"), ("reasons", reasons), ("interim", "yes")]).await;
        assert_eq!(again.status, 422);
        assert!(again.contains("already suspended as an interim measure"), "{}", again.body);
        assert!(t.db.store.ethics_case(&case.id).await.unwrap().unwrap().status == app::ethics::cases::CaseState::RespondentNotified);

        // After the reply the committee decides: conditions, which lift the interim suspension.
        let replied = holder.post_multipart(&format!("{portal}/reply"), &[("csrf", &mine.csrf()), ("reply", "The messages were about rescheduling; I have stopped using my personal phone.")], &[]).await;
        assert_eq!(replied.status, 303, "{}", replied.body);
        let decided = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "conditions"), ("reasons", "Contact outside sessions breached the board's boundaries guidance."), ("conditions", "Use only the practice's phone; complete a boundaries course within three months.")]).await;
        assert_eq!(decided.location(), format!("{path}?done=decided"), "{}", decided.body);
        let page = public.get(&format!("/verify/{number}")).await;
        assert!(!page.contains(">suspended<"), "the suspension is lifted: {}", page.body);
        assert!(!page.contains("id=\"interim-suspension\""), "{}", page.body);
        assert!(page.contains(": Interim suspension while an ethics complaint is considered") && page.contains(": Reinstated"), "the record keeps both: {}", page.body);
        let actions = t.audit_actions().await;
        for action in ["ethics.interim_suspension", "credential.suspended", "credential.reinstated", "ethics.decided"] {
            assert!(actions.iter().any(|(a, _)| a == action), "{action}");
        }
    }

    async fn a_final_suspension_after_the_reply_replaces_the_interim_one(engine) {
        let t = TestApp::start(engine).await;
        let (holder, number) = professional(&t).await;
        let committee = t.signed_in("ethics@board.test", &[Role::EthicsCommittee]).await;
        let public = t.client();
        assert_eq!(complain(&public, &[("credential_number", &number)], &[]).await.status, 303);
        let case = t.db.store.ethics_cases().await.unwrap().remove(0);
        let path = format!("/ethics/cases/{}", case.id);
        let portal = format!("/portal/ethics-cases/{}", case.id);
        assert_eq!(committee.submit(&path, &format!("{path}/intake"), &[("decision", "accept"), ("reason", "")]).await.status, 303);
        assert_eq!(committee.submit(&path, &format!("{path}/notify"), &[]).await.status, 303);
        let reasons = "Further reports of late-night messages to a current client; clients may be at risk.";
        let interim = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "suspension"), ("reasons", reasons), ("notice", "Suspended pending the outcome of an ethics complaint."), ("interim", "yes")]).await;
        assert_eq!(interim.status, 303, "{}", interim.body);
        let page = public.get(&format!("/verify/{number}")).await;
        assert!(page.contains("Suspended pending the outcome of an ethics complaint.") && page.contains("id=\"interim-suspension\""), "{}", page.body);
        let mine = holder.get(&portal).await;
        let replied = holder.post_multipart(&format!("{portal}/reply"), &[("csrf", &mine.csrf()), ("reply", "I accept that I should not have messaged the client.")], &[]).await;
        assert_eq!(replied.status, 303);
        let notice = "Suspended for six months on the finding of the ethics committee.";
        let decided = committee.submit(&path, &format!("{path}/decide"), &[("sanction", "suspension"), ("reasons", "Repeated contact outside sessions, admitted in the reply."), ("notice", notice)]).await;
        assert_eq!(decided.location(), format!("{path}?done=decided"), "{}", decided.body);
        let page = public.get(&format!("/verify/{number}")).await;
        assert!(page.contains(">suspended<") && page.contains(notice), "{}", page.body);
        assert!(!page.contains("id=\"interim-suspension\""), "the final suspension is not interim: {}", page.body);
        let api: serde_json::Value = serde_json::from_str(&public.get_json(&format!("/api/v1/credentials/{number}")).await.body).unwrap();
        assert_eq!(api["interim_suspension"], false);
        assert_eq!(api["public_notice"], notice);
    }
}
