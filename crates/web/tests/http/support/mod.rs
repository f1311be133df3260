//! A running Sensate on a random port, on either engine, and a small browser-like client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod authenticator;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use app::{App, AppConfig, Clock};
use store::Engine;
use store::engine::testing::TestDb;
use web::{ServerConfig, ServerState};

pub const PASSWORD: &str = "tidal moon lantern 42";

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub clock: Clock,
    pub db: TestDb,
    pub keys_dir: tempfile::TempDir,
}

#[derive(Default)]
pub struct Options {
    pub demo: bool,
    pub load_demo: bool,
    /// The bearer token `/metrics` asks for (none: public).
    pub metrics_token: Option<&'static str>,
}

impl TestApp {
    pub async fn start(engine: Engine) -> TestApp {
        Self::start_with(engine, Options::default()).await
    }

    pub async fn start_with(engine: Engine, options: Options) -> TestApp {
        let db = TestDb::new(engine).await;
        let keys_dir = tempfile::tempdir().unwrap();
        let key_file = keys_dir.path().join("master.key");
        let (keys, _) =
            app::platform::keys::ensure(&db.store, &app::platform::keys::KeySource::File(key_file.clone()), None)
                .await
                .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let clock = Clock::system();
        let config = AppConfig {
            public_url: base.clone(),
            session: domain::platform::session::SessionPolicy::default(),
            demo: options.demo,
            board: app::credentialing::board::BoardIdentity {
                address: vec!["12 Test Street".into(), "Testville, CA 94000".into()],
                signatory_name: "Dr. Tess Signer".into(),
                signatory_title: "Chair, Certification Committee".into(),
                ..app::credentialing::board::BoardIdentity::named("Test Board of Sexuality Professionals")
            },
            mail: app::platform::mail::MailConfig {
                from: "Sensate <no-reply@sensate.test>".into(),
                transport: app::platform::mail::MailTransport::Outbox {
                    dir: keys_dir.path().join("outbox"),
                },
            },
            key_source: app::platform::keys::KeySource::File(key_file),
            files: app::FilesConfig {
                location: keys_dir.path().join("files").display().to_string(),
                max_upload_bytes: 20 * 1024 * 1024,
            },
        };
        let app = App::new(db.store.clone(), keys, config, clock.clone()).unwrap();
        app.install_shipped_programs().await.unwrap();
        app.ensure_signing_key().await.unwrap();
        if options.load_demo {
            app.load_demo_if_empty().await.unwrap();
        }
        let mut server_config = ServerConfig::for_public_url(&base, options.demo);
        server_config.metrics_token = options.metrics_token.map(str::to_owned);
        let state = ServerState::new(db.store.clone(), server_config);
        state.set_ready(app.clone());
        tokio::spawn(web::serve(listener, state, std::future::pending()));
        TestApp {
            base,
            app,
            clock,
            db,
            keys_dir,
        }
    }

    pub fn client(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Another app node on the same database and keys (its own memory: caches, the directory
    /// index), as a second server process would be.
    pub async fn second_node(&self) -> App {
        let config = self.app.config().clone();
        let (keys, _) = app::platform::keys::ensure(&self.db.store, &config.key_source, None)
            .await
            .unwrap();
        App::new(self.db.store.clone(), keys, config, self.clock.clone()).unwrap()
    }

    /// A small gazetteer with real coordinates, imported through the same code as the real one.
    pub async fn small_gazetteer(&self) {
        let postal = [
            "US\t94108\tSan Francisco\tCalifornia\tCA\tSan Francisco\t075\t\t\t37.7929\t-122.4079\t4",
            "US\t94110\tSan Francisco\tCalifornia\tCA\tSan Francisco\t075\t\t\t37.7509\t-122.4153\t4",
            "US\t94612\tOakland\tCalifornia\tCA\tAlameda\t001\t\t\t37.8085\t-122.2668\t4",
            "US\t90012\tLos Angeles\tCalifornia\tCA\tLos Angeles\t037\t\t\t34.0614\t-118.2385\t4",
            "US\t10001\tNew York\tNew York\tNY\tNew York\t061\t\t\t40.7484\t-73.9967\t4",
            "US\t09001\tAPO AE\t\t\t\t\t\t\t0\t0\t",
            "CA\tM5V\tDowntown Toronto\tOntario\tON\tToronto\t\t\t\t43.6404\t-79.3995\t6",
        ]
        .join("\n");
        let cities = r#"[{"name":"San Francisco","lat":"37.77493","lng":"-122.41942","country":"US","admin1":"CA","admin2":"075"},
            {"name":"Oakland","lat":"37.80437","lng":"-122.2708","country":"US","admin1":"CA","admin2":"001"},
            {"name":"Los Angeles","lat":"34.05223","lng":"-118.24368","country":"US","admin1":"CA","admin2":"037"},
            {"name":"New York City","lat":"40.71427","lng":"-74.00597","country":"US","admin1":"NY","admin2":""},
            {"name":"Toronto","lat":"43.70011","lng":"-79.4163","country":"CA","admin1":"08","admin2":""},
            {"name":"Paris","lat":"48.85341","lng":"2.3488","country":"FR","admin1":"11","admin2":""}]"#;
        let regions = r#"[{"code":"US.CA","name":"California"},{"code":"US.NY","name":"New York"},{"code":"CA.08","name":"Ontario"}]"#;
        self.app.import_gazetteer_text(&postal, cities, regions).await.unwrap();
    }

    /// The newest e-mail to `to` (queued in the outbox), as (subject, text).
    pub async fn last_mail(&self, to: &str) -> (String, String) {
        for _ in 0..50 {
            let mails = self.db.store.recent_emails(Some(to), 1).await.unwrap();
            if let Some(mail) = mails.into_iter().next() {
                return (mail.subject, mail.body_text.unwrap_or_default());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to}");
    }

    /// Follows every link to this site in every e-mail sent to `to`, as `reader` (the
    /// addressee's own browser), and asserts each answers 200: no e-mail leads its reader to a
    /// missing page or a refusal. One-time links (address confirmation, password reset,
    /// invitation) are followed where their journeys use them, so they are skipped here.
    /// Returns how many links were followed.
    pub async fn follow_mail_links(&self, to: &str, reader: &Browser) -> usize {
        const ONE_TIME: [&str; 3] = ["/verify-email/", "/password/reset/", "/invitations/"];
        let mails = self.db.store.recent_emails(Some(to), 500).await.unwrap();
        assert!(!mails.is_empty(), "no mail to {to}");
        let mut followed = 0;
        for mail in mails {
            let text = mail.body_text.unwrap_or_default();
            for word in text.split_whitespace() {
                let Some(path) = word.strip_prefix(&self.base) else {
                    continue;
                };
                if ONE_TIME.iter().any(|p| path.starts_with(p)) {
                    continue;
                }
                let page = reader.get(path).await;
                assert_eq!(
                    page.status,
                    200,
                    "{to}: the link {path} in \"{}\" answers {}: {}",
                    mail.subject,
                    page.status,
                    page.location()
                );
                followed += 1;
            }
        }
        followed
    }

    /// The text of a PDF as `pdftotext` (Debian's poppler-utils, an independent reader) extracts it.
    pub fn pdf_text(pdf: &[u8]) -> String {
        use std::io::Write;
        let mut child = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): install poppler-utils"));
        child.stdin.take().unwrap().write_all(pdf).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "pdftotext failed");
        // Right-to-left runs come wrapped in invisible embedding marks; nothing else is removed.
        String::from_utf8(output.stdout)
            .unwrap()
            .replace(['\u{202b}', '\u{202c}'], "")
    }

    /// A link in the newest mail to `to` whose path starts with `prefix`, as a path.
    pub async fn link_in_mail(&self, to: &str, prefix: &str) -> String {
        let (_, text) = self.last_mail(to).await;
        let start = text
            .find(&format!("{}{prefix}", self.base))
            .unwrap_or_else(|| panic!("no {prefix} link in: {text}"));
        let rest = &text[start + self.base.len()..];
        rest.split_whitespace().next().unwrap().to_owned()
    }

    /// Audit actions recorded so far, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, String)> {
        self.db
            .store
            .audit_events_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.entry.action, r.entry.outcome.as_str().to_owned()))
            .collect()
    }

    /// Creates an account directly (verified), with `roles`.
    pub async fn user(&self, email: &str, roles: &[domain::Role]) -> domain::UserId {
        let id = domain::UserId::parse(&app::platform::random::id().unwrap()).unwrap();
        let hash = argon_hash(PASSWORD);
        let email = domain::EmailAddress::parse(email).unwrap();
        self.db
            .store
            .insert_user(store::platform::users::NewUser {
                id: &id,
                email: &email,
                display_name: "Test Person",
                password_hash: &hash,
                email_verified_at: Some(self.app.now()),
                roles,
                granted_by: None,
                is_demo: false,
                now: self.app.now(),
            })
            .await
            .unwrap();
        id
    }
}

impl TestApp {
    /// The `Actor` of an existing account, as if signed in with two-factor sign-in done: for
    /// calling the application directly where a test sets the scene.
    pub async fn actor(&self, email: &str) -> app::Actor {
        let user = self
            .db
            .store
            .user_by_email(&domain::EmailAddress::parse(email).unwrap())
            .await
            .unwrap()
            .unwrap();
        app::Actor {
            user_id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            session_id: domain::SessionId::parse(&app::platform::random::id().unwrap()).unwrap(),
            mfa_enabled: true,
            email_verified: true,
            is_demo: user.is_demo,
        }
    }

    /// A signed-in browser for a new account with `roles`, two-factor sign-in already set up
    /// when a role requires it.
    pub async fn signed_in(&self, email: &str, roles: &[domain::Role]) -> Browser {
        self.user(email, roles).await;
        let browser = self.client();
        let signed = browser.sign_in(email, PASSWORD).await;
        if signed.location() == "/account/two-factor/setup" {
            self.enrol_totp(&browser, email).await;
        }
        browser
    }

    /// Sets up an authenticator app for the account `browser` is signed in to; returns the
    /// secret (base32).
    pub async fn enrol_totp(&self, browser: &Browser, email: &str) -> String {
        let setup = browser.get("/account/two-factor/setup").await;
        let secret = element_text(&setup.body, "totp-secret");
        let code = totp_code(&secret, email, self.app.now().get().unix_timestamp());
        let enrolled = browser
            .post("/account/two-factor/setup", &[("csrf", &setup.csrf()), ("code", &code)])
            .await;
        assert_eq!(enrolled.status, 303, "enrolment: {}", enrolled.body);
        secret
    }
}

/// A cheap argon2id hash of `password` computed once per process (tests create many users).
fn argon_hash(password: &str) -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let hasher = std::thread::spawn({
            let password = password.to_owned();
            move || {
                runtime.block_on(async {
                    app::platform::password::PasswordHasher::new()
                        .unwrap()
                        .hash(&password)
                        .await
                        .unwrap()
                })
            }
        });
        hasher.join().unwrap()
    })
    .clone()
}

/// A response, read fully.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
    /// The value of the hidden `csrf` field of the first form.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("page has a csrf field") + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
    /// The value attribute of the input with this id.
    pub fn input_value(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker).unwrap_or_else(|| panic!("no #{id}"));
        let tag_end = self.body[at..].find('>').unwrap() + at;
        let tag = &self.body[at..tag_end];
        tag.split("value=\"")
            .nth(1)
            .map(|v| v.split('"').next().unwrap().to_owned())
            .unwrap_or_default()
    }
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// A minimal browser: keeps cookies by name, never follows redirects.
#[derive(Clone)]
pub struct Browser {
    base: String,
    http: reqwest::Client,
    pub cookies: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("sensate-tests")
            .build()
            .unwrap();
        Browser {
            base: base.to_owned(),
            http,
            cookies: Arc::default(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, val) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if val.is_empty() || text.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), val.to_owned());
            }
        }
    }

    async fn finish(&self, response: reqwest::Response) -> Page {
        self.absorb(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Page { status, headers, body }
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.lock().unwrap().get("__Host-sensate").cloned()
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    pub async fn get_json(&self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// A GET whose body is kept as bytes (downloads): (status, headers, body).
    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.absorb(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    pub async fn request(&self, method: reqwest::Method, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Page {
        let mut builder = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = builder.body(body).send().await.unwrap();
        self.finish(response).await
    }

    /// Posts a multipart form: text `fields` and `files` as (field, file name, bytes).
    pub async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)]) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, file_name, bytes) in files {
            form = form.part(
                name.to_string(),
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.to_string()),
            );
        }
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// Fetches `form_path`, then posts `fields` with its csrf token to `action`.
    pub async fn submit(&self, form_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_path).await;
        assert_eq!(form.status, 200, "GET {form_path}: {}", form.body);
        let csrf = form.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in with a password (no second factor); returns the final response.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", password), ("next", "/dashboard")],
        )
        .await
    }
}

/// The current TOTP code for a base32 secret at the app clock's time.
pub fn totp_code(secret_base32: &str, account: &str, at: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some("Sensate"))
        .build()
        .unwrap();
    totp.generate(u64::try_from(at).unwrap()).to_string()
}

/// The text of the element with this id.
pub fn element_text(body: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no #{id}")) + marker.len();
    body[start..].split('<').next().unwrap().trim().to_owned()
}
