//! The `sensate` binary as an operator meets it, on both engines: commands, start-up checks,
//! the audit verifier, and logs without secrets.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use domain::platform::audit::{AuditEntry, Outcome};
use store::engine::testing::TestDb;
use store::{Engine, Timestamp, both_engines};

use crate::support::{Server, bin, sensate, sign_in, text, write_once};

fn entry(action: &str) -> AuditEntry {
    AuditEntry {
        actor_id: Some("u1".into()),
        actor_role: None,
        action: action.into(),
        subject_type: None,
        subject_id: None,
        outcome: Outcome::Success,
        client_addr: Some("127.0.0.1".into()),
        request_id: None,
        detail: None,
    }
}

#[test]
fn help_lists_the_commands() {
    let output = Command::new(bin()).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = text(&output);
    for command in ["serve", "migrate", "admin", "audit", "keys"] {
        assert!(help.contains(command), "--help lists {command}: {help}");
    }
    let serve = text(&Command::new(bin()).args(["serve", "--help"]).output().unwrap());
    for flag in ["--demo", "--listen", "--database-url", "--data-dir"] {
        assert!(serve.contains(flag), "serve --help lists {flag}");
    }
}

#[test]
fn an_unknown_database_scheme_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let output = sensate(dir.path(), "mysql://root:hunter2@db/x", &["migrate"]);
    assert!(!output.status.success());
    let said = text(&output);
    assert!(said.contains("must start with sqlite:// or postgres://"), "{said}");
    assert!(!said.contains("hunter2"), "the password is not echoed");
}

both_engines! {
    async fn audit_verify_names_an_edited_row(engine) {
        let db = TestDb::new(engine).await;
        for i in 0..5 {
            db.store.append_audit(entry("signin.success"), Timestamp::new(time::OffsetDateTime::now_utc() + time::Duration::seconds(i))).await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let clean = sensate(dir.path(), &db.url, &["audit", "verify"]);
        assert!(clean.status.success(), "{}", text(&clean));
        assert!(text(&clean).contains("Audit log intact: 5 events"), "{}", text(&clean));

        assert_eq!(db.execute("UPDATE audit_events SET outcome = 'denied' WHERE seq = 3").await, 1);
        let edited = sensate(dir.path(), &db.url, &["audit", "verify"]);
        assert_eq!(edited.status.code(), Some(1));
        assert!(text(&edited).contains("event 3: its contents do not match its hash"), "{}", text(&edited));
    }

    async fn audit_verify_names_deleted_rows(engine) {
        let db = TestDb::new(engine).await;
        for _ in 0..5 {
            db.store.append_audit(entry("signin.failure"), Timestamp::now()).await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(db.execute("DELETE FROM audit_events WHERE seq = 2").await, 1);
        let gap = sensate(dir.path(), &db.url, &["audit", "verify"]);
        assert_eq!(gap.status.code(), Some(1));
        assert!(text(&gap).contains("events 2 to 2 are missing"), "{}", text(&gap));

        let tail = TestDb::new(engine).await;
        for _ in 0..4 {
            tail.store.append_audit(entry("signin.failure"), Timestamp::now()).await.unwrap();
        }
        assert_eq!(tail.execute("DELETE FROM audit_events WHERE seq = 4").await, 1);
        let truncated = sensate(dir.path(), &tail.url, &["audit", "verify"]);
        assert_eq!(truncated.status.code(), Some(1));
        assert!(text(&truncated).contains("events at the end were deleted"), "{}", text(&truncated));
    }

    async fn a_broken_or_open_key_file_stops_start_up_and_is_kept(engine) {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("master.key");
        std::fs::write(&key_file, "this is not a key file\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut server = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path())
            .args(["--database-url", &db.url])
            .env_remove("SENSATE_MASTER_KEY")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!server.status.success());
        assert!(text(&server).contains("key file"), "{}", text(&server));
        assert_eq!(std::fs::read_to_string(&key_file).unwrap(), "this is not a key file\n", "nothing overwritten");

        // A readable-by-others key file is refused with the fix.
        std::fs::remove_file(&key_file).unwrap();
        let created = Server::start(dir.path(), &db.url, &[], &[]);
        created.wait_ready().await;
        drop(created);
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        server = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path())
            .args(["--database-url", &db.url])
            .env_remove("SENSATE_MASTER_KEY")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!server.status.success());
        assert!(text(&server).contains("chmod 600"), "{}", text(&server));
    }

    async fn a_missing_or_wrong_key_file_is_refused_when_data_exists(engine) {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        // First run with the demo: creates the key file and data keys (demo TOTP secrets).
        let first = Server::start(dir.path(), &db.url, &[], &["--demo"]);
        first.wait_ready().await;
        drop(first);
        let key_file = dir.path().join("master.key");
        let original = std::fs::read_to_string(&key_file).unwrap();

        std::fs::rename(&key_file, dir.path().join("elsewhere.key")).unwrap();
        let mut missing = Server::start(dir.path(), &db.url, &[], &["--demo"]);
        let status = missing.wait_exit(Duration::from_secs(30)).expect("start-up stops");
        assert!(!status.success());
        assert!(missing.logs().contains("is missing, but the database holds data keys"), "{}", missing.logs());
        assert!(!key_file.exists(), "no new key file is created beside existing data");

        // Another installation's key file is refused too.
        let other = tempfile::tempdir().unwrap();
        let (_, _) = vault::load_or_create_key_file(other.path().join("master.key")).unwrap();
        std::fs::copy(other.path().join("master.key"), &key_file).unwrap();
        let mut wrong = Server::start(dir.path(), &db.url, &[], &["--demo"]);
        assert!(!wrong.wait_exit(Duration::from_secs(30)).expect("start-up stops").success());
        assert!(wrong.logs().contains("does not hold the key(s) that wrap this database's data"), "{}", wrong.logs());

        std::fs::write(&key_file, &original).unwrap();
        let restored = Server::start(dir.path(), &db.url, &[], &["--demo"]);
        restored.wait_ready().await;
    }

    async fn logs_hold_no_secrets(engine) {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let smtp_password = "smtp-secret-Zq93";
        let server = Server::start(
            dir.path(),
            &db.url,
            &[("SENSATE_SMTP_HOST", "127.0.0.1"), ("SENSATE_SMTP_PORT", "9"), ("SENSATE_SMTP_SECURITY", "none"),
              ("SENSATE_SMTP_USERNAME", "mailer"), ("SENSATE_SMTP_PASSWORD", smtp_password)],
            &[],
        );
        server.wait_ready().await;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let password = "harbour lantern quiet 77";
        let page = http.get(format!("{}/sign-up", server.base)).send().await.unwrap();
        let cookie = page.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
        let body = page.text().await.unwrap();
        let csrf = body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let form = [("csrf", csrf.as_str()), ("display_name", "Log Test"), ("email", "log@example.org"), ("password", password), ("password_confirm", password)];
        let signed_up = http.post(format!("{}/sign-up", server.base)).header("cookie", &cookie).form(&form).send().await.unwrap();
        let status = signed_up.status();
        assert_eq!(status, 303, "{}", signed_up.text().await.unwrap());
        // The account is created after the answer (so its database work cannot be timed): its
        // confirmation e-mail says it exists.
        let started = Instant::now();
        while db.store.recent_emails(Some("log@example.org"), 1).await.unwrap().is_empty() && started.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sign_in = [("csrf", csrf.as_str()), ("email", "log@example.org"), ("password", password), ("next", "/dashboard")];
        let signed_in = http.post(format!("{}/sign-in", server.base)).header("cookie", &cookie).form(&sign_in).send().await.unwrap();
        assert_eq!(signed_in.status(), 303);
        let session = signed_in.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().split('=').nth(1).unwrap().to_owned();
        let wrong = [("csrf", csrf.as_str()), ("email", "log@example.org"), ("password", "wrong password here"), ("next", "/")];
        let queued = db.store.recent_emails(Some("log@example.org"), 1).await.unwrap()[0].body_text.clone().unwrap();
        let link_path = queued.split(server.base.as_str()).nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
        let followed = http.get(format!("{}{link_path}", server.base)).send().await.unwrap();
        assert_eq!(followed.status(), 200, "the verification link works");

        http.post(format!("{}/sign-in", server.base)).header("cookie", &cookie).form(&wrong).send().await.unwrap();
        // Let the mail sender try (and fail) to deliver, which logs the SMTP error.
        let started = Instant::now();
        while !server.logs().contains("mail delivery failed") && started.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let logs = server.logs();
        assert!(logs.contains("mail delivery failed"), "the sender ran: {logs}");
        let key_material: Vec<String> = std::fs::read_to_string(dir.path().join("master.key"))
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("material = \"").map(|m| m.trim_end_matches('"').to_owned()))
            .collect();
        assert!(!key_material.is_empty());
        let token = link_path.trim_start_matches("/verify-email/").to_owned();
        assert!(logs.contains("/verify-email/{token}"), "the request was logged, with its token replaced");

        for secret in [password, "wrong password here", &session, &csrf, smtp_password, &token].into_iter().chain(key_material.iter().map(String::as_str)) {
            assert!(!logs.contains(secret), "a secret reached the log: {secret}");
        }
        assert!(logs.contains("DEBUG") || logs.contains("INFO"), "logs were captured at debug level");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_keeps_retrying_and_readyz_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "postgres://sensate:pw-Xk2@127.0.0.1:1/sensate", &[], &[]);
    let health = reqwest::get(format!("{}/healthz", server.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    let started = Instant::now();
    let mut reason = String::new();
    while started.elapsed() < Duration::from_secs(20) {
        let ready = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
        assert_eq!(ready.status(), 503);
        reason = ready.text().await.unwrap();
        if reason.contains("unreachable") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(reason.contains("database unreachable"), "{reason}");
    assert!(
        !reason.contains("127.0.0.1:1"),
        "readiness does not say where the database is"
    );
    assert!(
        server
            .logs()
            .contains("database postgres://sensate:***@127.0.0.1:1/sensate unreachable")
    );

    let page = reqwest::get(format!("{}/sign-in", server.base)).await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("cannot reach its database"));
    assert!(!server.logs().contains("pw-Xk2"), "the password is redacted");
    assert!(server.logs().contains("retrying in 5 s"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_prints_a_one_time_link_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/sensate.db", dir.path().display());
    let created = sensate(
        dir.path(),
        &url,
        &[
            "admin",
            "create",
            "--email",
            "Chair@Board.example",
            "--name",
            "Morgan Ellis",
        ],
    );
    assert!(created.status.success(), "{}", text(&created));
    let said = text(&created);
    assert!(
        said.contains("Board administrator chair@board.example created."),
        "{said}"
    );
    assert!(said.contains("/password/reset/"), "{said}");
    let again = sensate(
        dir.path(),
        &url,
        &["admin", "create", "--email", "second@board.example", "--name", "Second"],
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("a board administrator exists already"));
    let bad = sensate(dir.path(), &url, &["admin", "create", "--email", "nope", "--name", "X"]);
    assert!(!bad.status.success());
    let _ = Engine::Sqlite;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_is_refused_on_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/sensate.db", dir.path().display());
    let created = sensate(
        dir.path(),
        &url,
        &["admin", "create", "--email", "chair@board.example", "--name", "Chair"],
    );
    assert!(created.status.success(), "{}", text(&created));
    let mut server = Server::start(dir.path(), &url, &[], &["--demo"]);
    let status = server.wait_exit(Duration::from_secs(30)).expect("start-up stops");
    assert!(!status.success());
    assert!(
        server
            .logs()
            .contains("--demo is refused: this database holds real accounts"),
        "{}",
        server.logs()
    );
}

both_engines! {
    async fn programs_import_refuses_a_broken_file_naming_the_line_and_stores_a_good_one(engine) {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let shipped = include_str!("../../../../programs/cst.toml");
        let broken = shipped.replace("version = \"2025.T.1\"", "version = \"2026.T.1\"").replace("total = 60", "total = -60");
        std::fs::write(dir.path().join("broken.toml"), &broken).unwrap();
        let refused = sensate(dir.path(), &db.url, &["programs", "import", "broken.toml"]);
        assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
        let line = shipped.lines().position(|l| l.contains("total = 60")).unwrap() + 1;
        assert!(text(&refused).contains("broken.toml was refused; nothing was stored"), "{}", text(&refused));
        assert!(text(&refused).contains(&format!("broken.toml: line {line}, requirement.training.total:")), "{}", text(&refused));

        std::fs::write(dir.path().join("fixed.toml"), broken.replace("total = -60", "total = 65")).unwrap();
        let imported = sensate(dir.path(), &db.url, &["programs", "import", "fixed.toml"]);
        assert!(imported.status.success(), "{}", text(&imported));
        assert!(text(&imported).contains("Certified Sex Therapist (CST) rule version 2026.T.1 imported."));
        let listed = sensate(dir.path(), &db.url, &["programs", "list"]);
        assert!(text(&listed).contains("CST-S"), "the shipped programs are installed: {}", text(&listed));
        let stored = db.store.program_version("CST", "2026.T.1").await.unwrap().unwrap();
        assert!(stored.source.contains("total = 65"));
    }
}

both_engines! {
    async fn a_backup_taken_while_serving_restores_to_the_same_data(engine) {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let original = Server::start(dir.path(), &db.url, &[], &["--demo"]);
        original.wait_ready().await;
        let credential = db.store.all_issued_credentials().await.unwrap().into_iter().next().expect("the demo issues credentials");
        let verify_path = format!("/verify/{}", credential.number);
        let before = reqwest::get(format!("{}{verify_path}", original.base)).await.unwrap().text().await.unwrap();
        assert!(before.contains(&credential.holder_name), "{before}");

        // Taken while the server serves (and answers requests meanwhile).
        let elsewhere = tempfile::tempdir().unwrap();
        let backup_dir = elsewhere.path().join("backup");
        // Meanwhile a visitor reads and another writes (each write appends an audit event, a
        // counted table): the manifest must count what the snapshot holds, not what came after.
        let reader = {
            let url = format!("{}{verify_path}", original.base);
            tokio::spawn(async move {
                let mut answered = 0;
                for _ in 0..20 {
                    if reqwest::get(&url).await.map(|r| r.status() == 200).unwrap_or(false) {
                        answered += 1;
                    }
                }
                answered
            })
        };
        let writer = {
            let base = original.base.clone();
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let candidate = sign_in(&http, &base, "candidate@demo.sensate.test", "demo-sensate-2026").await;
            tokio::spawn(async move {
                let mut written = 0;
                for n in 0..40 {
                    if write_once(&http, &base, &candidate, &format!("During the backup {n}")).await.is_some() {
                        written += 1;
                    }
                }
                written
            })
        };
        let taken = sensate(dir.path(), &db.url, &["backup", backup_dir.to_str().unwrap()]);
        assert!(taken.status.success(), "{}", text(&taken));
        assert!(text(&taken).contains("Backup written to"), "{}", text(&taken));
        assert!(text(&taken).contains("is not in the backup"), "the key file is named: {}", text(&taken));
        assert_eq!(reader.await.unwrap(), 20, "the server kept answering during the backup");
        assert_eq!(writer.await.unwrap(), 40, "and kept taking writes");
        let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(backup_dir.join("manifest.json")).unwrap()).unwrap();
        assert!(!manifest["documents"].as_array().unwrap().is_empty(), "the demo's documents are in the backup: {manifest}");
        assert!(manifest["row_counts"]["credentials"].as_i64().unwrap() > 0);
        assert!(!std::fs::read_dir(&backup_dir).unwrap().any(|e| e.unwrap().file_name() == "master.key"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup_dir).unwrap().permissions().mode() & 0o777, 0o700, "only the owner enters a backup");
        let database_file = backup_dir.join(manifest["database"]["path"].as_str().unwrap());
        assert_eq!(std::fs::metadata(database_file).unwrap().permissions().mode() & 0o777, 0o600);
        let again = sensate(dir.path(), &db.url, &["backup", backup_dir.to_str().unwrap()]);
        assert!(!again.status.success() && text(&again).contains("already holds files"), "{}", text(&again));

        // A tampered copy is refused, naming the file, and nothing is restored.
        let tampered = elsewhere.path().join("tampered");
        copy_dir(&backup_dir, &tampered);
        let document = manifest["documents"][0]["path"].as_str().unwrap();
        let mut bytes = std::fs::read(tampered.join(document)).unwrap();
        bytes[10] ^= 1;
        std::fs::write(tampered.join(document), bytes).unwrap();
        let refused_target = TestDb::empty(engine).await;
        let refused_dir = tempfile::tempdir().unwrap();
        let refused = sensate(refused_dir.path(), &refused_target.url, &["restore", tampered.to_str().unwrap()]);
        assert!(!refused.status.success());
        assert!(text(&refused).contains(document) && text(&refused).contains("does not match the manifest"), "{}", text(&refused));
        assert!(refused_target.store.is_empty_database().await.unwrap(), "nothing restored from a tampered backup");

        // Restored into an empty database: same rows, the audit chain intact, the same answers.
        let target = TestDb::empty(engine).await;
        let restored_dir = tempfile::tempdir().unwrap();
        let restored = sensate(restored_dir.path(), &target.url, &["restore", backup_dir.to_str().unwrap()]);
        assert!(restored.status.success(), "{}", text(&restored));
        assert!(text(&restored).contains("Audit log intact"), "{}", text(&restored));
        assert_eq!(
            target.store.row_counts().await.unwrap().into_iter().find(|(t, _)| t == "credentials"),
            Some(("credentials".to_owned(), manifest["row_counts"]["credentials"].as_i64().unwrap()))
        );
        let over = sensate(restored_dir.path(), &target.url, &["restore", backup_dir.to_str().unwrap()]);
        assert!(!over.status.success(), "a restore never goes over data: {}", text(&over));
        let verified = sensate(restored_dir.path(), &target.url, &["audit", "verify"]);
        assert!(verified.status.success(), "{}", text(&verified));
        std::fs::copy(dir.path().join("master.key"), restored_dir.path().join("master.key")).unwrap();
        drop(original);
        let copy = Server::start(restored_dir.path(), &target.url, &[], &["--demo"]);
        copy.wait_ready().await;
        let after = reqwest::get(format!("{}{verify_path}", copy.base)).await.unwrap().text().await.unwrap();
        assert!(after.contains(&credential.holder_name) && after.contains(&credential.number), "{after}");
        assert!(target.store.integrity_problems().await.unwrap().is_empty());
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
