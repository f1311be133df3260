//! The `sensate` binary run as an operator runs it: one-off commands and a server whose
//! output is collected. Shared by the command-line tests and the crash soak.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test: this build's, or the one `SENSATE_TEST_BIN` names (the crash
/// soak's long form runs the release build).
pub fn bin() -> String {
    std::env::var("SENSATE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sensate").to_owned())
}

/// The binary with `args`, on this data directory and database, with no key or configuration
/// from the environment.
fn command(data_dir: &Path, database_url: &str, args: &[&str], log: &str) -> Command {
    let mut command = Command::new(bin());
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url)
        .env_remove("SENSATE_MASTER_KEY")
        .env_remove("SENSATE_CONFIG")
        .env("RUST_LOG", log)
        .current_dir(data_dir);
    command
}

/// Runs a one-off command to its end.
pub fn sensate(data_dir: &Path, database_url: &str, args: &[&str]) -> Output {
    command(data_dir, database_url, args, "info").output().unwrap()
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A server started by the binary, with its output collected.
pub struct Server {
    pub child: Child,
    pub base: String,
    output: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(data_dir: &Path, database_url: &str, extra_env: &[(&str, &str)], args: &[&str]) -> Server {
        let args: Vec<&str> = ["serve", "--listen", "127.0.0.1:0"]
            .iter()
            .chain(args)
            .copied()
            .collect();
        let mut command = command(data_dir, database_url, &args, "debug");
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [Box::new(stdout) as Box<dyn std::io::Read + Send>, Box::new(stderr)] {
            let output = output.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("Sensate is listening on ") {
                        let _ = tx.send(url.trim().to_owned());
                    }
                    output.lock().unwrap().push_str(&format!("{line}\n"));
                }
            });
        }
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("server did not start: {}", output.lock().unwrap()));
        Server { child, base, output }
    }

    pub fn logs(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub async fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(response) = reqwest::get(format!("{}/readyz", self.base)).await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server not ready: {}", self.logs());
    }

    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The hidden anti-forgery field of a page's form.
fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_owned())
}

/// The cookies a response sets, as `name=value` pairs.
fn cookies_of(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// Fetches a form page and posts `fields` with its anti-forgery token and the cookies it
/// came with (plus `cookies`). None when the server did not answer.
async fn post_form(
    http: &reqwest::Client,
    base: &str,
    form_path: &str,
    action: &str,
    cookies: &[String],
    fields: &[(&str, &str)],
) -> Option<reqwest::Response> {
    let form = http
        .get(format!("{base}{form_path}"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .ok()?;
    let mut jar: Vec<String> = cookies.to_vec();
    jar.extend(cookies_of(&form));
    let csrf = csrf_of(&form.text().await.ok()?)?;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    http.post(format!("{base}{action}"))
        .header("cookie", jar.join("; "))
        .form(&all)
        .send()
        .await
        .ok()
}

/// A candidate signed in through the forms, whose hour log takes the writes: the session's
/// cookies and its anti-forgery token (the session's own, the same on every page).
#[derive(Clone)]
pub struct Writer {
    cookies: Vec<String>,
    csrf: String,
}

/// Signs up a candidate through the public form (once per database).
pub async fn sign_up(http: &reqwest::Client, base: &str, email: &str, password: &str) {
    let fields = [
        ("display_name", "Soak Writer"),
        ("email", email),
        ("password", password),
        ("password_confirm", password),
    ];
    let answer = post_form(http, base, "/sign-up", "/sign-up", &[], &fields).await;
    assert_eq!(answer.map(|a| a.status().as_u16()), Some(303), "sign-up");
}

/// Signs in through the form; the account may still be being created (sign-up finishes
/// after its answer), so a few tries.
pub async fn sign_in(http: &reqwest::Client, base: &str, email: &str, password: &str) -> Writer {
    for _ in 0..4 {
        let fields = [("email", email), ("password", password), ("next", "/dashboard")];
        if let Some(answer) = post_form(http, base, "/sign-in", "/sign-in", &[], &fields).await
            && answer.status() == 303
        {
            let cookies = cookies_of(&answer);
            let dashboard = http
                .get(format!("{base}/dashboard"))
                .header("cookie", cookies.join("; "))
                .send()
                .await
                .unwrap();
            let csrf = csrf_of(&dashboard.text().await.unwrap()).expect("the dashboard has a form");
            return Writer { cookies, csrf };
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{email} could not sign in");
}

/// One write a real person repeats as often as they like: the candidate logs an hour of
/// sexual attitude reassessment, titled `title` (unique). Some(title) when the server
/// acknowledged it (303 back to the log).
pub async fn write_once(http: &reqwest::Client, base: &str, writer: &Writer, title: &str) -> Option<String> {
    // Yesterday: a day that is always a valid date to log.
    let day = time::OffsetDateTime::now_utc().date().previous_day()?.to_string();
    let fields = [
        ("csrf", writer.csrf.as_str()),
        ("date", day.as_str()),
        ("hours", "1"),
        ("mode", "in_person"),
        ("provider", "Crash Soak Institute"),
        ("title", title),
    ];
    let answer = http
        .post(format!("{base}/portal/sar"))
        .header("cookie", writer.cookies.join("; "))
        .form(&fields)
        .send()
        .await
        .ok()?;
    let acknowledged = answer.status() == 303
        && answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.contains("added=1"));
    acknowledged.then(|| title.to_owned())
}

/// The titles of every hour entry `email` has logged.
pub async fn logged_titles(store: &store::Store, email: &str) -> std::collections::BTreeSet<String> {
    let email = domain::EmailAddress::parse(email).unwrap();
    let user = store.user_by_email(&email).await.unwrap().unwrap();
    store
        .hours(user.id.as_str())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.title)
        .collect()
}
