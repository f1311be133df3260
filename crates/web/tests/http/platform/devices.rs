//! Device cookies over HTTP, on both engines (the OWASP authentication guidance's scheme): a
//! browser that has signed in to an account keeps its own allowance of attempts, so someone
//! guessing the password elsewhere, or a flood from the owner's shared address, cannot lock
//! the owner out; a device cookie that fails too often locks itself; the owner is shown the
//! failed attempts after signing in.

use domain::Role;
use store::both_engines;

use crate::support::{Browser, PASSWORD, TestApp};

const DEVICE_COOKIE: &str = "__Host-sensate-device";

async fn sign_out(browser: &Browser) {
    let page = browser.get("/dashboard").await;
    assert_eq!(browser.post("/sign-out", &[("csrf", &page.csrf())]).await.status, 303);
    assert!(browser.session_cookie().is_none());
}

/// The second step of a sign-in, with a code from the authenticator set up with `secret`
/// (each code is accepted once, so the clock moves to the next one first).
async fn second_factor(t: &TestApp, browser: &Browser, email: &str, secret: &str) -> crate::support::Page {
    t.clock.advance(time::Duration::seconds(31));
    let code = crate::support::totp_code(secret, email, t.app.now().get().unix_timestamp());
    let form = browser.get("/sign-in/two-factor").await;
    browser
        .post(
            "/sign-in/two-factor",
            &[("csrf", &form.csrf()), ("code", &code), ("next", "/dashboard")],
        )
        .await
}

/// Signs in and out again, so the browser keeps only its device cookie.
async fn sign_in_and_out(browser: &Browser, email: &str) {
    let signed = browser.sign_in(email, PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    sign_out(browser).await;
}

both_engines! {
    async fn the_owner_with_a_device_cookie_signs_in_while_guessing_has_locked_the_account(engine) {
        let t = TestApp::start(engine).await;
        t.user("owner@example.org", &[Role::BoardStaff]).await;
        let laptop = t.client();
        let signed = laptop.sign_in("owner@example.org", PASSWORD).await;
        let set_cookie: Vec<String> = signed
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let device = set_cookie.iter().find(|c| c.starts_with(&format!("{DEVICE_COOKIE}="))).expect("a device cookie after sign-in");
        for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/", "Max-Age=15552000"] {
            assert!(device.contains(attribute), "{attribute} in {device}");
        }
        let token = laptop.cookies.lock().unwrap().get(DEVICE_COOKIE).cloned().unwrap();
        let secret = t.enrol_totp(&laptop, "owner@example.org").await;
        sign_out(&laptop).await;

        // Someone guesses from elsewhere: after five failures the account is locked for
        // everyone without the owner's device cookie, the right password included.
        let attacker = t.client();
        for _ in 0..5 {
            assert_eq!(attacker.sign_in("owner@example.org", "guess guess guess").await.status, 422);
        }
        assert_eq!(attacker.sign_in("owner@example.org", "guess guess guess").await.status, 429);
        assert_eq!(attacker.sign_in("owner@example.org", PASSWORD).await.status, 429, "locked, even with the password");
        let new_phone = t.client();
        assert_eq!(new_phone.sign_in("owner@example.org", PASSWORD).await.status, 429, "a new browser of the owner too");

        // The owner's laptop has its own allowance: the password step goes through.
        let back = laptop.sign_in("owner@example.org", PASSWORD).await;
        assert_eq!(back.status, 303, "{}", back.body);
        assert!(back.location().starts_with("/sign-in/two-factor"), "{}", back.location());
        let kept = laptop.cookies.lock().unwrap().get(DEVICE_COOKIE).cloned();
        assert_eq!(kept.as_deref(), Some(token.as_str()), "renewed only once the sign-in is complete");
        let finished = second_factor(&t, &laptop, "owner@example.org", &secret).await;
        assert_eq!(finished.status, 303, "{}", finished.body);
        let renewed = laptop.cookies.lock().unwrap().get(DEVICE_COOKIE).cloned().unwrap();
        assert_ne!(renewed, token, "a new device token after each complete sign-in");

        // After signing in, the owner is told about the attempts, with times and addresses.
        let dashboard = laptop.get("/dashboard").await;
        assert!(dashboard.contains("8 failed sign-in attempts since your last sign-in."), "{}", dashboard.body);
        let security = laptop.get("/account/security").await;
        assert!(security.contains("8 failed sign-in attempts since your last sign-in."), "{}", security.body);
        assert_eq!(security.body.matches("Wrong password or passkey").count(), 5, "{}", security.body);
        assert_eq!(security.body.matches("Refused: too many attempts").count(), 3, "{}", security.body);
        assert!(security.contains("<td>127.0.0.1</td>"), "{}", security.body);
        // Told once: after the next sign-in they are no longer new.
        sign_out(&laptop).await;
        assert_eq!(laptop.sign_in("owner@example.org", PASSWORD).await.status, 303);
        assert_eq!(second_factor(&t, &laptop, "owner@example.org", &secret).await.status, 303);
        assert!(laptop.get("/account/security").await.contains("No failed sign-in attempts since your last sign-in."));
        assert!(!laptop.get("/dashboard").await.contains("failed sign-in attempt"));
    }

    async fn a_device_cookie_that_fails_too_often_locks_only_itself(engine) {
        let t = TestApp::start(engine).await;
        t.user("kim@example.org", &[Role::Candidate]).await;
        let stolen = t.client();
        sign_in_and_out(&stolen, "kim@example.org").await;
        // Five wrong passwords with the device cookie, then the cookie is locked, the right
        // password included.
        for _ in 0..5 {
            assert_eq!(stolen.sign_in("kim@example.org", "not it at all").await.status, 422);
        }
        assert_eq!(stolen.sign_in("kim@example.org", PASSWORD).await.status, 429);
        assert!(t.audit_actions().await.iter().any(|(a, o)| a == "signin.throttled" && o == "denied"));
        // The account's own counter was not touched: the owner elsewhere signs in at once.
        let owner = t.client();
        assert_eq!(owner.sign_in("kim@example.org", PASSWORD).await.status, 303);
        // A forged or stale device cookie is simply not trusted.
        let forged = t.client();
        forged.cookies.lock().unwrap().insert(DEVICE_COOKIE.into(), "A".repeat(43));
        for _ in 0..5 {
            forged.sign_in("kim@example.org", "still not it").await;
        }
        assert_eq!(forged.sign_in("kim@example.org", PASSWORD).await.status, 429, "counted as any stranger");
        // The device cookie keeps the accounts signed in from one browser, each its own.
        t.user("lee@example.org", &[Role::Candidate]).await;
        let shared = t.client();
        sign_in_and_out(&shared, "lee@example.org").await;
        t.clock.advance(time::Duration::minutes(16));
        sign_in_and_out(&shared, "kim@example.org").await;
        let tokens = shared.cookies.lock().unwrap().get(DEVICE_COOKIE).cloned().unwrap();
        assert_eq!(tokens.split('.').count(), 2, "{tokens}");
    }

    async fn a_flood_from_the_owners_address_does_not_lock_out_a_device_cookie(engine) {
        let t = TestApp::start(engine).await;
        t.user("sam@example.org", &[Role::Candidate]).await;
        t.user("new@example.org", &[Role::Candidate]).await;
        let owner = t.client();
        sign_in_and_out(&owner, "sam@example.org").await;

        // Twenty-one wrong attempts from the shared address, on accounts of all kinds.
        let flood = t.client();
        for n in 0..20 {
            assert_eq!(flood.sign_in(&format!("someone{n}@example.org"), "wrong wrong wrong").await.status, 422);
        }
        assert_eq!(flood.sign_in("someone-else@example.org", "wrong wrong wrong").await.status, 429);
        // Everyone behind the address without a device cookie waits…
        assert_eq!(t.client().sign_in("new@example.org", PASSWORD).await.status, 429);
        // …but a browser that signed in to its account before does not.
        let back = owner.sign_in("sam@example.org", PASSWORD).await;
        assert_eq!(back.status, 303, "{}", back.body);
        assert_eq!(back.location(), "/dashboard");
        sign_out(&owner).await;
        // Its cookie holds for that account only: on another account it is any stranger.
        assert_eq!(owner.sign_in("new@example.org", PASSWORD).await.status, 429);
    }
}
