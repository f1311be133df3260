//! Credential programs over HTTP: the public pages and the board admin's import, on both
//! engines.

use crate::support::TestApp;
use domain::Role;
use store::both_engines;

const CST: &str = include_str!("../../../../../programs/cst.toml");

both_engines! {
    async fn anyone_reads_the_four_programs_and_their_rules(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        let list = visitor.get("/programs").await;
        assert_eq!(list.status, 200);
        for name in ["Certified Sex Therapist", "Certified Sexuality Counselor", "Certified Sexuality Educator", "Certified Sex Therapist Supervisor"] {
            assert!(list.contains(name), "{name} missing");
        }
        assert!(list.body.find("Certified Sex Therapist<").unwrap() < list.body.find("Certified Sexuality Counselor").unwrap(), "therapist first");
        let cst = visitor.get("/programs/CST").await;
        assert_eq!(cst.status, 200);
        assert!(cst.contains("At most 75 of the 90 hours by eLearning (self-paced)."));
        assert!(cst.contains("At most 6 hours count in any calendar month."));
        assert!(cst.contains("2025.T.1"));
        assert!(cst.contains("20 continuing-education credits per renewal, at least 5 of them board-approved"));
        assert!(cst.contains("CE not approved by the board: 50% of a credit per hour, at most 5 credits."));
        assert_eq!(visitor.get("/programs/NOPE").await.status, 404);
        assert_eq!(visitor.get("/programs/CST/1999.X.9").await.status, 404);
    }

    async fn a_board_admin_imports_a_new_version_and_a_broken_file_stores_nothing(engine) {
        let t = TestApp::start(engine).await;
        let admin = t.signed_in("admin@board.example", &[Role::BoardAdmin]).await;
        let form = admin.get("/admin/programs").await;
        assert_eq!(form.status, 200, "{}", form.body);

        // A cap above its total: refused, the line named, the text kept for correcting.
        let broken = CST.replace("version = \"2025.T.1\"", "version = \"2026.T.1\"").replace("max = 75", "max = 95");
        let refused = admin
            .post_multipart("/admin/programs", &[("csrf", &form.csrf())], &[("file", "cst.toml", broken.clone().into_bytes())])
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused.contains("nothing was stored: 1 problem found"), "{}", refused.body);
        let line = CST.lines().position(|l| l.contains("max = 75")).unwrap() + 1;
        assert!(refused.contains(&format!("line {line}, requirement.core.caps[0].max: the cap (95 hours) is above the requirement&#39;s total (90 hours)")), "{}", refused.body);
        assert!(refused.contains("max = 95"), "the file's text is kept in the box");
        assert_eq!(t.client().get("/programs/CST/2026.T.1").await.status, 404, "nothing partial stored");

        // Corrected and pasted instead: imported; it takes effect from its date.
        let fixed = broken.replace("max = 95", "max = 70").replace("effective_from = 2025-01-01", "effective_from = 2099-01-01");
        let imported = admin.post_multipart("/admin/programs", &[("csrf", &form.csrf()), ("definition", &fixed)], &[]).await;
        assert_eq!(imported.status, 303, "{}", imported.body);
        let done = admin.get(&imported.location()).await;
        assert!(done.contains("Certified Sex Therapist (CST) rule version 2026.T.1 imported."), "{}", done.body);
        let future = t.client().get("/programs/CST/2026.T.1").await;
        assert!(future.contains("At most 70 of the 90 hours"));
        assert!(future.contains("not the version in force today"));
        let current = t.client().get("/programs/CST").await;
        assert!(current.contains("At most 75 of the 90 hours"), "2025.T.1 stays in force until 2099");

        // The same version with other content is refused; the identical file is a no-op.
        let changed = fixed.replace("max = 70", "max = 60");
        let conflict = admin.post_multipart("/admin/programs", &[("csrf", &form.csrf()), ("definition", &changed)], &[]).await;
        assert_eq!(conflict.status, 422);
        assert!(conflict.contains("already exists with different content"));
        let again = admin.post_multipart("/admin/programs", &[("csrf", &form.csrf()), ("definition", &fixed)], &[]).await;
        assert!(again.location().ends_with("&new=0"), "{}", again.location());
        assert!(admin.get(&again.location()).await.contains("was already imported; nothing changed."));
        let forged = admin.get("/admin/programs?imported=CST&version=9.9.9&new=1").await;
        assert!(!forged.contains("imported."), "a notice is only shown for a real version");

        let actions = t.audit_actions().await;
        assert!(actions.iter().any(|(a, s)| a == "program.imported" && s == "success"), "{actions:?}");
        assert!(actions.iter().any(|(a, _)| a == "program.import_refused"));
        // The refusal is logged with its reason, so the log says what was wrong.
        let refusals: Vec<String> = t.db.store.audit_events_after(0, 10_000).await.unwrap().into_iter()
            .filter(|r| r.entry.action == "program.import_refused")
            .filter_map(|r| r.entry.detail)
            .collect();
        assert!(refusals.iter().any(|d| d.contains("the cap (95 hours) is above the requirement's total (90 hours)")), "{refusals:?}");
    }

    async fn only_board_admins_import_programs(engine) {
        let t = TestApp::start(engine).await;
        let anonymous = t.client().get("/admin/programs").await;
        assert_eq!(anonymous.status, 303);
        assert!(anonymous.location().starts_with("/sign-in"));
        let staff = t.signed_in("staff@board.example", &[Role::BoardStaff]).await;
        assert_eq!(staff.get("/admin/programs").await.status, 403);
        let candidate = t.signed_in("cand@example.org", &[Role::Candidate]).await;
        let page = candidate.get("/dashboard").await;
        let refused = candidate
            .post_multipart("/admin/programs", &[("csrf", &page.csrf()), ("definition", CST)], &[])
            .await;
        assert_eq!(refused.status, 403);
        // A forged multipart post without the token is refused before anything is read.
        let forged = candidate.post_multipart("/admin/programs", &[("definition", CST)], &[]).await;
        assert_eq!(forged.status, 422, "stale-token forms are shown again, not processed");
        assert!(forged.contains("This form had expired"));
        assert!(t.audit_actions().await.iter().any(|(a, _)| a == "access.denied"));
    }
}

both_engines! {
    async fn the_rule_version_is_stated_the_same_on_the_program_page_and_the_progress_page(engine) {
        let t = TestApp::start(engine).await;
        let rule = domain::credentialing::programs::VERSION_RULE;
        // With one version: it judges everyone, including a contract signed before its date.
        let early = t.signed_in("early@example.org", &[Role::Candidate]).await;
        let early_id = t.actor("early@example.org").await.user_id;
        let portal = early.get("/portal").await;
        early.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
        crate::credentialing::portal::signed_contract(&t, &early_id, time::macros::date!(2024 - 12 - 30)).await;
        let only = "candidates whose first supervision contract was signed on any day (it is the only version)";
        let progress = early.get("/portal/progress/CST").await;
        assert!(progress.contains(&format!("Rule version 2025.T.1 applies to you: your first supervision contract was signed on 2024-12-30, and this version judges {only}.")), "{}", progress.body);
        assert!(!progress.contains("was in force when"), "no claim the program page contradicts");
        let program = t.client().get("/programs/CST/2025.T.1").await;
        assert!(program.contains(&format!("<dd>{only}</dd>")), "{}", program.body);
        assert!(program.contains("2025.T.1, in force from 2025-01-01"));
        assert!(program.contains(rule) && progress.contains(rule), "the rule in the same words on both pages");

        // A second version from 2026-01-01: the boundary is the signing day.
        let admin = t.signed_in("admin@board.example", &[Role::BoardAdmin]).await;
        let form = admin.get("/admin/programs").await;
        let next = CST.replace("version = \"2025.T.1\"", "version = \"2026.T.9\"").replace("effective_from = 2025-01-01", "effective_from = 2026-01-01");
        let imported = admin.post_multipart("/admin/programs", &[("csrf", &form.csrf()), ("definition", &next)], &[]).await;
        assert_eq!(imported.status, 303, "{}", imported.body);
        for (email, signed, version, judges) in [
            ("before@example.org", time::macros::date!(2025 - 12 - 31), "2025.T.1", "candidates whose first supervision contract was signed on or before 2025-12-31"),
            ("on@example.org", time::macros::date!(2026 - 01 - 01), "2026.T.9", "candidates whose first supervision contract was signed on or after 2026-01-01"),
        ] {
            let candidate = t.signed_in(email, &[Role::Candidate]).await;
            let id = t.actor(email).await.user_id;
            let portal = candidate.get("/portal").await;
            candidate.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
            crate::credentialing::portal::signed_contract(&t, &id, signed).await;
            let progress = candidate.get("/portal/progress/CST").await;
            assert!(progress.contains(&format!("Rule version {version} applies to you: your first supervision contract was signed on {signed}, and this version judges {judges}.")), "{}", progress.body);
            let program = t.client().get(&format!("/programs/CST/{version}")).await;
            assert!(program.contains(&format!("<dd>{judges}</dd>")), "{}", program.body);
        }
        // The earlier candidate is now judged by the first version, as its page says.
        assert!(early.get("/portal/progress/CST").await.contains("on or before 2025-12-31"));
    }

    async fn the_program_page_says_how_span_months_are_counted(engine) {
        let t = TestApp::start(engine).await;
        let cst = t.client().get("/programs/CST").await;
        assert!(cst.contains("Supervision spans at least 18 and at most 24 months."));
        assert!(cst.contains("Months are counted as whole months elapsed: supervision from 15 January 2025 spans 18 months on 15 July 2026, and its 24 months end on 15 January 2027."), "{}", cst.body);
        assert!(cst.contains("counting = &quot;elapsed&quot;") || cst.contains("counting = &#34;elapsed&#34;"), "the definition file states it");
    }
}
