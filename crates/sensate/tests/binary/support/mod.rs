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

/// One write through the public form: asks for a referring-provider account with a unique
/// e-mail address. Some(address) when the server acknowledged it (303 to the thank-you page).
pub async fn write_once(http: &reqwest::Client, base: &str, address: &str) -> Option<String> {
    let form = http.get(format!("{base}/referrers/request")).send().await.ok()?;
    let cookies: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let body = form.text().await.ok()?;
    let csrf = csrf_of(&body)?;
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "Dr. Soak Test"),
        ("email", address),
        ("organisation", "Crash Soak Clinic"),
        ("kind", "physician"),
        ("license", "MD-0000"),
        ("phone", "+1 555 0100"),
    ];
    let answer = http
        .post(format!("{base}/referrers/request"))
        .header("cookie", cookies.join("; "))
        .form(&fields)
        .send()
        .await
        .ok()?;
    let acknowledged = answer.status() == 303
        && answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.contains("sent=1"));
    acknowledged.then(|| address.to_owned())
}
