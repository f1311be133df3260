//! Durable writes at speed: concurrent writes on both engines, and SQLite's group-commit
//! writer (a group shares one COMMIT; a failing, panicking or cancelled write undoes only its
//! own changes; nothing is answered before its group's COMMIT has returned).

use std::time::Duration;

use domain::platform::audit::{AuditEntry, Outcome, verify_chain};
use domain::referrals::referral::ReferrerRequestState;
use store::engine::testing::TestDb;
use store::referrals::referral::ReferrerRequestRow;
use store::{GroupLimits, Store, StoreError, StoreOptions, Timestamp, both_engines};
use time::macros::datetime;

fn request(id: &str) -> ReferrerRequestRow {
    ReferrerRequestRow {
        id: id.to_owned(),
        email: format!("{id}@clinic.example"),
        name: "Dr. Lena Fischer".into(),
        organisation: "Northside Clinic".into(),
        kind: "physician".into(),
        license: "MD-1234".into(),
        phone: "+1 555 0100".into(),
        status: ReferrerRequestState::Requested,
        requested_at: Timestamp::new(datetime!(2026-11-24 09:00:00 UTC)),
        decided_by: None,
        decided_at: None,
        decision_note: None,
    }
}

/// The raw SQL of the same row, for writes made statement by statement.
fn insert_sql(id: &str) -> String {
    format!(
        "INSERT INTO referrer_requests (id, email, name, organisation, kind, license, phone, status, requested_at) \
         VALUES ('{id}', '{id}@clinic.example', 'Dr. Raw', 'Raw Clinic', 'physician', 'MD-1', '+1 555 0101', \
         'requested', '2026-11-24T09:00:00.000000Z')"
    )
}

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        actor_id: None,
        actor_role: None,
        action: "referrer.requested".into(),
        subject_type: Some("referrer_request".into()),
        subject_id: Some(format!("r{n}")),
        outcome: Outcome::Success,
        client_addr: Some("203.0.113.7".into()),
        request_id: None,
        detail: None,
    }
}

async fn present(store: &Store, id: &str) -> bool {
    store.referrer_request(id).await.unwrap().is_some()
}

/// Waits until `n` writes are queued behind the one being held.
async fn until_waiting(store: &Store, n: u64) {
    for _ in 0..500 {
        if store.write_stats().unwrap().waiting == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} queued writes, have {:?}", store.write_stats());
}

/// Group limits that a test holding a write open never reaches, so its group stays open.
fn patient() -> StoreOptions {
    StoreOptions {
        group_commit: Some(GroupLimits {
            max_jobs: 256,
            max_time: Duration::from_secs(60),
        }),
        ..StoreOptions::default()
    }
}

fn spawn_insert(store: &Store, id: &str) -> tokio::task::JoinHandle<Result<(), StoreError>> {
    let store = store.clone();
    let row = request(id);
    tokio::spawn(async move { store.insert_referrer_request(&row).await })
}

both_engines! {
    async fn concurrent_writes_all_land_and_the_audit_chain_stays_whole(engine) {
        let db = TestDb::new(engine).await;
        let tasks: Vec<_> = (0..120)
            .map(|n| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    store.insert_referrer_request(&request(&format!("r{n}"))).await?;
                    store.append_audit(entry(n), Timestamp::now()).await?;
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(db.store.referrer_requests().await.unwrap().len(), 120);
        let events = db.store.audit_events_after(0, 1000).await.unwrap();
        assert_eq!(events.len(), 120);
        let head = db.store.audit_head().await.unwrap();
        assert_eq!(verify_chain(&events, head.as_ref()).unwrap(), 120);
        if let Some(stats) = db.store.write_stats() {
            assert_eq!(stats.writes, 240, "{stats:?}");
            assert_eq!(stats.failed_groups, 0);
        }
    }

    async fn every_acknowledged_write_is_seen_at_once_by_a_new_reader(engine) {
        // On SQLite the reader is another connection, which sees committed data only: a write
        // answered before its group committed would be missing here.
        let db = TestDb::new(engine).await;
        let tasks: Vec<_> = (0..80)
            .map(|n| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    let id = format!("seen{n}");
                    store.insert_referrer_request(&request(&id)).await.unwrap();
                    present(&store, &id).await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap(), "an acknowledged write was not visible");
        }
    }

    async fn a_failed_write_keeps_nothing_and_its_neighbours_keep_everything(engine) {
        let db = TestDb::new(engine).await;
        let first = insert_sql("kept-1");
        let undone = insert_sql("undone");
        let one = [first.as_str()];
        let twice = [undone.as_str(), undone.as_str()];
        let (a, b) = tokio::join!(db.try_execute(&one), db.try_execute(&twice));
        assert_eq!(a.unwrap(), 1);
        assert!(matches!(b, Err(StoreError::Conflict)), "{b:?}");
        db.store.insert_referrer_request(&request("kept-2")).await.unwrap();
        assert!(present(&db.store, "kept-1").await);
        assert!(present(&db.store, "kept-2").await);
        assert!(!present(&db.store, "undone").await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_queued_behind_a_slow_write_share_its_commit_and_wait_for_it() {
    let db = TestDb::sqlite_with(&patient()).await;
    let mut held = db.hold_write().await;
    held.execute(&insert_sql("slow")).await.unwrap();
    let tasks: Vec<_> = (0..10).map(|n| spawn_insert(&db.store, &format!("q{n}"))).collect();
    until_waiting(&db.store, 10).await;
    // Nothing is answered, nor visible to readers, before the group commits.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tasks.iter().all(|t| !t.is_finished()));
    assert!(!present(&db.store, "slow").await);
    let before = db.store.write_stats().unwrap();
    held.finish().await.unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let after = db.store.write_stats().unwrap();
    assert_eq!(after.groups - before.groups, 1, "{after:?}");
    assert_eq!(after.writes - before.writes, 11);
    assert_eq!(after.largest_group, 11);
    assert_eq!(db.store.referrer_requests().await.unwrap().len(), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_in_a_group_undoes_only_itself() {
    let db = TestDb::sqlite_with(&patient()).await;
    let mut held = db.hold_write().await;
    held.execute(&insert_sql("held")).await.unwrap();
    let before = spawn_insert(&db.store, "before");
    until_waiting(&db.store, 1).await;
    // Its first row is fine; its second repeats a key already written in this group.
    let (half, repeated) = (insert_sql("half"), insert_sql("held"));
    let statements = [half.as_str(), repeated.as_str()];
    let failing = async {
        let result = db.try_execute(&statements).await;
        (result, present(&db.store, "before").await)
    };
    let after = async {
        until_waiting(&db.store, 2).await;
        let task = spawn_insert(&db.store, "after");
        until_waiting(&db.store, 3).await;
        held.finish().await.unwrap();
        task.await.unwrap()
    };
    let ((failed, before_was_committed), after) = tokio::join!(failing, after);
    assert!(matches!(failed, Err(StoreError::Conflict)), "{failed:?}");
    // The failed write was answered only after its group committed.
    assert!(before_was_committed);
    after.unwrap();
    before.await.unwrap().unwrap();
    for id in ["held", "before", "after"] {
        assert!(present(&db.store, id).await, "{id} missing");
    }
    assert!(!present(&db.store, "half").await);
    let stats = db.store.write_stats().unwrap();
    assert_eq!(
        (stats.groups, stats.writes, stats.failed_groups),
        (1, 3, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_panics_is_undone_and_the_writer_goes_on() {
    let db = std::sync::Arc::new(TestDb::sqlite_with(&patient()).await);
    let held = db.hold_write().await;
    let task = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut write = db.hold_write().await;
            write.execute(&insert_sql("panicked")).await.unwrap();
            panic!("a bug in the middle of a write");
        })
    };
    until_waiting(&db.store, 1).await;
    let neighbour = spawn_insert(&db.store, "neighbour");
    until_waiting(&db.store, 2).await;
    held.finish().await.unwrap();
    assert!(task.await.unwrap_err().is_panic());
    neighbour.await.unwrap().unwrap();
    db.store.insert_referrer_request(&request("later")).await.unwrap();
    assert!(present(&db.store, "neighbour").await);
    assert!(present(&db.store, "later").await);
    assert!(!present(&db.store, "panicked").await);
    assert_eq!(db.store.write_stats().unwrap().failed_groups, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_cannot_commit_answers_every_write_with_an_error() {
    let db = TestDb::sqlite_with(&patient()).await;
    let mut held = db.hold_write().await;
    // A deferred foreign-key violation passes every statement and fails only at COMMIT.
    held.execute("PRAGMA defer_foreign_keys = ON").await.unwrap();
    held.execute(
        "INSERT INTO memberships (id, user_id, kind, valid_from, created_at) \
         VALUES ('m1', 'nobody', 'aasect', '2026-01-01', '2026-01-01T00:00:00Z')",
    )
    .await
    .unwrap();
    let neighbour = spawn_insert(&db.store, "neighbour");
    until_waiting(&db.store, 1).await;
    let held_result = held.finish().await;
    assert!(
        matches!(held_result, Err(StoreError::Uncommitted(_))),
        "{held_result:?}"
    );
    let neighbour_result = neighbour.await.unwrap();
    assert!(
        matches!(neighbour_result, Err(StoreError::Uncommitted(_))),
        "{neighbour_result:?}"
    );
    assert!(!present(&db.store, "neighbour").await);
    // The next group runs on a fresh connection and commits.
    db.store.insert_referrer_request(&request("next")).await.unwrap();
    assert!(present(&db.store, "next").await);
    let stats = db.store.write_stats().unwrap();
    assert_eq!((stats.failed_groups, stats.writes), (1, 1), "{stats:?}");
    assert!(db.store.integrity_problems().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_bounded_in_writes() {
    let options = StoreOptions {
        group_commit: Some(GroupLimits {
            max_jobs: 4,
            max_time: Duration::from_secs(60),
        }),
        ..StoreOptions::default()
    };
    let db = TestDb::sqlite_with(&options).await;
    let held = db.hold_write().await;
    let tasks: Vec<_> = (0..10).map(|n| spawn_insert(&db.store, &format!("b{n}"))).collect();
    until_waiting(&db.store, 10).await;
    held.finish().await.unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = db.store.write_stats().unwrap();
    assert_eq!((stats.writes, stats.largest_group), (11, 4), "{stats:?}");
    assert_eq!(stats.groups, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_write_closes_its_group_once_the_time_is_up() {
    let options = StoreOptions {
        group_commit: Some(GroupLimits {
            max_jobs: 1000,
            max_time: Duration::from_millis(100),
        }),
        ..StoreOptions::default()
    };
    let db = TestDb::sqlite_with(&options).await;
    let held = db.hold_write().await;
    let tasks: Vec<_> = (0..5).map(|n| spawn_insert(&db.store, &format!("t{n}"))).collect();
    until_waiting(&db.store, 5).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    held.finish().await.unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // The slow write's group committed alone; the five queued behind it formed the next one.
    let stats = db.store.write_stats().unwrap();
    assert_eq!(
        (stats.groups, stats.writes, stats.largest_group),
        (2, 6, 5),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_cancelled_before_its_turn_leaves_nothing() {
    let db = TestDb::sqlite_with(&patient()).await;
    let held = db.hold_write().await;
    let cancelled = spawn_insert(&db.store, "cancelled");
    until_waiting(&db.store, 1).await;
    cancelled.abort();
    assert!(cancelled.await.unwrap_err().is_cancelled());
    held.finish().await.unwrap();
    db.store.insert_referrer_request(&request("after")).await.unwrap();
    assert!(!present(&db.store, "cancelled").await);
    assert!(present(&db.store, "after").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_store_commits_the_queued_writes_and_refuses_new_ones() {
    let db = TestDb::sqlite_with(&patient()).await;
    let mut held = db.hold_write().await;
    held.execute(&insert_sql("held")).await.unwrap();
    let tasks: Vec<_> = (0..5).map(|n| spawn_insert(&db.store, &format!("c{n}"))).collect();
    until_waiting(&db.store, 5).await;
    let closing = {
        let store = db.store.clone();
        tokio::spawn(async move { store.close().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !closing.is_finished(),
        "close returned before the queued writes were done"
    );
    held.finish().await.unwrap();
    closing.await.unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let refused = db.store.insert_referrer_request(&request("late")).await;
    assert!(matches!(refused, Err(StoreError::Uncommitted(_))), "{refused:?}");
    let reopened = Store::open_lazy(&db.url, &StoreOptions::default()).unwrap();
    assert_eq!(reopened.referrer_requests().await.unwrap().len(), 6);
    reopened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_grouping_off_each_write_is_its_own_transaction() {
    let options = StoreOptions {
        group_commit: None,
        ..StoreOptions::default()
    };
    let db = TestDb::sqlite_with(&options).await;
    let tasks: Vec<_> = (0..20).map(|n| spawn_insert(&db.store, &format!("o{n}"))).collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = db.store.write_stats().unwrap();
    assert_eq!(
        (stats.groups, stats.writes, stats.largest_group),
        (20, 20, 1),
        "{stats:?}"
    );
    assert_eq!(db.store.referrer_requests().await.unwrap().len(), 20);
}
