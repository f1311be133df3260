//! Public verification and what machines read: bad input named plainly (a mistyped check
//! digit, a forged or foreign badge, an unknown key id), the rate limit, the FHIR
//! Practitioner, and the status list's stable URL. Both engines.

use crate::support::TestApp;
use domain::Role;
use store::both_engines;
use time::Duration;

both_engines! {
    async fn verification_names_every_problem_and_limits_scrapers(engine) {
        let t = TestApp::start(engine).await;
        let user = t.user("holder@practice.test", &[Role::Candidate]).await;
        let today = t.app.today();
        let credential = t.app.record_existing_credential(&user, "CSE", today - Duration::days(10), today + Duration::days(1000)).await.unwrap();
        let number = credential.number.clone();
        let visitor = t.client();

        // A mistyped digit is told apart from an unknown number.
        let mut typo = number.clone().into_bytes();
        let last = typo.len() - 1;
        typo[last] = if typo[last] == b'0' { b'1' } else { b'0' };
        let typo = String::from_utf8(typo).unwrap();
        let page = visitor.get(&format!("/verify?q={typo}")).await;
        assert_eq!(page.status, 422);
        assert!(page.contains("check digits do not match"), "{}", page.body);
        assert!(page.input_value("q") == typo, "what was typed is kept");
        let direct = visitor.get(&format!("/verify/{typo}")).await;
        assert_eq!(direct.status, 422);
        let api = visitor.get_json(&format!("/api/v1/credentials/{typo}")).await;
        assert_eq!(api.status, 422);
        assert!(api.body.contains("invalid_input"), "{}", api.body);
        let unknown = domain::credentialing::credential_number::CredentialNumber::new(&domain::credentialing::programs::ProgramCode::parse("CSE").unwrap(), 2031, 999_999).unwrap();
        let page = visitor.get(&format!("/verify?q={}", unknown.as_str())).await;
        assert!(page.contains("The register has no credential for"), "{}", page.body);
        assert_eq!(visitor.get_json(&format!("/api/v1/credentials/{}", unknown.as_str())).await.status, 404);
        assert_eq!(visitor.get("/verify?q=a").await.status, 422, "one letter is not a search");

        // Forged, foreign and malformed badges are refused with the reason.
        let form = visitor.get("/verify").await;
        let csrf = form.csrf();
        let check = |token: String| {
            let visitor = visitor.clone();
            let csrf = csrf.clone();
            async move { visitor.post_multipart("/verify/check", &[("csrf", &csrf), ("token", &token)], &[]).await }
        };
        let malformed = check("not a credential".into()).await;
        assert_eq!(malformed.status, 422);
        assert!(malformed.contains("This is not a signed credential"), "{}", malformed.body);
        let foreign_key = vault::SigningKey::generate().unwrap();
        let foreign = foreign_key.sign_jws("did:web:elsewhere.example#key-1", Some("vc+jwt"), br#"{"iss":"did:web:elsewhere.example"}"#);
        let refused = check(foreign).await;
        assert!(refused.contains("signed with a key this board never published") && refused.contains("did:web:elsewhere.example#key-1"), "{}", refused.body);
        let holder = t.client();
        holder.sign_in("holder@practice.test", crate::support::PASSWORD).await;
        let (_, _, token) = holder.get_bytes(&format!("/portal/credentials/{number}/badge.jwt")).await;
        let token = String::from_utf8(token).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        use base64::Engine as _;
        let engine64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: serde_json::Value = serde_json::from_slice(&engine64.decode(&parts[1]).unwrap()).unwrap();
        claims["validUntil"] = serde_json::json!("2099-01-01T00:00:00Z");
        parts[1] = engine64.encode(serde_json::to_vec(&claims).unwrap());
        let altered = check(parts.join(".")).await;
        assert!(altered.contains("The signature does not match"), "{}", altered.body);
        let good = check(token).await;
        assert_eq!(good.status, 200);
        assert!(good.contains("The signature is valid"));

        // FHIR: the holder's qualifications, public facts only.
        let fhir = visitor.get(&format!("/fhir/Practitioner/{}", user.as_str())).await;
        assert_eq!(fhir.status, 200);
        assert_eq!(fhir.header("content-type"), "application/fhir+json");
        let resource: serde_json::Value = serde_json::from_str(&fhir.body).unwrap();
        assert_eq!(resource["resourceType"], "Practitioner");
        assert_eq!(resource["qualification"][0]["identifier"][0]["value"], number.as_str());
        assert_eq!(resource["qualification"][0]["code"]["coding"][0]["code"], "CSE");
        assert_eq!(resource["qualification"][0]["period"]["start"], (today - Duration::days(10)).to_string());
        assert!(resource.get("telecom").is_none(), "no contact details");
        assert_eq!(resource["qualification"][0]["issuer"]["display"], "Test Board of Sexuality Professionals", "the configured board");
        let nobody = t.user("nobody@practice.test", &[Role::Candidate]).await;
        let not_a_holder = visitor.get(&format!("/fhir/Practitioner/{}", nobody.as_str())).await;
        assert_eq!(not_a_holder.status, 404, "not a holder");
        // FHIR clients get errors as an OperationOutcome, never an HTML page.
        assert_eq!(not_a_holder.header("content-type"), "application/fhir+json");
        let outcome: serde_json::Value = serde_json::from_str(&not_a_holder.body).unwrap();
        assert_eq!((outcome["resourceType"].as_str(), outcome["issue"][0]["code"].as_str()), (Some("OperationOutcome"), Some("not-found")));

        // Status lists: a list that does not exist is 404; the suspension list exists too.
        assert_eq!(visitor.get("/status/revocation/2").await.status, 404);
        assert_eq!(visitor.get("/status/other/1").await.status, 404);
        let list = visitor.get("/status/suspension/1").await;
        assert_eq!(list.status, 200);
        let payload: serde_json::Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(list.body.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(payload["issuer"]["name"], "Test Board of Sexuality Professionals", "the status list names the configured board");

        // The public lookups are limited per address: 60 a minute.
        let scraper = t.client();
        let mut statuses = Vec::new();
        for _ in 0..62 {
            statuses.push(scraper.get_json(&format!("/api/v1/credentials/{number}")).await.status);
        }
        assert!(statuses.contains(&429), "{statuses:?}");
        let limited = scraper.get_json(&format!("/api/v1/credentials/{number}")).await;
        assert_eq!(limited.status, 429);
        assert!(limited.body.contains("Too many lookups"), "{}", limited.body);
    }

    async fn staff_apply_one_action_to_many_credentials_after_a_preview(engine) {
        let t = TestApp::start(engine).await;
        let meta = app::RequestMeta::default();
        let today = t.app.today();
        let mut numbers = Vec::new();
        for n in 0..3 {
            let user = t.user(&format!("holder{n}@practice.test"), &[Role::Candidate]).await;
            numbers.push(t.app.record_existing_credential(&user, "CSE", today - Duration::days(10), today + Duration::days(900)).await.unwrap().number);
        }
        let staff = t.signed_in("registrar@board.test", &[Role::BoardStaff]).await;
        let registrar = t.actor("registrar@board.test").await;
        t.app.change_credential_status(&registrar, &numbers[2], app::credentialing::credentials::StatusAction::Revoke, "Issued to the wrong person.", "Revoked: issued in error.", &meta).await.unwrap();

        let register = staff.get("/admin/credentials").await;
        assert_eq!(register.status, 200);
        let choose: Vec<(String, String)> = numbers.iter().map(|n| (format!("select-{n}"), "1".to_owned())).collect();
        let csrf = register.csrf();
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("action", "suspend")];
        fields.extend(choose.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let preview = staff.post("/admin/credentials/bulk/preview", &fields).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        assert!(preview.contains("2 of 3 will change"), "{}", preview.body);
        assert!(preview.contains("a revoked credential cannot take this action"));
        // Nothing changed by the preview.
        assert_eq!(t.db.store.credential_by_number(&numbers[0]).await.unwrap().unwrap().status, "active");

        let mut apply = fields.clone();
        apply.push(("reason", "Membership fees unpaid."));
        let missing = staff.post("/admin/credentials/bulk", &apply).await;
        assert_eq!(missing.status, 422);
        assert!(missing.contains("Write the public notice") && missing.contains("Membership fees unpaid."), "{}", missing.body);
        apply.push(("notice", "Suspended until membership fees are paid."));
        let started = staff.post("/admin/credentials/bulk", &apply).await;
        assert_eq!(started.status, 303, "{}", started.body);
        let progress_url = started.location();
        let mut page = staff.get(&progress_url).await;
        for _ in 0..50 {
            if page.contains("Finished:") {
                break;
            }
            assert!(page.contains("<progress"), "{}", page.body);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            page = staff.get(&progress_url).await;
        }
        assert!(page.contains("Finished: 2 changed, 1 left as they were."), "{}", page.body);
        for number in &numbers[..2] {
            let view = t.app.verify_number(number).await.unwrap();
            assert_eq!(view.status.as_str(), "suspended");
            assert_eq!(view.public_notice.as_deref(), Some("Suspended until membership fees are paid."));
        }
        assert_eq!(t.app.verify_number(&numbers[2]).await.unwrap().status.as_str(), "revoked");
        // Only staff run bulk actions.
        let holder = t.client();
        holder.sign_in("holder0@practice.test", crate::support::PASSWORD).await;
        assert_eq!(holder.get(&progress_url).await.status, 403);
    }
}
