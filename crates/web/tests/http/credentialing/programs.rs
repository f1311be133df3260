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
