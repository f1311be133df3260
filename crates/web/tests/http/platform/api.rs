//! What API fuzzing (scripts/api-fuzz, schemathesis against /api/v1/openapi.json) found, each
//! kept as a regression test on both engines: the server answers as its OpenAPI document says,
//! and the document says what the server answers. First, that the document and the router list
//! the same API operations, so that fuzzing the document fuzzes the whole API.

use crate::support::TestApp;
use domain::Role;
use reqwest::Method;
use serde_json::Value;
use store::both_engines;
use store::credentialing::evidence::MembershipRow;
use time::Duration;

fn json(page: &crate::support::Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", page.body))
}

/// The document's own route: schemathesis reads it to learn the API, it is not an operation.
const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// The methods the server serves at the route `path` (axum's syntax), from the `Allow` header
/// of its 405 answer to TRACE, with any value in place of each parameter. HEAD, which axum adds
/// to every GET, is left out: the document does not list it.
async fn served_methods(visitor: &crate::support::Browser, path: &str) -> Vec<String> {
    let concrete: Vec<&str> = path
        .split('/')
        .map(|segment| if segment.starts_with('{') { "x" } else { segment })
        .collect();
    let concrete = concrete.join("/");
    let answer = visitor.request(Method::TRACE, &concrete, &[], Vec::new()).await;
    assert_eq!(answer.status, 405, "TRACE {concrete}: {}", answer.body);
    answer
        .header("allow")
        .split(',')
        .map(|method| method.trim().to_owned())
        .filter(|method| !method.is_empty() && method != "HEAD")
        .collect()
}

/// The method and path of every operation in an OpenAPI document.
fn documented_operations(doc: &Value) -> Vec<(String, String)> {
    const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations.sort();
    operations
}

/// A certified therapist listed in the directory, offering telehealth in California.
async fn telehealth_therapist(t: &TestApp, email: &str) -> domain::UserId {
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
    t.app
        .record_existing_credential(&user, "CST", today - Duration::days(100), today + Duration::days(900))
        .await
        .unwrap();
    let professional = t.client();
    professional.sign_in(email, crate::support::PASSWORD).await;
    let fields = [
        ("listed", "yes"),
        ("practice_name", "Coastal Telehealth"),
        ("location_country", "US"),
        ("telehealth", "yes"),
        ("jurisdiction", "US-CA"),
        ("format", "individuals"),
        ("concern", "low_desire"),
        ("language", "en"),
        ("accepting_clients", "yes"),
    ];
    let saved = professional.submit("/portal/profile", "/portal/profile", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    user
}

both_engines! {
    // What schemathesis fuzzes is the document: an API route left out of it would never be
    // fuzzed, and an operation it lists that is not served would be a promise the API breaks.
    // So every JSON API route and method the router serves is an operation of the document
    // this server serves, and every operation of the document is served.
    async fn the_document_lists_exactly_the_api_routes_and_methods_served(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        let mut served = Vec::new();
        for path in web::route_paths() {
            if !path.starts_with("/api/") || path == DOCUMENT_PATH {
                continue;
            }
            for method in served_methods(&visitor, &path).await {
                served.push((method, path.clone()));
            }
        }
        served.sort();
        let page = visitor.get(DOCUMENT_PATH).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let documented = documented_operations(&json(&page));
        assert!(!served.is_empty(), "the router serves no /api/ route");
        assert!(!documented.is_empty(), "the document lists no operation");
        let undocumented: Vec<_> = served.iter().filter(|op| !documented.contains(op)).collect();
        let unserved: Vec<_> = documented.iter().filter(|op| !served.contains(op)).collect();
        assert!(undocumented.is_empty(), "API routes the document does not list: {undocumented:?}");
        assert!(unserved.is_empty(), "operations of the document the server does not serve: {unserved:?}");
        assert_eq!(served, documented);
    }

    // The search form's distance menu has no empty choice, so a telehealth-only search sends a
    // radius without a place: it was refused with "Enter a postal code or city".
    async fn a_telehealth_search_from_the_form_finds_professionals(engine) {
        let t = TestApp::start(engine).await;
        t.small_gazetteer().await;
        let user = telehealth_therapist(&t, "coastal@telehealth.test").await;
        let visitor = t.client();
        let page = visitor.get("/directory?place=&radius=25&telehealth=US-CA").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.contains(&format!("/directory/{}", user.as_str())), "{}", page.body);
        let api = visitor.get_json("/api/v1/directory?place=&radius=25&telehealth=US-CA").await;
        assert_eq!(api.status, 200, "{}", api.body);
        let answer = json(&api);
        assert_eq!(answer["total"], 1);
        assert_eq!(answer["query"], "telehealth=US-CA", "the radius means nothing without a place");
        // A radius alone asks for nothing: no results, no error.
        let alone = visitor.get_json("/api/v1/directory?radius=25").await;
        assert_eq!(alone.status, 200, "{}", alone.body);
        assert_eq!(json(&alone)["total"], 0);
    }

    // The values of the menus and checkboxes are taken exactly as listed (the empty value counts
    // as absent); a place is measured as sent, even when it is only white space.
    async fn directory_values_are_taken_as_the_document_lists_them(engine) {
        let t = TestApp::start(engine).await;
        t.small_gazetteer().await;
        telehealth_therapist(&t, "coastal@telehealth.test").await;
        let visitor = t.client();
        let empty = visitor.get_json("/api/v1/directory?telehealth=US-CA&credential=&concern=").await;
        assert_eq!(empty.status, 200, "{}", empty.body);
        assert_eq!(json(&empty)["total"], 1);
        let padded = visitor.get_json("/api/v1/directory?telehealth=US-CA&credential=%20therapist").await;
        assert_eq!(padded.status, 422, "{}", padded.body);
        assert!(json(&padded)["fields"]["credential"].is_string(), "{}", padded.body);
        let blank_place = format!("/api/v1/directory?telehealth=US-CA&place={}", "%C2%85".repeat(101));
        let long = visitor.get_json(&blank_place).await;
        assert_eq!(long.status, 422, "{}", long.body);
        assert!(json(&long)["fields"]["place"].is_string(), "{}", long.body);
    }

    // A method a route does not serve was refused as a forged request (403) before routing; it
    // is 405 with the methods it does serve, and an unknown path is 404. The anti-forgery check
    // still applies to the routes' own state-changing methods.
    async fn an_unserved_method_is_405_with_allow_and_forgery_is_still_refused(engine) {
        let t = TestApp::start(engine).await;
        let visitor = t.client();
        for method in [Method::DELETE, Method::PUT, Method::POST, Method::TRACE] {
            let answer = visitor.request(method.clone(), "/api/v1/directory", &[], Vec::new()).await;
            assert_eq!(answer.status, 405, "{method}: {}", answer.body);
            assert_eq!(answer.header("allow"), "GET,HEAD", "{method}");
            assert_eq!(json(&answer)["error"], "method_not_allowed");
        }
        let unknown = visitor.request(Method::DELETE, "/api/v1/nothing-here", &[], Vec::new()).await;
        assert_eq!(unknown.status, 404, "{}", unknown.body);

        let browser = t.signed_in("ada@example.test", &[Role::Candidate]).await;
        let body = br#"{"display_name":"Ada"}"#.to_vec();
        let forged = browser
            .request(Method::PATCH, "/api/v1/me", &[("content-type", "application/json")], body.clone())
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert_eq!(json(&forged)["error"], "csrf");
        let wrong = browser
            .request(Method::PATCH, "/api/v1/me", &[("content-type", "application/json"), ("x-csrf-token", "forged")], body)
            .await;
        assert_eq!(wrong.status, 403, "{}", wrong.body);
        let put = browser.request(Method::PUT, "/api/v1/me", &[], Vec::new()).await;
        assert_eq!(put.status, 405, "{}", put.body);
        assert_eq!(put.header("allow"), "GET,HEAD,PATCH");
    }

    // limit and offset out of range were silently clamped; an offset past i64 answered an
    // undocumented 400; an empty outcome was taken as "any"; a NUL character was a 500.
    async fn audit_paging_out_of_range_is_refused_by_name(engine) {
        let t = TestApp::start(engine).await;
        let admin = t.signed_in("admin@example.test", &[Role::BoardAdmin]).await;
        for (query, field) in [("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset")] {
            let answer = admin.get_json(&format!("/api/v1/audit/events?{query}")).await;
            assert_eq!(answer.status, 422, "{query}: {}", answer.body);
            assert!(json(&answer)["fields"][field].is_string(), "{query}: {}", answer.body);
        }
        for query in ["offset=9223372036854775808", "outcome=", "outcome=maybe", "limit=ten"] {
            let answer = admin.get_json(&format!("/api/v1/audit/events?{query}")).await;
            assert_eq!(answer.status, 400, "{query}: {}", answer.body);
            assert_eq!(json(&answer)["error"], "bad_request", "{query}");
        }
        // A NUL character in a search text made PostgreSQL fail the query (500), here and on
        // the pages that search the log and the people.
        for (query, field) in [("actor=a%00b", "actor"), ("action=sign%00in", "action")] {
            let answer = admin.get_json(&format!("/api/v1/audit/events?{query}")).await;
            assert_eq!(answer.status, 422, "{query}: {}", answer.body);
            assert!(json(&answer)["fields"][field].is_string(), "{query}: {}", answer.body);
            assert_eq!(admin.get(&format!("/admin/audit?{query}")).await.status, 422, "{query}");
        }
        assert_eq!(admin.get("/admin/people?q=a%00b").await.status, 422);
        let page = admin.get_json("/api/v1/audit/events?limit=500&offset=0&outcome=success").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let events = json(&page)["events"].as_array().unwrap().clone();
        assert!(!events.is_empty());
        assert!(events.iter().all(|e| e["outcome"] == "success"));
    }

    // Pages send a staff member who has not set up two-factor sign-in to set it up; the API
    // agreed only with a password, and now refuses the same person, saying why.
    async fn the_api_refuses_a_role_that_owes_its_second_factor(engine) {
        let t = TestApp::start(engine).await;
        t.user("new.staff@example.test", &[Role::BoardStaff]).await;
        let staff = t.client();
        let signed = staff.sign_in("new.staff@example.test", crate::support::PASSWORD).await;
        assert_eq!(signed.location(), "/account/two-factor/setup");
        assert_eq!(staff.get("/dashboard").await.location(), "/account/two-factor/setup");
        for path in ["/api/v1/me", "/api/v1/me/sessions"] {
            let answer = staff.get_json(path).await;
            assert_eq!(answer.status, 403, "{path}: {}", answer.body);
            assert_eq!(answer.header("content-type"), "application/json", "{path}");
            assert!(json(&answer)["message"].as_str().unwrap_or_default().contains("two-factor"), "{path}: {}", answer.body);
        }
        // A candidate, whose role does not require it, is answered.
        let candidate = t.signed_in("candidate@example.test", &[Role::Candidate]).await;
        assert_eq!(candidate.get_json("/api/v1/me").await.status, 200);
    }

    // A name of more than 100 characters as sent was taken when collapsing its white space
    // brought it under 100; the document's maxLength counts what is sent.
    async fn a_display_name_is_measured_as_sent(engine) {
        let t = TestApp::start(engine).await;
        let browser = t.signed_in("ada@example.test", &[Role::Candidate]).await;
        let token = json(&browser.get_json("/api/v1/me").await)["csrf_token"].as_str().unwrap().to_owned();
        let headers = [("content-type", "application/json"), ("x-csrf-token", token.as_str())];
        let rename = |name: String| {
            let body = serde_json::to_vec(&serde_json::json!({ "display_name": name })).unwrap();
            browser.request(Method::PATCH, "/api/v1/me", &headers, body)
        };
        let spaced = format!("Ada{}Lovelace", " ".repeat(95));
        assert_eq!(spaced.chars().count(), 106);
        let refused = rename(spaced).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(json(&refused)["fields"]["display_name"].as_str().unwrap().contains("100"));
        let accepted = rename(format!("  Ada{}Lovelace  ", " ".repeat(10))).await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        assert_eq!(json(&accepted)["display_name"], "Ada Lovelace");
    }

    // The document names how to authenticate (the session cookie this server sets, and the
    // anti-forgery header on state-changing calls) and the values each search filter takes.
    async fn the_document_states_authentication_and_accepted_values(engine) {
        let t = TestApp::start(engine).await;
        let doc = json(&t.client().get("/api/v1/openapi.json").await);
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["session"]["in"], "cookie");
        assert_eq!(schemes["session"]["name"], "__Host-sensate", "the loopback server's cookie");
        assert_eq!(schemes["csrf"]["in"], "header");
        assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
        assert_eq!(doc["paths"]["/api/v1/me"]["patch"]["security"][0], serde_json::json!({"session": [], "csrf": []}));
        assert_eq!(doc["paths"]["/api/v1/me"]["get"]["security"][0], serde_json::json!({"session": []}));
        assert!(doc["paths"]["/api/v1/directory"]["get"].get("security").is_none(), "public");

        let parameters = doc["paths"]["/api/v1/directory"]["get"]["parameters"].as_array().unwrap();
        let parameter = |name: &str| parameters.iter().find(|p| p["name"] == name).unwrap().clone();
        let concerns = parameter("concern")["schema"]["items"]["enum"].as_array().unwrap().clone();
        let lists = t.app.directory_lists().await.unwrap();
        assert_eq!(concerns.len(), lists.concerns.len() + 1, "the board's concerns and the empty value");
        assert!(concerns.contains(&Value::from("low_desire")));
        assert_eq!(parameter("concern")["explode"], true);
        // A number in range, or the empty value, which counts as absent (schemathesis sent
        // `radius=` and rightly refused a document that did not allow it).
        assert_eq!(parameter("radius")["schema"]["anyOf"][0]["maximum"], 500);
        assert_eq!(parameter("radius")["schema"]["anyOf"][1]["enum"], serde_json::json!([""]));
        assert_eq!(parameter("page")["schema"]["anyOf"][0]["maximum"], 50);
        for empty in ["radius=&place=94108", "page=&telehealth=US-CA", "max_fee=&telehealth=US-CA"] {
            let answer = t.client().get_json(&format!("/api/v1/directory?{empty}")).await;
            assert_eq!(answer.status, 200, "{empty}: {}", answer.body);
        }
        assert!(parameter("telehealth")["schema"]["enum"].as_array().unwrap().contains(&Value::from("US-CA")));
    }
}
