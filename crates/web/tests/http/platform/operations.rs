//! What every page and endpoint promises: headers, cookies, bad input, the API document,
//! operations endpoints, the demo, and keys that rotate and shred. Both engines.

use crate::support::{Options, PASSWORD, TestApp, element_text, totp_code};
use domain::Role;
use store::both_engines;
use time::Duration;

both_engines! {
    async fn security_headers_and_cookie_flags(engine) {
        let t = TestApp::start(engine).await;
        t.user("ann@example.org", &[Role::Candidate]).await;
        let browser = t.client();
        let home = browser.get("/").await;
        let csp = home.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(home.header("x-content-type-options"), "nosniff");
        assert_eq!(home.header("referrer-policy"), "no-referrer");
        assert_eq!(home.header("x-frame-options"), "DENY");
        assert!(home.header("strict-transport-security").is_empty(), "no HSTS over plain HTTP");
        assert!(!home.header("x-request-id").is_empty());
        let anonymous_cookie = home.set_cookies().join(" | ");
        assert!(anonymous_cookie.starts_with("__Host-sensate-csrf="), "{anonymous_cookie}");
        assert!(anonymous_cookie.contains("HttpOnly") && anonymous_cookie.contains("Secure") && anonymous_cookie.contains("Path=/"));

        let signed = browser.sign_in("ann@example.org", PASSWORD).await;
        let session = signed.set_cookies().into_iter().find(|c| c.starts_with("__Host-sensate=")).expect("session cookie");
        for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(session.contains(flag), "{flag} in {session}");
        }
        assert!(!session.contains("Domain="), "__Host- cookies carry no Domain");
        let private = browser.get("/account/security").await;
        assert_eq!(private.status, 200);
        assert_eq!(private.header("cache-control"), "no-store");
        let css = browser.get("/static/app.css").await;
        assert_eq!(css.status, 200);
        assert!(css.header("cache-control").starts_with("public"));
        assert!(css.header("content-type").starts_with("text/css"));
        // Every page links the brand mark as its icon, and the path browsers ask for serves it.
        assert!(private.contains("<link rel=\"icon\" href=\"/static/favicon.svg\""), "{}", private.body);
        for path in ["/static/favicon.svg", "/favicon.ico"] {
            let icon = browser.get(path).await;
            assert_eq!(icon.status, 200, "{path}");
            assert_eq!(icon.header("content-type"), "image/svg+xml", "{path}");
            assert!(icon.body.starts_with("<svg") && icon.body.contains("viewBox"), "{path}");
        }
    }

    async fn bad_input_gets_a_clear_answer(engine) {
        let t = TestApp::start(engine).await;
        let browser = t.client();
        let missing = browser.get("/no/such/page").await;
        assert_eq!(missing.status, 404);
        assert!(missing.contains("Page not found") && missing.contains("Request id:"));
        let missing_json = browser.get("/api/v1/nothing").await;
        assert_eq!(missing_json.status, 404);
        let body: serde_json::Value = serde_json::from_str(&missing_json.body).unwrap();
        assert_eq!(body["error"], "not_found");
        assert!(!body["request_id"].as_str().unwrap().is_empty());

        let token = browser.get("/sign-up").await.csrf();
        let huge = format!("csrf={token}&display_name={}", "a".repeat(200_000));
        let too_big = browser.request(reqwest::Method::POST, "/sign-up", &[("content-type", "application/x-www-form-urlencoded")], huge.into_bytes()).await;
        assert_eq!(too_big.status, 413);
        assert!(too_big.contains("Too much data"));
        let wrong_type = browser.request(reqwest::Method::POST, "/sign-up", &[("content-type", "text/plain"), ("x-csrf-token", &token)], b"hello".to_vec()).await;
        assert_eq!(wrong_type.status, 415);
        assert!(wrong_type.contains("Unsupported form"));
        let garbled = browser.request(reqwest::Method::POST, "/sign-up", &[("content-type", "application/x-www-form-urlencoded")], b"%%%=%%%&&==".to_vec()).await;
        assert!(garbled.status == 400 || garbled.status == 422, "{}", garbled.status);
        let wrong_method = browser.request(reqwest::Method::DELETE, "/sign-up", &[("x-csrf-token", &token)], vec![]).await;
        assert_eq!(wrong_method.status, 405);
        let bad_link = browser.get("/verify-email/not-a-real-token").await;
        assert_eq!(bad_link.status, 400);
        assert!(bad_link.contains("This link no longer works"));
        let bad_invite = browser.get("/invitations/nope").await;
        assert_eq!(bad_invite.status, 400);
        let open_redirect = browser.get("/sign-in?next=//evil.example/x").await;
        assert!(open_redirect.contains("name=\"next\" value=\"/dashboard\""), "only local destinations");
        let tabbed = browser.get("/sign-in?next=/%09/evil.example").await;
        assert!(tabbed.contains("name=\"next\" value=\"/dashboard\""), "a tab cannot smuggle in //host");

    }

    async fn json_input_is_checked_and_explained(engine) {
        let t = TestApp::start(engine).await;
        t.user("jo@example.org", &[Role::Candidate]).await;
        let browser = t.client();
        browser.sign_in("jo@example.org", PASSWORD).await;
        let me: serde_json::Value = serde_json::from_str(&browser.get_json("/api/v1/me").await.body).unwrap();
        let token = me["csrf_token"].as_str().unwrap().to_owned();
        let json = |body: &str| (body.as_bytes().to_vec(), [("content-type", "application/json"), ("x-csrf-token", token.as_str())]);

        let (body, headers) = json("{\"display_name\": ");
        let malformed = browser.request(reqwest::Method::PATCH, "/api/v1/me", &headers, body).await;
        assert_eq!(malformed.status, 400);
        let error: serde_json::Value = serde_json::from_str(&malformed.body).unwrap();
        assert_eq!(error["error"], "bad_request");
        assert!(error["message"].as_str().unwrap().contains("JSON"), "{}", malformed.body);

        let (body, headers) = json("{\"display_name\": \"   \"}");
        let invalid = browser.request(reqwest::Method::PATCH, "/api/v1/me", &headers, body).await;
        assert_eq!(invalid.status, 422);
        let error: serde_json::Value = serde_json::from_str(&invalid.body).unwrap();
        assert_eq!(error["fields"]["display_name"], "Enter your name.");

        let (body, headers) = json("{\"display_name\": \"Jo March\", \"role\": \"board_admin\"}");
        assert_eq!(browser.request(reqwest::Method::PATCH, "/api/v1/me", &headers, body).await.status, 422, "unknown fields are refused");

        let plain = browser.request(reqwest::Method::PATCH, "/api/v1/me", &[("content-type", "text/plain"), ("x-csrf-token", &token)], b"x".to_vec()).await;
        assert_eq!(plain.status, 415);
        assert!(plain.body.contains("unsupported_media_type"));

        let (body, headers) = json("{\"display_name\": \"Jo  March\"}");
        let renamed = browser.request(reqwest::Method::PATCH, "/api/v1/me", &headers, body).await;
        assert_eq!(renamed.status, 200, "{}", renamed.body);
        let renamed: serde_json::Value = serde_json::from_str(&renamed.body).unwrap();
        assert_eq!(renamed["display_name"], "Jo March");

        // The same through the account page: a rejected name is kept in the field.
        let page = browser.get("/account/security").await;
        let long = "x".repeat(101);
        let refused = browser.post("/account/name", &[("csrf", &page.csrf()), ("display_name", &long)]).await;
        assert_eq!(refused.status, 422);
        assert_eq!(refused.input_value("display_name"), long);
        let saved = browser.post("/account/name", &[("csrf", &page.csrf()), ("display_name", "Josephine March")]).await;
        assert_eq!(saved.location(), "/account/security?changed=name");
        assert!(browser.get("/dashboard").await.contains("Welcome, Josephine March"));
    }

    async fn metrics_can_require_a_bearer_token(engine) {
        let t = TestApp::start_with(engine, Options { metrics_token: Some("scrape-token-4f2a"), ..Options::default() }).await;
        let browser = t.client();
        let bare = browser.get("/metrics").await;
        assert_eq!(bare.status, 401, "{} {}", bare.location(), bare.body);
        assert_eq!(bare.header("www-authenticate"), "Bearer realm=\"metrics\"");
        let wrong = browser.request(reqwest::Method::GET, "/metrics", &[("authorization", "Bearer scrape-token-4f2b")], Vec::new()).await;
        assert_eq!(wrong.status, 401);
        let right = browser.request(reqwest::Method::GET, "/metrics", &[("authorization", "Bearer scrape-token-4f2a")], Vec::new()).await;
        assert_eq!(right.status, 200);
        assert!(right.contains("sensate_http_responses_total"), "{}", right.body);
        assert_eq!(browser.get("/healthz").await.status, 200, "health stays public");
    }

    async fn operations_endpoints_and_the_api_document(engine) {

        let t = TestApp::start(engine).await;
        let browser = t.client();
        assert_eq!(browser.get("/healthz").await.status, 200);
        let ready = browser.get("/readyz").await;
        assert_eq!((ready.status, ready.body.trim()), (200, "ready"));
        browser.get("/").await;
        let metrics = browser.get("/metrics").await;
        assert!(metrics.header("content-type").starts_with("text/plain"));
        assert!(metrics.contains("sensate_http_responses_total{method=\"GET\",route=\"/\",status=\"200\"}"), "{}", metrics.body);
        assert!(metrics.contains("sensate_http_request_duration_seconds_bucket"));
        let doc = browser.get("/api/v1/openapi.json").await;
        let doc: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in ["/api/v1/me", "/api/v1/me/sessions", "/api/v1/me/sessions/{id}", "/api/v1/audit/events"] {
            assert!(doc["paths"].get(path).is_some(), "{path} documented");
        }
    }

    async fn demo_accounts_work_only_in_demo_mode(engine) {
        let demo = TestApp::start_with(engine, Options { demo: true, load_demo: true, ..Options::default() }).await;
        let browser = demo.client();
        let page = browser.get("/demo").await;
        assert_eq!(page.status, 200);
        assert!(page.contains("admin@demo.sensate.test") && page.contains("demo-sensate-2026"));
        // Each secret is opened (and audited) once; later visits add nothing to the audit log.
        let events = demo.audit_actions().await.len();
        assert_eq!(browser.get("/demo").await.status, 200);
        assert_eq!(browser.get("/demo").await.status, 200);
        assert_eq!(demo.audit_actions().await.len(), events, "reloading /demo writes no audit event");
        let code = page.body.split("<td><code>").filter(|c| c.len() > 6 && c.as_bytes()[..6].iter().all(u8::is_ascii_digit)).count();
        assert!(code >= 4, "current codes for the four roles with mandatory two-factor");
        let signed = browser.sign_in("candidate@demo.sensate.test", "demo-sensate-2026").await;
        assert_eq!(signed.location(), "/dashboard");
        assert!(browser.get("/demo/mailbox").await.contains("Demo mailbox"));
        assert!(!demo.app.load_demo_if_empty().await.unwrap(), "demo data loads only into an empty database");
        // Dr. Haddad receives client referrals, so she signs in with a code, shown here too.
        let haddad = page.body.split("certified@demo.sensate.test</code></td>").nth(1).unwrap();
        let code = haddad.trim_start().strip_prefix("<td><code>").expect("a code for the referral recipient");
        assert!(code.as_bytes()[..6].iter().all(u8::is_ascii_digit), "{code}");

        // The mailbox shows mail to the demo's own accounts only: a visitor's confirmation
        // link, or an invitation to a new address, is theirs alone.
        let visitor = demo.client();
        let signed_up = visitor
            .submit("/sign-up", "/sign-up", &[("display_name", "Vera Visitor"), ("email", "vera@visitor.test"), ("password", PASSWORD), ("password_confirm", PASSWORD)])
            .await;
        assert_eq!(signed_up.status, 303, "{}", signed_up.body);
        let reset = visitor.submit("/password/forgot", "/password/forgot", &[("email", "candidate@demo.sensate.test")]).await;
        assert_eq!(reset.status, 200, "{}", reset.body);
        for to in ["vera@visitor.test", "candidate@demo.sensate.test"] {
            for _ in 0..100 {
                if !demo.db.store.recent_emails(Some(to), 1).await.unwrap().is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(!demo.db.store.recent_emails(Some(to), 1).await.unwrap().is_empty(), "mail to {to} was sent");
        }
        let mailbox = visitor.get("/demo/mailbox").await;
        assert!(mailbox.contains("To candidate@demo.sensate.test") && mailbox.contains("/password/reset/"), "{}", mailbox.body);
        assert!(!mailbox.contains("vera@visitor.test") && !mailbox.contains("/verify-email/"), "{}", mailbox.body);

        // The same data served without --demo: demo accounts are refused, demo pages absent.
        let plain = TestApp::start(engine).await;
        plain.app.load_demo_if_empty().await.unwrap();
        let visitor = plain.client();
        let refused = visitor.sign_in("candidate@demo.sensate.test", "demo-sensate-2026").await;
        assert_eq!(refused.status, 403);
        assert!(refused.contains("Demo accounts only work while Sensate runs with --demo."));
        assert_eq!(visitor.get("/demo").await.status, 404);
    }

    async fn keys_rotate_without_downtime_and_shredding_erases(engine) {
        let t = TestApp::start(engine).await;
        t.user("rosa@example.org", &[Role::Clinician]).await;
        let browser = t.client();
        browser.sign_in("rosa@example.org", PASSWORD).await;
        let setup = browser.get("/account/two-factor/setup").await;
        let secret = element_text(&setup.body, "totp-secret");
        let code = totp_code(&secret, "rosa@example.org", t.app.now().get().unix_timestamp());
        assert_eq!(browser.post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)]).await.status, 303);

        // Rotate while the server runs: data keys move to the new key; the server reloads the
        // key file when it meets the new key id.
        let key_file = t.keys_dir.path().join("master.key");
        let report = app::platform::keys::rotate(&t.db.store, &app::platform::keys::KeySource::File(key_file.clone())).await.unwrap();
        // The user's data key and the issuer's (which seals the credential-signing key).
        assert_eq!(report.rewrapped, 2);
        assert_eq!(t.db.store.data_key_counts().await.unwrap(), vec![(report.new_key.clone(), 2)]);
        let ring = vault::load_key_file(&key_file).unwrap();
        assert_eq!(ring.active_id().as_str(), report.new_key);
        assert_eq!(ring.ids().count(), 2, "the previous key stays for servers and backups");

        let again = t.client();
        again.sign_in("rosa@example.org", PASSWORD).await;
        t.clock.advance(Duration::seconds(30));
        let form = again.get("/sign-in/two-factor").await;
        let fresh = totp_code(&secret, "rosa@example.org", t.app.now().get().unix_timestamp());
        let ok = again.post("/sign-in/two-factor", &[("csrf", &form.csrf()), ("code", &fresh), ("next", "/dashboard")]).await;
        assert_eq!(ok.status, 303, "sign-in with a code after rotation: {}", ok.body);

        // Crypto-shredding: destroying the person's data key makes the sealed secret unreadable.
        let user = t.db.store.user_by_email(&domain::EmailAddress::parse("rosa@example.org").unwrap()).await.unwrap().unwrap();
        let subject = app::platform::protected::Subject::user(&user.id);
        assert!(t.app.shred(app::platform::audit::AuditActor::default(), &subject, &app::RequestMeta::default()).await.unwrap());
        let field = app::platform::protected::Field { name: "users.totp_secret", record_id: user.id.as_str() };
        let sealed = user.totp_secret_sealed.unwrap();
        let opened = t.app.open(app::platform::audit::AuditActor::default(), &subject, field, &sealed, &app::RequestMeta::default()).await;
        assert!(opened.is_err(), "shredded data cannot be opened");
        let actions = t.audit_actions().await;
        assert!(actions.iter().any(|(a, _)| a == "protected.shredded"));
    }
}
