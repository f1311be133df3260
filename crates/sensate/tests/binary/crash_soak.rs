//! Crash soak: the server is killed with SIGKILL at random moments while a second process
//! writes, and restarted, cycle after cycle. The writes are what a person may repeat as often
//! as they like (a signed-up candidate logging hours, through the form), so the public forms
//! keep their limits and the soak its load. After every kill, every write the client saw
//! acknowledged must be in the database, and the database must pass its engine's integrity
//! check; at the end the audit log's hash chain must be intact.
//!
//! The test command runs the short form (20 cycles per engine, this build's binary). The
//! long form is `bench/crash-soak` (200 cycles per engine, the release binary); see
//! SECURITY.md. Settings: `SENSATE_SOAK_CYCLES`, `SENSATE_SOAK_SEED`, `SENSATE_SOAK_WRITERS`,
//! `SENSATE_TEST_BIN`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Server, logged_titles, sensate, sign_in, sign_up, text, write_once};
use store::engine::testing::TestDb;
use store::{Store, StoreOptions, both_engines};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A small deterministic generator, so a failing run can be repeated with its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

/// The candidate whose hour log takes the writes.
const WRITER: &str = "soak-writer@soak.test";
const PASSWORD: &str = "every write survives 42";

both_engines! {
    async fn no_acknowledged_write_is_lost_when_the_server_is_killed(engine) {
        let cycles = setting("SENSATE_SOAK_CYCLES", 20);
        let writers = setting("SENSATE_SOAK_WRITERS", 4);
        let seed = setting("SENSATE_SOAK_SEED", std::process::id().into()).max(1);
        let mut random = Random(seed);
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let started = Instant::now();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut candidate = None;
        for cycle in 0..cycles {
            let mut server = Server::start(dir.path(), &db.url, &[("RUST_LOG", "warn")], &[]);
            server.wait_ready().await;
            // The candidate signs up and in once; the session outlives every kill.
            if candidate.is_none() {
                sign_up(&http, &server.base, WRITER, PASSWORD).await;
                candidate = Some(sign_in(&http, &server.base, WRITER, PASSWORD).await);
            }
            let signed_in = candidate.clone().unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let mut tasks = Vec::new();
            for writer in 0..writers {
                let base = server.base.clone();
                let stop = stop.clone();
                let acknowledged = acknowledged.clone();
                let http = http.clone();
                let signed_in = signed_in.clone();
                tasks.push(tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let title = format!("Soak {cycle}-{writer}-{n}");
                        match write_once(&http, &base, &signed_in, &title).await {
                            Some(title) => {
                                acknowledged.lock().unwrap().insert(title);
                            }
                            // Refused or cut off by the kill: not acknowledged, so either outcome is fine.
                            None => tokio::time::sleep(Duration::from_millis(5)).await,
                        }
                    }
                }));
            }
            // Let writes flow, then kill at a random moment (mid-commit, mid-response, …).
            tokio::time::sleep(Duration::from_millis(random.between(100, 1_200))).await;
            server.child.kill().unwrap(); // SIGKILL on Unix: no shutdown code runs.
            server.child.wait().unwrap();
            stop.store(true, Ordering::SeqCst);
            for task in tasks {
                task.await.unwrap();
            }
            // A fresh connection, as the next server would open.
            let check = Store::open_lazy(&db.url, &StoreOptions::default()).unwrap();
            let present = logged_titles(&check, WRITER).await;
            let expected = acknowledged.lock().unwrap().clone();
            let lost: Vec<&String> = expected.difference(&present).collect();
            assert!(lost.is_empty(), "cycle {cycle} (seed {seed}): {} acknowledged writes lost: {lost:?}", lost.len());
            let problems = check.integrity_problems().await.unwrap();
            assert!(problems.is_empty(), "cycle {cycle} (seed {seed}): integrity check: {problems:?}");
            check.close().await;
            drop(server);
        }
        let total = acknowledged.lock().unwrap().len();
        assert!(total as u64 >= cycles, "the load wrote too little to prove anything: {total} writes in {cycles} cycles");
        let verified = sensate(dir.path(), &db.url, &["audit", "verify"]);
        assert!(verified.status.success(), "{}", text(&verified));
        println!(
            "crash soak on {}: {cycles} kills, {total} acknowledged writes, 0 lost, integrity checks clean, audit chain intact ({:.0} s, seed {seed})",
            engine.as_str(),
            started.elapsed().as_secs_f64()
        );
    }
}
