//! A credential's life after issuance, with a clock the tests move: renewal (the window, the
//! conversion rules and caps, the membership condition, the reproducible audit draw, staff
//! audit, extension), reminders (90/30/7 days and membership end, each sent once even with
//! rounds running side by side), expiry, and lapse (membership; a supervisor credential lapses
//! with its sex therapist credential), each seen at once by verification and the status list.
//! Both engines.

use crate::support::TestApp;
use app::credentialing::renewals::{CreditInput, RenewalOutcome};
use domain::Role;
use domain::credentialing::credential_status::CredentialStatus;
use store::both_engines;
use store::credentialing::evidence::MembershipRow;
use time::{Date, Duration};

const HOLDER: &str = "holder@practice.test";

async fn membership(t: &TestApp, user: &domain::UserId, from: Date, until: Option<Date>) {
    let row = MembershipRow {
        id: app::platform::random::id().unwrap(),
        kind: "professional".into(),
        valid_from: from.to_string(),
        valid_until: until.map(|d| d.to_string()),
        document_id: None,
    };
    t.db.store
        .insert_membership(user.as_str(), &row, t.app.now())
        .await
        .unwrap();
}

fn credit(method: &str, date: Date, hours: &str) -> CreditInput {
    CreditInput {
        method: method.into(),
        date: date.to_string(),
        hours: hours.into(),
        provider: "Midwest Institute".into(),
        title: "Seminar".into(),
    }
}

/// Sets this year's audit seed so that `renewal_id` is (or is not) drawn: the draw is a keyed
/// hash, so a test picks the seed rather than the outcome.
async fn seed_for(t: &TestApp, renewal_id: &str, chosen: bool) {
    let seed = (0..10_000)
        .map(|n| format!("seed-{n}"))
        .find(|seed| domain::credentialing::renewals::in_audit_sample(seed, renewal_id, 10) == chosen)
        .unwrap();
    t.db.store
        .put_setting(&format!("renewal.audit_seed.{}", t.app.today().year()), &seed)
        .await
        .unwrap();
}

async fn status_of(t: &TestApp, number: &str) -> CredentialStatus {
    t.app.verify_number(number).await.unwrap().status
}

async fn bit(t: &TestApp, purpose: app::credentialing::credentials::StatusPurpose, number: &str) -> bool {
    let credential = t.db.store.credential_by_number(number).await.unwrap().unwrap();
    let list = t.app.status_list(purpose, 1).await.unwrap();
    use base64::Engine as _;
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(list.token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let bits = domain::credentialing::status_list::StatusList::decode(
        payload["credentialSubject"]["encodedList"].as_str().unwrap(),
    )
    .unwrap();
    bits.get((credential.status_index % app::credentialing::credentials::LIST_SIZE) as usize)
        .unwrap()
}

both_engines! {
    async fn renewal_opens_counts_by_the_rules_and_extends_the_credential(engine) {
        let t = TestApp::start(engine).await;
        let meta = app::RequestMeta::default();
        let user = t.user(HOLDER, &[Role::Candidate]).await;
        let today = t.app.today();
        membership(&t, &user, today - Duration::days(2000), None).await;
        let until = today + Duration::days(200);
        let credential = t.app.record_existing_credential(&user, "CSE", until - Duration::days(3 * 365), until).await.unwrap();
        let number = credential.number.clone();
        let holder = t.actor(HOLDER).await;

        // Closed until six months before the end.
        let view = t.app.renewal_view(&holder, &number, &meta).await.unwrap();
        assert!(!view.open_now);
        assert!(view.closed_because.unwrap().starts_with("Renewal opens on"), "closed before the window");
        assert!(matches!(t.app.add_renewal_credit(&holder, &number, &credit("approved", today, "5"), &meta).await, Err(app::AppError::Refused(_))));
        t.clock.advance(Duration::days(30));
        let today = t.app.today();
        assert!(t.app.renewal_view(&holder, &number, &meta).await.unwrap().open_now);

        // Bad input is named by field; nothing is stored.
        let Err(app::AppError::Validation(errors)) = t.app.add_renewal_credit(&holder, &number, &credit("astrology", today + Duration::days(3), "x"), &meta).await else { panic!("refused") };
        assert!(errors.get("method").is_some() && errors.get("date").unwrap().contains("future") && errors.get("hours").is_some());

        // Non-approved CE counts at half value, capped at 5; too few approved credits block.
        t.app.add_renewal_credit(&holder, &number, &credit("non_approved_ce", today - Duration::days(10), "14"), &meta).await.unwrap();
        t.app.add_renewal_credit(&holder, &number, &credit("approved", today - Duration::days(9), "4"), &meta).await.unwrap();
        let view = t.app.renewal_view(&holder, &number, &meta).await.unwrap();
        assert_eq!(view.assessment.total.to_string(), "9");
        assert!(view.assessment.notices.iter().any(|n| n.contains("14 hours give 7 credits, but at most 5 count")), "{:?}", view.assessment.notices);
        let Err(app::AppError::Blocked(missing)) = t.app.submit_renewal(&holder, &number, &meta).await else { panic!("blocked") };
        assert!(missing.iter().any(|m| m.contains("11")), "{missing:?}");

        // Enough credits: submitted, not drawn for audit, approved at once: three more years.
        t.app.add_renewal_credit(&holder, &number, &credit("approved", today - Duration::days(8), "11"), &meta).await.unwrap();
        let renewal = t.db.store.renewal_for_cycle(&credential.id, &credential.valid_until).await.unwrap().unwrap();
        seed_for(&t, &renewal.id, false).await;
        let outcome = t.app.submit_renewal(&holder, &number, &meta).await.unwrap();
        let extended = domain::credentialing::programs::add_years(until, 3);
        assert_eq!(outcome, RenewalOutcome::Approved { valid_until: extended });
        assert_eq!(t.app.verify_number(&number).await.unwrap().valid_until, extended);
        assert!(t.app.public_history(&number).await.unwrap().iter().any(|(_, label, _)| label == "Renewed"));
        let draws: Vec<_> = t.audit_actions().await.into_iter().filter(|(a, _)| a == "renewal.audit_draw").collect();
        assert_eq!(draws.len(), 1, "the draw is logged");

        // Another holder is drawn for audit: staff return it, then approve it.
        let other = t.user("second@practice.test", &[Role::Candidate]).await;
        membership(&t, &other, today - Duration::days(2000), None).await;
        let second_until = today + Duration::days(60);
        let second = t.app.record_existing_credential(&other, "CST", second_until - Duration::days(3 * 365), second_until).await.unwrap();
        let second_holder = t.actor("second@practice.test").await;
        t.app.add_renewal_credit(&second_holder, &second.number, &credit("approved", today - Duration::days(5), "20"), &meta).await.unwrap();
        let renewal = t.db.store.renewal_for_cycle(&second.id, &second.valid_until).await.unwrap().unwrap();
        seed_for(&t, &renewal.id, true).await;
        assert_eq!(t.app.submit_renewal(&second_holder, &second.number, &meta).await.unwrap(), RenewalOutcome::Audit);
        t.user("registrar@board.test", &[Role::BoardStaff]).await;
        let staff = t.actor("registrar@board.test").await;
        assert!(matches!(t.app.renewal_audit_queue(&second_holder, &meta).await, Err(app::AppError::Forbidden(_))));
        let queue = t.app.renewal_audit_queue(&staff, &meta).await.unwrap();
        assert_eq!(queue.len(), 1);
        assert!(matches!(t.app.decide_audited_renewal(&staff, &renewal.id, false, "", &meta).await, Err(app::AppError::Validation(_))));
        t.app.decide_audited_renewal(&staff, &renewal.id, false, "Please attach the certificates of attendance.", &meta).await.unwrap();
        let view = t.app.renewal_view(&second_holder, &second.number, &meta).await.unwrap();
        assert_eq!(view.renewal.unwrap().decision_note.as_deref(), Some("Please attach the certificates of attendance."));

        // The return e-mail leads the holder to the renewal itself, where they answer it with
        // a certificate on the credit.
        let renewal_page = format!("/portal/credentials/{}/renewal", second.number);
        assert_eq!(t.last_mail("second@practice.test").await.0, "Certification: Your renewal needs a correction");
        assert_eq!(t.link_in_mail("second@practice.test", "/portal/credentials/").await, renewal_page);
        let browser = t.client();
        browser.sign_in("second@practice.test", crate::support::PASSWORD).await;
        let returned = browser.get(&renewal_page).await;
        assert_eq!(returned.status, 200, "{}", returned.body);
        assert!(returned.contains("Please attach the certificates of attendance.") && returned.contains("Answer it here"), "{}", returned.body);
        let entry = view.entries[0].id.clone();
        let attach_to = format!("credits:{entry}");
        let attached = browser
            .post_multipart("/portal/documents", &[("csrf", &returned.csrf()), ("kind", "certificate"), ("attach_to", &attach_to), ("return_to", &renewal_page)], &[("file", "attendance.pdf", crate::credentialing::documents::pdf("Certificate of attendance", false))])
            .await;
        assert_eq!((attached.status, attached.location()), (303, format!("{renewal_page}?uploaded=1")), "{}", attached.body);
        let document = t.db.store.renewal_entries(&renewal.id).await.unwrap()[0].document_id.clone().expect("the certificate is on the credit");
        assert!(browser.get(&renewal_page).await.contains(&format!("/documents/{document}")), "the holder sees it attached");
        // Another person's credit cannot take a certificate.
        let intruder = t.signed_in("intruder@practice.test", &[Role::Candidate]).await;
        let form = intruder.get("/portal/documents").await;
        let refused = intruder.post_multipart("/portal/documents", &[("csrf", &form.csrf()), ("kind", "certificate"), ("attach_to", &attach_to)], &[("file", "x.pdf", crate::credentialing::documents::pdf("x", false))]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);

        // Submitted again, it goes back to the staff who returned it (no new draw).
        assert_eq!(t.app.submit_renewal(&second_holder, &second.number, &meta).await.unwrap(), RenewalOutcome::Audit);
        let desk = t.signed_in("auditor@board.test", &[Role::BoardStaff]).await;
        let queue_page = desk.get("/admin/renewals").await;
        assert!(queue_page.contains("The holder answered your return") && queue_page.contains("Board-approved continuing education"), "names, not codes: {}", queue_page.body);
        assert!(queue_page.contains(&format!("href=\"/documents/{document}\"")), "staff open the certificate: {}", queue_page.body);
        let (status, _, bytes) = desk.get_bytes(&format!("/documents/{document}")).await;
        assert_eq!(status, 200);
        assert!(bytes.starts_with(b"%PDF-"));
        t.app.decide_audited_renewal(&staff, &renewal.id, true, "", &meta).await.unwrap();
        assert_eq!(t.app.verify_number(&second.number).await.unwrap().valid_until, domain::credentialing::programs::add_years(second_until, 3));
        assert!(t.last_mail("second@practice.test").await.1.contains("checked and approved"));
        let approved_link = t.link_in_mail("second@practice.test", "/portal/credentials/").await;
        let approved = browser.get(&approved_link).await;
        assert_eq!(approved.status, 200);
        assert!(approved.contains("This renewal was approved: your credential now runs until"), "{}", approved.body);

        // Someone else cannot renew a holder's credential.
        assert!(matches!(t.app.renewal_view(&staff, &number, &meta).await, Err(app::AppError::Forbidden(_))));
    }

    async fn reminders_go_out_once_and_expiry_shows_at_once(engine) {
        let t = TestApp::start(engine).await;
        let user = t.user(HOLDER, &[Role::Candidate]).await;
        let today = t.app.today();
        membership(&t, &user, today - Duration::days(2000), None).await;
        let until = today + Duration::days(95);
        let credential = t.app.record_existing_credential(&user, "CSE", until - Duration::days(3 * 365), until).await.unwrap();
        let number = credential.number;

        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 0, "nothing due 95 days before");
        t.clock.advance(Duration::days(5));
        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 1, "the 90-day reminder");
        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 0, "sent once");
        let (subject, body) = t.last_mail(HOLDER).await;
        assert!(subject.contains("ends in 90 days") && body.contains(&number), "{subject}");

        // Two nodes' rounds side by side at 30 days: one reminder between them.
        t.clock.advance(Duration::days(60));
        let (a, b) = tokio::join!(t.app.run_lifecycle_round(), t.app.run_lifecycle_round());
        assert_eq!(a.unwrap() + b.unwrap(), 1);
        // After downtime, only the nearest reminder is sent (at 5 days left: the 7-day one).
        t.clock.advance(Duration::days(25));
        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 1);
        let keys: Vec<String> = t.db.store.recent_reminders(10).await.unwrap().into_iter().map(|r| r.reminder_key).collect();
        assert_eq!(keys.len(), 3);
        assert!(keys.iter().any(|k| k.starts_with("expiry-7:")) && keys.iter().any(|k| k.starts_with("expiry-30:")));

        // The day after the end: expired, everywhere at once; no more reminders.
        assert_eq!(status_of(&t, &number).await, CredentialStatus::Active);
        t.clock.advance(Duration::days(6));
        assert_eq!(status_of(&t, &number).await, CredentialStatus::Expired);
        let page = t.client().get(&format!("/verify/{number}")).await;
        assert!(page.contains(">expired<"), "{}", page.body);
        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 0);

        // Staff see the reminders; others do not.
        let staff = t.signed_in("registrar@board.test", &[Role::BoardStaff]).await;
        let log = staff.get("/admin/reminders").await;
        assert_eq!(log.status, 200);
        assert!(log.contains("Credential ends in 90 days or fewer") && log.contains("Last round: 2"), "{}", log.body);
        // A staff list: counted, searched, filtered and sorted.
        assert!(log.contains("Showing 1\u{2013}3 of 3"), "{}", log.body);
        let seven = staff.get("/admin/reminders?q=expiry-7").await;
        assert!(seven.contains("Showing 1\u{2013}1 of 1") && seven.contains("Credential ends in 7 days or fewer"), "{}", seven.body);
        let none = staff.get("/admin/reminders?kind=membership").await;
        assert!(none.contains("No reminders match."), "{}", none.body);
        let oldest_first = staff.get("/admin/reminders?sort=sent&dir=asc").await;
        let at = |needle: &str| oldest_first.body.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("ends in 90 days") < at("ends in 7 days"), "oldest first when asked");
        let holder = t.client();
        holder.sign_in(HOLDER, crate::support::PASSWORD).await;
        assert_eq!(holder.get("/admin/reminders").await.status, 403);
        // Every reminder's link answers its addressee.
        assert!(t.follow_mail_links(HOLDER, &holder).await > 0);
    }

    async fn a_membership_lapse_lapses_credentials_and_the_supervisor_one_with_them(engine) {
        let t = TestApp::start(engine).await;
        let user = t.user(HOLDER, &[Role::Candidate, Role::Supervisor]).await;
        let today = t.app.today();
        membership(&t, &user, today - Duration::days(2000), Some(today + Duration::days(10))).await;
        let cst = t.app.record_existing_credential(&user, "CST", today - Duration::days(900), today + Duration::days(200)).await.unwrap();
        let supervisor = t.app.record_existing_credential(&user, "CST-S", today - Duration::days(300), today + Duration::days(700)).await.unwrap();
        // Someone whose credential expired before their membership ended: it shows as expired,
        // not lapsed, so no "lapsed" e-mail goes to them.
        let expired_holder = t.user("expired.holder@example.org", &[Role::Candidate]).await;
        membership(&t, &expired_holder, today - Duration::days(2000), Some(today + Duration::days(5))).await;
        let expired = t.app.record_existing_credential(&expired_holder, "CST", today - Duration::days(1100), today - Duration::days(20)).await.unwrap();
        use app::credentialing::credentials::StatusPurpose::Suspension;
        assert_eq!(status_of(&t, &cst.number).await, CredentialStatus::Active);
        assert_eq!(status_of(&t, &supervisor.number).await, CredentialStatus::Active);
        assert!(!bit(&t, Suspension, &cst.number).await);

        t.clock.advance(Duration::days(11));
        assert_eq!(status_of(&t, &cst.number).await, CredentialStatus::Lapsed);
        assert_eq!(status_of(&t, &supervisor.number).await, CredentialStatus::Lapsed, "lapses with the CST");
        assert!(bit(&t, Suspension, &cst.number).await, "a lapse sets the suspension bit");
        assert!(bit(&t, Suspension, &supervisor.number).await);
        assert_eq!(status_of(&t, &expired.number).await, CredentialStatus::Expired);
        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 1, "one membership reminder for both credentials, none for the expired one");
        assert!(t.last_mail(HOLDER).await.0.contains("membership has ended"));
        assert!(t.db.store.recent_emails(Some("expired.holder@example.org"), 5).await.unwrap().is_empty(), "an expired credential is not called lapsed");
        assert_eq!(t.app.run_lifecycle_round().await.unwrap(), 0);

        // Renewing the membership reinstates both at once.
        membership(&t, &user, t.app.today(), Some(t.app.today() + Duration::days(365))).await;
        assert_eq!(status_of(&t, &cst.number).await, CredentialStatus::Active);
        assert_eq!(status_of(&t, &supervisor.number).await, CredentialStatus::Active);
        assert!(!bit(&t, Suspension, &supervisor.number).await);

        // A suspension of the CST also takes the supervisor credential out of good standing.
        t.user("registrar@board.test", &[Role::BoardStaff]).await;
        let staff = t.actor("registrar@board.test").await;
        let meta = app::RequestMeta::default();
        t.app.change_credential_status(&staff, &cst.number, app::credentialing::credentials::StatusAction::Suspend, "Ethics case.", "Suspended pending an ethics case.", &meta).await.unwrap();
        assert_eq!(status_of(&t, &supervisor.number).await, CredentialStatus::Lapsed);
        // Undo for an action made in error keeps the history.
        t.app.change_credential_status(&staff, &cst.number, app::credentialing::credentials::StatusAction::UndoError, "Wrong person.", "", &meta).await.unwrap();
        assert_eq!(status_of(&t, &cst.number).await, CredentialStatus::Active);
        let history = t.app.public_history(&cst.number).await.unwrap();
        let labels: Vec<&str> = history.iter().map(|(_, l, _)| l.as_str()).collect();
        assert_eq!(labels, ["Issued", "Suspended", "Corrected: an earlier action was made in error"]);
    }
}

both_engines! {
    async fn a_holder_near_the_end_is_prompted_to_renew_everywhere_they_look(engine) {
        let t = TestApp::start(engine).await;
        let user = t.user(HOLDER, &[Role::Candidate]).await;
        let today = t.app.today();
        membership(&t, &user, today - Duration::days(2000), None).await;
        let until = today + Duration::days(20);
        let credential = t.app.record_existing_credential(&user, "CSC", until - Duration::days(3 * 365), until).await.unwrap();
        let holder = t.client();
        holder.sign_in(HOLDER, crate::support::PASSWORD).await;
        let sentence = format!("ends in 20 days, on {}", app::credentialing::credentials::long_date(until));
        let renew = format!("href=\"/portal/credentials/{}/renewal\"", credential.number);
        for path in ["/dashboard", "/portal/credentials", "/portal"] {
            let page = holder.get(path).await;
            assert_eq!(page.status, 200, "{path}");
            assert!(page.contains(&sentence) && page.contains(&renew), "{path} prompts the renewal: {}", page.body);
        }
        let file = holder.get("/portal").await;
        assert!(!file.contains("You have not chosen a credential yet") && file.contains(&format!("You hold {}", credential.number)), "{}", file.body);

        // Once submitted (and approved here), the prompt goes.
        let meta = app::RequestMeta::default();
        let actor = t.actor(HOLDER).await;
        t.app.add_renewal_credit(&actor, &credential.number, &credit("approved", today - Duration::days(5), "20"), &meta).await.unwrap();
        let renewal = t.db.store.renewal_for_cycle(&credential.id, &credential.valid_until).await.unwrap().unwrap();
        seed_for(&t, &renewal.id, false).await;
        t.app.submit_renewal(&actor, &credential.number, &meta).await.unwrap();
        assert!(!holder.get("/dashboard").await.contains("Renew it now"));
    }
}
