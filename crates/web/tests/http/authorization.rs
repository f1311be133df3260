//! The authorization matrix: every route the server serves, asked with each of its methods by
//! someone of every role and by someone signed out, and by people with (or without) a
//! relationship to the thing asked for, checked against the tables in AUTHORIZATION.md.
//!
//! The route list comes from the router itself (`web::route_paths`) and each route's methods from
//! the server's own `Allow` header, so a new route or method fails this test until the table says
//! who may use it. Every request is a real one against a demo world on each engine: forms carry
//! their anti-forgery token, so a refusal is the authorization rule speaking, not the token check.
//!
//! To see what the server answers now (after adding a route, say), run with
//! `SENSATE_AUTHZ_PRINT=1`: the test prints the observed table to paste into AUTHORIZATION.md.
//! Then read the diff: every changed cell is a change in who may do what.

use std::collections::BTreeMap;

use crate::support::{Browser, Options, Page, TestApp};
use store::both_engines;

const TABLES: &str = include_str!("../../../../AUTHORIZATION.md");
const DEMO_PASSWORD: &str = "demo-sensate-2026";

/// The people of the main table, one column each (the first is nobody signed in).
const COLUMNS: [(&str, Option<&str>); 11] = [
    ("anonymous", None),
    ("candidate", Some("halfway@demo.sensate.test")),
    ("supervisor", Some("supervisor@demo.sensate.test")),
    ("reviewer", Some("reviewer1@demo.sensate.test")),
    ("chair", Some("chair@demo.sensate.test")),
    ("ethics", Some("ethics@demo.sensate.test")),
    ("staff", Some("staff@demo.sensate.test")),
    ("admin", Some("admin@demo.sensate.test")),
    ("clinician", Some("clinician@demo.sensate.test")),
    ("client", Some("client@demo.sensate.test")),
    ("referrer", Some("referrer@demo.sensate.test")),
];

/// The people of the relationship table: who they are to the sample objects.
const RELATED: [(&str, &str); 8] = [
    ("another candidate", "candidate@demo.sensate.test"),
    ("another supervisor", OTHER_SUPERVISOR),
    ("conflicted reviewer", "reviewer2@demo.sensate.test"),
    ("unassigned reviewer", "reviewer3@demo.sensate.test"),
    ("respondent", "suspended@demo.sensate.test"),
    ("referral recipient", "certified@demo.sensate.test"),
    ("renewing holder", "expiring@demo.sensate.test"),
    ("applicant", "review@demo.sensate.test"),
];

/// A supervisor with no contract with anyone in the demo, added by the test.
const OTHER_SUPERVISOR: &str = "other-supervisor@sensate.test";

/// Routes that need no account. Independent of the table: anything else must send someone
/// signed out to sign in (pages) or answer 401 (API), whatever the table says.
const PUBLIC: &[&str] = &[
    "/",
    // Only a redirect to /account/security, which needs an account.
    "/account",
    "/.well-known/did.json",
    "/.well-known/jwks.json",
    "/api/v1/credentials/{number}",
    "/api/v1/directory",
    "/api/v1/openapi.json",
    "/demo",
    "/demo/mailbox",
    "/directory",
    "/directory/{id}",
    "/ethics/complaints/new",
    "/ethics/complaints/received",
    "/fhir/Practitioner/{id}",
    "/healthz",
    "/invitations/{token}",
    "/metrics",
    // A blank template of the hours import file.
    "/portal/import/sample.csv",
    "/password/forgot",
    "/password/reset/{token}",
    "/programs",
    "/programs/{code}",
    "/programs/{code}/{version}",
    "/readyz",
    "/referrers/request",
    "/sign-in",
    "/sign-in/two-factor",
    "/sign-in/two-factor/passkey",
    "/sign-in/passkey",
    "/sign-in/passkey/options",
    "/sign-out",
    "/sign-up",
    "/sign-up/check-email",
    "/static/app.css",
    "/static/passkeys.js",
    "/static/progress.js",
    "/status/{purpose}/{list}",
    "/verify",
    "/verify-email/{token}",
    "/verify/check",
    "/verify/{number}",
];

/// One row of a table: a request and the outcome expected for each person.
#[derive(Debug, Clone)]
struct Row {
    method: String,
    path: String,
    sample: String,
    expected: Vec<(String, String)>,
}

/// The rows of the markdown table that follows `heading` in AUTHORIZATION.md.
fn table(heading: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let section = TABLES
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("AUTHORIZATION.md has no {heading}"));
    let mut lines = section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'));
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().trim_matches('`').to_owned())
            .collect()
    };
    let header = cells(lines.next().unwrap());
    let rows = lines.skip(1).map(cells).collect();
    (header, rows)
}

fn matrix_rows() -> Vec<Row> {
    let (header, rows) = table("## The matrix");
    assert_eq!(&header[..3], ["Method", "Path", "Sample"]);
    let columns: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
    assert_eq!(&header[3..], columns.as_slice(), "the matrix's columns");
    rows.into_iter()
        .map(|cells| {
            assert_eq!(cells.len(), header.len(), "row {cells:?}");
            Row {
                method: cells[0].clone(),
                path: cells[1].clone(),
                sample: cells[2].clone(),
                expected: header[3..].iter().cloned().zip(cells[3..].iter().cloned()).collect(),
            }
        })
        .collect()
}

fn relationship_rows() -> Vec<Row> {
    let (header, rows) = table("## Relationships");
    assert_eq!(header[..5], ["Who", "Method", "Path", "Sample", "Outcome"]);
    rows.into_iter()
        .map(|cells| Row {
            method: cells[1].clone(),
            path: cells[2].clone(),
            sample: cells[3].clone(),
            expected: vec![(cells[0].clone(), cells[4].clone())],
        })
        .collect()
}

/// What an answer means for authorization.
fn outcome(page: &Page) -> String {
    match page.status {
        // Where someone signed out is sent (a plain /sign-in is where revoking one's own
        // sessions ends, which is the request succeeding).
        301 | 302 | 303 | 307 | 308 if page.location().starts_with("/sign-in?next=") => "sign-in".into(),
        401 => "401".into(),
        403 => "403".into(),
        404 => "404".into(),
        status if status >= 500 => format!("error {status}"),
        _ => "ok".into(),
    }
}

/// The ids of the demo world's objects that the sample paths point at.
struct World {
    samples: BTreeMap<&'static str, String>,
}

impl World {
    async fn of(t: &TestApp) -> World {
        let store = &t.db.store;
        let id_of = |email: &'static str| async move { t.actor(email).await.user_id.to_string() };
        let alex = id_of("halfway@demo.sensate.test").await;
        let marsh = id_of("supervisor@demo.sensate.test").await;
        let sam = id_of("review@demo.sensate.test").await;
        let haddad = id_of("certified@demo.sensate.test").await;
        let okafor = id_of("reviewer1@demo.sensate.test").await;
        let novak = id_of("referrer@demo.sensate.test").await;

        let contract = store.contracts_of_candidate(&alex).await.unwrap()[0].id.clone();
        let session = store
            .supervision_sessions(std::slice::from_ref(&contract))
            .await
            .unwrap()[0]
            .id
            .clone();
        let application = store.applications_of(&sam).await.unwrap()[0].id.clone();
        let assignment = store
            .assignments_of_application(&application)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.reviewer_id == okafor)
            .unwrap()
            .id;
        let marsh_credential = store.issued_credentials_of(&marsh).await.unwrap()[0].number.clone();
        let document = store.documents_of(&marsh).await.unwrap()[0].id.clone();
        let membership = store.memberships(&alex).await.unwrap()[0].id.clone();
        let referral = store.referrals_of(&novak, true).await.unwrap()[0].id.clone();
        let referrer_request = store.referrer_requests().await.unwrap()[0].id.clone();
        let case = store.ethics_cases().await.unwrap()[0].id.clone();
        let delgado = id_of("expiring@demo.sensate.test").await;
        let delgado_credential = store.issued_credentials_of(&delgado).await.unwrap()[0].number.clone();
        let cst = store
            .program_versions()
            .await
            .unwrap()
            .into_iter()
            .find(|program| program.code == "CST")
            .unwrap()
            .version;

        let mut samples = BTreeMap::new();
        samples.insert("Alex's contract with Dr. Marsh", contract);
        samples.insert("Alex's session with Dr. Marsh", session);
        samples.insert("Sam's application", application);
        samples.insert("Dr. Okafor's assignment", assignment);
        samples.insert("Dr. Marsh's credential", marsh_credential);
        samples.insert("Rosa Delgado's credential", delgado_credential);
        samples.insert("Dr. Marsh's document", document);
        samples.insert("Alex's membership", membership);
        samples.insert("Dr. Novak's referral", referral);
        samples.insert("Dr. Novak's account request", referrer_request);
        samples.insert("the case about Dr. Kessler", case);
        samples.insert("Dr. Haddad", haddad);
        samples.insert("CST's current version", cst);
        World { samples }
    }

    /// The concrete path of `row`: its parameters filled from the sample the table names. A
    /// sample that starts with `?` is a query string instead (`?to=Dr. Haddad`), its values
    /// named or literal as well.
    fn path(&self, row: &Row) -> String {
        if let Some(query) = row.sample.strip_prefix('?') {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    format!("{name}={}", self.values(value).concat())
                })
                .collect();
            return format!("{}?{}", row.path, pairs.join("&"));
        }
        let mut path = String::new();
        let mut rest = row.path.as_str();
        let mut values = self.values(&row.sample).into_iter();
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').unwrap() + start;
            path.push_str(&rest[..start]);
            path.push_str(
                &values
                    .next()
                    .unwrap_or_else(|| panic!("{}: the sample {:?} gives too few values", row.path, row.sample)),
            );
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        assert!(
            values.next().is_none(),
            "{}: the sample {:?} gives too many values",
            row.path,
            row.sample
        );
        path
    }

    /// The values of a sample, separated by " / ": each a named demo object or a literal value.
    fn values(&self, sample: &str) -> Vec<String> {
        if sample.is_empty() || sample == "-" {
            return Vec::new();
        }
        sample
            .split(" / ")
            .map(|part| {
                self.samples
                    .get(part)
                    .cloned()
                    .unwrap_or_else(|| part.trim_matches('"').to_owned())
            })
            .collect()
    }
}

/// Someone signed in (or not), with the token their requests carry.
struct Person {
    name: String,
    /// E-mail and password; none for someone signed out.
    account: Option<(String, &'static str)>,
    browser: Browser,
    csrf: String,
}

impl Person {
    async fn new(t: &TestApp, name: &str, account: Option<(&str, &'static str)>) -> Person {
        let mut person = Person {
            name: name.to_owned(),
            account: account.map(|(email, password)| (email.to_owned(), password)),
            browser: t.client(),
            csrf: String::new(),
        };
        person.sign_in(t).await;
        person
    }

    /// Signs in (or, for nobody, picks up the anonymous token), with the demo's two-factor code
    /// when the account needs one.
    async fn sign_in(&mut self, t: &TestApp) {
        self.browser = t.client();
        let Some((email, password)) = self.account.clone() else {
            self.csrf = self.browser.get("/sign-in").await.csrf();
            return;
        };
        let signed = self.browser.sign_in(&email, password).await;
        assert_eq!(signed.status, 303, "{email} signs in: {}", signed.body);
        if signed.location().starts_with("/sign-in/two-factor") {
            let form = self.browser.get("/sign-in/two-factor").await;
            let code = t
                .app
                .demo_accounts()
                .await
                .unwrap()
                .into_iter()
                .find(|account| account.email == email)
                .and_then(|account| account.current_code)
                .unwrap();
            let done = self
                .browser
                .post("/sign-in/two-factor", &[("csrf", &form.csrf()), ("code", &code)])
                .await;
            assert_eq!(done.status, 303, "{email} enters the code: {}", done.body);
        }
        let security = self.browser.get("/account/security").await;
        assert_eq!(security.status, 200, "{email} is signed in: {}", security.body);
        self.csrf = security.csrf();
    }

    /// Sends `method` to `path` as this person would: forms with their token (multipart when the
    /// route wants it), other requests with the token header.
    async fn send(&self, method: &str, path: &str) -> Page {
        match method {
            "GET" => self.browser.get(path).await,
            "POST" => {
                let page = self.browser.post(path, &[("csrf", &self.csrf)]).await;
                if page.status != 415 {
                    return page;
                }
                // Not a plain form: a form with files, or JSON with the token in a header.
                let page = self.browser.post_multipart(path, &[("csrf", &self.csrf)], &[]).await;
                if page.status != 415 {
                    return page;
                }
                let headers = [
                    ("x-csrf-token", self.csrf.as_str()),
                    ("content-type", "application/json"),
                ];
                self.browser
                    .request(reqwest::Method::POST, path, &headers, b"{}".to_vec())
                    .await
            }
            other => {
                let method = reqwest::Method::from_bytes(other.as_bytes()).unwrap();
                let headers = [
                    ("x-csrf-token", self.csrf.as_str()),
                    ("content-type", "application/json"),
                ];
                self.browser.request(method, path, &headers, b"{}".to_vec()).await
            }
        }
    }

    /// After a request that may have ended the session (signing out, revoking sessions), signs in
    /// again. Two-factor codes are single-use: the clock moves to the next code first.
    async fn stay_signed_in(&mut self, t: &TestApp) {
        if self.account.is_none() {
            self.csrf = self.browser.get("/sign-in").await.csrf();
            return;
        }
        if self.browser.get("/account/security").await.status != 200 {
            t.clock.advance(time::Duration::seconds(31));
            self.sign_in(t).await;
        }
    }
}

/// The methods the server serves at `path`, from the `Allow` header of a 405 answer.
async fn methods(anonymous: &Person, path: &str) -> Vec<String> {
    let headers = [("x-csrf-token", anonymous.csrf.as_str())];
    let page = anonymous
        .browser
        .request(reqwest::Method::TRACE, path, &headers, Vec::new())
        .await;
    assert_eq!(page.status, 405, "TRACE {path}");
    let mut methods: Vec<String> = page
        .header("allow")
        .split(',')
        .map(|method| method.trim().to_owned())
        .filter(|method| method != "HEAD")
        .collect();
    methods.sort();
    methods
}

/// Asks every row of the table as every person it names, refusals first (so that an allowed
/// request changing the demo world cannot hide a refusal), and returns every mismatch.
async fn check(t: &TestApp, world: &World, people: &mut [Person], rows: &[Row]) -> (Vec<String>, Vec<Row>) {
    let mut mismatches = Vec::new();
    let mut observed = Vec::new();
    for row in rows {
        let path = world.path(row);
        let mut order: Vec<usize> = (0..row.expected.len()).collect();
        order.sort_by_key(|&i| row.expected[i].1 == "ok");
        let mut seen = row.expected.clone();
        for i in order {
            let (who, expected) = &row.expected[i];
            let person = people
                .iter_mut()
                .find(|p| &p.name == who)
                .unwrap_or_else(|| panic!("no person {who}"));
            let page = person.send(&row.method, &path).await;
            mismatches.extend(
                header_problems(&row.path, &page)
                    .into_iter()
                    .map(|problem| format!("{} {} ({path}) as {who}: {problem}", row.method, row.path)),
            );
            let got = outcome(&page);
            if &got != expected {
                mismatches.push(format!(
                    "{} {} ({}) as {who}: expected {expected}, got {got} (HTTP {} {})",
                    row.method,
                    row.path,
                    path,
                    page.status,
                    page.location()
                ));
            }
            seen[i].1 = got;
            if row.method != "GET" {
                person.stay_signed_in(t).await;
            }
        }
        observed.push(Row {
            expected: seen,
            ..row.clone()
        });
    }
    (mismatches, observed)
}

/// The security headers every answer carries, whoever asks: the checklist of issue 7, applied to
/// every request of the matrix rather than to a few sample pages.
fn header_problems(route: &str, page: &Page) -> Vec<String> {
    let mut problems = Vec::new();
    let csp = page.header("content-security-policy");
    if !csp.contains("frame-ancestors 'none'") || !csp.contains("script-src 'self'") || csp.contains("unsafe-inline") {
        problems.push(format!("Content-Security-Policy is {csp:?}"));
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        if page.header(name) != value {
            problems.push(format!("{name} is {:?}, not {value:?}", page.header(name)));
        }
    }
    // Anything that is not public may show personal data: never stored by a cache.
    if !PUBLIC.contains(&route) && page.header("cache-control") != "no-store" {
        problems.push(format!(
            "a private route answered with Cache-Control {:?}",
            page.header("cache-control")
        ));
    }
    problems
}

fn print_matrix(rows: &[Row]) {
    let names: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
    println!("| Method | Path | Sample | {} |", names.join(" | "));
    println!("|---|---|---|{}", "---|".repeat(names.len()));
    for row in rows {
        let cells: Vec<&str> = row.expected.iter().map(|(_, outcome)| outcome.as_str()).collect();
        println!(
            "| {} | `{}` | {} | {} |",
            row.method,
            row.path,
            row.sample,
            cells.join(" | ")
        );
    }
}

both_engines! {
    async fn every_route_answers_each_person_as_the_matrix_says(engine) {
        let t = TestApp::start_with(engine, Options { demo: true, load_demo: false }).await;
        // With a gazetteer, the demo has its directory and Dr. Novak's referral.
        t.small_gazetteer().await;
        assert!(t.app.load_demo_if_empty().await.unwrap());
        // Relationships the demo does not have yet: a second supervisor, and a reviewer who
        // declares a conflict of interest on Sam's application.
        t.user(OTHER_SUPERVISOR, &[domain::Role::Candidate, domain::Role::Supervisor]).await;
        let mut world = World::of(&t).await;

        let mut people = Vec::new();
        for (name, email) in COLUMNS {
            people.push(Person::new(&t, name, email.map(|email| (email, DEMO_PASSWORD))).await);
        }
        for (name, email) in RELATED {
            let password = if email == OTHER_SUPERVISOR { crate::support::PASSWORD } else { DEMO_PASSWORD };
            people.push(Person::new(&t, name, Some((email, password))).await);
        }

        let admin = t.actor("admin@demo.sensate.test").await.user_id;
        let admin_session = t.db.store.sessions_of_user(&admin).await.unwrap()[0].id.to_string();
        world.samples.insert("the admin's session", admin_session);

        // The conflicted reviewer declares the conflict through the product.
        let grace = people.iter().find(|p| p.name == "conflicted reviewer").unwrap();
        let okafor = t.actor("reviewer1@demo.sensate.test").await.user_id.to_string();
        let assignment = t
            .db
            .store
            .assignments_of_application(&world.samples["Sam's application"])
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.reviewer_id != okafor)
            .unwrap();
        let declared = grace
            .browser
            .post(&format!("/review/assignments/{}/conflict", assignment.id), &[("csrf", &grace.csrf), ("reason", "supervisee"), ("note", "I supervised the practicum.")])
            .await;
        assert_eq!(declared.status, 303, "{}", declared.body);

        // 100% of routes: the table lists exactly the routes and methods the server serves.
        let rows = matrix_rows();
        let listed: Vec<(String, String)> = rows.iter().map(|r| (r.method.clone(), r.path.clone())).collect();
        let mut served = Vec::new();
        for path in web::route_paths() {
            let concrete = world.path(&Row { method: String::new(), path: path.clone(), sample: sample_for_probe(&path), expected: Vec::new() });
            for method in methods(&people[0], &concrete).await {
                served.push((method, path.clone()));
            }
        }
        let missing: Vec<_> = served.iter().filter(|r| !listed.contains(r)).collect();
        let stale: Vec<_> = listed.iter().filter(|r| !served.contains(r)).collect();
        let print = std::env::var("SENSATE_AUTHZ_PRINT").is_ok();
        assert!(print || missing.is_empty(), "routes the matrix does not list: {missing:?}");
        assert!(print || stale.is_empty(), "rows of the matrix for routes the server does not serve: {stale:?}");

        if print {
            // Every served route, with the table's sample where it has one.
            let rows: Vec<Row> = served
                .iter()
                .map(|(method, path)| {
                    let listed = rows.iter().find(|r| &r.method == method && &r.path == path);
                    Row {
                        method: method.clone(),
                        path: path.clone(),
                        sample: listed.map_or_else(|| sample_for_probe(path), |r| r.sample.clone()),
                        expected: COLUMNS.iter().map(|(name, _)| (name.to_string(), "?".to_owned())).collect(),
                    }
                })
                .collect();
            let (_, observed) = check(&t, &world, &mut people, &rows).await;
            print_matrix(&observed);
            return;
        }
        // Signed out, only the public surface answers.
        let mut mismatches = Vec::new();
        for row in &rows {
            let anonymous = &row.expected[0].1;
            let public = PUBLIC.contains(&row.path.as_str());
            let wanted = if row.path.starts_with("/api/") { "401" } else { "sign-in" };
            if public && anonymous == "sign-in" {
                mismatches.push(format!("{} {} is public, yet the table sends visitors to sign in", row.method, row.path));
            } else if !public && anonymous != wanted {
                mismatches.push(format!("{} {} needs an account: signed out, the table must say {wanted}", row.method, row.path));
            }
        }

        mismatches.extend(check(&t, &world, &mut people, &rows).await.0);
        mismatches.extend(check(&t, &world, &mut people, &relationship_rows()).await.0);
        assert!(mismatches.is_empty(), "{} answers differ from AUTHORIZATION.md:\n{}", mismatches.len(), mismatches.join("\n"));
    }
}

/// Any sample value will do to learn a route's methods.
fn sample_for_probe(path: &str) -> String {
    let count = path.matches('{').count();
    vec!["x"; count].join(" / ")
}

/// Every route goes through `Routes` (crates/web/src/routes.rs), which is how the matrix knows
/// them all: no other source file builds an axum router or adds a route to one.
#[test]
fn routes_are_registered_only_through_the_route_table() {
    let mut offenders = Vec::new();
    let mut pending = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("routes.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let builds_router = source.contains("Router::new") || source.contains("Router::default");
            let adds_routes = ["route_service(", "nest_service(", "into_router().route("]
                .iter()
                .any(|call| source.contains(call));
            if builds_router || adds_routes {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "routes added outside crates/web/src/routes.rs: {offenders:?}"
    );
}
