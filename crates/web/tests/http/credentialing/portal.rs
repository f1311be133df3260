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
        assert!(progress.contains("90 hours short of 90 in core knowledge (0 count)"));
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
        assert_eq!(me.post("/portal/core-knowledge", &fixed).await.location(), "/portal/core-knowledge?added=1");
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
        assert!(progress.contains("78 hours short of 90 in core knowledge (12 count)"), "{}", progress.body);
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
