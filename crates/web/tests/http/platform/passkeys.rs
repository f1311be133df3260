//! Passkeys over HTTP, on both engines, with a software authenticator in place of the browser
//! and device: adding one (password required), the second factor, passwordless sign-in, and
//! the refusals: no challenge, a replayed or foreign challenge, another account's passkey, a
//! removed passkey, a suspended or deleted account, a cloned device, no user verification,
//! missing anti-forgery tokens, throttling. The browser journey is e2e/tests/passkeys.test.mjs.

use crate::support::authenticator::{Authenticator, Claims, b64};
use crate::support::{Browser, PASSWORD, Page, TestApp};
use domain::Role;
use serde_json::{Value, json};
use store::both_engines;

/// The origin passkeys work at: the test server listens on 127.0.0.1, which WebAuthn cannot
/// name, so Sensate registers passkeys to `localhost` on the same port.
fn origin(app: &TestApp) -> String {
    app.base.replace("127.0.0.1", "localhost")
}

async fn post_json(browser: &Browser, path: &str, csrf: &str, body: &Value) -> Page {
    browser
        .request(
            reqwest::Method::POST,
            path,
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("x-csrf-token", csrf),
            ],
            serde_json::to_vec(body).unwrap(),
        )
        .await
}

fn body(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", page.status, page.body))
}

/// Adds a passkey from the security page of a signed-in browser; returns the finishing answer.
async fn add_passkey(browser: &Browser, device: &mut Authenticator, name: &str) -> Page {
    let csrf = browser.get("/account/security").await.csrf();
    let options = post_json(
        browser,
        "/account/passkeys/options",
        &csrf,
        &json!({ "name": name, "password": PASSWORD }),
    )
    .await;
    assert_eq!(options.status, 200, "options: {}", options.body);
    let credential = device.register(&body(&options));
    post_json(browser, "/account/passkeys", &csrf, &credential).await
}

/// A browser that has given the password and owes the second factor; with the page's token.
async fn pending_sign_in(app: &TestApp, email: &str) -> (Browser, String) {
    let browser = app.client();
    let signed = browser.sign_in(email, PASSWORD).await;
    assert!(
        signed.location().starts_with("/sign-in/two-factor"),
        "{email} owes a second factor: {}",
        signed.location()
    );
    let page = browser.get("/sign-in/two-factor").await;
    assert_eq!(page.status, 200);
    (browser, page.csrf())
}

/// A visitor's browser on the sign-in page, with its anonymous anti-forgery token.
async fn visitor(app: &TestApp) -> (Browser, String) {
    let browser = app.client();
    let page = browser.get("/sign-in").await;
    assert!(
        page.contains("Sign in with a passkey"),
        "the sign-in page offers passkeys"
    );
    (browser, page.csrf())
}

async fn passwordless_options(browser: &Browser, csrf: &str) -> Value {
    let options = post_json(browser, "/sign-in/passkey/options", csrf, &json!({})).await;
    assert_eq!(options.status, 200, "options: {}", options.body);
    body(&options)
}

async fn finish_passwordless(browser: &Browser, csrf: &str, credential: Value) -> Page {
    post_json(
        browser,
        "/sign-in/passkey",
        csrf,
        &json!({ "credential": credential, "next": "/account/security" }),
    )
    .await
}

async fn second_factor_options(browser: &Browser, csrf: &str) -> Value {
    let options = post_json(browser, "/sign-in/two-factor/passkey/options", csrf, &json!({})).await;
    assert_eq!(options.status, 200, "options: {}", options.body);
    body(&options)
}

async fn finish_second_factor(browser: &Browser, csrf: &str, credential: Value) -> Page {
    post_json(
        browser,
        "/sign-in/two-factor/passkey",
        csrf,
        &json!({ "credential": credential, "next": "/dashboard" }),
    )
    .await
}

fn refused(page: &Page, what: &str) {
    assert_eq!(page.status, 400, "{what}: {}", page.body);
    assert_eq!(body(page)["error"], "refused", "{what}");
    assert!(page.session_cookie_set().is_none(), "{what}: no session was started");
}

impl Page {
    fn session_cookie_set(&self) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with("__Host-sensate=") && !c.contains("Max-Age=0"))
    }
}

/// The detail of the newest audit event: which check refused (the person sees one message).
async fn last_detail(app: &TestApp) -> String {
    let events = app.db.store.audit_events_after(0, 10_000).await.unwrap();
    events.last().and_then(|e| e.entry.detail.clone()).unwrap_or_default()
}

async fn count(app: &TestApp, action: &str, outcome: &str) -> usize {
    app.audit_actions()
        .await
        .iter()
        .filter(|(a, o)| a == action && o == outcome)
        .count()
}

both_engines! {
    async fn a_passkey_is_added_then_signs_in_after_the_password_and_alone(engine) {
        let app = TestApp::start(engine).await;
        let staff = app.signed_in("staff@example.org", &[Role::BoardStaff]).await;
        let mut device = Authenticator::new(&origin(&app));

        // The password is asked again, and the name checked, before any challenge is given.
        let csrf = staff.get("/account/security").await.csrf();
        let wrong = post_json(&staff, "/account/passkeys/options", &csrf, &json!({ "name": "Laptop", "password": "not it at all" })).await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        assert!(body(&wrong)["fields"]["passkey_password"].is_string());
        assert_eq!(count(&app, "passkey.add_failure", "failure").await, 1);
        let unnamed = post_json(&staff, "/account/passkeys/options", &csrf, &json!({ "name": " ", "password": PASSWORD })).await;
        assert_eq!(unnamed.status, 422);
        assert!(body(&unnamed)["fields"]["passkey_name"].is_string());

        let old_cookie = staff.session_cookie().unwrap();
        let added = add_passkey(&staff, &mut device, "Work laptop").await;
        assert_eq!(added.status, 200, "{}", added.body);
        assert_eq!(body(&added)["redirect"], "/account/security?changed=passkey-added");
        assert_ne!(staff.session_cookie().unwrap(), old_cookie, "a new session id after adding a passkey");
        let security = staff.get("/account/security").await;
        assert!(security.contains("Work laptop") && security.contains("never"), "listed, not used yet");
        assert_eq!(count(&app, "passkey.added", "success").await, 1);
        let (subject, _) = app.last_mail("staff@example.org").await;
        assert_eq!(subject, "A passkey was added to your account");

        // Password, then the passkey as the second factor.
        let (browser, csrf) = pending_sign_in(&app, "staff@example.org").await;
        assert!(browser.get("/sign-in/two-factor").await.contains("Use a passkey"));
        let options = second_factor_options(&browser, &csrf).await;
        assert_eq!(options["publicKey"]["allowCredentials"].as_array().unwrap().len(), 1);
        assert_eq!(options["publicKey"]["userVerification"], "required");
        let answer = device.assert(0, &options, Claims::default());
        let done = finish_second_factor(&browser, &csrf, answer.clone()).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(body(&done)["redirect"], "/dashboard");
        assert!(done.session_cookie_set().is_some(), "a new session id at sign-in");
        assert_eq!(browser.get("/dashboard").await.status, 200);

        // The same answer again: its challenge was used, and a fresh one is not what it signed.
        let (other, other_csrf) = pending_sign_in(&app, "staff@example.org").await;
        refused(&finish_second_factor(&other, &other_csrf, answer.clone()).await, "no challenge");
        second_factor_options(&other, &other_csrf).await;
        refused(&finish_second_factor(&other, &other_csrf, answer).await, "replayed answer");
        let detail = last_detail(&app).await;
        assert!(detail.contains("Challenge"), "the answer signed an old challenge: {detail}");
        assert!(other.get("/dashboard").await.location().starts_with("/sign-in"), "still not signed in");

        // The passkey alone: a full sign-in.
        let (browser, csrf) = visitor(&app).await;
        let options = passwordless_options(&browser, &csrf).await;
        assert!(options["publicKey"].get("allowCredentials").is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)), "any passkey the device holds");
        let done = finish_passwordless(&browser, &csrf, device.assert(0, &options, Claims::default())).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(body(&done)["redirect"], "/account/security");
        assert!(done.session_cookie_set().is_some());
        let security = browser.get("/account/security").await;
        assert_eq!(security.status, 200);
        assert!(security.contains("Work laptop") && !security.contains(">never<"), "the last use is shown");

        // A cloned device (its counter behind the server's) and a device that skipped user
        // verification are refused.
        let (browser, csrf) = visitor(&app).await;
        let options = passwordless_options(&browser, &csrf).await;
        refused(&finish_passwordless(&browser, &csrf, device.assert_with_counter(0, &options, Claims::default(), 1)).await, "cloned");
        let detail = last_detail(&app).await;
        assert!(detail.contains("Counter") || detail.contains("Compromise"), "{detail}");
        let options = passwordless_options(&browser, &csrf).await;
        refused(&finish_passwordless(&browser, &csrf, device.assert(0, &options, Claims { user_verified: false })).await, "no user verification");
        let detail = last_detail(&app).await;
        assert!(detail.contains("Verif"), "{detail}");
        assert!(browser.get("/dashboard").await.location().starts_with("/sign-in"), "still signed out");
        assert!(count(&app, "signin.failure", "failure").await >= 2);
        assert!(count(&app, "signin.success", "success").await >= 3);
        // The passkey notices link to the security page, which answers its owner.
        assert!(app.follow_mail_links("staff@example.org", &staff).await > 0);
    }

    async fn passkeys_of_other_accounts_removed_passkeys_and_forged_requests_are_refused(engine) {
        let app = TestApp::start(engine).await;
        let amy = app.signed_in("amy@example.org", &[Role::Candidate]).await;
        let ben = app.signed_in("ben@example.org", &[Role::BoardStaff]).await;
        let mut amy_device = Authenticator::new(&origin(&app));
        let mut ben_device = Authenticator::new(&origin(&app));
        assert_eq!(add_passkey(&amy, &mut amy_device, "Amy's phone").await.status, 200);
        assert_eq!(add_passkey(&ben, &mut ben_device, "Ben's key").await.status, 200);

        // Amy had no second factor: her passkey is one now.
        let (amy_pending, amy_csrf) = pending_sign_in(&app, "amy@example.org").await;
        let page = amy_pending.get("/sign-in/two-factor").await;
        assert!(page.contains("Confirm it is you") && page.contains("recovery code"));

        // Another account's passkey answers nothing: not as a second factor...
        let (ben_pending, ben_csrf) = pending_sign_in(&app, "ben@example.org").await;
        let options = second_factor_options(&ben_pending, &ben_csrf).await;
        refused(&finish_second_factor(&ben_pending, &ben_csrf, amy_device.assert(0, &options, Claims::default())).await, "Amy's passkey for Ben");
        assert_eq!(last_detail(&app).await, "passkey: not one of this account's passkeys");
        // ...nor with the other account's user handle passed off as its own.
        let (browser, csrf) = visitor(&app).await;
        let options = passwordless_options(&browser, &csrf).await;
        let mut forged = amy_device.assert(0, &options, Claims::default());
        forged["response"]["userHandle"] = json!(b64(&ben_device.keys[0].user_handle));
        refused(&finish_passwordless(&browser, &csrf, forged).await, "another account's user handle");
        assert_eq!(last_detail(&app).await, "passkey: user handle of another account");

        // A challenge belongs to the browser that asked for it, and one must have been asked.
        let (asker, asker_csrf) = visitor(&app).await;
        let options = passwordless_options(&asker, &asker_csrf).await;
        let (thief, thief_csrf) = visitor(&app).await;
        refused(&finish_passwordless(&thief, &thief_csrf, amy_device.assert(0, &options, Claims::default())).await, "another browser's challenge");
        assert_eq!(last_detail(&app).await, "passkey: no challenge");
        let (fresh, fresh_csrf) = visitor(&app).await;
        refused(&finish_passwordless(&fresh, &fresh_csrf, amy_device.assert(0, &options, Claims::default())).await, "no challenge");

        // Anti-forgery: the JSON steps need the token in a header, and take JSON only.
        let no_token = fresh.request(reqwest::Method::POST, "/sign-in/passkey/options", &[("content-type", "application/json")], b"{}".to_vec()).await;
        assert_eq!(no_token.status, 403, "{}", no_token.body);
        let wrong_token = post_json(&amy, "/account/passkeys/options", "0000", &json!({ "name": "x", "password": PASSWORD })).await;
        assert_eq!(wrong_token.status, 403);
        let as_form = amy.post("/account/passkeys", &[("csrf", amy.get("/account/security").await.csrf().as_str())]).await;
        assert_eq!(as_form.status, 415, "a form cannot reach a JSON step: {}", as_form.body);
        let amy_security = amy.get("/account/security").await;
        let remove_path = amy_security.body.split("href=\"/account/passkeys/").nth(1).unwrap().split('"').next().unwrap();
        let remove_path = format!("/account/passkeys/{remove_path}");
        let forged_remove = amy.post(&remove_path, &[("password", PASSWORD)]).await;
        assert_eq!(forged_remove.status, 403, "removing needs the form's token");
        assert_eq!(ben.get(&remove_path).await.status, 404, "nobody else's passkey can be removed");

        // Removing needs the password; then the device's copy no longer signs in, and Amy's
        // sign-in needs no second factor any more.
        let form = amy.get(&remove_path).await;
        assert!(form.contains("Remove the passkey “Amy&#39;s phone”"), "{}", form.body);
        let wrong = amy.post(&remove_path, &[("csrf", &form.csrf()), ("password", "wrong password here")]).await;
        assert_eq!(wrong.status, 422);
        let removed = amy.post(&remove_path, &[("csrf", &form.csrf()), ("password", PASSWORD)]).await;
        assert_eq!(removed.location(), "/account/security?changed=passkey-removed");
        assert_eq!(count(&app, "passkey.removed", "success").await, 1);
        let (browser, csrf) = visitor(&app).await;
        let options = passwordless_options(&browser, &csrf).await;
        refused(&finish_passwordless(&browser, &csrf, amy_device.assert(0, &options, Claims::default())).await, "removed passkey");
        assert_eq!(last_detail(&app).await, "passkey: unknown passkey");
        let no_passkeys = post_json(&amy_pending, "/sign-in/two-factor/passkey/options", &amy_csrf, &json!({})).await;
        assert_eq!(no_passkeys.status, 400, "no passkey to ask for: {}", no_passkeys.body);
        assert_eq!(app.client().sign_in("amy@example.org", PASSWORD).await.location(), "/dashboard");

        // A suspended account, then a deleted one: the passkey is refused.
        app.db.execute("UPDATE users SET disabled_at = created_at WHERE email = 'ben@example.org'").await;
        let (browser, csrf) = visitor(&app).await;
        let options = passwordless_options(&browser, &csrf).await;
        refused(&finish_passwordless(&browser, &csrf, ben_device.assert(0, &options, Claims::default())).await, "suspended account");
        assert_eq!(last_detail(&app).await, "passkey: account disabled");
        app.db.execute("DELETE FROM users WHERE email = 'ben@example.org'").await;
        let options = passwordless_options(&browser, &csrf).await;
        refused(&finish_passwordless(&browser, &csrf, ben_device.assert(0, &options, Claims::default())).await, "deleted account");
        assert_eq!(last_detail(&app).await, "passkey: unknown passkey");
        assert!(browser.get("/dashboard").await.location().starts_with("/sign-in"), "still signed out");
    }

    async fn passkey_attempts_count_towards_the_second_factor_limit(engine) {
        let app = TestApp::start(engine).await;
        let cleo = app.signed_in("cleo@example.org", &[Role::Candidate]).await;
        let mut device = Authenticator::new(&origin(&app));
        assert_eq!(add_passkey(&cleo, &mut device, "Phone").await.status, 200);
        let (browser, csrf) = pending_sign_in(&app, "cleo@example.org").await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let options = second_factor_options(&browser, &csrf).await;
            let answer = device.assert(0, &options, Claims { user_verified: false });
            statuses.push(finish_second_factor(&browser, &csrf, answer).await.status);
        }
        assert_eq!(statuses, [400, 400, 400, 400, 400, 429], "five failures, then locked");
        // Locked means locked: even a good answer waits.
        let options = second_factor_options(&browser, &csrf).await;
        let good = finish_second_factor(&browser, &csrf, device.assert(0, &options, Claims::default())).await;
        assert_eq!(good.status, 429);
        assert_eq!(count(&app, "signin.throttled", "denied").await, 2);
    }
}
