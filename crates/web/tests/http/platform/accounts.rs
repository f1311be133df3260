//! Account journeys over HTTP, each run on SQLite and on PostgreSQL.

use crate::support::{PASSWORD, TestApp, element_text, totp_code};
use domain::Role;
use store::both_engines;
use time::Duration;

both_engines! {
    async fn sign_up_confirm_enrol_and_sign_in_with_a_code(engine) {
        let t = TestApp::start(engine).await;
        let browser = t.client();

        // A rejected form comes back with the input kept and the problem next to its field.
        let bad = browser.submit("/sign-up", "/sign-up", &[
            ("display_name", "Dana Reyes"), ("email", "dana@example"),
            ("password", "correct horse battery staple"), ("password_confirm", "correct horse battery staple"),
        ]).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.input_value("display_name"), "Dana Reyes");
        assert_eq!(bad.input_value("email"), "dana@example");
        assert!(bad.contains("id=\"email-error\""), "{}", bad.body);
        assert_eq!(bad.input_value("password"), "", "passwords are never sent back");

        let good = browser.submit("/sign-up", "/sign-up", &[
            ("display_name", "Dana Reyes"), ("email", "dana@example.org"),
            ("password", "correct horse battery staple"), ("password_confirm", "correct horse battery staple"),
        ]).await;
        assert_eq!((good.status, good.location().as_str()), (303, "/sign-up/check-email"));
        let (subject, _) = t.last_mail("dana@example.org").await;
        assert_eq!(subject, "Confirm your e-mail address");
        let verify = t.link_in_mail("dana@example.org", "/verify-email/").await;
        let confirmed = browser.get(&verify).await;
        assert_eq!(confirmed.status, 200);
        assert!(confirmed.contains("E-mail address confirmed"));
        assert_eq!(browser.get(&verify).await.status, 400, "a confirmation link works once");

        // Sign in: a new session id, replacing nothing the visitor could have planted.
        let signed = browser.sign_in("dana@example.org", "correct horse battery staple").await;
        assert_eq!((signed.status, signed.location().as_str()), (303, "/dashboard"));
        let first_session = browser.session_cookie().expect("session cookie");
        let dashboard = browser.get("/dashboard").await;
        assert!(dashboard.contains("Welcome, Dana Reyes"));

        // Enrol TOTP.
        let setup = browser.get("/account/two-factor/setup").await;
        assert_eq!(setup.status, 200);
        let secret = element_text(&setup.body, "totp-secret");
        assert!(setup.contains("<svg"), "a QR code is shown");
        let wrong = browser.post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", "123")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.contains("id=\"code-error\""));
        assert_eq!(element_text(&wrong.body, "totp-secret"), secret, "the same secret while set-up is pending");
        let now = t.app.now().get().unix_timestamp();
        let code = totp_code(&secret, "dana@example.org", now);
        let posted = browser.post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)]).await;
        // Post, redirect, get: the codes are shown once by the page the form leads to.
        assert_eq!((posted.status, posted.location().as_str()), (303, "/account/two-factor/recovery-codes?after=setup"), "{}", posted.body);
        let enrolled = browser.get("/account/two-factor/recovery-codes?after=setup").await;
        assert_eq!(enrolled.status, 200, "{}", enrolled.body);
        assert_eq!(enrolled.header("cache-control"), "no-store");
        assert!(enrolled.contains("Save your recovery codes") && enrolled.contains("Two-factor sign-in is on."));
        assert_eq!(enrolled.body.matches("<li><code>").count(), 10);
        let reloaded = browser.get("/account/two-factor/recovery-codes?after=setup").await;
        assert_eq!(reloaded.status, 200);
        assert!(reloaded.contains("Your recovery codes were shown") && !reloaded.contains("<li><code>"), "shown once: {}", reloaded.body);
        let other = t.signed_in("other@example.org", &[]).await;
        assert!(!other.get("/account/two-factor/recovery-codes").await.contains("<li><code>"), "kept for one session only");
        let second_session = browser.session_cookie().unwrap();
        assert_ne!(first_session, second_session, "a new session id at a change of privilege");
        let recovery: String = enrolled.body.split("<li><code>").nth(1).unwrap().split('<').next().unwrap().to_owned();

        // Sign out (the recovery page's own form works: it carries the new session's token).
        let out = browser.post("/sign-out", &[("csrf", &enrolled.csrf())]).await;
        assert_eq!((out.status, out.location().as_str()), (303, "/"));
        assert_eq!(browser.get("/dashboard").await.status, 303);

        // Sign in again: password, then a code. The enrolment code cannot be reused.
        let signed = browser.sign_in("dana@example.org", "correct horse battery staple").await;
        assert!(signed.location().starts_with("/sign-in/two-factor"), "{}", signed.location());
        let form = browser.get("/sign-in/two-factor").await;
        assert_eq!(browser.get("/dashboard").await.status, 303, "no access between the two steps");
        let replay = browser.post("/sign-in/two-factor", &[("csrf", &form.csrf()), ("code", &code), ("next", "/dashboard")]).await;
        assert_eq!(replay.status, 422, "a code is accepted once");
        assert!(replay.contains("id=\"code-error\""));
        t.clock.advance(Duration::seconds(30));
        let fresh = totp_code(&secret, "dana@example.org", t.app.now().get().unix_timestamp());
        let ok = browser.post("/sign-in/two-factor", &[("csrf", &form.csrf()), ("code", &fresh), ("next", "/dashboard")]).await;
        assert_eq!((ok.status, ok.location().as_str()), (303, "/dashboard"));
        assert!(browser.get("/dashboard").await.contains("Welcome"));

        // A recovery code works once, in place of a code.
        let other = t.client();
        other.sign_in("dana@example.org", "correct horse battery staple").await;
        let form = other.get("/sign-in/two-factor").await;
        let used = other.post("/sign-in/two-factor", &[("csrf", &form.csrf()), ("code", &recovery.to_uppercase()), ("next", "/dashboard")]).await;
        assert_eq!(used.status, 303, "{}", used.body);
        let third = t.client();
        third.sign_in("dana@example.org", "correct horse battery staple").await;
        let form = third.get("/sign-in/two-factor").await;
        let again = third.post("/sign-in/two-factor", &[("csrf", &form.csrf()), ("code", &recovery), ("next", "/dashboard")]).await;
        assert_eq!(again.status, 422);

        // The TOTP secret is protected data: its reads are in the audit log.
        let actions = t.audit_actions().await;
        assert!(actions.iter().any(|(a, _)| a == "protected.read"));
        assert!(actions.iter().any(|(a, o)| a == "signin.second_factor_failure" && o == "failure"));
        assert!(actions.iter().any(|(a, _)| a == "mfa.enabled"));
    }

    async fn wrong_passwords_are_throttled_without_revealing_accounts(engine) {
        let t = TestApp::start(engine).await;
        t.user("known@example.org", &[Role::Candidate]).await;
        let browser = t.client();
        let wrong = browser.sign_in("known@example.org", "not the password").await;
        let unknown = browser.sign_in("nobody@example.org", "not the password").await;
        assert_eq!(wrong.status, 422);
        assert_eq!(unknown.status, 422);
        let message = "E-mail address or password is incorrect.";
        assert!(wrong.contains(message) && unknown.contains(message), "the same words for both");
        for _ in 0..4 {
            browser.sign_in("known@example.org", "not the password").await;
        }
        let asked = std::time::Instant::now();
        let locked = browser.sign_in("known@example.org", PASSWORD).await;
        assert_eq!(locked.status, 429);
        assert!(asked.elapsed() >= std::time::Duration::from_secs(1), "a refusal for too many attempts waits a second");
        assert!(locked.contains("Too many attempts; try again in 15 minutes."), "{}", locked.body);
        assert_eq!(locked.input_value("email"), "known@example.org", "the address typed is kept");
        // Unknown accounts lock the same way.
        for _ in 0..4 {
            browser.sign_in("nobody@example.org", "x").await;
        }
        assert_eq!(browser.sign_in("nobody@example.org", "x").await.status, 429);
        t.clock.advance(Duration::minutes(16));
        assert_eq!(browser.sign_in("known@example.org", PASSWORD).await.status, 303, "unlocked after the wait");
        assert!(t.audit_actions().await.iter().any(|(a, o)| a == "signin.throttled" && o == "denied"));
    }

    async fn sessions_time_out_and_end_everywhere(engine) {
        let t = TestApp::start(engine).await;
        t.user("sam@example.org", &[Role::Candidate]).await;
        let browser = t.client();
        assert_eq!(browser.sign_in("sam@example.org", PASSWORD).await.status, 303);
        t.clock.advance(Duration::minutes(29));
        assert_eq!(browser.get("/dashboard").await.status, 200, "activity inside the idle window keeps it");
        t.clock.advance(Duration::minutes(31));
        let idle = browser.get("/dashboard").await;
        assert_eq!(idle.status, 303);
        assert!(idle.location().starts_with("/sign-in?expired=idle"), "{}", idle.location());
        assert!(browser.get("/sign-in?expired=idle").await.contains("30 minutes without activity"));

        // Absolute limit: active all along, still ends at 12 hours.
        assert_eq!(browser.sign_in("sam@example.org", PASSWORD).await.status, 303);
        for _ in 0..36 {
            t.clock.advance(Duration::minutes(20));
            let page = browser.get("/dashboard").await;
            if page.status != 200 {
                assert!(page.location().starts_with("/sign-in?expired=limit"), "{}", page.location());
                break;
            }
        }
        assert_eq!(browser.get("/dashboard").await.status, 303);

        // Sign out everywhere ends every session of the person.
        let laptop = t.client();
        let phone = t.client();
        laptop.sign_in("sam@example.org", PASSWORD).await;
        phone.sign_in("sam@example.org", PASSWORD).await;
        let security = laptop.get("/account/security").await;
        assert_eq!(security.body.matches("Sign out<span").count() + 1, 2, "two sessions listed");
        let ended = laptop.post("/account/sessions/revoke-all", &[("csrf", &security.csrf())]).await;
        assert_eq!(ended.status, 303);
        assert_eq!(phone.get("/dashboard").await.status, 303);
        assert_eq!(laptop.get("/dashboard").await.status, 303);
    }

    async fn forms_refuse_forged_or_replayed_tokens_and_keep_input(engine) {
        let t = TestApp::start(engine).await;
        t.user("kim@example.org", &[Role::Candidate]).await;
        let browser = t.client();
        // No token at all: nothing saved, the form is back with what was typed.
        let forged = browser.post("/sign-up", &[("display_name", "Kim"), ("email", "kim2@example.org"), ("password", "x"), ("password_confirm", "x")]).await;
        assert_eq!(forged.status, 422);
        assert!(forged.contains("This form had expired"));
        assert_eq!(forged.input_value("email"), "kim2@example.org");
        assert_eq!(t.db.store.count_users().await.unwrap(), 1, "nothing was created");

        // A token from before sign-in is refused after it (replay across sessions).
        let before = browser.get("/sign-in").await.csrf();
        browser.sign_in("kim@example.org", PASSWORD).await;
        let page = browser.get("/dashboard").await;
        assert_ne!(page.csrf(), before);
        let replayed = browser.post("/sign-out", &[("csrf", &before)]).await;
        assert_eq!(replayed.status, 403);
        assert!(replayed.contains("This form expired"));
        assert_eq!(browser.get("/dashboard").await.status, 200, "still signed in");

        // JSON calls need the token in a header.
        let me = browser.get_json("/api/v1/me").await;
        let me: serde_json::Value = serde_json::from_str(&me.body).unwrap();
        let session_id = t.db.store.sessions_of_user(&domain::UserId::parse(me["id"].as_str().unwrap()).unwrap()).await.unwrap()[0].id.to_string();
        let path = format!("/api/v1/me/sessions/{session_id}");
        let refused = browser.request(reqwest::Method::DELETE, &path, &[], vec![]).await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("\"error\":\"csrf\""));
        let token = me["csrf_token"].as_str().unwrap();
        let accepted = browser.request(reqwest::Method::DELETE, &path, &[("x-csrf-token", token)], vec![]).await;
        assert_eq!(accepted.status, 204);
    }

    async fn private_pages_refuse_visitors_and_denials_are_audited(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        let page = visitor.get("/account/security").await;
        assert_eq!((page.status, page.location().as_str()), (303, "/sign-in?next=%2Faccount%2Fsecurity"));
        let api = visitor.get("/api/v1/me").await;
        assert_eq!(api.status, 401);
        let body: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(body["error"], "unauthenticated");

        t.user("cand@example.org", &[Role::Candidate]).await;
        let candidate = t.client();
        candidate.sign_in("cand@example.org", PASSWORD).await;
        let denied = candidate.get("/admin/audit").await;
        assert_eq!(denied.status, 403);
        assert!(denied.contains("Only board administrators can read the audit log."));
        assert_eq!(candidate.get_json("/api/v1/audit/events").await.status, 403);
        assert_eq!(candidate.get("/admin/people").await.status, 403);
        let denials = t.audit_actions().await.into_iter().filter(|(a, o)| a == "access.denied" && o == "denied").count();
        assert_eq!(denials, 3);

        // A session is ended only by its owner.
        let other = t.user("other@example.org", &[Role::Candidate]).await;
        let stranger = t.client();
        stranger.sign_in("other@example.org", PASSWORD).await;
        let their_session = t.db.store.sessions_of_user(&other).await.unwrap()[0].id.to_string();
        let form = candidate.get("/account/security").await;
        let attempt = candidate.post(&format!("/account/sessions/{their_session}/revoke"), &[("csrf", &form.csrf())]).await;
        assert_eq!(attempt.status, 403);
        assert_eq!(stranger.get("/dashboard").await.status, 200, "their session lives on");
    }

    async fn roles_that_require_two_factor_must_enrol_first(engine) {
        let t = TestApp::start(engine).await;
        t.user("admin@board.example", &[Role::BoardAdmin]).await;
        let admin = t.client();
        let signed = admin.sign_in("admin@board.example", PASSWORD).await;
        assert_eq!(signed.location(), "/account/two-factor/setup");
        let audit = admin.get("/admin/audit").await;
        assert_eq!((audit.status, audit.location().as_str()), (303, "/account/two-factor/setup"));
        let api = admin.get_json("/api/v1/audit/events").await;
        assert_eq!(api.status, 403, "the rule holds in the API too: {} {}", api.location(), api.body);
        let setup = admin.get("/account/two-factor/setup").await;
        assert!(setup.contains("Your role requires two-factor sign-in"));
        let secret = element_text(&setup.body, "totp-secret");
        let code = totp_code(&secret, "admin@board.example", t.app.now().get().unix_timestamp());
        assert_eq!(admin.post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)]).await.status, 303);
        let audit = admin.get("/admin/audit?action=signin").await;
        assert_eq!(audit.status, 200);
        assert!(audit.contains("signin.success"));
        // The role keeps its second factor: the refusal is the rule's, audited.
        let security = admin.get("/account/security").await;
        let kept = admin.post("/account/two-factor/disable", &[("csrf", &security.csrf()), ("disable_password", PASSWORD)]).await;
        assert_eq!(kept.status, 403);
        assert!(kept.contains("Your role requires two-factor sign-in, so it cannot be turned off."), "{}", kept.body);
        let filtered = admin.get("/admin/audit?outcome=denied&from=2000-01-01&until=2999-12-31").await;
        assert!(filtered.contains("access.denied") && filtered.contains("turn_off_two_factor"), "the refusal is listed: {}", filtered.body);
        let reversed = admin.get("/admin/audit?from=2026-12-07&until=2026-01-01").await;
        assert_eq!(reversed.status, 422);
        assert!(reversed.contains("The first day, 2026-12-07, is after the last, 2026-01-01"), "{}", reversed.body);
        let bad_date = admin.get("/admin/audit?from=yesterday").await;
        assert_eq!(bad_date.status, 422);
        assert!(bad_date.contains("is not a date like 2026-11-24"));
        assert_eq!(bad_date.input_value("from"), "yesterday");
        let json = admin.get_json("/api/v1/audit/events?action=mfa").await;
        let json: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        assert!(json["total"].as_i64().unwrap() >= 1);
    }

    async fn password_reset_and_change(engine) {
        let t = TestApp::start(engine).await;
        t.user("lee@example.org", &[Role::Candidate]).await;
        let browser = t.client();
        browser.sign_in("lee@example.org", PASSWORD).await;
        let unknown = t.client().submit("/password/forgot", "/password/forgot", &[("email", "ghost@example.org")]).await;
        let known = t.client().submit("/password/forgot", "/password/forgot", &[("email", "lee@example.org")]).await;
        assert_eq!(unknown.status, 200);
        assert_eq!(known.status, 200);
        assert!(unknown.contains("If this address belongs to an account") && known.contains("If this address belongs to an account"));
        let link = t.link_in_mail("lee@example.org", "/password/reset/").await;
        let reader = t.client();
        let form = reader.get(&link).await;
        assert_eq!(form.status, 200);
        let short = reader.post(&link, &[("csrf", &form.csrf()), ("password", "short"), ("password_confirm", "short")]).await;
        assert_eq!(short.status, 422);
        assert!(short.contains("id=\"password-error\""));
        let done = reader.post(&link, &[("csrf", &form.csrf()), ("password", "new lantern harbour 7"), ("password_confirm", "new lantern harbour 7")]).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(reader.get(&link).await.status, 400, "the link works once");
        assert_eq!(browser.get("/dashboard").await.status, 303, "every session ended");
        assert_eq!(browser.sign_in("lee@example.org", PASSWORD).await.status, 422);
        assert_eq!(browser.sign_in("lee@example.org", "new lantern harbour 7").await.status, 303);

        let security = browser.get("/account/security").await;
        let wrong = browser.post("/account/password", &[("csrf", &security.csrf()), ("current_password", "nope"), ("password", "another river stone 9"), ("password_confirm", "another river stone 9")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.contains("id=\"current_password-error\""));
        let before = browser.session_cookie();
        let changed = browser.post("/account/password", &[("csrf", &security.csrf()), ("current_password", "new lantern harbour 7"), ("password", "another river stone 9"), ("password_confirm", "another river stone 9")]).await;
        assert_eq!(changed.status, 303);
        assert_ne!(browser.session_cookie(), before, "a new session id after a password change");
        assert!(browser.get("/account/security?changed=password").await.contains("Your password was changed"));
        assert_eq!(t.last_mail("lee@example.org").await.0, "Your password was changed");
    }

    async fn an_invitation_never_hands_a_role_to_an_unconfirmed_account(engine) {
        let t = TestApp::start(engine).await;
        t.user("staff@board.example", &[Role::BoardStaff, Role::BoardAdmin]).await;
        // Someone registers the address a reviewer will be invited at, without confirming it.
        let squatter = t.client();
        squatter.submit("/sign-up", "/sign-up", &[
            ("display_name", "Not The Reviewer"), ("email", "reviewer@clinic.example"),
            ("password", "squatter pass phrase 1"), ("password_confirm", "squatter pass phrase 1"),
        ]).await;
        t.last_mail("reviewer@clinic.example").await;

        let meta = app::RequestMeta::default();
        let staff = t.db.store.user_by_email(&domain::EmailAddress::parse("staff@board.example").unwrap()).await.unwrap().unwrap();
        let session = store::platform::sessions::SessionRecord {
            id: domain::SessionId::parse(&app::platform::random::id().unwrap()).unwrap(),
            token_hash: "x".into(), user_id: staff.id.clone(), stage: store::platform::sessions::SessionStage::Active,
            csrf_secret: "c".into(), created_at: t.app.now(), last_seen_at: t.app.now(), client_addr: None, user_agent: None,
        };
        let actor = app::Actor {
            user_id: staff.id.clone(), email: staff.email.clone(), display_name: "Staff".into(), roles: staff.roles.clone(),
            session_id: session.id.clone(), mfa_enabled: true, email_verified: true, is_demo: false,
        };
        let outcome = t.app.invite(&actor, "reviewer@clinic.example", "committee_reviewer", &meta).await.unwrap();
        assert_eq!(outcome, app::platform::people::Invited::LinkSent, "an unconfirmed account gets a link, not the role");
        let squatted = t.db.store.user_by_email(&domain::EmailAddress::parse("reviewer@clinic.example").unwrap()).await.unwrap().unwrap();
        assert_eq!(squatted.roles, vec![Role::Candidate]);

        // The real owner follows the link: the unconfirmed account is replaced.
        let link = t.link_in_mail("reviewer@clinic.example", "/invitations/").await;
        let owner = t.client();
        let form = owner.get(&link).await;
        let accepted = owner.post(&link, &[("csrf", &form.csrf()), ("display_name", "Dr. Real Reviewer"), ("password", "owner pass phrase 22"), ("password_confirm", "owner pass phrase 22")]).await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        assert_eq!(t.client().sign_in("reviewer@clinic.example", "squatter pass phrase 1").await.status, 422, "the squatter's password is gone");
        assert_eq!(t.client().sign_in("reviewer@clinic.example", "owner pass phrase 22").await.location(), "/account/two-factor/setup");
        assert!(t.audit_actions().await.iter().any(|(a, _)| a == "account.unconfirmed_replaced"));
    }

    async fn a_burst_of_parallel_codes_cannot_outrun_the_limit(engine) {
        let t = TestApp::start(engine).await;
        t.user("pat@example.org", &[Role::Clinician]).await;
        let browser = t.client();
        browser.sign_in("pat@example.org", PASSWORD).await;
        let setup = browser.get("/account/two-factor/setup").await;
        let secret = element_text(&setup.body, "totp-secret");
        let code = totp_code(&secret, "pat@example.org", t.app.now().get().unix_timestamp());
        browser.post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)]).await;
        let attacker = t.client();
        attacker.sign_in("pat@example.org", PASSWORD).await;
        let form = attacker.get("/sign-in/two-factor").await;
        let csrf = form.csrf();
        let mut tries = Vec::new();
        for n in 0..20 {
            let attacker = attacker.clone();
            let csrf = csrf.clone();
            tries.push(tokio::spawn(async move {
                let guess = format!("{:06}", 100_000 + n);
                attacker.post("/sign-in/two-factor", &[("csrf", &csrf), ("code", &guess), ("next", "/dashboard")]).await.status
            }));
        }
        let mut statuses = Vec::new();
        for attempt in tries {
            statuses.push(attempt.await.unwrap());
        }
        let checked = statuses.iter().filter(|s| **s == 422).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert!(checked <= 5, "at most 5 codes were checked: {statuses:?}");
        assert_eq!(checked + refused, 20, "{statuses:?}");
    }

    async fn invitations_give_roles(engine) {

        let t = TestApp::start(engine).await;
        t.user("staff@board.example", &[Role::BoardStaff]).await;
        let existing = t.user("helen@example.org", &[Role::Candidate]).await;
        let staff = t.client();
        staff.sign_in("staff@board.example", PASSWORD).await;
        // Staff must enrol first; do it.
        let setup = staff.get("/account/two-factor/setup").await;
        let code = totp_code(&element_text(&setup.body, "totp-secret"), "staff@board.example", t.app.now().get().unix_timestamp());
        staff.post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)]).await;

        let people = staff.get("/admin/people").await;
        assert_eq!(people.status, 200);
        let offered = people.body.split("<select id=\"role\"").nth(1).unwrap().split("</select>").next().unwrap();
        assert!(!offered.contains("value=\"board_admin\""), "staff cannot offer the admin role: {offered}");
        let bad = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "not-an-address"), ("role", "clinician")]).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.input_value("email"), "not-an-address");
        assert!(bad.contains("Enter an e-mail address like name@example.org."), "{}", bad.body);
        let empty = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", ""), ("role", "clinician")]).await;
        assert_eq!(empty.status, 422);
        assert!(empty.contains("Enter the e-mail address of the person to invite."), "{}", empty.body);
        assert!(!empty.contains("Enter your e-mail address."), "{}", empty.body);
        let refused = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "x@example.org"), ("role", "board_admin")]).await;
        assert_eq!(refused.status, 403);
        let sent = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "amara@clinic.example"), ("role", "clinician")]).await;
        assert_eq!(sent.location(), "/admin/people?invited=link");
        let offered = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "helen@example.org"), ("role", "supervisor")]).await;
        assert_eq!(offered.location(), "/admin/people?invited=offered");
        let helen = t.db.store.user_by_id(&existing).await.unwrap().unwrap();
        assert_eq!(helen.roles, vec![Role::Candidate], "nothing changes until Helen confirms");

        let link = t.link_in_mail("amara@clinic.example", "/invitations/").await;
        let invitee = t.client();
        let form = invitee.get(&link).await;
        assert!(form.contains("Clinician") && form.contains("amara@clinic.example"));
        let mismatch = invitee.post(&link, &[("csrf", &form.csrf()), ("display_name", "Dr. Amara Osei"), ("password", "quiet forest river 3"), ("password_confirm", "other")]).await;
        assert_eq!(mismatch.status, 422);
        assert_eq!(mismatch.input_value("display_name"), "Dr. Amara Osei");
        let accepted = invitee.post(&link, &[("csrf", &form.csrf()), ("display_name", "Dr. Amara Osei"), ("password", "quiet forest river 3"), ("password_confirm", "quiet forest river 3")]).await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        let signed = invitee.sign_in("amara@clinic.example", "quiet forest river 3").await;
        assert_eq!(signed.location(), "/account/two-factor/setup", "clinicians must enrol");
    }
    async fn an_invitation_is_sent_once_withdrawn_or_confirmed_and_roles_come_off(engine) {
        let t = TestApp::start(engine).await;
        let staff = t.signed_in("staff@board.example", &[Role::BoardStaff]).await;
        let admin = t.signed_in("admin@board.example", &[Role::BoardAdmin]).await;
        let candidate = t.user("helen@example.org", &[Role::Candidate]).await;

        // One open invitation per address: the second is refused, linking the first.
        let people = staff.get("/admin/people").await;
        let first = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "amara@clinic.example"), ("role", "clinician")]).await;
        assert_eq!(first.location(), "/admin/people?invited=link");
        let link = t.link_in_mail("amara@clinic.example", "/invitations/").await;
        let twice = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "Amara@Clinic.example"), ("role", "client")]).await;
        assert_eq!(twice.status, 422);
        assert!(twice.contains("amara@clinic.example already has an open invitation (as Clinician)"), "{}", twice.body);
        let open = twice.body.split("<a href=\"/admin/invitations/").nth(1).unwrap_or_else(|| panic!("a link to the first: {}", twice.body)).split('"').next().unwrap().to_owned();
        assert_eq!(twice.input_value("email"), "Amara@Clinic.example", "what was typed is kept");
        let shown = staff.get(&format!("/admin/invitations/{open}")).await;
        assert_eq!(shown.status, 200);
        assert!(shown.contains("amara@clinic.example") && shown.contains("Clinician"), "{}", shown.body);

        // Withdrawing asks for confirmation; then the link says it was withdrawn.
        let unconfirmed = staff.post(&format!("/admin/invitations/{open}/withdraw"), &[("csrf", &shown.csrf())]).await;
        assert_eq!(unconfirmed.status, 422);
        assert!(unconfirmed.contains("Tick to confirm that the invitation to amara@clinic.example should be withdrawn."), "{}", unconfirmed.body);
        let withdrawn = staff.post(&format!("/admin/invitations/{open}/withdraw"), &[("csrf", &shown.csrf()), ("confirm", "yes")]).await;
        assert_eq!(withdrawn.location(), "/admin/people?done=withdrawn");
        let dead = t.client().get(&link).await;
        assert_eq!(dead.status, 410);
        assert!(dead.contains("This invitation was withdrawn"), "{}", dead.body);
        let invitee = t.client();
        let token = invitee.get("/sign-in").await.csrf();
        let accepted = invitee.post(&link, &[("csrf", &token), ("display_name", "Dr. Amara Osei"), ("password", "quiet forest river 3"), ("password_confirm", "quiet forest river 3")]).await;
        assert_ne!(accepted.status, 200, "a withdrawn invitation creates no account");
        assert!(t.db.store.user_by_email(&domain::EmailAddress::parse("amara@clinic.example").unwrap()).await.unwrap().is_none());
        assert_eq!(staff.get(&format!("/admin/invitations/{open}")).await.status, 404);
        // The address can be invited again.
        assert_eq!(staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "amara@clinic.example"), ("role", "clinician")]).await.location(), "/admin/people?invited=link");

        // An existing account: the role is added only once its owner signs in and confirms.
        let offered = staff.post("/admin/invitations", &[("csrf", &people.csrf()), ("email", "helen@example.org"), ("role", "committee_reviewer")]).await;
        assert_eq!(offered.location(), "/admin/people?invited=offered");
        let (subject, _) = t.last_mail("helen@example.org").await;
        assert_eq!(subject, "You are invited to take the Committee reviewer role on Sensate");
        let role_link = t.link_in_mail("helen@example.org", "/invitations/").await;
        assert_eq!(t.db.store.user_by_id(&candidate).await.unwrap().unwrap().roles, vec![Role::Candidate]);
        let signed_out = t.client().get(&role_link).await;
        assert!(signed_out.contains(&format!("href=\"/sign-in?next={role_link}\"")), "{}", signed_out.body);
        // Someone else signed in cannot take it.
        let other = t.signed_in("jordan@example.org", &[Role::Candidate]).await;
        let wrong = other.get(&role_link).await;
        assert!(wrong.contains("You are signed in as jordan@example.org"), "{}", wrong.body);
        let taken = other.post(&role_link, &[("csrf", &wrong.csrf()), ("intent", "add_role")]).await;
        assert_eq!(taken.status, 409);
        assert_eq!(t.db.store.user_by_email(&domain::EmailAddress::parse("jordan@example.org").unwrap()).await.unwrap().unwrap().roles, vec![Role::Candidate]);
        // Helen confirms.
        let helen = t.client();
        helen.sign_in("helen@example.org", crate::support::PASSWORD).await;
        let confirm = helen.get(&role_link).await;
        assert!(confirm.contains("Add the role Committee reviewer to my account"), "{}", confirm.body);
        let added = helen.post(&role_link, &[("csrf", &confirm.csrf()), ("intent", "add_role")]).await;
        assert_eq!(added.status, 200, "{}", added.body);
        assert!(added.contains("The role Committee reviewer was added to your account helen@example.org. Sign in again to use it."), "{}", added.body);
        assert_eq!(t.db.store.user_by_id(&candidate).await.unwrap().unwrap().roles, vec![Role::Candidate, Role::CommitteeReviewer]);
        assert_eq!(helen.get("/dashboard").await.status, 303, "a change of privilege ends the session");
        assert_eq!(t.client().get(&role_link).await.status, 400, "the link works once");

        // Removing a role: confirmed, audited, refused for the last administrator.
        let remove = format!("/admin/people/{candidate}/roles/committee_reviewer/remove");
        let listed = staff.get("/admin/people").await;
        assert!(listed.contains(&format!("href=\"{remove}\"")), "{}", listed.body);
        let asked = staff.get(&remove).await;
        assert!(asked.contains("Remove the role Committee reviewer from Test Person") && asked.contains("They keep: Candidate or certified professional."), "{}", asked.body);
        let unconfirmed = staff.post(&remove, &[("csrf", &asked.csrf())]).await;
        assert_eq!(unconfirmed.status, 422);
        assert_eq!(t.db.store.user_by_id(&candidate).await.unwrap().unwrap().roles, vec![Role::Candidate, Role::CommitteeReviewer]);
        let removed = staff.post(&remove, &[("csrf", &asked.csrf()), ("confirm", "yes")]).await;
        assert_eq!(removed.location(), "/admin/people?done=role_removed");
        assert_eq!(t.db.store.user_by_id(&candidate).await.unwrap().unwrap().roles, vec![Role::Candidate]);
        assert_eq!(t.last_mail("helen@example.org").await.0, "The Committee reviewer role was removed from your Sensate account");
        let admin_id = t.actor("admin@board.example").await.user_id;
        let staff_id = t.actor("staff@board.example").await.user_id;
        assert_eq!(staff.get(&format!("/admin/people/{admin_id}/roles/board_admin/remove")).await.status, 403, "staff do not lower an administrator");
        assert_eq!(staff.get(&format!("/admin/people/{staff_id}/roles/board_staff/remove")).await.status, 403, "nor a colleague");
        let last = format!("/admin/people/{admin_id}/roles/board_admin/remove");
        let form = admin.get(&last).await;
        let refused = admin.post(&last, &[("csrf", &form.csrf()), ("confirm", "yes")]).await;
        assert_eq!(refused.status, 409);
        assert!(refused.contains("Test Person is the board&#39;s last administrator"), "{}", refused.body);
        assert!(t.db.store.user_by_id(&admin_id).await.unwrap().unwrap().has_role(Role::BoardAdmin));
        let actions = t.audit_actions().await;
        for (action, outcome) in [("admin.invited", "success"), ("admin.invitation_withdrawn", "success"), ("account.role_accepted", "success"), ("admin.role_removed", "success"), ("admin.role_removal_refused", "failure")] {
            assert!(actions.iter().any(|(a, o)| a == action && o == outcome), "{action} {outcome}: {actions:?}");
        }
    }
}
