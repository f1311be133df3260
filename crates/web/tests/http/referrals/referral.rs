//! Referrals over HTTP, on both engines: a physician's account request approved by staff, a
//! referral sent to a professional found in the directory, sealed and read only by its two
//! parties (the professional only once they sign in with two factors), and answered once;
//! the public request form's limits and its one waiting request per address; the staff's
//! list of requests.

use domain::Role;
use domain::referrals::referral::ReferrerRequestState;
use store::both_engines;
use store::referrals::referral::ReferrerRequestRow;

use crate::directory::profiles::{PROFILE, therapist};
use crate::support::TestApp;

both_engines! {
    async fn a_referral_is_sealed_seen_by_its_two_parties_and_answered_once(engine) {
        let t = TestApp::start(engine).await;
        t.small_gazetteer().await;
        let (user, _) = therapist(&t, "maria@mission-clinic.test").await;
        let professional = t.client();
        professional.sign_in("maria@mission-clinic.test", crate::support::PASSWORD).await;
        assert_eq!(professional.submit("/portal/profile", "/portal/profile", PROFILE).await.status, 303);

        // A physician asks for an account; staff approve it, which invites them.
        let visitor = t.client();
        let asked = visitor
            .submit("/referrers/request", "/referrers/request", &[
                ("name", "Dr. Ana Souza"), ("email", "ana@fertility.test"), ("organisation", "Bay Fertility Center"),
                ("kind", "fertility_specialist"), ("license", "CA-A12345"), ("phone", "+1 415 555 0100"),
            ])
            .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let refused = visitor.submit("/referrers/request", "/referrers/request", &[("name", "X"), ("email", "not-an-email")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.contains("Choose what kind of provider you are.") && refused.input_value("name") == "X");
        let staff = t.signed_in("staff@board.test", &[Role::BoardStaff]).await;
        let queue = staff.get("/admin/referrers").await;
        assert!(queue.contains("Bay Fertility Center"), "{}", queue.body);
        let request = t.db.store.referrer_requests().await.unwrap().into_iter().next().unwrap();
        let approved = staff
            .submit("/admin/referrers", &format!("/admin/referrers/{}", request.id), &[("decision", "approve"), ("note", "")])
            .await;
        assert_eq!(approved.status, 303, "{}", approved.body);
        assert!(t.last_mail("ana@fertility.test").await.0.contains("invit") || t.last_mail("ana@fertility.test").await.1.contains("invit"));

        // The referring provider (two-factor) refers a client from the profile.
        let physician = t.signed_in("ana@fertility.test", &[Role::ReferringProvider]).await;
        let profile = physician.get(&format!("/directory/{}", user.as_str())).await;
        assert!(profile.contains(&format!("/referrals/new?to={}", user.as_str())), "{}", profile.body);
        let to = user.as_str().to_owned();
        let form = format!("/referrals/new?to={to}");
        let incomplete = physician.submit(&form, "/referrals/new", &[("to", &to), ("client_name", "Lee Park"), ("concern", "infertility"), ("urgency", "soon")]).await;
        assert_eq!(incomplete.status, 422, "{}", incomplete.body);
        assert!(incomplete.contains("agreed to be contacted") && incomplete.contains("e-mail address or a phone number"), "{}", incomplete.body);
        assert_eq!(incomplete.input_value("client_name"), "Lee Park", "what was typed is kept");
        let sent = physician
            .submit(&form, "/referrals/new", &[
                ("to", &to), ("client_name", "Lee Park"), ("client_email", "lee.park@mail.test"),
                ("concern", "infertility"), ("concern", "low_desire"), ("urgency", "soon"),
                ("notes", "Two years of IVF; intimacy has become scheduled."), ("client_agreed", "yes"),
            ])
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let path = sent.location();
        let id = path.trim_start_matches("/referrals/").split('?').next().unwrap().to_owned();

        // Sealed at rest; the e-mail carries a link only.
        let row = t.db.store.referral(&id).await.unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&row.contents_sealed).contains("Lee Park"));
        let (subject, text) = t.last_mail("maria@mission-clinic.test").await;
        assert!(subject.starts_with("Referral RF-"), "{subject}");
        assert!(!text.contains("Lee Park") && !text.contains("IVF") && text.contains(&format!("/referrals/{id}")), "{text}");

        // Only the two parties open it; each opening is audited.
        let outsider = t.signed_in("other@practice.test", &[Role::ReferringProvider]).await;
        assert_eq!(outsider.get(&format!("/referrals/{id}")).await.status, 403);
        assert_eq!(outsider.get(&format!("/fhir/ServiceRequest/{id}")).await.status, 403);
        assert_eq!(staff.get(&format!("/referrals/{id}")).await.status, 403, "not even staff");

        // The professional receives protected client data: without two-factor sign-in, pages
        // send them to set it up (and back), and a program is refused as such.
        let listed = professional.get("/referrals").await;
        assert!(listed.contains(&row.reference) && listed.contains("reading one takes two-factor sign-in"), "{}", listed.body);
        let sent_to_enrol = professional.get(&format!("/referrals/{id}")).await;
        assert_eq!(sent_to_enrol.status, 303);
        assert_eq!(sent_to_enrol.location(), format!("/account/two-factor/setup?next=%2Freferrals%2F{id}"));
        // A FHIR client is told in an OperationOutcome, not sent to a page.
        let fhir_refused = professional.get_json(&format!("/fhir/ServiceRequest/{id}")).await;
        assert_eq!(fhir_refused.status, 403);
        assert!(fhir_refused.contains("OperationOutcome") && fhir_refused.contains("set up two-factor sign-in"), "{}", fhir_refused.body);
        assert!(!fhir_refused.contains("Lee Park"));
        // The JSON API says why in its own words.
        let api_refused = professional
            .request(reqwest::Method::GET, &format!("/referrals/{id}"), &[("accept", "application/json")], Vec::new())
            .await;
        assert_eq!(api_refused.status, 403);
        assert!(api_refused.contains("\"error\":\"second_factor_required\""), "{}", api_refused.body);
        let answer_form = professional.get("/referrals").await.csrf();
        let early_answer = professional
            .post(&format!("/referrals/{id}/answer"), &[("csrf", &answer_form), ("decision", "accept"), ("reason", "")])
            .await;
        assert_eq!(early_answer.status, 303);
        assert!(early_answer.location().starts_with("/account/two-factor/setup"), "{}", early_answer.location());
        assert_eq!(t.db.store.referral(&id).await.unwrap().unwrap().status.as_str(), "sent", "not answered");
        let setup = professional.get(&sent_to_enrol.location()).await;
        assert!(setup.contains("set up two-factor sign-in to open it"), "{}", setup.body);
        assert!(setup.contains(&format!("name=\"next\" value=\"/referrals/{id}\"")), "{}", setup.body);
        let secret = crate::support::element_text(&setup.body, "totp-secret");
        let code = crate::support::totp_code(&secret, "maria@mission-clinic.test", t.app.now().get().unix_timestamp());
        let enrolled = professional
            .post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code), ("next", &format!("/referrals/{id}"))])
            .await;
        assert_eq!(enrolled.status, 303, "{}", enrolled.body);
        let codes = professional.get(&enrolled.location()).await;
        assert!(codes.contains(&format!("href=\"/referrals/{id}\"")), "back to the referral: {}", codes.body);
        let seen = professional.get(&format!("/referrals/{id}")).await;
        assert!(seen.contains("Lee Park") && seen.contains("Two years of IVF"), "{}", seen.body);
        assert!(t.audit_actions().await.iter().filter(|(a, _)| a == "protected.read").count() >= 1);

        // Declining needs a reason; accepting is once; the referrer sees it accepted.
        let no_reason = professional.submit(&format!("/referrals/{id}"), &format!("/referrals/{id}/answer"), &[("decision", "decline"), ("reason", "")]).await;
        assert_eq!(no_reason.status, 422);
        assert!(no_reason.contains("Say why you decline"));
        let accepted = professional.submit(&format!("/referrals/{id}"), &format!("/referrals/{id}/answer"), &[("decision", "accept"), ("reason", "I will call Lee this week.")]).await;
        assert_eq!(accepted.status, 303, "{}", accepted.body);
        let again = professional.submit(&format!("/referrals/{id}"), &format!("/referrals/{id}/answer"), &[("decision", "decline"), ("reason", "changed my mind")]).await;
        assert_eq!(again.status, 422, "answered once: {}", again.body);
        let status = physician.get(&format!("/referrals/{id}")).await;
        assert!(status.contains("<strong id=\"referral-status\">accepted</strong>"), "{}", status.body);
        let listed = physician.get("/referrals").await;
        assert!(listed.contains(&row.reference) && listed.contains("accepted"));

        // FHIR R4 ServiceRequest for the two parties.
        let fhir = physician.get(&format!("/fhir/ServiceRequest/{id}")).await;
        assert_eq!(fhir.status, 200);
        assert_eq!(fhir.header("content-type"), "application/fhir+json");
        assert_eq!(fhir.header("cache-control"), "no-store");
        let resource: serde_json::Value = serde_json::from_str(&fhir.body).unwrap();
        assert_eq!(resource["resourceType"], "ServiceRequest");
        assert_eq!(resource["status"], "active");
        assert_eq!(resource["priority"], "urgent");
        assert_eq!(resource["subject"]["display"], "Lee Park");
        assert_eq!(resource["performer"][0]["reference"], format!("Practitioner/{}", user.as_str()));
        assert_eq!(resource["reasonCode"].as_array().unwrap().len(), 2);
        // Every link in every e-mail of this journey answers its addressee.
        assert!(t.follow_mail_links("maria@mission-clinic.test", &professional).await > 0);
        assert!(t.follow_mail_links("ana@fertility.test", &physician).await > 0);
    }
}

/// Posts the public request form as `visitor` for `email`.
async fn ask(visitor: &crate::support::Browser, name: &str, email: &str) -> crate::support::Page {
    visitor
        .submit(
            "/referrers/request",
            "/referrers/request",
            &[
                ("name", name),
                ("email", email),
                ("organisation", "Bay Fertility Center"),
                ("kind", "fertility_specialist"),
                ("license", "CA-A12345"),
                ("phone", "+1 415 555 0100"),
            ],
        )
        .await
}

/// A stored request, as if it came through the form.
fn request_row(n: usize, status: ReferrerRequestState) -> ReferrerRequestRow {
    ReferrerRequestRow {
        id: format!("seeded-{n:03}"),
        email: format!("doctor{n:03}@clinic.test"),
        name: format!("Dr. Seeded {n:03}"),
        organisation: format!("Clinic {}", 999 - n),
        kind: "physician".into(),
        license: format!("MD-{n:05}"),
        phone: "+1 555 0100".into(),
        status,
        requested_at: store::Timestamp::new(time::OffsetDateTime::now_utc() - time::Duration::minutes(1000 - n as i64)),
        decided_by: None,
        decided_at: None,
        decision_note: None,
    }
}

both_engines! {
    async fn the_request_form_is_limited_and_keeps_one_waiting_request_per_address(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        let count = async || t.db.store.referrer_requests().await.unwrap().len();

        // The same address again while its request waits: the same kind answer, no second row.
        assert_eq!(ask(&visitor, "Dr. Ana Souza", "ana@fertility.test").await.location(), "/referrers/request?sent=1");
        let again = ask(&visitor, "Dr. Ana Souza", "ANA@fertility.test").await;
        assert_eq!(again.status, 303, "{}", again.body);
        assert_eq!(again.location(), "/referrers/request?sent=1");
        assert!(visitor.get(&again.location()).await.contains("There is no need to send it again"));
        assert_eq!(count().await, 1, "one waiting request per address");
        assert!(t.audit_actions().await.iter().any(|(a, o)| a == "referrer.request_repeated" && o == "failure"));
        // Parallel copies too (a double click, a script): one row.
        let copies: Vec<_> = (0..3).map(|_| ask(&visitor, "Dr. Ben Ortiz", "ben@fertility.test")).collect();
        for page in futures_util::future::join_all(copies).await {
            assert_eq!(page.status, 303, "{}", page.body);
        }
        assert_eq!(count().await, 2);

        // Three a day from one e-mail address: the fourth is refused, with what was typed kept.
        assert_eq!(ask(&visitor, "Dr. Ana Souza", "ana@fertility.test").await.status, 303);
        let refused = ask(&visitor, "Dr. Ana Souza", "ana@fertility.test").await;
        assert_eq!(refused.status, 429, "{}", refused.body);
        assert!(refused.contains("We cannot take more requests from you today"), "{}", refused.body);
        assert_eq!(refused.input_value("name"), "Dr. Ana Souza");
        assert_eq!(refused.input_value("email"), "ana@fertility.test");

        // Ten a day from one client address, whatever the e-mail: 4 for Ana and 3 for Ben so far.
        for (name, email) in [("Dr. Cy Hart", "cy@fertility.test"), ("Dr. Di Vo", "di@fertility.test"), ("Dr. Eli Roe", "eli@fertility.test")] {
            assert_eq!(ask(&visitor, name, email).await.status, 303);
        }
        let flooded = ask(&visitor, "Dr. Fay Lam", "fay@fertility.test").await;
        assert_eq!(flooded.status, 429, "{}", flooded.body);
        assert_eq!(count().await, 5, "the refused requests left nothing");
        assert!(t.audit_actions().await.iter().any(|(a, o)| a == "referrer.request_throttled" && o == "denied"));

        // Once staff decide the waiting request, the address may ask again (another day).
        let staff = t.signed_in("staff@board.test", &[Role::BoardStaff]).await;
        let ana = t.db.store.referrer_requests().await.unwrap().into_iter().find(|r| r.email == "ana@fertility.test").unwrap();
        let declined = staff.submit("/admin/referrers", &format!("/admin/referrers/{}", ana.id), &[("decision", "decline"), ("note", "License not found.")]).await;
        assert_eq!(declined.status, 303, "{}", declined.body);
        t.clock.advance(time::Duration::days(2));
        assert_eq!(ask(&t.client(), "Dr. Ana Souza", "ana@fertility.test").await.status, 303);
        assert_eq!(count().await, 6);
    }

    async fn the_staff_list_of_requests_searches_filters_sorts_and_pages(engine) {
        let t = TestApp::start(engine).await;
        for n in 0..60 {
            let status = if n % 6 == 5 { ReferrerRequestState::Approved } else { ReferrerRequestState::Requested };
            t.db.store.insert_referrer_request(&request_row(n, status)).await.unwrap();
        }
        let staff = t.signed_in("staff@board.test", &[Role::BoardStaff]).await;

        // By default: the waiting ones, longest waiting first, 50 to a page, with counts.
        let first = staff.get("/admin/referrers").await;
        assert_eq!(first.status, 200);
        assert!(first.contains("Showing 1\u{2013}50 of 50"), "{}", first.body);
        assert!(first.contains("Waiting for a decision (50)") && first.contains("Approved (10)") && first.contains("Every state (60)"), "{}", first.body);
        assert!(first.body.find("Dr. Seeded 000").unwrap() < first.body.find("Dr. Seeded 001").unwrap(), "oldest first");
        assert!(!first.contains("Dr. Seeded 005"), "an approved request is not waiting");
        assert_eq!(first.body.matches("action=\"/admin/referrers/seeded-").count(), 50, "a decision form per waiting request");
        assert!(first.body.len() < 200_000, "a page stays small: {} bytes", first.body.len());

        // Every state: 60 on two pages; the second page has the last 10.
        let all = staff.get("/admin/referrers?state=all").await;
        assert!(all.contains("Showing 1\u{2013}50 of 60"), "{}", all.body);
        assert!(all.contains("href=\"/admin/referrers?state=all&#38;sort=requested&#38;dir=asc&#38;page=2\""), "{}", all.body);
        let second = staff.get("/admin/referrers?state=all&sort=requested&dir=asc&page=2").await;
        assert!(second.contains("Showing 51\u{2013}60 of 60") && second.contains("Dr. Seeded 059") && !second.contains("Dr. Seeded 049"), "{}", second.body);

        // Search by e-mail, organisation or license; sort by organisation; filter by state.
        let found = staff.get("/admin/referrers?state=all&q=DOCTOR042%40").await;
        assert!(found.contains("Showing 1\u{2013}1 of 1") && found.contains("Dr. Seeded 042"), "{}", found.body);
        let by_license = staff.get("/admin/referrers?q=md-00016").await;
        assert!(by_license.contains("Dr. Seeded 016") && by_license.contains("of 1"), "{}", by_license.body);
        let by_organisation = staff.get("/admin/referrers?state=all&sort=organisation&dir=asc").await;
        assert!(by_organisation.body.find("Clinic 940").unwrap() < by_organisation.body.find("Clinic 941").unwrap());
        assert!(by_organisation.contains("Clinic 940") && !by_organisation.contains("Clinic 999"), "Clinic 940 to 989 on the first page");
        let approved = staff.get("/admin/referrers?state=approved").await;
        assert!(approved.contains("Showing 1\u{2013}10 of 10") && approved.contains("Dr. Seeded 005") && !approved.contains("Decide<"), "{}", approved.body);
        let nothing = staff.get("/admin/referrers?q=nobody-at-all").await;
        assert!(nothing.contains("No request matches"), "{}", nothing.body);
        // A stale page number shows the last page.
        assert!(staff.get("/admin/referrers?state=all&page=9").await.contains("Showing 51\u{2013}60 of 60"));
    }
}
