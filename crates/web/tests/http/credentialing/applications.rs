//! Applying for a credential, on the demo's candidates: a candidate who meets every
//! requirement prepares the application, their supervisor endorses it, staff record the fee,
//! and the submission freezes the evidence; a half-way candidate is blocked with the exact
//! shortfalls. Both engines.

use crate::support::{Options, TestApp};
use store::both_engines;

const DEMO_PASSWORD: &str = "demo-sensate-2026";

async fn actor(t: &TestApp, email: &str) -> app::Actor {
    let user =
        t.db.store
            .user_by_email(&domain::EmailAddress::parse(email).unwrap())
            .await
            .unwrap()
            .unwrap();
    app::Actor {
        user_id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        roles: user.roles.clone(),
        session_id: domain::SessionId::parse(&app::platform::random::id().unwrap()).unwrap(),
        mfa_enabled: true,
        email_verified: true,
        is_demo: true,
    }
}

both_engines! {
    async fn the_ready_candidate_submits_and_the_evidence_is_frozen(engine) {
        let t = TestApp::start_with(engine, Options { demo: true, load_demo: true, ..Options::default() }).await;
        let taylor = t.client();
        assert_eq!(taylor.sign_in("ready@demo.sensate.test", DEMO_PASSWORD).await.status, 303);
        let progress = taylor.get("/portal/progress/CST").await;
        assert!(progress.contains("Every requirement is met."), "{}", progress.body);
        assert!(progress.contains("Prepare the application"));

        // Prepare: the primary supervisor is asked to endorse.
        let prepared = taylor.post("/portal/applications/CST", &[("csrf", &progress.csrf())]).await;
        assert_eq!(prepared.location(), "/portal/progress/CST#application");
        let page = taylor.get("/portal/progress/CST").await;
        assert!(page.contains("waiting for Dr. Helen Marsh, your primary supervisor"), "{}", page.body);
        let application_id = t.db.store.applications_of(&actor(&t, "ready@demo.sensate.test").await.user_id.to_string()).await.unwrap()[0].id.clone();

        // Submitting now is blocked: no endorsement, no fee.
        let blocked = taylor.post(&format!("/portal/applications/{application_id}/submit"), &[("csrf", &page.csrf())]).await;
        assert_eq!(blocked.status, 409);
        assert!(blocked.contains("your primary supervisor has not endorsed the application yet"));
        assert!(blocked.contains("the board has not recorded the application fee"));

        // Only the primary supervisor endorses.
        let meta = app::RequestMeta::default();
        let alex = actor(&t, "halfway@demo.sensate.test").await;
        assert!(matches!(t.app.endorse_application(&alex, &application_id, &meta).await, Err(app::AppError::Forbidden(_))));
        let marsh = t.client();
        marsh.sign_in("supervisor@demo.sensate.test", DEMO_PASSWORD).await;
        let desk = marsh.get("/supervision").await;
        assert!(desk.contains("Applications to endorse"), "{}", desk.body);
        assert!(desk.contains("Sessions to countersign (3)"), "Alex's three sessions wait: {}", desk.body);
        // The contract page shows what each party shows the other, and nothing else.
        let contract_id = t.db.store.contracts_of_candidate(&actor(&t, "ready@demo.sensate.test").await.user_id.to_string()).await.unwrap()[0].id.clone();
        let contract = taylor.get(&format!("/supervision/contracts/{contract_id}")).await;
        assert!(contract.contains("License: license-certificate.pdf"), "{}", contract.body);
        let link = contract.body.split("<a href=\"/documents/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_eq!(taylor.get(&format!("/documents/{link}")).await.status, 200, "the candidate may download the supervisor's license");
        let seen_by_marsh = marsh.get(&format!("/supervision/contracts/{contract_id}")).await;
        assert!(seen_by_marsh.contains("Insurance face sheet: insurance-face-sheet.pdf"));
        assert!(!seen_by_marsh.contains("transcript-msw.pdf"), "the transcript is not shared by the contract");
        let endorsed = marsh.post(&format!("/supervision/applications/{application_id}/endorse"), &[("csrf", &desk.csrf())]).await;
        assert_eq!(endorsed.location(), "/supervision?done=endorsed");

        // Staff record the fee; a candidate cannot.
        let staff = actor(&t, "staff@demo.sensate.test").await;
        let me = actor(&t, "ready@demo.sensate.test").await;
        assert!(matches!(t.app.record_fee(&me, &application_id, true, &meta).await, Err(app::AppError::Forbidden(_))));
        t.app.record_fee(&staff, &application_id, false, &meta).await.unwrap();

        let page = taylor.get("/portal/progress/CST").await;
        let submitted = taylor.post(&format!("/portal/applications/{application_id}/submit"), &[("csrf", &page.csrf())]).await;
        assert_eq!(submitted.location(), "/portal/progress/CST?submitted=1#application", "{}", submitted.body);
        let done = taylor.get(&submitted.location()).await;
        assert!(done.contains("Application submitted."));
        assert!(done.contains("Later changes to your file do not change the submitted application."));

        // The snapshot does not change when the file does.
        let before = t.app.application_snapshot(&staff, &application_id, &meta).await.unwrap();
        let form = taylor.get("/portal/sar").await;
        let added = taylor.post("/portal/sar", &[("csrf", &form.csrf()), ("date", &t.app.today().to_string()), ("hours", "3"), ("mode", "in_person"), ("provider", "Late Seminar"), ("title", "Refresher")]).await;
        assert_eq!(added.status, 303);
        let after = t.app.application_snapshot(&staff, &application_id, &meta).await.unwrap();
        assert_eq!(serde_json::to_string(&before.evidence).unwrap(), serde_json::to_string(&after.evidence).unwrap());
        assert_eq!(after.evidence.hours.len() + 1, t.app.evidence_for(&me.user_id).await.unwrap().hours.len());
        assert!(after.assessment.complete());
        let again = taylor.post(&format!("/portal/applications/{application_id}/submit"), &[("csrf", &page.csrf())]).await;
        assert_eq!(again.status, 400, "a submitted application cannot be submitted again");
        let actions = t.audit_actions().await;
        for action in ["application.started", "application.endorsed", "application.fee_recorded", "application.submitted", "protected.read"] {
            assert!(actions.iter().any(|(a, _)| a == action), "{action}");
        }
    }

    async fn the_half_way_candidate_is_blocked_with_exact_shortfalls(engine) {
        let t = TestApp::start_with(engine, Options { demo: true, load_demo: true, ..Options::default() }).await;
        let alex = t.client();
        alex.sign_in("halfway@demo.sensate.test", DEMO_PASSWORD).await;
        let progress = alex.get("/portal/progress/CST").await;
        assert!(progress.contains("45 of 90 hours counted, 45 to go"), "{}", progress.body);
        assert!(progress.contains("26 of 50 hours counted, 24 to go"), "{}", progress.body);
        assert!(progress.contains("6 more awaiting verification"), "{}", progress.body);
        let prepared = alex.post("/portal/applications/CST", &[("csrf", &progress.csrf())]).await;
        assert_eq!(prepared.status, 303);
        let page = alex.get("/portal/progress/CST").await;
        let id = t.db.store.applications_of(&actor(&t, "halfway@demo.sensate.test").await.user_id.to_string()).await.unwrap()[0].id.clone();
        let blocked = alex.post(&format!("/portal/applications/{id}/submit"), &[("csrf", &page.csrf())]).await;
        assert_eq!(blocked.status, 409);
        assert!(blocked.contains("The application cannot be submitted yet"));
        assert!(blocked.contains("Core knowledge courses: 45 of 90 hours counted, 45 to go"), "{}", blocked.body);
        assert!(blocked.contains("Sex-therapy training: 20 of 60 hours counted, 40 to go"));

        // The just-started candidate sees a nearly empty file.
        let jordan = t.client();
        jordan.sign_in("candidate@demo.sensate.test", DEMO_PASSWORD).await;
        let start = jordan.get("/portal/progress/CST").await;
        assert!(start.contains("No hours logged yet"));
    }
}
