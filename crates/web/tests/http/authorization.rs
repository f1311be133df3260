//! The authorization specification: every route the server serves, asked with each of its
//! methods by someone of every role and by someone signed out, and by people with (or without) a
//! relationship to the thing asked for, checked against the tables in AUTHORIZATION.md (one
//! section per product area).
//!
//! Each row names the rule (the permission) the route asks. A cell is **allowed** when the use
//! case ran: it answered, or refused the request on its content, and no rule refused anything on
//! the way. A cell is **refused** only when the server answered 403 *and* the audit log recorded
//! that very rule's denial during that request: a 403 from some other check, or a validation error
//! where the rule should have spoken, fails the test. Use cases ask their rule before they read
//! the form, so the test's forms (only the anti-forgery token) reach the rule for everyone.
//!
//! Object routes are asked with real objects of the demo world (or made by the test through the
//! product), never with made-up ids; where a column's person owns the object and may use it, the
//! relationships tables must ask the same request as someone of the same role who does not.
//!
//! The route list comes from the router itself (`web::route_paths`) and each route's methods from
//! the server's own `Allow` header, so a new route or method fails this test until the tables say
//! who may use it. `SENSATE_AUTHZ_PRINT=1` prints what the server answers (refused when CI=true):
//! an aid to reading, not a source for the tables, which are written from the rules.

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

/// The people of the relationship tables: who they are to the sample objects, and the column
/// whose role they stand in for when they are not a party (`-`: none).
const RELATED: [(&str, &str, &str); 9] = [
    ("another candidate", "candidate@demo.sensate.test", "candidate"),
    ("another supervisor", OTHER_SUPERVISOR, "supervisor"),
    ("another referrer", OTHER_REFERRER, "referrer"),
    ("conflicted reviewer", "reviewer2@demo.sensate.test", "reviewer"),
    ("unassigned reviewer", "reviewer3@demo.sensate.test", "reviewer"),
    ("respondent", "suspended@demo.sensate.test", "-"),
    ("referral recipient", "certified@demo.sensate.test", "-"),
    ("renewing holder", "expiring@demo.sensate.test", "-"),
    ("applicant", "review@demo.sensate.test", "-"),
];

/// A supervisor with no contract with anyone in the demo, added by the test.
const OTHER_SUPERVISOR: &str = "other-supervisor@sensate.test";
/// A referring provider who sent no referral, added by the test.
const OTHER_REFERRER: &str = "other-referrer@sensate.test";

/// The matrix columns whose person is a party to each sample object (owns it, or is named by it),
/// and so may be allowed where anyone else of the same role is not.
const PARTIES: &[(&str, &[&str])] = &[
    ("Alex's contract with Dr. Marsh", &["candidate", "supervisor"]),
    ("Alex's session with Dr. Marsh", &["candidate", "supervisor"]),
    ("Sam's application", &["supervisor", "reviewer"]),
    ("Dr. Okafor's assignment", &["reviewer"]),
    ("Dr. Marsh's credential", &["supervisor"]),
    ("Dr. Marsh's document", &["supervisor", "candidate"]),
    ("Dr. Marsh's group", &["supervisor"]),
    ("Alex's membership", &["candidate"]),
    ("Dr. Novak's referral", &["referrer"]),
];

/// Routes that need no account. Independent of the table: anything else must send someone
/// signed out to sign in (pages) or answer 401 (API and FHIR), whatever the table says.
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
    "/static/favicon.svg",
    "/favicon.ico",
    "/static/progress.js",
    "/status/{purpose}/{list}",
    "/verify",
    "/verify-email/{token}",
    "/verify/check",
    "/verify/{number}",
];

/// One row of a table: a request, the rule it asks, and the outcome expected for each person.
#[derive(Debug, Clone)]
struct Row {
    method: String,
    path: String,
    sample: String,
    /// The permission's name as the audit log records a denial of it; `-` for none.
    rule: String,
    expected: Vec<(String, String)>,
}

/// Every markdown table of AUTHORIZATION.md whose header starts with `first`: its header and rows.
fn tables(first: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().trim_matches('`').to_owned())
            .collect()
    };
    let mut found = Vec::new();
    let mut lines = TABLES.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with('|') || cells(line).first().map(String::as_str) != Some(first) {
            continue;
        }
        let header = cells(line);
        lines.next();
        let mut rows = Vec::new();
        while let Some(row) = lines.next_if(|l| l.starts_with('|')) {
            rows.push(cells(row));
        }
        found.push((header, rows));
    }
    found
}

/// The outcomes a cell may hold.
const OUTCOMES: [&str; 5] = ["allowed", "refused", "404", "sign-in", "401"];

fn matrix_rows() -> Vec<Row> {
    let columns: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
    let found = tables("Method");
    assert!(found.len() >= 5, "AUTHORIZATION.md has a route table per area");
    let mut rows = Vec::new();
    for (header, cells) in found {
        assert_eq!(&header[..4], ["Method", "Path", "Sample", "Rule"]);
        assert_eq!(&header[4..], columns.as_slice(), "a route table's columns");
        for cells in cells {
            assert_eq!(cells.len(), header.len(), "row {cells:?}");
            rows.push(Row {
                method: cells[0].clone(),
                path: cells[1].clone(),
                sample: cells[2].clone(),
                rule: cells[3].clone(),
                expected: header[4..].iter().cloned().zip(cells[4..].iter().cloned()).collect(),
            });
        }
    }
    rows
}

fn relationship_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for (header, cells) in tables("Who") {
        assert_eq!(header, ["Who", "Method", "Path", "Sample", "Rule", "Outcome"]);
        rows.extend(cells.into_iter().map(|cells| Row {
            method: cells[1].clone(),
            path: cells[2].clone(),
            sample: cells[3].clone(),
            rule: cells[4].clone(),
            expected: vec![(cells[0].clone(), cells[5].clone())],
        }));
    }
    rows
}

/// What an answer means for authorization, given the rules the audit log saw refuse during it.
fn outcome(page: &Page, denied: &[String]) -> String {
    match page.status {
        // Where someone signed out is sent (a plain /sign-in is where revoking one's own
        // sessions ends, which is the request succeeding).
        301 | 302 | 303 | 307 | 308 if page.location().starts_with("/sign-in?next=") => "sign-in".into(),
        401 => "401".into(),
        403 if denied.is_empty() => "403 with no rule's denial in the audit log".into(),
        403 => "refused".into(),
        404 => "404".into(),
        status if status >= 500 => format!("error {status}"),
        _ if !denied.is_empty() => format!("HTTP {} after a denial of {denied:?}", page.status),
        _ => "allowed".into(),
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
        samples.insert("Dr. Okafor", okafor.clone());
        samples.insert("CST's current version", cst);
        let group = store.groups(Some(marsh.as_str())).await.unwrap()[0].id.clone();
        samples.insert("Dr. Marsh's group", group);

        // Objects the demo does not hold, made through the product as their owners would.
        let meta = app::RequestMeta::default();
        let kessler = t.actor("suspended@demo.sensate.test").await;
        let case = samples["the case about Dr. Kessler"].clone();
        let statement = app::ethics::cases::Attachment {
            file_name: "statement.pdf".into(),
            bytes: crate::credentialing::documents::pdf("My statement", false).into(),
        };
        t.app
            .reply_to_ethics_case(
                &kessler,
                &case,
                "I dispute the complaint; my statement is attached.",
                vec![statement],
                &meta,
            )
            .await
            .unwrap();
        let case_document = store.ethics_documents(&case).await.unwrap()[0].id.clone();
        samples.insert("a document of the case about Dr. Kessler", case_document);
        let rosa = t.actor("expiring@demo.sensate.test").await;
        // The demo's renewal waits in the audit queue: staff return it, so Rosa may log credits.
        let audited = store.renewals_in("audit").await.unwrap().into_iter().next().unwrap();
        let registrar = t.actor("staff@demo.sensate.test").await;
        t.app
            .decide_audited_renewal(
                &registrar,
                &audited.id,
                false,
                "Please attach the teaching certificate.",
                &meta,
            )
            .await
            .unwrap();
        let credit = app::credentialing::renewals::CreditInput {
            method: app::credentialing::renewals::APPROVED.to_owned(),
            date: t.app.today().to_string(),
            hours: "3".into(),
            provider: "Institute of Sexual Health".into(),
            title: "Consent and capacity".into(),
        };
        t.app
            .add_renewal_credit(&rosa, &samples["Rosa Delgado's credential"], &credit, &meta)
            .await
            .unwrap();
        let renewal = store.renewals_in("open").await.unwrap().into_iter().next().unwrap();
        let entry = store.renewal_entries(&renewal.id).await.unwrap()[0].id.clone();
        samples.insert("Rosa Delgado's renewal", renewal.id);
        samples.insert("Rosa Delgado's credit", entry);
        let staff = t.actor("staff@demo.sensate.test").await;
        let bulk = t
            .app
            .start_bulk(
                &staff,
                vec![samples["Rosa Delgado's credential"].clone()],
                app::credentialing::credentials::StatusAction::Reinstate,
                "A bulk action for the test.",
                "",
                &meta,
            )
            .await
            .unwrap();
        samples.insert("the staff's bulk action", bulk);
        // An open invitation, sent by staff as they would.
        t.app
            .invite(&staff, "invited.clinician@example.org", "clinician", &meta)
            .await
            .unwrap();
        let invitation = store
            .open_invitations(t.app.now())
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.email.as_deref() == Some("invited.clinician@example.org"))
            .unwrap()
            .token_hash;
        samples.insert("the open invitation", invitation);
        World { samples }
    }

    /// Objects that exist once the relationship tables' people have signed in: another
    /// candidate's session, and a passkey of theirs.
    async fn add_objects_of_signed_in_people(&mut self, t: &TestApp) {
        let jordan = t.actor("candidate@demo.sensate.test").await.user_id;
        let session = t.db.store.sessions_of_user(&jordan).await.unwrap()[0].id.to_string();
        self.samples.insert("Jordan's session", session);
        let passkey = store::platform::passkeys::PasskeyRecord {
            id: "jordans-passkey".into(),
            user_id: jordan,
            credential_id: "am9yZGFucy1wYXNza2V5".into(),
            name: "Jordan's phone".into(),
            credential: "{}".into(),
            created_at: t.app.now(),
            last_used_at: None,
        };
        t.db.store.insert_passkey(&passkey).await.unwrap();
        self.samples.insert("Jordan's passkey", passkey.id);
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
    /// The authenticator secret of an account the test enrolled (the demo's have their codes
    /// on /demo).
    totp_secret: Option<String>,
}

impl Person {
    async fn new(t: &TestApp, name: &str, account: Option<(&str, &'static str)>) -> Person {
        let mut person = Person {
            name: name.to_owned(),
            account: account.map(|(email, password)| (email.to_owned(), password)),
            browser: t.client(),
            csrf: String::new(),
            totp_secret: None,
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
        if signed.location() == "/account/two-factor/setup" {
            // An account the test added, whose role requires a second factor: enrol it.
            let setup = self.browser.get("/account/two-factor/setup").await;
            let secret = crate::support::element_text(&setup.body, "totp-secret");
            let code = crate::support::totp_code(&secret, &email, t.app.now().get().unix_timestamp());
            let enrolled = self
                .browser
                .post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)])
                .await;
            assert_eq!(enrolled.status, 303, "{email} enrols: {}", enrolled.body);
            self.totp_secret = Some(secret);
        } else if signed.location().starts_with("/sign-in/two-factor") {
            let form = self.browser.get("/sign-in/two-factor").await;
            let code = match &self.totp_secret {
                Some(secret) => crate::support::totp_code(secret, &email, t.app.now().get().unix_timestamp()),
                None => t
                    .app
                    .demo_accounts()
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|account| account.email == email)
                    .and_then(|account| account.current_code)
                    .unwrap(),
            };
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
            let before = audit_seq(t).await;
            let page = person.send(&row.method, &path).await;
            let denied = denials_after(t, before).await;
            mismatches.extend(
                header_problems(&row.path, &page)
                    .into_iter()
                    .map(|problem| format!("{} {} ({path}) as {who}: {problem}", row.method, row.path)),
            );
            let got = outcome(&page, &denied);
            if &got != expected {
                mismatches.push(format!(
                    "{} {} ({}) as {who}: expected {expected}, got {got} (HTTP {} {})",
                    row.method,
                    row.path,
                    path,
                    page.status,
                    page.location()
                ));
            } else if got == "refused" && !row.rule.split(" or ").any(|rule| denied.iter().any(|d| d == rule)) {
                mismatches.push(format!(
                    "{} {} ({path}) as {who}: refused by {denied:?}, not by the row's rule {}",
                    row.method, row.path, row.rule
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

/// The audit log's last sequence number.
async fn audit_seq(t: &TestApp) -> i64 {
    t.db.store.audit_head().await.unwrap().map_or(0, |head| head.seq)
}

/// The permissions whose denial the audit log recorded after `seq`.
async fn denials_after(t: &TestApp, seq: i64) -> Vec<String> {
    t.db.store
        .audit_events_after(seq, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|record| record.entry.action == "access.denied")
        .filter_map(|record| record.entry.detail)
        .collect()
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
    println!("| Method | Path | Sample | Rule | {} |", names.join(" | "));
    println!("|---|---|---|---|{}", "---|".repeat(names.len()));
    for row in rows {
        let cells: Vec<&str> = row.expected.iter().map(|(_, outcome)| outcome.as_str()).collect();
        println!(
            "| {} | `{}` | {} | {} | {} |",
            row.method,
            row.path,
            row.sample,
            row.rule,
            cells.join(" | ")
        );
    }
}

both_engines! {
    async fn every_route_answers_each_person_as_the_matrix_says(engine) {
        let t = TestApp::start_with(engine, Options { demo: true, load_demo: false, ..Options::default() }).await;
        // With a gazetteer, the demo has its directory and Dr. Novak's referral.
        t.small_gazetteer().await;
        assert!(t.app.load_demo_if_empty().await.unwrap());
        // Relationships the demo does not have yet: a second supervisor, and a reviewer who
        // declares a conflict of interest on Sam's application.
        t.user(OTHER_SUPERVISOR, &[domain::Role::Candidate, domain::Role::Supervisor]).await;
        t.user(OTHER_REFERRER, &[domain::Role::ReferringProvider]).await;
        let mut world = World::of(&t).await;

        let mut people = Vec::new();
        for (name, email) in COLUMNS {
            people.push(Person::new(&t, name, email.map(|email| (email, DEMO_PASSWORD))).await);
        }
        for (name, email, _) in RELATED {
            let added = [OTHER_SUPERVISOR, OTHER_REFERRER].contains(&email);
            let password = if added { crate::support::PASSWORD } else { DEMO_PASSWORD };
            people.push(Person::new(&t, name, Some((email, password))).await);
        }
        world.add_objects_of_signed_in_people(&t).await;

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
            let concrete = world.path(&Row { method: String::new(), path: path.clone(), sample: sample_for_probe(&path), rule: String::new(), expected: Vec::new() });
            for method in methods(&people[0], &concrete).await {
                served.push((method, path.clone()));
            }
        }
        let missing: Vec<_> = served.iter().filter(|r| !listed.contains(r)).collect();
        let stale: Vec<_> = listed.iter().filter(|r| !served.contains(r)).collect();
        let print = std::env::var("SENSATE_AUTHZ_PRINT").is_ok();
        let in_ci = std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1");
        assert!(!(print && in_ci), "SENSATE_AUTHZ_PRINT is for reading, never in CI: the tables are written from the rules");
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
                        rule: listed.map_or_else(|| "?".to_owned(), |r| r.rule.clone()),
                        expected: COLUMNS.iter().map(|(name, _)| (name.to_string(), "?".to_owned())).collect(),
                    }
                })
                .collect();
            let (_, observed) = check(&t, &world, &mut people, &rows).await;
            print_matrix(&observed);
            return;
        }
        let relationships = relationship_rows();
        let mut mismatches = specification_problems(&world, &rows, &relationships);
        // Signed out, only the public surface answers.
        for row in &rows {
            let anonymous = &row.expected[0].1;
            let public = PUBLIC.contains(&row.path.as_str());
            let wanted = if row.path.starts_with("/api/") || row.path.starts_with("/fhir/") { "401" } else { "sign-in" };
            if public && anonymous == "sign-in" {
                mismatches.push(format!("{} {} is public, yet the table sends visitors to sign in", row.method, row.path));
            } else if !public && anonymous != wanted {
                mismatches.push(format!("{} {} needs an account: signed out, the table must say {wanted}", row.method, row.path));
            }
        }

        mismatches.extend(check(&t, &world, &mut people, &rows).await.0);
        mismatches.extend(check(&t, &world, &mut people, &relationships).await.0);
        assert!(mismatches.is_empty(), "{} answers differ from AUTHORIZATION.md:\n{}", mismatches.len(), mismatches.join("\n"));
    }
}

/// Path parameters that name no object with an owner: a program, a section of the portal, a
/// status list, a role, and one-time tokens (a capability, not an object; their own tests follow
/// real ones).
const NOT_OBJECTS: [&str; 7] = [
    "{code}",
    "{version}",
    "{section}",
    "{purpose}",
    "{list}",
    "{role}",
    "{token}",
];

/// What the tables themselves must hold, before any request: every cell one of the outcomes; a
/// rule on every row with a refusal; every object parameter a real object of the world; and
/// where a column's person is a party to the object and allowed, a relationships row asking the
/// same as someone of that role who is not, refused.
fn specification_problems(world: &World, rows: &[Row], relationships: &[Row]) -> Vec<String> {
    let mut problems = Vec::new();
    for row in rows.iter().chain(relationships) {
        let name = format!("{} {} ({})", row.method, row.path, row.sample);
        for (who, outcome) in &row.expected {
            if !OUTCOMES.contains(&outcome.as_str()) {
                problems.push(format!("{name} as {who}: {outcome:?} is not an outcome"));
            }
        }
        if row.expected.iter().any(|(_, outcome)| outcome == "refused") && row.rule == "-" {
            problems.push(format!("{name} refuses someone but names no rule"));
        }
        let objects = row.path.matches('{').count() - NOT_OBJECTS.iter().filter(|p| row.path.contains(*p)).count();
        let named = row
            .sample
            .split(" / ")
            .filter(|part| world.samples.contains_key(part))
            .count();
        if !row.sample.starts_with('?') && named < objects {
            problems.push(format!("{name}: an object route asked with a made-up id"));
        }
    }
    for row in rows {
        let parties = PARTIES
            .iter()
            .find(|(sample, _)| row.sample.split(" / ").any(|part| part == *sample));
        let Some((_, parties)) = parties.filter(|_| row.rule != "-") else {
            continue;
        };
        for (column, outcome) in &row.expected {
            if !parties.contains(&column.as_str()) || outcome != "allowed" {
                continue;
            }
            let stand_ins: Vec<&str> = RELATED
                .iter()
                .filter(|(_, _, role)| role == column)
                .map(|(who, _, _)| *who)
                .collect();
            let asked = relationships.iter().any(|other| {
                other.method == row.method
                    && other.path == row.path
                    && other.sample == row.sample
                    && stand_ins.contains(&other.expected[0].0.as_str())
                    && matches!(other.expected[0].1.as_str(), "refused" | "404")
            });
            if !asked {
                problems.push(format!(
                    "{} {} ({}): the {column} is a party and allowed; no relationships row asks it as another {column}",
                    row.method, row.path, row.sample
                ));
            }
        }
    }
    problems
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
