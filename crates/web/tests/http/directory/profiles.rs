//! The public directory over HTTP, on both engines: a certified professional fills a profile
//! (a postal code not found is named with suggestions and nothing typed is lost), the public
//! searches by place, radius and filters (HTML without JavaScript, and JSON), facets count the
//! results, an empty search says how to widen it, bad input is named, and a suspension takes
//! the profile out at once on this node and on a second node after its next look at the feed.

use crate::support::TestApp;
use app::credentialing::credentials::StatusAction;
use domain::Role;
use store::both_engines;
use store::credentialing::evidence::MembershipRow;
use time::Duration;

/// A certified sex therapist with a membership in good standing.
pub(crate) async fn therapist(t: &TestApp, email: &str) -> (domain::UserId, String) {
    let user = t.user(email, &[Role::Candidate]).await;
    let today = t.app.today();
    let membership = MembershipRow {
        id: app::platform::random::id().unwrap(),
        kind: "early_career".into(),
        valid_from: (today - Duration::days(30)).to_string(),
        valid_until: None,
        document_id: None,
    };
    t.db.store
        .insert_membership(user.as_str(), &membership, t.app.now())
        .await
        .unwrap();
    let credential = t
        .app
        .record_existing_credential(&user, "CST", today - Duration::days(100), today + Duration::days(900))
        .await
        .unwrap();
    (user, credential.number)
}

pub(crate) const PROFILE: &[(&str, &str)] = &[
    ("listed", "yes"),
    ("pronouns", "she/her"),
    ("practice_name", "Mission Intimacy Clinic"),
    ("location_address", "2300 Mission St, Suite 4"),
    ("location_postal_code", "94110"),
    ("location_city", "San Francisco"),
    ("location_country", "US"),
    ("location_address", ""),
    ("location_postal_code", ""),
    ("location_city", ""),
    ("location_country", "US"),
    ("telehealth", "yes"),
    ("jurisdiction", "US-CA"),
    ("format", "individuals"),
    ("format", "couples"),
    ("concern", "low_desire"),
    ("concern", "sexual_pain"),
    ("population", "lgbtq"),
    ("approach", "sensate_focus"),
    ("language", "en"),
    ("language", "es"),
    ("fee_min", "140"),
    ("fee_max", "190"),
    ("sliding_scale", "yes"),
    ("insurance", "superbill"),
    ("accepting_clients", "yes"),
    ("statement", "Warm, practical help for couples and individuals."),
    (
        "tips",
        "Schedule a weekly check-in.\n\nTalk about touch outside the bedroom.",
    ),
    ("contact_email", "hello@mission-clinic.test"),
    ("contact_phone", "+1 415 555 0134"),
    ("website", "https://mission-clinic.test"),
];

both_engines! {
    async fn a_profile_is_found_by_place_and_concern_and_leaves_on_suspension(engine) {
        let t = TestApp::start(engine).await;
        t.small_gazetteer().await;
        let (user, number) = therapist(&t, "maria@mission-clinic.test").await;
        let professional = t.client();
        professional.sign_in("maria@mission-clinic.test", crate::support::PASSWORD).await;
        let editor = professional.get("/portal/profile").await;
        assert_eq!(editor.status, 200, "{}", editor.body);
        assert!(editor.contains("not in the directory yet"), "{}", editor.body);

        // A postal code that is not found: named, with the neighbouring codes, nothing lost.
        let mut fields: Vec<(&str, &str)> = PROFILE.to_vec();
        fields[4] = ("location_postal_code", "94119");
        let refused = professional.submit("/portal/profile", "/portal/profile", &fields).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.contains("We could not find"), "{}", refused.body);
        assert!(refused.contains("94110") || refused.contains("94108"), "suggests nearby codes: {}", refused.body);
        assert_eq!(refused.input_value("practice_name"), "Mission Intimacy Clinic");
        assert!(refused.contains("Talk about touch outside the bedroom"), "the tips typed are kept");

        let saved = professional.submit("/portal/profile", "/portal/profile", PROFILE).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        // The benchmark's yardstick reads on both engines (sum() is NUMERIC on PostgreSQL).
        let (profiles, locations, bytes) = t.db.store.directory_sizes().await.unwrap();
        assert_eq!((profiles, locations), (1, 1));
        assert!(bytes > 100, "{bytes}");
        let editor = professional.get("/portal/profile?saved=1").await;
        assert!(editor.contains("Your profile is in the directory."), "{}", editor.body);
        assert!(t.audit_actions().await.contains(&("directory.profile_saved".into(), "success".into())));

        // The public: by postal code, radius and concern; the profile explains the credential.
        let visitor = t.client();
        let results = visitor.get("/directory?place=94108&radius=10&concern=low_desire").await;
        assert_eq!(results.status, 200, "{}", results.body);
        assert!(results.contains("1 professional near San Francisco, CA 94108"), "{}", results.body);
        assert!(results.contains(&format!("/directory/{}", user.as_str())));
        assert!(results.contains("Couples and partners <span class=\"count\">(1)</span>"), "facet counts: {}", results.body);
        let profile = visitor.get(&format!("/directory/{}", user.as_str())).await;
        assert_eq!(profile.status, 200);
        assert!(profile.contains("licensed clinician who provides psychotherapy for sexual concerns"), "{}", profile.body);
        assert!(profile.contains(&format!("/verify/{number}")), "the badge links to verification");
        assert!(profile.contains("2300 Mission St, Suite 4") && profile.contains("Talk about touch outside the bedroom"));

        // The same as JSON, with facet counts; telehealth in California finds her too.
        let api = visitor.get_json("/api/v1/directory?place=94108&radius=10&concern=low_desire&format=couples&language=es").await;
        assert_eq!(api.status, 200, "{}", api.body);
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["total"], 1);
        assert_eq!(json["results"][0]["id"], user.as_str());
        assert_eq!(json["results"][0]["credentials"][0], "therapist");
        assert_eq!(json["facets"]["concern"]["sexual_pain"], 1);
        assert!(json["results"][0]["distance_km"].as_f64().unwrap() < 6.0);
        let tele = visitor.get_json("/api/v1/directory?telehealth=US-CA").await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(&tele.body).unwrap()["total"], 1);
        let nearby_oakland = visitor.get_json("/api/v1/directory?place=Oakland&radius=5").await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(&nearby_oakland.body).unwrap()["total"], 0, "13 km away is outside 5 km");

        // Nothing in French: the page says what would find someone.
        let empty = visitor.get("/directory?place=94108&radius=10&language=fr").await;
        assert!(empty.contains("No one matches every filter"), "{}", empty.body);
        assert!(empty.contains("In any language, not only French") && empty.contains("(1 found)"), "{}", empty.body);
        let near = visitor.get("/directory?place=Oakland&radius=5").await;
        assert!(near.contains("Search within 50 km"), "{}", near.body);
        let far = visitor.get("/directory?place=Los+Angeles&radius=25").await;
        assert!(far.contains("Try a larger distance"), "560 km away is beyond any radius: {}", far.body);

        // Bad input, each named: unknown place with suggestions, radius, unknown values, a page
        // past the end, a query built to be expensive, an injection attempt.
        let unknown = visitor.get("/directory?place=Oaklnad").await;
        assert_eq!(unknown.status, 200);
        assert!(unknown.contains("We could not find") && unknown.contains("Oakland, CA"), "{}", unknown.body);
        let bad = visitor.get("/directory?place=94108&radius=9000&concern=%27%20OR%201%3D1%20--&format=orgy").await;
        assert_eq!(bad.status, 422);
        assert!(bad.contains("Choose a distance from 1 to 500 km."), "{}", bad.body);
        assert!(bad.contains("is not a concern on the list") && bad.contains("is not a format"), "{}", bad.body);
        let past = visitor.get("/directory?place=94108&page=3").await;
        assert_eq!(past.status, 404);
        assert!(past.contains("page 3 is past the end"), "{}", past.body);
        let many = format!("/api/v1/directory?place=94108{}", "&concern=low_desire".repeat(40));
        let many = visitor.get_json(&many).await;
        assert_eq!(many.status, 422);
        assert!(many.body.contains("too long") || many.body.contains("at most 8"), "{}", many.body);

        // A second node, loaded now, lists her; suspension removes her on this node at once
        // and on the other at its next look at the change feed.
        let other = t.second_node().await;
        let query = other.parse_search(&[("place".into(), "94108".into()), ("radius".into(), "10".into())]).await.unwrap();
        let found = other.search_directory(&query).await.unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(found.results[0].practice_name, "Mission Intimacy Clinic");

        // Both nodes now hold her card in memory; a renamed practice shows on both (this
        // node at once, the other at its next look at the feed), never the cached old name.
        let mut renamed: Vec<(&str, &str)> = PROFILE.to_vec();
        let at = renamed.iter().position(|(name, _)| *name == "practice_name").unwrap();
        renamed[at] = ("practice_name", "Mission Street Sex Therapy");
        let saved = professional.submit("/portal/profile", "/portal/profile", &renamed).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let here = visitor.get_json("/api/v1/directory?place=94108&radius=10").await;
        assert!(here.body.contains("Mission Street Sex Therapy"), "{}", here.body);
        other.refresh_directory(true).await.unwrap();
        let there = other.search_directory(&query).await.unwrap();
        assert_eq!(there.results[0].practice_name, "Mission Street Sex Therapy");

        // Unlisting takes her out of the directory and out of its FHIR face; listing again
        // brings both back.
        let practitioner = format!("/fhir/Practitioner/{}", user.as_str());
        assert_eq!(visitor.get(&practitioner).await.status, 200);
        let unlisted: Vec<(&str, &str)> = renamed.iter().copied().filter(|(name, _)| *name != "listed").collect();
        let saved = professional.submit("/portal/profile", "/portal/profile", &unlisted).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(visitor.get(&format!("/directory/{}", user.as_str())).await.status, 404);
        assert_eq!(visitor.get(&practitioner).await.status, 404, "an unlisted profile has no FHIR face");
        let saved = professional.submit("/portal/profile", "/portal/profile", &renamed).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(visitor.get(&practitioner).await.status, 200);

        t.user("staff@board.test", &[Role::BoardStaff]).await;
        let staff = t.actor("staff@board.test").await;
        t.app
            .change_credential_status(&staff, &number, StatusAction::Suspend, "Ethics decision", "Suspended pending review.", &app::RequestMeta::default())
            .await
            .unwrap();
        let gone = visitor.get_json("/api/v1/directory?place=94108&radius=10").await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(&gone.body).unwrap()["total"], 0, "{}", gone.body);
        assert_eq!(visitor.get(&format!("/directory/{}", user.as_str())).await.status, 404);
        other.refresh_directory(true).await.unwrap();
        assert_eq!(other.search_directory(&query).await.unwrap().total, 0, "the other node follows the feed");
        let editor = professional.get("/portal/profile").await;
        assert!(editor.contains("only holders of a credential in good standing"), "{}", editor.body);
    }

    async fn only_certified_people_edit_a_profile(engine) {
        let t = TestApp::start(engine).await;
        let candidate = t.signed_in("jordan@example.test", &[Role::Candidate]).await;
        assert_eq!(candidate.get("/portal/profile").await.status, 403);
        let visitor = t.client();
        let page = visitor.get("/directory").await;
        assert_eq!(page.status, 200);
        assert!(page.contains("Start with a place"), "{}", page.body);
        assert_eq!(visitor.get("/directory/not-an-id").await.status, 404);
        assert_eq!(visitor.get("/directory/0123456789abcdef0123456789abcdef").await.status, 404);
    }
}

both_engines! {
    async fn the_shipped_places_are_found_and_no_places_is_not_the_visitors_fault(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        // No places at all: the page says so and how to load them, not that 94108 was mistyped.
        let bare = visitor.get("/directory?place=94108&radius=25").await;
        assert_eq!(bare.status, 200, "{}", bare.body);
        assert!(bare.contains("This directory cannot search by place yet"), "{}", bare.body);
        assert!(bare.contains("sensate gazetteer import"), "{}", bare.body);
        assert!(!bare.contains("We could not find"), "{}", bare.body);

        // The places built into the binary (what a first start loads into an empty table).
        let summary = t.app.import_shipped_gazetteer().await.unwrap();
        assert!(summary.postal_codes > 40_000 && summary.cities > 20_000, "{summary:?}");
        assert!(!t.app.gazetteer_is_empty().await.unwrap());
        let sources = t.app.gazetteer_sources().await.unwrap();
        assert!(sources.iter().all(|s| s.package.starts_with("shipped places from ") && s.license == "CC BY 4.0"), "{sources:?}");
        for (typed, found) in [("94108", "San Francisco, CA 94108"), ("M5V 2T6", "ON M5V"), ("Portland, OR", "Portland, OR")] {
            let page = visitor.get(&format!("/directory?place={}&radius=25", typed.replace(' ', "+").replace(',', "%2C"))).await;
            assert!(page.contains(found), "{typed}: {}", page.body);
            // Nobody is listed yet: said plainly, with no filter blamed.
            assert!(page.contains("No one is listed within 25 km of "), "{typed}: {}", page.body);
        }
        let (_, _) = therapist(&t, "maria@mission-clinic.test").await;
        let professional = t.client();
        professional.sign_in("maria@mission-clinic.test", crate::support::PASSWORD).await;
        let saved = professional.submit("/portal/profile", "/portal/profile", PROFILE).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let found = visitor.get("/directory?place=94108&radius=25").await;
        assert!(found.contains("1 professional near San Francisco, CA 94108"), "{}", found.body);

        // Telehealth only, in a jurisdiction where no one is licensed: no filter is blamed.
        let tele = visitor.get("/directory?telehealth=US-NY").await;
        assert!(tele.contains("No one offers telehealth there yet") && tele.contains("New York"), "{}", tele.body);
        assert!(!tele.contains("No one matches every filter"), "{}", tele.body);
    }
}
