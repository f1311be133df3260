//! Referrals over HTTP, on both engines: a physician's account request approved by staff, a
//! referral sent to a professional found in the directory, sealed and read only by its two
//! parties, and answered once.

use domain::Role;
use store::both_engines;

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
