//! The candidate's portal over HTTP: records, hour logs, bad input, and live progress, on both
//! engines.

use crate::support::TestApp;
use domain::Role;
use store::both_engines;

both_engines! {
    async fn a_candidate_builds_a_file_and_watches_progress(engine) {
        let t = TestApp::start(engine).await;
        let me = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let portal = me.get("/portal").await;
        assert_eq!(portal.status, 200, "{}", portal.body);
        assert!(portal.contains("You have not chosen a credential yet."));
        let chosen = me.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
        assert_eq!(chosen.location(), "/portal/progress/CST");
        let progress = me.get("/portal/progress/CST").await;
        assert_eq!(progress.status, 200);
        assert!(progress.contains("0 of 11 requirements met"), "{}", progress.body);
        assert!(progress.contains("no hours logged yet: 90 needed"));
        assert!(progress.contains("No hours logged yet"));

        // A license, with a mistake first: the typed values come back with the problem named.
        let form = me.get("/portal/licenses").await;
        let bad = me.post("/portal/licenses", &[
            ("csrf", &form.csrf()), ("profession", "psychology"), ("jurisdiction", "Ontario"), ("number", "PSY-4411"),
            ("valid_from", "2024-01-01"), ("valid_until", "2023-12-31"),
        ]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.contains("The end date is before the start date."));
        assert_eq!(bad.input_value("number"), "PSY-4411");
        assert_eq!(bad.input_value("jurisdiction"), "Ontario");
        let good = me.post("/portal/licenses", &[
            ("csrf", &form.csrf()), ("profession", "psychology"), ("jurisdiction", "Ontario"), ("number", "PSY-4411"),
            ("valid_from", "2024-01-01"), ("valid_until", "2030-12-31"),
        ]).await;
        assert_eq!(good.location(), "/portal/licenses?added=1");
        assert!(me.get("/portal/licenses").await.contains("PSY-4411"));

        // Core knowledge: a split that does not add up is refused and keeps every value.
        let form = me.get("/portal/core-knowledge").await;
        let fields = [
            ("date", "2026-03-02"), ("hours", "12"), ("mode", "elearning"), ("provider", "Midwest Institute"),
            ("title", "Foundations of sexual health"), ("split.ethics", "4"), ("split.orientation_identity", "6"),
        ];
        let mut posted = vec![("csrf", form.csrf())];
        posted.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let refs: Vec<(&str, &str)> = posted.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = me.post("/portal/core-knowledge", &refs).await;
        assert_eq!(refused.status, 422);
        assert!(refused.contains("The core area hours add up to 10, not the entry&#39;s 12 hours."), "{}", refused.body);
        assert_eq!(refused.input_value("split.orientation_identity"), "6");
        assert_eq!(refused.input_value("provider"), "Midwest Institute");
        let mut fixed = refs.clone();
        fixed.retain(|(k, _)| *k != "split.orientation_identity");
        fixed.push(("split.orientation_identity", "8"));
        assert!(me.post("/portal/core-knowledge", &fixed).await.location().starts_with("/portal/core-knowledge?added=1&entry="));
        // The same course again is caught as a duplicate.
        let twice = me.post("/portal/core-knowledge", &fixed).await;
        assert_eq!(twice.status, 422);
        assert!(twice.contains("You already logged this"));

        // Future-dated clinical hours are refused.
        let form = me.get("/portal/clinical").await;
        let future = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", "2099-01-01"), ("hours", "3"), ("mode", "in_person"),
            ("provider", "Harbour Clinic"), ("title", "couples therapy"),
        ]).await;
        assert_eq!(future.status, 422);
        assert!(future.contains("This date is in the future."));

        let progress = me.get("/portal/progress/CST").await;
        assert!(progress.contains("12 of 90 hours counted, 78 to go"), "{}", progress.body);
        assert!(progress.contains("<path d=\"M"), "the chart draws the logged hours");
        let actions = t.audit_actions().await;
        assert!(actions.iter().any(|(a, _)| a == "evidence.hours_logged"));
    }

    async fn a_file_is_seen_only_by_its_owner_staff_and_supervisors(engine) {
        let t = TestApp::start(engine).await;
        let amara = t.user("amara@example.org", &[Role::Candidate]).await;
        let other = t.user("other@example.org", &[Role::Candidate]).await;
        let staff_id = t.user("staff@board.example", &[Role::BoardStaff]).await;
        let supervisor_id = t.user("sup@example.org", &[Role::Supervisor]).await;
        let actor = |id: &domain::UserId, email: &str, roles: &[Role]| app::Actor {
            user_id: id.clone(), email: domain::EmailAddress::parse(email).unwrap(), display_name: "X".into(),
            roles: roles.to_vec(), session_id: domain::SessionId::parse(&app::platform::random::id().unwrap()).unwrap(),
            mfa_enabled: true, email_verified: true, is_demo: false,
        };
        let meta = app::RequestMeta::default();
        let outsider = actor(&other, "other@example.org", &[Role::Candidate]);
        let refused = t.app.progress(&outsider, &amara, "CST", &meta).await;
        assert!(matches!(refused, Err(app::AppError::Forbidden(_))), "{refused:?}");
        let staff = actor(&staff_id, "staff@board.example", &[Role::BoardStaff]);
        assert!(t.app.progress(&staff, &amara, "CST", &meta).await.is_ok());
        let supervisor = actor(&supervisor_id, "sup@example.org", &[Role::Supervisor]);
        assert!(matches!(t.app.evidence_file(&supervisor, &amara, &meta).await, Err(app::AppError::Forbidden(_))), "not (yet) their supervisee");
        assert!(t.audit_actions().await.iter().filter(|(a, _)| a == "access.denied").count() >= 2);
    }
}

/// A CST contract between `candidate` and a certified supervisor, signed by both on `signed_on`
/// and running from that day.
pub(crate) async fn signed_contract(t: &TestApp, candidate: &domain::UserId, signed_on: time::Date) {
    let supervisor_email = format!("sup-{}@example.org", &candidate.as_str()[..8]);
    let supervisor = t.user(&supervisor_email, &[Role::Supervisor]).await;
    super::supervision::certify_supervisor(t, &supervisor, &format!("CSTS-{}", &candidate.as_str()[..6])).await;
    let at = store::Timestamp::new(signed_on.midnight().assume_utc() + time::Duration::hours(12));
    let row = store::credentialing::supervision::ContractRow {
        id: app::platform::random::id().unwrap(),
        candidate_id: candidate.to_string(),
        supervisor_id: Some(supervisor.to_string()),
        supervisor_email: supervisor_email.clone(),
        program_code: "CST".into(),
        starts_on: signed_on.to_string(),
        is_primary: true,
        notice_days: 30,
        terms: "Test terms".into(),
        candidate_signed_at: Some(at),
        supervisor_signed_at: None,
        declined_at: None,
        ended_by: None,
        end_noticed_at: None,
        ends_on: None,
        end_reason: None,
        created_at: at,
    };
    t.db.store.insert_contract(&row).await.unwrap();
    t.db.store
        .sign_contract_as_supervisor(&row.id, supervisor.as_str(), &supervisor_email, at)
        .await
        .unwrap();
}

both_engines! {
    async fn a_new_candidate_is_led_by_what_to_do_next(engine) {
        let t = TestApp::start(engine).await;
        let me = t.signed_in("newcomer@example.org", &[Role::Candidate]).await;
        let portal = me.get("/portal").await;
        me.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
        let progress = me.get("/portal/progress/CST").await;
        assert_eq!(progress.status, 200);
        let body = &progress.body;
        // What to do next comes first, before the requirements and before any application.
        let next = body.find("What to do next").expect("a next-steps section");
        let requirements = body.find("id=\"requirements-heading\"").unwrap();
        let prepare = body.find("Prepare the application").unwrap();
        assert!(next < requirements && requirements < prepare, "next steps, requirements, then the application");
        // Each unmet requirement links to the form that meets it.
        for (href, action) in [
            ("/portal/memberships", "Record your membership"),
            ("/portal/ethics", "Sign the code of ethics attestation"),
            ("/portal/degrees", "Record your degree"),
            ("/portal/licenses", "Record your license"),
            ("/portal/insurance", "Record your insurance"),
            ("/portal/sar", "Log your Sexual Attitude Reassessment (SAR)"),
            ("/portal/core-knowledge", "Log your core knowledge courses"),
            ("/portal/training", "Log your sex-therapy training"),
            ("/portal/clinical", "Log your clinical hours"),
            ("/portal/supervision", "Set up supervision and log sessions"),
            ("/portal/documents", "Upload documents"),
        ] {
            assert!(progress.contains(&format!("<a href=\"{href}\">{action}</a>")), "{action} links to {href}");
            assert!(me.get(href).await.status == 200, "{href} opens");
        }
        // In words a newcomer reads, and not a wall of red.
        assert!(progress.contains("no hours logged yet: 10 needed"), "{body}");
        assert!(progress.contains("no supervision logged yet: 50 hours needed"));
        assert!(!progress.contains("short of"));
        assert!(!progress.contains("badge--danger"));
        assert!(progress.contains(">To do</span>"));
    }

    async fn the_clinical_hours_form_speaks_its_own_labels_refuses_implausible_dates_and_says_at_once_when_hours_will_not_count(engine) {
        let t = TestApp::start(engine).await;
        let me = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let portal = me.get("/portal").await;
        me.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
        let form = me.get("/portal/clinical").await;
        assert!(form.contains("<label for=\"provider\">Setting</label>"));
        let today = t.app.today();

        // Empty setting and kind of work: the messages use the form's words.
        let empty = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", &today.to_string()), ("hours", "3"), ("mode", "in_person"),
            ("provider", ""), ("title", ""),
        ]).await;
        assert_eq!(empty.status, 422);
        assert!(empty.contains("Enter the setting."), "{}", empty.body);
        assert!(empty.contains("Enter the kind of work."));
        assert!(!empty.contains("Enter the provider.") && !empty.contains("Enter the title."));

        // 1900-01-01: refused by the field with the reason, and what was typed is kept.
        let old = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", "1900-01-01"), ("hours", "3"), ("mode", "in_person"),
            ("provider", "Harbour Clinic"), ("title", "couples therapy"),
        ]).await;
        assert_eq!(old.status, 422);
        let earliest = app::credentialing::evidence::earliest_hours_day(today);
        assert!(old.contains(&format!("This date is more than 10 years ago (before {earliest}). Check the year")), "{}", old.body);
        assert!(old.contains("id=\"date-error\""), "the message is by the date field");
        assert_eq!(old.input_value("date"), "1900-01-01");
        assert_eq!(old.input_value("provider"), "Harbour Clinic");
        assert_eq!(old.input_value("title"), "couples therapy");
        let day_before = (earliest - time::Duration::days(1)).to_string();
        let just_too_old = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", &day_before), ("hours", "3"), ("mode", "in_person"),
            ("provider", "Harbour Clinic"), ("title", "couples therapy"),
        ]).await;
        assert_eq!(just_too_old.status, 422);

        // Hours without a signed contract are added, and the page says at once they will not count.
        let added = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", &earliest.to_string()), ("hours", "3"), ("mode", "in_person"),
            ("provider", "Harbour Clinic"), ("title", "couples therapy"),
        ]).await;
        assert_eq!(added.status, 303, "{}", added.body);
        assert!(added.location().starts_with("/portal/clinical?added=1&entry="), "{}", added.location());
        let page = me.get(&added.location()).await;
        assert!(page.contains("Added. These 3 hours do not count towards Certified Sex Therapist: no signed supervision contract was running that day."), "{}", page.body);
        assert!(!page.contains("notice--success"), "no plain 'Added.' over hours that will not count");
        // The columns use the form's words too.
        assert!(page.contains("<th scope=\"col\">Setting</th>") && page.contains("<th scope=\"col\">Kind of work</th>"));
        assert!(!page.contains(">Provider</th>") && !page.contains(">Title</th>"));
        let duplicate = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", &earliest.to_string()), ("hours", "3"), ("mode", "in_person"),
            ("provider", "Harbour Clinic"), ("title", "couples therapy"),
        ]).await;
        assert!(duplicate.contains("the same date, hours, setting and kind of work are on file"), "{}", duplicate.body);

        // A course needs no contract: plain "Added.".
        let form = me.get("/portal/sar").await;
        let sar = me.post("/portal/sar", &[
            ("csrf", &form.csrf()), ("date", &today.to_string()), ("hours", "3"), ("mode", "in_person"),
            ("provider", "Institute"), ("title", "SAR weekend"),
        ]).await;
        let page = me.get(&sar.location()).await;
        assert!(page.contains("<p class=\"notice notice--success\" role=\"status\">Added.</p>"), "{}", page.body);
    }

    async fn a_license_the_board_does_not_accept_is_recorded_named_and_judged(engine) {
        let t = TestApp::start(engine).await;
        let me = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let amara = t.actor("amara@example.org").await.user_id;
        let portal = me.get("/portal").await;
        me.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
        let form = me.get("/portal/licenses").await;
        assert!(form.contains("<option value=\"chiropractic\">Chiropractic</option>"));
        let recorded = me.post("/portal/licenses", &[
            ("csrf", &form.csrf()), ("profession", "chiropractic"), ("jurisdiction", "Oregon"), ("number", "DC-7781"),
            ("valid_from", "2020-01-01"), ("valid_until", "2030-12-31"),
        ]).await;
        assert_eq!(recorded.location(), "/portal/licenses?added=1", "{}", recorded.body);
        let licenses = me.get("/portal/licenses").await;
        assert!(licenses.contains("<td data-label=\"Profession\">Chiropractic</td>"), "shown by name: {}", licenses.body);
        let progress = me.get("/portal/progress/CST").await;
        assert!(progress.contains("Chiropractic license (Oregon) is not among the accepted professions (Psychology, Medicine, Social work, Counseling, Nursing, Marriage and family therapy)"), "{}", progress.body);

        // Clinical hours under a signed contract: the notice says it is the license's profession.
        let today = t.app.today();
        signed_contract(&t, &amara, today - time::Duration::days(30)).await;
        let form = me.get("/portal/clinical").await;
        let day = (today - time::Duration::days(2)).to_string();
        let added = me.post("/portal/clinical", &[
            ("csrf", &form.csrf()), ("date", &day), ("hours", "4"), ("mode", "in_person"),
            ("provider", "Harbour Clinic"), ("title", "couples therapy"),
        ]).await;
        let page = me.get(&added.location()).await;
        let why = "your Chiropractic license (Oregon) is not among the accepted professions";
        assert!(page.contains(&format!("These 4 hours do not count towards Certified Sex Therapist: {why}.")), "{}", page.body);
        let progress = me.get("/portal/progress/CST").await;
        assert!(progress.contains(&format!("{day}: 4 hours do not count because {why}")), "{}", progress.body);
        assert!(!progress.contains("you held no valid license that day"));
    }
}
