//! Supervision over HTTP: contracts signed by both, sessions countersigned or rejected, groups
//! approved by staff, and who may see what; on both engines.

use crate::support::{Browser, TestApp};
use domain::Role;
use store::both_engines;

/// Gives a supervisor a current supervisor credential, license and insurance.
pub(crate) async fn certify_supervisor(t: &TestApp, user: &domain::UserId, number: &str) {
    let at = t.app.now();
    let id = user.to_string();
    t.db.store
        .insert_credential(
            &store::credentialing::evidence::CredentialRow {
                id: app::platform::random::id().unwrap(),
                user_id: id.clone(),
                program_code: "CST-S".into(),
                number: number.into(),
                valid_from: "2024-01-01".into(),
                valid_until: "2099-12-31".into(),
                status: "active".into(),
            },
            at,
        )
        .await
        .unwrap();
    t.db.store
        .insert_license(
            &id,
            &store::credentialing::evidence::LicenseRow {
                id: app::platform::random::id().unwrap(),
                profession: "psychology".into(),
                jurisdiction: "Ontario".into(),
                number: "S-1".into(),
                valid_from: "2020-01-01".into(),
                valid_until: Some("2099-12-31".into()),
                document_id: None,
            },
            at,
        )
        .await
        .unwrap();
    t.db.store
        .insert_insurance(
            &id,
            &store::credentialing::evidence::InsuranceRow {
                id: app::platform::random::id().unwrap(),
                carrier: "Guardian Mutual".into(),
                policy_number: "G-1".into(),
                valid_from: "2020-01-01".into(),
                valid_until: Some("2099-12-31".into()),
                document_id: None,
            },
            at,
        )
        .await
        .unwrap();
}

async fn submit(browser: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> crate::support::Page {
    browser.submit(page, action, fields).await
}

both_engines! {
    async fn a_contract_signed_by_both_and_countersigned_sessions_count(engine) {
        let t = TestApp::start(engine).await;
        let candidate = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let supervisor = t.signed_in("rivera@example.org", &[Role::Supervisor]).await;
        let rivera = t.db.store.user_by_email(&domain::EmailAddress::parse("rivera@example.org").unwrap()).await.unwrap().unwrap();
        let uncertified = t.signed_in("new.sup@example.org", &[Role::Supervisor]).await;
        let _ = uncertified;
        let today = t.app.today();
        let start = (today - time::Duration::days(60)).to_string();

        // Not a supervisor's address, then a supervisor without a current credential.
        let fields = |email: &'static str| vec![("supervisor_email", email), ("program", "CST"), ("starts_on", "2026-01-01"), ("primary", "yes"), ("accept_notice", "yes"), ("accept_no_guarantee", "yes")];
        let nobody = submit(&candidate, "/portal/supervision", "/portal/supervision/contracts", &fields("nobody@example.org")).await;
        assert_eq!(nobody.status, 422);
        assert!(nobody.contains("No certified supervisor uses this address"));
        assert_eq!(nobody.input_value("supervisor_email"), "nobody@example.org");
        let lapsed = submit(&candidate, "/portal/supervision", "/portal/supervision/contracts", &fields("new.sup@example.org")).await;
        assert!(lapsed.contains("does not hold a current supervisor credential"), "{}", lapsed.body);

        certify_supervisor(&t, &rivera.id, "CSTS-1").await;
        let form = candidate.get("/portal/supervision").await;
        let requested = candidate.post("/portal/supervision/contracts", &[
            ("csrf", &form.csrf()), ("supervisor_email", "rivera@example.org"), ("program", "CST"), ("starts_on", &start),
            ("primary", "yes"), ("accept_notice", "yes"), ("accept_no_guarantee", "yes"),
        ]).await;
        assert_eq!(requested.location(), "/portal/supervision?done=requested", "{}", requested.body);
        let (subject, body) = t.last_mail("rivera@example.org").await;
        assert_eq!(subject, "A candidate asks you to be their supervisor", "no display name in a subject");
        let candidate_name = t.actor("amara@example.org").await.display_name;
        assert!(body.contains(&format!("{candidate_name} asks you to be their supervisor")), "{body}");
        let link = t.link_in_mail("rivera@example.org", "/supervision/contracts/").await;

        // A second primary supervisor is refused.
        let other_sup = t.user("second@example.org", &[Role::Supervisor]).await;
        certify_supervisor(&t, &other_sup, "CSTS-2").await;
        let second = candidate.post("/portal/supervision/contracts", &[
            ("csrf", &form.csrf()), ("supervisor_email", "second@example.org"), ("program", "CST"), ("starts_on", &start),
            ("primary", "yes"), ("accept_notice", "yes"), ("accept_no_guarantee", "yes"),
        ]).await;
        assert_eq!(second.status, 422);
        assert!(second.contains("is already your primary supervisor"), "{}", second.body);

        // Another supervisor cannot open or sign the contract.
        let stranger = t.signed_in("stranger@example.org", &[Role::Supervisor]).await;
        assert_eq!(stranger.get(&link).await.status, 403);
        let page = supervisor.get(&link).await;
        assert_eq!(page.status, 200);
        assert!(page.contains("does not guarantee certification"));
        let forged = stranger.post(&format!("{link}/sign"), &[("csrf", &stranger.get("/dashboard").await.csrf()), ("accept", "yes")]).await;
        assert_eq!(forged.status, 403);
        // The candidate cannot log before the supervisor signs.
        let contract_id = link.rsplit('/').next().unwrap().to_owned();
        let early = candidate.post("/portal/supervision/sessions", &[
            ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", &today.to_string()), ("hours", "2"), ("format", "individual"),
        ]).await;
        assert_eq!(early.status, 422);
        assert!(early.contains("Your supervisor has not signed this contract yet"), "{}", early.body);

        let unticked = supervisor.post(&format!("{link}/sign"), &[("csrf", &page.csrf())]).await;
        assert_eq!(unticked.status, 422);
        let signed = supervisor.post(&format!("{link}/sign"), &[("csrf", &page.csrf()), ("accept", "yes")]).await;
        assert_eq!(signed.location(), "/supervision?done=signed");
        // Let the contract have been signed before supervision started, months ago.
        let sql = format!(
            "UPDATE supervision_contracts SET candidate_signed_at = '2026-01-01T00:00:00.000000Z', \
             supervisor_signed_at = '2026-01-02T00:00:00.000000Z' WHERE id = '{contract_id}'"
        );
        let backdated = t.db.execute(&sql).await;
        assert_eq!(backdated, 1);

        // Sessions: one before the contract's start is refused; two are logged.
        let form = candidate.get("/portal/supervision").await;
        let before = (today - time::Duration::days(90)).to_string();
        let refused = candidate.post("/portal/supervision/sessions", &[
            ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", &before), ("hours", "2"), ("format", "individual"),
        ]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.contains("There was no valid contract on that day"), "{}", refused.body);
        assert_eq!(refused.input_value("hours"), "2");
        for (date, hours) in [(today - time::Duration::days(1), "2"), (today, "1.5")] {
            let logged = candidate.post("/portal/supervision/sessions", &[
                ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", &date.to_string()), ("hours", hours), ("format", "individual"), ("topic", "case formulation"),
            ]).await;
            assert_eq!(logged.location(), "/portal/supervision?done=logged", "{}", logged.body);
        }
        let twice = candidate.post("/portal/supervision/sessions", &[
            ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", &today.to_string()), ("hours", "1"), ("format", "individual"),
        ]).await;
        assert!(twice.contains("You already logged a session with this supervisor on that day"));

        // The supervisor's queue: countersign one, reject the other with a reason.
        let desk = supervisor.get("/supervision").await;
        assert!(desk.contains("Sessions to countersign (2)"), "{}", desk.body);
        let sessions = t.db.store.supervision_sessions(std::slice::from_ref(&contract_id)).await.unwrap();
        let (first, second) = (&sessions[0].id, &sessions[1].id);
        assert_eq!(stranger.post(&format!("/supervision/sessions/{first}/countersign"), &[("csrf", &stranger.get("/dashboard").await.csrf())]).await.status, 403);
        assert_eq!(supervisor.post(&format!("/supervision/sessions/{first}/countersign"), &[("csrf", &desk.csrf())]).await.location(), "/supervision?done=countersigned");
        let no_reason = supervisor.post(&format!("/supervision/sessions/{second}/reject"), &[("csrf", &desk.csrf()), ("reason", "")]).await;
        assert_eq!(no_reason.status, 422);
        assert!(no_reason.contains("Say why you reject this session"));
        assert_eq!(supervisor.post(&format!("/supervision/sessions/{second}/reject"), &[("csrf", &desk.csrf()), ("reason", "We met for one hour only")]).await.location(), "/supervision?done=rejected");
        let again = supervisor.post(&format!("/supervision/sessions/{first}/countersign"), &[("csrf", &desk.csrf())]).await;
        assert_eq!(again.status, 409);
        assert!(again.contains("already decided"));

        let mine = candidate.get("/portal/supervision").await;
        assert!(mine.contains("We met for one hour only"));
        assert!(mine.contains("2 hours countersigned"), "{}", mine.body);
        let progress = candidate.get("/portal/progress/CST").await;
        assert!(progress.contains("because you held no valid license that day"), "hours without a license do not count");
        let amara = t.db.store.user_by_email(&domain::EmailAddress::parse("amara@example.org").unwrap()).await.unwrap().unwrap();
        certify_supervisor(&t, &amara.id, "not-a-supervisor-credential-but-harmless").await;
        let progress = candidate.get("/portal/progress/CST").await;
        assert!(progress.contains("2 of 50 hours counted, 48 to go"), "{}", progress.body);

        // Groups: too large is refused; staff approve; a group session can then be logged.
        let desk = supervisor.get("/supervision").await;
        let big = supervisor.post("/supervision/groups", &[("csrf", &desk.csrf()), ("name", "Thursday group"), ("size", "5")]).await;
        assert_eq!(big.status, 422);
        assert!(big.contains("at most 4 supervisees"));
        assert_eq!(supervisor.post("/supervision/groups", &[("csrf", &desk.csrf()), ("name", "Thursday group"), ("size", "3")]).await.location(), "/supervision?done=group");
        assert_eq!(candidate.get("/admin/supervision-groups").await.status, 403);
        let staff = t.signed_in("staff@board.example", &[Role::BoardStaff]).await;
        let groups = staff.get("/admin/supervision-groups").await;
        assert!(groups.contains("Thursday group"));
        let group_id = t.db.store.groups(None).await.unwrap()[0].id.clone();
        let approved = staff.post(&format!("/admin/supervision-groups/{group_id}"), &[("csrf", &groups.csrf()), ("decision", "approve"), ("note", "Approved for peer consultation on Thursdays.")]).await;
        assert_eq!(approved.location(), "/admin/supervision-groups?done=decided");
        // The staff note reaches the supervisor: the e-mail points to it, the desk shows it.
        let (_, told) = t.last_mail("rivera@example.org").await;
        assert!(told.contains("The board added a note") && !told.contains("peer consultation"), "{told}");
        let desk = supervisor.get("/supervision").await;
        assert!(desk.contains("Thursday group: 3 supervisees, approved. The board's note: Approved for peer consultation on Thursdays."), "{}", desk.body);
        let form = candidate.get("/portal/supervision").await;
        assert!(form.contains("Thursday group (3 supervisees)"));
        let date = (today - time::Duration::days(2)).to_string();
        let group_session = candidate.post("/portal/supervision/sessions", &[
            ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", &date), ("hours", "1"), ("format", "group"), ("group_id", &group_id),
        ]).await;
        assert_eq!(group_session.location(), "/portal/supervision?done=logged", "{}", group_session.body);

        // Either party ends the contract with notice.
        let contract = candidate.get(&link).await;
        let ended = candidate.post(&format!("{link}/end"), &[("csrf", &contract.csrf()), ("reason", "moving abroad")]).await;
        assert_eq!(ended.location(), link);
        let after = candidate.get(&link).await;
        assert!(after.contains(&format!("last day {}", today + time::Duration::days(30))), "{}", after.body);
        let actions = t.audit_actions().await;
        for action in ["supervision.contract_requested", "supervision.contract_signed", "supervision.session_countersigned", "supervision.session_rejected", "supervision.group_approved", "supervision.contract_ended"] {
            assert!(actions.iter().any(|(a, _)| a == action), "{action} audited");
        }
        // Every link in every e-mail of this journey answers its addressee.
        assert!(t.follow_mail_links("amara@example.org", &candidate).await > 0);
        assert!(t.follow_mail_links("rivera@example.org", &supervisor).await > 0);
    }

    async fn a_supervisor_sees_only_their_supervisees(engine) {
        let t = TestApp::start(engine).await;
        let amara = t.user("amara@example.org", &[Role::Candidate]).await;
        let mine = t.user("mine@example.org", &[Role::Supervisor]).await;
        let theirs = t.user("theirs@example.org", &[Role::Supervisor]).await;
        let contract = store::credentialing::supervision::ContractRow {
            id: "c-mine-0000000001".into(), candidate_id: amara.to_string(), supervisor_id: Some(mine.to_string()),
            supervisor_email: "mine@example.org".into(), program_code: "CST".into(), starts_on: "2026-01-01".into(),
            is_primary: true, notice_days: 30, terms: "t".into(), candidate_signed_at: Some(t.app.now()), supervisor_signed_at: None,
            declined_at: None, ended_by: None, end_noticed_at: None, ends_on: None, end_reason: None, created_at: t.app.now(),
        };
        t.db.store.insert_contract(&contract).await.unwrap();
        let actor = |id: &domain::UserId, email: &str| app::Actor {
            user_id: id.clone(), email: domain::EmailAddress::parse(email).unwrap(), display_name: "S".into(),
            roles: vec![Role::Supervisor], session_id: domain::SessionId::parse(&app::platform::random::id().unwrap()).unwrap(),
            mfa_enabled: true, email_verified: true, is_demo: false,
        };
        let meta = app::RequestMeta::default();
        assert!(t.app.progress(&actor(&mine, "mine@example.org"), &amara, "CST", &meta).await.is_ok(), "their own supervisee");
        let other = t.app.progress(&actor(&theirs, "theirs@example.org"), &amara, "CST", &meta).await;
        assert!(matches!(other, Err(app::AppError::Forbidden(_))), "{other:?}");
        let desk = t.app.supervisor_desk(&actor(&theirs, "theirs@example.org"), &meta).await.unwrap();
        assert!(desk.contracts.is_empty() && desk.pending.is_empty());
        assert!(desk.warnings.iter().any(|w| w.contains("supervisor credential is not current")));

        // A supervisee's license running out mid-contract is flagged on the supervisor's desk.
        t.db.store.sign_contract_as_supervisor("c-mine-0000000001", mine.as_str(), "mine@example.org", t.app.now()).await.unwrap();
        let until = t.app.today() + time::Duration::days(10);
        t.db.store.insert_license(amara.as_str(), &store::credentialing::evidence::LicenseRow {
            id: app::platform::random::id().unwrap(), profession: "psychology".into(), jurisdiction: "Ontario".into(), number: "P-9".into(),
            valid_from: "2020-01-01".into(), valid_until: Some(until.to_string()), document_id: None,
        }, t.app.now()).await.unwrap();
        let desk = t.app.supervisor_desk(&actor(&mine, "mine@example.org"), &meta).await.unwrap();
        assert!(desk.warnings.iter().any(|w| w.contains(&format!("license expires on {until}: their clinical and supervision hours after that date do not count"))), "{:?}", desk.warnings);
    }
    async fn one_rule_for_when_sessions_count_a_corrected_session_and_a_reasoned_decline(engine) {
        let t = TestApp::start(engine).await;
        let rule = app::credentialing::supervision::COUNTS_FROM_RULE;
        let candidate = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let supervisor = t.signed_in("rivera@example.org", &[Role::Supervisor]).await;
        let rivera = t.actor("rivera@example.org").await;
        certify_supervisor(&t, &rivera.user_id, "CSTS-1").await;
        let today = t.app.today();

        // The form states the rule where the start date is chosen.
        let form = candidate.get("/portal/supervision").await;
        assert!(form.contains(&format!("<p class=\"hint\" id=\"starts_on-hint\">{rule}</p>")), "{}", form.body);
        // A start date long past is accepted; the pages then say when sessions really count.
        let requested = candidate.post("/portal/supervision/contracts", &[
            ("csrf", &form.csrf()), ("supervisor_email", "rivera@example.org"), ("program", "CST"), ("starts_on", "2020-01-01"),
            ("primary", "yes"), ("accept_notice", "yes"), ("accept_no_guarantee", "yes"),
        ]).await;
        assert_eq!(requested.location(), "/portal/supervision?done=requested", "{}", requested.body);
        let link = t.link_in_mail("rivera@example.org", "/supervision/contracts/").await;
        let contract_id = link.rsplit('/').next().unwrap().to_owned();
        let unsigned = candidate.get(&link).await;
        assert!(unsigned.contains("the day both parties have signed, and not before 2020-01-01"), "{}", unsigned.body);
        let page = supervisor.get(&link).await;
        assert_eq!(supervisor.post(&format!("{link}/sign"), &[("csrf", &page.csrf()), ("accept", "yes")]).await.location(), "/supervision?done=signed");
        let signed = candidate.get(&link).await;
        assert!(signed.contains(&format!("<dt>Sessions count from</dt><dd>{today}<p class=\"hint\">{rule}</p></dd>")), "{}", signed.body);
        let (_, told) = t.last_mail("amara@example.org").await;
        assert!(told.contains(&format!("Sessions from {today} can now be logged. {rule}")), "{told}");
        let form = candidate.get("/portal/supervision").await;
        assert!(form.contains(&format!("(CST, from {today})")), "the contract is offered from the day sessions count: {}", form.body);
        assert!(form.contains(&format!("<p class=\"hint\" id=\"date-hint\">{rule}</p>")), "the session form states it too");
        // A session from before the signing day is refused with the same words.
        let early = candidate.post("/portal/supervision/sessions", &[
            ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", "2020-06-01"), ("hours", "2"), ("format", "individual"),
        ]).await;
        assert_eq!(early.status, 422);
        assert!(early.contains(&format!("There was no valid contract on that day. {rule} For this contract that is {today}.")), "{}", early.body);

        // A rejected session is corrected and sent again; the rejection stays in the history.
        let logged = candidate.post("/portal/supervision/sessions", &[
            ("csrf", &form.csrf()), ("contract_id", &contract_id), ("date", &today.to_string()), ("hours", "2"), ("format", "individual"), ("topic", "case formulation"),
        ]).await;
        assert_eq!(logged.location(), "/portal/supervision?done=logged", "{}", logged.body);
        let rejected_id = t.db.store.supervision_sessions(std::slice::from_ref(&contract_id)).await.unwrap()[0].id.clone();
        let desk = supervisor.get("/supervision").await;
        assert_eq!(supervisor.post(&format!("/supervision/sessions/{rejected_id}/reject"), &[("csrf", &desk.csrf()), ("reason", "We met for one hour only")]).await.location(), "/supervision?done=rejected");
        let (_, sent_back) = t.last_mail("amara@example.org").await;
        assert!(!sent_back.contains("one hour only") && sent_back.contains("Read why"), "the reason stays in Sensate: {sent_back}");
        let correct = format!("/portal/supervision/sessions/{rejected_id}/correct");
        let mine = candidate.get("/portal/supervision").await;
        assert!(mine.contains("We met for one hour only") && mine.contains(&format!("href=\"{correct}\"")), "{}", mine.body);
        let stranger = t.signed_in("jordan@example.org", &[Role::Candidate]).await;
        assert_eq!(stranger.get(&correct).await.status, 403, "only the contract's candidate corrects");
        let opened = candidate.get(&correct).await;
        assert_eq!(opened.status, 200, "{}", opened.body);
        assert!(opened.contains("We met for one hour only") && opened.input_value("hours") == "2", "the form starts from what was rejected: {}", opened.body);
        let bad = candidate.post(&correct, &[("csrf", &opened.csrf()), ("date", &today.to_string()), ("hours", "lots"), ("format", "individual"), ("topic", "case formulation, corrected")]).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.input_value("topic"), "case formulation, corrected", "nothing typed is lost");
        let sent = candidate.post(&correct, &[("csrf", &opened.csrf()), ("date", &today.to_string()), ("hours", "1"), ("format", "individual"), ("topic", "case formulation, corrected")]).await;
        assert_eq!(sent.location(), "/portal/supervision?done=corrected", "{}", sent.body);
        let again = candidate.get(&correct).await;
        assert_eq!(again.status, 409, "corrected once");
        assert!(again.contains("already corrected"), "{}", again.body);
        let sessions = t.db.store.supervision_sessions(std::slice::from_ref(&contract_id)).await.unwrap();
        assert_eq!(sessions.len(), 2, "the rejected session is kept beside its correction");
        let correction = sessions.iter().find(|s| s.corrects_id.as_deref() == Some(rejected_id.as_str())).unwrap().clone();
        assert_eq!((correction.status.as_str(), correction.hours_centi), ("pending", 100));
        let mine = candidate.get("/portal/supervision").await;
        assert!(mine.contains(&format!("Corrects the session of {today}, rejected: We met for one hour only")), "{}", mine.body);
        assert!(mine.contains("badge--neutral\">corrected<"), "{}", mine.body);
        // The supervisor sees it again, with what they had said, and countersigns it.
        let desk = supervisor.get("/supervision").await;
        assert!(desk.contains(&format!("Corrected and sent again: you rejected the session of {today} because \u{201c}We met for one hour only\u{201d}")), "{}", desk.body);
        assert_eq!(supervisor.post(&format!("/supervision/sessions/{}/countersign", correction.id), &[("csrf", &desk.csrf())]).await.location(), "/supervision?done=countersigned");
        assert!(candidate.get("/portal/supervision").await.contains("1 hour countersigned"));
        let countersigned = format!("/portal/supervision/sessions/{}/correct", correction.id);
        assert_eq!(candidate.get(&countersigned).await.status, 409, "only a rejected session is corrected");
        assert!(t.audit_actions().await.iter().any(|(a, _)| a == "supervision.session_corrected"));

        // Declining asks a reason, shows it to the candidate, and keeps it out of the e-mail.
        let other = t.signed_in("second@example.org", &[Role::Supervisor]).await;
        let second = t.actor("second@example.org").await;
        certify_supervisor(&t, &second.user_id, "CSTS-2").await;
        let form = candidate.get("/portal/supervision").await;
        let requested = candidate.post("/portal/supervision/contracts", &[
            ("csrf", &form.csrf()), ("supervisor_email", "second@example.org"), ("program", "CST"), ("starts_on", &today.to_string()),
            ("accept_notice", "yes"), ("accept_no_guarantee", "yes"),
        ]).await;
        assert_eq!(requested.status, 303, "{}", requested.body);
        let declined_link = t.link_in_mail("second@example.org", "/supervision/contracts/").await;
        let page = other.get(&declined_link).await;
        assert!(page.contains("Required, at least 10 characters."), "the minimum is stated: {}", page.body);
        let short = other.post(&format!("{declined_link}/decline"), &[("csrf", &page.csrf()), ("reason", "busy")]).await;
        assert_eq!(short.status, 422);
        assert!(short.contains("Say why you decline, in at least 10 characters"), "{}", short.body);
        assert!(short.contains(">busy</textarea>"), "what was typed is kept");
        let reason = "I am not taking new supervisees this year.";
        assert_eq!(other.post(&format!("{declined_link}/decline"), &[("csrf", &page.csrf()), ("reason", reason)]).await.location(), "/supervision?done=declined");
        let (subject, text) = t.last_mail("amara@example.org").await;
        assert_eq!(subject, "Supervision: Your supervision contract was declined");
        assert!(!text.contains(reason) && text.contains("Read why on your supervision page"), "{text}");
        assert!(candidate.get("/portal/supervision").await.contains(&format!("declined: {reason}")));
        assert!(candidate.get(&declined_link).await.contains(&format!("<dt>Reason for declining</dt><dd>{reason}</dd>")));
        assert!(t.follow_mail_links("amara@example.org", &candidate).await > 0);
        assert!(t.follow_mail_links("rivera@example.org", &supervisor).await > 0);
    }
}
